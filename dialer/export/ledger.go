package export

import (
	"strconv"

	"github.com/fsdialer/dialer/store"
)

// LedgerHeader is the CSV header of a ledger export: one row per minute
// that counted a live answered call, by the minute's start.
var LedgerHeader = []string{"minute", "live_answered", "abandoned"}

// ledgerOut is one exported minute of the abandon ledger.
type ledgerOut struct {
	Minute       *string `json:"minute"`
	LiveAnswered int     `json:"live_answered"`
	Abandoned    int     `json:"abandoned"`
}

func newLedgerOut(b store.LedgerBucket) ledgerOut {
	return ledgerOut{Minute: timeOf(b.Minute), LiveAnswered: b.LiveAnswered, Abandoned: b.Abandoned}
}

func (l ledgerOut) record(buf []string) []string {
	return append(buf[:0], str(l.Minute), strconv.Itoa(l.LiveAnswered), strconv.Itoa(l.Abandoned))
}
