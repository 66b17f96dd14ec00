package dialer

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fsdialer/dialer/dialer/calendar"
	"github.com/fsdialer/dialer/dialer/phone"
)

// Compliance profiles: the rules of one jurisdiction a campaign is held to
// (README, "Compliance profiles").
const (
	// ComplianceNone holds a campaign to no profile; "" means the same.
	ComplianceNone = "none"
	// ComplianceUSFCC is 47 CFR 64.1200: abandons at most 3% of live
	// answered calls over 30 days, calls 08:00-21:00 the callee's time.
	ComplianceUSFCC = "us-fcc"
	// ComplianceUKOfcom is Ofcom's persistent misuse policy: abandons at
	// most 3% of live answered calls over 24 hours.
	ComplianceUKOfcom = "uk-ofcom"
)

// Profile is what a compliance profile requires of a campaign.
type Profile struct {
	Name string
	// Window is the longest abandon window the rule allows, and the
	// window a campaign gets when it names none.
	Window time.Duration
	// Target is the highest abandon rate allowed.
	Target Ratio
	// MinRing is the shortest ring timeout: a callee is given that long
	// to answer before the call is given up.
	MinRing time.Duration
	// MaxAfter is the longest an answered callee may wait for an agent
	// before the safe-harbor message.
	MaxAfter time.Duration
	// Hours are the callee-local hours calls may be placed in, every day.
	Hours calendar.Period
}

var profiles = map[string]Profile{
	ComplianceUSFCC: {Name: ComplianceUSFCC, Window: 30 * 24 * time.Hour, Target: 0.03,
		MinRing: 15 * time.Second, MaxAfter: 2 * time.Second, Hours: calendar.Period{Start: 8 * 60, End: 21 * 60}},
	ComplianceUKOfcom: {Name: ComplianceUKOfcom, Window: 24 * time.Hour, Target: 0.03,
		MinRing: 15 * time.Second, MaxAfter: 2 * time.Second, Hours: calendar.Period{Start: 8 * 60, End: 21 * 60}},
}

// ComplianceProfile returns the profile a campaign is held to; ok is false
// for none.
func (c *Campaign) ComplianceProfile() (Profile, bool) {
	p, ok := profiles[c.Compliance]
	return p, ok
}

// complianceDefaults fills the settings the profile decides and the
// campaign leaves out. It runs before the predictive defaults, which fill
// what is left.
func (c *Campaign) complianceDefaults() {
	pr, ok := c.ComplianceProfile()
	if !ok || !c.Mode.Agents() {
		return
	}
	if c.Abandon.Window == 0 {
		c.Abandon.Window = Duration(pr.Window)
	}
	if c.Abandon.Target == 0 {
		c.Abandon.Target = pr.Target
	}
	// The wait's default leaves room under the profile's limit for the
	// tick and the command that plays the message.
	wait := min(DefaultAbandonAfter, pr.MaxAfter)
	if c.Mode == ModePredictive && c.Abandon.After == 0 {
		c.Abandon.After = Duration(wait)
	}
	if c.Mode == ModeProgressive && c.Agents.HoldTime == 0 {
		c.Agents.HoldTime = Duration(wait)
	}
}

