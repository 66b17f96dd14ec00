package engine

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

const predictive = `
mode: predictive
dial: {template: "loopback/{number}/dialer_lab"}
`

// waits records the customers' waits for an agent (Observer.Connected).
type waits struct {
	noObserver
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) Connected(_ string, d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.d = append(w.d, d)
}

// TestPredictive_DialsAheadAndPlaysTheMessage: with a fixed ratio of 3 and
// two agents, six customers are dialed at once; all answer, two reach an
// agent, and each of the others hears the abandon message exactly
// abandon.after after its answer, then is hung up: ABANDONED, counted.
func TestPredictive_DialsAheadAndPlaysTheMessage(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 50, MaxCPS: 50}, longCall(20*time.Second))
	c := h.campaign("name: pd\n"+predictive+`predictive: {ratio: 3}
abandon: {after: 2s, message: "tone_stream://%(400,200,440);loops=2"}
limits: {lines: 20}
retry: {max_attempts: 3, interval: 1h}
`, numbers(12, "01")...)
	h.agents("pd", agentSpec{name: "a1", dest: "agent-1"}, agentSpec{name: "a2", dest: "agent-2"})
	h.run(15*time.Second, 100*time.Millisecond)

	cust := h.customers()
	if len(cust) != 6 {
		t.Fatalf("%d customers dialed for 2 free agents at ratio 3, want 6", len(cust))
	}
	bridged, abandoned := 0, map[string]bool{}
	for _, p := range cust {
		if p.bridged != "" {
			bridged++
		}
	}
	if bridged != 2 {
		t.Errorf("%d customers bridged, want one per agent (2)", bridged)
	}
	for _, m := range h.sw.messages {
		p := h.sw.byUUID[m.uuid]
		if p == nil || p.agent != "" {
			t.Fatalf("message played to %s, not a customer", m.uuid)
		}
		if m.media != "tone_stream://%(400,200,440);loops=2" {
			t.Errorf("message %q, want the campaign's", m.media)
		}
		if wait := m.at.Sub(p.answered); wait < 2*time.Second || wait > 2*time.Second+100*time.Millisecond {
			t.Errorf("message played %v after the answer, want abandon.after (2 s) to the tick", wait)
		}
		abandoned[m.uuid] = true
	}
	if len(abandoned) != 4 {
		t.Errorf("%d customers heard the message, want the 4 no agent took", len(abandoned))
	}
	causes := h.attemptsByCause(c.ID)
	if causes["ABANDONED"] != 4 {
		t.Errorf("attempts by cause %v, want 4 ABANDONED", causes)
	}
	for _, m := range h.members(c.ID) {
		for _, a := range h.attemptsOf(m) {
			if a.Cause == "ABANDONED" && (!a.Counted || a.Class != "retry") {
				t.Errorf("abandoned attempt %+v: want counted, retry", a)
			}
		}
	}
}

// TestPredictive_StartsProgressive: an adaptive campaign with no
// statistics yet dials one customer per free agent.
func TestPredictive_StartsProgressive(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 50, MaxCPS: 50}, longCall(30*time.Second))
	h.campaign("name: ps\n"+predictive+"limits: {lines: 20}\n", numbers(20, "01")...)
	h.agents("ps", agentSpec{name: "a1", dest: "agent-1"}, agentSpec{name: "a2", dest: "agent-2"},
		agentSpec{name: "a3", dest: "agent-3"})
	h.run(10*time.Second, 100*time.Millisecond)
	if n := len(h.customers()); n != 3 {
		t.Errorf("%d customers dialed with no statistics and 3 agents, want 3", n)
	}
	if n := len(h.sw.messages); n != 0 {
		t.Errorf("%d abandon messages, want none", n)
	}
}

