package dialer

import (
	"fmt"
	"strings"
	"time"

	"github.com/fsdialer/dialer/dialer/calendar"
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
	// NextAt is the earliest time the member could be called, when known;
	// zero when never (ended, expired, blocked) or not computable.
	NextAt time.Time
	// End is set when the member should be ended rather than waited for:
	// MEMBER_EXPIRED or BLOCKED.
	End string
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
	loc := cal.Location
	if loc == nil {
		loc = time.UTC
	}
	return []*time.Location{loc}, nil
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
	// end when a calendar runs past its horizon.
	for range 10000 {
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
	zones, err := Zones(c.TimezonePolicy, in.Calendar, m.Timezone, v.Number.Number)
	switch {
	case err != nil:
		v.Reasons = append(v.Reasons, fmt.Sprintf("no usable timezone: %v", err))
		return v
	case len(zones) == 0:
		v.Reasons = append(v.Reasons, fmt.Sprintf("no timezone is known for %s: not callable under the number timezone policy", v.Number.Number))
		return v
	}
	for _, z := range zones {
		v.Zones = append(v.Zones, z.String())
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
	v.NextAt = at
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
