package engine

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
)

// attemptsByCause counts a campaign's attempts by cause.
func (h *harness) attemptsByCause(campaignID int64) map[string]int {
	h.t.Helper()
	out := map[string]int{}
	for _, m := range h.members(campaignID) {
		for _, a := range h.attemptsOf(m) {
			out[a.Cause]++
		}
	}
	return out
}

// TestAgents_AnsweredWithoutAgentIsAbandoned: a customer who answered and
// was never bridged to an agent ends ABANDONED (its own retry rule,
// counted), never ok, in either agent mode.
func TestAgents_AnsweredWithoutAgentIsAbandoned(t *testing.T) {
	for _, mode := range []string{progressive, preemptive} {
		t.Run(strings.Fields(mode)[1], func(t *testing.T) {
			h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, longCall(10*time.Second))
			c := h.campaign("name: ab\n"+mode+"limits: {lines: 1}\nretry: {max_attempts: 3, interval: 1h}\n", numbers(1, "01")...)
			h.agents("ab", agentSpec{name: "a", dest: "agent-1"})
			h.sw.bridgeErr = errors.New("uuid_bridge: -ERR Invalid uuid")
			h.run(30*time.Second, 100*time.Millisecond)
			if cust := h.customers(); len(cust) == 0 || cust[0].answered.IsZero() {
				t.Fatal("no customer answered: the test proves nothing")
			}
			as := h.attemptsOf(h.members(c.ID)["m0"])
			if len(as) == 0 || as[0].Cause != "ABANDONED" || as[0].Class != "retry" || !as[0].Counted {
				t.Fatalf("first attempt = %+v, want ABANDONED, retry, counted", as)
			}
			if len(as) != 1 || len(h.customers()) != 1 {
				t.Errorf("%d attempts, %d customers dialed: want 1, due again in an hour", len(as), len(h.customers()))
			}
			h.checkAgentsSettled()
		})
	}
}

// TestAgents_DeadAgentAbandonsOneCustomerAtMost: a progressive agent whose
// phone never answers, offered customers who hang up 4 s after answering
// (before its 10 s call timeout), abandons the first one only: from then
// on its phone rings before any customer is dialed, its ring-outs count,
// and it reaches its forced break without another customer dialed.
func TestAgents_DeadAgentAbandonsOneCustomerAtMost(t *testing.T) {
	for _, maxNoAnswer := range []int{1, 3} {
		t.Run("max_no_answer "+string(rune('0'+maxNoAnswer)), func(t *testing.T) {
			h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, longCall(4*time.Second))
			c := h.campaign("name: dead\n"+progressive+"agents: {hold_time: 30s}\nlimits: {lines: 5}\nretry: {max_attempts: 3, interval: 10m}\n",
				numbers(6, "33")...)
			h.agents("dead", agentSpec{name: "deaf", dest: "agent-noanswer-1", timeout: 10 * time.Second, noAns: 2 * time.Second,
				maxNoAnswer: maxNoAnswer})
			h.run(5*time.Minute, 100*time.Millisecond)
			causes := h.attemptsByCause(c.ID)
			if causes["ABANDONED"] != 1 {
				t.Errorf("attempts by cause %v: want exactly one ABANDONED", causes)
			}
			if n := len(h.customers()); n != 1 {
				t.Errorf("%d customers dialed for an agent who never answers, want 1", n)
			}
			a := h.agent("deaf")
			if a.State != dialer.AgentBreak || a.NoAnswerCount != maxNoAnswer {
				t.Errorf("agent = %s with %d no-answers, want a forced break after %d", a.State, a.NoAnswerCount, maxNoAnswer)
			}
			if n := len(h.agentLegs("deaf")); n != 1+maxNoAnswer {
				t.Errorf("%d offers, want the abandoned customer's and %d that rang out", n, maxNoAnswer)
			}
			// The offers that rang out dialed nobody: not the members' fault.
			if causes["AGENT_UNAVAILABLE"] != maxNoAnswer {
				t.Errorf("attempts by cause %v: want %d AGENT_UNAVAILABLE", causes, maxNoAnswer)
			}
			for name, m := range h.members(c.ID) {
				if m.Attempts > 1 {
					t.Errorf("member %s charged %d attempts", name, m.Attempts)
				}
			}
			h.checkAgentsSettled()
		})
	}
}

