package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
	"github.com/fsdialer/dialer/store"
)

// e2eAgents applies agents (name -> endpoint destination, all tiered to
// campaign) with short timers and logs them in.
func (e *e2e) agents(campaign string, dests ...string) {
	e.t.Helper()
	var list []dialer.Agent
	for _, d := range dests {
		// A no-answer agent is offered first (lower tier level), so it
		// rings out often enough to reach its forced break however slowly
		// the run goes (-race).
		level := 2
		if strings.Contains(d, "noanswer") {
			level = 1
		}
		list = append(list, dialer.Agent{Name: d, Endpoint: "loopback/" + d + "/dialer_lab",
			CallTimeout: dialer.Duration(5 * time.Second), WrapUp: dialer.Duration(2 * time.Second), MaxNoAnswer: 2,
			BusyDelay: dialer.Duration(3 * time.Second), RejectDelay: dialer.Duration(3 * time.Second),
			NoAnswerDelay: dialer.Duration(3 * time.Second), Tiers: []dialer.Tier{{Campaign: campaign, Level: level}}})
	}
	if _, err := e.db.ApplyAgents(e.ctx, list); err != nil {
		e.t.Fatal(err)
	}
	for _, d := range dests {
		if _, err := e.db.RequestAgentState(e.ctx, d, dialer.AgentAvailable); err != nil {
			e.t.Fatal(err)
		}
	}
}

// agentMix are n members whose outcomes cycle through answers (which stay
// 2 to 5 s), busy, no answer, rejected and congested.
func agentMix(prefix string, n int) []string {
	tails := []string{"01", "12", "55", "23", "61", "34", "81", "04", "91"}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d:+1212%04d%s", prefix, i, 5000+i, tails[i%len(tails)])
	}
	return out
}

// agentRun is what the switch saw of a run, from its own channel records:
// the legs the dialer originated for customers (campaign and manual
// calls) and for agents (a-legs on loopback), oldest first.
type agentRun struct {
	customers, agents []switchtest.Channel
	byUUID            map[string]switchtest.Channel
}

func agentRunOf(sw switchtest.Backend) agentRun {
	r := agentRun{byUUID: map[string]switchtest.Channel{}}
	for _, c := range switchtest.Customers(sw.Channels()) {
		switch {
		case c.Vars["dialer_role"] == "agent":
			r.agents = append(r.agents, c)
		case c.Vars["dialer_attempt_id"] != "", c.Vars["dialer_manual_call"] != "":
			r.customers = append(r.customers, c)
		default:
			continue
		}
		r.byUUID[c.UUID] = c
	}
	return r
}

// agentOf is the agent leg a customer was bridged with, if any.
func (r agentRun) agentOf(c switchtest.Channel) (switchtest.Channel, bool) {
	a, ok := r.byUUID[c.BridgedWith]
	return a, ok && a.Vars["dialer_role"] == "agent"
}

// end is when a channel hung up, or now while it is up.
func end(sw switchtest.Backend, c switchtest.Channel) time.Time {
	if c.Hangup.IsZero() {
		return sw.Now()
	}
	return c.Hangup
}

