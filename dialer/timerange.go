package dialer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TimeRange limits what a report counts to what began in [Since, Until);
// a zero bound leaves that side open.
type TimeRange struct {
	Since, Until time.Time
}

// Check refuses a range that ends before it begins.
func (r TimeRange) Check() error {
	if !r.Since.IsZero() && !r.Until.IsZero() && !r.Until.After(r.Since) {
		return fmt.Errorf("until %s is not after since %s", r.Until.Format(time.RFC3339), r.Since.Format(time.RFC3339))
	}
	return nil
}

// boundLayouts are the zone-less forms a bound may take, read in the
// zone given (the campaign's calendar zone).
var boundLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"}

// ParseTimeBound reads one end of a TimeRange: an RFC 3339 time
// (2026-11-23T15:00:00Z); a date or a date and time without a zone
// (2026-11-23, 2026-11-23T09:00), read in loc; or a duration back from
// now (24h, 90m, 7d). A date as the end of a range (end true) means the
// end of that day, so "--since 2026-11-01 --until 2026-11-30" counts the
// whole of November 30. "" is an open bound (the zero time). The result
// is truncated to the millisecond, as the store keeps times.
func ParseTimeBound(s string, now time.Time, loc *time.Location, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if loc == nil {
		loc = time.UTC
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.Truncate(time.Millisecond), nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		if end {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
		}
		return t, nil
	}
	for _, layout := range boundLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	if d, err := parseAgo(s); err == nil {
		return now.Add(-d).Truncate(time.Millisecond), nil
	} else if !errors.Is(err, errNotDuration) {
		return time.Time{}, err
	}
	return time.Time{}, fmt.Errorf("%q: want an RFC 3339 time (2026-11-23T15:00:00Z), a date or date and time in %s "+
		"(2026-11-23, 2026-11-23T09:00), or a duration back from now (24h, 7d)", s, loc)
}

var errNotDuration = errors.New("not a duration")

// parseAgo reads a positive duration: Go's form (24h, 1h30m) or whole
// days (7d).
func parseAgo(s string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, errNotDuration
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, errNotDuration
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q: a duration back from now must be positive", s)
	}
	return d, nil
}
