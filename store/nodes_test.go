package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/cause"
	"github.com/fsdialer/dialer/store"
)

// TestNodeReport: attempts counted by the node they were placed on, in
// the report's range; attempts of a one-switch daemon (node ”) are left
// out.
func TestNodeReport(t *testing.T) {
	db, cid := openIVR(t)
	ctx := context.Background()
	importMembers(t, db, cid, member(2, 3, "n0", "+12125550100"), member(3, 3, "n1", "+12125550101"),
		member(4, 3, "n2", "+12125550102"), member(5, 3, "n3", "+12125550103"))
	ms, err := db.Members(ctx, store.MemberFilter{CampaignID: cid})
	if err != nil || len(ms) != 4 {
		t.Fatalf("members %v %v", ms, err)
	}
	var starts []dialer.NewAttempt
	for i, node := range []string{"fs-a", "fs-b", "fs-b", ""} {
		starts = append(starts, dialer.NewAttempt{CampaignID: cid, MemberID: ms[i].ID, CommunicationID: ms[i].Communications[0].ID, Number: ms[i].Communications[0].Number,
			UUID: []string{"u-a1", "u-b1", "u-b2", "u-x"}[i], Node: node, At: t0})
	}
	aids, err := db.StartAttempts(ctx, starts)
	if err != nil {
		t.Fatal(err)
	}
	end := t0.Add(10 * time.Second)
	if err := db.FinishAttempts(ctx, []dialer.AttemptEnd{
		{AttemptID: aids[0], Cause: "NORMAL_CLEARING", Class: "ok", AnsweredAt: t0.Add(time.Second), EndedAt: end, Counted: true},
		{AttemptID: aids[1], Cause: cause.Lost, Class: "retry", EndedAt: end, Counted: true},
	}); err != nil {
		t.Fatal(err)
	}
	got, err := db.NodeReport(ctx, cid, dialer.TimeRange{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Node != "fs-a" || got[1].Node != "fs-b" {
		t.Fatalf("nodes %+v, want fs-a and fs-b only", got)
	}
	if a := got[0]; a.Attempts != 1 || a.Answered != 1 || a.OK != 1 || a.InProgress != 0 || a.Lost != 0 {
		t.Errorf("fs-a %+v", a)
	}
	if b := got[1]; b.Attempts != 2 || b.InProgress != 1 || b.Retry != 1 || b.Lost != 1 || b.Answered != 0 {
		t.Errorf("fs-b %+v", b)
	}
	later, err := db.NodeReport(ctx, cid, dialer.TimeRange{Since: t0.Add(time.Minute)})
	if err != nil || len(later) != 0 {
		t.Fatalf("nodes of attempts begun after them: %+v, %v", later, err)
	}
	open, err := db.OpenAttempts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range open {
		if want := map[string]string{"u-b2": "fs-b", "u-x": ""}[a.UUID]; a.Node != want {
			t.Errorf("open attempt %s node %q, want %q", a.UUID, a.Node, want)
		}
	}
}
