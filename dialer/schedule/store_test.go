package schedule_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/clocktest"
	"github.com/fsdialer/dialer/dialer/schedule"
	"github.com/fsdialer/dialer/store"
)

func readFile[T any](t *testing.T, path string, read func(*os.File, string) (T, error)) T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := read(f, path)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestScheduler_WithSQLiteStore runs the example IVR campaign (weekdays
// 09:00 start, 18:00 stop, New York) against a real store over a simulated
// Friday to Tuesday, then moves its start by re-applying the campaign.
func TestScheduler_WithSQLiteStore(t *testing.T) {
	ctx := context.Background()
	c := clocktest.New(utc("2026-03-06T08:00:00-05:00")) // Friday
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "dialer.db"), store.WithClock(c.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cal := readFile(t, "../../testdata/calendars/office-hours.yaml", func(f *os.File, p string) (*dialer.CalendarSpec, error) {
		return dialer.ReadCalendar(f, p)
	})
	if _, err := db.ApplyCalendar(ctx, cal); err != nil {
		t.Fatal(err)
	}
	readIVR := func() *dialer.Campaign {
		return readFile(t, "../../testdata/campaigns/ivr.yaml", func(f *os.File, p string) (*dialer.Campaign, error) {
			return dialer.ReadCampaign(f, p)
		})
	}
	if _, err := db.ApplyCampaign(ctx, readIVR()); err != nil {
		t.Fatal(err)
	}
	s := schedule.New(db, schedule.Options{Now: c.Now, Logger: quiet()})
	state := func() dialer.State {
		t.Helper()
		got, err := db.Campaign(ctx, "survey-ivr")
		if err != nil {
			t.Fatal(err)
		}
		return got.State
	}
	walk := func(until string) {
		t.Helper()
		for now := c.Now(); !now.After(utc(until)); now = now.Add(5 * time.Minute) {
			c.Set(now)
			if err := s.Check(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, step := range []struct {
		until string
		want  dialer.State
	}{
		{"2026-03-06T08:55:00-05:00", dialer.StateStopped},
		{"2026-03-06T09:00:00-05:00", dialer.StateRunning},
		{"2026-03-06T17:55:00-05:00", dialer.StateRunning},
		{"2026-03-06T18:00:00-05:00", dialer.StateStopped},
		{"2026-03-09T08:55:00-04:00", dialer.StateStopped}, // the weekend, then DST
		{"2026-03-09T09:00:00-04:00", dialer.StateRunning},
	} {
		walk(step.until)
		if got := state(); got != step.want {
			t.Fatalf("at %s: state %s, want %s", step.until, got, step.want)
		}
	}
	if _, err := db.SetCampaignState(ctx, "survey-ivr", dialer.StatePaused); err != nil {
		t.Fatal(err)
	}
	walk("2026-03-09T18:00:00-04:00")
	if got := state(); got != dialer.StateStopped {
		t.Fatalf("after the stop a paused campaign is %s, want stopped", got)
	}

	moved := readIVR()
	moved.Schedule.Start = "30 7 * * 1-5"
	if _, err := db.ApplyCampaign(ctx, moved); err != nil {
		t.Fatal(err)
	}
	walk("2026-03-10T07:30:00-04:00")
	if got := state(); got != dialer.StateRunning {
		t.Fatalf("at the new start time: state %s, want running", got)
	}
}
