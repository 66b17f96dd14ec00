package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
)

// cronLag bounds, in wall time, how long a cron time takes to show in the
// simulator's record: the scheduler looks at the clock every 200 ms
// (schedule.Options.Tick), the engine sees the new state at its next 20 ms
// tick and originates at once. The rest is slack for a loaded machine. At
// speed s, times are asserted within s × cronLag of simulated time.
const cronLag = 800 * time.Millisecond

// cronCampaign is a campaign that stays busy for as long as it runs: its
// members (numbers ending 60-69) ring until the 10 s ring timeout and are
// retried after retry, up to 1000 times. Its schedule and calendar are read
// in America/New_York; the calendar is open every day over periods.
func cronCampaign(name, start, stop, retry, periods string) string {
	return fmt.Sprintf(`
name: %s
mode: ivr
dial: {template: "loopback/{number}/dialer_lab"}
ivr: {extension: dialer_ivr_example, context: dialer_ivr}
limits: {lines: 5, calls: 10, interval: 1s, ring_timeout: 10s}
retry: {max_attempts: 1000, interval: %s}
schedule: {start: %q, stop: %q}
calendar:
  timezone: America/New_York
  weekly: {mon: [%[5]q], tue: [%[5]q], wed: [%[5]q], thu: [%[5]q], fri: [%[5]q], sat: [%[5]q], sun: [%[5]q]}
`, name, retry, start, stop, periods)
}

// ringingMembers are ten members ("name:number") whose numbers end in 60
// to 69, so that every call rings until the ring timeout (NO_ANSWER);
// base keeps the numbers of two campaigns apart.
func ringingMembers(prefix string, base int) []string {
	var out []string
	for i := 60; i <= 69; i++ {
		out = append(out, fmt.Sprintf("%s%02d:+1212555%04d", prefix, i, base+i))
	}
	return out
}

// stateSample is a campaign's state as read from the store at some moment
// between from and to on the simulated clock.
type stateSample struct {
	from, to time.Time
	state    dialer.State
}

// watchStates reads the campaigns' states from the store every 10 ms of
// wall time until the daemon's clock now passes until.
func (e *e2e) watchStates(now func() time.Time, until time.Time, names ...string) map[string][]stateSample {
	e.t.Helper()
	out := map[string][]stateSample{}
	for now().Before(until) {
		for _, name := range names {
			from := now()
			c, err := e.db.Campaign(e.ctx, name)
			if err != nil {
				e.t.Fatal(err)
			}
			out[name] = append(out[name], stateSample{from: from, to: now(), state: c.State})
		}
		time.Sleep(10 * time.Millisecond)
	}
	return out
}

// checkState fails unless every sample read wholly within [from, to) says
// want, and at least one was.
func checkState(t *testing.T, name string, ss []stateSample, from, to time.Time, want dialer.State) {
	t.Helper()
	n := 0
	for _, s := range ss {
		if s.from.Before(from) || !s.to.Before(to) {
			continue
		}
		n++
		if s.state != want {
			t.Errorf("campaign %s is %s at %s, want %s (between %s and %s)", name, s.state,
				s.from.Format("Mon 15:04:05 MST"), want, from.Format("Mon 15:04:05 MST"), to.Format("Mon 15:04:05 MST"))
			return
		}
	}
	if n == 0 {
		t.Errorf("campaign %s: no state read between %s and %s", name, from.Format("Mon 15:04:05 MST"), to.Format("Mon 15:04:05 MST"))
	}
}

// originatesBy returns when the switch created the customer calls, by
// campaign, in creation order, on the daemon's clock (toClock maps the
// switch's clock to it).
func originatesBy(sw switchtest.Backend, toClock func(time.Time) time.Time) map[string][]time.Time {
	out := map[string][]time.Time{}
	for _, c := range agentRunOf(sw).customers {
		name := c.Vars["dialer_campaign"]
		out[name] = append(out[name], toClock(c.Created))
	}
	return out
}

// fastClock runs from origin k times faster than wall time: the clock a
// daemon runs on against a real switch, so that a cron schedule's minutes
// pass in seconds while the switch takes the calls in real time.
type fastClock struct {
	origin, wall0 time.Time
	k             float64
}

func newFastClock(origin time.Time, k float64) fastClock {
	return fastClock{origin: origin, wall0: time.Now(), k: k}
}

func (c fastClock) now() time.Time { return c.at(time.Now()) }

// at maps a wall time to the clock.
func (c fastClock) at(wall time.Time) time.Time {
	return c.origin.Add(time.Duration(float64(wall.Sub(c.wall0)) * c.k))
}

