package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
)

const progressive = `
mode: progressive
dial: {template: "loopback/{number}/dialer_lab"}
`

const preemptive = `
mode: preemptive
dial: {template: "loopback/{number}/dialer_lab"}
`

// agentSpec is one agent of a test: name:endpoint-destination with its
// settings, tiered to campaign at level.
type agentSpec struct {
	name, dest                         string
	level                              int
	timeout, wrap, busy, reject, noAns time.Duration
	maxNoAnswer                        int
	session, onDrop                    string
	node                               string
}

// agents applies agents tiered to campaign and logs them in (available),
// one second apart in the order given so that the first is idle longest.
func (h *harness) agents(campaign string, specs ...agentSpec) {
	h.t.Helper()
	var list []dialer.Agent
	for _, s := range specs {
		a := dialer.Agent{Name: s.name, Endpoint: "loopback/" + s.dest + "/dialer_lab", CallTimeout: dialer.Duration(s.timeout),
			WrapUp: dialer.Duration(s.wrap), MaxNoAnswer: s.maxNoAnswer, BusyDelay: dialer.Duration(s.busy),
			RejectDelay: dialer.Duration(s.reject), NoAnswerDelay: dialer.Duration(s.noAns),
			Tiers: []dialer.Tier{{Campaign: campaign, Level: max(s.level, 1)}}, Session: s.session, OnDrop: s.onDrop,
			Node: s.node}
		if a.CallTimeout == 0 {
			a.CallTimeout = dialer.Duration(10 * time.Second)
		}
		list = append(list, a)
	}
	if _, err := h.db.ApplyAgents(h.ctx, list); err != nil {
		h.t.Fatal(err)
	}
	for _, s := range specs {
		h.login(s.name)
		h.clk.Advance(time.Second)
	}
}

func (h *harness) login(name string) {
	h.t.Helper()
	if _, err := h.db.RequestAgentState(h.ctx, name, dialer.AgentAvailable); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) agent(name string) *dialer.Agent {
	h.t.Helper()
	a, err := h.db.Agent(h.ctx, name)
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}

// agentLegs are the agent legs placed, in order, optionally of one agent.
func (h *harness) agentLegs(name string) []*placed {
	var out []*placed
	for _, p := range h.sw.placed {
		if p.agent != "" && (name == "" || p.agent == name) {
			out = append(out, p)
		}
	}
	return out
}

// customers are the customer calls placed, in order.
func (h *harness) customers() []*placed {
	var out []*placed
	for _, p := range h.sw.placed {
		if p.agent == "" {
			out = append(out, p)
		}
	}
	return out
}

// longCall answers after 1 s and talks for d.
func longCall(d time.Duration) func(string) outcome {
	return func(n string) outcome {
		if strings.HasSuffix(n, "55") {
			return outcome{ring: time.Second, cause: "USER_BUSY"}
		}
		return outcome{ring: time.Second, answer: true, talk: d}
	}
}

// checkAgentsSettled fails if an agent is left reserved or ringing, or any
// attempt is open.
func (h *harness) checkAgentsSettled() {
	h.t.Helper()
	as, err := h.db.Agents(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, a := range as {
		if a.State == dialer.AgentReserved || a.State == dialer.AgentRinging {
			h.t.Errorf("agent %s left %s", a.Name, a.State)
		}
	}
	open, _ := h.db.OpenAttempts(h.ctx)
	if len(open) != 0 {
		h.t.Errorf("%d attempts open", len(open))
	}
}

func TestAgents_SelectionOrder(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, longCall(10*time.Second))
	h.campaign("name: sel\n"+progressive+"limits: {lines: 1}\n", numbers(3, "01")...)
	// low is tiered at level 2; early became available before late.
	h.agents("sel",
		agentSpec{name: "low", dest: "agent-1", level: 2},
		agentSpec{name: "early", dest: "agent-2"},
		agentSpec{name: "late", dest: "agent-3"})
	h.run(2*time.Minute, 100*time.Millisecond)
	var got []string
	for _, p := range h.agentLegs("") {
		got = append(got, p.agent)
	}
	// early, then late (idle longer than early, who just talked), then early.
	if want := "early,late,early"; strings.Join(got, ",") != want {
		t.Fatalf("offers went to %v, want %s: level 1 before 2, longest idle first", got, want)
	}
	if n := len(h.sw.bridges); n != 3 {
		t.Errorf("%d bridges, want 3", n)
	}
	h.checkAgentsSettled()
}

