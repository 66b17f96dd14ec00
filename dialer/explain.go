package dialer

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/fsdialer/dialer/dialer/calendar"
	"github.com/fsdialer/dialer/dialer/cause"
	"github.com/fsdialer/dialer/dialer/phone"
	"github.com/fsdialer/dialer/dialer/retry"
)

// CallableInput is what decides whether a member may be dialed now.
type CallableInput struct {
	Now      time.Time
	Campaign *Campaign
	Calendar *calendar.Calendar
	Member   *Member
	// Blocked reports whether a number is on the blocklist for this campaign.
	Blocked func(number string) bool
	// InCall is true when the member has an attempt that is not final.
	InCall bool
}

// Verdict says whether a member is callable now and, if not, why and when
// it next could be.
type Verdict struct {
	Callable bool
	// Reasons lists every rule that stops the call now, in words.
	Reasons []string
	// Number is the number the next attempt would use.
	Number Communication
	// Zones are the zones whose calling windows apply.
	Zones []string
	// Fallback says why Zones is the calendar's zone rather than the
	// number's (timezone_fallback: calendar); "" when it is not.
	Fallback string
	// Skipped are numbers of the member passed over because no zone to
	// call them in is known, each with why.
	Skipped []string
	// NextAt is the earliest time the member could be called, when known;
	// zero when never (ended, expired, blocked) or not computable.
	NextAt time.Time
	// End is set when the member should be ended rather than waited for:
	// MEMBER_EXPIRED, BLOCKED or NO_TIMEZONE.
	End string
}

// FallbackCalendar is the timezone_fallback that reads the window of a
// number whose zone cannot be told in the calendar's zone.
const FallbackCalendar = "calendar"

func (c *Campaign) validateTimezoneFallback(p *problems) {
	switch {
	case c.TimezoneFallback == "":
	case c.TimezoneFallback != FallbackCalendar:
		p.add("timezone_fallback", "%q: must be calendar, or left out to skip members whose number's zone cannot be told", c.TimezoneFallback)
	case c.TimezonePolicy != TZNumber:
		p.add("timezone_fallback", "only with timezone_policy: number")
	}
}

// Zones returns the zones in which a member's calling window is read
// under the campaign's timezone policy. An empty result with a nil error
// means no zone is known: the member is not callable (fail closed).
func Zones(policy TimezonePolicy, cal *calendar.Calendar, memberTZ, number string) ([]*time.Location, error) {
	switch policy {
	case TZMember:
		if memberTZ != "" {
			loc, err := LoadLocation(memberTZ)
			if err != nil {
				return nil, err
			}
			return []*time.Location{loc}, nil
		}
	case TZNumber:
		names, err := phone.Timezones(number)
		if err != nil {
			return nil, err
		}
		locs := make([]*time.Location, 0, len(names))
		for _, n := range names {
			loc, err := time.LoadLocation(n)
			if err != nil {
				return nil, fmt.Errorf("timezone %s of %s: %w", n, number, err)
			}
			locs = append(locs, loc)
		}
		return locs, nil
	}
	return []*time.Location{calendarZone(cal)}, nil
}

func calendarZone(cal *calendar.Calendar) *time.Location {
	if cal.Location == nil {
		return time.UTC
	}
	return cal.Location
}

// callZones returns the zones a number's calling window is read in under
// the campaign's policy, or why no zone can be told. Under policy number a
// member's own timezone wins (it is what the operator knows); otherwise
// the number's zones are used when there is one, when several all keep the
// same time (UK mobiles: London, Guernsey, Isle of Man), or when several
// of a geographic number share open hours (an area over two zones: the
// call waits until the window is open in all). A number with no known
// zone, a non-geographic one whose zones disagree (toll-free: every zone
// of the country) and one whose zones are never open at once cannot be
// told: calling it in one of its zones could be calling at the wrong hour
// in another.
func callZones(c *Campaign, cal *calendar.Calendar, memberTZ, number string, now time.Time) ([]*time.Location, string, error) {
	if why := c.calleeZoneUnknown(memberTZ, number, now); why != "" {
		return nil, why, nil
	}
	if c.TimezonePolicy != TZNumber {
		zones, err := Zones(c.TimezonePolicy, cal, memberTZ, number)
		return zones, "", err
	}
	if memberTZ != "" {
		zones, err := Zones(TZMember, cal, memberTZ, number)
		return zones, "", err
	}
	zones, err := Zones(TZNumber, cal, "", number)
	switch {
	case err != nil:
		return nil, "", err
	case len(zones) == 0:
		return nil, "no timezone is known for " + number, nil
	case len(zones) == 1 || sameClocks(zones, now):
		return zones, "", nil
	case !phone.Geographic(number):
		return nil, fmt.Sprintf("number %s has no single zone (%d candidates)", number, len(zones)), nil
	case neverOpenTogether(cal, zones, now):
		names := make([]string, len(zones))
		for i, z := range zones {
			names[i] = z.String()
		}
		return nil, fmt.Sprintf("number %s spans %d zones (%s) that are never open at once", number, len(zones), strings.Join(names, ", ")), nil
	}
	return zones, "", nil
}

