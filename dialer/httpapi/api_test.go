package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/engine"
	"github.com/fsdialer/dialer/dialer/httpapi"
	"github.com/fsdialer/dialer/store"
)

const campaignDoc = `
name: sales
mode: progressive
default_region: US
dial: {template: "loopback/{number}/dialer_lab"}
limits: {lines: 5, ring_timeout: 10s}
retry: {max_attempts: 3, interval: 60s}
calendar: {timezone: UTC, weekly: {mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"], thu: ["00:00-24:00"], fri: ["00:00-24:00"], sat: ["00:00-24:00"], sun: ["00:00-24:00"]}}
`

// fixture is an API over a real SQLite file with one campaign and one
// agent, served on a real listener.
type fixture struct {
	t   *testing.T
	ctx context.Context
	db  *store.DB
	srv *httptest.Server
	now time.Time
	cid int64 // the campaign's id
}

type fakeLive struct{}

func (fakeLive) Snapshot() engine.Snapshot {
	return engine.Snapshot{Campaigns: []engine.CampaignSnapshot{{Name: "sales", Active: true, InFlight: 2, MaxLines: 5, Originates: 40}}}
}

func newFixture(t *testing.T, opts httpapi.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "api.db"), store.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c, err := dialer.ReadCampaign(strings.NewReader(campaignDoc), "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ApplyCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ApplyAgents(ctx, []dialer.Agent{{Name: "alice", Endpoint: "user/1001",
		CallTimeout: dialer.Duration(10 * time.Second), WrapUp: dialer.Duration(30 * time.Second),
		Tiers: []dialer.Tier{{Campaign: "sales", Level: 1}}}}); err != nil {
		t.Fatal(err)
	}
	opts.Now = func() time.Time { return now }
	if opts.CallWait == 0 {
		opts.CallWait = 100 * time.Millisecond
	}
	api := httpapi.New(db, fakeLive{}, opts)
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	stored, err := db.Campaign(ctx, "sales")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, ctx: ctx, db: db, srv: srv, now: now, cid: stored.ID}
}

// do sends a request and returns the status and the decoded JSON body.
func (f *fixture) do(method, path, body string, hdr ...string) (int, map[string]any) {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Fatalf("%s %s: Content-Type %q", method, path, ct)
	}
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		f.t.Fatalf("%s %s: body is not a JSON object: %v", method, path, err)
	}
	return resp.StatusCode, out
}

// wantError checks an error response's status, code and field.
func wantError(t *testing.T, status int, body map[string]any, wantStatus int, code, field string) {
	t.Helper()
	e, _ := body["error"].(map[string]any)
	if status != wantStatus || e == nil || e["code"] != code || (field != "-" && e["field"] != field) {
		t.Fatalf("got %d %v, want %d code %q field %q", status, body, wantStatus, code, field)
	}
	if msg, _ := e["message"].(string); msg == "" {
		t.Fatalf("error without a message: %v", body)
	}
}

// comm is the id of a member's number.
func (f *fixture) comm(memberID int64, number string) int64 {
	f.t.Helper()
	m, err := f.db.Member(f.ctx, memberID)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, c := range m.Communications {
		if c.Number == number {
			return c.ID
		}
	}
	f.t.Fatalf("member %d has no number %s", memberID, number)
	return 0
}

func (f *fixture) addMember(body string) int64 {
	f.t.Helper()
	st, out := f.do("POST", "/v1/campaigns/sales/members", body)
	if st != http.StatusCreated {
		f.t.Fatalf("add member: %d %v", st, out)
	}
	return int64(out["ids"].([]any)[0].(float64))
}

