package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/fsdialer/dialer/store"
)

// TestEngine_ResultPolicies: the IVR's result (and sub-status) picks the
// rule, the rule decides the member's next state and its own interval,
// and the attempt records the rule; a result without a rule falls back to
// results.
func TestEngine_ResultPolicies(t *testing.T) {
	vars := map[string]map[string]string{
		"01": {"dialer_result": "3"},
		"02": {"dialer_result": "1"},
		"03": {"dialer_result": "3", "dialer_sub_status": "later"},
		"04": {"dialer_result": "5"},
	}
	h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, func(n string) outcome {
		return outcome{ring: time.Second, answer: true, talk: time.Second, vars: vars[n[len(n)-2:]]}
	})
	c := h.campaign(`name: rules
`+ivr+`retry: {max_attempts: 5, interval: 1h, max_minus: 2}
results: {"5": ok}
result_policies:
  rules:
    - {result: "3", policy: retry, interval: 2s, counted: false}
    - {result: "3", sub_status: later, policy: stop, cause: CALL_LATER}
    - {result: "1", policy: stop}
`, "again:+12125550101", "stop:+12125550102", "later:+12125550103", "mapped:+12125550104")
	h.run(time.Minute, 50*time.Millisecond)

	calls := map[string][]time.Time{}
	for _, p := range h.sw.placed {
		calls[p.req.Number] = append(calls[p.req.Number], p.at)
	}
	// Two free retries (max_minus 2), then counted ones until max_attempts.
	again := calls["+12125550101"]
	if len(again) != 7 {
		t.Fatalf("result 3 was called %d times, want 7 (2 uncounted, then 5 counted)", len(again))
	}
	for i := 1; i < len(again); i++ {
		// Each call takes 2 s (ring and talk), then the rule's 2 s.
		if gap := again[i].Sub(again[i-1]); gap < 4*time.Second || gap > 5*time.Second {
			t.Errorf("calls %d and %d of result 3 are %s apart, want the rule's 2 s after a 2 s call", i-1, i, gap)
		}
	}
	for _, n := range []string{"+12125550102", "+12125550103", "+12125550104"} {
		if len(calls[n]) != 1 {
			t.Errorf("%s called %d times, want once", n, len(calls[n]))
		}
	}

	ms := h.members(c.ID)
	for _, tt := range []struct {
		name     string
		state    dialer.MemberState
		end      string
		attempts int
		rule     string
	}{
		{"again", dialer.MemberFailed, "MAX_TRY_COUNT", 5, `result "3"`},
		{"stop", dialer.MemberFailed, "RESULT_STOP", 1, `result "1"`},
		{"later", dialer.MemberFailed, "CALL_LATER", 1, `result "3" sub_status "later"`},
		{"mapped", dialer.MemberDone, "", 1, ""},
	} {
		m := ms[tt.name]
		if m.State != tt.state || m.EndCause != tt.end || m.Attempts != tt.attempts {
			t.Errorf("%s: %s %q, %d attempts; want %s %q, %d", tt.name, m.State, m.EndCause, m.Attempts, tt.state, tt.end, tt.attempts)
		}
		last, ok, err := h.db.LastAttemptResult(h.ctx, m.ID)
		if err != nil || !ok {
			t.Fatalf("%s: last result: %v %v", tt.name, ok, err)
		}
		if last.PolicyRule != tt.rule {
			t.Errorf("%s: attempt rule %q, want %q", tt.name, last.PolicyRule, tt.rule)
		}
	}
	first := h.attemptsOf(ms["again"])[0]
	if first.Class != "minus" || first.Counted {
		t.Errorf("first attempt of result 3: class %s counted %v, want an uncounted minus", first.Class, first.Counted)
	}
	if last, _, _ := h.db.LastAttemptResult(h.ctx, ms["later"].ID); !strings.Contains(last.SubStatus, "later") {
		t.Errorf("sub-status recorded %q, want later", last.SubStatus)
	}
}

// TestEngine_HoldAndNotBefore: a held member is not dialed until it is
// released, and a member with a not_before only from then on.
func TestEngine_HoldAndNotBefore(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, numbering)
	c := h.campaign("name: hold\n"+ivr, "held:+12125550101", "free:+12125550102")
	later := memberfile.Member{Line: 9, Name: "later", Priority: 3, NotBefore: monday.Add(20 * time.Second),
		Numbers: []memberfile.Number{{Number: "+12125550103", Position: 1}}}
	if _, err := h.db.AddMembers(h.ctx, c.ID, []memberfile.Member{later}); err != nil {
		t.Fatal(err)
	}
	ms := h.members(c.ID)
	if _, _, err := h.db.HoldMembers(h.ctx, store.MemberFilter{}, []int64{ms["held"].ID}); err != nil {
		t.Fatal(err)
	}
	h.run(30*time.Second, 50*time.Millisecond)
	first := map[string]time.Time{}
	for _, p := range h.sw.placed {
		if _, ok := first[p.req.Number]; !ok {
			first[p.req.Number] = p.at
		}
	}
	if at, ok := first["+12125550101"]; ok {
		t.Fatalf("held member originated at %s", at)
	}
	if at, ok := first["+12125550103"]; !ok || at.Before(later.NotBefore) {
		t.Fatalf("member with not_before %s first called at %v (called: %v)", later.NotBefore, at, ok)
	}
	if _, ok := first["+12125550102"]; !ok {
		t.Fatal("a member neither held nor waiting for its window was not called")
	}
	if _, _, err := h.db.ReleaseMembers(h.ctx, store.MemberFilter{}, []int64{ms["held"].ID}); err != nil {
		t.Fatal(err)
	}
	released := h.clk.Now()
	h.run(10*time.Second, 50*time.Millisecond)
	var at time.Time
	for _, p := range h.sw.placed {
		if p.req.Number == "+12125550101" {
			at = p.at
			break
		}
	}
	if at.IsZero() || at.Before(released) {
		t.Fatalf("released member called at %v, want after its release at %s", at, released)
	}
}
