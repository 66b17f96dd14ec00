package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
)

func TestLiveCalls_OpenAttemptsAndManualCalls(t *testing.T) {
	o := newOutboxDB(t)
	ctx := context.Background()
	begin := t0.Add(-time.Minute)
	prog := o.start(t, o.progMember, "uuid-prog", o.aliceID, begin)
	ivr := o.start(t, o.ivrMemb, "uuid-ivr", 0, begin.Add(time.Second))
	if err := o.db.MarkAgentLeg(ctx, prog, o.aliceID, "uuid-alice", begin.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := o.db.MarkAnswered(ctx, ivr, begin.Add(3*time.Second)); err != nil {
		t.Fatal(err)
	}
	req, err := o.db.RequestCall(ctx, dialer.CallRequest{AgentID: o.aliceID, Number: "+12125550199"})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.db.AnswerCallRequest(ctx, req, dialer.CallStarted, "", 0, "uuid-manual"); err != nil {
		t.Fatal(err)
	}
	progCall := store.LiveCall{AttemptID: prog, CampaignID: o.progID, Campaign: "renewals-progressive",
		MemberID: o.progMember.ID, Member: "acct-1", Number: "+442071230001", UUID: "uuid-prog", AgentUUID: "uuid-alice",
		State: "agent_ringing", StartedAt: begin, Agent: "alice"}
	ivrCall := store.LiveCall{AttemptID: ivr, CampaignID: o.ivrID, Campaign: "survey-ivr", MemberID: o.ivrMemb.ID,
		Member: "ivr-1", Number: "+12125550101", UUID: "uuid-ivr", State: "answered", StartedAt: begin.Add(time.Second)}
	manual := store.LiveCall{Number: "+12125550199", UUID: "uuid-manual", State: "calling", StartedAt: t0, Agent: "alice"}
	tests := []struct {
		name     string
		campaign int64
		want     []store.LiveCall
	}{
		{"all, oldest first", 0, []store.LiveCall{progCall, ivrCall, manual}},
		{"one campaign, without manual calls", o.ivrID, []store.LiveCall{ivrCall}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := o.db.LiveCalls(ctx, tt.campaign)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("calls = %+v\nwant %+v", got, tt.want)
			}
		})
	}
	if err := o.db.FinishAttempts(ctx, []dialer.AttemptEnd{{AttemptID: ivr, Cause: "NORMAL_CLEARING", Q850: 16,
		AnsweredAt: begin.Add(3 * time.Second), EndedAt: t0, Class: "ok", Counted: true, MemberID: o.ivrMemb.ID,
		MemberState: dialer.MemberDone, Attempts: 1}}); err != nil {
		t.Fatal(err)
	}
	if got, err := o.db.LiveCalls(ctx, 0); err != nil || !reflect.DeepEqual(got, []store.LiveCall{progCall, manual}) {
		t.Fatalf("calls after one ended = %+v, %v; want the other two", got, err)
	}
}

func TestHangupRequests_AnsweredOnce(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	ids, err := db.RequestHangups(ctx, []string{"uuid-a", "uuid-b"}, dialer.HangupCause)
	if err != nil || len(ids) != 2 {
		t.Fatalf("request: %v %v", ids, err)
	}
	pending, err := db.PendingHangups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []dialer.HangupRequest{
		{ID: ids[0], UUID: "uuid-a", Cause: "MANAGER_REQUEST", State: dialer.HangupPending, CreatedAt: t0},
		{ID: ids[1], UUID: "uuid-b", Cause: "MANAGER_REQUEST", State: dialer.HangupPending, CreatedAt: t0},
	}
	if !reflect.DeepEqual(pending, want) {
		t.Fatalf("pending = %+v, want %+v", pending, want)
	}
	if err := db.AnswerHangup(ctx, ids[0], dialer.HangupFailed, "no such channel"); err != nil {
		t.Fatal(err)
	}
	// A request is answered once: a second answer changes nothing.
	if err := db.AnswerHangup(ctx, ids[0], dialer.HangupDone, ""); err != nil {
		t.Fatal(err)
	}
	got, err := db.HangupRequest(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if got.State != dialer.HangupFailed || got.Reason != "no such channel" || !got.HandledAt.Equal(t0) {
		t.Fatalf("answered request = %+v, want failed: no such channel", got)
	}
	if pending, _ := db.PendingHangups(ctx); len(pending) != 1 || pending[0].ID != ids[1] {
		t.Fatalf("pending after one answer = %+v, want request %d only", pending, ids[1])
	}
	if _, err := db.HangupRequest(ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown request: %v, want ErrNotFound", err)
	}
}

// TestDeleteCampaign_RefusesCallsInProgress: an open attempt keeps its
// campaign, force or not, so that its end and release callback are
// recorded; once it ended the campaign is deleted, and its callback
// events stay to be delivered.
func TestDeleteCampaign_RefusesCallsInProgress(t *testing.T) {
	o := newOutboxDB(t)
	ctx := context.Background()
	begin := t0.Add(-time.Minute)
	id := o.start(t, o.progMember, "uuid-prog", o.aliceID, begin)
	if err := o.db.MarkAnswered(ctx, id, begin.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, force := range []bool{false, true} {
		err := o.db.DeleteCampaign(ctx, "renewals-progressive", force)
		if !errors.Is(err, store.ErrCallsInProgress) {
			t.Fatalf("delete with a call up (force %v) = %v, want ErrCallsInProgress", force, err)
		}
		want := "campaign renewals-progressive has 1 call in progress; stop it and wait for them to end " +
			"(dialer campaign stop renewals-progressive), or use --hangup to hang them up first"
		if err.Error() != want {
			t.Fatalf("error = %q, want %q", err, want)
		}
	}
	if ok, err := o.db.CampaignExists(ctx, o.progID); err != nil || !ok {
		t.Fatalf("campaign exists = %v, %v after a refused delete", ok, err)
	}
	if err := o.db.FinishAttempts(ctx, []dialer.AttemptEnd{{AttemptID: id, Cause: "MANAGER_REQUEST", Q850: 703,
		AnsweredAt: begin.Add(time.Second), EndedAt: t0, Class: "minus", MemberID: o.progMember.ID,
		MemberState: dialer.MemberWaiting, DueAt: t0.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if err := o.db.DeleteCampaign(ctx, "renewals-progressive", false); err != nil {
		t.Fatalf("delete once the call ended: %v", err)
	}
	if ok, err := o.db.CampaignExists(ctx, o.progID); err != nil || ok {
		t.Fatalf("campaign exists = %v, %v after the delete", ok, err)
	}
	var events []string
	for _, cb := range o.all(t) {
		events = append(events, cb.IdempotencyKey)
	}
	if want := []string{"uuid-prog:connect", "uuid-prog:release"}; !reflect.DeepEqual(events, want) {
		t.Fatalf("callback events after the delete = %v, want %v", events, want)
	}
}
