// Package export writes a campaign's members, attempts or abandon ledger
// as CSV (with a header row), a JSON array or JSON lines, one row at a
// time, so memory stays flat however large the campaign. It is the one
// format of `dialer export` and of the API's export endpoint: both give
// the same bytes.
//
// Times are RFC 3339 in UTC with milliseconds (jsontime's layout), empty
// (CSV) or null (JSON) when unset. In CSV a member's numbers are joined with ";" and its
// variables are a JSON object; in JSON they are an array and an object.
package export

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/jsontime"
	"github.com/fsdialer/dialer/store"
)

// Formats are the formats Write writes.
var Formats = []string{"csv", "json", "jsonl"}

// Kinds are what Write exports.
var Kinds = []string{"members", "attempts", "ledger"}

// Source streams a campaign's rows from the store.
type Source interface {
	ExportMembers(ctx context.Context, campaignID int64, fn func(store.ExportMember) error) error
	ExportAttempts(ctx context.Context, campaignID int64, fn func(store.ExportAttempt) error) error
	ExportLedger(ctx context.Context, campaignID int64, rng dialer.TimeRange, fn func(store.LedgerBucket) error) error
}

// ContentType is the media type of a format.
func ContentType(format string) string {
	switch format {
	case "csv":
		return "text/csv; charset=utf-8"
	case "jsonl":
		return "application/jsonl"
	}
	return "application/json"
}

// WriteError is a failure to write the export to its destination, as
// against a failure to read or encode a row.
type WriteError struct{ Err error }

func (e *WriteError) Error() string { return "write export: " + e.Err.Error() }

// Unwrap returns the destination's error.
func (e *WriteError) Unwrap() error { return e.Err }

// dest reports the destination's errors as *WriteError.
type dest struct{ w io.Writer }

func (d dest) Write(p []byte) (int, error) {
	n, err := d.w.Write(p)
	if err != nil {
		err = &WriteError{Err: err}
	}
	return n, err
}

// Write streams a campaign's members, attempts or ledger minutes (kind) to w in format and
// returns how many rows it wrote. An error from the source or from w
// (a *WriteError) stops the export; w then holds a partial document.
func Write(ctx context.Context, w io.Writer, src Source, campaignID int64, kind, format string) (int, error) {
	if !slices.Contains(Formats, format) {
		return 0, fmt.Errorf("format %q: must be csv, json or jsonl", format)
	}
	w = dest{w}
	var err error
	var ew *writer
	switch kind {
	case "members":
		ew = newWriter(w, format, MemberHeader)
		err = src.ExportMembers(ctx, campaignID, func(r store.ExportMember) error { return ew.write(newMemberOut(r)) })
	case "attempts":
		ew = newWriter(w, format, AttemptHeader)
		err = src.ExportAttempts(ctx, campaignID, func(r store.ExportAttempt) error { return ew.write(newAttemptOut(r)) })
	case "ledger":
		ew = newWriter(w, format, LedgerHeader)
		err = src.ExportLedger(ctx, campaignID, dialer.TimeRange{}, func(b store.LedgerBucket) error { return ew.write(newLedgerOut(b)) })
	default:
		return 0, fmt.Errorf("%q: export members or attempts, or the ledger", kind)
	}
	if err != nil {
		return ew.rows, err
	}
	return ew.rows, ew.close()
}

// row is one exported row: JSON through its tags, CSV through record.
type row interface {
	record(buf []string) []string
}

// MemberHeader is the CSV header of a members export.
var MemberHeader = []string{"id", "external_key", "name", "state", "priority", "attempts", "end_cause",
	"last_cause", "due_at", "numbers", "variables", "held", "not_before"}

