package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
	"github.com/fsdialer/dialer/store"
)

// call sends a JSON request to the daemon's API and decodes the answer.
func apiCall(t *testing.T, method, url, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return resp.StatusCode, out
}

// waitFor polls cond until it holds or the wall-clock limit passes.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// serveAPI runs the daemon until the test ends and returns its API's base
// URL, once the switch is connected, and the campaign's members by name.
func (e *e2e) serveAPI(campaignID int64) (string, map[string]int64) {
	t := e.t
	t.Helper()
	addr := make(chan string, 1)
	ctx, cancel := context.WithCancel(e.ctx)
	done := e.serve(ctx, serveOptions{statusTick: 50 * time.Millisecond, httpAddr: func(a string) { addr <- a }}, e.sw.Now)
	t.Cleanup(func() {
		cancel()
		waitDaemon(t, done, 30*time.Second)
	})
	base := "http://" + <-addr
	waitFor(t, 10*time.Second, "the switch", func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	members, err := e.db.Members(e.ctx, store.MemberFilter{CampaignID: campaignID})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, m := range members {
		ids[m.Name] = m.ID
	}
	return base, ids
}

const resultCampaign = `
name: desk
mode: progressive
dial: {template: "loopback/{number}/dialer_lab"}
agents: {hold_time: 8s}
limits: {lines: 2, ring_timeout: 10s}
retry: {max_attempts: 3, interval: 1h}
`

// TestAPI_ResultDrivesTheEngine: a member result posted through the
// daemon's API ends the agent's wrap-up at once, and the engine then
// calls the member again on the number and at the time the result named;
// a result that stops every number keeps the member from being called.
func TestAPI_ResultDrivesTheEngine(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 10, HeartbeatInterval: time.Second}, testResultDrivesTheEngine)
}

