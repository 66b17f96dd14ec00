package engine

import (
	"sort"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/cause"
)

// fakeNodes makes the fake switch several nodes, each with its lines: a
// call is placed on the node with the most free lines, or the one asked
// for; a node that is down answers nothing about its calls and holds
// their updates.
type fakeNodes struct {
	lines  map[string]int
	calls  map[string]int       // node -> calls placed and not over
	down   map[string]time.Time // node -> since
	nodeOf map[string]string    // uuid -> node
	held   []Update
}

func newFakeNodes(lines map[string]int) *fakeNodes {
	return &fakeNodes{lines: lines, calls: map[string]int{}, down: map[string]time.Time{}, nodeOf: map[string]string{}}
}

func (f *fakeSwitch) Place(uuid, node string) (string, error) {
	n := f.nodes
	if n == nil {
		return "", nil
	}
	names := make([]string, 0, len(n.lines))
	for name := range n.lines {
		names = append(names, name)
	}
	sort.Strings(names)
	best, free := "", 0
	for _, name := range names {
		if _, down := n.down[name]; down || node != "" && name != node {
			continue
		}
		if left := n.lines[name] - n.calls[name]; left > free {
			best, free = name, left
		}
	}
	if best == "" {
		return "", ErrNoRoom
	}
	n.calls[best]++
	n.nodeOf[uuid] = best
	return best, nil
}

func (f *fakeSwitch) Unplace(uuid string) {
	if n := f.nodes; n != nil && n.nodeOf[uuid] != "" {
		n.calls[n.nodeOf[uuid]]--
		delete(n.nodeOf, uuid)
	}
}

func (f *fakeSwitch) NodeOf(uuid string) string {
	if f.nodes == nil {
		return ""
	}
	return f.nodes.nodeOf[uuid]
}

func (f *fakeSwitch) Locate(uuid, node string) {
	if f.nodes != nil && node != "" {
		f.nodes.nodeOf[uuid] = node
	}
}

// downOf is the error for a channel on a node that is down.
func (n *fakeNodes) downOf(uuid string) error {
	if n == nil {
		return nil
	}
	node := n.nodeOf[uuid]
	if since, down := n.down[node]; down {
		return &NodeDownError{Node: node, Since: since}
	}
	return nil
}

// hold keeps the updates of a down node's calls; a final one frees its line.
func (n *fakeNodes) hold(u Update) bool {
	if n == nil || u.Kind != CallChanged {
		return false
	}
	node := n.nodeOf[u.UUID]
	if _, down := n.down[node]; down {
		n.held = append(n.held, u)
		return true
	}
	if u.Final && node != "" {
		n.calls[node]--
		delete(n.nodeOf, u.UUID)
	}
	return false
}