func TestAgents_DelaysToTheSecond(t *testing.T) {
	for _, tc := range []struct {
		dest  string
		spec  agentSpec
		cycle time.Duration // ring until failure + delay
	}{
		{"agent-busy-1", agentSpec{busy: 7 * time.Second}, time.Second + 7*time.Second},
		{"agent-reject-1", agentSpec{reject: 9 * time.Second}, time.Second + 9*time.Second},
		{"agent-noanswer-1", agentSpec{timeout: 5 * time.Second, noAns: 11 * time.Second}, 5*time.Second + 11*time.Second},
	} {
		t.Run(tc.dest, func(t *testing.T) {
			h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, longCall(time.Hour))
			h.campaign("name: d\n"+progressive+"agents: {hold_time: 10m}\nlimits: {lines: 1}\n", numbers(1, "01")...)
			spec := tc.spec
			spec.name, spec.dest = "a", tc.dest
			h.agents("d", spec)
			h.run(70*time.Second, 100*time.Millisecond)
			legs := h.agentLegs("a")
			if len(legs) < 3 {
				t.Fatalf("%d offers in 70 s, want at least 3", len(legs))
			}
			for i := 1; i < len(legs); i++ {
				if gap := legs[i].at.Sub(legs[i-1].at); gap < tc.cycle || gap > tc.cycle+100*time.Millisecond {
					t.Fatalf("offer %d came %s after the previous, want %s (ring + delay)", i, gap, tc.cycle)
				}
			}
			if len(h.customers()) != 1 {
				t.Errorf("%d customers dialed, want the one waiting within its hold time", len(h.customers()))
			}
		})
	}
}

func TestAgents_ForcedBreakAndAbandon(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, longCall(time.Hour))
	c := h.campaign("name: fb\n"+progressive+"agents: {hold_time: 30s}\nlimits: {lines: 1}\n", numbers(1, "01")...)
	h.agents("fb", agentSpec{name: "na", dest: "agent-noanswer-1", timeout: 5 * time.Second, noAns: 3 * time.Second, maxNoAnswer: 2})
	h.run(2*time.Minute, 100*time.Millisecond)
	if n := len(h.agentLegs("na")); n != 2 {
		t.Fatalf("%d offers, want 2 before the forced break", n)
	}
	if a := h.agent("na"); a.State != dialer.AgentBreak || a.NoAnswerCount != 2 {
		t.Fatalf("agent = %s count %d, want break after 2 no-answers", a.State, a.NoAnswerCount)
	}
	cust := h.customers()
	if len(cust) != 1 {
		t.Fatalf("%d customers dialed", len(cust))
	}
	// Answered 1 s after the originate, abandoned when the 30 s hold ran out.
	if held := cust[0].end.Sub(cust[0].answered); held < 30*time.Second || held > 30*time.Second+200*time.Millisecond {
		t.Errorf("customer held %s after answer, hold time 30s", held)
	}
	m := h.members(c.ID)["m0"]
	as := h.attemptsOf(m)
	if len(as) != 1 || as[0].Cause != "ABANDONED" || as[0].Class != "retry" || !as[0].Counted {
		t.Fatalf("attempt = %+v, want ABANDONED retry counted", as)
	}
	if m.State != dialer.MemberWaiting || m.Attempts != 1 {
		t.Errorf("member = %s attempts %d, want waiting for a retry", m.State, m.Attempts)
	}
	h.checkAgentsSettled()
}

