package main

import (
	"context"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
	"github.com/fsdialer/dialer/store"
)

// resultsCampaign is the lab IVR (the digit pressed is the business
// result) with result_policies: "3" is called again 2 s later without
// counting, "1" stops the member. The campaign's own interval is an hour,
// so a second call within the test can only come from the rule.
const resultsCampaign = `
name: results
mode: ivr
dial: {template: "loopback/{number}/dialer_lab"}
ivr: {extension: dialer_ivr_example, context: dialer_ivr}
limits: {lines: 5, calls: 10, interval: 1s, ring_timeout: 10s}
retry: {max_attempts: 2, interval: 1h, max_minus: 2}
result_policies:
  rules:
    - {result: "3", policy: retry, interval: 2s, counted: false}
    - {result: "1", policy: stop}
`

// TestServe_ResultPolicies: on both backends the lab IVR's digit decides
// by the campaign's rules, checked from the switch's own record: the
// member pressing 3 is called again after the rule's 2 s, twice free and
// then twice counted (max_minus 2, max_attempts 2), the one pressing 1 is
// called once and ends RESULT_STOP, and a digit with no rule (2) is judged
// by its cause: done after one call.
func TestServe_ResultPolicies(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 10, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		e := newE2E(t, sw)
		members := append(labMembers("r", 1, 3), "free:+12125550302")
		c := e.load(resultsCampaign+alwaysOpen, members)
		done := e.serve(e.ctx, serveOptions{untilDone: true, statusTick: 50 * time.Millisecond}, sw.Now)
		waitDaemon(t, done, 120*time.Second)

		calls := map[string][]span{}
		for _, s := range spans(sw, time.Time{}) {
			calls[s.number] = append(calls[s.number], s)
		}
		three := calls["+12125550103"]
		if len(three) != 4 {
			t.Fatalf("the member pressing 3 was called %d times, want 4 (2 free, 2 counted)", len(three))
		}
		for i := 1; i < len(three); i++ {
			// The rule's 2 s after the call ended, less the switch's clock
			// resolution; never the campaign's hour.
			if gap := three[i].start.Sub(three[i-1].end); gap < time.Second || gap > time.Minute {
				t.Errorf("call %d of the member pressing 3 came %s after the previous one ended, want the rule's 2 s", i, gap)
			}
		}
		for _, n := range []string{"+12125550101", "+12125550102", "+12125550302"} {
			if len(calls[n]) != 1 {
				t.Errorf("%s called %d times, want once", n, len(calls[n]))
			}
		}

		ms, err := e.db.Members(e.ctx, store.MemberFilter{CampaignID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]struct {
			state    dialer.MemberState
			end, why string
		}{
			"r01":  {dialer.MemberFailed, "RESULT_STOP", `result "1"`},
			"r02":  {dialer.MemberDone, "", ""},
			"r03":  {dialer.MemberFailed, "MAX_TRY_COUNT", `result "3"`},
			"free": {dialer.MemberDone, "", ""},
		}
		for _, m := range ms {
			w := want[m.Name]
			last, _, err := e.db.LastAttemptResult(e.ctx, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if m.State != w.state || m.EndCause != w.end || last.PolicyRule != w.why {
				t.Errorf("member %s = %s %q by rule %q, want %s %q by %q", m.Name, m.State, m.EndCause, last.PolicyRule,
					w.state, w.end, w.why)
			}
		}
	})
}