// TestEngine_NodesSpreadAndSurviveALostNode: calls go to the node with
// the most free lines; a node that drops gets no new calls while the
// other goes on; its calls are awaited for the grace, then finalised as
// lost, and hung up when the node comes back.
func TestEngine_NodesSpreadAndSurviveALostNode(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 100, MaxCPS: 100, NodeGrace: 30 * time.Second}, func(string) outcome {
		return outcome{ring: time.Second, answer: true, talk: 20 * time.Second}
	})
	h.sw.nodes = newFakeNodes(map[string]int{"fs-a": 2, "fs-b": 4})
	c := h.campaign("name: nodes\n"+ivr+"limits: {lines: 6}\nretry: {interval: 1h}\n", numbers(40, "01")...)
	h.run(2*time.Second, 100*time.Millisecond)

	byNode := map[string]int{}
	for _, p := range h.sw.placed {
		byNode[p.req.Node]++
	}
	if byNode["fs-a"] != 2 || byNode["fs-b"] != 4 || len(h.sw.placed) != 6 {
		t.Fatalf("calls by node %v (%d in all), want 2 on fs-a and 4 on fs-b", byNode, len(h.sw.placed))
	}
	open, err := h.db.OpenAttempts(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range open {
		if a.Node != h.sw.NodeOf(a.UUID) || a.Node == "" {
			t.Errorf("attempt %d records node %q, placed on %q", a.ID, a.Node, h.sw.NodeOf(a.UUID))
		}
	}

	// fs-b drops with its four calls; a reconcile runs while it is away
	// (fs-a reconnects), and fs-a goes on calling.
	lostAt := h.clk.Now()
	h.sw.nodes.down["fs-b"] = lostAt
	h.sw.updates <- Update{Kind: Disconnected, Node: "fs-b"}
	h.sw.updates <- Update{Kind: Reconnected, Node: "fs-a"}
	h.run(25*time.Second, 100*time.Millisecond)
	onA, onB := 0, 0
	for _, p := range h.sw.placed {
		if p.at.After(lostAt) {
			switch p.req.Node {
			case "fs-a":
				onA++
			case "fs-b":
				onB++
			}
		}
	}
	if onA < 2 || onB != 0 {
		t.Fatalf("after fs-b dropped: %d calls on fs-a, %d on fs-b; want fs-a's lines used again, none on fs-b", onA, onB)
	}
	awaited := map[string]bool{}
	open, _ = h.db.OpenAttempts(h.ctx)
	for _, a := range open {
		if a.Node == "fs-b" {
			awaited[a.UUID] = true
		}
	}
	if len(awaited) != 4 {
		t.Fatalf("within the grace %d of fs-b's 4 attempts are open, want all 4 awaited", len(awaited))
	}
	// Past the grace they end lost: a counted retry, and the member
	// waits its interval.
	h.run(10*time.Second, 100*time.Millisecond)
	for _, m := range h.members(c.ID) {
		for _, a := range h.attemptsOf(m) {
			if !awaited[a.UUID] {
				continue
			}
			if !a.Final || a.Cause != cause.Lost {
				t.Errorf("fs-b attempt %s: final %v cause %s, want %s after the grace", a.UUID, a.Final, a.Cause, cause.Lost)
			}
			if m.State != dialer.MemberWaiting || m.DueAt.Before(h.clk.Now().Add(50*time.Minute)) {
				t.Errorf("member %s after a lost call: %s, next at %s; want waiting its 1h interval", m.Name, m.State, m.DueAt)
			}
		}
	}
	// fs-b comes back: the calls finalised meanwhile are hung up there.
	delete(h.sw.nodes.down, "fs-b")
	h.sw.updates <- Update{Kind: Reconnected, Node: "fs-b"}
	h.run(time.Second, 100*time.Millisecond)
	for uuid := range awaited {
		if p := h.sw.byUUID[uuid]; p.end.IsZero() || p.end.After(h.clk.Now()) {
			t.Errorf("call %s finalised as lost is still up on fs-b after it came back", uuid)
		}
	}
}

// TestAgents_NodeAffinity: an agent naming a node is dialed there and its
// customers are placed there; an agent of any node is dialed on its
// customer's node; both legs of every bridge are on one node. In
// progressive mode the customer is placed first, in preemptive the agent.
func TestAgents_NodeAffinity(t *testing.T) {
	for _, mode := range []string{progressive, preemptive} {
		h := newHarness(t, monday, Config{MaxCalls: 50, MaxCPS: 50}, longCall(10*time.Second))
		h.sw.nodes = newFakeNodes(map[string]int{"fs-a": 10, "fs-b": 10})
		h.campaign("name: aff\n"+mode+"limits: {lines: 4}\n", numbers(12, "01")...)
		h.agents("aff", agentSpec{name: "on-b", dest: "agent-1", node: "fs-b"},
			agentSpec{name: "anywhere", dest: "agent-2"})
		h.run(3*time.Minute, 100*time.Millisecond)
		customers := map[string]*placed{} // by attempt id
		for _, p := range h.sw.placed {
			if p.agent == "" {
				customers[p.req.Vars["dialer_attempt_id"]] = p
			}
		}
		legs := 0
		onA := 0
		for _, leg := range h.agentLegs("") {
			legs++
			cust := customers[leg.req.Vars["dialer_attempt_id"]]
			if leg.agent == "on-b" && leg.req.Node != "fs-b" {
				t.Errorf("%s: agent on-b dialed on %q, it names fs-b", mode, leg.req.Node)
			}
			if cust != nil && cust.req.Node != leg.req.Node {
				t.Errorf("%s: attempt %s: customer on %q, agent %s on %q", mode, leg.req.Vars["dialer_attempt_id"],
					cust.req.Node, leg.agent, leg.req.Node)
			}
			if leg.req.Node == "fs-a" {
				onA++
			}
		}
		if legs < 4 || len(h.sw.bridges) < 4 {
			t.Fatalf("%s: %d agent legs and %d bridges, want calls bridged", mode, legs, len(h.sw.bridges))
		}
		if onA == 0 {
			t.Errorf("%s: agent anywhere never took a call on fs-a, the node with more free lines", mode)
		}
		h.checkAgentsSettled()
	}
}

