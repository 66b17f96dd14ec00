package schedule_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer/schedule"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestNext_DST pins robfig/cron's behaviour across daylight-saving
// changes: a wall time inside the spring-forward gap is skipped that day,
// and a wall time inside the fall-back overlap runs twice.
func TestNext_DST(t *testing.T) {
	for _, tc := range []struct {
		name, zone, expr, from string
		want                   []string // UTC
	}{
		{
			name: "New York 02:30 does not exist on 2026-03-08: skipped that day",
			zone: "America/New_York", expr: "30 2 * * *", from: "2026-03-07T00:00:00-05:00",
			want: []string{"2026-03-07T07:30:00Z", "2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"},
		},
		{
			name: "New York 01:30 happens twice on 2026-11-01: runs at both offsets",
			zone: "America/New_York", expr: "30 1 * * *", from: "2026-10-31T00:00:00-04:00",
			want: []string{"2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z", "2026-11-02T06:30:00Z"},
		},
		{
			name: "New York 01:30 on the spring-forward day is an ordinary EST time",
			zone: "America/New_York", expr: "30 1 * * *", from: "2026-03-08T00:00:00-05:00",
			want: []string{"2026-03-08T06:30:00Z", "2026-03-09T05:30:00Z"},
		},
		{
			name: "New York 02:30 on the fall-back day happens once, in EST",
			zone: "America/New_York", expr: "30 2 * * *", from: "2026-11-01T00:00:00-04:00",
			want: []string{"2026-11-01T07:30:00Z", "2026-11-02T07:30:00Z"},
		},
		{
			name: "London 02:30 exists on 2026-03-29 (the gap is 01:00-02:00)",
			zone: "Europe/London", expr: "30 2 * * *", from: "2026-03-28T00:00:00Z",
			want: []string{"2026-03-28T02:30:00Z", "2026-03-29T01:30:00Z", "2026-03-30T01:30:00Z"},
		},
		{
			name: "London 01:30 does not exist on 2026-03-29: skipped that day",
			zone: "Europe/London", expr: "30 1 * * *", from: "2026-03-28T00:00:00Z",
			want: []string{"2026-03-28T01:30:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"},
		},
		{
			name: "London 01:30 happens twice on 2026-10-25: runs at both offsets",
			zone: "Europe/London", expr: "30 1 * * *", from: "2026-10-24T00:00:00+01:00",
			want: []string{"2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z", "2026-10-26T01:30:00Z"},
		},
		{
			name: "weekdays at 09:00 keep 09:00 local over the change",
			zone: "America/New_York", expr: "0 9 * * 1-5", from: "2026-03-06T00:00:00-05:00",
			want: []string{"2026-03-06T14:00:00Z", "2026-03-09T13:00:00Z", "2026-03-10T13:00:00Z"},
		},
		{
			name: "@daily is local midnight",
			zone: "America/New_York", expr: "@daily", from: "2026-03-07T12:00:00-05:00",
			want: []string{"2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z"},
		},
		{
			name: "@hourly over the fall-back hour is every absolute hour",
			zone: "America/New_York", expr: "@hourly", from: "2026-11-01T00:30:00-04:00",
			want: []string{"2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z", "2026-11-01T07:00:00Z"},
		},
		{
			name: "@every counts from the start, not the clock",
			zone: "Europe/London", expr: "@every 90m", from: "2026-10-25T00:10:00Z",
			want: []string{"2026-10-25T01:40:00Z", "2026-10-25T03:10:00Z"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loc := zone(t, tc.zone)
			got, err := schedule.Next(tc.expr, loc, utc(tc.from), len(tc.want))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d times %v, want %v", len(got), got, tc.want)
			}
			for i, g := range got {
				if want := utc(tc.want[i]); !g.Equal(want) {
					t.Errorf("time %d = %s (%s), want %s", i, g.Format(time.RFC3339), g.UTC().Format(time.RFC3339), tc.want[i])
				}
				if g.Location() != loc {
					t.Errorf("time %d is in %s, want %s", i, g.Location(), loc)
				}
			}
		})
	}
}