func testResultDrivesTheEngine(t *testing.T, sw switchtest.Backend) {
	e := newE2E(t, sw)
	// The next call waits `after` on the switch's clock: 30 s, or 5 s of
	// real time on a real switch.
	after := 30 * time.Second
	if sw.Real() {
		after = 5 * time.Second
	}
	// The campaign's callbacks: connect events name the agent.
	var hookMu sync.Mutex
	hooks := map[string]map[string]any{}
	hookSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev map[string]any
		if err := json.NewDecoder(r.Body).Decode(&ev); err == nil {
			hookMu.Lock()
			hooks[r.Header.Get("Idempotency-Key")] = ev
			hookMu.Unlock()
		}
	}))
	defer hookSrv.Close()
	c := e.load(resultCampaign+"callback_url: "+hookSrv.URL+"\n"+alwaysOpen, []string{"ann:+12125550101", "bob:+12125550102"})
	var agents []dialer.Agent
	agents = append(agents, dialer.Agent{Name: "agent-1", Endpoint: "loopback/agent-1/dialer_lab",
		CallTimeout: dialer.Duration(10 * time.Second), WrapUp: dialer.Duration(10 * time.Minute),
		Tiers: []dialer.Tier{{Campaign: "desk", Level: 1}}})
	if _, err := e.db.ApplyAgents(e.ctx, agents); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.RequestAgentState(e.ctx, "agent-1", dialer.AgentAvailable); err != nil {
		t.Fatal(err)
	}
	base, ids := e.serveAPI(c.ID)
	agentState := func() dialer.AgentState {
		a, err := e.db.Agent(e.ctx, "agent-1")
		if err != nil {
			t.Fatal(err)
		}
		return a.State
	}
	memberState := func(name string) dialer.MemberState {
		m, err := e.db.Member(e.ctx, ids[name])
		if err != nil {
			t.Fatal(err)
		}
		return m.State
	}
	// One agent: the first member is called, answered and bridged; the
	// agent's ten-minute wrap-up then holds the second member back.
	waitFor(t, 30*time.Second, "a first call to end in wrap-up", func() bool {
		return agentState() == dialer.AgentWrapUp && (memberState("ann") == dialer.MemberDone || memberState("bob") == dialer.MemberDone)
	})
	first, second := "ann", "bob"
	if memberState("bob") == dialer.MemberDone {
		first, second = "bob", "ann"
	}
	newNumber := "+12125550144"
	resultAt := e.sw.Now()
	st, out := apiCall(t, "POST", base+"/v1/members/"+strconv.FormatInt(ids[first], 10)+"/result",
		`{"success":false,"next_after_sec":`+strconv.Itoa(int(after.Seconds()))+`,"next_communication":"`+newNumber+`","comment":"wrong person, call the office"}`)
	if st != 200 || out["state"] != "waiting" || out["agent"] != "agent-1" || out["number_added"] != true {
		t.Fatalf("result: %d %v", st, out)
	}
	// The wrap-up ends at once: well before its ten minutes.
	waitFor(t, 10*time.Second, "the wrap-up to end", func() bool { return agentState() != dialer.AgentWrapUp })
	if waited := e.sw.Now().Sub(resultAt); waited > time.Minute {
		t.Fatalf("wrap-up ended %s after the result", waited)
	}
	// The other member is called now (the agent is free again); its
	// result stops every number and is no success: it ends, and ends the
	// agent's wrap-up once more.
	waitFor(t, 60*time.Second, "the second member's call", func() bool {
		return memberState(second) == dialer.MemberDone && agentState() == dialer.AgentWrapUp
	})
	st, out = apiCall(t, "POST", base+"/v1/members/"+strconv.FormatInt(ids[second], 10)+"/result",
		`{"success":false,"stop_communications":"all"}`)
	if st != 200 || out["state"] != "failed" || out["end_cause"] != "MAX_TRY_COUNT" {
		t.Fatalf("stop all: %d %v", st, out)
	}
	stoppedAt := e.sw.Now()
	// The first member is called again on its new number, not before the
	// time the result asked for.
	defer func() {
		if t.Failed() {
			for _, o := range agentRunOf(sw).customers {
				t.Logf("originate %s %s member %s", o.Created.Format("15:04:05"), o.Destination, o.Vars["dialer_member_id"])
			}
		}
	}()
	waitFor(t, 60*time.Second, "the first member to be called on its new number", func() bool {
		for _, o := range agentRunOf(e.sw).customers {
			if o.Vars["dialer_member_id"] == strconv.FormatInt(ids[first], 10) && strings.Contains(o.Destination, newNumber[1:]) {
				return true
			}
		}
		return false
	})
	for _, o := range agentRunOf(e.sw).customers {
		if o.Vars["dialer_member_id"] != strconv.FormatInt(ids[first], 10) || o.Created.Before(resultAt) {
			continue
		}
		if !strings.Contains(o.Destination, newNumber[1:]) {
			t.Fatalf("after the result the member was called on %s, want %s", o.Destination, newNumber)
		}
		// The switch stamps the channel from its cached clock.
		if o.Created.Sub(resultAt) < after-switchtest.ClockLag {
			t.Fatalf("called %s after the result, which asked for %s", o.Created.Sub(resultAt), after)
		}
	}
	waitFor(t, 30*time.Second, "the first member's second call to end", func() bool {
		as, _ := e.db.MemberAttempts(e.ctx, ids[first])
		return len(as) == 2 && as[1].Final
	})
	for _, o := range agentRunOf(e.sw).customers {
		if o.Vars["dialer_member_id"] == strconv.FormatInt(ids[second], 10) && o.Created.After(stoppedAt) {
			t.Fatalf("member called at %s after its numbers were stopped", o.Created)
		}
	}
	// Every attempt was answered and bridged to agent-1: each has a
	// connect and a release callback that name the agent.
	var all []dialer.Attempt
	for _, name := range []string{first, second} {
		as, _ := e.db.MemberAttempts(e.ctx, ids[name])
		all = append(all, as...)
	}
	// A member that ended failed also gets its failure notice, once.
	failed := 0
	for _, name := range []string{first, second} {
		if m, err := e.db.Member(e.ctx, ids[name]); err == nil && m.State == dialer.MemberFailed {
			failed++
		}
	}
	waitFor(t, 20*time.Second, "the callbacks", func() bool {
		hookMu.Lock()
		defer hookMu.Unlock()
		return len(hooks) == 2*len(all)+failed
	})
	hookMu.Lock()
	defer hookMu.Unlock()
	for _, name := range []string{first, second} {
		m, err := e.db.Member(e.ctx, ids[name])
		if err != nil {
			t.Fatal(err)
		}
		h := hooks[fmt.Sprintf("member-%d:failed", m.ID)]
		if (h != nil) != (m.State == dialer.MemberFailed) {
			t.Errorf("member %d ended %s; failure notice: %v", m.ID, m.State, h)
		}
	}
	for _, a := range all {
		for _, ev := range []string{"connect", "release"} {
			h := hooks[a.UUID+":"+ev]
			if h == nil || h["agent"] != "agent-1" || h["attempt_id"] != float64(a.ID) || h["answer_time"] == nil {
				t.Errorf("%s callback of attempt %d: %v", ev, a.ID, h)
			}
		}
	}
}