// TestEngine_NodeBackWithinTheGrace: a node that comes back within the
// grace has its calls reconciled from it: they end as the switch says,
// none is lost, and the node takes calls again.
func TestEngine_NodeBackWithinTheGrace(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 100, MaxCPS: 100, NodeGrace: time.Minute}, func(string) outcome {
		return outcome{ring: time.Second, answer: true, talk: 20 * time.Second}
	})
	h.sw.nodes = newFakeNodes(map[string]int{"fs-a": 2, "fs-b": 2})
	c := h.campaign("name: back\n"+ivr+"limits: {lines: 4}\nretry: {interval: 1h}\n", numbers(12, "01")...)
	h.run(2*time.Second, 100*time.Millisecond)
	downAt := h.clk.Now()
	h.sw.nodes.down["fs-b"] = downAt
	h.sw.updates <- Update{Kind: Disconnected, Node: "fs-b"}
	h.run(10*time.Second, 100*time.Millisecond)
	// Back after 10 s: the updates it held (its calls' ends, 20 s after
	// their answer) come through as they fall due.
	delete(h.sw.nodes.down, "fs-b")
	h.sw.updates <- Update{Kind: Reconnected, Node: "fs-b"}
	for _, u := range h.sw.nodes.held {
		h.sw.schedule(h.clk.Now(), u)
	}
	h.sw.nodes.held = nil
	h.run(3*time.Minute, 100*time.Millisecond)
	onBAfter := 0
	for _, p := range h.sw.placed {
		if p.req.Node == "fs-b" && p.at.After(downAt.Add(10*time.Second)) {
			onBAfter++
		}
	}
	if onBAfter == 0 {
		t.Error("fs-b took no call after it came back")
	}
	for _, m := range h.members(c.ID) {
		for _, a := range h.attemptsOf(m) {
			if !a.Final || a.Cause == cause.Lost {
				t.Errorf("attempt %s on %s: final %v cause %s; want every call followed to its end", a.UUID, a.Node, a.Final, a.Cause)
			}
		}
	}
}

// TestAgents_NodeDownPassesItsAgentOver: the longest-idle agent names a
// node that is down; the other agent still gets the calls, on a node
// that is up.
func TestAgents_NodeDownPassesItsAgentOver(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 50, MaxCPS: 50}, longCall(5*time.Second))
	h.sw.nodes = newFakeNodes(map[string]int{"fs-a": 10, "fs-b": 10})
	h.sw.nodes.down["fs-b"] = monday
	h.campaign("name: down\n"+progressive+"limits: {lines: 4}\n", numbers(6, "01")...)
	h.agents("down", agentSpec{name: "on-b", dest: "agent-1", node: "fs-b"},
		agentSpec{name: "anywhere", dest: "agent-2"})
	h.sw.onOriginate = func(req OriginateRequest) {
		if req.Endpoint != "" {
			return
		}
		customers := 1
		for _, p := range h.sw.live {
			if p.agent == "" {
				customers++
			}
		}
		if customers > 1 {
			t.Errorf("customer %s dialed with %d customer calls up, one agent can take calls", req.UUID, customers)
		}
	}
	h.run(2*time.Minute, 100*time.Millisecond)
	legs := h.agentLegs("")
	for _, leg := range legs {
		if leg.agent != "anywhere" || leg.req.Node != "fs-a" {
			t.Errorf("agent %s dialed on %q while fs-b is down", leg.agent, leg.req.Node)
		}
	}
	if len(legs) < 6 {
		t.Fatalf("%d agent legs for 6 members: the agent of the down node held the others up", len(legs))
	}
	h.checkAgentsSettled()
}