// checkAgentRun checks what every agent-mode run must show: each bridge
// pairs a customer with the agent leg of the same attempt, no agent is in
// two calls at once, no agent is left reserved or ringing, every attempt
// is final.
func checkAgentRun(t *testing.T, e *e2e, r agentRun, campaignID int64) {
	t.Helper()
	bridges := 0
	for _, c := range r.customers {
		if c.BridgedWith == "" {
			continue
		}
		bridges++
		a, ok := r.agentOf(c)
		if !ok {
			t.Errorf("customer %s bridged with %s, not an agent leg", c.UUID, c.BridgedWith)
			continue
		}
		if a.Vars["dialer_attempt_id"] != c.Vars["dialer_attempt_id"] {
			t.Errorf("customer of attempt %s bridged with the agent leg of attempt %s", c.Vars["dialer_attempt_id"], a.Vars["dialer_attempt_id"])
		}
	}
	if bridges == 0 {
		t.Error("no customer was bridged to an agent")
	}
	byAgent := map[string][][2]time.Time{}
	for _, a := range r.agents {
		byAgent[a.Vars["dialer_agent"]] = append(byAgent[a.Vars["dialer_agent"]], [2]time.Time{a.Created, end(e.sw, a)})
	}
	for name, spans := range byAgent {
		sort.Slice(spans, func(i, j int) bool { return spans[i][0].Before(spans[j][0]) })
		for i := 1; i < len(spans); i++ {
			if spans[i][0].Before(spans[i-1][1]) {
				t.Errorf("agent %s in two calls: %s-%s and from %s", name, spans[i-1][0], spans[i-1][1], spans[i][0])
			}
		}
	}
	checkSettled(t, e.db, campaignID)
	list, err := e.db.Agents(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range list {
		if a.State == dialer.AgentReserved || a.State == dialer.AgentRinging {
			t.Errorf("agent %s left %s", a.Name, a.State)
		}
	}
}

// checkCustomersWithinAgents: never more customers up at once than
// agents, and no member in two calls at once.
func checkCustomersWithinAgents(t *testing.T, e *e2e, r agentRun, agents int) {
	t.Helper()
	var ss []span
	for _, c := range r.customers {
		ss = append(ss, span{member: c.Vars["dialer_member_id"], start: c.Created, end: end(e.sw, c)})
	}
	sort.Slice(ss, func(i, j int) bool { return ss[i].start.Before(ss[j].start) })
	if got := maxConcurrentSpans(ss); got > agents {
		t.Errorf("%d customers up at once with %d agents", got, agents)
	}
	checkNoOverlap(t, ss, 0)
}

// planTalk is how long the numbering plan's callee talks after answering:
// S+1 seconds, S the number's last digit.
func planTalk(number string) int { return int(number[len(number)-1]-'0') + 1 }

// checkServed checks, from the switch's records, that every answered
// customer but at most abandoned of them was bridged to an agent and
// talked its callee's whole time (talk, in seconds, from its number):
// billsec on the customer leg, exact on the simulator, within a second on
// a real switch. The store must say the same: an answered customer no
// agent took is ABANDONED, the others ok, and no attempt ended with an
// originate job's ORIGINATOR_CANCEL. It returns the customers abandoned.
func checkServed(t *testing.T, e *e2e, r agentRun, campaignID int64, talk func(number string) int, abandoned int) int {
	t.Helper()
	left := 0
	for _, c := range r.customers {
		if c.Answered.IsZero() {
			continue
		}
		if _, ok := r.agentOf(c); !ok {
			left++
			t.Logf("customer %s (%s) answered and was never bridged", c.UUID, c.Destination)
			continue
		}
		want := talk(c.Destination)
		if d := c.Billsec - want; d != 0 && (!e.sw.Real() || d < -1 || d > 1) {
			t.Errorf("customer %s (%s) bridged for %d s, its callee talks %d s (cause %s)", c.UUID, c.Destination, c.Billsec, want, c.Cause)
		}
	}
	if left > abandoned {
		t.Errorf("%d answered customers never bridged to an agent, want at most %d", left, abandoned)
	}
	ms, err := e.db.Members(e.ctx, store.MemberFilter{CampaignID: campaignID})
	if err != nil {
		t.Fatal(err)
	}
	recorded := 0
	for _, m := range ms {
		as, _ := e.db.MemberAttempts(e.ctx, m.ID)
		for _, a := range as {
			switch {
			case a.Cause == "ORIGINATOR_CANCEL":
				t.Errorf("member %s attempt %d ended with the originate job's ORIGINATOR_CANCEL", m.Name, a.ID)
			case a.Cause == "ABANDONED":
				recorded++
			case !a.AnsweredAt.IsZero() && a.Class != "ok":
				t.Errorf("member %s attempt %d answered and served: %s %s, want ok", m.Name, a.ID, a.Cause, a.Class)
			}
		}
	}
	if recorded != left {
		t.Errorf("%d attempts ABANDONED, the switch saw %d answered customers never bridged", recorded, left)
	}
	return left
}

// longTalk is the numbering plan, except that numbers ending in 01 talk
// for 12 s, so that short and long calls overlap on the agents.
var longTalk = &fssim.Scenario{Name: "long-talk", Rules: []fssim.Rule{{Name: "long", Glob: "*01",
	Outcome: fssim.Outcome{Ring: time.Second, Answer: true, Talk: 12 * time.Second}}}}

// longTalkOf is planTalk under longTalk.
func longTalkOf(number string) int {
	if strings.HasSuffix(number, "01") {
		return 12
	}
	return planTalk(number)
}

// agentRunLimit is how long a run in an agent mode may take.
const agentRunLimit = 2 * time.Minute

// TestServe_ProgressiveEndToEnd: a customer is dialed only for a reserved
// agent, and every answered customer is bridged to its agent for its
// callee's whole talk time (the switch's own billsec). On the simulator,
// 90 members and three agents; on a real switch, six members and two.
func TestServe_ProgressiveEndToEnd(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 20, HeartbeatInterval: time.Second, Scenario: longTalk}, func(t *testing.T, sw switchtest.Backend) {
		e := newE2E(t, sw)
		members, agents, talk := agentMix("p", 90), []string{"agent-1", "agent-2", "agent-3"}, longTalkOf
		retry := "retry: {max_attempts: 2, interval: 20s, max_minus: 1}"
		if sw.Real() {
			members, agents, talk = agentMix("p", 6), agents[:2], planTalk
			retry = "retry: {max_attempts: 2, interval: 5s, max_minus: 1}"
		}
		c := e.load(`
name: prog
mode: progressive
dial: {template: "loopback/{number}/dialer_lab"}
agents: {hold_time: 8s}
limits: {lines: 10, ring_timeout: 5s}
`+retry+"\n"+alwaysOpen, members)
		e.agents("prog", agents...)
		done := e.serve(e.ctx, serveOptions{untilDone: true, statusTick: 50 * time.Millisecond}, sw.Now)
		waitDaemon(t, done, agentRunLimit)
		r := agentRunOf(sw)
		checkAgentRun(t, e, r, c.ID)
		checkCustomersWithinAgents(t, e, r, len(agents))
		checkServed(t, e, r, c.ID, talk, 0)
		// No customer without a reserved agent: every attempt names its agent.
		ms, _ := e.db.Members(e.ctx, store.MemberFilter{CampaignID: c.ID})
		for _, m := range ms {
			as, _ := e.db.MemberAttempts(e.ctx, m.ID)
			for _, a := range as {
				if a.AgentID == 0 {
					t.Errorf("attempt %d of %s dialed with no agent reserved", a.ID, m.Name)
				}
			}
		}
	})
}

