package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
)

// TestEngine_HangupRequests: a requested hang-up of a call in progress
// kills that channel with the request's cause and the attempt ends with
// it; a uuid that is no call of the engine's, and a request too old to
// be waited for, are refused with the reason; other calls go on.
func TestEngine_HangupRequests(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, func(string) outcome {
		return outcome{ring: time.Second, answer: true, stay: true}
	})
	c := h.campaign("name: stay\n"+ivr, numbers(3, "01")...)
	h.run(3*time.Second, 50*time.Millisecond)
	if len(h.sw.live) != 3 {
		t.Fatalf("%d calls up, want 3", len(h.sw.live))
	}
	target := h.sw.placed[0].req.UUID
	old, err := h.db.RequestHangups(h.ctx, []string{h.sw.placed[1].req.UUID}, dialer.HangupCause)
	if err != nil {
		t.Fatal(err)
	}
	h.clk.Advance(time.Minute)
	ids, err := h.db.RequestHangups(h.ctx, []string{target, "no-such-call"}, dialer.HangupCause)
	if err != nil {
		t.Fatal(err)
	}
	h.run(time.Second, 50*time.Millisecond)
	for _, tt := range []struct {
		id     int64
		state  string
		reason string
	}{
		{ids[0], dialer.HangupDone, ""},
		{ids[1], dialer.HangupFailed, "no-such-call is not a call in progress of this daemon"},
		{old[0], dialer.HangupFailed, "expired: not taken within 30s"},
	} {
		r, err := h.db.HangupRequest(h.ctx, tt.id)
		if err != nil {
			t.Fatal(err)
		}
		if r.State != tt.state || !strings.HasPrefix(r.Reason, tt.reason) {
			t.Errorf("request %d for %s = %s %q, want %s %q", r.ID, r.UUID, r.State, r.Reason, tt.state, tt.reason)
		}
	}
	open, err := h.db.OpenAttempts(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 2 {
		t.Fatalf("%d attempts open, want the 2 calls not hung up", len(open))
	}
	for _, m := range h.members(c.ID) {
		for _, a := range h.attemptsOf(m) {
			if a.UUID == target && (!a.Final || a.Cause != "MANAGER_REQUEST") {
				t.Errorf("hung up attempt = final %v cause %q, want final MANAGER_REQUEST", a.Final, a.Cause)
			}
		}
	}
}
