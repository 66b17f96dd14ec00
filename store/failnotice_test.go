package store_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
)

// failNotices returns the member_failed callbacks, oldest first.
func failNotices(t *testing.T, o *outboxDB) []dialer.Callback {
	t.Helper()
	var out []dialer.Callback
	for _, c := range o.all(t) {
		if c.Event == dialer.CallbackMemberFailed {
			out = append(out, c)
		}
	}
	return out
}

// A member that ends failed through its last attempt gets one notice,
// written with the attempt's end, after its release, carrying its numbers
// with their own counts; a replayed end adds nothing.
func TestMemberFailed_RecordedOnceWithTheFailingAttempt(t *testing.T) {
	o := newOutboxDB(t)
	ctx := context.Background()
	first := o.start(t, o.progMember, "uuid-f-1", 0, t0.Add(-time.Hour))
	if err := o.db.FinishAttempts(ctx, []dialer.AttemptEnd{{AttemptID: first, Cause: "NO_ANSWER", Q850: 19,
		EndedAt: t0.Add(-time.Hour + 30*time.Second), Class: "retry", Counted: true, MemberID: o.progMember.ID,
		MemberState: dialer.MemberWaiting, DueAt: t0.Add(-time.Minute), Attempts: 1}}); err != nil {
		t.Fatal(err)
	}
	if got := failNotices(t, o); len(got) != 0 {
		t.Fatalf("notices while the member waits: %+v", got)
	}
	second := o.start(t, o.progMember, "uuid-f-2", 0, t0.Add(-time.Minute))
	end := dialer.AttemptEnd{AttemptID: second, Cause: "USER_BUSY", Q850: 17, EndedAt: t0.Add(-50 * time.Second),
		Class: "retry", Counted: true, MemberID: o.progMember.ID, MemberState: dialer.MemberFailed,
		EndCause: "MAX_TRY_COUNT", Attempts: 2}
	for range 2 {
		if err := o.db.FinishAttempts(ctx, []dialer.AttemptEnd{end}); err != nil {
			t.Fatal(err)
		}
	}
	cbs := o.all(t)
	last := cbs[len(cbs)-1]
	if len(cbs) != 3 || cbs[1].IdempotencyKey != "uuid-f-2:release" || last.Event != dialer.CallbackMemberFailed {
		t.Fatalf("callbacks = %+v, want two releases then the notice", cbs)
	}
	key := "member-" + strconv.FormatInt(o.progMember.ID, 10) + ":failed"
	if last.IdempotencyKey != key || last.AttemptID != second || last.URL != hookURL || last.State != dialer.CallbackPending ||
		!last.NextAt.Equal(t0) || last.Campaign != "renewals-progressive" {
		t.Errorf("notice row = %+v", last)
	}
	comparePayload(t, last, map[string]any{
		"event": "member_failed", "idempotency_key": key,
		"campaign_id": float64(o.progID), "campaign": "renewals-progressive",
		"member_id": float64(o.progMember.ID), "name": "acct-1", "external_key": "acct-1",
		"variables": map[string]any{"k": "acct-1"},
		"cause":     "MAX_TRY_COUNT", "last_cause": "USER_BUSY", "attempts": 2.0,
		"numbers": []any{map[string]any{"number": "+442071230001", "type": "mobile", "attempts": 2.0,
			"last_cause": "USER_BUSY", "state": "active"}},
		"last_attempt_id": float64(second), "last_call_uuid": "uuid-f-2",
		"failed_time": "2026-11-23T15:00:00.000Z",
	})

	// The notice waits behind its attempt's release.
	if got := dueIDs(t, o.db, t0); len(got) != 2 || got[1] != cbs[1].ID {
		t.Fatalf("due = %v, want the releases %d %d", got, cbs[0].ID, cbs[1].ID)
	}
	if err := o.db.CallbackDelivered(ctx, cbs[1].ID, 200, t0); err != nil {
		t.Fatal(err)
	}
	if got := dueIDs(t, o.db, t0); len(got) != 2 || got[1] != last.ID {
		t.Fatalf("due after the release = %v, want the first release and the notice %d", got, last.ID)
	}
}

