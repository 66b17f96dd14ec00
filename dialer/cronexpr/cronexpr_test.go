package cronexpr_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer/cronexpr"
)

func TestParse_Refuses(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want string
		is   error
	}{
		{"@every 0s", "interval must be at least 1m", cronexpr.ErrTooOften},
		{"@every 59s", "interval must be at least 1m", cronexpr.ErrTooOften},
		{"@every -5m", "interval must be at least 1m", cronexpr.ErrTooOften},
		{"0 9 31 2 *", "never fires", cronexpr.ErrNeverFires},
		{"0 0 30 2 *", "never fires", cronexpr.ErrNeverFires},
		{"0 9 31 4,6,9,11 *", "never fires", cronexpr.ErrNeverFires},
		{"TZ=UTC 0 9 * * *", "TZ= or CRON_TZ= prefix", cronexpr.ErrZonePrefix},
		{"CRON_TZ=UTC", "TZ= or CRON_TZ= prefix", cronexpr.ErrZonePrefix},
		{"61 * * * *", "61", nil},
		{"", "empty", nil},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			_, err := cronexpr.Parse(tc.expr)
			if err == nil {
				t.Fatalf("Parse(%q) accepted", tc.expr)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q lacks %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("error %q is not %v", err, tc.is)
			}
		})
	}
}

func TestParse_Accepts(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		expr, next string
	}{
		{"@every 1m", "2026-01-01T00:01:00Z"},
		{"@every 90m", "2026-01-01T01:30:00Z"},
		{"0 9 * * 1-5", "2026-01-01T09:00:00Z"},
		{"0 9 29 2 *", "2028-02-29T09:00:00Z"},
		{"0 9 31 2 1", "2026-02-02T09:00:00Z"}, // day of month or day of week: Mondays of February
		{"@daily", "2026-01-02T00:00:00Z"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			s, err := cronexpr.Parse(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Next(from).UTC().Format(time.RFC3339); got != tc.next {
				t.Fatalf("next = %s, want %s", got, tc.next)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0 9 * * 1-5", "@every 1h", "@every 0s", "0 9 31 2 *", "TZ=UTC", "? ? ? ? ?", "5-1 * * * *"} {
		f.Add(s)
	}
	from := time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := cronexpr.Parse(expr)
		if err != nil {
			return
		}
		if next := s.Next(from); !next.After(from) {
			t.Fatalf("%q accepted but Next(%s) = %s", expr, from, next)
		}
	})
}