func TestAgents_FailedCustomerFreesAgentAtOnce(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, longCall(time.Minute))
	h.campaign("name: ff\n"+progressive+"limits: {lines: 5}\n", numbers(4, "55")...)
	h.agents("ff", agentSpec{name: "solo", dest: "agent-1", noAns: time.Minute, busy: time.Minute})
	h.run(10*time.Second, 100*time.Millisecond)
	cust := h.customers()
	if len(cust) != 4 {
		t.Fatalf("%d customers dialed in 10 s, want all 4 one after the other", len(cust))
	}
	for i := 1; i < len(cust); i++ {
		if gap := cust[i].at.Sub(cust[i-1].end); gap < 0 || gap > 100*time.Millisecond {
			t.Fatalf("customer %d dialed %s after the previous failed: the agent was not released at once", i, gap)
		}
	}
	if n := len(h.agentLegs("")); n != 0 {
		t.Errorf("%d agent legs for customers who never answered", n)
	}
	if a := h.agent("solo"); a.State != dialer.AgentAvailable || !a.ReadyAt.IsZero() || a.NoAnswerCount != 0 {
		t.Errorf("agent = %s ready %s count %d, want available with no penalty", a.State, a.ReadyAt, a.NoAnswerCount)
	}
}

func TestAgents_ProgressiveNeverOutnumbersAgents(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 50, MaxCPS: 50}, numbering)
	h.campaign("name: pn\n"+progressive+"limits: {lines: 20}\nretry: {max_attempts: 1}\n", mixed(40)...)
	h.agents("pn", agentSpec{name: "a1", dest: "agent-1", wrap: 2 * time.Second},
		agentSpec{name: "a2", dest: "agent-2", wrap: 2 * time.Second},
		agentSpec{name: "a3", dest: "agent-3", wrap: 2 * time.Second})
	h.sw.onOriginate = func(req OriginateRequest) {
		if req.Endpoint != "" {
			return
		}
		live := 1
		for _, p := range h.sw.live {
			if p.agent == "" {
				live++
			}
		}
		held := 0
		for _, ag := range h.e.agents {
			if ag.call != nil {
				held++
			}
		}
		if live > held {
			t.Errorf("customer %s dialed: %d customer calls, %d agents reserved", req.UUID, live, held)
		}
	}
	h.run(10*time.Minute, 100*time.Millisecond)
	if got := h.sw.maxConcurrent("pn"); got > 3 {
		t.Errorf("%d customer calls at once, 3 agents", got)
	}
	for _, b := range h.sw.bridges {
		c, a := h.sw.byUUID[b[0]], h.sw.byUUID[b[1]]
		if c.agent != "" || a.agent == "" || a.req.Vars["dialer_attempt_id"] == "" {
			t.Errorf("bridge %v is not customer-agent", b)
		}
	}
	if len(h.sw.bridges) != 20 {
		t.Errorf("%d bridges, want the 20 answering members", len(h.sw.bridges))
	}
	h.checkAgentsSettled()
	r, err := h.db.Report(h.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	talked, answered := 0.0, 0
	for _, f := range r.Agents {
		talked += f.TalkSeconds
		answered += f.Answered
	}
	if answered != 20 {
		t.Errorf("agents answered %d offers, want the 20 answering members'", answered)
	}
	// Each call is bridged once the agent answers, 1 s after the customer,
	// so 9 of its 10 s are talk (bridged_at..bridge_ended_at).
	if talked != 20*9 {
		t.Errorf("agents talked %v s, want 20 x 9 s", talked)
	}
}

// mixed is n members on the numbering plan: half answer, the rest busy,
// no answer, rejected or congested.
func mixed(n int) []string {
	tails := []string{"01", "55", "02", "61", "03", "81", "04", "91"}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("x%d:+1212%05d%s", i, 30000+i, tails[i%len(tails)])
	}
	return out
}