func TestCampaigns(t *testing.T) {
	f := newFixture(t, httpapi.Options{})
	f.addMember(`{"communications":[{"number":"2125550101"}]}`)

	st, out := f.do("GET", "/v1/campaigns", "")
	list := out["campaigns"].([]any)
	if st != 200 || len(list) != 1 {
		t.Fatalf("list: %d %v", st, out)
	}
	c := list[0].(map[string]any)
	live := c["live"].(map[string]any)
	if c["name"] != "sales" || c["members"] != 1.0 || c["state"] != "stopped" || live["lines_in_use"] != 2.0 || live["max_lines"] != 5.0 {
		t.Fatalf("campaign view %v", c)
	}
	st, out = f.do("GET", "/v1/campaigns/sales", "")
	if st != 200 || out["definition"].(map[string]any)["mode"] != "progressive" || out["max_lines"] != 5.0 {
		t.Fatalf("get: %d %v", st, out)
	}

	for _, step := range []struct{ verb, want, prev string }{
		{"start", "running", "stopped"}, {"pause", "paused", "running"}, {"resume", "running", "paused"}, {"stop", "stopped", "running"},
	} {
		st, out := f.do("POST", "/v1/campaigns/sales/"+step.verb, "")
		if st != 200 || out["state"] != step.want || out["previous"] != step.prev || out["changed"] != true {
			t.Fatalf("%s: %d %v", step.verb, st, out)
		}
		got, _ := f.db.Campaign(f.ctx, "sales")
		if string(got.State) != step.want {
			t.Fatalf("%s: store has %s", step.verb, got.State)
		}
	}
	st, out = f.do("POST", "/v1/campaigns/sales/resume", "")
	wantError(t, st, out, 409, "conflict", "-")
	st, out = f.do("GET", "/v1/campaigns/nope", "")
	wantError(t, st, out, 404, "not_found", "-")
	st, out = f.do("POST", "/v1/campaigns/nope/start", "")
	wantError(t, st, out, 404, "not_found", "-")
	st, out = f.do("POST", "/v1/campaigns/sales/explode", "")
	wantError(t, st, out, 404, "not_found", "-")
}

