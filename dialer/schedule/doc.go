// Package schedule starts and stops campaigns at the times given by their
// cron expressions (Campaign.Schedule), read in the zone of the campaign's
// calendar.
//
// Cron only triggers work: a start sets the campaign running and a stop
// sets it stopped; the engine does the rest. A start outside the calendar's
// open periods is fine, since the engine never dials outside them and
// simply waits for the next window.
//
// The Scheduler is driven by an injected clock, not by robfig/cron's own
// goroutine and timers: it computes each campaign's next start and stop
// times from the parsed expressions and applies them once Now() has passed
// them, checking on a short wall-clock tick. The rules it follows:
//
//   - A start applies to a stopped or finished campaign. A paused campaign
//     is left paused: an operator paused it and only an operator resumes it.
//     A running campaign stays as it is.
//   - A stop applies to a running or paused campaign. A finished campaign
//     stays finished.
//   - Each transition is one compare-and-set in the store, so an operator's
//     pause or stop made a moment before is never overwritten.
//   - Nothing is replayed after a restart: when the schedules are first
//     loaded, only times after that moment count. The state in the store is
//     what the operator or the last run left, and `dialer campaign start` or
//     `stop` applies a missed transition by hand.
//   - While running, when several times of one campaign passed between two
//     checks (the host slept, the clock jumped), only the latest start and
//     the latest stop are applied, in time order: that gives the same state
//     as applying every one of them. A start and a stop at the same instant
//     apply start first, so the stop wins.
//   - Schedules are reloaded every Options.Reload; a new or changed schedule
//     counts from the previous check, so no time falls between two checks.
package schedule