func TestAgents_PreemptiveAgentFirst(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 50, MaxCPS: 50}, numbering)
	c := h.campaign("name: pre\n"+preemptive+"limits: {lines: 10}\nretry: {max_attempts: 1}\n", mixed(16)...)
	h.agents("pre", agentSpec{name: "good", dest: "agent-1"},
		agentSpec{name: "busy", dest: "agent-busy-2", busy: 5 * time.Second},
		agentSpec{name: "deaf", dest: "agent-noanswer-3", timeout: 5 * time.Second, maxNoAnswer: 2})
	h.sw.onOriginate = func(req OriginateRequest) {
		if req.Endpoint != "" {
			return
		}
		for _, p := range h.agentLegs("") {
			if p.req.Vars["dialer_attempt_id"] == req.Vars["dialer_attempt_id"] && p.req.UUID != "" {
				if p.answered.IsZero() || p.answered.After(h.clk.Now()) || h.sw.live[p.req.UUID] == nil {
					t.Errorf("customer %s dialed before its agent %s answered", req.UUID, p.agent)
				}
				return
			}
		}
		t.Errorf("customer %s dialed with no agent leg", req.UUID)
	}
	h.run(10*time.Minute, 100*time.Millisecond)
	if a := h.agent("deaf"); a.State != dialer.AgentBreak {
		t.Errorf("deaf = %s, want a forced break", a.State)
	}
	for _, p := range h.customers() {
		if p.req.Vars["dialer_campaign"] != "pre" {
			t.Fatalf("unexpected call %+v", p)
		}
	}
	ms := h.members(c.ID)
	for name, m := range ms {
		if m.State == dialer.MemberCalling {
			t.Errorf("member %s still calling", name)
		}
		if m.Minus > 0 {
			// Congestion: minus, due again later; not an agent matter.
			continue
		}
		if m.State == dialer.MemberWaiting {
			t.Errorf("member %s = %s, want final", name, m.State)
		}
		for _, a := range h.attemptsOf(m) {
			if a.Cause == "AGENT_UNAVAILABLE" && a.Counted {
				t.Errorf("member %s charged for an agent's failure", name)
			}
		}
		if m.Attempts != 1 {
			t.Errorf("member %s attempts %d: agent failures must not count", name, m.Attempts)
		}
	}
	unavailable := 0
	for _, m := range ms {
		for _, a := range h.attemptsOf(m) {
			if a.Cause == "AGENT_UNAVAILABLE" {
				unavailable++
			}
		}
	}
	if unavailable == 0 {
		t.Error("no attempt ended AGENT_UNAVAILABLE: the busy and deaf agents were never offered a call")
	}
	if len(h.sw.bridges) != 8 {
		t.Errorf("%d bridges, want the 8 answering members", len(h.sw.bridges))
	}
	// While its customer rings, the agent on the line hears ringing: every
	// customer dialed played a ringback to its agent's leg first.
	rung := map[string]bool{}
	for _, r := range h.sw.ringbacks {
		rung[r.uuid] = true
	}
	for _, b := range h.sw.bridges {
		if !rung[b[1]] {
			t.Errorf("agent leg %s bridged without a ringback while its customer rang", b[1])
		}
	}
	if len(h.sw.ringbacks) != len(h.customers()) {
		t.Errorf("%d ringbacks for %d customers dialed", len(h.sw.ringbacks), len(h.customers()))
	}
	h.checkAgentsSettled()
}

func TestAgents_PreemptiveKeepOnLine(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 50, MaxCPS: 50}, numbering)
	h.campaign("name: kol\n"+preemptive+"agents: {keep_on_line: true}\nlimits: {lines: 5}\nretry: {max_attempts: 1}\n",
		"b1:+12125550151", "b2:+12125550152", "ok:+12125550101")
	h.agents("kol", agentSpec{name: "k", dest: "agent-1"})
	h.run(time.Minute, 100*time.Millisecond)
	legs := h.agentLegs("k")
	if len(legs) != 1 {
		t.Fatalf("%d agent legs, want 1: the agent stays on the line across failed customers", len(legs))
	}
	if n := len(h.customers()); n != 3 {
		t.Fatalf("%d customers dialed on one agent leg, want 3", n)
	}
	if len(h.sw.bridges) != 1 || h.sw.bridges[0][1] != legs[0].req.UUID {
		t.Errorf("bridges = %v, want the answering member with the agent's leg", h.sw.bridges)
	}
	h.checkAgentsSettled()
}

