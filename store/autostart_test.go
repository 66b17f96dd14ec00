package store_test

import (
	"context"
	"testing"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
)

// ivrWith applies survey-ivr (office-hours, valid to 2027) with
// autostart, or with an inline calendar whose validity ended before t0.
func ivrWith(t *testing.T, db *store.DB, autostart, ended bool) int64 {
	t.Helper()
	c := readCampaign(t, "../testdata/campaigns/ivr.yaml")
	c.Autostart = autostart
	if ended {
		c.Calendar = dialer.CalendarRef{Inline: &dialer.CalendarSpec{Timezone: "UTC", ValidUntil: "2026-11-01",
			Weekly: map[string][]string{"mon": {"09:00-17:00"}}}}
	}
	if _, err := db.ApplyCampaign(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return mustID(t, db, c.Name)
}

func TestMembersAdded_Autostart(t *testing.T) {
	tests := []struct {
		name      string
		autostart bool
		ended     bool
		state     dialer.State
		want      dialer.State
		started   bool
		warning   string
	}{
		{"running stays running", false, false, dialer.StateRunning, dialer.StateRunning, false, ""},
		{"finished without autostart warns", false, false, dialer.StateFinished, dialer.StateFinished, false,
			"campaign survey-ivr is finished: these members will not be dialed until you run: dialer campaign start survey-ivr"},
		{"stopped without autostart warns", false, false, dialer.StateStopped, dialer.StateStopped, false,
			"campaign survey-ivr is stopped: these members will not be dialed until you run: dialer campaign start survey-ivr"},
		{"finished with autostart starts", true, false, dialer.StateFinished, dialer.StateRunning, true, ""},
		{"stopped with autostart starts", true, false, dialer.StateStopped, dialer.StateRunning, true, ""},
		{"paused is left paused", true, false, dialer.StatePaused, dialer.StatePaused, false,
			"campaign survey-ivr is paused: these members will not be dialed until you run: dialer campaign resume survey-ivr"},
		{"autostart after the calendar ended starts nothing", true, true, dialer.StateFinished, dialer.StateFinished, false,
			"campaign survey-ivr is finished and its calendar's validity ended at 2026-11-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := openDB(t)
			applyCalendar(t, db)
			ctx := context.Background()
			id := ivrWith(t, db, tt.autostart, tt.ended)
			if _, err := db.SetCampaignState(ctx, "survey-ivr", tt.state); err != nil {
				t.Fatal(err)
			}
			importMembers(t, db, id, member(2, 3, "a", "+12125550101"))
			got, err := db.MembersAdded(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if got.Was != tt.state || got.State != tt.want || got.Started() != tt.started {
				t.Fatalf("after the add = %+v, want %s -> %s (started %v)", got, tt.state, tt.want, tt.started)
			}
			if w := got.Warning(); (tt.warning == "") != (w == "") || len(w) < len(tt.warning) || w[:len(tt.warning)] != tt.warning {
				t.Fatalf("warning = %q, want %q", w, tt.warning)
			}
			c, err := db.CampaignByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if c.State != tt.want {
				t.Fatalf("stored state %s, want %s", c.State, tt.want)
			}
		})
	}
}

// TestFinishCampaign_NotOverMembersAddedSinceTheCount: the engine counts
// a campaign's members, then finishes it; members imported in between
// keep it running, so they are not left waiting in a finished campaign.
// A calendar whose validity ended finishes it all the same.
func TestFinishCampaign_NotOverMembersAddedSinceTheCount(t *testing.T) {
	for _, tt := range []struct {
		name    string
		members bool
		ended   bool
		want    bool
	}{
		{"empty", false, false, true},
		{"a member added since the count", true, false, false},
		{"a member waiting after the calendar ended", true, true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := openDB(t)
			applyCalendar(t, db)
			ctx := context.Background()
			id := ivrWith(t, db, false, tt.ended)
			if _, err := db.SetCampaignState(ctx, "survey-ivr", dialer.StateRunning); err != nil {
				t.Fatal(err)
			}
			if tt.members {
				importMembers(t, db, id, member(2, 3, "a", "+12125550101"))
			}
			got, err := db.FinishCampaign(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			c, _ := db.CampaignByID(ctx, id)
			if got != tt.want || (c.State == dialer.StateFinished) != tt.want {
				t.Fatalf("finished = %v, state %s; want finished %v", got, c.State, tt.want)
			}
		})
	}
}
