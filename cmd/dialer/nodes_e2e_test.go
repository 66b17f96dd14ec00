package main

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/config"
	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/cause"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
	"github.com/fsdialer/dialer/store"
)

// nodesCampaign is an IVR campaign whose callees stay on the survey IVR
// for their numbering-plan talk time (3 to 5 s here), so that calls
// overlap and fill the nodes' lines.
const nodesCampaign = `
name: nodes
mode: ivr
dial: {template: "loopback/{number}/dialer_lab"}
ivr: {extension: dialer_ivr_survey, context: dialer_ivr}
limits: {lines: 6, calls: 20, interval: 1s, ring_timeout: 10s}
retry: {max_attempts: 3, interval: 2s, max_minus: 1}
`

// TestServe_TwoSwitchesSpreadByCapacityAndFailOver: one daemon on two
// switches, fs-a with 2 lines and fs-b with 4. Calls spread by free
// capacity (fs-b takes about twice fs-a's); when fs-b dies mid-campaign,
// new calls go to fs-a only, fs-b's calls end DIALER_LOST after the node
// grace and their members are called again on fs-a; every attempt ends
// final, each on the node it names, from both switches' own records.
func TestServe_TwoSwitchesSpreadByCapacityAndFailOver(t *testing.T) {
	switchtest.EachPair(t, fssim.Options{Speed: 10, HeartbeatInterval: time.Second}, func(t *testing.T, a, b switchtest.Backend, kill func() error) {
		e := newE2E(t, a)
		// The README's example, pointed at the test's two switches, with
		// fewer lines and a shorter grace.
		ex, _, err := config.Load("../../testdata/config/nodes.yaml", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		e.cfg.ESL.Nodes, e.cfg.ESL.NodeGrace = ex.ESL.Nodes, 3*time.Second
		for i, sw := range []switchtest.Backend{a, b} {
			n := &e.cfg.ESL.Nodes[i]
			n.Address, n.Password, n.MaxCalls = sw.Addr(), sw.Password(), 2*(i+1)
		}
		var members []string
		for i := range 24 {
			members = append(members, fmt.Sprintf("m%02d:+1212555%02d%02d", i, i, 42+i%3))
		}
		c := e.load(nodesCampaign+alwaysOpen, members)
		addr := make(chan string, 1)
		done := e.serve(e.ctx, serveOptions{untilDone: true, statusTick: 50 * time.Millisecond,
			httpAddr: func(a string) { addr <- a }}, a.Now)
		metrics := "http://" + <-addr + "/metrics"
		waitFor(t, 60*time.Second, "fs-b to take 8 calls", func() bool { return len(switchtest.Customers(b.Channels())) >= 8 })
		killedAt := a.Now()
		if err := kill(); err != nil {
			t.Fatal(err)
		}
		// The metrics say which node is gone, and count each node's calls.
		waitFor(t, 30*time.Second, "the metrics to show fs-b down", func() bool {
			body := scrape(t, metrics)
			return strings.Contains(body, `dialer_node_up{node="fs-b"} 0`) && strings.Contains(body, `dialer_node_up{node="fs-a"} 1`) &&
				strings.Contains(body, `dialer_node_max_calls{node="fs-b"} 4`) && strings.Contains(body, `dialer_node_originates_total{node="fs-b"}`)
		})
		waitDaemon(t, done, 3*time.Minute)

		onA, onB := nodeSpans(a, time.Time{}), nodeSpans(b, killedAt)
		beforeA, beforeB := 0, 0
		for _, s := range onA {
			if s.start.Before(killedAt) {
				beforeA++
			}
		}
		for _, s := range onB {
			if s.start.Before(killedAt) {
				beforeB++
			}
		}
		t.Logf("before fs-b died: %d calls on fs-a, %d on fs-b; after: %d on fs-a", beforeA, beforeB, len(onA)-beforeA)
		if beforeB <= beforeA {
			t.Errorf("fs-b (4 lines) took %d calls, fs-a (2 lines) %d: want more on the node with more free lines", beforeB, beforeA)
		}
		if got := maxConcurrentSpans(onA); got > 2 {
			t.Errorf("%d calls up at once on fs-a, its max_calls 2", got)
		}
		if got := maxConcurrentSpans(onB); got > 4 {
			t.Errorf("%d calls up at once on fs-b, its max_calls 4", got)
		}
		all := append(append([]span(nil), onA...), onB...)
		sort.Slice(all, func(i, j int) bool { return all[i].start.Before(all[j].start) })
		if got := maxConcurrentSpans(all); got > 6 {
			t.Errorf("%d calls up at once, campaign lines 6", got)
		}
		checkNoOverlap(t, all, 0)
		if len(onA) == beforeA {
			t.Fatalf("no call on fs-a after fs-b died")
		}

		// Every attempt is final and names the node whose own records
		// have its channel.
		seen := map[string]string{}
		for _, ch := range switchtest.Customers(a.Channels()) {
			seen[ch.UUID] = "fs-a"
		}
		for _, ch := range switchtest.Customers(b.Channels()) {
			seen[ch.UUID] = "fs-b"
		}
		as, err := e.db.Attempts(e.ctx, store.AttemptFilter{CampaignID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		lost := 0
		for _, at := range as {
			if !at.Final {
				t.Errorf("attempt %d on %s is not final", at.ID, at.Node)
			}
			if seen[at.UUID] != at.Node {
				t.Errorf("attempt %d names node %q, its channel was seen on %q", at.ID, at.Node, seen[at.UUID])
			}
			if at.Node == "fs-b" && at.CreatedAt.After(killedAt.Add(time.Second)) {
				t.Errorf("attempt %d placed on fs-b at %s, after it died at %s", at.ID, at.CreatedAt, killedAt)
			}
			if at.Cause == cause.Lost {
				lost++
				if at.Node != "fs-b" {
					t.Errorf("attempt %d on %s lost", at.ID, at.Node)
				}
			}
		}
		if lost == 0 {
			t.Errorf("no attempt of fs-b's ended %s: the calls up when it died", cause.Lost)
		}
		byNode, err := e.db.NodeReport(e.ctx, c.ID, dialer.TimeRange{})
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, at := range as {
			count[at.Node]++
		}
		if len(byNode) != 2 || byNode[0].Attempts != count["fs-a"] || byNode[1].Attempts != count["fs-b"] ||
			byNode[1].Lost != lost || byNode[0].InProgress+byNode[1].InProgress != 0 {
			t.Errorf("report by node %+v, want fs-a %d and fs-b %d attempts, %d lost on fs-b", byNode, count["fs-a"], count["fs-b"], lost)
		}
		got, _ := e.db.Campaign(e.ctx, "nodes")
		if got.State != dialer.StateFinished {
			t.Errorf("campaign %s, want finished", got.State)
		}
		ms, err := e.db.Members(e.ctx, store.MemberFilter{CampaignID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.State != dialer.MemberDone {
				t.Errorf("member %s ended %s (%s), want done: a lost call is called again", m.Name, m.State, m.EndCause)
			}
		}
		st, err := e.db.DaemonStatus(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Nodes) != 2 || st.Nodes[0].Name != "fs-a" || st.Nodes[0].State != "connected" ||
			st.Nodes[1].Name != "fs-b" || st.Nodes[1].State != "disconnected" {
			t.Errorf("daemon status nodes %+v, want fs-a connected and fs-b disconnected", st.Nodes)
		}
	})
}

// nodeSpans are one switch's customer calls; a call still up when the
// switch died ended then.
func nodeSpans(sw switchtest.Backend, diedAt time.Time) []span {
	var out []span
	for _, c := range switchtest.Customers(sw.Channels()) {
		end := c.Hangup
		if end.IsZero() {
			end = diedAt
			if diedAt.IsZero() {
				end = sw.Now()
			}
		}
		out = append(out, span{member: c.Vars["dialer_member_id"], start: c.Created, end: end, number: c.Destination})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].start.Before(out[j].start) })
	return out
}

// scrape reads the daemon's /metrics ("" while it cannot be reached).
func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestServe_AgentsOnTwoSwitches: a progressive campaign on two switches,
// agent-1 naming fs-b and agent-2 any node. From both switches' records:
// every customer was bridged to an agent leg on its own switch, agent-1
// was only ever dialed on fs-b, and both switches carried calls; every
// attempt is final and names the switch that has its channel.
func TestServe_AgentsOnTwoSwitches(t *testing.T) {
	switchtest.EachPair(t, fssim.Options{Speed: 20, HeartbeatInterval: time.Second}, func(t *testing.T, a, b switchtest.Backend, _ func() error) {
		e := newE2E(t, a)
		e.cfg.ESL.Nodes = []config.Node{
			{Name: "fs-a", Address: a.Addr(), Password: a.Password(), MaxCalls: 10, MaxCPS: 20},
			{Name: "fs-b", Address: b.Addr(), Password: b.Password(), MaxCalls: 10, MaxCPS: 20},
		}
		var members []string
		for i := range 10 {
			members = append(members, fmt.Sprintf("p%02d:+1212555%02d%02d", i, i, 1+i%4))
		}
		c := e.load(`
name: prog2
mode: progressive
dial: {template: "loopback/{number}/dialer_lab"}
agents: {hold_time: 8s}
limits: {lines: 4, ring_timeout: 5s}
retry: {max_attempts: 2, interval: 5s, max_minus: 1}
`+alwaysOpen, members)
		e.agents("prog2", "agent-1", "agent-2")
		onB := dialer.Agent{Name: "agent-1", Endpoint: "loopback/agent-1/dialer_lab", CallTimeout: dialer.Duration(5 * time.Second),
			WrapUp: dialer.Duration(time.Second), MaxNoAnswer: 2, Node: "fs-b", Tiers: []dialer.Tier{{Campaign: "prog2", Level: 2}}}
		if _, err := e.db.ApplyAgents(e.ctx, []dialer.Agent{onB}); err != nil {
			t.Fatal(err)
		}
		done := e.serve(e.ctx, serveOptions{untilDone: true, statusTick: 50 * time.Millisecond}, a.Now)
		waitDaemon(t, done, agentRunLimit)
		seen := map[string]string{}
		bridged := map[string]int{}
		for name, sw := range map[string]switchtest.Backend{"fs-a": a, "fs-b": b} {
			r := agentRunOf(sw)
			for _, ch := range r.customers {
				seen[ch.UUID] = name
				if ch.BridgedWith == "" {
					continue
				}
				ag, ok := r.agentOf(ch)
				if !ok {
					t.Errorf("%s: customer %s bridged to %s, no agent leg of this switch", name, ch.UUID, ch.BridgedWith)
					continue
				}
				bridged[name]++
				if ag.Vars["dialer_agent"] == "agent-1" && name != "fs-b" {
					t.Errorf("agent-1, which names fs-b, was bridged on %s", name)
				}
			}
			for _, ag := range r.agents {
				if ag.Vars["dialer_agent"] == "agent-1" && name != "fs-b" {
					t.Errorf("agent-1, which names fs-b, was dialed on %s", name)
				}
			}
		}
		t.Logf("bridged calls by switch: %v", bridged)
		if bridged["fs-a"] == 0 || bridged["fs-b"] == 0 {
			t.Errorf("bridged calls by switch %v: want calls on both", bridged)
		}
		ms, err := e.db.Members(e.ctx, store.MemberFilter{CampaignID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			as, _ := e.db.MemberAttempts(e.ctx, m.ID)
			for _, at := range as {
				if !at.Final || seen[at.UUID] != at.Node {
					t.Errorf("attempt %d: final %v, node %q, its channel seen on %q", at.ID, at.Final, at.Node, seen[at.UUID])
				}
			}
		}
		checkNoneUp(t, a)
		checkNoneUp(t, b)
	})
}
