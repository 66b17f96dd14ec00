package store_test

import (
	"context"
	"testing"

	"github.com/fsdialer/dialer/dialer"
)

// TestCampaignsVersion_SameMillisecond: two campaigns changing state in
// the same millisecond (a shared cron time) each change the version, so
// the engine never misses the second change.
func TestCampaignsVersion_SameMillisecond(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t) // a clock that never moves
	applyCalendar(t, db)
	a := readCampaign(t, "../testdata/campaigns/ivr.yaml")
	b := readCampaign(t, "../testdata/campaigns/ivr.yaml")
	b.Name = "second"
	for _, c := range []*dialer.Campaign{a, b} {
		if _, err := db.ApplyCampaign(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]string{}
	version := func(step string) {
		t.Helper()
		v, err := db.CampaignsVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if prev, ok := seen[v]; ok {
			t.Fatalf("version after %s equals the one after %s", step, prev)
		}
		seen[v] = step
	}
	version("apply")
	for _, step := range []struct {
		name  string
		state dialer.State
	}{{a.Name, dialer.StateRunning}, {"second", dialer.StateRunning}, {a.Name, dialer.StatePaused}, {"second", dialer.StateStopped}} {
		if _, err := db.SetCampaignState(ctx, step.name, step.state); err != nil {
			t.Fatal(err)
		}
		version(step.name + " " + string(step.state))
	}
}