// validateCompliance refuses a campaign that contradicts its profile.
func (c *Campaign) validateCompliance(p *problems) {
	if c.Compliance == "" || c.Compliance == ComplianceNone {
		return
	}
	pr, ok := c.ComplianceProfile()
	if !ok {
		names := make([]string, 0, len(profiles))
		for n := range profiles {
			names = append(names, n)
		}
		sort.Strings(names)
		p.add("compliance", "%q: must be %s or none", c.Compliance, strings.Join(names, ", "))
		return
	}
	if rt := c.Limits.RingTimeout.D(); rt != 0 && rt < pr.MinRing {
		p.add("limits.ring_timeout", "%s is below %s's %s minimum ring", c.Limits.RingTimeout, pr.Name, spaced(pr.MinRing))
	}
	if c.TimezoneFallback == FallbackCalendar {
		p.add("timezone_fallback", "calendar contradicts %s: a number whose zone cannot be told is not called (%s in the callee's zone)", pr.Name, pr.Hours)
	}
	if !c.Mode.Agents() {
		return
	}
	a := c.Abandon
	if a.Target > pr.Target {
		p.add("abandon.target", "%s is above %s's %s", a.Target, pr.Name, pr.Target)
	}
	if a.Window.D() > pr.Window {
		p.add("abandon.window", "%s is longer than %s's %s (%s)", a.Window, pr.Name, Duration(pr.Window), days(pr.Window))
	}
	// The modes where an answered callee can wait for an agent: the wait
	// is bounded and ends with the safe-harbor message.
	switch c.Mode {
	case ModePredictive:
		if a.After.D() > pr.MaxAfter {
			p.add("abandon.after", "%s is above %s's %s: an answered callee reaches an agent or hears the message within it", a.After, pr.Name, spaced(pr.MaxAfter))
		}
	case ModeProgressive:
		if h := c.Agents.HoldTime.D(); h > pr.MaxAfter {
			p.add("agents.hold_time", "%s is above %s's %s: an answered callee reaches an agent or hears the message within it (persistent agent sessions bridge at once)",
				c.Agents.HoldTime, pr.Name, spaced(pr.MaxAfter))
		}
	default:
		return
	}
	if a.Message == "" || a.Message == DefaultAbandonMessage || strings.Contains(a.Message, "_stream://") {
		p.add("abandon.message", "%s requires a recorded safe-harbor message naming the caller (a sound file), not %q", pr.Name, a.Message)
	}
}

// spaced writes a whole number of seconds as "15 s", as rules state them.
func spaced(d time.Duration) string {
	return fmt.Sprintf("%g s", d.Seconds())
}

// days writes a window as "30 days" or "24 hours".
func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 && d > 24*time.Hour {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return fmt.Sprintf("%g hours", d.Hours())
}

