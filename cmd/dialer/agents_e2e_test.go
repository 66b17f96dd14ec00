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

// legs is what the simulator saw of a run in an agent mode.
type legs struct {
	customers, agents []fssim.OriginateRecord
	calls             map[string]fssim.CallRecord // a-legs by uuid
}

func simLegs(sim *fssim.Server) legs {
	l := legs{calls: map[string]fssim.CallRecord{}}
	for _, c := range sim.Calls() {
		if c.Leg != "B" {
			l.calls[c.UUID] = c
		}
	}
	for _, o := range sim.Originates() {
		if o.Vars["dialer_role"] == "agent" {
			l.agents = append(l.agents, o)
		} else {
			l.customers = append(l.customers, o)
		}
	}
	return l
}

// checkAgentRun checks what every agent-mode run must show: each bridge
// pairs a customer with the agent leg of the same attempt, no agent is in
// two calls at once, no agent is left reserved or ringing, every attempt
// is final.
func checkAgentRun(t *testing.T, e *e2e, l legs, campaignID int64) {
	t.Helper()
	agentOf := map[string]fssim.OriginateRecord{}
	for _, o := range l.agents {
		agentOf[o.UUID] = o
	}
	bridges := 0
	for _, o := range l.customers {
		c := l.calls[o.UUID]
		if c.BridgedWith == "" {
			continue
		}
		bridges++
		a, ok := agentOf[c.BridgedWith]
		if !ok {
			t.Errorf("customer %s bridged with %s, not an agent leg", o.UUID, c.BridgedWith)
			continue
		}
		if a.Vars["dialer_attempt_id"] != o.Vars["dialer_attempt_id"] {
			t.Errorf("customer of attempt %s bridged with the agent leg of attempt %s", o.Vars["dialer_attempt_id"], a.Vars["dialer_attempt_id"])
		}
	}
	if bridges == 0 {
		t.Error("no customer was bridged to an agent")
	}
	byAgent := map[string][][2]time.Time{}
	for _, o := range l.agents {
		end := l.calls[o.UUID].Hangup
		if end.IsZero() {
			end = o.Completed
		}
		if end.IsZero() {
			end = e.sim.Now()
		}
		byAgent[o.Vars["dialer_agent"]] = append(byAgent[o.Vars["dialer_agent"]], [2]time.Time{o.SimTime, end})
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
	agents, err := e.db.Agents(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range agents {
		if a.State == dialer.AgentReserved || a.State == dialer.AgentRinging {
			t.Errorf("agent %s left %s", a.Name, a.State)
		}
	}
}

// longTalk is the numbering plan, except that numbers ending in 01 talk
// for 12 s: longer than an agent's 5 s call timeout, so an agent that does
// not answer rings out while the customer still waits.
var longTalk = &fssim.Scenario{Name: "long-talk", Rules: []fssim.Rule{{Name: "long", Glob: "*01",
	Outcome: fssim.Outcome{Ring: time.Second, Answer: true, Talk: 12 * time.Second}}}}

func TestServe_ProgressiveEndToEnd(t *testing.T) {
	e := newSimE2E(t, fssim.Options{Speed: 20, HeartbeatInterval: time.Second, Scenario: longTalk})
	c := e.load(`
name: prog
mode: progressive
dial: {template: "loopback/{number}/dialer_lab"}
agents: {hold_time: 8s}
limits: {lines: 10, ring_timeout: 10s}
retry: {max_attempts: 2, interval: 20s, max_minus: 1}
`+alwaysOpen, agentMix("p", 90))
	e.agents("prog", "agent-1", "agent-2", "agent-3", "agent-noanswer-4", "agent-busy-5")
	done := e.serve(e.ctx, serveOptions{untilDone: true, statusTick: 50 * time.Millisecond}, e.sim.Now)
	waitDaemon(t, done, 2*time.Minute)
	l := simLegs(e.sim)
	checkAgentRun(t, e, l, c.ID)
	// No customer without a reserved agent: every attempt names its agent,
	// and never more customers up at once than the five agents.
	ms, _ := e.db.Members(e.ctx, store.MemberFilter{CampaignID: c.ID})
	for _, m := range ms {
		as, _ := e.db.MemberAttempts(e.ctx, m.ID)
		for _, a := range as {
			if a.AgentID == 0 && a.Cause != "DIALER_LOST" {
				t.Errorf("attempt %d of %s dialed with no agent reserved", a.ID, m.Name)
			}
		}
	}
	var ss []span
	for _, o := range l.customers {
		end := l.calls[o.UUID].Hangup
		if end.IsZero() {
			end = o.Completed
		}
		ss = append(ss, span{member: o.Vars["dialer_member_id"], start: o.SimTime, end: end})
	}
	sort.Slice(ss, func(i, j int) bool { return ss[i].start.Before(ss[j].start) })
	if got := maxConcurrentSpans(ss); got > 5 {
		t.Errorf("%d customers up at once with 5 agents", got)
	}
	checkNoOverlap(t, ss, 0)
	a, err := e.db.Agent(e.ctx, "agent-noanswer-4")
	if err != nil {
		t.Fatal(err)
	}
	// Offers the dialer cut short (the customer hung up first) do not
	// count; ring-outs do. Offered first whenever it is free, the agent
	// rings out twice (its max_no_answer) and is then on break for good.
	ringOuts := 0
	for _, o := range l.agents {
		if o.Vars["dialer_agent"] == "agent-noanswer-4" && strings.Contains(o.Result, "NO_ANSWER") {
			ringOuts++
		}
	}
	// A ring-out that coincides with the dialer hanging the leg up (the
	// customer left) is the dialer's doing and not counted, so the
	// simulator may see more ring-outs than the agent's count.
	switch {
	case ringOuts == 0:
		t.Errorf("agent-noanswer-4 never rang out")
	case ringOuts >= 2 && a.State != dialer.AgentBreak:
		t.Errorf("agent-noanswer-4 = %s after %d ring-outs (no-answer count %d), want a forced break", a.State, ringOuts, a.NoAnswerCount)
	}
	t.Logf("agent-noanswer-4: %d ring-outs, now %s", ringOuts, a.State)
}

func TestServe_PreemptiveEndToEnd(t *testing.T) {
	e := newSimE2E(t, fssim.Options{Speed: 20, HeartbeatInterval: time.Second})
	c := e.load(`
name: pre
mode: preemptive
dial: {template: "loopback/{number}/dialer_lab"}
limits: {lines: 10, ring_timeout: 10s}
retry: {max_attempts: 2, interval: 20s, max_minus: 1}
`+alwaysOpen, agentMix("q", 36))
	e.agents("pre", "agent-1", "agent-2", "agent-3", "agent-noanswer-4", "agent-reject-5")
	done := e.serve(e.ctx, serveOptions{untilDone: true, statusTick: 50 * time.Millisecond}, e.sim.Now)
	waitDaemon(t, done, 2*time.Minute)
	l := simLegs(e.sim)
	checkAgentRun(t, e, l, c.ID)
	// Each customer is dialed only after its agent answered.
	answered := map[string]time.Time{}
	for _, o := range l.agents {
		answered[o.Vars["dialer_attempt_id"]] = l.calls[o.UUID].Answered
	}
	for _, o := range l.customers {
		at, ok := answered[o.Vars["dialer_attempt_id"]]
		if !ok || at.IsZero() || o.SimTime.Before(at) {
			t.Errorf("customer of attempt %s dialed at %s, its agent answered at %v", o.Vars["dialer_attempt_id"], o.SimTime, at)
		}
	}
	a, err := e.db.Agent(e.ctx, "agent-noanswer-4")
	if err != nil {
		t.Fatal(err)
	}
	if a.State != dialer.AgentBreak {
		t.Errorf("agent-noanswer-4 = %s, want a forced break", a.State)
	}
	// Agent failures never charge the member.
	ms, _ := e.db.Members(e.ctx, store.MemberFilter{CampaignID: c.ID})
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
	// Every agent leg bridged to a customer heard ringback while the
	// customer rang (uuid_broadcast of a tone stream before the bridge).
	bridged := 0
	for _, ch := range e.sim.Calls() {
		if ch.Leg == "B" || !strings.HasPrefix(ch.Destination, "agent-") || ch.Bridged.IsZero() {
			continue
		}
		bridged++
		if !strings.HasPrefix(ch.Vars["sim_broadcast"], "tone_stream://") {
			t.Errorf("agent leg %s (%s) bridged without ringback", ch.UUID, ch.Destination)
		}
	}
	if bridged == 0 {
		t.Error("no agent leg was bridged")
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
// simulator (every call vanishes) during a progressive run.
func TestServe_AgentsSurviveESLDrops(t *testing.T) {
	if testing.Short() {
		t.Skip("drop test: skipped with -short")
	}
	e := newSimE2E(t, fssim.Options{Speed: 10, HeartbeatInterval: time.Second})
	c := loadAgentChurn(e, "dropa", "d", 60)
	e.cfg.ESL.HeartbeatTimeout = 3 * time.Second
	done := e.serve(e.ctx, serveOptions{untilDone: true, drain: 5 * time.Second, statusTick: 100 * time.Millisecond}, time.Now)
	for i := range 8 {
		time.Sleep(300 * time.Millisecond)
		e.sim.DropConnections(i%2 == 0)
		if i == 4 {
			e.sim.Restart()
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
	for _, ch := range e.sim.Calls() {
		if ch.Active {
			t.Errorf("channel %s (%s) left up", ch.UUID, ch.Destination)
		}
	}
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
	e := newSimE2E(t, fssim.Options{Speed: 10, HeartbeatInterval: time.Second})
	c := loadAgentChurn(e, "killa", "k", 80)
	env := append(os.Environ(), "DIALER_DATABASE="+e.cfg.Database, "DIALER_ESL_ADDRESS="+e.cfg.ESL.Address, "DIALER_HTTP_LISTEN=127.0.0.1:0",
		"DIALER_LIMITS_MAX_CPS=300", "DIALER_LOG_LEVEL=warn")
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
	killed := len(e.sim.Originates())
	final := exec.Command(bin, "serve", "--until-done")
	final.Env = env
	if out, err := final.CombinedOutput(); err != nil {
		t.Fatalf("final run: %v\n%s", err, out)
	}
	if killed == 0 {
		t.Fatal("the killed runs dialed nothing: the test proves nothing")
	}
	t.Logf("%d originates during 5 killed runs, %d in all", killed, len(e.sim.Originates()))
	checkAgentRun(t, e, simLegs(e.sim), c.ID)
	for _, ch := range e.sim.Calls() {
		if ch.Active {
			t.Errorf("channel %s (%s) left up", ch.UUID, ch.Destination)
		}
	}
}
