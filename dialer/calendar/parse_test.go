package calendar_test

import (
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer/calendar"
)

func TestParseClock(t *testing.T) {
	good := []struct {
		in   string
		want calendar.Clock
		str  string
	}{
		{"00:00", 0, "00:00"},
		{"09:00", 540, "09:00"},
		{"9:05", 545, "09:05"},
		{"23:59", 1439, "23:59"},
		{"24:00", 1440, "24:00"},
	}
	for _, tc := range good {
		t.Run(tc.in, func(t *testing.T) {
			got, err := calendar.ParseClock(tc.in)
			if err != nil {
				t.Fatalf("ParseClock(%q): %v", tc.in, err)
			}
			if got != tc.want || got.String() != tc.str {
				t.Errorf("ParseClock(%q) = %d %q, want %d %q", tc.in, got, got, tc.want, tc.str)
			}
		})
	}
	for _, in := range []string{"", "ab", "25:00", "12:60", "24:01", "9", "9:5", "009:00", "09:000",
		"-1:00", "+9:00", " 9:00", "09-00", "09:00:00", "１2:00"} {
		t.Run("bad "+in, func(t *testing.T) {
			if got, err := calendar.ParseClock(in); err == nil {
				t.Errorf("ParseClock(%q) = %v, want an error", in, got)
			}
		})
	}
}

