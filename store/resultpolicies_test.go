package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/cause"
	"github.com/fsdialer/dialer/store"
)

func TestApplyCampaign_ResultPolicies(t *testing.T) {
	db, _ := openDB(t)
	applyCalendar(t, db)
	ctx := context.Background()
	c := readCampaign(t, "../testdata/campaigns/results-ivr.yaml")
	if got, err := db.ApplyCampaign(ctx, c); err != nil || got != store.Created {
		t.Fatalf("apply = %s, %v", got, err)
	}
	stored, err := db.Campaign(ctx, "results-ivr")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(stored.ResultPolicies, c.ResultPolicies) || stored.IVR.SubStatusVariable != "dialer_sub_status" {
		t.Fatalf("stored result policies = %+v (%q), want %+v", stored.ResultPolicies, stored.IVR.SubStatusVariable, c.ResultPolicies)
	}
	if got, err := db.ApplyCampaign(ctx, readCampaign(t, "../testdata/campaigns/results-ivr.yaml")); err != nil || got != store.Unchanged {
		t.Fatalf("re-apply = %s, %v; want unchanged", got, err)
	}
	c.ResultPolicies.Rules[2].Interval = dialer.Duration(5 * time.Minute)
	if got, err := db.ApplyCampaign(ctx, c); err != nil || got != store.Updated {
		t.Fatalf("apply with a changed rule = %s, %v; want updated", got, err)
	}
}

// resultMember is a member of results-ivr whose one attempt ended answered
// with business result "7" (the default rule's), counted.
func resultMember(t *testing.T) (*store.DB, *dialer.Campaign, int64) {
	t.Helper()
	db, _ := openDB(t)
	applyCalendar(t, db)
	ctx := context.Background()
	if _, err := db.ApplyCampaign(ctx, readCampaign(t, "../testdata/campaigns/results-ivr.yaml")); err != nil {
		t.Fatal(err)
	}
	c, _ := db.Campaign(ctx, "results-ivr")
	importMembers(t, db, c.ID, member(2, 3, "r", "+12125550101"))
	ms, _ := db.Members(ctx, store.MemberFilter{CampaignID: c.ID})
	m := ms[0]
	ids, err := db.StartAttempts(ctx, []dialer.NewAttempt{{CampaignID: c.ID, MemberID: m.ID,
		CommunicationID: m.Communications[0].ID, Number: "+12125550101", UUID: "u-r", At: t0}})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.FinishAttempts(ctx, []dialer.AttemptEnd{{AttemptID: ids[0], MemberID: m.ID, Cause: "NORMAL_CLEARING",
		AnsweredAt: t0.Add(time.Second), EndedAt: t0.Add(5 * time.Second), BusinessResult: "7", SubStatus: "x",
		PolicyRule: "default", Class: "retry", Counted: true, MemberState: dialer.MemberWaiting,
		DueAt: t0.Add(2 * time.Hour), Attempts: 1}}); err != nil {
		t.Fatal(err)
	}
	return db, c, m.ID
}

func TestFinishAttempts_RecordsPolicyRule(t *testing.T) {
	db, _, id := resultMember(t)
	got, ok, err := db.LastAttemptResult(context.Background(), id)
	if err != nil || !ok {
		t.Fatalf("last result = %v, %v", ok, err)
	}
	if got.Result != "7" || got.SubStatus != "x" || got.PolicyRule != "default" {
		t.Fatalf("last result = %+v, want 7, x, default", got)
	}
}

func TestApplyMemberResult_ByRule(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, result, sub string
		wantState         dialer.MemberState
		wantEnd           string
		wantAttempts      int
		wantDue           time.Duration
		wantRule          string
	}{
		{"ok", "1", "", dialer.MemberDone, "", 1, 0, `result "1"`},
		{"stop", "2", "", dialer.MemberFailed, cause.ResultStop, 1, 0, `result "2"`},
		{"uncounted retry gives the attempt back", "3", "", dialer.MemberWaiting, "", 0, 15 * time.Minute, `result "3"`},
		{"sub-status rule", "3", "tomorrow", dialer.MemberWaiting, "", 1, 24 * time.Hour, `result "3" sub_status "tomorrow"`},
		{"default", "8", "", dialer.MemberWaiting, "", 1, 2 * time.Hour, "default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, c, id := resultMember(t)
			r := dialer.MemberResult{Result: tt.result, SubStatus: tt.sub}
			if !c.ApplyResultRule(&r) {
				t.Fatalf("no rule for %q", tt.result)
			}
			out, err := db.ApplyMemberResult(ctx, id, r)
			if err != nil {
				t.Fatal(err)
			}
			m, _ := db.Member(ctx, id)
			if out.State != tt.wantState || m.EndCause != tt.wantEnd || m.Attempts != tt.wantAttempts {
				t.Fatalf("member = %s %q, %d attempts; want %s %q, %d", out.State, m.EndCause, m.Attempts,
					tt.wantState, tt.wantEnd, tt.wantAttempts)
			}
			if tt.wantDue != 0 && !m.DueAt.Equal(t0.Add(tt.wantDue)) {
				t.Errorf("due at %s, want %s", m.DueAt, t0.Add(tt.wantDue))
			}
			got, _, _ := db.LastAttemptResult(ctx, id)
			if got.Result != tt.result || got.SubStatus != tt.sub || got.PolicyRule != tt.wantRule {
				t.Errorf("attempt result = %+v, want %q %q %q", got, tt.result, tt.sub, tt.wantRule)
			}
		})
	}
}
