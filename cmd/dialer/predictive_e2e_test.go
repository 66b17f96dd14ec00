package main

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
	"github.com/fsdialer/dialer/store"
)

// sessionAgents applies agents with persistent sessions, tiered to
// campaign, and logs them in.
func (e *e2e) sessionAgents(campaign string, wrap time.Duration, dests ...string) {
	e.t.Helper()
	var list []dialer.Agent
	for _, d := range dests {
		list = append(list, dialer.Agent{Name: d, Endpoint: "loopback/" + d + "/dialer_lab",
			CallTimeout: dialer.Duration(5 * time.Second), WrapUp: dialer.Duration(wrap), MaxNoAnswer: 2,
			Session: dialer.SessionPersistent, Tiers: []dialer.Tier{{Campaign: campaign, Level: 1}}})
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

// answering are n members whose numbers all answer after 1 s and talk
// 1 to 4 s (numbering plan 0S-3S), or with long 5 to 10 s.
func answering(prefix string, n int, long bool) []string {
	tails := []string{"00", "11", "22", "03", "10", "21", "02", "13"}
	if long {
		tails = []string{"04", "15", "26", "37", "48", "09", "19", "28"}
	}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d:+1212%04d%s", prefix, i, 6000+i, tails[i%len(tails)])
	}
	return out
}

// checkOneSessionEach: every agent had one leg for the whole run (that
// none is left up, checkNoneUp sees).
func checkOneSessionEach(t *testing.T, r agentRun, agents []string) {
	t.Helper()
	legs := map[string]int{}
	for _, a := range r.agents {
		legs[a.Vars["dialer_agent"]]++
		if a.Vars["dialer_session"] != "persistent" {
			t.Errorf("agent leg %s of %s is not a session leg: vars %v", a.UUID, a.Vars["dialer_agent"], a.Vars)
		}
	}
	for _, name := range agents {
		if legs[name] != 1 {
			t.Errorf("agent %s had %d legs, want its one session", name, legs[name])
		}
	}
}

// sessionBridges are the customers bridged into a session leg, by agent
// leg uuid; on the agent leg every bridge is recorded.
func sessionConnects(t *testing.T, r agentRun) []time.Duration {
	t.Helper()
	var out []time.Duration
	for _, c := range r.customers {
		if c.Answered.IsZero() || c.Bridged.IsZero() {
			continue
		}
		if _, ok := r.agentOf(c); !ok {
			t.Errorf("customer %s bridged with %s, not an agent's session", c.UUID, c.BridgedWith)
			continue
		}
		out = append(out, c.Bridged.Sub(c.Answered))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// settleNoneUp waits (up to 5 s) for the switch's records to show every
// channel down, then checks it: the session legs are hung up as the
// daemon stops, and the switch's own event stream may report their end a
// moment after the daemon saw it and exited.
func settleNoneUp(t *testing.T, sw switchtest.Backend) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		up := false
		for _, c := range sw.Channels() {
			up = up || c.Active
		}
		if !up {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	checkNoneUp(t, sw)
}

// p99 is the 99th percentile of sorted durations (the largest below 100).
func p99(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[min(len(ds)-1, len(ds)*99/100)]
}

// TestServe_PersistentSessionsConnectAtOnce: three agents with persistent
// sessions serve a progressive campaign of answering customers: each agent
// is called once, every customer is bridged into a waiting session leg,
// and the connect time (the customer's answer to its bridge, from the
// switch's own events) has a p99 under 300 ms on the real switch.
func TestServe_PersistentSessionsConnectAtOnce(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 10, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		e := newE2E(t, sw)
		agents := []string{"agent-1", "agent-2", "agent-3"}
		members := answering("s", 60, false)
		if sw.Real() {
			members = answering("s", 36, false)
		}
		c := e.load(`
name: sessions
mode: progressive
dial: {template: "loopback/{number}/dialer_lab"}
limits: {lines: 10, ring_timeout: 5s}
retry: {max_attempts: 1}
`+alwaysOpen, members)
		e.sessionAgents("sessions", 0, agents...)
		done := e.serve(e.ctx, serveOptions{untilDone: true, statusTick: 50 * time.Millisecond}, sw.Now)
		waitDaemon(t, done, agentRunLimit)
		r := agentRunOf(sw)
		checkOneSessionEach(t, r, agents)
		connects := sessionConnects(t, r)
		if len(connects) != len(members) {
			t.Errorf("%d customers bridged, want all %d", len(connects), len(members))
		}
		p := p99(connects)
		t.Logf("connect time over %d calls: p50 %v, p99 %v, max %v", len(connects), connects[len(connects)/2], p, connects[len(connects)-1])
		if sw.Real() && p >= 300*time.Millisecond {
			t.Errorf("connect time p99 %v, want under 300 ms", p)
		}
		checkSettled(t, e.db, c.ID)
		settleNoneUp(t, sw)
	})
}

// TestServe_PredictiveBridgesOrPlaysTheMessage: a predictive campaign at a
// fixed ratio of 3 with two agents on persistent sessions dials three
// customers per free agent, all of whom answer. From the switch's events:
// every answered customer is either bridged into a session leg or hears
// the abandon message (CHANNEL_EXECUTE playback) within 2 s of its
// answer, and then the switch hangs up. The store agrees: those are the
// ABANDONED attempts. The callees stay 5 s or more, so none hangs up
// before its message.
func TestServe_PredictiveBridgesOrPlaysTheMessage(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 5, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		e := newE2E(t, sw)
		agents := []string{"agent-1", "agent-2"}
		const message = "tone_stream://%(300,200,440);loops=2"
		c := e.load(`
name: predict
mode: predictive
dial: {template: "loopback/{number}/dialer_lab"}
predictive: {ratio: 3}
abandon: {after: 1500ms, message: "`+message+`"}
limits: {lines: 10, ring_timeout: 5s}
retry: {max_attempts: 1}
`+alwaysOpen, answering("p", 18, true))
		e.sessionAgents("predict", time.Second, agents...)
		done := e.serve(e.ctx, serveOptions{untilDone: true, statusTick: 50 * time.Millisecond}, sw.Now)
		waitDaemon(t, done, agentRunLimit)
		r := agentRunOf(sw)
		checkOneSessionEach(t, r, agents)

		bridged, played := 0, 0
		for _, cust := range r.customers {
			if cust.Answered.IsZero() {
				t.Errorf("customer %s (%s) never answered: the plan answers them all", cust.UUID, cust.Destination)
				continue
			}
			if _, ok := r.agentOf(cust); ok {
				bridged++
				continue
			}
			var at time.Time
			for _, x := range cust.Executed {
				if x.App == "playback" && x.Data == message {
					at = x.At
				}
			}
			if at.IsZero() {
				t.Errorf("customer %s answered, was never bridged and never heard the message (ran %v)", cust.UUID, cust.Executed)
				continue
			}
			played++
			if wait := at.Sub(cust.Answered); wait > 2*time.Second {
				t.Errorf("customer %s heard the message %v after answering, want within 2 s", cust.UUID, wait)
			}
			if cust.Hangup.Before(at) {
				t.Errorf("customer %s hung up at %v, before its message at %v", cust.UUID, cust.Hangup, at)
			}
		}
		if bridged == 0 || played == 0 {
			t.Errorf("%d customers bridged, %d heard the message: the run proves nothing", bridged, played)
		}
		if len(r.customers) <= 2*len(agents) {
			t.Errorf("%d customers dialed in all for 2 agents at ratio 3: never dialed ahead", len(r.customers))
		}
		ms, err := e.db.Members(e.ctx, store.MemberFilter{CampaignID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		abandoned := 0
		for _, m := range ms {
			as, _ := e.db.MemberAttempts(e.ctx, m.ID)
			for _, a := range as {
				if a.Cause == "ABANDONED" {
					abandoned++
				}
			}
		}
		if abandoned != played {
			t.Errorf("%d attempts ABANDONED, the switch played the message to %d customers", abandoned, played)
		}
		checkSettled(t, e.db, c.ID)
		settleNoneUp(t, sw)
	})
}