// TestServe_ProgressiveDeadAgent: an agent whose phone never answers
// (offered first) abandons one customer at most: the customer who hung up
// while it rang. From then on its phone rings before any customer is
// dialed; its ring-outs count, and it is put on break at its
// max_no_answer. Every other answered customer talks with the live agent.
func TestServe_ProgressiveDeadAgent(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 20, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		e := newE2E(t, sw)
		// Answering numbers only, whose callees talk 2 to 5 s: less than
		// the dead agent's 5 s call timeout.
		tails := []string{"12", "23", "01", "34", "13", "22"}
		n := 12
		if sw.Real() {
			n = 5
		}
		members := make([]string, n)
		for i := range members {
			members[i] = fmt.Sprintf("d%d:+1212%04d%s", i, 6000+i, tails[i%len(tails)])
		}
		c := e.load(`
name: dead
mode: progressive
dial: {template: "loopback/{number}/dialer_lab"}
agents: {hold_time: 8s}
limits: {lines: 10, ring_timeout: 5s}
retry: {max_attempts: 2, interval: 5s}
`+alwaysOpen, members)
		e.agents("dead", "agent-noanswer-1", "agent-2")
		done := e.serve(e.ctx, serveOptions{untilDone: true, statusTick: 50 * time.Millisecond}, sw.Now)
		waitDaemon(t, done, agentRunLimit)
		r := agentRunOf(sw)
		checkAgentRun(t, e, r, c.ID)
		checkCustomersWithinAgents(t, e, r, 2)
		abandoned := checkServed(t, e, r, c.ID, planTalk, 1)
		a, err := e.db.Agent(e.ctx, "agent-noanswer-1")
		if err != nil {
			t.Fatal(err)
		}
		if a.State != dialer.AgentBreak || a.NoAnswerCount != a.MaxNoAnswer {
			t.Errorf("agent-noanswer-1 = %s with %d no-answers, want a forced break after %d", a.State, a.NoAnswerCount, a.MaxNoAnswer)
		}
		ringOuts := 0
		for _, l := range r.agents {
			if l.Vars["dialer_agent"] == "agent-noanswer-1" && l.Cause == "NO_ANSWER" {
				ringOuts++
			}
		}
		if ringOuts < a.MaxNoAnswer {
			t.Errorf("the switch saw %d ring-outs of agent-noanswer-1, its count is %d", ringOuts, a.NoAnswerCount)
		}
		t.Logf("agent-noanswer-1: %d ring-outs, %s; %d customer abandoned", ringOuts, a.State, abandoned)
	})
}

