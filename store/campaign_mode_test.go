package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
)

// asProgressive is the example IVR campaign switched to progressive mode.
func asProgressive(t *testing.T) *dialer.Campaign {
	t.Helper()
	c := readCampaign(t, "../testdata/campaigns/ivr.yaml")
	c.Mode, c.IVR = dialer.ModeProgressive, dialer.IVRTarget{}
	c.Normalize()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestApplyCampaign_ModeChangeNeedsAStoppedCampaign(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		state   dialer.State
		refused bool
	}{
		{dialer.StateRunning, true},
		{dialer.StatePaused, true},
		{dialer.StateStopped, false},
		{dialer.StateFinished, false},
	} {
		t.Run(string(tc.state), func(t *testing.T) {
			db, _ := openIVR(t)
			if tc.state != dialer.StateStopped {
				if _, err := db.SetCampaignState(ctx, "survey-ivr", tc.state); err != nil {
					t.Fatal(err)
				}
			}
			_, err := db.ApplyCampaign(ctx, asProgressive(t))
			stored, lerr := db.Campaign(ctx, "survey-ivr")
			if lerr != nil {
				t.Fatal(lerr)
			}
			if !tc.refused {
				if err != nil || stored.Mode != dialer.ModeProgressive {
					t.Fatalf("apply = %v, mode %s; want progressive", err, stored.Mode)
				}
				return
			}
			if !errors.Is(err, store.ErrModeChange) {
				t.Fatalf("apply = %v, want ErrModeChange", err)
			}
			want := "mode: cannot change ivr to progressive while the campaign is " + string(tc.state) +
				"; stop it first: dialer campaign stop survey-ivr"
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q lacks %q", err, want)
			}
			if stored.Mode != dialer.ModeIVR || stored.IVR.Extension == "" || stored.State != tc.state {
				t.Fatalf("a refused apply changed the campaign: mode %s, ivr %+v, state %s", stored.Mode, stored.IVR, stored.State)
			}
		})
	}
}

func TestApplyCampaign_RunningKeepsOtherChanges(t *testing.T) {
	ctx := context.Background()
	db, _ := openIVR(t)
	if _, err := db.SetCampaignState(ctx, "survey-ivr", dialer.StateRunning); err != nil {
		t.Fatal(err)
	}
	c := readCampaign(t, "../testdata/campaigns/ivr.yaml")
	c.Limits.Lines = 5
	if ch, err := db.ApplyCampaign(ctx, c); err != nil || ch != store.Updated {
		t.Fatalf("apply to a running campaign = %v, %v; want updated", ch, err)
	}
}
