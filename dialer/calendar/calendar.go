package calendar

import (
	"errors"
	"fmt"
	"time"
)

// Horizon is how far NextOpen and NextClose look ahead before they give up.
const Horizon = 400 * 24 * time.Hour

// Special is a date or an inclusive range of dates whose periods replace the
// weekly ones. No periods means closed all day.
type Special struct {
	From, To Date
	Periods  []Period
	Name     string // optional label, e.g. "Christmas"
}

// covers reports whether d lies in [s.From, s.To].
func (s *Special) covers(d Date) bool { return !d.Before(s.From) && !d.After(s.To) }

// Calendar says when calls may be placed. A Calendar is read-only once built:
// its methods and the copies made by In share its period slices.
type Calendar struct {
	Location   *time.Location // nil means UTC
	Weekly     [7][]Period    // indexed by time.Weekday
	Special    []Special      // the first one covering a date wins
	ValidFrom  time.Time      // zero = no lower bound; instants before it are closed
	ValidUntil time.Time      // zero = no upper bound; instants at/after it are closed
}

// FieldError is a validation failure of one field of a Calendar.
type FieldError struct{ Field, Reason string }

// Error returns "field: reason".
func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Validate checks the calendar. It returns nil, one *FieldError, or several
// joined with errors.Join. Field paths look like "weekly.mon[1]",
// "special[0].periods[2]", "special[0].from", "special[0]", "valid_until".
// Periods of a day may come in any order but must not overlap; touching
// periods (11:30-12:00 and 12:00-13:00) are fine.
func (c *Calendar) Validate() error {
	var errs []error
	add := func(field, reason string) { errs = append(errs, &FieldError{Field: field, Reason: reason}) }
	checkDay := func(prefix string, ps []Period) {
		for i, p := range ps {
			field := fmt.Sprintf("%s[%d]", prefix, i)
			if err := p.check(); err != nil {
				add(field, err.Error())
				continue
			}
			for _, q := range ps[:i] {
				if q.check() == nil && p.overlaps(q) {
					add(field, "overlaps "+q.String())
					break
				}
			}
		}
	}
	for i := range 7 {
		d := time.Weekday((i + 1) % 7) // monday first, as people read a week
		checkDay("weekly."+WeekdayKey(d), c.Weekly[d])
	}
	for i := range c.Special {
		s := &c.Special[i]
		field := fmt.Sprintf("special[%d]", i)
		fromErr, toErr := s.From.check(), s.To.check()
		if fromErr != nil {
			add(field+".from", fmt.Sprintf("%s is not a valid date: %v", s.From, fromErr))
		}
		if toErr != nil {
			add(field+".to", fmt.Sprintf("%s is not a valid date: %v", s.To, toErr))
		}
		if fromErr == nil && toErr == nil && s.From.After(s.To) {
			add(field, fmt.Sprintf("from %s is after to %s", s.From, s.To))
		}
		checkDay(field+".periods", s.Periods)
	}
	if !c.ValidFrom.IsZero() && !c.ValidUntil.IsZero() && !c.ValidUntil.After(c.ValidFrom) {
		add("valid_until", fmt.Sprintf("%s is not after valid_from %s",
			c.ValidUntil.Format(time.RFC3339), c.ValidFrom.Format(time.RFC3339)))
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errors.Join(errs...)
}

// In returns a copy of c whose periods and special dates are read in loc
// (nil means UTC), as for a member in its own timezone. The validity bounds
// are instants and stay as they are.
func (c *Calendar) In(loc *time.Location) *Calendar {
	cp := *c
	cp.Location = loc
	return &cp
}

func (c *Calendar) loc() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// periodsOn returns the periods of date d: those of the first special date
// covering d, else the weekly ones of wd (the weekday of d).
func (c *Calendar) periodsOn(d Date, wd time.Weekday) []Period {
	for i := range c.Special {
		if c.Special[i].covers(d) {
			return c.Special[i].Periods
		}
	}
	return c.Weekly[wd]
}

// valid reports whether t is within the validity range.
func (c *Calendar) valid(t time.Time) bool {
	return (c.ValidFrom.IsZero() || !t.Before(c.ValidFrom)) &&
		(c.ValidUntil.IsZero() || t.Before(c.ValidUntil))
}

// IsOpen reports whether calls may be placed at t: t is within the validity
// range and its wall clock in the calendar's location lies in a period of
// that wall-clock date.
func (c *Calendar) IsOpen(t time.Time) bool {
	if !c.valid(t) {
		return false
	}
	lt := t.In(c.loc())
	h, m, s := lt.Clock()
	tod := time.Duration(h*3600+m*60+s)*time.Second + time.Duration(lt.Nanosecond())
	for _, p := range c.periodsOn(DateOf(lt), lt.Weekday()) {
		if p.usable() && tod >= p.Start.dur() && tod < p.End.dur() {
			return true
		}
	}
	return false
}

func (c Clock) dur() time.Duration { return time.Duration(c) * time.Minute }

// usable reports whether p describes a non-empty range within one day; other
// periods (which Validate rejects) are ignored rather than misread.
func (p Period) usable() bool { return p.check() == nil }

// The search methods below walk real time in stretches of constant UTC offset
// (time.Time.ZoneBounds). Within a stretch, the wall clock is the instant
// plus the offset, so the open set is simply the union of the periods laid
// out on wall-clock days, and the answer is found by date arithmetic. The
// wall clock is represented as a time.Time in UTC whose fields are the local
// fields.

// stretch describes the constant-offset stretch of real time starting at cur
// and ending no later than limit: the offset, and the wall clock readings of
// cur (inclusive) and of the stretch's end (exclusive).
func (c *Calendar) stretch(cur, limit time.Time) (off time.Duration, wall, wallEnd, end time.Time) {
	lt := cur.In(c.loc())
	_, secs := lt.Zone()
	_, zoneEnd := lt.ZoneBounds()
	end = limit
	if !zoneEnd.IsZero() && zoneEnd.Before(end) {
		end = zoneEnd
	}
	off = time.Duration(secs) * time.Second
	return off, cur.Add(off).UTC(), end.Add(off).UTC(), end
}

// midnight returns the start of w's day (w is a wall clock in UTC).
func midnight(w time.Time) time.Time {
	y, m, d := w.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// firstOpenWall returns the earliest wall clock in [w, wEnd) that lies in a
// period.
func (c *Calendar) firstOpenWall(w, wEnd time.Time) (time.Time, bool) {
	for day := midnight(w); day.Before(wEnd); day = day.Add(24 * time.Hour) {
		var best time.Time
		found := false
		for _, p := range c.periodsOn(DateOf(day), day.Weekday()) {
			if !p.usable() {
				continue
			}
			s, e := day.Add(p.Start.dur()), day.Add(p.End.dur())
			if !e.After(w) || !s.Before(wEnd) {
				continue
			}
			if s.Before(w) {
				s = w
			}
			if !found || s.Before(best) {
				best, found = s, true
			}
		}
		// Periods of later days start at or after the next midnight, after
		// anything found here.
		if found {
			return best, true
		}
	}
	return time.Time{}, false
}

// firstClosedWall returns the earliest wall clock in [w, wEnd) that lies in
// no period.
func (c *Calendar) firstClosedWall(w, wEnd time.Time) (time.Time, bool) {
	x := w
	for x.Before(wEnd) {
		day := midnight(x)
		covered := false
		var until time.Time
		for _, p := range c.periodsOn(DateOf(day), day.Weekday()) {
			if !p.usable() {
				continue
			}
			s, e := day.Add(p.Start.dur()), day.Add(p.End.dur())
			if !x.Before(s) && x.Before(e) && (!covered || e.After(until)) {
				covered, until = true, e
			}
		}
		if !covered {
			return x, true
		}
		x = until // a period ending at 24:00 hands over to the next day's 00:00
	}
	return time.Time{}, false
}

// NextOpen returns the earliest instant >= t at which the calendar is open:
// t itself if open now. It returns false if the calendar never opens again:
// its validity has ended, or nothing is open within Horizon of t (or of
// ValidFrom, when t is before it). Instants found are in the calendar's
// location.
func (c *Calendar) NextOpen(t time.Time) (time.Time, bool) {
	if !c.ValidUntil.IsZero() && !t.Before(c.ValidUntil) {
		return time.Time{}, false
	}
	if c.IsOpen(t) {
		return t, true
	}
	cur := t
	if !c.ValidFrom.IsZero() && cur.Before(c.ValidFrom) {
		cur = c.ValidFrom
	}
	limit := cur.Add(Horizon)
	if !c.ValidUntil.IsZero() && c.ValidUntil.Before(limit) {
		limit = c.ValidUntil
	}
	for cur.Before(limit) {
		off, w, wEnd, end := c.stretch(cur, limit)
		if x, ok := c.firstOpenWall(w, wEnd); ok {
			return x.Add(-off).In(c.loc()), true
		}
		cur = end
	}
	return time.Time{}, false
}

// NextClose returns the earliest instant >= t at which the calendar is
// closed: for an open t, the end of the open window containing t (touching
// periods, also across midnight, are one window); t itself if closed. It
// returns false if the calendar stays open for Horizon after t.
func (c *Calendar) NextClose(t time.Time) (time.Time, bool) {
	if !c.IsOpen(t) {
		return t, true
	}
	limit := t.Add(Horizon)
	untilBound := !c.ValidUntil.IsZero() && !c.ValidUntil.After(limit)
	if untilBound {
		limit = c.ValidUntil
	}
	cur := t
	for cur.Before(limit) {
		off, w, wEnd, end := c.stretch(cur, limit)
		if x, ok := c.firstClosedWall(w, wEnd); ok {
			return x.Add(-off).In(c.loc()), true
		}
		cur = end
	}
	if untilBound {
		return c.ValidUntil.In(c.loc()), true
	}
	return time.Time{}, false
}

// Window is an open stretch of time [Start, End). A zero End means the
// window does not close within Horizon.
type Window struct{ Start, End time.Time }

// Openings returns up to n open windows from `from` on, in order. A window
// already open at from starts at from. Periods that touch (11:30-12:00 then
// 12:00-13:00, or 22:00-24:00 then the next day's 00:00-02:00) form one
// window. Fewer than n windows come back when the calendar stops opening.
func (c *Calendar) Openings(from time.Time, n int) []Window {
	var out []Window
	t := from
	for len(out) < n {
		start, ok := c.NextOpen(t)
		if !ok {
			break
		}
		end, ok := c.NextClose(start)
		if !ok {
			out = append(out, Window{Start: start})
			break
		}
		out = append(out, Window{Start: start, End: end})
		t = end
	}
	return out
}