// neverOpenTogether reports whether the calendar opens again in each zone
// but never in all at once. A calendar that does not open again in some
// zone is not this case: its campaign is ending.
func neverOpenTogether(cal *calendar.Calendar, zones []*time.Location, now time.Time) bool {
	for _, z := range zones {
		if _, ok := cal.In(z).NextOpen(now); !ok {
			return false
		}
	}
	_, ok := NextOpenInAll(cal, zones, now)
	return !ok
}

// clockAgreement caches sameClocks by zone set: numbers share a few sets.
var clockAgreement sync.Map // zone names joined with "," -> bool

// sameClocks reports whether the zones keep the same time, at noon UTC of
// every day of the year from now: then a window open in one is open in
// all. The answer for a set of zones is computed once per process.
func sameClocks(zones []*time.Location, now time.Time) bool {
	names := make([]string, len(zones))
	for i, z := range zones {
		names[i] = z.String()
	}
	key := strings.Join(names, ",")
	if same, ok := clockAgreement.Load(key); ok {
		return same.(bool)
	}
	y, m, d := now.UTC().Date()
	day := time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
	same := true
	for i := 0; i < 366 && same; i++ {
		t := day.AddDate(0, 0, i)
		_, want := t.In(zones[0]).Zone()
		for _, z := range zones[1:] {
			if _, off := t.In(z).Zone(); off != want {
				same = false
				break
			}
		}
	}
	clockAgreement.Store(key, same)
	return same
}

// OpenInAll reports whether the calendar is open at t read in every zone.
func OpenInAll(cal *calendar.Calendar, zones []*time.Location, t time.Time) bool {
	if len(zones) == 0 {
		return false
	}
	for _, z := range zones {
		if !cal.In(z).IsOpen(t) {
			return false
		}
	}
	return true
}

// NextOpenInAll is the earliest instant at or after t at which the
// calendar is open in every zone at once.
func NextOpenInAll(cal *calendar.Calendar, zones []*time.Location, t time.Time) (time.Time, bool) {
	if len(zones) == 0 {
		return time.Time{}, false
	}
	// Each round moves t to the next opening in each zone in turn; when no
	// zone moves it, t is open in all. Zones whose windows never overlap
	// give up after the calendar's horizon, as NextOpen does.
	limit := t.Add(calendar.Horizon)
	for t.Before(limit) {
		moved := false
		for _, z := range zones {
			c := cal.In(z)
			nt, ok := c.NextOpen(t)
			if !ok {
				return time.Time{}, false
			}
			if nt.After(t) {
				t, moved = nt, true
			}
		}
		if !moved {
			return t, true
		}
	}
	return time.Time{}, false
}

