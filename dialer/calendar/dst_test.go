package calendar_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer/calendar"
)

// TestCalendar_DST lays one day's periods over a DST change and checks the
// exact windows. Wall clock decides: times skipped by spring forward never
// occur, times repeated by fall back are open on both passes.
//
// America/New_York 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z),
// 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z); Europe/London 2026-03-29
// 01:00 GMT -> 02:00 BST (01:00Z), 2026-10-25 02:00 BST -> 01:00 GMT (01:00Z).
func TestCalendar_DST(t *testing.T) {
	cases := []struct {
		zone, day, periods string
		want               string // windows as start/end pairs, "" = never open
	}{
		// New York, spring forward.
		{"America/New_York", "2026-03-08", "01:30-02:30", "2026-03-08T01:30:00-05:00/2026-03-08T03:00:00-04:00"}, // 30 real minutes
		{"America/New_York", "2026-03-08", "02:15-02:45", ""},
		{"America/New_York", "2026-03-08", "02:00-03:00", ""},
		{"America/New_York", "2026-03-08", "02:30-04:00", "2026-03-08T03:00:00-04:00/2026-03-08T04:00:00-04:00"},
		{"America/New_York", "2026-03-08", "01:00-02:00", "2026-03-08T01:00:00-05:00/2026-03-08T03:00:00-04:00"},
		{"America/New_York", "2026-03-08", "03:00-04:00", "2026-03-08T03:00:00-04:00/2026-03-08T04:00:00-04:00"},
		{"America/New_York", "2026-03-08", "01:59-02:01", "2026-03-08T01:59:00-05:00/2026-03-08T03:00:00-04:00"},
		{"America/New_York", "2026-03-08", "00:00-24:00", "2026-03-08T00:00:00-05:00/2026-03-09T00:00:00-04:00"}, // 23 h
		// New York, fall back.
		{"America/New_York", "2026-11-01", "01:00-02:00", "2026-11-01T01:00:00-04:00/2026-11-01T02:00:00-05:00"}, // 2 real hours
		{"America/New_York", "2026-11-01", "01:30-03:00",
			"2026-11-01T01:30:00-04:00/2026-11-01T01:00:00-05:00, 2026-11-01T01:30:00-05:00/2026-11-01T03:00:00-05:00"},
		{"America/New_York", "2026-11-01", "00:00-01:30",
			"2026-11-01T00:00:00-04:00/2026-11-01T01:30:00-04:00, 2026-11-01T01:00:00-05:00/2026-11-01T01:30:00-05:00"},
		{"America/New_York", "2026-11-01", "01:59-02:00",
			"2026-11-01T01:59:00-04:00/2026-11-01T01:00:00-05:00, 2026-11-01T01:59:00-05:00/2026-11-01T02:00:00-05:00"},
		{"America/New_York", "2026-11-01", "02:00-03:00", "2026-11-01T02:00:00-05:00/2026-11-01T03:00:00-05:00"},
		{"America/New_York", "2026-11-01", "00:00-24:00", "2026-11-01T00:00:00-04:00/2026-11-02T00:00:00-05:00"}, // 25 h
		// London, spring forward.
		{"Europe/London", "2026-03-29", "00:30-01:30", "2026-03-29T00:30:00Z/2026-03-29T02:00:00+01:00"},
		{"Europe/London", "2026-03-29", "01:30-02:30", "2026-03-29T02:00:00+01:00/2026-03-29T02:30:00+01:00"},
		{"Europe/London", "2026-03-29", "01:15-01:45", ""},
		{"Europe/London", "2026-03-29", "01:00-02:00", ""},
		{"Europe/London", "2026-03-29", "00:00-24:00", "2026-03-29T00:00:00Z/2026-03-30T00:00:00+01:00"},
		// London, fall back.
		{"Europe/London", "2026-10-25", "01:00-02:00", "2026-10-25T01:00:00+01:00/2026-10-25T02:00:00Z"},
		{"Europe/London", "2026-10-25", "01:30-03:00",
			"2026-10-25T01:30:00+01:00/2026-10-25T01:00:00Z, 2026-10-25T01:30:00Z/2026-10-25T03:00:00Z"},
		{"Europe/London", "2026-10-25", "02:00-03:00", "2026-10-25T02:00:00Z/2026-10-25T03:00:00Z"},
		{"Europe/London", "2026-10-25", "00:00-24:00", "2026-10-25T00:00:00+01:00/2026-10-26T00:00:00Z"},
	}
	for _, tc := range cases {
		t.Run(tc.zone+" "+tc.day+" "+tc.periods, func(t *testing.T) {
			loc := mustLoc(t, tc.zone)
			c := oneDay(t, loc, tc.day, tc.periods)
			d := date(t, tc.day)
			from := time.Date(d.Year, d.Month, d.Day-1, 12, 0, 0, 0, loc)

			var want []calendar.Window
			if tc.want != "" {
				for _, pair := range strings.Split(tc.want, ", ") {
					s, e, _ := strings.Cut(pair, "/")
					want = append(want, calendar.Window{Start: ts(t, s), End: ts(t, e)})
				}
			}
			got := c.Openings(from, 5)
			if fmtWindows(got) != fmtWindows(want) {
				t.Fatalf("Openings =\n%s\nwant\n%s", fmtWindows(got), fmtWindows(want))
			}
			checkWindowEdges(t, c, from, got)

			next, ok := c.NextOpen(from)
			if len(want) == 0 {
				if ok {
					t.Errorf("NextOpen(%v) = %v, want never", from, next)
				}
			} else if !ok || !next.Equal(want[0].Start) {
				t.Errorf("NextOpen(%v) = %v, %v; want %v", from, next, ok, want[0].Start)
			}
			// The whole day, minute by minute, agrees with the windows.
			for m := from; m.Before(from.Add(48 * time.Hour)); m = m.Add(time.Minute) {
				in := false
				for _, w := range want {
					in = in || (!m.Before(w.Start) && m.Before(w.End))
				}
				if c.IsOpen(m) != in {
					t.Fatalf("IsOpen(%v) = %v, want %v", m, !in, in)
				}
			}
		})
	}
}

