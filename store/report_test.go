package store_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/fsdialer/dialer/store"
)

// attemptFixture is one attempt row to seed with plain SQL.
type attemptFixture struct {
	member        int64
	cause, class  string
	q850          int
	inProgress    bool
	answered      bool
	billsecMS     int64
	agent         int64 // 0: no agent
	agentRang     bool
	agentAnswered bool
	bridgeMS      int64 // 0: never bridged
	result        string
}

// seedResults builds the progressive campaign used by the report and
// export tests and returns its id. Members (ids 1..9, keys a..i):
//
//	a done       NO_ANSWER retry; NORMAL_CLEARING ok 30s, alice answered, bridged 30s
//	b failed     MAX_TRY_COUNT: USER_BUSY retry twice
//	c failed     UNALLOCATED_NUMBER: UNALLOCATED_NUMBER error
//	d calling    one attempt in progress, bob reserved
//	e waiting    NORMAL_TEMPORARY_FAILURE minus
//	f done       NORMAL_CLEARING retry 2s (alice rang, no answer); NORMAL_CLEARING ok 10s, bob answered, bridged 9.5s
//	g waiting    never dialed
//	h failed     BLOCKED, never dialed
//	i failed     MAX_TRY_COUNT: NO_ANSWER retry
func seedResults(t testing.TB, db *store.DB) int64 {
	t.Helper()
	ctx := context.Background()
	if _, err := db.ApplyCampaign(ctx, readCampaignFile(t, "../testdata/campaigns/progressive.yaml")); err != nil {
		t.Fatal(err)
	}
	c, err := db.Campaign(ctx, "renewals-progressive")
	if err != nil {
		t.Fatal(err)
	}
	imp, err := db.BeginImport(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	ms := []struct{ key, state, end string }{
		{"a", "done", ""}, {"b", "failed", "MAX_TRY_COUNT"}, {"c", "failed", "UNALLOCATED_NUMBER"},
		{"d", "calling", ""}, {"e", "waiting", ""}, {"f", "done", ""}, {"g", "waiting", ""},
		{"h", "failed", "BLOCKED"}, {"i", "failed", "MAX_TRY_COUNT"},
	}
	for i, m := range ms {
		mm := member(i+2, 3, m.key, fmt.Sprintf("+4420712300%02d", i+1))
		if m.key == "a" {
			mm.Numbers = append(mm.Numbers, mm.Numbers[0])
			mm.Numbers[1].Number, mm.Numbers[1].Type, mm.Numbers[1].Position = "+442071230099", "home", 2
		}
		if _, err := imp.Add(ctx, []memberfile.Member{mm}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := imp.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if err := db.ExecForTest(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for i, m := range ms {
		exec(`UPDATE members SET state = ?, end_cause = ? WHERE id = ?`, m.state, m.end, i+1)
	}
	exec(`INSERT INTO agents (id, name, endpoint, call_timeout_ms, state_changed_at, updated_at)
	      VALUES (1, 'alice', 'user/1001', 20000, 0, 0), (2, 'bob', 'user/1002', 20000, 0, 0)`)
	for i, a := range []attemptFixture{
		{member: 1, cause: "NO_ANSWER", class: "retry", q850: 19},
		{member: 1, cause: "NORMAL_CLEARING", class: "ok", q850: 16, answered: true, billsecMS: 30000, agent: 1, agentRang: true, agentAnswered: true, bridgeMS: 30000, result: "renewed"},
		{member: 2, cause: "USER_BUSY", class: "retry", q850: 17},
		{member: 2, cause: "USER_BUSY", class: "retry", q850: 17},
		{member: 3, cause: "UNALLOCATED_NUMBER", class: "error", q850: 1},
		{member: 4, inProgress: true, agent: 2},
		{member: 5, cause: "NORMAL_TEMPORARY_FAILURE", class: "minus", q850: 41},
		{member: 6, cause: "NORMAL_CLEARING", class: "retry", q850: 16, answered: true, billsecMS: 2000, agent: 1, agentRang: true},
		{member: 6, cause: "NORMAL_CLEARING", class: "ok", q850: 16, answered: true, billsecMS: 10000, agent: 2, agentRang: true, agentAnswered: true, bridgeMS: 9500},
		{member: 9, cause: "NO_ANSWER", class: "retry", q850: 19},
	} {
		insertAttempt(t, db, c.ID, i+1, a)
	}
	return c.ID
}

// readCampaignFile reads a campaign file (readCampaign for benchmarks too).
func readCampaignFile(tb testing.TB, path string) *dialer.Campaign {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	c, err := dialer.ReadCampaign(f, path)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// attemptStart is when fixture attempt n (from 1) was created: n minutes
// after t0.
func attemptStart(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

func insertAttempt(t testing.TB, db *store.DB, campaignID int64, n int, a attemptFixture) {
	t.Helper()
	created := attemptStart(n)
	ms := func(d time.Duration) any { return created.Add(d).UnixMilli() }
	var answered, agentRing, agentAnswer, bridged, bridgeEnd, ended, agent, q850 any
	if !a.inProgress {
		ended = ms(20 * time.Second)
		q850 = a.q850
	}
	if a.answered {
		answered = ms(2 * time.Second)
		ended = ms(2*time.Second + time.Duration(a.billsecMS)*time.Millisecond)
	}
	if a.agent != 0 {
		agent = a.agent
	}
	if a.agentRang {
		agentRing = ms(2500 * time.Millisecond)
	}
	if a.agentAnswered {
		agentAnswer = ms(3 * time.Second)
	}
	if a.bridgeMS > 0 {
		bridged = ms(3 * time.Second)
		bridgeEnd = ms(3*time.Second + time.Duration(a.bridgeMS)*time.Millisecond)
	}
	final, counted := 1, 1
	if a.inProgress {
		final, counted = 0, 0
	}
	if a.class == "minus" {
		counted = 0
	}
	err := db.ExecForTest(context.Background(), `
		INSERT INTO attempts (id, campaign_id, member_id, number, uuid, agent_id, final, created_at,
		                      answered_at, agent_ringing_at, agent_answered_at, bridged_at, bridge_ended_at,
		                      ended_at, cause, q850, billsec_ms, class, counted, business_result)
		VALUES (?, ?, ?, (SELECT number FROM communications WHERE member_id = ? ORDER BY position LIMIT 1),
		        ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n, campaignID, a.member, a.member, fmt.Sprintf("00000000-0000-4000-8000-%012d", n), agent, final,
		created.UnixMilli(), answered, agentRing, agentAnswer, bridged, bridgeEnd, ended, a.cause, q850,
		a.billsecMS, a.class, counted, a.result)
	if err != nil {
		t.Fatalf("insert attempt %d: %v", n, err)
	}
}

func TestReport_Figures(t *testing.T) {
	db, _ := openDB(t)
	id := seedResults(t, db)
	got, err := db.Report(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"campaign", got.Campaign, "renewals-progressive"},
		{"mode", got.Mode, "progressive"},
		{"members", got.Members, store.MemberCounts{Total: 9, Waiting: 2, Calling: 1, Done: 2, Failed: 4}},
		{"failed by cause", got.FailedByCause, []store.CauseCount{
			{Cause: "MAX_TRY_COUNT", Count: 2}, {Cause: "BLOCKED", Count: 1}, {Cause: "UNALLOCATED_NUMBER", Count: 1}}},
		{"attempts", got.Attempts, store.AttemptCounts{Total: 10, InProgress: 1, Final: 9, Answered: 3,
			OK: 2, Retry: 5, Error: 1, Minus: 1}},
		{"by cause", got.ByCause, []store.CauseClassCount{
			{Cause: "NORMAL_CLEARING", Class: "ok", Count: 2},
			{Cause: "NO_ANSWER", Class: "retry", Count: 2},
			{Cause: "USER_BUSY", Class: "retry", Count: 2},
			{Cause: "NORMAL_CLEARING", Class: "retry", Count: 1},
			{Cause: "NORMAL_TEMPORARY_FAILURE", Class: "minus", Count: 1},
			{Cause: "UNALLOCATED_NUMBER", Class: "error", Count: 1},
		}},
		{"members dialed", got.MembersDialed, 7},
		{"agents", got.Agents, []store.AgentFigures{
			// alice: rang 0.5 s + 1.5 s, talked 30 s, over 364 s from her
			// first offer (attempt 1) to the end of attempt 7.
			{AgentID: 1, Name: "alice", Offered: 2, Answered: 1, NoAnswer: 1, TalkSeconds: 30, Occupancy: 32.0 / 364},
			// bob: rang 0.5 s, talked 9.5 s, over 192.5 s from attempt 5
			// (still in progress) to the end of attempt 8's bridge.
			{AgentID: 2, Name: "bob", Offered: 2, Answered: 1, NoAnswer: 0, TalkSeconds: 9.5, Occupancy: 10.0 / 192.5},
		}},
	}
	for _, ck := range checks {
		if !reflect.DeepEqual(ck.got, ck.want) {
			t.Errorf("%s = %+v, want %+v", ck.name, ck.got, ck.want)
		}
	}
	ratios := []struct {
		name      string
		got, want float64
	}{
		{"answer rate", got.AnswerRate, 3.0 / 9},
		{"avg billsec", got.AvgBillsecSeconds, 14},
		{"attempts per member", got.AttemptsPerMember, 10.0 / 7},
	}
	for _, r := range ratios {
		if math.Abs(r.got-r.want) > 1e-9 {
			t.Errorf("%s = %v, want %v", r.name, r.got, r.want)
		}
	}
}

func TestReport_EmptyAndMissing(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	applyCalendar(t, db)
	if _, err := db.ApplyCampaign(ctx, readCampaign(t, "../testdata/campaigns/ivr.yaml")); err != nil {
		t.Fatal(err)
	}
	id := mustID(t, db, "survey-ivr")
	tests := []struct {
		name    string
		id      int64
		wantErr error
	}{
		{"no members, no attempts", id, nil},
		{"unknown campaign", id + 100, store.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := db.Report(ctx, tt.id)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			want := &store.Report{CampaignID: id, Campaign: "survey-ivr", Mode: "ivr", State: "stopped",
				FailedByCause: []store.CauseCount{}, ByCause: []store.CauseClassCount{}, Agents: []store.AgentFigures{}}
			if !reflect.DeepEqual(r, want) {
				t.Fatalf("report = %+v, want %+v", r, want)
			}
		})
	}
}

// A report reads a snapshot without the write lock: it must not wait for
// (or block) a writer such as the daemon or an import in progress.
func TestReport_DoesNotWaitForWriter(t *testing.T) {
	db, _ := openDB(t)
	id := seedResults(t, db)
	ctx := context.Background()
	imp, err := db.BeginImport(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Rollback()
	if _, err := imp.Add(ctx, []memberfile.Member{member(2, 3, "new", "+442071230050")}); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	r, err := db.Report(short, id)
	if err != nil {
		t.Fatalf("report while an import holds the write lock: %v", err)
	}
	if r.Members.Total != 9 {
		t.Fatalf("report saw %d members, want the 9 committed ones", r.Members.Total)
	}
	if _, _, err := imp.Commit(ctx); err != nil {
		t.Fatalf("import commit after a report: %v", err)
	}
	if r, _ := db.Report(ctx, id); r.Members.Total != 10 {
		t.Fatalf("members after commit = %d, want 10", r.Members.Total)
	}
}

// The abandon rate: abandons (cause ABANDONED, and answered agent-mode
// calls never bridged) over answered calls.
func TestReport_AbandonRate(t *testing.T) {
	db, _ := openDB(t)
	id := seedResults(t, db)
	ctx := context.Background()
	got, err := db.Report(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// Attempt 8: the customer answered and hung up while alice's phone rang.
	if got.Abandoned != 1 || got.AnsweredLive != 3 || math.Abs(got.AbandonRate-1.0/3) > 1e-9 {
		t.Fatalf("abandoned %d of %d answered (%v), want 1 of 3", got.Abandoned, got.AnsweredLive, got.AbandonRate)
	}
	insertAttempt(t, db, id, 11, attemptFixture{member: 7, cause: "ABANDONED", class: "retry", q850: 16, answered: true, agent: 1, agentRang: true})
	if got, err = db.Report(ctx, id); err != nil {
		t.Fatal(err)
	}
	if got.Abandoned != 2 || got.AnsweredLive != 4 || got.AbandonRate != 0.5 {
		t.Fatalf("abandoned %d of %d answered (%v), want 2 of 4", got.Abandoned, got.AnsweredLive, got.AbandonRate)
	}

	// In an IVR campaign nobody waits for an agent: an answered call is
	// not abandoned.
	applyCalendar(t, db)
	if _, err := db.ApplyCampaign(ctx, readCampaign(t, "../testdata/campaigns/ivr.yaml")); err != nil {
		t.Fatal(err)
	}
	ivr := mustID(t, db, "survey-ivr")
	importMembers(t, db, ivr, member(2, 3, "ivr-1", "+12125550101"))
	m, err := db.Members(ctx, store.MemberFilter{CampaignID: ivr})
	if err != nil || len(m) != 1 {
		t.Fatalf("ivr members: %v %v", m, err)
	}
	insertAttempt(t, db, ivr, 20, attemptFixture{member: m[0].ID, cause: "NORMAL_CLEARING", class: "ok", q850: 16, answered: true, billsecMS: 5000})
	if got, err = db.Report(ctx, ivr); err != nil {
		t.Fatal(err)
	}
	if got.Abandoned != 0 || got.AnsweredLive != 1 || got.AbandonRate != 0 {
		t.Fatalf("ivr: abandoned %d of %d answered (%v), want 0 of 1", got.Abandoned, got.AnsweredLive, got.AbandonRate)
	}
}

// A range counts only the attempts begun in it; members are counted by
// their state now.
func TestReportRange_CountsAttemptsInRange(t *testing.T) {
	db, _ := openDB(t)
	id := seedResults(t, db)
	ctx := context.Background()
	allMembers := store.MemberCounts{Total: 9, Waiting: 2, Calling: 1, Done: 2, Failed: 4}
	tests := []struct {
		name          string
		rng           dialer.TimeRange
		attempts      store.AttemptCounts
		dialed        int
		abandoned     int
		answeredLive  int
		agentsOffered map[string]int
	}{
		{"everything", dialer.TimeRange{},
			store.AttemptCounts{Total: 10, InProgress: 1, Final: 9, Answered: 3, OK: 2, Retry: 5, Error: 1, Minus: 1},
			7, 1, 3, map[string]int{"alice": 2, "bob": 2}},
		{"attempts 3 to 7", dialer.TimeRange{Since: attemptStart(3), Until: attemptStart(8)},
			store.AttemptCounts{Total: 5, InProgress: 1, Final: 4, Retry: 2, Error: 1, Minus: 1},
			4, 0, 0, map[string]int{"bob": 1}},
		{"since attempt 8", dialer.TimeRange{Since: attemptStart(8)},
			store.AttemptCounts{Total: 3, Final: 3, Answered: 2, OK: 1, Retry: 2},
			2, 1, 2, map[string]int{"alice": 1, "bob": 1}},
		{"until attempt 2", dialer.TimeRange{Until: attemptStart(2)},
			store.AttemptCounts{Total: 1, Final: 1, Retry: 1},
			1, 0, 0, map[string]int{}},
		{"before any attempt", dialer.TimeRange{Until: attemptStart(1)},
			store.AttemptCounts{}, 0, 0, 0, map[string]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.ReportRange(ctx, id, tt.rng)
			if err != nil {
				t.Fatal(err)
			}
			if got.Members != allMembers {
				t.Errorf("members = %+v, want %+v", got.Members, allMembers)
			}
			if got.Attempts != tt.attempts {
				t.Errorf("attempts = %+v, want %+v", got.Attempts, tt.attempts)
			}
			if got.MembersDialed != tt.dialed || got.Abandoned != tt.abandoned || got.AnsweredLive != tt.answeredLive {
				t.Errorf("dialed %d, abandoned %d of %d; want %d, %d of %d", got.MembersDialed, got.Abandoned, got.AnsweredLive,
					tt.dialed, tt.abandoned, tt.answeredLive)
			}
			offered := map[string]int{}
			for _, a := range got.Agents {
				offered[a.Name] = a.Offered
			}
			if !reflect.DeepEqual(offered, tt.agentsOffered) {
				t.Errorf("agents offered = %v, want %v", offered, tt.agentsOffered)
			}
			n := 0
			for _, c := range got.ByCause {
				n += c.Count
			}
			if n != tt.attempts.Final {
				t.Errorf("by cause sums to %d, want the %d final attempts", n, tt.attempts.Final)
			}
			if (got.Since == nil) != tt.rng.Since.IsZero() || got.Since != nil && !got.Since.Equal(tt.rng.Since) ||
				(got.Until == nil) != tt.rng.Until.IsZero() || got.Until != nil && !got.Until.Equal(tt.rng.Until) {
				t.Errorf("range = %v..%v, want %v..%v", got.Since, got.Until, tt.rng.Since, tt.rng.Until)
			}
		})
	}
	if _, err := db.ReportRange(ctx, id, dialer.TimeRange{Since: attemptStart(5), Until: attemptStart(2)}); err == nil ||
		!strings.Contains(err.Error(), "is not after since") {
		t.Fatalf("a range ending before it begins: %v", err)
	}
}
