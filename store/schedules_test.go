package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
)

func TestScheduledCampaigns_OnlyWithCronAndCalendarZone(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	applyCalendar(t, db)
	for _, c := range []*dialer.Campaign{
		readCampaign(t, "../testdata/campaigns/ivr.yaml"),         // office-hours (New York), start and stop
		readCampaign(t, "../testdata/campaigns/progressive.yaml"), // inline London calendar, no schedule
	} {
		if _, err := db.ApplyCampaign(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	stopOnly := readCampaign(t, "../testdata/campaigns/progressive.yaml")
	stopOnly.Name = "renewals-stop-only"
	stopOnly.Schedule.Stop = "0 17 * * 5"
	if _, err := db.ApplyCampaign(ctx, stopOnly); err != nil {
		t.Fatal(err)
	}
	got, err := db.ScheduledCampaigns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ name, start, stop, zone string }
	want := []row{
		{"renewals-stop-only", "", "0 17 * * 5", "Europe/London"},
		{"survey-ivr", "0 9 * * 1-5", "0 18 * * 1-5", "America/New_York"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d scheduled campaigns %+v, want %d", len(got), got, len(want))
	}
	for i, g := range got {
		if r := (row{g.Name, g.Start, g.Stop, g.Location.String()}); r != want[i] {
			t.Errorf("campaign %d = %+v, want %+v", i, r, want[i])
		}
	}
}

func TestTransitionCampaign_OnlyFromTheGivenStates(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	applyCalendar(t, db)
	if _, err := db.ApplyCampaign(ctx, readCampaign(t, "../testdata/campaigns/ivr.yaml")); err != nil {
		t.Fatal(err)
	}
	startFrom := []dialer.State{dialer.StateStopped, dialer.StateFinished}
	for _, tc := range []struct {
		name        string
		state       dialer.State
		wantChanged bool
		wantState   dialer.State
	}{
		{"stopped is started", dialer.StateStopped, true, dialer.StateRunning},
		{"finished is started", dialer.StateFinished, true, dialer.StateRunning},
		{"paused is left alone", dialer.StatePaused, false, dialer.StatePaused},
		{"running is left alone", dialer.StateRunning, false, dialer.StateRunning},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := db.SetCampaignState(ctx, "survey-ivr", tc.state); err != nil {
				t.Fatal(err)
			}
			prev, changed, err := db.TransitionCampaign(ctx, "survey-ivr", dialer.StateRunning, startFrom...)
			if err != nil {
				t.Fatal(err)
			}
			if prev != tc.state || changed != tc.wantChanged {
				t.Errorf("got (%s, %v), want (%s, %v)", prev, changed, tc.state, tc.wantChanged)
			}
			c, err := db.Campaign(ctx, "survey-ivr")
			if err != nil {
				t.Fatal(err)
			}
			if c.State != tc.wantState {
				t.Errorf("state = %s, want %s", c.State, tc.wantState)
			}
		})
	}
	t.Run("unknown campaign", func(t *testing.T) {
		_, _, err := db.TransitionCampaign(ctx, "nope", dialer.StateRunning, startFrom...)
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
}