// TestServe_PreemptiveEndToEnd: a customer is dialed only once its agent
// answered, and bridged at its answer for its callee's whole talk time;
// agent failures never charge the member. On the simulator, 36 members and
// five agents (one never answers, one rejects); on a real switch, four
// members, one answering agent and one that rejects.
func TestServe_PreemptiveEndToEnd(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 20, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		e := newE2E(t, sw)
		members := agentMix("q", 36)
		agents := []string{"agent-1", "agent-2", "agent-3", "agent-noanswer-4", "agent-reject-5"}
		retry := "retry: {max_attempts: 2, interval: 20s, max_minus: 1}"
		if sw.Real() {
			members, agents = agentMix("q", 4), []string{"agent-1", "agent-reject-2"}
			retry = "retry: {max_attempts: 2, interval: 5s, max_minus: 1}"
		}
		c := e.load(`
name: pre
mode: preemptive
dial: {template: "loopback/{number}/dialer_lab"}
limits: {lines: 10, ring_timeout: 5s}
`+retry+"\n"+alwaysOpen, members)
		e.agents("pre", agents...)
		done := e.serve(e.ctx, serveOptions{untilDone: true, statusTick: 50 * time.Millisecond}, sw.Now)
		waitDaemon(t, done, agentRunLimit)
		r := agentRunOf(sw)
		checkAgentRun(t, e, r, c.ID)
		checkCustomersWithinAgents(t, e, r, len(agents))
		checkServed(t, e, r, c.ID, planTalk, 0)
		checkAgentFirst(t, r, sw.Real())
		if !sw.Real() {
			a, err := e.db.Agent(e.ctx, "agent-noanswer-4")
			if err != nil {
				t.Fatal(err)
			}
			if a.State != dialer.AgentBreak {
				t.Errorf("agent-noanswer-4 = %s, want a forced break", a.State)
			}
		}
		checkAgentFailuresFree(t, e, c.ID)
	})
}

// checkAgentFirst: each preemptive customer was created after its agent's
// leg answered (the agent leg of the same attempt, from the switch's own
// records), and every agent leg bridged to a customer heard ringback while
// the customer rang (uuid_broadcast of a tone stream, which the simulator
// records; real is set on a real switch, which does not).
func checkAgentFirst(t *testing.T, r agentRun, real bool) {
	t.Helper()
	answered := map[string]time.Time{}
	for _, a := range r.agents {
		answered[a.Vars["dialer_attempt_id"]] = a.Answered
	}
	for _, c := range r.customers {
		at, ok := answered[c.Vars["dialer_attempt_id"]]
		if !ok || at.IsZero() || c.Created.Before(at) {
			t.Errorf("customer of attempt %s dialed at %s, its agent answered at %v", c.Vars["dialer_attempt_id"], c.Created, at)
		}
		if a, ok := r.agentOf(c); ok && !real && !strings.HasPrefix(a.Vars["sim_broadcast"], "tone_stream://") {
			t.Errorf("agent leg %s bridged without ringback", a.UUID)
		}
	}
}

// checkAgentFailuresFree: agent failures end attempts AGENT_UNAVAILABLE,
// never counted, and there was at least one.
func checkAgentFailuresFree(t *testing.T, e *e2e, campaignID int64) {
	t.Helper()
	ms, _ := e.db.Members(e.ctx, store.MemberFilter{CampaignID: campaignID})
	unavailable := 0
	for _, m := range ms {
		as, _ := e.db.MemberAttempts(e.ctx, m.ID)
		counted := 0
		for _, a := range as {
			if a.Cause == "AGENT_UNAVAILABLE" {
				unavailable++
				if a.Counted {
					t.Errorf("member %s charged for AGENT_UNAVAILABLE", m.Name)
				}
			}
			if a.Counted {
				counted++
			}
		}
		if counted != m.Attempts {
			t.Errorf("member %s: %d attempts counted, member says %d", m.Name, counted, m.Attempts)
		}
	}
	if unavailable == 0 {
		t.Error("no AGENT_UNAVAILABLE attempt: the failing agents were never offered a call")
	}
}