func TestAddMembers(t *testing.T) {
	f := newFixture(t, httpapi.Options{MaxMembers: 3})
	full := `{"name":"Ann","priority":2,"timezone":"America/New_York","expires_at":"2026-12-31",
		"external_key":"crm-1","communications":[{"number":"(212) 555-0101","type":"mobile","position":1},
		{"number":"+12125550102","type":"home","position":2}],"variables":{"plan":"gold"}}`
	id := f.addMember(full)
	m, err := f.db.Member(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "Ann" || m.Priority != 2 || m.ExternalKey != "crm-1" || m.Variables["plan"] != "gold" ||
		len(m.Communications) != 2 || m.Communications[0].Number != "+12125550101" ||
		!m.ExpiresAt.Equal(time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("stored member %+v", m)
	}

	// An array, and the batch form that starts the campaign.
	st, out := f.do("POST", "/v1/campaigns/sales/members", `[{"communications":[{"number":"2125550111"}]},{"communications":[{"number":"2125550112"}]}]`)
	if st != 201 || out["added"] != 2.0 || out["state"] != "stopped" {
		t.Fatalf("array: %d %v", st, out)
	}
	st, out = f.do("POST", "/v1/campaigns/sales/members", `{"members":[{"communications":[{"number":"2125550121"}]}],"start":true}`)
	if st != 201 || out["state"] != "running" {
		t.Fatalf("batch with start: %d %v", st, out)
	}
	if c, _ := f.db.Campaign(f.ctx, "sales"); c.State != dialer.StateRunning {
		t.Fatalf("campaign %s after start", c.State)
	}

	bad := []struct {
		name, body  string
		status      int
		code, field string
	}{
		{"no numbers", `{"name":"Bob"}`, 422, "invalid", "communications"},
		{"bad number", `{"communications":[{"number":"12"}]}`, 422, "invalid", "communications[0].number"},
		{"wrong type", `{"priority":"high","communications":[{"number":"2125550131"}]}`, 422, "invalid", "priority"},
		{"priority range", `{"priority":9,"communications":[{"number":"2125550131"}]}`, 422, "invalid", "priority"},
		{"unknown field", `{"colour":"red","communications":[{"number":"2125550131"}]}`, 422, "invalid", "colour"},
		{"bad zone", `{"timezone":"Mars/Base","communications":[{"number":"2125550131"}]}`, 422, "invalid", "timezone"},
		{"second of batch", `{"members":[{"communications":[{"number":"2125550131"}]},{"communications":[{"number":"x"}]}]}`, 422, "invalid", "members[1].communications[0].number"},
		{"array item", `[{"communications":[{"number":"2125550131"}]},{"communications":[]}]`, 422, "invalid", "[1].communications"},
		{"duplicate number", `{"communications":[{"number":"+12125550101"}]}`, 409, "conflict", "communications[0].number"},
		{"duplicate key", `{"external_key":"crm-1","communications":[{"number":"2125550131"}]}`, 409, "conflict", "external_key"},
		{"duplicate in batch", `{"members":[{"communications":[{"number":"2125550131"}]},{"communications":[{"number":"2125550111"}]}]}`, 409, "conflict", "members[1].communications[0].number"},
		{"too many", `{"members":[{"communications":[{"number":"2125550141"}]},{"communications":[{"number":"2125550142"}]},{"communications":[{"number":"2125550143"}]},{"communications":[{"number":"2125550144"}]}]}`, 422, "invalid", "members"},
		{"empty batch", `{"members":[]}`, 422, "invalid", "members"},
		{"not JSON", `{"communications":`, 400, "bad_request", "-"},
		{"a string", `"hello"`, 400, "bad_request", "-"},
		{"batch unknown field", `{"members":[],"begin":true}`, 422, "invalid", "begin"},
	}
	before, _ := f.db.Members(f.ctx, store.MemberFilter{})
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			st, out := f.do("POST", "/v1/campaigns/sales/members", tt.body)
			wantError(t, st, out, tt.status, tt.code, tt.field)
		})
	}
	after, _ := f.db.Members(f.ctx, store.MemberFilter{})
	if len(after) != len(before) {
		t.Fatalf("refused adds changed the store: %d members, then %d", len(before), len(after))
	}
	st, out = f.do("POST", "/v1/campaigns/nope/members", `{"communications":[{"number":"2125550151"}]}`)
	wantError(t, st, out, 404, "not_found", "-")
	st, out = f.do("POST", "/v1/campaigns/sales/members", "")
	wantError(t, st, out, 400, "bad_request", "-")
	st, out = f.do("POST", "/v1/campaigns/sales/members?start=maybe", `{"communications":[{"number":"2125550151"}]}`)
	wantError(t, st, out, 422, "invalid", "start")
	st, out = f.do("POST", "/v1/campaigns/sales/members", `{"communications":[{"number":"2125550151"}]}`, "Content-Type", "text/csv")
	wantError(t, st, out, 415, "unsupported_media_type", "-")
}

func TestGetAndDeleteMembers(t *testing.T) {
	f := newFixture(t, httpapi.Options{})
	id := f.addMember(`{"name":"Ann","external_key":"crm-7","communications":[{"number":"2125550101"}]}`)
	other := f.addMember(`{"name":"Bob","external_key":"crm-8","communications":[{"number":"2125550102"}]}`)

	st, out := f.do("GET", "/v1/members/"+itoa(id), "")
	if st != 200 || out["name"] != "Ann" || out["state"] != "waiting" || len(out["communications"].([]any)) != 1 {
		t.Fatalf("get: %d %v", st, out)
	}
	if _, ok := out["attempt_list"].([]any); !ok {
		t.Fatalf("no attempt list: %v", out)
	}
	st, out = f.do("GET", "/v1/campaigns/sales/members/by-key/crm-8", "")
	if st != 200 || out["id"] != float64(other) {
		t.Fatalf("by key: %d %v", st, out)
	}
	for _, tt := range []struct {
		method, path string
		status       int
		code, field  string
	}{
		{"GET", "/v1/members/999", 404, "not_found", "-"},
		{"GET", "/v1/members/abc", 422, "invalid", "id"},
		{"GET", "/v1/members/-3", 422, "invalid", "id"},
		{"GET", "/v1/campaigns/sales/members/by-key/nope", 404, "not_found", "-"},
		{"GET", "/v1/campaigns/nope/members/by-key/crm-8", 404, "not_found", "-"},
		{"DELETE", "/v1/members/999", 404, "not_found", "-"},
	} {
		st, out := f.do(tt.method, tt.path, "")
		wantError(t, st, out, tt.status, tt.code, tt.field)
	}

	// A member in a call is not deleted.
	if _, err := f.db.StartAttempts(f.ctx, []dialer.NewAttempt{{CampaignID: f.cid, MemberID: id, Number: "+12125550101", CommunicationID: f.comm(id, "+12125550101"),
		UUID: "u-1", At: f.now}}); err != nil {
		t.Fatal(err)
	}
	st, out = f.do("DELETE", "/v1/members/"+itoa(id), "")
	wantError(t, st, out, 409, "conflict", "-")
	st, out = f.do("DELETE", "/v1/campaigns/sales/members/by-key/crm-8", "")
	if st != 200 || out["deleted"] != float64(other) {
		t.Fatalf("delete by key: %d %v", st, out)
	}
	if _, err := f.db.Member(f.ctx, other); err == nil {
		t.Fatal("deleted member still stored")
	}
}

