package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
)

const hookURL = "http://receiver.test/hook"

// outboxDB has renewals-progressive with a callback URL and alice on it,
// survey-ivr without one (and collections-preemptive, for the agents),
// and a member in each of the first two: acct-1 (+442071230001)
// and ivr-1 (+12125550101).
type outboxDB struct {
	db                  *store.DB
	progID, ivrID       int64
	progMember, ivrMemb dialer.Member
	aliceID             int64
}

func newOutboxDB(t *testing.T) *outboxDB {
	t.Helper()
	db, _ := openDB(t)
	applyCalendar(t, db)
	ctx := context.Background()
	prog := readCampaign(t, "../testdata/campaigns/progressive.yaml")
	prog.CallbackURL = hookURL
	ivr := readCampaign(t, "../testdata/campaigns/ivr.yaml")
	ivr.CallbackURL = ""
	pre := readCampaign(t, "../testdata/campaigns/preemptive.yaml") // alice's other campaign
	for _, c := range []*dialer.Campaign{prog, ivr, pre} {
		if _, err := db.ApplyCampaign(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	applyAgents(t, db, readAgents(t, "../testdata/agents/agents.yaml"))
	o := &outboxDB{db: db, progID: mustID(t, db, prog.Name), ivrID: mustID(t, db, ivr.Name),
		aliceID: mustAgent(t, db, "alice").ID}
	importMembers(t, db, o.progID, member(2, 3, "acct-1", "+442071230001"))
	importMembers(t, db, o.ivrID, member(2, 3, "ivr-1", "+12125550101"))
	for _, id := range []int64{o.progID, o.ivrID} {
		ms, err := db.Members(ctx, store.MemberFilter{CampaignID: id})
		if err != nil || len(ms) != 1 {
			t.Fatalf("members of %d: %v %v", id, ms, err)
		}
		full, err := db.MembersByID(ctx, []int64{ms[0].ID})
		if err != nil {
			t.Fatal(err)
		}
		if id == o.progID {
			o.progMember = full[0]
		} else {
			o.ivrMemb = full[0]
		}
	}
	return o
}

// start records an attempt of m at at and returns its id.
func (o *outboxDB) start(t *testing.T, m dialer.Member, uuid string, agentID int64, at time.Time) int64 {
	t.Helper()
	ids, err := o.db.StartAttempts(context.Background(), []dialer.NewAttempt{{CampaignID: m.CampaignID, MemberID: m.ID,
		CommunicationID: m.Communications[0].ID, Number: m.Communications[0].Number, UUID: uuid, AgentID: agentID, At: at}})
	if err != nil || ids[0] == 0 {
		t.Fatalf("start attempt %s: %v %v", uuid, ids, err)
	}
	return ids[0]
}

func (o *outboxDB) all(t *testing.T) []dialer.Callback {
	t.Helper()
	cbs, err := o.db.Callbacks(context.Background(), store.CallbackFilter{})
	if err != nil {
		t.Fatal(err)
	}
	// Oldest first reads more naturally in the tests.
	for i, j := 0, len(cbs)-1; i < j; i, j = i+1, j-1 {
		cbs[i], cbs[j] = cbs[j], cbs[i]
	}
	return cbs
}

func payload(t *testing.T, c dialer.Callback) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(c.Payload, &m); err != nil {
		t.Fatalf("payload of callback %d: %v\n%s", c.ID, err, c.Payload)
	}
	return m
}

func comparePayload(t *testing.T, c dialer.Callback, want map[string]any) {
	t.Helper()
	got := payload(t, c)
	for k, w := range want {
		if g, ok := got[k]; !ok || !reflect.DeepEqual(g, w) {
			t.Errorf("%s payload %s = %#v, want %#v", c.IdempotencyKey, k, got[k], w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s payload has unexpected field %s = %#v", c.IdempotencyKey, k, got[k])
		}
	}
}

func TestCallbacks_RecordedOnceWithTheAttemptChange(t *testing.T) {
	o := newOutboxDB(t)
	ctx := context.Background()
	begin := t0.Add(-time.Minute)
	answer := begin.Add(2*time.Second + 345*time.Millisecond)
	ended := answer.Add(12345 * time.Millisecond)
	prog := o.start(t, o.progMember, "uuid-prog-1", o.aliceID, begin)
	ivr := o.start(t, o.ivrMemb, "uuid-ivr-1", 0, begin)

	for range 2 { // a replayed mark records nothing more
		for _, id := range []int64{prog, ivr} {
			if err := o.db.MarkAnswered(ctx, id, answer); err != nil {
				t.Fatal(err)
			}
		}
	}
	cbs := o.all(t)
	if len(cbs) != 1 || cbs[0].Event != dialer.CallbackConnect || cbs[0].AttemptID != prog {
		t.Fatalf("after the answers: %+v, want one connect of attempt %d", cbs, prog)
	}
	connect := cbs[0]
	if connect.URL != hookURL || connect.IdempotencyKey != "uuid-prog-1:connect" || connect.State != dialer.CallbackPending ||
		connect.Tries != 0 || !connect.NextAt.Equal(t0) || !connect.CreatedAt.Equal(t0) || connect.Campaign != "renewals-progressive" {
		t.Errorf("connect row = %+v", connect)
	}
	comparePayload(t, connect, map[string]any{
		"event": "connect", "idempotency_key": "uuid-prog-1:connect",
		"campaign_id": float64(o.progID), "campaign": "renewals-progressive",
		"member_id": float64(o.progMember.ID), "external_key": "acct-1",
		"attempt_id": float64(prog), "attempt_number": 1.0, "call_uuid": "uuid-prog-1", "number": "+442071230001",
		"agent_id": float64(o.aliceID), "agent": "alice",
		"begin_time": "2026-11-23T14:59:00.000Z", "answer_time": "2026-11-23T14:59:02.345Z",
		"end_time": nil, "cause": nil, "q850": nil, "class": nil, "billsec": nil, "business_result": nil,
		"member_state": nil, "next_due_time": nil,
		"recording_path": nil, "captured": map[string]any{},
	})

	due := t0.Add(2 * time.Hour)
	ends := []dialer.AttemptEnd{
		{AttemptID: prog, Cause: "NORMAL_CLEARING", Q850: 16, AnsweredAt: answer, EndedAt: ended, Billsec: 12345 * time.Millisecond,
			BusinessResult: "9", Class: "retry", Counted: true, AgentID: o.aliceID,
			MemberID: o.progMember.ID, MemberState: dialer.MemberWaiting, DueAt: due, Attempts: 1},
		{AttemptID: ivr, Cause: "NORMAL_CLEARING", Q850: 16, AnsweredAt: answer, EndedAt: ended, Billsec: 12 * time.Second,
			Class: "ok", Counted: true, MemberID: o.ivrMemb.ID, MemberState: dialer.MemberDone, Attempts: 1},
	}
	for range 2 { // replayed ends are ignored, and so are their callbacks
		if err := o.db.FinishAttempts(ctx, ends); err != nil {
			t.Fatal(err)
		}
	}
	cbs = o.all(t)
	if len(cbs) != 2 || cbs[0].ID != connect.ID || cbs[1].Event != dialer.CallbackRelease {
		t.Fatalf("after the ends: %+v, want the connect then one release", cbs)
	}
	comparePayload(t, cbs[1], map[string]any{
		"event": "release", "idempotency_key": "uuid-prog-1:release",
		"campaign_id": float64(o.progID), "campaign": "renewals-progressive",
		"member_id": float64(o.progMember.ID), "external_key": "acct-1",
		"attempt_id": float64(prog), "attempt_number": 1.0, "call_uuid": "uuid-prog-1", "number": "+442071230001",
		"agent_id": float64(o.aliceID), "agent": "alice",
		"begin_time": "2026-11-23T14:59:00.000Z", "answer_time": "2026-11-23T14:59:02.345Z",
		"end_time": "2026-11-23T14:59:14.690Z", "cause": "NORMAL_CLEARING", "q850": 16.0, "class": "retry",
		"billsec": 12.345, "business_result": "9", "member_state": "waiting", "next_due_time": "2026-11-23T17:00:00.000Z",
		"recording_path": nil, "captured": map[string]any{},
	})

	// The second attempt of the member: busy, no agent, the member ends.
	second := o.start(t, o.progMember, "uuid-prog-2", 0, due)
	if err := o.db.FinishAttempts(ctx, []dialer.AttemptEnd{{AttemptID: second, Cause: "USER_BUSY", Q850: 17,
		EndedAt: due.Add(3 * time.Second), Class: "retry", Counted: true, MemberID: o.progMember.ID,
		MemberState: dialer.MemberFailed, EndCause: "MAX_TRY_COUNT", Attempts: 2}}); err != nil {
		t.Fatal(err)
	}
	cbs = o.all(t)
	if len(cbs) != 4 || cbs[2].IdempotencyKey != "uuid-prog-2:release" || cbs[3].Event != dialer.CallbackMemberFailed {
		t.Fatalf("after the second attempt: %+v, want its release only (never answered: no connect), then the member's failure notice", cbs)
	}
	comparePayload(t, cbs[2], map[string]any{
		"event": "release", "idempotency_key": "uuid-prog-2:release",
		"campaign_id": float64(o.progID), "campaign": "renewals-progressive",
		"member_id": float64(o.progMember.ID), "external_key": "acct-1",
		"attempt_id": float64(second), "attempt_number": 2.0, "call_uuid": "uuid-prog-2", "number": "+442071230001",
		"agent_id": nil, "agent": nil,
		"begin_time": "2026-11-23T17:00:00.000Z", "answer_time": nil,
		"end_time": "2026-11-23T17:00:03.000Z", "cause": "USER_BUSY", "q850": 17.0, "class": "retry",
		"billsec": 0.0, "business_result": nil, "member_state": "failed", "next_due_time": nil,
		"recording_path": nil, "captured": map[string]any{},
	})
}

// An attempt answered whose answer was never marked (the daemon died in
// between) gets its connect with its release, connect first.
func TestCallbacks_ConnectRecordedAtTheEndWhenMissed(t *testing.T) {
	o := newOutboxDB(t)
	ctx := context.Background()
	id := o.start(t, o.progMember, "uuid-crash", o.aliceID, t0)
	if err := o.db.FinishAttempts(ctx, []dialer.AttemptEnd{{AttemptID: id, Cause: "NORMAL_CLEARING", Q850: 16,
		AnsweredAt: t0.Add(time.Second), EndedAt: t0.Add(5 * time.Second), Billsec: 4 * time.Second, Class: "ok",
		Counted: true, MemberID: o.progMember.ID, MemberState: dialer.MemberDone, Attempts: 1, KeepCounters: true}}); err != nil {
		t.Fatal(err)
	}
	cbs := o.all(t)
	if len(cbs) != 2 || cbs[0].IdempotencyKey != "uuid-crash:connect" || cbs[1].IdempotencyKey != "uuid-crash:release" {
		t.Fatalf("callbacks = %+v, want connect then release", cbs)
	}
	if got := payload(t, cbs[0]); got["answer_time"] != "2026-11-23T15:00:01.000Z" || got["end_time"] != nil {
		t.Errorf("connect payload = %v", got)
	}
	if got := payload(t, cbs[1]); got["billsec"] != 4.0 || got["member_state"] != "done" {
		t.Errorf("release payload = %v", got)
	}
}

// release records one pending release of a fresh attempt of the
// progressive member and returns it.
func (o *outboxDB) release(t *testing.T, uuid string, answered bool) []dialer.Callback {
	t.Helper()
	ctx := context.Background()
	if err := o.db.ExecForTest(ctx, `UPDATE members SET state = 'waiting', due_at = 0 WHERE id = ?`, o.progMember.ID); err != nil {
		t.Fatal(err)
	}
	id := o.start(t, o.progMember, uuid, 0, t0)
	end := dialer.AttemptEnd{AttemptID: id, Cause: "NO_ANSWER", Q850: 19, EndedAt: t0.Add(30 * time.Second),
		Class: "retry", Counted: true, MemberID: o.progMember.ID, MemberState: dialer.MemberWaiting, DueAt: t0.Add(time.Hour)}
	if answered {
		if err := o.db.MarkAnswered(ctx, id, t0.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		end.Cause, end.Q850, end.AnsweredAt = "NORMAL_CLEARING", 16, t0.Add(time.Second)
	}
	if err := o.db.FinishAttempts(ctx, []dialer.AttemptEnd{end}); err != nil {
		t.Fatal(err)
	}
	var out []dialer.Callback
	for _, c := range o.all(t) {
		if c.AttemptID == id {
			out = append(out, c)
		}
	}
	return out
}

func dueIDs(t *testing.T, db *store.DB, at time.Time) []int64 {
	t.Helper()
	due, err := db.DueCallbacks(context.Background(), at, 100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, c := range due {
		ids = append(ids, c.ID)
	}
	return ids
}

func counts(t *testing.T, db *store.DB) dialer.CallbackCounts {
	t.Helper()
	c, err := db.CallbackCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCallbacks_RetryDeadRedriveDelivered(t *testing.T) {
	o := newOutboxDB(t)
	ctx := context.Background()
	cb := o.release(t, "uuid-r", false)[0]
	if got := dueIDs(t, o.db, t0.Add(-time.Millisecond)); len(got) != 0 {
		t.Fatalf("due before it was recorded: %v", got)
	}
	if got := dueIDs(t, o.db, t0); !reflect.DeepEqual(got, []int64{cb.ID}) {
		t.Fatalf("due at t0 = %v, want [%d]", got, cb.ID)
	}
	if got := counts(t, o.db); got != (dialer.CallbackCounts{Pending: 1, OldestPending: t0}) {
		t.Fatalf("counts = %+v", got)
	}
	// Two failures back off; the third of max 3 is dead.
	steps := []struct {
		status int
		err    string
		next   time.Duration
		want   dialer.CallbackState
	}{
		{503, "HTTP 503", time.Second, dialer.CallbackPending},
		{0, "connection refused", 2 * time.Second, dialer.CallbackPending},
		{500, "HTTP 500", 4 * time.Second, dialer.CallbackDead},
	}
	for i, s := range steps {
		next := t0.Add(s.next)
		state, err := o.db.CallbackFailed(ctx, cb.ID, dialer.CallbackFailure{Status: s.status, Error: s.err, NextAt: next, MaxTries: 3})
		if err != nil || state != s.want {
			t.Fatalf("failure %d = %s, %v; want %s", i+1, state, err, s.want)
		}
		got := o.all(t)[0]
		if got.Tries != i+1 || got.LastStatus != s.status || got.LastError != s.err || !got.NextAt.Equal(next) {
			t.Fatalf("after failure %d: %+v", i+1, got)
		}
		if s.want == dialer.CallbackPending {
			if due := dueIDs(t, o.db, next.Add(-time.Millisecond)); len(due) != 0 {
				t.Fatalf("due before its backoff is over: %v", due)
			}
			if due := dueIDs(t, o.db, next); len(due) != 1 {
				t.Fatalf("not due once its backoff is over: %v", due)
			}
		}
	}
	if due := dueIDs(t, o.db, t0.Add(time.Hour)); len(due) != 0 {
		t.Fatalf("a dead callback is due: %v", due)
	}
	if got := counts(t, o.db); got != (dialer.CallbackCounts{Dead: 1}) {
		t.Fatalf("counts when dead = %+v", got)
	}
	if _, err := o.db.CallbackFailed(ctx, cb.ID, dialer.CallbackFailure{MaxTries: 3}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("failing a dead callback = %v, want ErrNotFound", err)
	}

	n, err := o.db.RedriveCallbacks(ctx, "", nil)
	if err != nil || n != 1 {
		t.Fatalf("redrive = %d, %v; want 1", n, err)
	}
	got := o.all(t)[0]
	if got.State != dialer.CallbackPending || got.Tries != 0 || !got.NextAt.Equal(t0) || got.LastError != "HTTP 500" {
		t.Fatalf("redriven = %+v, want pending, no tries, due now, last error kept", got)
	}
	delivered := t0.Add(time.Minute)
	if err := o.db.CallbackDelivered(ctx, cb.ID, 204, delivered); err != nil {
		t.Fatal(err)
	}
	got = o.all(t)[0]
	if got.State != dialer.CallbackDelivered || got.Tries != 1 || got.LastStatus != 204 || got.LastError != "" ||
		!got.DeliveredAt.Equal(delivered) {
		t.Fatalf("delivered = %+v", got)
	}
	if got := counts(t, o.db); got != (dialer.CallbackCounts{}) {
		t.Fatalf("counts when delivered = %+v", got)
	}
	if n, _ := o.db.RedriveCallbacks(ctx, "", []int64{cb.ID}); n != 0 {
		t.Fatalf("redrove a delivered callback")
	}
	if n, err := o.db.PurgeCallbacks(ctx, delivered); err != nil || n != 0 {
		t.Fatalf("purge before delivery time = %d, %v; want 0", n, err)
	}
	if n, err := o.db.PurgeCallbacks(ctx, delivered.Add(time.Millisecond)); err != nil || n != 1 {
		t.Fatalf("purge after delivery time = %d, %v; want 1", n, err)
	}
}

func TestDueCallbacks_ConnectBeforeRelease(t *testing.T) {
	o := newOutboxDB(t)
	ctx := context.Background()
	first := o.release(t, "uuid-a", true)
	second := o.release(t, "uuid-b", true)
	if len(first) != 2 || len(second) != 2 {
		t.Fatalf("callbacks = %+v %+v, want connect and release each", first, second)
	}
	later := t0.Add(time.Hour)
	if got, want := dueIDs(t, o.db, later), []int64{first[0].ID, second[0].ID}; !reflect.DeepEqual(got, want) {
		t.Fatalf("due = %v, want the connects %v only", got, want)
	}
	if err := o.db.CallbackDelivered(ctx, first[0].ID, 200, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := o.db.CallbackFailed(ctx, second[0].ID, dialer.CallbackFailure{Status: 410, NextAt: later, MaxTries: 1}); err != nil {
		t.Fatal(err)
	}
	// A delivered connect and a dead one both free their release.
	if got, want := dueIDs(t, o.db, later), []int64{first[1].ID, second[1].ID}; !reflect.DeepEqual(got, want) {
		t.Fatalf("due = %v, want the releases %v", got, want)
	}
	if due, _ := o.db.DueCallbacks(ctx, later, 1); len(due) != 1 || due[0].ID != first[1].ID {
		t.Fatalf("limit 1 = %+v", due)
	}
}

func TestCallbacks_ListAndRedriveByCampaignAndID(t *testing.T) {
	o := newOutboxDB(t)
	ctx := context.Background()
	a := o.release(t, "uuid-a", false)[0]
	b := o.release(t, "uuid-b", false)[0]
	c := o.release(t, "uuid-c", false)[0]
	for _, cb := range []dialer.Callback{a, b, c} {
		if _, err := o.db.CallbackFailed(ctx, cb.ID, dialer.CallbackFailure{Error: "HTTP 500", Status: 500, NextAt: t0, MaxTries: 1}); err != nil {
			t.Fatal(err)
		}
	}
	list := func(f store.CallbackFilter) []int64 {
		t.Helper()
		cbs, err := o.db.Callbacks(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, cb := range cbs {
			ids = append(ids, cb.ID)
		}
		return ids
	}
	if got, want := list(store.CallbackFilter{State: dialer.CallbackDead}), []int64{c.ID, b.ID, a.ID}; !reflect.DeepEqual(got, want) {
		t.Fatalf("dead = %v, want %v (newest first)", got, want)
	}
	if got := list(store.CallbackFilter{Campaign: "survey-ivr"}); len(got) != 0 {
		t.Fatalf("survey-ivr has no callback URL, yet lists %v", got)
	}
	if got := list(store.CallbackFilter{Campaign: "renewals-progressive", Limit: 2}); len(got) != 2 {
		t.Fatalf("limit 2 listed %v", got)
	}
	if _, err := o.db.Callbacks(ctx, store.CallbackFilter{Campaign: "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown campaign = %v, want ErrNotFound", err)
	}
	if n, err := o.db.RedriveCallbacks(ctx, "survey-ivr", nil); err != nil || n != 0 {
		t.Fatalf("redrive of another campaign = %d, %v", n, err)
	}
	if _, err := o.db.RedriveCallbacks(ctx, "nope", nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("redrive of an unknown campaign = %v, want ErrNotFound", err)
	}
	if n, err := o.db.RedriveCallbacks(ctx, "", []int64{b.ID, 999}); err != nil || n != 1 {
		t.Fatalf("redrive by id = %d, %v; want 1", n, err)
	}
	if got, want := list(store.CallbackFilter{State: dialer.CallbackPending}), []int64{b.ID}; !reflect.DeepEqual(got, want) {
		t.Fatalf("pending = %v, want %v", got, want)
	}
	if n, err := o.db.RedriveCallbacks(ctx, "renewals-progressive", nil); err != nil || n != 2 {
		t.Fatalf("redrive of the campaign = %d, %v; want the 2 still dead", n, err)
	}
	if got := counts(t, o.db); got.Pending != 3 || got.Dead != 0 {
		t.Fatalf("counts = %+v", got)
	}
}
