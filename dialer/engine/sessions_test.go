package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
)

// TestSessions_OneLegForEveryCall: a persistent agent is called once; in
// progressive, preemptive and predictive mode every customer is bridged
// into that one leg, at the customer's answer (no phone rings in
// between), wrap-up included; a logout then hangs the leg up.
func TestSessions_OneLegForEveryCall(t *testing.T) {
	for _, mode := range []string{progressive, preemptive, predictive} {
		t.Run(strings.Fields(mode)[1], func(t *testing.T) {
			w := &waits{}
			h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10, Observer: w}, longCall(3*time.Second))
			c := h.campaign("name: ps\n"+mode+"limits: {lines: 1}\nretry: {max_attempts: 1}\n", numbers(5, "01")...)
			h.agents("ps", agentSpec{name: "a", dest: "agent-1", wrap: 2 * time.Second, session: dialer.SessionPersistent})
			h.run(60*time.Second, 100*time.Millisecond)

			legs := h.agentLegs("a")
			if len(legs) != 1 {
				t.Fatalf("%d agent legs placed, want the one session leg", len(legs))
			}
			leg := legs[0]
			if leg.req.Vars["park_after_bridge"] != "true" {
				t.Errorf("session leg vars %v: want park_after_bridge=true so the leg waits after each call", leg.req.Vars)
			}
			if h.sw.live[leg.req.UUID] == nil {
				t.Fatal("the session leg ended between calls")
			}
			if n := len(h.sw.bridges); n != 5 {
				t.Errorf("%d bridges, want one per customer (5)", n)
			}
			for _, b := range h.sw.bridges {
				if b[1] != leg.req.UUID && b[0] != leg.req.UUID {
					t.Errorf("bridge %v is not into the session leg %s", b, leg.req.UUID)
				}
			}
			if causes := h.attemptsByCause(c.ID); causes["NORMAL_CLEARING"] != 5 {
				t.Errorf("attempts by cause %v, want 5 NORMAL_CLEARING", causes)
			}
			if len(w.d) != 5 {
				t.Errorf("%d connect times observed, want 5", len(w.d))
			}
			for _, d := range w.d {
				if d > 100*time.Millisecond {
					t.Errorf("customer waited %v for the agent on the line, want at most a tick", d)
				}
			}
			if a := h.agent("a"); a.State != dialer.AgentAvailable {
				t.Errorf("agent %s after the calls and wrap-up, want available", a.State)
			}

			if _, err := h.db.RequestAgentState(h.ctx, "a", dialer.AgentLoggedOut); err != nil {
				t.Fatal(err)
			}
			h.run(3*time.Second, 100*time.Millisecond)
			if h.sw.live[leg.req.UUID] != nil {
				t.Error("the session leg is still up after the logout")
			}
			if a := h.agent("a"); a.State != dialer.AgentLoggedOut {
				t.Errorf("agent %s after the logout, want logged_out", a.State)
			}
			h.checkAgentsSettled()
		})
	}
}

// TestSessions_AgentHangsUp: a persistent leg the agent hangs up between
// calls (in wrap-up) logs the agent out; with on_drop: redial the phone is
// called again and calls go on.
func TestSessions_AgentHangsUp(t *testing.T) {
	for _, onDrop := range []string{dialer.OnDropLogout, dialer.OnDropRedial} {
		t.Run(onDrop, func(t *testing.T) {
			h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, longCall(3*time.Second))
			c := h.campaign("name: pd\n"+progressive+"limits: {lines: 1}\nretry: {max_attempts: 1}\n", numbers(4, "01")...)
			h.agents("pd", agentSpec{name: "a", dest: "agent-1", wrap: 5 * time.Second, session: dialer.SessionPersistent, onDrop: onDrop})
			h.run(3*time.Second, 100*time.Millisecond)
			legs := h.agentLegs("a")
			if len(legs) != 1 || legs[0].answered.IsZero() {
				t.Fatalf("session leg %v, want one, answered", legs)
			}
			// Between calls: in the wrap-up after the first.
			for i := 0; h.agent("a").State != dialer.AgentWrapUp; i++ {
				if i == 200 {
					t.Fatal("the agent never wrapped up")
				}
				h.run(100*time.Millisecond, 100*time.Millisecond)
			}
			h.sw.hangup(legs[0].req.UUID, "NORMAL_CLEARING", h.clk.Now())
			h.run(30*time.Second, 100*time.Millisecond)

			a := h.agent("a")
			legs = h.agentLegs("a")
			causes := h.attemptsByCause(c.ID)
			switch onDrop {
			case dialer.OnDropLogout:
				if a.State != dialer.AgentLoggedOut || len(legs) != 1 {
					t.Errorf("agent %s with %d legs, want logged_out with its one leg", a.State, len(legs))
				}
				if causes["NORMAL_CLEARING"] == 4 {
					t.Error("every member was called after the agent left")
				}
			case dialer.OnDropRedial:
				if len(legs) != 2 || a.State != dialer.AgentAvailable {
					t.Errorf("agent %s with %d legs, want available on a second leg", a.State, len(legs))
				}
				if causes["NORMAL_CLEARING"] != 4 {
					t.Errorf("attempts by cause %v, want all 4 members served", causes)
				}
			}
			h.checkAgentsSettled()
		})
	}
}