// finishCall gives a member one answered, final attempt with agent alice
// and leaves alice in wrap-up.
func (f *fixture) finishCall(memberID int64, number, uuid string) int64 {
	f.t.Helper()
	agents, _ := f.db.Agents(f.ctx)
	ids, err := f.db.StartAttempts(f.ctx, []dialer.NewAttempt{{CampaignID: f.cid, MemberID: memberID, Number: number, CommunicationID: f.comm(memberID, number),
		UUID: uuid, AgentID: agents[0].ID, At: f.now}})
	if err != nil || ids[0] == 0 {
		f.t.Fatalf("start attempt: %v %v", ids, err)
	}
	if err := f.db.FinishAttempts(f.ctx, []dialer.AttemptEnd{{AttemptID: ids[0], MemberID: memberID, Cause: "NORMAL_CLEARING",
		Class: "ok", Counted: true, AnsweredAt: f.now, EndedAt: f.now.Add(time.Minute), Billsec: time.Minute,
		MemberState: dialer.MemberDone, Attempts: 1, AgentID: agents[0].ID}}); err != nil {
		f.t.Fatal(err)
	}
	if err := f.db.SetAgentLive(f.ctx, agents[0].ID, dialer.AgentWrapUp, f.now, 0, time.Time{}); err != nil {
		f.t.Fatal(err)
	}
	return ids[0]
}

