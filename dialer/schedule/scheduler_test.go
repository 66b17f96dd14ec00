package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/clocktest"
	"github.com/fsdialer/dialer/dialer/schedule"
)

// fakeStore keeps campaigns in memory and records every state change with
// the fake clock's time. fail, when set, makes the next transition fail.
type fakeStore struct {
	mu        sync.Mutex
	clock     *clocktest.Clock
	campaigns map[string]schedule.Scheduled
	states    map[string]dialer.State
	changes   []string
	loads     int
	fail      error
}

func newFakeStore(c *clocktest.Clock) *fakeStore {
	return &fakeStore{clock: c, campaigns: map[string]schedule.Scheduled{}, states: map[string]dialer.State{}}
}

func (f *fakeStore) put(c schedule.Scheduled, state dialer.State) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.campaigns[c.Name] = c
	if state != "" {
		f.states[c.Name] = state
	}
}

func (f *fakeStore) setState(name string, s dialer.State) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.states[name] = s
}

func (f *fakeStore) state(name string) dialer.State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.states[name]
}

func (f *fakeStore) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.changes)
}

func (f *fakeStore) ScheduledCampaigns(context.Context) ([]schedule.Scheduled, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loads++
	var out []schedule.Scheduled
	for _, c := range f.campaigns {
		out = append(out, c)
	}
	return out, nil
}

func (f *fakeStore) TransitionCampaign(_ context.Context, name string, to dialer.State, from ...dialer.State) (dialer.State, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail; err != nil {
		f.fail = nil
		return "", false, err
	}
	prev, ok := f.states[name]
	if !ok {
		return "", false, fmt.Errorf("campaign %s: not found", name)
	}
	if prev == to || !slices.Contains(from, prev) {
		return prev, false, nil
	}
	f.states[name] = to
	f.changes = append(f.changes, fmt.Sprintf("%s %s %s", f.clock.Now().UTC().Format(time.RFC3339), name, to))
	return prev, true, nil
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// harness steps a Scheduler over a fake clock and a fake store.
type harness struct {
	t     *testing.T
	clock *clocktest.Clock
	store *fakeStore
	s     *schedule.Scheduler
}

func newHarness(t *testing.T, start string) *harness {
	c := clocktest.New(utc(start))
	st := newFakeStore(c)
	return &harness{t: t, clock: c, store: st,
		s: schedule.New(st, schedule.Options{Now: c.Now, Logger: quiet(), Reload: time.Minute})}
}

// check runs one Check at the clock's time; it must succeed.
func (h *harness) check() {
	h.t.Helper()
	if err := h.s.Check(context.Background()); err != nil {
		h.t.Fatalf("check at %s: %v", h.clock.Now().Format(time.RFC3339), err)
	}
}

// walk moves the clock to until in steps, checking at each.
func (h *harness) walk(until string, step time.Duration) {
	h.t.Helper()
	end := utc(until)
	for t := h.clock.Now(); !t.After(end); t = t.Add(step) {
		h.clock.Set(t)
		h.check()
	}
}

// at moves the clock to t and checks once.
func (h *harness) at(t string) {
	h.t.Helper()
	h.clock.Set(utc(t))
	h.check()
}

func equal(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("state changes:\n got %q\nwant %q", got, want)
	}
}

func TestScheduler_StartsAndStopsOverAWeek(t *testing.T) {
	t.Run("weekdays 09:00-18:00 in New York over the spring-forward change", func(t *testing.T) {
		h := newHarness(t, "2026-03-07T00:00:00-05:00") // Saturday
		ny := zone(t, "America/New_York")
		h.store.put(schedule.Scheduled{Name: "survey", Start: "0 9 * * 1-5", Stop: "0 18 * * 1-5", Location: ny}, dialer.StateStopped)
		h.walk("2026-03-14T00:00:00-05:00", time.Minute)
		var want []string
		for day := 9; day <= 13; day++ { // Monday to Friday, EDT (UTC-4)
			want = append(want,
				fmt.Sprintf("2026-03-%02dT13:00:00Z survey running", day),
				fmt.Sprintf("2026-03-%02dT22:00:00Z survey stopped", day))
		}
		equal(t, h.store.log(), want)
	})
	t.Run("two campaigns in two zones over the fall-back change, coarse checks", func(t *testing.T) {
		h := newHarness(t, "2026-10-23T12:00:00Z")
		h.store.put(schedule.Scheduled{Name: "uk", Start: "30 1 * * *", Stop: "0 1 * * *", Location: zone(t, "Europe/London")}, dialer.StateStopped)
		h.store.put(schedule.Scheduled{Name: "jp", Start: "0 9 * * *", Location: zone(t, "Asia/Tokyo")}, dialer.StateStopped)
		h.walk("2026-10-26T00:00:00Z", 7*time.Minute)
		// The checks are 7 minutes apart, so each change is seen at the
		// first check after its time. London's 01:00-02:00 happens twice
		// on 2026-10-25 (BST then GMT): its stop and start run twice.
		// Tokyo's second start finds the campaign running: no change.
		equal(t, h.store.log(), []string{
			"2026-10-24T00:01:00Z jp running",
			"2026-10-24T00:36:00Z uk running",
			"2026-10-25T00:03:00Z uk stopped",
			"2026-10-25T00:31:00Z uk running",
			"2026-10-25T01:06:00Z uk stopped",
			"2026-10-25T01:34:00Z uk running",
		})
	})
}

