package store_test

import (
	"context"
	"testing"

	"github.com/fsdialer/dialer/store"
)

func TestSetDryRun_ChecksAndRollsBack(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	applyCalendar(t, db)
	c := readCampaign(t, "../testdata/campaigns/ivr.yaml")
	db.SetDryRun()
	change, err := db.ApplyCampaign(ctx, c)
	if err != nil || change != store.Created {
		t.Fatalf("dry-run ApplyCampaign = %q, %v; want created", change, err)
	}
	if _, err := db.Campaign(ctx, c.Name); err == nil {
		t.Fatal("a dry-run apply created the campaign")
	}
	bad := readCampaign(t, "../testdata/campaigns/ivr.yaml")
	bad.Calendar.Name = "no-such-calendar"
	if _, err := db.ApplyCampaign(ctx, bad); err == nil {
		t.Fatal("a dry-run apply on an unknown calendar succeeded")
	}
}