func TestAgents_WrapUp(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, longCall(10*time.Second))
	h.campaign("name: wu\n"+progressive+"limits: {lines: 5}\n", numbers(2, "01")...)
	h.agents("wu", agentSpec{name: "w", dest: "agent-1", wrap: 7 * time.Second})
	h.run(13*time.Second, 100*time.Millisecond)
	if a := h.agent("w"); a.State != dialer.AgentWrapUp {
		t.Fatalf("agent = %s after the first call, want wrap_up", a.State)
	}
	h.run(30*time.Second, 100*time.Millisecond)
	cust := h.customers()
	if len(cust) != 2 {
		t.Fatalf("%d customers", len(cust))
	}
	if gap := cust[1].at.Sub(cust[0].end); gap < 7*time.Second || gap > 7*time.Second+100*time.Millisecond {
		t.Errorf("next customer %s after the call ended, wrap-up 7s", gap)
	}
	// The report counts the wrap-up after each bridged call.
	c, err := h.db.Campaign(h.ctx, "wu")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := h.db.Report(h.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Agents) != 1 || rep.Agents[0].WrapUpSeconds != 14 || rep.Agents[0].Occupancy <= 0 {
		t.Errorf("agent figures = %+v, want 14 s of wrap-up over two calls", rep.Agents)
	}
}

func TestAgents_Requests(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, longCall(20*time.Second))
	h.campaign("name: rq\n"+progressive+"limits: {lines: 5}\n", numbers(6, "01")...)
	h.agents("rq", agentSpec{name: "busy", dest: "agent-1", wrap: 3 * time.Second}, agentSpec{name: "idle", dest: "agent-2"})
	if _, err := h.db.RequestAgentState(h.ctx, "idle", dialer.AgentBreak); err != nil {
		t.Fatal(err)
	}
	h.run(5*time.Second, 100*time.Millisecond)
	if a := h.agent("busy"); a.State != dialer.AgentTalking {
		t.Fatalf("busy = %s, want talking", a.State)
	}
	// Asked while in a call: applied once the call and wrap-up are over.
	ch, err := h.db.RequestAgentState(h.ctx, "busy", dialer.AgentLoggedOut)
	if err != nil || ch.Applied {
		t.Fatalf("request: %+v %v", ch, err)
	}
	h.run(10*time.Second, 100*time.Millisecond)
	if a := h.agent("busy"); a.State != dialer.AgentTalking {
		t.Fatalf("busy = %s during its call, want talking", a.State)
	}
	h.run(20*time.Second, 100*time.Millisecond)
	if a := h.agent("busy"); a.State != dialer.AgentLoggedOut {
		t.Fatalf("busy = %s after call and wrap-up, want logged_out", a.State)
	}
	if n := len(h.agentLegs("idle")); n != 0 {
		t.Errorf("agent on break offered %d calls", n)
	}
	pending, _ := h.db.PendingAgentRequests(h.ctx)
	if len(pending) != 0 {
		t.Errorf("requests left pending: %+v", pending)
	}
	// Back from break: offered a call at once.
	h.login("idle")
	h.run(2*time.Second, 100*time.Millisecond)
	if n := len(h.agentLegs("idle")); n != 1 {
		t.Errorf("agent back from break offered %d calls, want 1", n)
	}
	if n := len(h.agentLegs("busy")); n != 1 {
		t.Errorf("logged out agent offered %d calls", n)
	}
}