// TestAPI_ClickToCall: an agent's click-to-call through the daemon rings
// the agent first, then the member, bridges them and records an attempt;
// a blocked number, a member in a call and an agent not assigned to the
// campaign are refused with the reason, and nothing is dialed for them.
func TestAPI_ClickToCall(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 10, HeartbeatInterval: time.Second}, testClickToCall)
}

func testClickToCall(t *testing.T, sw switchtest.Backend) {
	e := newE2E(t, sw)
	c := e.load(resultCampaign+alwaysOpen, []string{"ann:+12125550103", "bob:+12125550122"})
	// Paused: the campaign places no call by itself; retry waits are
	// long, so only the click-to-call can dial.
	if _, err := e.db.SetCampaignState(e.ctx, "desk", dialer.StatePaused); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.ApplyAgents(e.ctx, []dialer.Agent{
		{Name: "agent-1", Endpoint: "loopback/agent-1/dialer_lab", CallTimeout: dialer.Duration(10 * time.Second),
			WrapUp: dialer.Duration(time.Second), Tiers: []dialer.Tier{{Campaign: "desk", Level: 1}}},
		{Name: "agent-2", Endpoint: "loopback/agent-2/dialer_lab", CallTimeout: dialer.Duration(10 * time.Second)},
		{Name: "agent-3", Endpoint: "loopback/agent-noanswer-3/dialer_lab", CallTimeout: dialer.Duration(5 * time.Second)},
	}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"agent-1", "agent-2", "agent-3"} {
		if _, err := e.db.RequestAgentState(e.ctx, a, dialer.AgentAvailable); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.db.BlockNumbers(e.ctx, "desk", []string{"+12125550122"}, "asked not to be called"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.BlockNumbers(e.ctx, "", []string{"+12125550155"}, "do not call"); err != nil {
		t.Fatal(err)
	}
	e.cfg.Manual.DialTemplate = "loopback/{number}/dialer_lab"
	base, ids := e.serveAPI(c.ID)

	st, out := apiCall(t, "POST", base+"/v1/calls", `{"agent":"agent-2","campaign":"desk","member_id":`+strconv.FormatInt(ids["ann"], 10)+`}`)
	if st != 409 || !strings.Contains(out["error"].(map[string]any)["message"].(string), "not assigned") {
		t.Fatalf("agent without a tier: %d %v", st, out)
	}
	st, out = apiCall(t, "POST", base+"/v1/calls", `{"agent":"agent-1","campaign":"desk","member_id":`+strconv.FormatInt(ids["bob"], 10)+`}`)
	if st != 409 || !strings.Contains(out["error"].(map[string]any)["message"].(string), "blocklist") {
		t.Fatalf("blocked number: %d %v", st, out)
	}
	st, out = apiCall(t, "POST", base+"/v1/calls", `{"agent":"agent-1","campaign":"desk","member_id":`+strconv.FormatInt(ids["ann"], 10)+`}`)
	if st != 201 || out["state"] != "started" || out["attempt_id"] == nil {
		t.Fatalf("click-to-call: %d %v", st, out)
	}
	callUUID := out["call_uuid"].(string)
	// The member is in a call now: a second click is refused.
	st, out = apiCall(t, "POST", base+"/v1/calls", `{"agent":"agent-1","campaign":"desk","member_id":`+strconv.FormatInt(ids["ann"], 10)+`}`)
	if st != 409 {
		t.Fatalf("second click during the call: %d %v", st, out)
	}
	waitFor(t, 30*time.Second, "the call to end", func() bool {
		m, _ := e.db.Member(e.ctx, ids["ann"])
		return m.State == dialer.MemberDone
	})
	l := agentRunOf(e.sw)
	if len(l.customers) != 1 || len(l.agents) != 1 {
		t.Fatalf("%d customer and %d agent originates, want one each", len(l.customers), len(l.agents))
	}
	cust, ag := l.customers[0], l.agents[0]
	if cust.UUID != callUUID || !strings.Contains(cust.Destination, "2125550103") || !strings.Contains(ag.Destination, "agent-1") {
		t.Fatalf("originates: customer %s %s, agent %s", cust.UUID, cust.Destination, ag.Destination)
	}
	if cust.Created.Before(l.byUUID[ag.UUID].Answered) {
		t.Fatalf("customer dialed at %s, before the agent answered at %s", cust.Created, l.byUUID[ag.UUID].Answered)
	}
	if l.byUUID[cust.UUID].BridgedWith != ag.UUID && l.byUUID[ag.UUID].BridgedWith != cust.UUID {
		t.Fatalf("customer and agent were not bridged: %+v %+v", l.byUUID[cust.UUID], l.byUUID[ag.UUID])
	}
	as, _ := e.db.MemberAttempts(e.ctx, ids["ann"])
	if len(as) != 1 || !as[0].Final || as[0].AgentID == 0 || as[0].Cause != "NORMAL_CLEARING" {
		t.Fatalf("attempt %+v", as)
	}

	// A manual call (no campaign): the agent's leg, then the number,
	// bridged, recorded on the request; a globally blocked number is
	// refused.
	st, out = apiCall(t, "POST", base+"/v1/calls", `{"agent":"agent-1","number":"+12125550155"}`)
	if st != 409 || !strings.Contains(out["error"].(map[string]any)["message"].(string), "blocklist") {
		t.Fatalf("manual call to a blocked number: %d %v", st, out)
	}
	waitFor(t, 10*time.Second, "agent-1 to be free", func() bool {
		a, _ := e.db.Agent(e.ctx, "agent-1")
		return a.State == dialer.AgentAvailable
	})
	st, out = apiCall(t, "POST", base+"/v1/calls", `{"agent":"agent-1","number":"+12125550133"}`)
	if st != 201 || out["state"] != "started" {
		t.Fatalf("manual call: %d %v", st, out)
	}
	reqID := int64(out["id"].(float64))
	var req dialer.CallRequest
	waitFor(t, 30*time.Second, "the manual call to end", func() bool {
		req, _ = e.db.CallRequest(e.ctx, reqID)
		return !req.EndedAt.IsZero()
	})
	if req.Cause != "NORMAL_CLEARING" || req.AnsweredAt.IsZero() || req.BillsecMS < 3000 {
		t.Fatalf("manual call record %+v", req)
	}
	l = agentRunOf(e.sw)
	if len(l.customers) != 2 || len(l.agents) != 2 {
		t.Fatalf("%d customer and %d agent originates, want two each", len(l.customers), len(l.agents))
	}
	cust, ag = l.customers[1], l.agents[1]
	if !strings.Contains(cust.Destination, "2125550133") || cust.Vars["dialer_manual_call"] != strconv.FormatInt(reqID, 10) ||
		ag.UUID != req.CallUUID || cust.Created.Before(l.byUUID[ag.UUID].Answered) ||
		l.byUUID[cust.UUID].BridgedWith != ag.UUID && l.byUUID[ag.UUID].BridgedWith != cust.UUID {
		t.Fatalf("manual call legs: customer %+v agent %+v", cust, ag)
	}
	if n, _ := e.db.MemberAttempts(e.ctx, ids["ann"]); len(n) != 1 {
		t.Fatalf("a manual call was recorded as an attempt: %+v", n)
	}
	waitFor(t, 10*time.Second, "agent-1 to be available after wrap-up", func() bool {
		a, _ := e.db.Agent(e.ctx, "agent-1")
		return a.State == dialer.AgentAvailable
	})
	// An agent who does not answer: the number is never dialed, and the
	// request records the agent's no-answer.
	st, out = apiCall(t, "POST", base+"/v1/calls", `{"agent":"agent-3","number":"+12125550134"}`)
	if st != 201 {
		t.Fatalf("manual call of agent-3: %d %v", st, out)
	}
	reqID = int64(out["id"].(float64))
	waitFor(t, 30*time.Second, "the unanswered manual call to end", func() bool {
		req, _ = e.db.CallRequest(e.ctx, reqID)
		return !req.EndedAt.IsZero()
	})
	if req.Cause != "NO_ANSWER" || !req.AnsweredAt.IsZero() || req.BillsecMS != 0 {
		t.Fatalf("unanswered manual call record %+v", req)
	}
	for _, o := range agentRunOf(e.sw).customers {
		if strings.Contains(o.Destination, "2125550134") {
			t.Fatalf("the number was dialed although the agent never answered")
		}
	}
}
