package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fsdialer/dialer/store"
)

func TestResetAndDeleteMembers_UnknownIDsChangeNothing(t *testing.T) {
	ctx := context.Background()
	now := t0
	db, _ := openTestStore(t, store.WithClock(func() time.Time { return now }))
	applyCalendar(t, db)
	if _, err := db.ApplyCampaign(ctx, readCampaign(t, "../testdata/campaigns/ivr.yaml")); err != nil {
		t.Fatal(err)
	}
	id := mustID(t, db, "survey-ivr")
	importMembers(t, db, id, member(2, 3, "a", "+12125550101"), member(3, 3, "b", "+12125550102"))
	ms, err := db.Members(ctx, store.MemberFilter{CampaignID: id})
	if err != nil || len(ms) != 2 {
		t.Fatalf("members = %v, %v", ms, err)
	}
	a := ms[0].ID
	now = t0.Add(time.Hour)
	for _, tc := range []struct {
		name string
		act  func(context.Context, store.MemberFilter, []int64) (int, int, error)
	}{{"reset", db.ResetMembers}, {"delete", db.DeleteMembers}} {
		name, act := tc.name, tc.act
		t.Run(name, func(t *testing.T) {
			_, _, err := act(ctx, store.MemberFilter{}, []int64{a, 998, a, 999})
			var unknown *store.UnknownError
			if !errors.As(err, &unknown) {
				t.Fatalf("err = %v, want an *UnknownError", err)
			}
			if got, want := unknown.Error(), "no member with id 998, 999; nothing was changed"; got != want {
				t.Fatalf("error = %q, want %q", got, want)
			}
			m, err := db.Member(ctx, a)
			if err != nil {
				t.Fatalf("member %d after a refused %s: %v", a, name, err)
			}
			if !m.UpdatedAt.Equal(t0) {
				t.Fatalf("member %d updated at %s by a refused %s, want %s", a, m.UpdatedAt, name, t0)
			}
		})
	}
}
