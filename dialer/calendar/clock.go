package calendar

import (
	"fmt"
	"strings"
	"time"
)

// Clock is a wall-clock time of day in minutes since midnight, 0..1440.
// 1440 ("24:00") is only meaningful as the end of a period.
type Clock int

// MaxClock is "24:00", the end of a day.
const MaxClock Clock = 24 * 60

// ParseClock reads "HH:MM" or "H:MM" (00:00..24:00).
func ParseClock(s string) (Clock, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 || !digits(h) || !digits(m) {
		return 0, fmt.Errorf("invalid time of day %q: want HH:MM", s)
	}
	hh, mm := atoi(h), atoi(m)
	switch {
	case hh > 24:
		return 0, fmt.Errorf("invalid time of day %q: hour %d is out of range 0..24", s, hh)
	case mm > 59:
		return 0, fmt.Errorf("invalid time of day %q: minute %d is out of range 0..59", s, mm)
	case hh == 24 && mm != 0:
		return 0, fmt.Errorf("invalid time of day %q: the latest time is 24:00", s)
	}
	return Clock(hh*60 + mm), nil
}

// String formats c as "HH:MM".
func (c Clock) String() string {
	if c < 0 || c > MaxClock {
		return fmt.Sprintf("Clock(%d)", int(c))
	}
	return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60)
}

// valid reports whether c is within 00:00..24:00.
func (c Clock) valid() bool { return c >= 0 && c <= MaxClock }

// Period is a half-open range [Start, End) of wall-clock time within one day.
type Period struct{ Start, End Clock }

// ParsePeriod reads "HH:MM-HH:MM"; the end must be after the start.
func ParsePeriod(s string) (Period, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return Period{}, fmt.Errorf("invalid period %q: want HH:MM-HH:MM", s)
	}
	start, err := ParseClock(strings.TrimSpace(a))
	if err != nil {
		return Period{}, fmt.Errorf("invalid period %q: start: %w", s, err)
	}
	end, err := ParseClock(strings.TrimSpace(b))
	if err != nil {
		return Period{}, fmt.Errorf("invalid period %q: end: %w", s, err)
	}
	p := Period{Start: start, End: end}
	if err := p.check(); err != nil {
		return Period{}, err
	}
	return p, nil
}

// check reports why p is not a usable period, or nil.
func (p Period) check() error {
	switch {
	case !p.Start.valid():
		return fmt.Errorf("start %s is out of range 00:00..24:00", p.Start)
	case !p.End.valid():
		return fmt.Errorf("end %s is out of range 00:00..24:00", p.End)
	case p.End < p.Start:
		return fmt.Errorf("end %s is before start %s", p.End, p.Start)
	case p.End == p.Start:
		return fmt.Errorf("end %s is not after start %s", p.End, p.Start)
	}
	return nil
}

// String formats p as "HH:MM-HH:MM".
func (p Period) String() string { return p.Start.String() + "-" + p.End.String() }

// overlaps reports whether p and q share any time (touching is not overlapping).
func (p Period) overlaps(q Period) bool { return p.Start < q.End && q.Start < p.End }

// Date is a civil (calendar) date, without a time or a location.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads "YYYY-MM-DD" and checks that the day exists.
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s[:4]) || !digits(s[5:7]) || !digits(s[8:]) {
		return Date{}, fmt.Errorf("invalid date %q: want YYYY-MM-DD", s)
	}
	d := Date{Year: atoi(s[:4]), Month: time.Month(atoi(s[5:7])), Day: atoi(s[8:])}
	if err := d.check(); err != nil {
		return Date{}, fmt.Errorf("invalid date %q: %w", s, err)
	}
	return d, nil
}

// DateOf returns the civil date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// check reports why d is not an existing date, or nil.
func (d Date) check() error {
	if d.Month < time.January || d.Month > time.December {
		return fmt.Errorf("month %d is out of range 1..12", int(d.Month))
	}
	if n := daysIn(d.Year, d.Month); d.Day < 1 || d.Day > n {
		return fmt.Errorf("day %d is out of range 1..%d for %d-%02d", d.Day, n, d.Year, int(d.Month))
	}
	return nil
}

// String formats d as "YYYY-MM-DD".
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Before reports whether d comes before e.
func (d Date) Before(e Date) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

// After reports whether d comes after e.
func (d Date) After(e Date) bool { return e.Before(d) }

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Weekday()
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

var weekdayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// WeekdayKey returns the short key of a weekday as used in field names and
// configuration: mon tue wed thu fri sat sun.
func WeekdayKey(d time.Weekday) string {
	if d < time.Sunday || d > time.Saturday {
		return fmt.Sprintf("weekday(%d)", int(d))
	}
	return weekdayKeys[d]
}

// ParseWeekday reads a weekday key ("mon") or an English name ("Monday"),
// in any case.
func ParseWeekday(s string) (time.Weekday, error) {
	l := strings.ToLower(strings.TrimSpace(s))
	for d := time.Sunday; d <= time.Saturday; d++ {
		if l == weekdayKeys[d] || l == strings.ToLower(d.String()) {
			return d, nil
		}
	}
	return 0, fmt.Errorf("invalid weekday %q: want one of mon tue wed thu fri sat sun", s)
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// atoi converts a short string of ASCII digits already checked by digits.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
