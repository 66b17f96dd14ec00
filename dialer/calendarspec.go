package dialer

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fsdialer/dialer/dialer/calendar"
)

// CalendarSpec is a calendar as written in a campaign or calendar file.
// Periods are "HH:MM-HH:MM" wall-clock times in Timezone.
type CalendarSpec struct {
	Name        string        `yaml:"name,omitempty" json:"name,omitempty"`
	Description string        `yaml:"description,omitempty" json:"description,omitempty"`
	Timezone    string        `yaml:"timezone" json:"timezone"`
	ValidFrom   string        `yaml:"valid_from,omitempty" json:"valid_from,omitempty"`
	ValidUntil  string        `yaml:"valid_until,omitempty" json:"valid_until,omitempty"`
	Weekly      Weekly        `yaml:"weekly,omitempty" json:"weekly,omitempty"`
	Special     []SpecialSpec `yaml:"special,omitempty" json:"special,omitempty"`
}

// SpecialSpec is a special date (or an inclusive range of dates) whose
// periods replace the weekly ones; no periods means closed all day.
type SpecialSpec struct {
	Name    string   `yaml:"name,omitempty" json:"name,omitempty"`
	Date    string   `yaml:"date,omitempty" json:"date,omitempty"`
	From    string   `yaml:"from,omitempty" json:"from,omitempty"`
	To      string   `yaml:"to,omitempty" json:"to,omitempty"`
	Periods []string `yaml:"periods" json:"periods"`
}