// TestCalendar_DSTAcrossMidnight checks that a run 22:00-24:00 + 00:00-03:00
// merges into one window over a spring-forward night and is cut where the
// wall clock leaves the period.
func TestCalendar_DSTAcrossMidnight(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	c := &calendar.Calendar{Location: ny, Special: []calendar.Special{
		{From: date(t, "2026-03-07"), To: date(t, "2026-03-07"), Periods: periods(t, "22:00-24:00")},
		{From: date(t, "2026-03-08"), To: date(t, "2026-03-08"), Periods: periods(t, "00:00-03:00,03:00-05:00")},
		{From: date(t, "2026-10-31"), To: date(t, "2026-10-31"), Periods: periods(t, "23:00-24:00")},
		{From: date(t, "2026-11-01"), To: date(t, "2026-11-01"), Periods: periods(t, "00:00-01:30")},
	}}
	from := ts(t, "2026-03-07T00:00:00-05:00")
	got := c.Openings(from, 3)
	want := "[2026-03-08T03:00:00Z/2026-03-08T09:00:00Z, 2026-11-01T03:00:00Z/2026-11-01T05:30:00Z, 2026-11-01T06:00:00Z/2026-11-01T06:30:00Z]"
	if fmtWindows(got) != want {
		t.Errorf("Openings =\n%s\nwant\n%s", fmtWindows(got), want)
	}
	checkWindowEdges(t, c, from, got)
}

