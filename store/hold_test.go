package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/fsdialer/dialer/store"
)

// holdCampaign is renewals-progressive with members a, b and c, due now.
func holdCampaign(t *testing.T) (*store.DB, int64, []dialer.Member) {
	t.Helper()
	db, _ := openDB(t)
	applyCalendar(t, db)
	ctx := context.Background()
	if _, err := db.ApplyCampaign(ctx, readCampaign(t, "../testdata/campaigns/progressive.yaml")); err != nil {
		t.Fatal(err)
	}
	id := mustID(t, db, "renewals-progressive")
	importMembers(t, db, id, member(2, 3, "a", "+442071230001"), member(3, 3, "b", "+442071230002"),
		member(4, 3, "c", "+442071230003"))
	ms, err := db.Members(ctx, store.MemberFilter{CampaignID: id})
	if err != nil {
		t.Fatal(err)
	}
	return db, id, ms
}

func dueMemberIDs(t *testing.T, db *store.DB, campaignID int64, at time.Time) []int64 {
	t.Helper()
	ids, err := db.DueMemberIDs(context.Background(), campaignID, at, 10)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestHoldMembers_NotDueUntilReleased(t *testing.T) {
	db, id, ms := holdCampaign(t)
	ctx := context.Background()
	a, b, c := ms[0].ID, ms[1].ID, ms[2].ID

	n, inCall, err := db.HoldMembers(ctx, store.MemberFilter{}, []int64{a, c})
	if err != nil || n != 2 || inCall != 0 {
		t.Fatalf("hold = %d, %d, %v; want 2, 0", n, inCall, err)
	}
	if got := dueMemberIDs(t, db, id, t0); len(got) != 1 || got[0] != b {
		t.Fatalf("due with a and c held = %v, want [%d]", got, b)
	}
	// A claim made from an older read loses to the hold.
	started, err := db.StartAttempts(ctx, []dialer.NewAttempt{{CampaignID: id, MemberID: a,
		CommunicationID: ms[0].Communications[0].ID, Number: "+442071230001", UUID: "u-a", At: t0}})
	if err != nil || started[0] != 0 {
		t.Fatalf("claim of a held member = %v, %v; want refused", started, err)
	}
	m, _ := db.Member(ctx, a)
	if !m.Held || m.State != dialer.MemberWaiting {
		t.Fatalf("held member = held %v state %s, want held and still waiting", m.Held, m.State)
	}
	if n, _, err := db.HoldMembers(ctx, store.MemberFilter{}, []int64{a}); err != nil || n != 0 {
		t.Fatalf("holding a held member = %d, %v; want 0 changed", n, err)
	}
	if n, _, err := db.ReleaseMembers(ctx, store.MemberFilter{}, []int64{a}); err != nil || n != 1 {
		t.Fatalf("release = %d, %v", n, err)
	}
	if got := dueMemberIDs(t, db, id, t0); len(got) != 2 {
		t.Fatalf("due after releasing a = %v, want a and b", got)
	}
	report, err := db.Report(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if report.Members.Held != 1 {
		t.Errorf("report held = %d, want 1 (c)", report.Members.Held)
	}
}

func TestHoldMembers_ByCampaignAndAllOrNothing(t *testing.T) {
	db, id, ms := holdCampaign(t)
	ctx := context.Background()
	var unknown *store.UnknownError
	if _, _, err := db.HoldMembers(ctx, store.MemberFilter{}, []int64{ms[0].ID, 999}); !errors.As(err, &unknown) {
		t.Fatalf("hold with an unknown id = %v, want *UnknownError", err)
	}
	if m, _ := db.Member(ctx, ms[0].ID); m.Held {
		t.Fatal("an unknown id in the list still held the known one")
	}
	// A member in a call is held too: its call goes on.
	if _, err := db.StartAttempts(ctx, []dialer.NewAttempt{{CampaignID: id, MemberID: ms[1].ID,
		CommunicationID: ms[1].Communications[0].ID, Number: "+442071230002", UUID: "u-b", At: t0}}); err != nil {
		t.Fatal(err)
	}
	n, inCall, err := db.HoldMembers(ctx, store.MemberFilter{CampaignID: id}, nil)
	if err != nil || n != 3 || inCall != 1 {
		t.Fatalf("hold campaign = %d, %d, %v; want 3 held, 1 in a call", n, inCall, err)
	}
	if got := dueMemberIDs(t, db, id, t0.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("due with the campaign held = %v, want none", got)
	}
	if n, _, err := db.ReleaseMembers(ctx, store.MemberFilter{CampaignID: id, State: dialer.MemberWaiting}, nil); err != nil || n != 2 {
		t.Fatalf("release waiting = %d, %v; want 2", n, err)
	}
	if m, _ := db.Member(ctx, ms[1].ID); !m.Held {
		t.Fatal("the member in a call was released by a release of waiting members")
	}
	if _, _, err := db.HoldMembers(ctx, store.MemberFilter{}, []int64{ms[0].ID}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.ResetMembers(ctx, store.MemberFilter{}, []int64{ms[0].ID}); err != nil {
		t.Fatal(err)
	}
	if m, _ := db.Member(ctx, ms[0].ID); !m.Held {
		t.Fatal("member reset released a held member")
	}
}

func TestNotBefore_NotDueBeforeItsWindow(t *testing.T) {
	db, _ := openDB(t)
	applyCalendar(t, db)
	ctx := context.Background()
	if _, err := db.ApplyCampaign(ctx, readCampaign(t, "../testdata/campaigns/progressive.yaml")); err != nil {
		t.Fatal(err)
	}
	id := mustID(t, db, "renewals-progressive")
	later := member(2, 1, "later", "+442071230001")
	later.NotBefore = t0.Add(30 * time.Minute)
	later.ExpiresAt = t0.Add(2 * time.Hour)
	importMembers(t, db, id, later)
	added := member(3, 1, "added", "+442071230002")
	added.NotBefore = t0.Add(time.Hour)
	if _, err := db.AddMembers(ctx, id, []memberfile.Member{added}); err != nil {
		t.Fatal(err)
	}
	ms, _ := db.Members(ctx, store.MemberFilter{CampaignID: id})
	if !ms[0].NotBefore.Equal(later.NotBefore) || !ms[0].ExpiresAt.Equal(later.ExpiresAt) || !ms[1].NotBefore.Equal(added.NotBefore) {
		t.Fatalf("stored windows = %s..%s, %s", ms[0].NotBefore, ms[0].ExpiresAt, ms[1].NotBefore)
	}
	for _, tt := range []struct {
		at   time.Time
		want int
	}{{t0, 0}, {t0.Add(30*time.Minute - time.Millisecond), 0}, {t0.Add(30 * time.Minute), 1}, {t0.Add(time.Hour), 2}} {
		if got := dueMemberIDs(t, db, id, tt.at); len(got) != tt.want {
			t.Errorf("due at %s = %v, want %d", tt.at.Format(time.TimeOnly), got, tt.want)
		}
	}
	started, err := db.StartAttempts(ctx, []dialer.NewAttempt{{CampaignID: id, MemberID: ms[0].ID,
		CommunicationID: ms[0].Communications[0].ID, Number: "+442071230001", UUID: "u-l", At: t0}})
	if err != nil || started[0] != 0 {
		t.Fatalf("claim before not_before = %v, %v; want refused", started, err)
	}
}