// loadAgentChurn loads a progressive campaign of n mixed members with six
// answering agents, for the tests that break the daemon or the connection.
func loadAgentChurn(e *e2e, name, prefix string, n int) *dialer.Campaign {
	c := e.load(`
name: `+name+`
mode: progressive
dial: {template: "loopback/{number}/dialer_lab"}
agents: {hold_time: 5s}
limits: {lines: 10, ring_timeout: 5s}
retry: {max_attempts: 2, interval: 2s, max_minus: 1}
`+alwaysOpen, agentMix(prefix, n))
	var dests []string
	for i := 1; i <= 6; i++ {
		dests = append(dests, "agent-"+strconv.Itoa(i))
	}
	e.agents(name, dests...)
	return c
}

// TestServe_AgentsSurviveESLDrops drops the event socket and restarts the
// switch (every call is lost; a real switch is SIGKILLed and started
// again) during a progressive run.
func TestServe_AgentsSurviveESLDrops(t *testing.T) {
	if testing.Short() {
		t.Skip("drop test: skipped with -short")
	}
	switchtest.Each(t, fssim.Options{Speed: 10, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		members := 60
		if sw.Real() {
			members = 30
		}
		e := newE2E(t, sw)
		c := loadAgentChurn(e, "dropa", "d", members)
		if e.sim != nil {
			// The simulator beats every second; FreeSWITCH every 20 s, so
			// a real switch keeps newE2E's longer timeout.
			e.cfg.ESL.HeartbeatTimeout = 3 * time.Second
		}
		done := e.serve(e.ctx, serveOptions{untilDone: true, drain: 5 * time.Second, statusTick: 100 * time.Millisecond}, time.Now)
		for i := range 8 {
			time.Sleep(300 * time.Millisecond)
			if e.sim != nil {
				e.sim.DropConnections(i%2 == 0)
			} else {
				sw.DropConnections()
			}
			if i == 4 {
				if err := sw.Restart(e.ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		waitDaemon(t, done, 3*time.Minute)
		checkSettled(t, e.db, c.ID)
		agents, _ := e.db.Agents(e.ctx)
		for _, a := range agents {
			if a.State == dialer.AgentReserved || a.State == dialer.AgentRinging {
				t.Errorf("agent %s left %s without a call", a.Name, a.State)
			}
		}
		checkNoneUp(t, sw)
	})
}

// TestServe_AgentsSurviveSIGKILL kills the daemon at random moments of a
// progressive campaign, five times, then lets a last run finish it: no
// agent is left reserved or ringing, no agent or customer is in two calls,
// every attempt is final and no channel is left up.
func TestServe_AgentsSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	bin := buildDialer(t)
	switchtest.Each(t, fssim.Options{Speed: 10, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		members := 80
		if sw.Real() {
			members = 30
		}
		e := newE2E(t, sw)
		c := loadAgentChurn(e, "killa", "k", members)
		env := append(os.Environ(), "DIALER_DATABASE="+e.cfg.Database, "DIALER_ESL_ADDRESS="+e.cfg.ESL.Address,
			"DIALER_ESL_PASSWORD="+e.cfg.ESL.Password, "DIALER_HTTP_LISTEN=127.0.0.1:0", "DIALER_LIMITS_MAX_CPS=300", "DIALER_LOG_LEVEL=warn")
		rng := rand.New(rand.NewPCG(3, 4))
		for i := range 5 {
			cmd := exec.Command(bin, "serve")
			cmd.Env = env
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Duration(400+rng.IntN(1200)) * time.Millisecond)
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatalf("kill %d: %v", i, err)
			}
			cmd.Wait()
		}
		killed := len(sw.Channels())
		final := exec.Command(bin, "serve", "--until-done")
		final.Env = env
		if out, err := final.CombinedOutput(); err != nil {
			t.Fatalf("final run: %v\n%s", err, out)
		}
		if killed == 0 {
			t.Fatal("the killed runs dialed nothing: the test proves nothing")
		}
		t.Logf("%d channels during 5 killed runs, %d in all", killed, len(sw.Channels()))
		checkAgentRun(t, e, agentRunOf(e.sw), c.ID)
		checkNoneUp(t, sw)
	})
}