// calleeZones are the zones whose clocks a profile's calling hours are
// read on: the member's own zone when it has one (what the operator knows
// of where the callee lives), else every zone of the number's country or
// area. None means the callee's time cannot be told: the number is not
// called.
func calleeZones(memberTZ, number string) ([]*time.Location, error) {
	if memberTZ != "" {
		loc, err := LoadLocation(memberTZ)
		if err != nil {
			return nil, err
		}
		return []*time.Location{loc}, nil
	}
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

// calleeZoneUnknown says why a number cannot be called under the
// campaign's profile because its callee's time cannot be told: no zone is
// known, or its zones' calling hours never meet (a toll-free number over
// every zone of its plan). "" when it can, or the campaign has no profile.
func (c *Campaign) calleeZoneUnknown(memberTZ, number string, now time.Time) string {
	pr, ok := c.ComplianceProfile()
	if !ok {
		return ""
	}
	zones, err := calleeZones(memberTZ, number)
	if err != nil || len(zones) == 0 {
		return fmt.Sprintf("no timezone is known for %s, and %s calls only within %s of the callee's zone", number, pr.Name, pr.Hours)
	}
	if _, ok := NextOpenInAll(hoursCalendar(pr), zones, now); !ok {
		return fmt.Sprintf("number %s spans %d zones whose %s never meet, and %s calls only within %s of the callee's zone",
			number, len(zones), pr.Hours, pr.Name, pr.Hours)
	}
	return ""
}

// noZoneAdvice is what a member whose numbers have no known zone is told.
func (c *Campaign) noZoneAdvice() string {
	if _, ok := c.ComplianceProfile(); ok {
		return "; set the member's timezone (ends as NO_TIMEZONE)"
	}
	return "; set the member's timezone or timezone_fallback: calendar (ends as NO_TIMEZONE)"
}

// hoursCalendar is a profile's calling hours as a calendar open the same
// hours every day.
func hoursCalendar(pr Profile) *calendar.Calendar {
	var cal calendar.Calendar
	for d := range cal.Weekly {
		cal.Weekly[d] = []calendar.Period{pr.Hours}
	}
	return &cal
}

// calleeHours applies the profile's callee-local calling hours to a
// verdict: a reason when the hours are closed now, and next moved to the
// earliest instant at or after it when both the campaign's calendar (in
// zones) and the callee's hours are open. ok is false when no such
// instant exists, or the callee's zone cannot be told.
func (c *Campaign) calleeHours(v *Verdict, cal *calendar.Calendar, zones []*time.Location, memberTZ string, now, next time.Time) (time.Time, bool) {
	pr, ok := c.ComplianceProfile()
	if !ok {
		return next, true
	}
	number := v.Number.Number
	hz, err := calleeZones(memberTZ, number)
	if err != nil || len(hz) == 0 {
		v.Reasons = append(v.Reasons, c.calleeZoneUnknown(memberTZ, number, now))
		return time.Time{}, false
	}
	hours := hoursCalendar(pr)
	names := make([]string, len(hz))
	for i, z := range hz {
		names[i] = z.String()
	}
	where := strings.Join(names, ", ")
	if len(names) > 3 {
		where = fmt.Sprintf("in all %d zones of %s", len(names), number)
	}
	if !OpenInAll(hours, hz, now) {
		if open, ok := NextOpenInAll(hours, hz, now); ok {
			v.Reasons = append(v.Reasons, fmt.Sprintf("outside the callee's calling hours (%s %s, %s) until %s",
				pr.Hours, where, pr.Name, open.Format(time.RFC3339)))
		} else {
			v.Reasons = append(v.Reasons, fmt.Sprintf("the callee's calling hours (%s, %s) are never open in all of %s at once",
				pr.Hours, pr.Name, where))
			return time.Time{}, false
		}
	}
	// Alternate between the two until one instant is open in both; the
	// calendar's horizon bounds the search.
	limit := next.Add(calendar.Horizon)
	for t := next; t.Before(limit); {
		a, ok := NextOpenInAll(cal, zones, t)
		if !ok {
			return next, true // the calendar's own reason says it
		}
		b, ok := NextOpenInAll(hours, hz, a)
		if !ok {
			return time.Time{}, false
		}
		if b.Equal(a) {
			return a, true
		}
		t = b
	}
	v.Reasons = append(v.Reasons, fmt.Sprintf("the campaign's calendar is never open within the callee's calling hours (%s %s, %s)",
		pr.Hours, where, pr.Name))
	return time.Time{}, false
}

// AbandonFigures are a campaign's abandon ledger over one rolling window
// ending now: live answered calls (answered by a person, not an answering
// machine; abandoned ones included), the abandoned ones among them, and
// their share. The ledger counts by the minute of the answer: the window's
// oldest minute is counted once it lies wholly inside it.
type AbandonFigures struct {
	Window       Duration `json:"window" yaml:"window"`
	LiveAnswered int      `json:"live_answered" yaml:"live_answered"`
	Abandoned    int      `json:"abandoned" yaml:"abandoned"`
	Rate         float64  `json:"rate" yaml:"rate"`
}

// NewAbandonFigures computes the rate of the counts.
func NewAbandonFigures(window time.Duration, live, abandoned int) AbandonFigures {
	f := AbandonFigures{Window: Duration(window), LiveAnswered: live, Abandoned: abandoned}
	if live > 0 {
		f.Rate = float64(abandoned) / float64(live)
	}
	return f
}

// AtTarget reports whether the abandon rate has reached target: no more
// abandons may be risked until it falls back.
func (f AbandonFigures) AtTarget(target Ratio) bool {
	return f.LiveAnswered > 0 && float64(f.Abandoned) >= float64(target)*float64(f.LiveAnswered)
}

// LedgerWindows are the windows a report shows the ledger over: 24 hours,
// 30 days and the campaign's own abandon.window when it is another.
func (c *Campaign) LedgerWindows() []time.Duration {
	ws := []time.Duration{24 * time.Hour, 30 * 24 * time.Hour}
	if w := c.Abandon.Window.D(); w != 0 && w != ws[0] && w != ws[1] {
		ws = append(ws, w)
	}
	return ws
}