func TestParsePeriod(t *testing.T) {
	good := []struct{ in, want string }{
		{"09:00-11:30", "09:00-11:30"},
		{"9:00-9:01", "09:00-09:01"},
		{"00:00-24:00", "00:00-24:00"},
		{"22:00 - 24:00", "22:00-24:00"},
	}
	for _, tc := range good {
		t.Run(tc.in, func(t *testing.T) {
			p, err := calendar.ParsePeriod(tc.in)
			if err != nil {
				t.Fatalf("ParsePeriod(%q): %v", tc.in, err)
			}
			if got := p.String(); got != tc.want {
				t.Errorf("ParsePeriod(%q).String() = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	bad := []struct{ in, err string }{
		{"14:00-11:30", "end 11:30 is before start 14:00"},
		{"09:00-09:00", "end 09:00 is not after start 09:00"},
		{"24:00-24:00", "end 24:00 is not after start 24:00"},
		{"09:00", `invalid period "09:00": want HH:MM-HH:MM`},
		{"09:00-25:00", `invalid period "09:00-25:00": end: invalid time of day "25:00": hour 25 is out of range 0..24`},
		{"ab-11:00", `invalid period "ab-11:00": start: invalid time of day "ab": want HH:MM`},
		{"09:00-10:00-11:00", `invalid period "09:00-10:00-11:00": end: invalid time of day "10:00-11:00": want HH:MM`},
		{"", `invalid period "": want HH:MM-HH:MM`},
	}
	for _, tc := range bad {
		t.Run("bad "+tc.in, func(t *testing.T) {
			p, err := calendar.ParsePeriod(tc.in)
			if err == nil {
				t.Fatalf("ParsePeriod(%q) = %v, want an error", tc.in, p)
			}
			if got := err.Error(); got != tc.err {
				t.Errorf("ParsePeriod(%q) error = %q, want %q", tc.in, got, tc.err)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	good := []struct {
		in   string
		want calendar.Date
		wd   time.Weekday
	}{
		{"2026-12-25", calendar.Date{Year: 2026, Month: time.December, Day: 25}, time.Friday},
		{"2028-02-29", calendar.Date{Year: 2028, Month: time.February, Day: 29}, time.Tuesday},
		{"2026-01-01", calendar.Date{Year: 2026, Month: time.January, Day: 1}, time.Thursday},
	}
	for _, tc := range good {
		t.Run(tc.in, func(t *testing.T) {
			got, err := calendar.ParseDate(tc.in)
			if err != nil {
				t.Fatalf("ParseDate(%q): %v", tc.in, err)
			}
			if got != tc.want || got.String() != tc.in || got.Weekday() != tc.wd {
				t.Errorf("ParseDate(%q) = %v (%v), want %v (%v)", tc.in, got, got.Weekday(), tc.want, tc.wd)
			}
		})
	}
	bad := []struct{ in, err string }{
		{"2026-02-29", `invalid date "2026-02-29": day 29 is out of range 1..28 for 2026-02`},
		{"2026-04-31", `invalid date "2026-04-31": day 31 is out of range 1..30 for 2026-04`},
		{"2026-13-01", `invalid date "2026-13-01": month 13 is out of range 1..12`},
		{"2026-00-10", `invalid date "2026-00-10": month 0 is out of range 1..12`},
		{"2026-12-00", `invalid date "2026-12-00": day 0 is out of range 1..31 for 2026-12`},
		{"2026-1-5", `invalid date "2026-1-5": want YYYY-MM-DD`},
		{"25.12.2026", `invalid date "25.12.2026": want YYYY-MM-DD`},
		{"", `invalid date "": want YYYY-MM-DD`},
	}
	for _, tc := range bad {
		t.Run("bad "+tc.in, func(t *testing.T) {
			d, err := calendar.ParseDate(tc.in)
			if err == nil {
				t.Fatalf("ParseDate(%q) = %v, want an error", tc.in, d)
			}
			if got := err.Error(); got != tc.err {
				t.Errorf("ParseDate(%q) error = %q, want %q", tc.in, got, tc.err)
			}
		})
	}
}

func TestDate_Order(t *testing.T) {
	a, b := calendar.Date{Year: 2026, Month: 12, Day: 24}, calendar.Date{Year: 2026, Month: 12, Day: 25}
	if !a.Before(b) || a.After(b) || b.Before(a) || !b.After(a) || a.Before(a) || a.After(a) {
		t.Errorf("Before/After wrong for %v and %v", a, b)
	}
	if got := calendar.DateOf(ts(t, "2026-12-25T01:00:00+09:00")); got != b {
		t.Errorf("DateOf = %v, want %v", got, b)
	}
}

func TestWeekday(t *testing.T) {
	keys := []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	for d := time.Sunday; d <= time.Saturday; d++ {
		if got := calendar.WeekdayKey(d); got != keys[d] {
			t.Errorf("WeekdayKey(%v) = %q, want %q", d, got, keys[d])
		}
		for _, s := range []string{keys[d], d.String(), "  " + d.String()[:3] + " "} {
			if got, err := calendar.ParseWeekday(s); err != nil || got != d {
				t.Errorf("ParseWeekday(%q) = %v, %v; want %v", s, got, err, d)
			}
		}
	}
	for _, s := range []string{"", "mo", "lundi", "7"} {
		if got, err := calendar.ParseWeekday(s); err == nil {
			t.Errorf("ParseWeekday(%q) = %v, want an error", s, got)
		}
	}
}

func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"09:00-11:30", "9:05-24:00", "14:00-11:30", "00:00-00:00", "ab", "-", "24:00-", "1:00 - 2:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := calendar.ParsePeriod(s)
		if err != nil {
			return
		}
		if p.Start < 0 || p.End > 1440 || p.End <= p.Start {
			t.Fatalf("ParsePeriod(%q) = %d-%d, outside 00:00..24:00 or empty", s, p.Start, p.End)
		}
		q, err := calendar.ParsePeriod(p.String())
		if err != nil || q != p {
			t.Fatalf("ParsePeriod(%q) = %v, which re-parses as %v, %v", s, p, q, err)
		}
	})
}

func FuzzParseClock(f *testing.F) {
	for _, s := range []string{"09:00", "9:05", "24:00", "25:00", "12:60", "ab"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := calendar.ParseClock(s)
		if err != nil {
			return
		}
		if c < 0 || c > 1440 {
			t.Fatalf("ParseClock(%q) = %d, out of range", s, c)
		}
		if d, err := calendar.ParseClock(c.String()); err != nil || d != c {
			t.Fatalf("ParseClock(%q) = %v, which re-parses as %v, %v", s, c, d, err)
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-12-25", "2028-02-29", "2026-02-29", "0000-01-01", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := calendar.ParseDate(s)
		if err != nil {
			return
		}
		if d.String() != s {
			t.Fatalf("ParseDate(%q).String() = %q", s, d.String())
		}
		if got := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC); calendar.DateOf(got) != d {
			t.Fatalf("ParseDate(%q) = %v, not a real day", s, d)
		}
	})
}
