package engine

import (
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
)

// TestEngine_NumbersWithoutOneZone: under timezone_policy number a
// toll-free number (every zone of North America) is never dialed at a
// guess. Its member ends as NO_TIMEZONE at once instead of waiting for
// ever, a member's other number is used instead, and a campaign with
// timezone_fallback: calendar calls it in the calendar's zone.
func TestEngine_NumbersWithoutOneZone(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, numbering)
	strict := h.campaign("name: strict\n"+ivr+"timezone_policy: number\n",
		"tollfree:+18005550101", "local:+12125550102", "both:+18005550103,+12125550104")
	lenient := h.campaign("name: lenient\n"+ivr+"timezone_policy: number\ntimezone_fallback: calendar\n",
		"tollfree:+18005550101")
	h.run(time.Minute, 100*time.Millisecond)
	dialed := map[string]bool{}
	for _, p := range h.sw.placed {
		dialed[p.req.Number] = true
	}
	ms := h.members(strict.ID)
	if got := ms["tollfree"]; got.State != dialer.MemberFailed || got.EndCause != "NO_TIMEZONE" {
		t.Errorf("toll-free member = %s %s, want failed NO_TIMEZONE", got.State, got.EndCause)
	}
	if dialed["+18005550103"] || !dialed["+12125550104"] || !dialed["+12125550102"] {
		t.Errorf("dialed %v: want the geographic numbers and no toll-free one of campaign strict", dialed)
	}
	rep, err := h.db.Report(h.ctx, strict.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.FailedByCause) != 1 || rep.FailedByCause[0] != (store.CauseCount{Cause: "NO_TIMEZONE", Count: 1}) {
		t.Errorf("report's failed members by cause = %+v, want NO_TIMEZONE: 1", rep.FailedByCause)
	}
	if got := h.members(lenient.ID)["tollfree"]; got.State != dialer.MemberDone {
		t.Errorf("toll-free member of the campaign with timezone_fallback: calendar = %s %s, want done", got.State, got.EndCause)
	}
}