// TestSessions_TakenBackAfterARestart: a daemon that dies while an agent
// waits on its session leaves the leg parked on the phone; the next start
// takes that leg back and bridges the next customers into it instead of
// calling the phone again. A leg that is gone by then is cleared and the
// phone called anew.
func TestSessions_TakenBackAfterARestart(t *testing.T) {
	for _, gone := range []bool{false, true} {
		name := "leg still up"
		if gone {
			name = "leg gone"
		}
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, longCall(3*time.Second))
			c := h.campaign("name: pr\n"+progressive+"limits: {lines: 1}\nretry: {max_attempts: 1}\n", numbers(4, "01")...)
			h.agents("pr", agentSpec{name: "a", dest: "agent-1", wrap: 5 * time.Second, session: dialer.SessionPersistent})
			for i := 0; h.agent("a").State != dialer.AgentWrapUp; i++ {
				if i == 200 {
					t.Fatal("the agent never wrapped up")
				}
				h.run(100*time.Millisecond, 100*time.Millisecond)
			}
			leg := h.agentLegs("a")[0].req.UUID
			if gone {
				h.sw.hangup(leg, "NORMAL_CLEARING", h.clk.Now())
				h.sw.deliver(h.clk.Now())
				for len(h.sw.updates) > 0 {
					<-h.sw.updates // the dead daemon never saw it
				}
			}
			// The daemon dies; a new one starts on the same store and switch.
			n := 0
			h.e = New(Config{MaxCalls: 10, MaxCPS: 10, Now: h.clk.Now, Logger: h.e.log,
				NewUUID: func() string { n++; return fmt.Sprintf("restart-%d", n) }}, h.db, h.sw)
			h.run(60*time.Second, 100*time.Millisecond)

			legs := h.agentLegs("a")
			if want := map[bool]int{false: 1, true: 2}[gone]; len(legs) != want {
				t.Errorf("%d agent legs placed, want %d", len(legs), want)
			}
			if causes := h.attemptsByCause(c.ID); causes["NORMAL_CLEARING"] != 4 {
				t.Errorf("attempts by cause %v, want all 4 served", causes)
			}
			if last := legs[len(legs)-1]; h.sw.live[last.req.UUID] == nil {
				t.Error("the session leg is not up after the calls")
			}
			h.checkAgentsSettled()
		})
	}
}

// TestSessions_FailedCallWaitsBeforeTheNext: a session call to a busy
// phone is not placed again at once, however short the agent's
// busy_delay: one call per sessionRetry at most.
func TestSessions_FailedCallWaitsBeforeTheNext(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, longCall(3*time.Second))
	h.campaign("name: pb\n"+progressive+"limits: {lines: 1}\n", numbers(2, "01")...)
	h.agents("pb", agentSpec{name: "a", dest: "agent-busy-1", session: dialer.SessionPersistent})
	h.run(30*time.Second, 100*time.Millisecond)
	legs := h.agentLegs("a")
	if len(legs) < 2 || len(legs) > 30/5+1 {
		t.Fatalf("%d session calls to a busy phone in 30 s, want one per %s", len(legs), sessionRetry)
	}
	for i := 1; i < len(legs); i++ {
		if gap := legs[i].at.Sub(legs[i-1].at); gap < sessionRetry {
			t.Errorf("session call %d placed %v after the last, want at least %v", i, gap, sessionRetry)
		}
	}
	if n := len(h.customers()); n != 0 {
		t.Errorf("%d customers dialed with no agent on the line", n)
	}
}