// TestPredictive_AdaptiveDialsAheadUnderTheTarget: once it has seen
// enough calls, with one customer in four answering, the pacer dials ahead
// of the agents: over the same quarter hour its five agents talk to more
// customers than progressive's (76 to 62 when written), and abandons stay
// under the 3% target.
func TestPredictive_AdaptiveDialsAheadUnderTheTarget(t *testing.T) {
	// Three in four numbers ring 8 s and fail; the fourth answers after 4 s
	// and talks 40 s.
	oc := func(n string) outcome {
		if n[len(n)-2:] == "00" {
			return outcome{ring: 4 * time.Second, answer: true, talk: 40 * time.Second}
		}
		return outcome{ring: 8 * time.Second, cause: "NO_ANSWER"}
	}
	var members []string
	for i := range 600 {
		last := "17"
		if i%4 == 0 {
			last = "00"
		}
		members = append(members, fmt.Sprintf("m%d:+1212%07d%s", i, 3000000+i, last))
	}
	talked := map[string]int{}
	for _, mode := range []string{progressive, predictive} {
		h := newHarness(t, monday, Config{MaxCalls: 100, MaxCPS: 100}, oc)
		c := h.campaign("name: pa\n"+mode+"limits: {lines: 60}\nretry: {max_attempts: 1}\n", members...)
		var specs []agentSpec
		for i := range 5 {
			specs = append(specs, agentSpec{name: fmt.Sprintf("a%d", i), dest: fmt.Sprintf("agent-%d", i), wrap: 2 * time.Second})
		}
		h.agents("pa", specs...)
		h.run(15*time.Minute, 100*time.Millisecond)
		causes := h.attemptsByCause(c.ID)
		talked[string(c.Mode)] = causes["NORMAL_CLEARING"]
		t.Logf("%s: %v", c.Mode, causes)
		if answered := causes["NORMAL_CLEARING"] + causes["ABANDONED"]; answered > 0 {
			if rate := float64(causes["ABANDONED"]) / float64(answered); rate > 0.03 {
				t.Errorf("%s: abandon rate %.1f%% (%v), want at most the 3%% target", c.Mode, rate*100, causes)
			}
		}
	}
	if float64(talked["predictive"]) < 1.15*float64(talked["progressive"]) {
		t.Errorf("conversations: %v; want predictive at least 15%% above progressive", talked)
	}
}

// TestPredictive_MachinesAreNoAnswer: with answering-machine detection a
// machine's answer is no answer to the pacer: its statistics count the
// people who answered, not the machines, so machines never make it dial
// ahead for customers who are not there.
func TestPredictive_MachinesAreNoAnswer(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 50, MaxCPS: 50}, amdPlan(nil))
	var members []string
	for i := range 12 {
		tail := "00001"
		if i%2 == 0 {
			tail = "88801"
		}
		members = append(members, fmt.Sprintf("m%d:+1212%04d%s", i, 7000+i, tail))
	}
	c := h.campaign("name: pm\n"+predictive+"amd: {engine: avmd}\nlimits: {lines: 20}\nretry: {max_attempts: 1}\n", members...)
	h.agents("pm", agentSpec{name: "a1", dest: "agent-1", session: "persistent"},
		agentSpec{name: "a2", dest: "agent-2", session: "persistent"})
	h.run(100*time.Millisecond, 100*time.Millisecond)
	cs := h.e.campaigns[c.ID] // kept: the campaign is unloaded when it finishes
	h.run(2*time.Minute, 100*time.Millisecond)
	causes := h.attemptsByCause(c.ID)
	if causes["MACHINE"] != 6 || causes["NORMAL_CLEARING"] != 6 {
		t.Fatalf("attempts by cause %v, want 6 MACHINE and 6 NORMAL_CLEARING", causes)
	}
	answered := 0
	pc := cs.pacer
	for _, s := range pc.samples {
		if s.answered {
			answered++
		}
	}
	if len(pc.samples) != 12 || answered != 6 {
		t.Errorf("pacer saw %d calls, %d answered; want 12 calls, the 6 people answered", len(pc.samples), answered)
	}
	if len(pc.left) != 0 {
		t.Errorf("pacer counted %d customers left without an agent; the machines are not", len(pc.left))
	}
}