// within returns the times in [from, to); a zero to means no end.
func within(ts []time.Time, from, to time.Time) []time.Time {
	var out []time.Time
	for _, t := range ts {
		if !t.Before(from) && (to.IsZero() || t.Before(to)) {
			out = append(out, t)
		}
	}
	return out
}

// stamp formats a simulated time for a failure message.
func stamp(t time.Time) string { return t.Format("Mon 15:04:05.000 MST") }

// newYork loads America/New_York, whose DST changes the tests straddle.
func newYork(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestServe_CronStartsAndStops runs the daemon on the simulator's clock on
// the morning New York falls back to EST, with two stopped campaigns
// scheduled to start at 09:05 and stop at 09:12 New York time. One is
// open all day: it dials from 09:05 until 09:12 and not a moment outside.
// The other's calendar opens at 09:08: it is running from 09:05 but waits
// for its window. Read in UTC, or with the day before's offset, the times
// would fall hours or an hour away from the simulated morning.
func TestServe_CronStartsAndStops(t *testing.T) {
	ny := newYork(t)
	at := func(hour, minute int) time.Time { return time.Date(2026, 11, 1, hour, minute, 0, 0, ny) }
	switchtest.Each(t, fssim.Options{Speed: 60, StartTime: at(9, 2), HeartbeatInterval: time.Minute}, func(t *testing.T, sw switchtest.Backend) {
		// On the simulator the daemon runs on the simulator's clock; on a
		// real switch on a clock 10 times faster than the switch's, over a
		// shorter morning: start 09:05, calendar of "late" opening 09:06,
		// stop 09:07.
		speed := 60.0
		start, stop, opens := at(9, 5), at(9, 12), at(9, 8)
		now, toClock := sw.Now, func(t time.Time) time.Time { return t }
		ring := 10 * time.Second
		// skew is how far the switch's event times may lag the daemon's
		// clock: FreeSWITCH stamps events from a cached time that trails
		// the system clock by a few milliseconds, which the fast clock
		// multiplies.
		var skew time.Duration
		if sw.Real() {
			skew = time.Duration(speed) * switchtest.ClockLag
			speed, stop, opens = 10, at(9, 7), at(9, 6)
			c := newFastClock(at(9, 5).Add(-20*time.Second), speed)
			now, toClock = c.now, c.at
			ring = time.Duration(speed) * 10 * time.Second
		}
		tol := time.Duration(speed) * cronLag
		e := newE2E(t, sw)
		e.apply(cronCampaign("cron", "5 9 * * *", fmt.Sprintf("%d 9 * * *", stop.Minute()), "20s", "00:00-24:00"), ringingMembers("c", 100))
		e.apply(cronCampaign("late", "5 9 * * *", fmt.Sprintf("%d 9 * * *", stop.Minute()), "20s", opens.Format("15:04")+"-24:00"), ringingMembers("l", 200))
		ctx, cancel := context.WithCancel(e.ctx)
		defer cancel()
		began, from := time.Now(), now()
		done := e.serve(ctx, serveOptions{drain: 5 * time.Second, statusTick: 50 * time.Millisecond}, now)
		// A minute past the stop and its tolerance shows that nothing dials on.
		states := e.watchStates(now, stop.Add(tol+time.Minute), "cron", "late")
		cancel()
		waitDaemon(t, done, 30*time.Second)
		t.Logf("wall time %s for %s of the daemon's time", time.Since(began).Round(time.Millisecond), now().Sub(from).Round(time.Second))

		byCampaign := originatesBy(sw, toClock)
		for _, c := range []struct {
			name  string
			first time.Time // when dialing may begin
		}{{"cron", start}, {"late", opens}} {
			calls := byCampaign[c.name]
			if len(calls) == 0 {
				t.Fatalf("campaign %s never dialed", c.name)
			}
			if early := within(calls, time.Time{}, c.first.Add(-skew)); len(early) > 0 {
				t.Errorf("campaign %s dialed at %s, before %s", c.name, stamp(early[0]), stamp(c.first))
			}
			t.Logf("campaign %s: %d calls, the first %s after %s, the last at %s", c.name, len(calls),
				calls[0].Sub(c.first).Round(time.Millisecond), stamp(c.first), stamp(calls[len(calls)-1]))
			if calls[0].After(c.first.Add(tol)) {
				t.Errorf("campaign %s first dialed at %s, want by %s", c.name, stamp(calls[0]), stamp(c.first.Add(tol)))
			}
			// Busy up to the stop, so that the stop is what ended the dialing.
			if n := len(within(calls, stop.Add(-ring-time.Minute), stop)); n == 0 {
				t.Errorf("campaign %s did not dial in the minute before the stop", c.name)
			}
			if late := within(calls, stop.Add(tol), time.Time{}); len(late) > 0 {
				t.Errorf("campaign %s dialed at %s, after the stop at %s (tolerance %s)", c.name, stamp(late[0]), stamp(stop), tol)
			}
			checkState(t, c.name, states[c.name], time.Time{}, start, dialer.StateStopped)
			checkState(t, c.name, states[c.name], start.Add(tol), stop, dialer.StateRunning)
			checkState(t, c.name, states[c.name], stop.Add(tol), stop.Add(tol+time.Minute), dialer.StateStopped)
		}
		// Started by cron, the late campaign waited for its calendar.
		checkState(t, "late", states["late"], start.Add(tol), opens, dialer.StateRunning)
		// Calls ringing at the stop ended by the ring timeout.
		for _, s := range spans(sw, time.Time{}) {
			if end := toClock(s.end); end.After(stop.Add(tol + ring)) {
				t.Errorf("call to %s ended at %s, after the stop and the ring timeout", s.number, stamp(end))
			}
		}
	})
}

// TestServe_CronNextDayAcrossDST runs the daemon for a day and a bit, at
// high speed, across the night New York springs forward: the campaign
// starts at 09:00 and stops at 10:00 on both days, so on the second day
// one hour earlier in UTC. The second start must come from the next
// day's time in the new offset, not from the first day's run.
func TestServe_CronNextDayAcrossDST(t *testing.T) {
	t.Parallel()
	ny := newYork(t)
	sat := func(hour, minute int) time.Time { return time.Date(2026, 3, 7, hour, minute, 0, 0, ny) }
	sun := func(hour, minute int) time.Time { return time.Date(2026, 3, 8, hour, minute, 0, 0, ny) }
	const speed = 3600
	tol := speed * cronLag // 48 min of simulated time, less than the DST hour
	if got, want := sun(9, 0).Sub(sat(9, 0)), 23*time.Hour; got != want {
		t.Fatalf("09:00 to 09:00 across the change is %s, want %s", got, want)
	}
	e := newSimE2E(t, fssim.Options{Speed: speed, StartTime: sat(7, 30), HeartbeatInterval: 10 * time.Minute})
	e.apply(cronCampaign("daily", "0 9 * * *", "0 10 * * *", "5m", "00:00-24:00"), ringingMembers("d", 100))
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	began := time.Now()
	done := e.serve(ctx, serveOptions{drain: 5 * time.Second, statusTick: 50 * time.Millisecond}, e.sim.Now)
	states := e.watchStates(e.sim.Now, sun(10, 0).Add(tol+10*time.Minute), "daily")
	cancel()
	waitDaemon(t, done, 30*time.Second)
	t.Logf("wall time %s for %s of simulated time", time.Since(began).Round(time.Millisecond), e.sim.Now().Sub(sat(7, 30)).Round(time.Minute))

	calls := originatesBy(e.sw, func(t time.Time) time.Time { return t })["daily"]
	for _, w := range []struct{ start, stop time.Time }{{sat(9, 0), sat(10, 0)}, {sun(9, 0), sun(10, 0)}} {
		in := within(calls, w.start, w.stop.Add(tol))
		if len(in) == 0 {
			t.Errorf("no call between %s and %s", stamp(w.start), stamp(w.stop.Add(tol)))
			continue
		}
		t.Logf("%d calls from %s, the first %s after it, the last at %s", len(in), stamp(w.start),
			in[0].Sub(w.start).Round(time.Second), stamp(in[len(in)-1]))
		if in[0].After(w.start.Add(tol)) {
			t.Errorf("first call at %s, want by %s", stamp(in[0]), stamp(w.start.Add(tol)))
		}
		if len(within(calls, w.stop.Add(-10*time.Minute), w.stop)) == 0 {
			t.Errorf("no call in the 10 minutes before the stop at %s", stamp(w.stop))
		}
		checkState(t, "daily", states["daily"], w.start.Add(tol), w.stop, dialer.StateRunning)
	}
	quiet := []struct{ from, to time.Time }{
		{sat(7, 30), sat(9, 0)},
		{sat(10, 0).Add(tol), sun(9, 0)},
		{sun(10, 0).Add(tol), sun(10, 0).Add(tol + 10*time.Minute)},
	}
	for _, q := range quiet {
		if in := within(calls, q.from, q.to); len(in) > 0 {
			t.Errorf("call at %s, while the campaign is stopped (%s to %s)", stamp(in[0]), stamp(q.from), stamp(q.to))
		}
		checkState(t, "daily", states["daily"], q.from, q.to, dialer.StateStopped)
	}
}