// TestCalendar_AgreesWithDefinition compares NextOpen, NextClose and IsOpen
// with a minute-by-minute reading of the definition around every offset
// change of a year, in zones with odd rules: changes at midnight, 30-minute
// DST, negative and half-hour offsets, Morocco's Ramadan changes, and Samoa
// skipping 2011-12-30 entirely.
func TestCalendar_AgreesWithDefinition(t *testing.T) {
	zones := []struct {
		name string
		year int
	}{
		{"America/New_York", 2026}, {"Europe/London", 2026}, {"Australia/Lord_Howe", 2026},
		{"America/Santiago", 2026}, {"America/Havana", 2026}, {"Asia/Beirut", 2026},
		{"Africa/Casablanca", 2026}, {"America/St_Johns", 2026}, {"Antarctica/Troll", 2026},
		{"Pacific/Apia", 2011}, {"Asia/Kathmandu", 2026},
	}
	weeks := []struct {
		name string
		days [7]string // indexed by time.Weekday
	}{
		{"same every day", [7]string{
			"00:00-01:00,01:30-02:30,03:00-04:00,22:00-24:00", "00:00-01:00,01:30-02:30,03:00-04:00,22:00-24:00",
			"00:00-01:00,01:30-02:30,03:00-04:00,22:00-24:00", "00:00-01:00,01:30-02:30,03:00-04:00,22:00-24:00",
			"00:00-01:00,01:30-02:30,03:00-04:00,22:00-24:00", "00:00-01:00,01:30-02:30,03:00-04:00,22:00-24:00",
			"00:00-01:00,01:30-02:30,03:00-04:00,22:00-24:00",
		}},
		{"touching", [7]string{"01:00-02:00,02:00-03:00", "00:30-02:15,23:00-23:30", "01:00-02:00,02:00-03:00",
			"00:30-02:15,23:00-23:30", "01:00-02:00,02:00-03:00", "00:30-02:15,23:00-23:30", "01:00-02:00,02:00-03:00"}},
		{"varied", [7]string{"", "00:00-24:00", "23:59-24:00", "00:00-00:01,12:00-13:00", "00:00-24:00", "00:15-00:45,02:30-03:30", "08:00-20:00"}},
		{"mostly open", [7]string{"00:00-24:00", "00:00-24:00", "00:00-23:00", "00:00-24:00", "01:00-24:00", "00:00-24:00", "00:00-24:00"}},
	}
	for _, z := range zones {
		loc := mustLoc(t, z.name)
		var changes []time.Time
		end := time.Date(z.year+1, 1, 1, 0, 0, 0, 0, time.UTC)
		for at := time.Date(z.year, 1, 1, 0, 0, 0, 0, time.UTC); at.Before(end); {
			_, next := at.In(loc).ZoneBounds()
			if next.IsZero() || !next.Before(end) {
				break
			}
			changes = append(changes, next)
			at = next
		}
		if len(changes) == 0 {
			changes = []time.Time{time.Date(z.year, 6, 1, 0, 0, 0, 0, time.UTC)}
		}
		for _, week := range weeks {
			c := &calendar.Calendar{Location: loc}
			for d, ps := range week.days {
				c.Weekly[d] = periods(t, ps)
			}
			for _, ch := range changes {
				t.Run(fmt.Sprintf("%s %s %s", z.name, ch.In(loc).Format("2006-01-02"), week.name), func(t *testing.T) {
					compareWithDefinition(t, c, ch.Add(-40*time.Hour).Truncate(time.Minute), 80*60)
				})
			}
		}
	}
}

// definition is the calendar's specification read literally, for weekly-only
// calendars.
func definition(c *calendar.Calendar, t time.Time) bool {
	lt := t.In(c.Location)
	tod := lt.Hour()*60 + lt.Minute()
	for _, p := range c.Weekly[lt.Weekday()] {
		if int(p.Start) <= tod && tod < int(p.End) {
			return true
		}
	}
	return false
}

// compareWithDefinition checks minutes [start, start+n) (all the zones used
// change offset on whole minutes, so openness only changes on them).
func compareWithDefinition(t *testing.T, c *calendar.Calendar, start time.Time, n int) {
	t.Helper()
	at := func(i int) time.Time { return start.Add(time.Duration(i) * time.Minute) }
	open := make([]bool, n)
	for i := range open {
		open[i] = definition(c, at(i))
		if got := c.IsOpen(at(i)); got != open[i] {
			t.Fatalf("IsOpen(%v) = %v, want %v", at(i).In(c.Location), got, open[i])
		}
	}
	// nextOpen[i] / nextClosed[i]: the first index >= i in that state, or n.
	nextOpen, nextClosed := make([]int, n+1), make([]int, n+1)
	nextOpen[n], nextClosed[n] = n, n
	for i := n - 1; i >= 0; i-- {
		nextOpen[i], nextClosed[i] = nextOpen[i+1], nextClosed[i+1]
		if open[i] {
			nextOpen[i] = i
		} else {
			nextClosed[i] = i
		}
	}
	for i := 0; i < n; i++ {
		for _, offset := range []time.Duration{0, 30 * time.Second} {
			from := at(i).Add(offset)
			j := nextOpen[i]
			if offset > 0 && !open[i] {
				j = nextOpen[i+1]
			}
			got, ok := c.NextOpen(from)
			switch {
			case j < n && (!ok || !got.Equal(maxTime(from, at(j)))):
				t.Fatalf("NextOpen(%v) = %v, %v; want %v", from.In(c.Location), got, ok, maxTime(from, at(j)).In(c.Location))
			case j == n && ok && got.Before(at(n)):
				t.Fatalf("NextOpen(%v) = %v; want after %v", from.In(c.Location), got, at(n))
			}
			k := nextClosed[i]
			if offset > 0 && open[i] {
				k = nextClosed[i+1]
			}
			got, ok = c.NextClose(from)
			switch {
			case k < n && (!ok || !got.Equal(maxTime(from, at(k)))):
				t.Fatalf("NextClose(%v) = %v, %v; want %v", from.In(c.Location), got, ok, maxTime(from, at(k)).In(c.Location))
			case k == n && ok && got.Before(at(n)):
				t.Fatalf("NextClose(%v) = %v; want after %v", from.In(c.Location), got, at(n))
			}
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