// Members failed without an attempt's end (by the dispatcher, the expiry
// sweep, a result) get their notice in the same transaction; members
// done, still waiting, or of a campaign without a callback URL get none.
func TestMemberFailed_EveryWayAMemberFails(t *testing.T) {
	ctx := context.Background()
	t.Run("blocked by the dispatcher, never called", func(t *testing.T) {
		o := newOutboxDB(t)
		if err := o.db.ChangeMembers(ctx, []dialer.MemberChange{
			{MemberID: o.progMember.ID, EndCause: "BLOCKED"},
			{MemberID: o.ivrMemb.ID, EndCause: "BLOCKED"}, // no callback URL
		}); err != nil {
			t.Fatal(err)
		}
		got := failNotices(t, o)
		if len(got) != 1 || got[0].AttemptID != 0 {
			t.Fatalf("notices = %+v, want one without an attempt", got)
		}
		p := payload(t, got[0])
		nums, _ := p["numbers"].([]any)
		if p["cause"] != "BLOCKED" || p["attempts"] != 0.0 || p["last_attempt_id"] != nil || len(nums) != 1 ||
			nums[0].(map[string]any)["attempts"] != 0.0 {
			t.Errorf("payload = %v", p)
		}
		// A later change of the failed member writes nothing more.
		if err := o.db.ChangeMembers(ctx, []dialer.MemberChange{{MemberID: o.progMember.ID, EndCause: "NO_TIMEZONE"}}); err != nil {
			t.Fatal(err)
		}
		if got := failNotices(t, o); len(got) != 1 {
			t.Fatalf("notices after a second change = %d", len(got))
		}
	})
	t.Run("deferred is no failure", func(t *testing.T) {
		o := newOutboxDB(t)
		if err := o.db.ChangeMembers(ctx, []dialer.MemberChange{{MemberID: o.progMember.ID, DueAt: t0.Add(time.Hour)}}); err != nil {
			t.Fatal(err)
		}
		if got := failNotices(t, o); len(got) != 0 {
			t.Fatalf("notices = %+v", got)
		}
	})
	t.Run("expired by the sweep", func(t *testing.T) {
		o := newOutboxDB(t)
		if err := o.db.ExecForTest(ctx, `UPDATE members SET expires_at = ? WHERE id = ?`,
			t0.Add(-time.Second).UnixMilli(), o.progMember.ID); err != nil {
			t.Fatal(err)
		}
		n, err := o.db.ExpireMembers(ctx, o.progID, t0)
		if err != nil || n != 1 {
			t.Fatalf("expired %d, %v", n, err)
		}
		got := failNotices(t, o)
		if len(got) != 1 || payload(t, got[0])["cause"] != "MEMBER_EXPIRED" {
			t.Fatalf("notices = %+v", got)
		}
	})
	t.Run("a result that stops every number", func(t *testing.T) {
		o := newOutboxDB(t)
		out, err := o.db.ApplyMemberResult(ctx, o.progMember.ID, dialer.MemberResult{StopAll: true})
		if err != nil || out.State != dialer.MemberFailed {
			t.Fatalf("result: %+v %v", out, err)
		}
		got := failNotices(t, o)
		if len(got) != 1 {
			t.Fatalf("notices = %+v", got)
		}
		p := payload(t, got[0])
		nums, _ := p["numbers"].([]any)
		if p["cause"] != "MAX_TRY_COUNT" || len(nums) != 1 || nums[0].(map[string]any)["state"] != "stopped" {
			t.Errorf("payload = %v", p)
		}
		// A result on the failed member notifies nothing again.
		if _, err := o.db.ApplyMemberResult(ctx, o.progMember.ID, dialer.MemberResult{StopAll: true}); err != nil {
			t.Fatal(err)
		}
		if got := failNotices(t, o); len(got) != 1 {
			t.Fatalf("notices after a second result = %d", len(got))
		}
	})
	t.Run("done members", func(t *testing.T) {
		o := newOutboxDB(t)
		id := o.start(t, o.progMember, "uuid-done", 0, t0)
		if err := o.db.FinishAttempts(ctx, []dialer.AttemptEnd{{AttemptID: id, Cause: "NORMAL_CLEARING", Q850: 16,
			AnsweredAt: t0, EndedAt: t0.Add(5 * time.Second), Class: "ok", Counted: true, MemberID: o.progMember.ID,
			MemberState: dialer.MemberDone, Attempts: 1}}); err != nil {
			t.Fatal(err)
		}
		if got := failNotices(t, o); len(got) != 0 {
			t.Fatalf("notices = %+v", got)
		}
		if cbs, err := o.db.Callbacks(ctx, store.CallbackFilter{}); err != nil || len(cbs) != 2 {
			t.Fatalf("callbacks = %+v %v, want connect and release", cbs, err)
		}
	})
}