func TestAgents_ReconcileOnStart(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, numbering)
	c := h.campaign("name: rs\n"+preemptive+"limits: {lines: 5}\n", "m:+12125550101")
	h.agents("rs", agentSpec{name: "r1", dest: "agent-1"}, agentSpec{name: "r2", dest: "agent-2"},
		agentSpec{name: "r3", dest: "agent-3"}, agentSpec{name: "r4", dest: "agent-4"})
	// Left by a crash: agents in call states, one ringing for an open
	// attempt whose customer was never dialed, one asked to log out.
	for name, st := range map[string]dialer.AgentState{"r1": dialer.AgentRinging, "r2": dialer.AgentReserved,
		"r3": dialer.AgentTalking, "r4": dialer.AgentWrapUp} {
		if err := h.db.SetAgentLive(h.ctx, h.agent(name).ID, st, monday, 0, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.db.RequestAgentState(h.ctx, "r4", dialer.AgentLoggedOut); err != nil {
		t.Fatal(err)
	}
	m := h.members(c.ID)["m"]
	ids, err := h.db.StartAttempts(h.ctx, []dialer.NewAttempt{{CampaignID: c.ID, MemberID: m.ID,
		CommunicationID: m.Communications[0].ID, Number: "+12125550101", UUID: "u-cust", AgentID: h.agent("r1").ID, At: monday}})
	if err != nil || ids[0] == 0 {
		t.Fatalf("seed attempt: %v %v", ids, err)
	}
	if err := h.db.MarkAgentLeg(h.ctx, ids[0], h.agent("r1").ID, "u-leg", monday); err != nil {
		t.Fatal(err)
	}
	h.sw.live["u-leg"] = &placed{req: OriginateRequest{UUID: "u-leg"}, agent: "r1"}
	h.sw.exists["u-leg"] = true
	if err := h.e.reload(h.ctx, true); err != nil {
		t.Fatal(err)
	}
	h.e.mustReconcile = true
	h.e.tick(h.ctx)
	h.sw.deliver(h.clk.Now())
	h.drainUpdates()
	for _, name := range []string{"r2", "r3"} {
		if a := h.agent(name); a.State != dialer.AgentAvailable {
			t.Errorf("%s = %s after reconcile, want available", name, a.State)
		}
	}
	// r1 was released; it may already ring again for the member, due at
	// once, but never on the stale leg.
	if ag := h.e.agents[h.agent("r1").ID]; ag.leg == "u-leg" || (ag.State != dialer.AgentAvailable && ag.call == nil) {
		t.Errorf("r1 = %s on leg %q, want released from the stale leg", ag.State, ag.leg)
	}
	if a := h.agent("r4"); a.State != dialer.AgentLoggedOut {
		t.Errorf("r4 = %s, want logged_out as requested", a.State)
	}
	if h.sw.live["u-leg"] != nil {
		t.Error("the stale agent leg was not hung up")
	}
	as := h.attemptsOf(h.members(c.ID)["m"])
	if len(as) == 0 || as[0].Cause != "AGENT_UNAVAILABLE" || as[0].Counted {
		t.Fatalf("attempts = %+v, want the first AGENT_UNAVAILABLE, not counted", as)
	}
	if got := h.members(c.ID)["m"]; got.Attempts > 1 {
		t.Errorf("member attempts %d: the crashed preemptive attempt was charged", got.Attempts)
	}
}

// TestAgents_LegThatComesUpAfterTheReconcile: an agent leg whose
// originate was in flight across a drop does not exist when the reconcile
// after the reconnect hangs it up, so uuid_kill has nothing to kill; when
// the leg comes up after all, the engine hangs it up at its first event
// instead of leaving the agent's phone parked on a call nobody follows.
func TestAgents_LegThatComesUpAfterTheReconcile(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, numbering)
	h.campaign("name: late\n"+preemptive+"limits: {lines: 1}\n", "m:+12125550101")
	h.agents("late", agentSpec{name: "a1", dest: "agent-noanswer-1", timeout: 30 * time.Second})
	h.run(2*time.Second, 100*time.Millisecond)
	ag := h.e.agents[h.agent("a1").ID]
	leg := ag.leg
	p := h.sw.live[leg]
	if leg == "" || p == nil {
		t.Fatalf("agent a1 = %s, leg %q: want a ringing leg", ag.State, leg)
	}
	// The drop: the switch has not made the leg yet.
	delete(h.sw.live, leg)
	h.sw.exists[leg] = false
	kept, keptAt := h.sw.pending[:0:0], h.sw.dueAt[:0:0]
	for i, u := range h.sw.pending {
		if u.UUID != leg {
			kept, keptAt = append(kept, u), append(keptAt, h.sw.dueAt[i])
		}
	}
	h.sw.pending, h.sw.dueAt = kept, keptAt
	h.e.handle(Update{Kind: Reconnected})
	h.run(time.Second, 100*time.Millisecond)
	if h.e.legs[leg] != nil {
		t.Fatalf("the reconcile still follows leg %s", leg)
	}
	// The leg comes up after all, and answers.
	now := h.clk.Now()
	p.answered, p.end = now, time.Time{}
	h.sw.live[leg], h.sw.exists[leg] = p, true
	h.sw.updates <- Update{Kind: CallChanged, UUID: leg, Answered: true, AnsweredAt: now}
	h.run(time.Second, 100*time.Millisecond)
	if h.sw.live[leg] != nil {
		t.Errorf("agent leg %s came up after the reconcile and was left up", leg)
	}
}
