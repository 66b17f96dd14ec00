package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fsdialer/dialer/dialer"
)

// Scheduled is a campaign that has a start or a stop expression.
type Scheduled struct {
	// Name is the campaign's name.
	Name string
	// Start and Stop are the cron expressions; "" means none.
	Start string
	Stop  string
	// Location is the zone of the campaign's calendar.
	Location *time.Location
}

// Store is what the Scheduler needs of the campaign store.
type Store interface {
	// ScheduledCampaigns returns every campaign with a start or a stop
	// expression.
	ScheduledCampaigns(ctx context.Context) ([]Scheduled, error)
	// TransitionCampaign sets a campaign's state to `to` only if its
	// current state is one of from, in one step. It returns the state
	// found and whether it was changed.
	TransitionCampaign(ctx context.Context, name string, to dialer.State, from ...dialer.State) (prev dialer.State, changed bool, err error)
}

// The states a scheduled start or stop applies to (see the package doc).
var (
	startFrom = []dialer.State{dialer.StateStopped, dialer.StateFinished}
	stopFrom  = []dialer.State{dialer.StateRunning, dialer.StatePaused}
)

// Options tune a Scheduler. Zero values take the defaults shown.
type Options struct {
	// Now is the clock start and stop times are compared with (time.Now).
	Now func() time.Time
	// Logger (slog.Default()).
	Logger *slog.Logger
	// Reload is how often, on the Now clock, the schedules are read again
	// from the store (1 s).
	Reload time.Duration
	// Tick is how often, in wall time, Run checks the clock (200 ms).
	Tick time.Duration
}

// Scheduler starts and stops campaigns at their cron times. Build it with
// New, then call Run.
type Scheduler struct {
	store  Store
	now    func() time.Time
	log    *slog.Logger
	reload time.Duration
	tick   time.Duration

	mu          sync.Mutex
	loaded      bool
	fingerprint string
	entries     map[string]*entry
	reloadedAt  time.Time
	checkedAt   time.Time
}

// entry is one campaign's parsed schedule and its pending times.
type entry struct {
	key       string
	start     *Spec
	stop      *Spec
	nextStart time.Time // zero: none
	nextStop  time.Time // zero: none
}

// New returns a Scheduler over store. It starts nothing.
func New(store Store, opts Options) *Scheduler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Reload <= 0 {
		opts.Reload = time.Second
	}
	if opts.Tick <= 0 {
		opts.Tick = 200 * time.Millisecond
	}
	return &Scheduler{
		store:  store,
		now:    opts.Now,
		log:    opts.Logger.With("component", "schedule"),
		reload: opts.Reload,
		tick:   opts.Tick,
	}
}

// Run loads the schedules and applies start and stop times as the clock
// passes them, until ctx ends; then it returns nil. It returns an error
// only when the schedules cannot be loaded at start. Later problems are
// logged and Run goes on: a store error is retried, and a campaign whose
// stored expression cannot be parsed is skipped until it changes.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	err := s.load(ctx, s.now())
	s.mu.Unlock()
	if err != nil {
		return err
	}
	ticker := time.NewTicker(s.tick)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		if err := s.Check(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("schedule check", "err", err)
		}
	}
}

// Check does one round at Now(): it reloads the schedules when Reload has
// passed since they were last read, then applies every start and stop
// whose time has come. Run calls it on every tick; a caller driving a fake
// clock may call it instead of Run to step the scheduler. A failed
// transition is returned and retried at the next Check, after a reload.
func (s *Scheduler) Check(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var errs []error
	if !s.loaded || now.Sub(s.reloadedAt) >= s.reload || now.Before(s.reloadedAt) {
		if err := s.load(ctx, now); err != nil {
			errs = append(errs, err)
		}
	}
	names := make([]string, 0, len(s.entries))
	for name := range s.entries {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := s.apply(ctx, name, s.entries[name], now); err != nil {
			errs = append(errs, err)
			s.reloadedAt = time.Time{}
		}
	}
	s.checkedAt = now
	return errors.Join(errs...)
}