// validName is the shape of campaign, calendar and agent names: they appear
// on command lines and in channel variables.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// LoadLocation loads an IANA zone, refusing "Local" (which would make a
// calendar depend on the machine it runs on) and empty names.
func LoadLocation(name string) (*time.Location, error) {
	if name == "" {
		return nil, fmt.Errorf("a timezone is required (an IANA name such as Europe/London)")
	}
	if name == "Local" {
		return nil, fmt.Errorf("%q is not allowed: name the zone (an IANA name such as Europe/London)", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown timezone %q", name)
	}
	return loc, nil
}

// parseInstant reads a validity bound: RFC 3339, or a date or
// "YYYY-MM-DD HH:MM" read in loc.
func parseInstant(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (write 2026-01-31, 2026-01-31 18:00 or RFC 3339)", s)
}

// Build checks the spec and returns the calendar it describes. Errors name
// the field under path (e.g. "calendar.weekly.mon[1]").
func (s *CalendarSpec) Build(path string) (*calendar.Calendar, error) {
	var p problems
	c := s.build(path, &p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return c, nil
}

func (s *CalendarSpec) build(path string, p *problems) *calendar.Calendar {
	c := &calendar.Calendar{}
	loc, err := LoadLocation(s.Timezone)
	if err != nil {
		p.add(join(path, "timezone"), "%v", err)
		loc = time.UTC
	}
	c.Location = loc
	if s.Name != "" && !validName(s.Name) {
		p.add(join(path, "name"), "%q: use letters, digits, '-', '_' or '.' (at most 64)", s.Name)
	}
	if s.ValidFrom != "" {
		if c.ValidFrom, err = parseInstant(s.ValidFrom, loc); err != nil {
			p.add(join(path, "valid_from"), "%v", err)
		}
	}
	if s.ValidUntil != "" {
		if c.ValidUntil, err = parseInstant(s.ValidUntil, loc); err != nil {
			p.add(join(path, "valid_until"), "%v", err)
		}
	}
	if !c.ValidFrom.IsZero() && !c.ValidUntil.IsZero() && !c.ValidUntil.After(c.ValidFrom) {
		p.add(join(path, "valid_until"), "%s is not after valid_from %s", s.ValidUntil, s.ValidFrom)
	}
	days := make([]string, 0, len(s.Weekly))
	for day := range s.Weekly {
		days = append(days, day)
	}
	sort.Strings(days)
	for _, day := range days {
		dpath := join(join(path, "weekly"), day)
		wd, err := calendar.ParseWeekday(day)
		if err != nil {
			p.add(dpath, "unknown weekday (use mon, tue, wed, thu, fri, sat, sun)")
			continue
		}
		c.Weekly[wd] = parsePeriods(dpath, s.Weekly[day], p)
	}
	var specialAt []int // the index in s.Special of each c.Special
	for i, sp := range s.Special {
		spath := index(join(path, "special"), i)
		var sd calendar.Special
		sd.Name = sp.Name
		switch {
		case sp.Date != "" && (sp.From != "" || sp.To != ""):
			p.add(spath, "give either date or from/to, not both")
			continue
		case sp.Date != "":
			d, err := calendar.ParseDate(sp.Date)
			if err != nil {
				p.add(join(spath, "date"), "%v", err)
				continue
			}
			sd.From, sd.To = d, d
		case sp.From != "" && sp.To != "":
			f, err1 := calendar.ParseDate(sp.From)
			t, err2 := calendar.ParseDate(sp.To)
			if err1 != nil {
				p.add(join(spath, "from"), "%v", err1)
			}
			if err2 != nil {
				p.add(join(spath, "to"), "%v", err2)
			}
			if err1 != nil || err2 != nil {
				continue
			}
			sd.From, sd.To = f, t
		default:
			p.add(spath, "a special date needs date, or from and to")
			continue
		}
		sd.Periods = parsePeriods(join(spath, "periods"), sp.Periods, p)
		c.Special = append(c.Special, sd)
		specialAt = append(specialAt, i)
	}
	checkSpecialOverlaps(join(path, "special"), c.Special, specialAt, p)
	if len(p.list) == 0 {
		addCalendarErrors(path, c.Validate(), p)
	}
	return c
}

// checkSpecialOverlaps refuses a special date that covers a day an
// earlier one covers: only the first would count on that day, and the
// file would silently mean less than it says. at gives each special's
// index in the file.
func checkSpecialOverlaps(path string, specials []calendar.Special, at []int, p *problems) {
	for i, s := range specials {
		if s.From.After(s.To) {
			continue // reported by Validate
		}
		for j, e := range specials[:i] {
			if e.From.After(e.To) {
				continue
			}
			lo, hi := s.From, s.To
			if e.From.After(lo) {
				lo = e.From
			}
			if e.To.Before(hi) {
				hi = e.To
			}
			if lo.After(hi) {
				continue
			}
			days := lo.String()
			if lo != hi {
				days += " to " + hi.String()
			}
			p.add(index(path, at[i]), "overlaps %s (%s)", index(path, at[j]), days)
			break
		}
	}
}

func parsePeriods(path string, in []string, p *problems) []calendar.Period {
	out := make([]calendar.Period, 0, len(in))
	for i, s := range in {
		pr, err := calendar.ParsePeriod(strings.TrimSpace(s))
		if err != nil {
			p.add(index(path, i), "%v", err)
			continue
		}
		out = append(out, pr)
	}
	return out
}

// SpecFromCalendar renders a calendar back into its file form, for show.
func SpecFromCalendar(name string, c *calendar.Calendar) CalendarSpec {
	s := CalendarSpec{Name: name, Timezone: c.Location.String(), Weekly: map[string][]string{}}
	if !c.ValidFrom.IsZero() {
		s.ValidFrom = c.ValidFrom.In(c.Location).Format(time.RFC3339)
	}
	if !c.ValidUntil.IsZero() {
		s.ValidUntil = c.ValidUntil.In(c.Location).Format(time.RFC3339)
	}
	for wd, ps := range c.Weekly {
		if len(ps) == 0 {
			continue
		}
		s.Weekly[calendar.WeekdayKey(time.Weekday(wd))] = periodStrings(ps)
	}
	for _, sp := range c.Special {
		ss := SpecialSpec{Name: sp.Name, Periods: periodStrings(sp.Periods)}
		if sp.From == sp.To {
			ss.Date = sp.From.String()
		} else {
			ss.From, ss.To = sp.From.String(), sp.To.String()
		}
		s.Special = append(s.Special, ss)
	}
	return s
}

func periodStrings(ps []calendar.Period) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// addCalendarErrors turns the calendar package's field errors (one, or
// several joined) into problems under path.
func addCalendarErrors(path string, err error, p *problems) {
	if err == nil {
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			addCalendarErrors(path, e, p)
		}
		return
	}
	var fe *calendar.FieldError
	if errors.As(err, &fe) {
		p.add(join(path, fe.Field), "%s", fe.Reason)
		return
	}
	p.add(path, "%v", err)
}