func TestScheduler_States(t *testing.T) {
	for _, tc := range []struct {
		name  string
		from  dialer.State
		event string // 09:00: a start-only schedule fires; 18:00: a stop-only one
		want  dialer.State
	}{
		{"start runs a stopped campaign", dialer.StateStopped, "09:00", dialer.StateRunning},
		{"start runs a finished campaign again", dialer.StateFinished, "09:00", dialer.StateRunning},
		{"start leaves a paused campaign paused", dialer.StatePaused, "09:00", dialer.StatePaused},
		{"start leaves a running campaign running", dialer.StateRunning, "09:00", dialer.StateRunning},
		{"stop stops a running campaign", dialer.StateRunning, "18:00", dialer.StateStopped},
		{"stop stops a paused campaign", dialer.StatePaused, "18:00", dialer.StateStopped},
		{"stop leaves a finished campaign finished", dialer.StateFinished, "18:00", dialer.StateFinished},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "2026-06-01T08:00:00Z")
			c := schedule.Scheduled{Name: "c", Start: "0 9 * * *", Location: time.UTC}
			if tc.event == "18:00" {
				c = schedule.Scheduled{Name: "c", Stop: "0 18 * * *", Location: time.UTC}
			}
			h.store.put(c, tc.from)
			h.check()
			h.at("2026-06-01T" + tc.event + ":00Z")
			if got := h.store.state("c"); got != tc.want {
				t.Fatalf("state = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestScheduler_Reloads(t *testing.T) {
	t.Run("a changed schedule is used after the reload interval", func(t *testing.T) {
		h := newHarness(t, "2026-06-01T08:00:00Z")
		h.store.put(schedule.Scheduled{Name: "c", Start: "0 9 * * *", Location: time.UTC}, dialer.StateStopped)
		h.check()
		h.store.put(schedule.Scheduled{Name: "c", Start: "30 8 * * *", Location: time.UTC}, "")
		h.walk("2026-06-01T09:30:00Z", 10*time.Second)
		equal(t, h.store.log(), []string{"2026-06-01T08:30:00Z c running"})
	})
	t.Run("a new zone moves the times", func(t *testing.T) {
		h := newHarness(t, "2026-06-01T06:00:00Z")
		h.store.put(schedule.Scheduled{Name: "c", Start: "0 9 * * *", Location: time.UTC}, dialer.StateStopped)
		h.check()
		h.store.put(schedule.Scheduled{Name: "c", Start: "0 9 * * *", Location: zone(t, "Europe/Berlin")}, "")
		h.walk("2026-06-01T10:00:00Z", time.Minute)
		equal(t, h.store.log(), []string{"2026-06-01T07:00:00Z c running"})
	})
	t.Run("a new campaign is picked up and a removed one forgotten", func(t *testing.T) {
		h := newHarness(t, "2026-06-01T08:00:00Z")
		h.store.put(schedule.Scheduled{Name: "old", Start: "0 9 * * *", Location: time.UTC}, dialer.StateStopped)
		h.check()
		h.store.mu.Lock()
		delete(h.store.campaigns, "old")
		h.store.mu.Unlock()
		h.store.put(schedule.Scheduled{Name: "new", Start: "0 9 * * *", Location: time.UTC}, dialer.StateStopped)
		h.walk("2026-06-01T10:00:00Z", time.Minute)
		equal(t, h.store.log(), []string{"2026-06-01T09:00:00Z new running"})
	})
	t.Run("the store is read once per reload interval", func(t *testing.T) {
		h := newHarness(t, "2026-06-01T08:00:00Z")
		h.walk("2026-06-01T08:10:00Z", time.Second)
		h.store.mu.Lock()
		loads := h.store.loads
		h.store.mu.Unlock()
		if loads != 11 {
			t.Fatalf("loads in 10 minutes with Reload 1m = %d, want 11", loads)
		}
	})
}

func TestScheduler_Ignores(t *testing.T) {
	h := newHarness(t, "2026-06-01T00:00:00Z")
	for _, c := range []schedule.Scheduled{
		{Name: "no-cron", Location: time.UTC},
		{Name: "own-zone", Start: "CRON_TZ=Asia/Tokyo 0 9 * * *", Location: time.UTC},
		{Name: "broken", Start: "0 9 * *", Location: time.UTC},
		{Name: "no-zone", Start: "0 9 * * *"},
	} {
		h.store.put(c, dialer.StateStopped)
	}
	h.store.put(schedule.Scheduled{Name: "good", Start: "0 9 * * *", Location: time.UTC}, dialer.StateStopped)
	h.walk("2026-06-02T00:00:00Z", 5*time.Minute)
	equal(t, h.store.log(), []string{"2026-06-01T09:00:00Z good running"})
}

func TestScheduler_MissedTimes(t *testing.T) {
	t.Run("nothing is replayed at the first load", func(t *testing.T) {
		h := newHarness(t, "2026-06-01T10:00:00Z") // the 09:00 start passed while down
		h.store.put(schedule.Scheduled{Name: "c", Start: "0 9 * * *", Stop: "0 18 * * *", Location: time.UTC}, dialer.StateStopped)
		h.check()
		h.at("2026-06-01T17:59:00Z")
		equal(t, h.store.log(), nil)
		h.at("2026-06-02T09:00:00Z")
		equal(t, h.store.log(), []string{"2026-06-02T09:00:00Z c running"})
	})
	t.Run("after a jump the latest start and stop apply in time order", func(t *testing.T) {
		h := newHarness(t, "2026-06-01T08:00:00Z")
		h.store.put(schedule.Scheduled{Name: "c", Start: "0 9 * * *", Stop: "0 18 * * *", Location: time.UTC}, dialer.StatePaused)
		h.check()
		// Missed: start Mon 09:00 (paused: no effect), stop Mon 18:00,
		// start Tue 09:00. Applying all of them stops, then starts.
		h.at("2026-06-02T10:00:00Z")
		equal(t, h.store.log(), []string{"2026-06-02T10:00:00Z c stopped", "2026-06-02T10:00:00Z c running"})
		h.at("2026-06-02T17:00:00Z")
		if got := len(h.store.log()); got != 2 {
			t.Fatalf("the missed times fired again: %q", h.store.log())
		}
	})
	t.Run("a start and a stop at the same instant: the stop wins", func(t *testing.T) {
		h := newHarness(t, "2026-06-01T08:00:00Z")
		h.store.put(schedule.Scheduled{Name: "c", Start: "0 9 * * *", Stop: "0 9 * * *", Location: time.UTC}, dialer.StateStopped)
		h.check()
		h.at("2026-06-01T09:00:00Z")
		equal(t, h.store.log(), []string{"2026-06-01T09:00:00Z c running", "2026-06-01T09:00:00Z c stopped"})
	})
}

func TestScheduler_RetriesAFailedTransition(t *testing.T) {
	h := newHarness(t, "2026-06-01T08:59:00Z")
	h.store.put(schedule.Scheduled{Name: "c", Start: "0 9 * * *", Location: time.UTC}, dialer.StateStopped)
	h.check()
	locked := errors.New("database is locked")
	h.store.mu.Lock()
	h.store.fail = locked
	h.store.mu.Unlock()
	h.clock.Set(utc("2026-06-01T09:00:00Z"))
	if err := h.s.Check(context.Background()); !errors.Is(err, locked) {
		t.Fatalf("Check = %v, want the store's error", err)
	}
	equal(t, h.store.log(), nil)
	h.at("2026-06-01T09:00:01Z")
	equal(t, h.store.log(), []string{"2026-06-01T09:00:01Z c running"})
}

func TestScheduler_Run(t *testing.T) {
	t.Run("fires as the injected clock passes and stops with its context", func(t *testing.T) {
		c := clocktest.New(utc("2026-06-01T08:59:59Z"))
		st := newFakeStore(c)
		st.put(schedule.Scheduled{Name: "c", Start: "0 9 * * *", Location: time.UTC}, dialer.StateStopped)
		s := schedule.New(st, schedule.Options{Now: c.Now, Logger: quiet(), Tick: time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		deadline := time.After(5 * time.Second)
		for st.state("c") != dialer.StateRunning {
			select {
			case <-deadline:
				t.Fatal("campaign not started by Run")
			case <-time.After(time.Millisecond):
			}
			c.Set(utc("2026-06-01T09:00:00Z"))
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Run = %v, want nil after cancel", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return after cancel")
		}
	})
	t.Run("fails when the schedules cannot be loaded at start", func(t *testing.T) {
		s := schedule.New(failingStore{}, schedule.Options{Logger: quiet()})
		err := s.Run(context.Background())
		if err == nil || !errors.Is(err, errNoDB) {
			t.Fatalf("Run = %v, want %v", err, errNoDB)
		}
	})
}

var errNoDB = errors.New("no database")

type failingStore struct{}

func (failingStore) ScheduledCampaigns(context.Context) ([]schedule.Scheduled, error) {
	return nil, errNoDB
}

func (failingStore) TransitionCampaign(context.Context, string, dialer.State, ...dialer.State) (dialer.State, bool, error) {
	return "", false, errNoDB
}
