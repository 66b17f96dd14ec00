package schedule

import (
	"errors"
	"fmt"
	"time"

	"github.com/fsdialer/dialer/dialer/cronexpr"
	"github.com/robfig/cron/v3"
)

// ErrZonePrefix is returned for an expression that names its own zone with
// robfig's TZ= or CRON_TZ= prefix: a campaign's schedule is always read in
// its calendar's zone, so a second zone in the expression is refused rather
// than silently winning.
var ErrZonePrefix = cronexpr.ErrZonePrefix

// Spec is a parsed start or stop expression bound to the zone it is read in.
type Spec struct {
	expr  string
	loc   *time.Location
	sched cron.Schedule
}

// Parse parses a standard 5-field cron expression (minute hour day-of-month
// month day-of-week) or a descriptor (@yearly, @monthly, @weekly, @daily,
// @hourly, @every DURATION) to be read in loc.
//
// Expressions are read in loc's wall clock with robfig/cron's rules, also
// across daylight-saving changes:
//   - a time that does not exist on a spring-forward day (02:30 in
//     America/New_York on 2026-03-08, 01:30 in Europe/London on 2026-03-29)
//     is skipped that day: there is no run until the next matching day;
//   - a time that happens twice on a fall-back day (01:30 in New York on
//     2026-11-01, in London on 2026-10-25) runs twice, once at each offset.
//
// @every DURATION is not aligned on the clock: it runs every DURATION
// counted from the moment it is first evaluated.
//
// An @every shorter than a minute and an expression that matches no time
// (31 February) are refused, as campaign files refuse them (package
// cronexpr).
func Parse(expr string, loc *time.Location) (*Spec, error) {
	if loc == nil {
		return nil, fmt.Errorf("cron %q: no time zone", expr)
	}
	sched, err := cronexpr.Parse(expr)
	if errors.Is(err, ErrZonePrefix) {
		return nil, fmt.Errorf("cron %q: %w (%s)", expr, err, loc)
	}
	if err != nil {
		return nil, fmt.Errorf("cron %q: %w", expr, err)
	}
	return &Spec{expr: expr, loc: loc, sched: sched}, nil
}

// String returns the expression as written.
func (s *Spec) String() string { return s.expr }

// Location returns the zone the expression is read in.
func (s *Spec) Location() *time.Location { return s.loc }

// Next returns the first run time strictly after t, in the spec's zone, or
// the zero time when the expression does not match within five years of t
// (Parse refuses expressions that never match, but one that matches only
// nonexistent local times of t's years may).
func (s *Spec) Next(t time.Time) time.Time {
	next := s.sched.Next(t.In(s.loc))
	if next.IsZero() {
		return next
	}
	return next.In(s.loc)
}

// Next returns the next n run times of expr read in loc, strictly after
// from, in loc. It returns fewer than n times when the expression stops
// matching (see Spec.Next). The rules across daylight-saving changes are
// Parse's.
func Next(expr string, loc *time.Location, from time.Time, n int) ([]time.Time, error) {
	if n < 1 {
		return nil, fmt.Errorf("cron %q: asked for %d run times, must be at least 1", expr, n)
	}
	s, err := Parse(expr, loc)
	if err != nil {
		return nil, err
	}
	out := make([]time.Time, 0, n)
	for t := from; len(out) < n; {
		t = s.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t)
	}
	return out, nil
}
