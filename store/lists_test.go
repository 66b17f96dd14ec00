package store_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
)

func TestAttempts_FiltersAndPages(t *testing.T) {
	db, _ := openDB(t)
	id := seedResults(t, db)
	ctx := context.Background()
	tests := []struct {
		name string
		f    store.AttemptFilter
		want []int64
	}{
		{"all", store.AttemptFilter{}, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"class", store.AttemptFilter{Class: "retry"}, []int64{1, 3, 4, 8, 10}},
		{"cause", store.AttemptFilter{Cause: "USER_BUSY"}, []int64{3, 4}},
		{"class and cause", store.AttemptFilter{Class: "ok", Cause: "NORMAL_CLEARING"}, []int64{2, 9}},
		{"since", store.AttemptFilter{Range: dialer.TimeRange{Since: attemptStart(8)}}, []int64{8, 9, 10}},
		{"until", store.AttemptFilter{Range: dialer.TimeRange{Until: attemptStart(3)}}, []int64{1, 2}},
		{"first page", store.AttemptFilter{Limit: 4}, []int64{1, 2, 3, 4}},
		{"next page", store.AttemptFilter{AfterID: 4, Limit: 4}, []int64{5, 6, 7, 8}},
		{"last page", store.AttemptFilter{AfterID: 8, Limit: 4}, []int64{9, 10}},
		{"filtered page", store.AttemptFilter{Class: "retry", AfterID: 3, Limit: 2}, []int64{4, 8}},
		{"nothing", store.AttemptFilter{Cause: "NO_SUCH_CAUSE"}, []int64{}},
		{"other campaign", store.AttemptFilter{CampaignID: id + 1}, []int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			if f.CampaignID == 0 {
				f.CampaignID = id
			}
			got, err := db.Attempts(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			ids := []int64{}
			for _, a := range got {
				ids = append(ids, a.ID)
			}
			if !reflect.DeepEqual(ids, tt.want) {
				t.Fatalf("ids = %v, want %v", ids, tt.want)
			}
		})
	}
	// The rows are the same as a member's attempts.
	got, err := db.Attempts(ctx, store.AttemptFilter{CampaignID: id, Cause: "NORMAL_CLEARING", Class: "ok"})
	if err != nil {
		t.Fatal(err)
	}
	mine, err := db.MemberAttempts(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got[0], mine[1]) {
		t.Fatalf("attempt 2 listed as %+v, member 1's is %+v", got[0], mine[1])
	}
}