// Explain decides whether a member is callable now. The engine dials only
// members for which Callable is true; `dialer member explain` prints it.
func Explain(in CallableInput) Verdict {
	var v Verdict
	m, c, now := in.Member, in.Campaign, in.Now
	switch m.State {
	case MemberDone:
		v.Reasons = append(v.Reasons, "done: the member was reached")
		return v
	case MemberFailed:
		v.Reasons = append(v.Reasons, "ended: "+m.EndCause)
		return v
	}
	if c.State != StateRunning {
		state := c.State
		if state == "" {
			state = StateStopped
		}
		v.Reasons = append(v.Reasons, fmt.Sprintf("campaign %s is %s", c.Name, state))
	}
	if in.InCall || m.State == MemberCalling {
		v.Reasons = append(v.Reasons, "in a call now")
	}
	if m.Held {
		v.Reasons = append(v.Reasons, "held: not dialed until released (dialer member release)")
	}
	if !m.ExpiresAt.IsZero() && !now.Before(m.ExpiresAt) {
		v.Reasons = append(v.Reasons, fmt.Sprintf("expired at %s (ends as MEMBER_EXPIRED)", m.ExpiresAt.UTC().Format(time.RFC3339)))
		v.End = "MEMBER_EXPIRED"
		return v
	}
	policy := c.RetryPolicy(nil)
	rm := m.RetryMember(in.Blocked)
	num, ok := pickNumber(policy, rm, m.NextCommID)
	if !ok {
		if allBlocked(rm) {
			v.Reasons = append(v.Reasons, "every number is on the blocklist (ends as BLOCKED)")
			v.End = "BLOCKED"
		} else {
			v.Reasons = append(v.Reasons, "no active number left")
		}
		return v
	}
	v.Number, _ = m.Communication(num.ID)
	if !c.Matches(m.Variables) {
		v.Reasons = append(v.Reasons, "outside the campaign's attribute filter ("+describeFilter(c.Filter)+")")
	}
	next := now
	if m.DueAt.After(now) {
		v.Reasons = append(v.Reasons, fmt.Sprintf("waiting for retry until %s", m.DueAt.UTC().Format(time.RFC3339)))
		next = m.DueAt
	}
	if m.NotBefore.After(now) {
		v.Reasons = append(v.Reasons, fmt.Sprintf("not before %s (the member's own call window)", m.NotBefore.UTC().Format(time.RFC3339)))
		if m.NotBefore.After(next) {
			next = m.NotBefore
		}
	}
	if cap := c.Retry.MaxPerDay; cap > 0 {
		loc := in.Calendar.Location
		if loc == nil {
			loc = time.UTC
		}
		today := now.In(loc).Format("2006-01-02")
		if m.Day == today && m.DayAttempts >= cap {
			y, mo, d := now.In(loc).Date()
			tomorrow := time.Date(y, mo, d+1, 0, 0, 0, 0, loc)
			v.Reasons = append(v.Reasons, fmt.Sprintf("daily cap reached (%d of %d attempts today); next day starts %s",
				m.DayAttempts, cap, tomorrow.Format(time.RFC3339)))
			if tomorrow.After(next) {
				next = tomorrow
			}
		}
	}
	zones, why, err := callZones(c, in.Calendar, m.Timezone, v.Number.Number, now)
	for err == nil && why != "" && c.TimezoneFallback != FallbackCalendar {
		// No zone to call this number in: the member's next number, if any.
		v.Skipped = append(v.Skipped, why)
		for i := range rm.Numbers {
			if rm.Numbers[i].ID == num.ID {
				rm.Numbers[i].Stopped = true
			}
		}
		if num, ok = retry.FirstNumber(policy, rm.Numbers); !ok {
			for _, r := range v.Skipped {
				v.Reasons = append(v.Reasons, r+c.noZoneAdvice())
			}
			v.Skipped = nil
			v.End = cause.NoTimezone
			return v
		}
		v.Number, _ = m.Communication(num.ID)
		zones, why, err = callZones(c, in.Calendar, m.Timezone, v.Number.Number, now)
	}
	switch {
	case err != nil:
		v.Reasons = append(v.Reasons, fmt.Sprintf("no usable timezone: %v", err))
		return v
	case why != "":
		v.Fallback = why
		zones = []*time.Location{calendarZone(in.Calendar)}
	}
	for _, z := range zones {
		v.Zones = append(v.Zones, z.String())
	}
	if next, ok = c.calleeHours(&v, in.Calendar, zones, m.Timezone, now, next); !ok {
		return v
	}
	if !OpenInAll(in.Calendar, zones, now) {
		open, ok := NextOpenInAll(in.Calendar, zones, now)
		if ok {
			v.Reasons = append(v.Reasons, fmt.Sprintf("calendar closed until %s in %s", open.Format(time.RFC3339), strings.Join(v.Zones, ", ")))
		} else {
			v.Reasons = append(v.Reasons, fmt.Sprintf("calendar does not open again in %s", strings.Join(v.Zones, ", ")))
			return v
		}
	}
	at, ok := NextOpenInAll(in.Calendar, zones, next)
	if !ok {
		return v
	}
	if !m.ExpiresAt.IsZero() && !at.Before(m.ExpiresAt) {
		v.Reasons = append(v.Reasons, fmt.Sprintf("expires at %s before it can be called (ends as MEMBER_EXPIRED)", m.ExpiresAt.UTC().Format(time.RFC3339)))
		return v
	}
	if !m.Held {
		v.NextAt = at
	}
	v.Callable = len(v.Reasons) == 0
	return v
}

// pickNumber is the number the next attempt uses: the one the last
// decision chose when still usable, else the first in campaign order.
func pickNumber(p retry.Policy, m retry.Member, next int64) (retry.Number, bool) {
	for _, n := range m.Numbers {
		if n.ID == next && !n.Stopped && !n.Blocked {
			return n, true
		}
	}
	return retry.FirstNumber(p, m.Numbers)
}

func allBlocked(m retry.Member) bool {
	any := false
	for _, n := range m.Numbers {
		if n.Stopped {
			continue
		}
		if !n.Blocked {
			return false
		}
		any = true
	}
	return any
}

func describeFilter(f map[string][]string) string {
	parts := make([]string, 0, len(f))
	for _, k := range sortedKeys(f) {
		parts = append(parts, k+" in ["+strings.Join(f[k], ", ")+"]")
	}
	return strings.Join(parts, "; ")
}
