package calendar_test

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // tests must not depend on the host's zoneinfo

	"github.com/fsdialer/dialer/dialer/calendar"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load location %q: %v", name, err)
	}
	return loc
}

// ts parses an RFC 3339 instant; offsets make DST instants unambiguous.
func ts(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("parse instant %q: %v", s, err)
	}
	return v
}

// periods parses "09:00-11:30,14:00-18:00"; "" is no periods.
func periods(t testing.TB, s string) []calendar.Period {
	t.Helper()
	if s == "" {
		return nil
	}
	var out []calendar.Period
	for _, f := range strings.Split(s, ",") {
		p, err := calendar.ParsePeriod(f)
		if err != nil {
			t.Fatalf("periods %q: %v", s, err)
		}
		out = append(out, p)
	}
	return out
}

func date(t testing.TB, s string) calendar.Date {
	t.Helper()
	d, err := calendar.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// weekly builds the weekly periods from "mon": "09:00-17:00" style entries.
func weekly(t testing.TB, days map[string]string) [7][]calendar.Period {
	t.Helper()
	var w [7][]calendar.Period
	for k, v := range days {
		d, err := calendar.ParseWeekday(k)
		if err != nil {
			t.Fatal(err)
		}
		w[d] = periods(t, v)
	}
	return w
}

// oneDay is a calendar open only on the given date, with the given periods.
func oneDay(t testing.TB, loc *time.Location, day, ps string) *calendar.Calendar {
	t.Helper()
	d := date(t, day)
	return &calendar.Calendar{
		Location: loc,
		Special:  []calendar.Special{{From: d, To: d, Periods: periods(t, ps)}},
	}
}

func fmtWindows(ws []calendar.Window) string {
	var b strings.Builder
	for i, w := range ws {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(w.Start.UTC().Format(time.RFC3339) + "/" + w.End.UTC().Format(time.RFC3339))
	}
	return "[" + b.String() + "]"
}

// checkWindowEdges verifies that IsOpen agrees with every window edge and
// that NextOpen/NextClose reproduce them. A window starting at from may
// have been open before it.
func checkWindowEdges(t *testing.T, c *calendar.Calendar, from time.Time, ws []calendar.Window) {
	t.Helper()
	for i, w := range ws {
		atFrom := w.Start.Equal(from)
		if !atFrom && (c.IsOpen(w.Start.Add(-time.Second)) || c.IsOpen(w.Start.Add(-time.Nanosecond))) {
			t.Errorf("window %d: open just before its start %v", i, w.Start)
		}
		if !c.IsOpen(w.Start) {
			t.Errorf("window %d: closed at its start %v", i, w.Start)
		}
		if w.End.IsZero() {
			continue
		}
		if !c.IsOpen(w.End.Add(-time.Second)) || !c.IsOpen(w.End.Add(-time.Nanosecond)) {
			t.Errorf("window %d: closed just before its end %v", i, w.End)
		}
		if c.IsOpen(w.End) {
			t.Errorf("window %d: open at its end %v", i, w.End)
		}
		if got, ok := c.NextOpen(w.Start.Add(-time.Nanosecond)); !atFrom && (!ok || !got.Equal(w.Start)) {
			t.Errorf("window %d: NextOpen(start-1ns) = %v, %v; want %v", i, got, ok, w.Start)
		}
		if got, ok := c.NextClose(w.Start); !ok || !got.Equal(w.End) {
			t.Errorf("window %d: NextClose(start) = %v, %v; want %v", i, got, ok, w.End)
		}
		if got, ok := c.NextClose(w.End.Add(-time.Nanosecond)); !ok || !got.Equal(w.End) {
			t.Errorf("window %d: NextClose(end-1ns) = %v, %v; want %v", i, got, ok, w.End)
		}
	}
}