// memberOut is an exported member.
type memberOut struct {
	ID          int64           `json:"id"`
	ExternalKey string          `json:"external_key"`
	Name        string          `json:"name"`
	State       string          `json:"state"`
	Priority    int             `json:"priority"`
	Attempts    int             `json:"attempts"`
	EndCause    string          `json:"end_cause"`
	LastCause   string          `json:"last_cause"`
	DueAt       *string         `json:"due_at"`
	Numbers     []string        `json:"numbers"`
	Variables   json.RawMessage `json:"variables"`
	Held        bool            `json:"held"`
	NotBefore   *string         `json:"not_before"`
}

func newMemberOut(m store.ExportMember) memberOut {
	o := memberOut{ID: m.ID, ExternalKey: m.ExternalKey, Name: m.Name, State: m.State, Priority: m.Priority,
		Attempts: m.Attempts, EndCause: m.EndCause, LastCause: m.LastCause, DueAt: timeOf(m.DueAt),
		Numbers: m.Numbers, Variables: m.Variables, Held: m.Held, NotBefore: timeOf(m.NotBefore)}
	if o.Numbers == nil {
		o.Numbers = []string{}
	}
	if len(o.Variables) == 0 {
		o.Variables = json.RawMessage("{}")
	}
	return o
}

func (m memberOut) record(buf []string) []string {
	return append(buf[:0], strconv.FormatInt(m.ID, 10), m.ExternalKey, m.Name, m.State, strconv.Itoa(m.Priority),
		strconv.Itoa(m.Attempts), m.EndCause, m.LastCause, str(m.DueAt), strings.Join(m.Numbers, ";"), string(m.Variables),
		strconv.FormatBool(m.Held), str(m.NotBefore))
}

// AttemptHeader is the CSV header of an attempts export.
var AttemptHeader = []string{"id", "member_id", "external_key", "number", "uuid", "created_at", "answered_at",
	"ended_at", "cause", "q850", "billsec", "class", "counted", "business_result", "agent", "recording_path",
	"amd_result", "amd_ms"}

// CapturePrefix prefixes the CSV column of each of the campaign's
// ivr.capture variables, after AttemptHeader's columns.
const CapturePrefix = "capture_"

// attemptOut is an exported attempt; billsec is in seconds with three
// decimals.
type attemptOut struct {
	ID             int64       `json:"id"`
	MemberID       int64       `json:"member_id"`
	ExternalKey    string      `json:"external_key"`
	Number         string      `json:"number"`
	UUID           string      `json:"uuid"`
	CreatedAt      *string     `json:"created_at"`
	AnsweredAt     *string     `json:"answered_at"`
	EndedAt        *string     `json:"ended_at"`
	Cause          string      `json:"cause"`
	Q850           *int        `json:"q850"`
	Billsec        json.Number `json:"billsec"`
	Class          string      `json:"class"`
	Counted        bool        `json:"counted"`
	BusinessResult string      `json:"business_result"`
	Agent          string      `json:"agent"`
	// RecordingPath is null when the call was not recorded.
	RecordingPath *string `json:"recording_path"`
	// AMDResult is the answering-machine verdict (human, machine,
	// unknown; "" without detection), AMDMS the milliseconds from the
	// answer to it (null without detection).
	AMDResult string            `json:"amd_result"`
	AMDMS     *int64            `json:"amd_ms"`
	Captured  map[string]string `json:"captured"`
	// captureNames are the campaign's ivr.capture variables, in order.
	captureNames []string
}

func newAttemptOut(a store.ExportAttempt) attemptOut {
	o := attemptOut{ID: a.ID, MemberID: a.MemberID, ExternalKey: a.ExternalKey, Number: a.Number, UUID: a.UUID,
		CreatedAt: timeOf(a.CreatedAt), AnsweredAt: timeOf(a.AnsweredAt), EndedAt: timeOf(a.EndedAt),
		Cause: a.Cause, Billsec: json.Number(strconv.FormatFloat(a.Billsec.Seconds(), 'f', 3, 64)),
		Class: a.Class, Counted: a.Counted, BusinessResult: a.BusinessResult, Agent: a.Agent,
		Captured: a.Captured, captureNames: a.CaptureNames}
	if a.RecordingPath != "" {
		p := a.RecordingPath
		o.RecordingPath = &p
	}
	if o.Captured == nil {
		o.Captured = map[string]string{}
	}
	o.AMDResult = a.AMDResult
	if a.AMD != nil {
		ms := a.AMD.Milliseconds()
		o.AMDMS = &ms
	}
	if a.Q850 != 0 {
		q := a.Q850
		o.Q850 = &q
	}
	return o
}