func TestMemberResult(t *testing.T) {
	f := newFixture(t, httpapi.Options{CallWait: 500 * time.Millisecond})
	id := f.addMember(`{"communications":[{"number":"2125550101","position":1},{"number":"2125550102","position":2}]}`)
	attempt := f.finishCall(id, "+12125550101", "u-1")

	st, out := f.do("POST", "/v1/members/"+itoa(id)+"/result", `{"success":false,"next_after_sec":3600,
		"next_communication":"2125550199","stop_communications":["+12125550101"],"comment":"call back in an hour"}`)
	if st != 200 || out["state"] != "waiting" || out["number_added"] != true || out["agent"] != "alice" || out["attempt_id"] != float64(attempt) {
		t.Fatalf("result: %d %v", st, out)
	}
	m, _ := f.db.Member(f.ctx, id)
	if !m.DueAt.Equal(f.now.Add(time.Hour)) {
		t.Fatalf("due %s, want an hour after %s", m.DueAt, f.now)
	}
	states := map[string]string{}
	var added dialer.Communication
	for _, c := range m.Communications {
		states[c.Number] = c.State
		if c.Number == "+12125550199" {
			added = c
		}
	}
	if states["+12125550101"] != "stopped" || states["+12125550102"] != "active" || added.State != "active" ||
		m.NextCommID != added.ID || added.Position >= 1 {
		t.Fatalf("numbers after result: %+v next %d", m.Communications, m.NextCommID)
	}
	ends, _ := f.db.WrapUpEnds(f.ctx)
	if len(ends) != 1 {
		t.Fatalf("wrap-up end not requested: %v", ends)
	}

	// "all" stops every number but the next; success ends the member.
	st, out = f.do("POST", "/v1/members/"+itoa(id)+"/result", `{"success":true,"stop_communications":"all","next_communication":"+12125550102","reset_retries":true}`)
	if st != 200 || out["state"] != "done" {
		t.Fatalf("success: %d %v", st, out)
	}
	m, _ = f.db.Member(f.ctx, id)
	for _, c := range m.Communications {
		if (c.Number == "+12125550102") != (c.State == "active") {
			t.Fatalf("after stop all: %+v", m.Communications)
		}
	}
	if m.Attempts != 0 || m.State != dialer.MemberDone {
		t.Fatalf("reset/success: %+v", m)
	}

	other := f.addMember(`{"communications":[{"number":"2125550103"}]}`)
	for _, tt := range []struct {
		name, body  string
		status      int
		code, field string
	}{
		{"success missing", `{"comment":"x"}`, 422, "invalid", "success"},
		{"success wrong type", `{"success":"yes"}`, 422, "invalid", "success"},
		{"negative wait", `{"success":false,"next_after_sec":-5}`, 422, "invalid", "next_after_sec"},
		{"wait wrong type", `{"success":false,"next_after_sec":"soon"}`, 422, "invalid", "next_after_sec"},
		{"bad next number", `{"success":false,"next_communication":"12"}`, 422, "invalid", "next_communication"},
		{"another member's number", `{"success":false,"next_communication":"2125550103"}`, 409, "conflict", "next_communication"},
		{"stop a stranger", `{"success":false,"stop_communications":["2125550103"]}`, 422, "invalid", "stop_communications[0]"},
		{"stop some", `{"success":false,"stop_communications":"some"}`, 422, "invalid", "stop_communications"},
		{"stop the next", `{"success":false,"next_communication":"2125550102","stop_communications":["2125550102"]}`, 422, "invalid", "stop_communications[0]"},
		{"unknown field", `{"success":true,"sucess":true}`, 422, "invalid", "sucess"},
		{"comment too long", `{"success":true,"comment":"` + strings.Repeat("x", 5000) + `"}`, 422, "invalid", "comment"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := f.db.Member(f.ctx, id)
			st, out := f.do("POST", "/v1/members/"+itoa(id)+"/result", tt.body)
			wantError(t, st, out, tt.status, tt.code, tt.field)
			after, _ := f.db.Member(f.ctx, id)
			if before.State != after.State || !before.DueAt.Equal(after.DueAt) || len(before.Communications) != len(after.Communications) {
				t.Fatalf("a refused result changed the member: %+v -> %+v", before, after)
			}
		})
	}
	st, out = f.do("POST", "/v1/members/424242/result", `{"success":true}`)
	wantError(t, st, out, 404, "not_found", "-")
	// In a call: refused.
	if _, err := f.db.StartAttempts(f.ctx, []dialer.NewAttempt{{CampaignID: f.cid, MemberID: other, Number: "+12125550103", CommunicationID: f.comm(other, "+12125550103"), UUID: "u-2", At: f.now}}); err != nil {
		t.Fatal(err)
	}
	st, out = f.do("POST", "/v1/members/"+itoa(other)+"/result", `{"success":true}`)
	wantError(t, st, out, 409, "conflict", "-")
	// A result posted as the call ends waits for its end to be recorded.
	go func() {
		time.Sleep(30 * time.Millisecond)
		as, _ := f.db.MemberAttempts(f.ctx, other)
		f.db.FinishAttempts(f.ctx, []dialer.AttemptEnd{{AttemptID: as[0].ID, MemberID: other, Cause: "NORMAL_CLEARING",
			Class: "ok", Counted: true, EndedAt: f.now, MemberState: dialer.MemberDone, Attempts: 1}})
	}()
	st, out = f.do("POST", "/v1/members/"+itoa(other)+"/result", `{"success":false,"next_after_sec":60}`)
	if st != 200 || out["state"] != "waiting" {
		t.Fatalf("result posted as the call ended: %d %v", st, out)
	}
}