func TestNext_Rejects(t *testing.T) {
	ny := zone(t, "America/New_York")
	for _, tc := range []struct {
		name, expr string
		loc        *time.Location
		n          int
		want       string
		zonePrefix bool
	}{
		{name: "CRON_TZ prefix", expr: "CRON_TZ=Europe/Paris 0 9 * * *", loc: ny, n: 1, want: "CRON_TZ=", zonePrefix: true},
		{name: "TZ prefix", expr: "TZ=UTC 0 9 * * *", loc: ny, n: 1, want: "TZ=", zonePrefix: true},
		{name: "prefix alone (robfig panics on it)", expr: "TZ=UTC", loc: ny, n: 1, want: "TZ=", zonePrefix: true},
		{name: "prefix after spaces", expr: "  CRON_TZ=UTC @daily", loc: ny, n: 1, want: "CRON_TZ=", zonePrefix: true},
		{name: "four fields", expr: "0 9 * *", loc: ny, n: 1, want: "expected exactly 5 fields"},
		{name: "six fields (no seconds)", expr: "0 0 9 * * *", loc: ny, n: 1, want: "expected exactly 5 fields"},
		{name: "minute out of range", expr: "61 * * * *", loc: ny, n: 1, want: "61"},
		{name: "unknown descriptor", expr: "@fortnightly", loc: ny, n: 1, want: "unrecognized descriptor"},
		{name: "empty", expr: "", loc: ny, n: 1, want: "empty"},
		{name: "no zone", expr: "@daily", loc: nil, n: 1, want: "no time zone"},
		{name: "no count", expr: "@daily", loc: ny, n: 0, want: "at least 1"},
		{name: "never matches", expr: "0 0 30 2 *", loc: ny, n: 1, want: `cron "0 0 30 2 *": never fires`},
		{name: "every second", expr: "@every 0s", loc: ny, n: 1, want: `cron "@every 0s": interval must be at least 1m`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := schedule.Next(tc.expr, tc.loc, utc("2026-01-01T00:00:00Z"), tc.n)
			if err == nil {
				t.Fatalf("Next(%q) succeeded", tc.expr)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
			if got := errors.Is(err, schedule.ErrZonePrefix); got != tc.zonePrefix {
				t.Errorf("errors.Is(err, ErrZonePrefix) = %v, want %v (%v)", got, tc.zonePrefix, err)
			}
		})
	}
}

func TestParse_ReadsInTheGivenZone(t *testing.T) {
	tokyo := zone(t, "Asia/Tokyo")
	s, err := schedule.Parse("0 9 * * *", tokyo)
	if err != nil {
		t.Fatal(err)
	}
	got := s.Next(utc("2026-06-01T00:00:00Z"))
	if want := utc("2026-06-02T00:00:00Z"); !got.Equal(want) {
		t.Fatalf("Next = %s, want %s (09:00 in Tokyo)", got, want)
	}
	if got.Location() != tokyo || s.Location() != tokyo || s.String() != "0 9 * * *" {
		t.Fatalf("got %s in %s, spec %q in %s", got, got.Location(), s, s.Location())
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0 9 * * 1-5", "*/15 8-17 * * *", "@daily", "@every 1h30m", "TZ=UTC", "CRON_TZ=UTC 0 9 * * *",
		"0 0 30 2 *", "5-1 * * * *", "0 9 * JAN-MAR MON,FRI", "@every -1s", "? ? ? ? ?"} {
		f.Add(s)
	}
	ny := zone(f, "America/New_York")
	from := utc("2026-03-07T12:00:00Z")
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := schedule.Parse(expr, ny)
		if err != nil {
			return
		}
		if next := s.Next(from); !next.IsZero() && !next.After(from) {
			t.Fatalf("%q: Next(%s) = %s, not after", expr, from, next)
		}
	})
}