func (a attemptOut) record(buf []string) []string {
	q850, amdMS := "", ""
	if a.Q850 != nil {
		q850 = strconv.Itoa(*a.Q850)
	}
	if a.AMDMS != nil {
		amdMS = strconv.FormatInt(*a.AMDMS, 10)
	}
	buf = append(buf[:0], strconv.FormatInt(a.ID, 10), strconv.FormatInt(a.MemberID, 10), a.ExternalKey, a.Number,
		a.UUID, str(a.CreatedAt), str(a.AnsweredAt), str(a.EndedAt), a.Cause, q850, string(a.Billsec), a.Class,
		strconv.FormatBool(a.Counted), a.BusinessResult, a.Agent, str(a.RecordingPath), a.AMDResult, amdMS)
	for _, name := range a.captureNames {
		buf = append(buf, a.Captured[name])
	}
	return buf
}

// headerOf gives a CSV export of attempts one column per captured variable.
func (a attemptOut) headerOf(base []string) []string {
	h := slices.Clip(base)
	for _, name := range a.captureNames {
		h = append(h, CapturePrefix+name)
	}
	return h
}

func timeOf(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := jsontime.Format(t)
	return &s
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// writer writes rows one at a time as CSV (with a header), a JSON array
// or JSON lines; nothing but the current row is held in memory.
type writer struct {
	format string
	header []string
	w      *bufio.Writer
	csv    *csv.Writer
	buf    bytes.Buffer
	enc    *json.Encoder
	record []string
	rows   int
}

func newWriter(w io.Writer, format string, header []string) *writer {
	e := &writer{format: format, header: header, w: bufio.NewWriterSize(w, 64<<10)}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	if format == "csv" {
		e.csv = csv.NewWriter(e.w)
	}
	return e
}

func (e *writer) write(r row) error {
	first := e.rows == 0
	e.rows++
	if e.csv != nil {
		if first {
			if h, ok := r.(interface{ headerOf([]string) []string }); ok {
				e.header = h.headerOf(e.header)
			}
			if err := e.csv.Write(e.header); err != nil {
				return err
			}
		}
		e.record = r.record(e.record)
		return e.csv.Write(e.record)
	}
	e.buf.Reset()
	if err := e.enc.Encode(r); err != nil {
		return fmt.Errorf("row %d: %w", e.rows, err)
	}
	if e.format == "json" {
		sep := ",\n"
		if first {
			sep = "[\n"
		}
		if _, err := e.w.WriteString(sep); err != nil {
			return err
		}
		e.buf.Truncate(e.buf.Len() - 1) // the encoder's newline
	}
	_, err := e.w.Write(e.buf.Bytes())
	return err
}

// close ends the document (the header alone for an empty CSV, "[]" for an
// empty JSON array) and flushes it.
func (e *writer) close() error {
	switch {
	case e.csv != nil:
		if e.rows == 0 {
			if err := e.csv.Write(e.header); err != nil {
				return err
			}
		}
		e.csv.Flush()
		if err := e.csv.Error(); err != nil {
			return err
		}
	case e.format == "json" && e.rows == 0:
		if _, err := e.w.WriteString("[]\n"); err != nil {
			return err
		}
	case e.format == "json":
		if _, err := e.w.WriteString("\n]\n"); err != nil {
			return err
		}
	}
	return e.w.Flush()
}