func TestAgents(t *testing.T) {
	f := newFixture(t, httpapi.Options{})
	st, out := f.do("POST", "/v1/agents/alice/login", "")
	if st != 200 || out["to"] != "available" || out["applied"] != true {
		t.Fatalf("login: %d %v", st, out)
	}
	st, out = f.do("GET", "/v1/agents", "")
	list := out["agents"].([]any)
	if st != 200 || len(list) != 1 || list[0].(map[string]any)["state"] != "available" {
		t.Fatalf("list: %d %v", st, out)
	}
	for _, step := range []struct{ action, want string }{{"break", "break"}, {"ready", "available"}, {"logout", "logged_out"}} {
		st, out := f.do("POST", "/v1/agents/alice/"+step.action, "")
		if st != 200 || out["to"] != step.want {
			t.Fatalf("%s: %d %v", step.action, st, out)
		}
		a, _ := f.db.Agent(f.ctx, "alice")
		if string(a.State) != step.want {
			t.Fatalf("%s: stored %s", step.action, a.State)
		}
	}
	st, out = f.do("GET", "/v1/agents/alice", "")
	if st != 200 || out["name"] != "alice" || out["state"] != "logged_out" {
		t.Fatalf("get: %d %v", st, out)
	}
	st, out = f.do("POST", "/v1/agents/alice/dance", "")
	wantError(t, st, out, 404, "not_found", "-")
	st, out = f.do("POST", "/v1/agents/bob/login", "")
	wantError(t, st, out, 404, "not_found", "-")
	st, out = f.do("GET", "/v1/agents/bob", "")
	wantError(t, st, out, 404, "not_found", "-")
}

func TestClickToCall_Validation(t *testing.T) {
	f := newFixture(t, httpapi.Options{})
	id := f.addMember(`{"external_key":"k1","communications":[{"number":"2125550101"}]}`)
	f.addMember(`{"communications":[{"number":"2125550102"}]}`)
	for _, tt := range []struct {
		name, body  string
		status      int
		code, field string
	}{
		{"no agent", `{"campaign":"sales","member_id":1}`, 422, "invalid", "agent"},
		{"unknown agent", `{"agent":"bob","campaign":"sales","member_id":1}`, 422, "invalid", "agent"},
		{"member without campaign", `{"agent":"alice","member_id":1}`, 422, "invalid", "campaign"},
		{"manual without number", `{"agent":"alice"}`, 422, "invalid", "number"},
		{"manual national number", `{"agent":"alice","number":"2125550101"}`, 422, "invalid", "number"},
		{"wrong type", `{"agent":"alice","number":12125550101}`, 422, "invalid", "number"},
		{"unknown campaign", `{"agent":"alice","campaign":"x","member_id":1}`, 422, "invalid", "campaign"},
		{"no member", `{"agent":"alice","campaign":"sales"}`, 422, "invalid", "member_id"},
		{"member id type", `{"agent":"alice","campaign":"sales","member_id":"one"}`, 422, "invalid", "member_id"},
		{"unknown member", `{"agent":"alice","campaign":"sales","member_id":999}`, 422, "invalid", "member_id"},
		{"unknown key", `{"agent":"alice","campaign":"sales","external_key":"zz"}`, 422, "invalid", "external_key"},
		{"not its number", `{"agent":"alice","campaign":"sales","member_id":1,"number":"2125550102"}`, 422, "invalid", "number"},
		{"bad number", `{"agent":"alice","campaign":"sales","member_id":1,"number":"12"}`, 422, "invalid", "number"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, out := f.do("POST", "/v1/calls", tt.body)
			wantError(t, st, out, tt.status, tt.code, tt.field)
		})
	}
	// With no daemon to take it, a good request is accepted and pending.
	st, out := f.do("POST", "/v1/calls", `{"agent":"alice","campaign":"sales","external_key":"k1"}`)
	if st != 202 || out["state"] != "pending" || out["member_id"] != float64(id) || out["number"] != "+12125550101" {
		t.Fatalf("pending: %d %v", st, out)
	}
	st, out = f.do("GET", "/v1/calls/"+itoa(int64(out["id"].(float64))), "")
	if st != 200 || out["state"] != "pending" {
		t.Fatalf("get call: %d %v", st, out)
	}
	// A manual call (no campaign) is recorded the same way.
	st, out = f.do("POST", "/v1/calls", `{"agent":"alice","number":"+442071234567"}`)
	if st != 202 || out["state"] != "pending" || out["number"] != "+442071234567" || out["campaign_id"] != nil {
		t.Fatalf("manual pending: %d %v", st, out)
	}
	st, out = f.do("GET", "/v1/calls/77", "")
	wantError(t, st, out, 404, "not_found", "-")
}