// TestServe_HoldAndNotBefore: on both backends, members held while the
// campaign runs are never originated until released, then are; a member
// whose not_before lies a little ahead is originated only after it.
// Checked from the switch's record.
func TestServe_HoldAndNotBefore(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 5, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		e := newE2E(t, sw)
		doc := `
name: holds
mode: ivr
dial: {template: "loopback/{number}/dialer_lab"}
ivr: {extension: dialer_ivr_example, context: dialer_ivr}
limits: {lines: 1, ring_timeout: 10s}
retry: {max_attempts: 1}
` + alwaysOpen
		c := e.load(doc, []string{"a1:+12125550100", "a2:+12125550101", "a3:+12125550102",
			"h1:+12125550103", "h2:+12125550104"})
		notBefore := sw.Now().Add(15 * time.Second).Truncate(time.Millisecond)
		late := memberfile.Member{Line: 9, Name: "late", Priority: 3, NotBefore: notBefore,
			Numbers: []memberfile.Number{{Number: "+12125550110", Type: "mobile", Position: 1}}}
		if _, err := e.db.AddMembers(e.ctx, c.ID, []memberfile.Member{late}); err != nil {
			t.Fatal(err)
		}
		byName := map[string]dialer.Member{}
		ms, _ := e.db.Members(e.ctx, store.MemberFilter{CampaignID: c.ID})
		for _, m := range ms {
			byName[m.Name] = m
		}
		ctx, cancel := context.WithCancel(e.ctx)
		defer cancel()
		done := e.serve(ctx, serveOptions{untilDone: true, statusTick: 50 * time.Millisecond}, sw.Now)
		// lines: 1, so h1 and h2 wait behind a1..a3: hold them while a1 rings.
		waitFor(t, 30*time.Second, "the first call", func() bool { return len(spans(sw, time.Time{})) > 0 })
		if n, _, err := e.db.HoldMembers(e.ctx, store.MemberFilter{}, []int64{byName["h1"].ID, byName["h2"].ID}); err != nil || n != 2 {
			t.Fatalf("hold = %d, %v", n, err)
		}
		waitFor(t, 90*time.Second, "the late member's call to end", func() bool {
			m, err := e.db.Member(e.ctx, byName["late"].ID)
			return err == nil && m.State == dialer.MemberDone
		})
		releasedAt := sw.Now()
		for _, s := range spans(sw, time.Time{}) {
			switch s.number {
			case "+12125550103", "+12125550104":
				t.Fatalf("held member %s originated at %s, before its release at %s", s.number, s.start, releasedAt)
			case "+12125550110":
				// A real switch's event times may trail the daemon's clock.
				if s.start.Before(notBefore.Add(-switchtest.ClockLag)) {
					t.Errorf("member with not_before %s originated at %s", notBefore, s.start)
				}
			}
		}
		if n, _, err := e.db.ReleaseMembers(e.ctx, store.MemberFilter{CampaignID: c.ID}, nil); err != nil || n != 2 {
			t.Fatalf("release = %d, %v", n, err)
		}
		waitDaemon(t, done, 90*time.Second)
		seen := map[string]bool{}
		for _, s := range spans(sw, time.Time{}) {
			seen[s.number] = true
			if (s.number == "+12125550103" || s.number == "+12125550104") && s.start.Before(releasedAt.Add(-switchtest.ClockLag)) {
				t.Errorf("held member %s originated at %s, before its release at %s", s.number, s.start, releasedAt)
			}
		}
		for _, n := range []string{"+12125550100", "+12125550101", "+12125550102", "+12125550103", "+12125550104", "+12125550110"} {
			if !seen[n] {
				t.Errorf("%s was never called", n)
			}
		}
		got, _ := e.db.Campaign(e.ctx, c.Name)
		if got.State != dialer.StateFinished {
			t.Errorf("campaign %s after the released members were called, want finished", got.State)
		}
	})
}

// subStatusCampaign runs the lab's survey IVR, which keeps the callee's
// digit in survey_q1, and reads survey_q1 as the sub-status: the most
// specific rule (result and sub-status) must win over the result's own.
const subStatusCampaign = `
name: substatus
mode: ivr
dial: {template: "loopback/{number}/dialer_lab"}
ivr: {extension: dialer_ivr_survey, context: dialer_ivr, sub_status_variable: survey_q1}
limits: {lines: 5, calls: 10, interval: 1s, ring_timeout: 10s}
retry: {max_attempts: 2, interval: 1h}
result_policies:
  rules:
    - {result: "4", sub_status: "4", policy: stop, cause: SURVEY_STOP}
    - {result: "4", policy: ok}
    - {result: "2", sub_status: "9", policy: stop}
`

// TestServe_ResultSubStatusFromTheSwitch: on both backends the sub-status
// comes from the channel variable the IVR set on the switch. The member
// pressing 4 (sub-status 4) ends by the result-and-sub-status rule, not by
// the result's own; the one pressing 2 (sub-status 2) matches no rule and
// is judged by its cause. Each is called once (the switch's record).
func TestServe_ResultSubStatusFromTheSwitch(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 5, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		e := newE2E(t, sw)
		c := e.load(subStatusCampaign+alwaysOpen, []string{"a04:+12125550104", "b12:+12125550112"})
		done := e.serve(e.ctx, serveOptions{untilDone: true, statusTick: 50 * time.Millisecond}, sw.Now)
		waitDaemon(t, done, 90*time.Second)

		calls := map[string]int{}
		for _, s := range spans(sw, time.Time{}) {
			calls[s.number]++
		}
		for _, n := range []string{"+12125550104", "+12125550112"} {
			if calls[n] != 1 {
				t.Errorf("%s called %d times, want once", n, calls[n])
			}
		}
		ms, err := e.db.Members(e.ctx, store.MemberFilter{CampaignID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]struct {
			state          dialer.MemberState
			end, sub, rule string
		}{
			"a04": {dialer.MemberFailed, "SURVEY_STOP", "4", `result "4" sub_status "4"`},
			"b12": {dialer.MemberDone, "", "2", ""},
		}
		for _, m := range ms {
			w := want[m.Name]
			last, _, err := e.db.LastAttemptResult(e.ctx, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if m.State != w.state || m.EndCause != w.end || last.SubStatus != w.sub || last.PolicyRule != w.rule {
				t.Errorf("member %s = %s %q, sub-status %q by rule %q; want %s %q, %q by %q", m.Name, m.State, m.EndCause,
					last.SubStatus, last.PolicyRule, w.state, w.end, w.sub, w.rule)
			}
		}
	})
}
