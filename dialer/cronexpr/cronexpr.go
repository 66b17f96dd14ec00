// Package cronexpr reads the cron expressions that start and stop
// campaigns (robfig/cron's five standard fields or a descriptor) and
// refuses those that would do harm or nothing: a zone prefix (schedules
// are read in the campaign calendar's zone), an @every shorter than
// MinEvery, and an expression that matches no time at all.
//
// Campaign validation (package dialer) and the scheduler both read
// expressions through Parse, so a file is refused for the same reasons
// the daemon would refuse it.
package cronexpr

import (
	"errors"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// MinEvery is the shortest @every interval accepted. Starting or stopping
// a campaign more often than once a minute is a typo (@every 0s runs every
// second: robfig rounds it up), not a plan.
const MinEvery = time.Minute

var (
	// ErrZonePrefix is returned for an expression that names its own zone
	// with robfig's TZ= or CRON_TZ= prefix: a campaign's schedule is
	// always read in its calendar's zone, so a second zone in the
	// expression is refused rather than silently winning.
	ErrZonePrefix = errors.New("a TZ= or CRON_TZ= prefix is not allowed: the schedule is read in the campaign calendar's zone")
	// ErrTooOften is returned for an @every interval under MinEvery.
	ErrTooOften = errors.New("interval must be at least 1m")
	// ErrNeverFires is returned for an expression that matches no time,
	// such as 31 February.
	ErrNeverFires = errors.New("never fires: no date matches it (such as 30 February or 31 April)")
)

// neverFiresFrom is where the search for a first run starts. robfig's Next
// looks five years ahead, so any date a calendar has (29 February
// included) is found from it; a fixed date keeps the answer the same
// whenever a file is checked.
var neverFiresFrom = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Parse parses a standard five-field expression (minute hour day-of-month
// month day-of-week) or a descriptor (@yearly, @monthly, @weekly, @daily,
// @hourly, @every DURATION). The schedule it returns reads times in the
// zone of the time given to Next.
func Parse(expr string) (cron.Schedule, error) {
	if f := strings.Fields(expr); len(f) > 0 && (strings.HasPrefix(f[0], "TZ=") || strings.HasPrefix(f[0], "CRON_TZ=")) {
		// Checked before robfig parses: its prefix handling also panics on
		// an expression that is only a prefix ("TZ=UTC").
		return nil, ErrZonePrefix
	}
	sched, err := cron.ParseStandard(strings.TrimSpace(expr))
	if err != nil {
		return nil, err
	}
	if every, ok := sched.(cron.ConstantDelaySchedule); ok {
		if every.Delay < MinEvery {
			return nil, ErrTooOften
		}
		return sched, nil
	}
	if sched.Next(neverFiresFrom).IsZero() {
		return nil, ErrNeverFires
	}
	return sched, nil
}