func TestClickToCall_AnswerFromTheDaemon(t *testing.T) {
	f := newFixture(t, httpapi.Options{CallWait: 5 * time.Second})
	f.addMember(`{"communications":[{"number":"2125550101"}]}`)
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	// Stands in for the engine: refuses the first request, starts the next.
	go func() {
		n := 0
		for ctx.Err() == nil {
			reqs, _ := f.db.PendingCallRequests(ctx)
			for _, r := range reqs {
				if n == 0 {
					f.db.AnswerCallRequest(ctx, r.ID, dialer.CallRefused, "agent alice is busy (talking)", 0, "")
				} else {
					f.db.AnswerCallRequest(ctx, r.ID, dialer.CallStarted, "", 0, "call-uuid-1")
				}
				n++
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	body := `{"agent":"alice","campaign":"sales","member_id":1}`
	st, out := f.do("POST", "/v1/calls", body)
	wantError(t, st, out, 409, "refused", "-")
	if out["request"].(map[string]any)["reason"] != "agent alice is busy (talking)" {
		t.Fatalf("refusal without its reason: %v", out)
	}
	st, out = f.do("POST", "/v1/calls", body)
	if st != 201 || out["state"] != "started" || out["call_uuid"] != "call-uuid-1" {
		t.Fatalf("started: %d %v", st, out)
	}
}

func TestStatus(t *testing.T) {
	f := newFixture(t, httpapi.Options{})
	st, out := f.do("GET", "/v1/status", "")
	wantError(t, st, out, 404, "not_found", "-")
	if err := f.db.WriteDaemonStatus(f.ctx, store.DaemonStatus{PID: 42, ESLState: "connected", UpdatedAt: f.now, StartedAt: f.now,
		Campaigns: []store.CampaignLive{{Name: "sales", LinesInUse: 3, MaxLines: 5}}}); err != nil {
		t.Fatal(err)
	}
	st, out = f.do("GET", "/v1/status", "")
	if st != 200 || out["pid"] != 42.0 || out["esl_state"] != "connected" || len(out["campaigns"].([]any)) != 1 {
		t.Fatalf("status: %d %v", st, out)
	}
}

func TestAuthAndLimits(t *testing.T) {
	f := newFixture(t, httpapi.Options{Token: "s3cret", MaxBody: 2048})
	for _, hdr := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Authorization", "s3cret"}, {"Authorization", "Basic s3cret"}} {
		st, out := f.do("GET", "/v1/campaigns", "", hdr...)
		wantError(t, st, out, 401, "unauthorized", "-")
		st, out = f.do("GET", "/v1/no-such-route", "", hdr...)
		wantError(t, st, out, 401, "unauthorized", "-")
	}
	auth := []string{"Authorization", "Bearer s3cret"}
	if st, out := f.do("GET", "/v1/campaigns", "", auth...); st != 200 {
		t.Fatalf("with the token: %d %v", st, out)
	}
	st, out := f.do("GET", "/v1/no-such-route", "", auth...)
	wantError(t, st, out, 404, "not_found", "-")
	big := `{"communications":[{"number":"2125550101"}],"name":"` + strings.Repeat("x", 4000) + `"}`
	st, out = f.do("POST", "/v1/campaigns/sales/members", big, auth...)
	wantError(t, st, out, 413, "too_large", "-")
	// Without a Content-Length the limit still holds.
	req, _ := http.NewRequest("POST", f.srv.URL+"/v1/members/1/result", io.MultiReader(strings.NewReader(`{"comment":"`), strings.NewReader(strings.Repeat("y", 5000)+`"}`)))
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Fatalf("chunked oversized body: %d", resp.StatusCode)
	}
	// The OpenAPI document needs no token.
	resp, err = http.Get(f.srv.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("openapi.json: %d", resp.StatusCode)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