// TestAgents_RingCappedWhileCustomerWaits: while an answered customer
// waits, the agent's phone rings no longer than what is left of the hold
// time, whatever its call timeout; the ring-out counts and the customer is
// abandoned when the hold time ends, not when the agent's phone gives up.
func TestAgents_RingCappedWhileCustomerWaits(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, longCall(time.Hour))
	c := h.campaign("name: cap\n"+progressive+"agents: {hold_time: 8s}\nlimits: {lines: 1}\n", numbers(1, "01")...)
	h.agents("cap", agentSpec{name: "slow", dest: "agent-noanswer-1", timeout: 30 * time.Second, maxNoAnswer: 1})
	h.run(time.Minute, 100*time.Millisecond)
	legs := h.agentLegs("slow")
	if len(legs) != 1 {
		t.Fatalf("%d offers, want 1 before the forced break", len(legs))
	}
	if got := legs[0].req.RingTimeout; got > 8*time.Second {
		t.Errorf("agent rang with a %s timeout while the customer waited; hold time 8s", got)
	}
	cust := h.customers()
	if len(cust) != 1 {
		t.Fatalf("%d customers", len(cust))
	}
	if held := cust[0].end.Sub(cust[0].answered); held < 8*time.Second || held > 8*time.Second+200*time.Millisecond {
		t.Errorf("customer held %s after answer, hold time 8s", held)
	}
	if a := h.agent("slow"); a.State != dialer.AgentBreak || a.NoAnswerCount != 1 {
		t.Errorf("agent = %s with %d no-answers, want a forced break", a.State, a.NoAnswerCount)
	}
	as := h.attemptsOf(h.members(c.ID)["m0"])
	if len(as) != 1 || as[0].Cause != "ABANDONED" {
		t.Fatalf("attempts = %+v, want ABANDONED", as)
	}
	h.checkAgentsSettled()
}

// TestAgents_MissedAgentConfirmsFirst: a live agent whose customer hung
// up while its phone rang is not charged a no-answer, but its next
// customer is dialed only once it answered, and then bridged as usual.
func TestAgents_MissedAgentConfirmsFirst(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, func(n string) outcome {
		if strings.HasSuffix(n, "00") {
			// Hangs up half a second after answering: before the agent.
			return outcome{ring: time.Second, answer: true, talk: 500 * time.Millisecond}
		}
		return outcome{ring: time.Second, answer: true, talk: 10 * time.Second}
	})
	c := h.campaign("name: mc\n"+progressive+"limits: {lines: 1}\nretry: {max_attempts: 1}\n",
		"quick:+12125550100", "stays:+12125550101")
	h.agents("mc", agentSpec{name: "live", dest: "agent-1", maxNoAnswer: 1})
	h.run(time.Minute, 100*time.Millisecond)
	ms := h.members(c.ID)
	if as := h.attemptsOf(ms["quick"]); len(as) != 1 || as[0].Cause != "ABANDONED" {
		t.Fatalf("quick: attempts %+v, want ABANDONED", as)
	}
	legs := h.agentLegs("live")
	cust := h.customers()
	if len(legs) != 2 || len(cust) != 2 {
		t.Fatalf("%d agent legs and %d customers, want 2 and 2", len(legs), len(cust))
	}
	if second := legs[1]; second.answered.IsZero() || cust[1].at.Before(second.answered) {
		t.Errorf("second customer dialed at %s, its agent answered at %s: want the agent first", cust[1].at, second.answered)
	}
	if len(h.sw.bridges) != 1 || h.sw.bridges[0] != [2]string{cust[1].req.UUID, legs[1].req.UUID} {
		t.Errorf("bridges = %v, want the second customer with the agent's second leg", h.sw.bridges)
	}
	if as := h.attemptsOf(ms["stays"]); len(as) != 1 || as[0].Class != "ok" {
		t.Errorf("stays: attempts %+v, want ok", as)
	}
	if a := h.agent("live"); a.State == dialer.AgentBreak || a.NoAnswerCount != 0 {
		t.Errorf("agent = %s with %d no-answers: a customer who left is not the agent's no-answer", a.State, a.NoAnswerCount)
	}
	h.checkAgentsSettled()
}