// load reads the schedules and rebuilds the entries when they changed.
// Unchanged entries keep their pending times; new or changed ones count
// from the previous check, or from now at the first load.
func (s *Scheduler) load(ctx context.Context, now time.Time) error {
	s.reloadedAt = now
	list, err := s.store.ScheduledCampaigns(ctx)
	if err != nil {
		return fmt.Errorf("load schedules: %w", err)
	}
	fp := fingerprint(list)
	if s.loaded && fp == s.fingerprint {
		return nil
	}
	from := now
	if s.loaded {
		from = s.checkedAt
	}
	entries := make(map[string]*entry, len(list))
	for _, c := range list {
		key := entryKey(c)
		if old, ok := s.entries[c.Name]; ok && old.key == key {
			entries[c.Name] = old
			continue
		}
		e, err := newEntry(c, key, from)
		if err != nil {
			s.log.Warn("campaign schedule ignored", "campaign", c.Name, "err", err)
			continue
		}
		if e == nil {
			continue
		}
		entries[c.Name] = e
		attrs := []any{"campaign", c.Name, "zone", c.Location.String()}
		if e.start != nil {
			attrs = append(attrs, "start", c.Start, "next_start", e.nextStart)
		}
		if e.stop != nil {
			attrs = append(attrs, "stop", c.Stop, "next_stop", e.nextStop)
		}
		s.log.Info("campaign schedule loaded", attrs...)
	}
	s.entries, s.fingerprint = entries, fp
	if !s.loaded {
		s.loaded, s.checkedAt = true, now
	}
	return nil
}

// newEntry parses a campaign's expressions; it returns nil for a campaign
// with neither.
func newEntry(c Scheduled, key string, from time.Time) (*entry, error) {
	if c.Start == "" && c.Stop == "" {
		return nil, nil
	}
	e := &entry{key: key}
	var err error
	if c.Start != "" {
		if e.start, err = Parse(c.Start, c.Location); err != nil {
			return nil, fmt.Errorf("schedule.start: %w", err)
		}
		e.nextStart = e.start.Next(from)
	}
	if c.Stop != "" {
		if e.stop, err = Parse(c.Stop, c.Location); err != nil {
			return nil, fmt.Errorf("schedule.stop: %w", err)
		}
		e.nextStop = e.stop.Next(from)
	}
	return e, nil
}

// due is a start or stop whose time has come.
type due struct {
	at    time.Time
	start bool
}

// apply applies a campaign's due start and stop in time order (start
// first at the same instant) and moves each past now once applied.
func (s *Scheduler) apply(ctx context.Context, name string, e *entry, now time.Time) error {
	var ds []due
	if !e.nextStart.IsZero() && !e.nextStart.After(now) {
		ds = append(ds, due{at: latest(e.start, e.nextStart, now), start: true})
	}
	if !e.nextStop.IsZero() && !e.nextStop.After(now) {
		ds = append(ds, due{at: latest(e.stop, e.nextStop, now)})
	}
	if len(ds) == 2 && ds[1].at.Before(ds[0].at) {
		ds[0], ds[1] = ds[1], ds[0]
	}
	for _, d := range ds {
		to, from, verb := dialer.StateStopped, stopFrom, "stop"
		if d.start {
			to, from, verb = dialer.StateRunning, startFrom, "start"
		}
		prev, changed, err := s.store.TransitionCampaign(ctx, name, to, from...)
		if err != nil {
			return fmt.Errorf("scheduled %s of campaign %s at %s: %w", verb, name, d.at.Format(time.RFC3339), err)
		}
		switch {
		case changed:
			s.log.Info("campaign "+string(to)+" by schedule", "campaign", name, "was", prev, "at", d.at)
		case prev == to:
			s.log.Debug("scheduled "+verb+": campaign already "+string(to), "campaign", name, "at", d.at)
		default:
			s.log.Info("scheduled "+verb+" skipped", "campaign", name, "state", prev, "at", d.at)
		}
		if d.start {
			e.nextStart = e.start.Next(now)
		} else {
			e.nextStop = e.stop.Next(now)
		}
	}
	return nil
}

// latest returns the last time of spec at or before now, starting from
// first, which is at or before now.
func latest(spec *Spec, first, now time.Time) time.Time {
	t := first
	for {
		n := spec.Next(t)
		if n.IsZero() || n.After(now) {
			return t
		}
		t = n
	}
}

// entryKey identifies what a campaign's pending times depend on.
func entryKey(c Scheduled) string {
	zone := ""
	if c.Location != nil {
		zone = c.Location.String()
	}
	return c.Start + "\x00" + c.Stop + "\x00" + zone
}

// fingerprint identifies a whole list of schedules, in any order.
func fingerprint(list []Scheduled) string {
	keys := make([]string, len(list))
	for i, c := range list {
		keys[i] = c.Name + "\x00" + entryKey(c)
	}
	sort.Strings(keys)
	return strings.Join(keys, "\x01")
}
