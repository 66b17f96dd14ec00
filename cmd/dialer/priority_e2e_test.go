package main

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/config"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
)

// urgentCampaign has priority 1 and one line: its six members are busy
// (numbers ending in 55) and tried twice 10 s apart, so it has members
// due while its one line is taken, and gaps with nothing due.
const urgentCampaign = `
name: urgent
priority: 1
mode: ivr
dial: {template: "loopback/{number}/dialer_lab"}
ivr: {extension: dialer_ivr_example, context: dialer_ivr}
limits: {lines: 1, ring_timeout: 5s}
retry: {max_attempts: 2, interval: 10s, max_minus: 1}
` + alwaysOpen

// routineCampaign has priority 2 and answering members (ending in 01).
const routineCampaign = `
name: routine
priority: 2
mode: ivr
dial: {template: "loopback/{number}/dialer_lab"}
ivr: {extension: dialer_ivr_example, context: dialer_ivr}
limits: {lines: 3, ring_timeout: 5s}
retry: {max_attempts: 1, interval: 10s, max_minus: 1}
` + alwaysOpen

// campaignCall is one customer call of the switch's record.
type campaignCall struct {
	campaign, member, number string
	start, end               time.Time
}

// campaignCalls are the customer calls among the switch's channels.
func campaignCalls(chs []switchtest.Channel) []campaignCall {
	var out []campaignCall
	for _, c := range switchtest.Customers(chs) {
		out = append(out, campaignCall{campaign: c.Vars["dialer_campaign"], member: c.Vars["dialer_member_id"],
			number: c.Destination, start: c.Created, end: c.Hangup})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].start.Before(out[j].start) })
	return out
}

// dueSpans are the spans in which a member of the campaign was due and
// not called yet, from the switch's record: from began (or its previous
// call's end plus interval) until its next call.
func dueSpans(calls []campaignCall, campaign string, began time.Time, interval time.Duration) [][2]time.Time {
	prev := map[string]campaignCall{}
	var out [][2]time.Time
	for _, c := range calls {
		if c.campaign != campaign {
			continue
		}
		from := began
		if p, ok := prev[c.member]; ok {
			from = p.end.Add(interval)
		}
		out = append(out, [2]time.Time{from, c.start})
		prev[c.member] = c
	}
	return out
}

// runPriorities runs urgent and routine on three global lines until both
// finish, and returns the switch's calls and when the run began.
func runPriorities(t *testing.T, sw switchtest.Backend, priority string) ([]campaignCall, time.Time) {
	t.Helper()
	e := newE2E(t, sw)
	e.cfg.Limits.MaxCalls = 3
	e.cfg.Priority = priority
	urgent := make([]string, 6)
	for i := range urgent {
		urgent[i] = fmt.Sprintf("u%d:+1212555%02d55", i, 10+i)
	}
	routine := make([]string, 30)
	for i := range routine {
		routine[i] = fmt.Sprintf("r%d:+1646555%02d01", i, 10+i)
	}
	e.load(urgentCampaign, urgent)
	e.load(routineCampaign, routine)
	began := sw.Now()
	before := len(sw.Channels())
	waitDaemon(t, e.serve(e.ctx, serveOptions{untilDone: true, statusTick: 50 * time.Millisecond}, sw.Now), 120*time.Second)
	calls := campaignCalls(sw.Channels()[before:]) // the switch's channels since this run began
	count := map[string]int{}
	for _, c := range calls {
		count[c.campaign]++
		if c.end.IsZero() {
			t.Errorf("call %s of %s never ended", c.number, c.campaign)
		}
	}
	if count["urgent"] != 12 || count["routine"] != 30 {
		t.Fatalf("the switch saw %v calls, want urgent 12 (6 members x 2) and routine 30", count)
	}
	return calls, began
}

// TestServe_StrictPriority: under priority: strict the switch sees no
// originate of the priority-2 campaign while the priority-1 campaign has a
// member due (its one line taken, or the shared lines held by priority-2
// calls that started before), and priority-2 calls in priority 1's
// retry gaps; under share both dial together.
func TestServe_StrictPriority(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 4, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		// A member falls due while its campaign is idle: the dispatcher
		// sees it within 200 ms and a tick; the switch's clock and event
		// times add their lag.
		slack := 400*time.Millisecond + time.Duration(sw.Speed()*float64(50*time.Millisecond))
		// Calls sent in the same tick reach the switch in any order.
		sameTick := 50*time.Millisecond + time.Duration(sw.Speed()*float64(30*time.Millisecond))
		calls, began := runPriorities(t, sw, config.PriorityStrict)
		spans := dueSpans(calls, "urgent", began, 10*time.Second)
		inGaps := 0
		var bad []string
		for _, c := range calls {
			if c.campaign != "routine" {
				continue
			}
			held := false
			for _, s := range spans {
				if c.start.After(s[0].Add(slack)) && c.start.Before(s[1].Add(-sameTick)) {
					held = true
					bad = append(bad, fmt.Sprintf("%s at %s (urgent due %s..%s)", c.number,
						c.start.Sub(began).Round(time.Millisecond), s[0].Sub(began).Round(time.Millisecond),
						s[1].Sub(began).Round(time.Millisecond)))
				}
			}
			if !held && c.start.Before(spans[len(spans)-1][1]) {
				inGaps++
			}
		}
		if len(bad) > 0 {
			t.Errorf("strict: routine dialed while urgent had a member due:\n%s", strings.Join(bad, "\n"))
		}
		if inGaps == 0 {
			t.Errorf("strict: routine never dialed in urgent's retry gap")
		}
		t.Logf("strict: %d routine calls in urgent's gap, before urgent's last call", inGaps)

		calls, began = runPriorities(t, sw, config.PriorityShare)
		spans = dueSpans(calls, "urgent", began, 10*time.Second)
		together := 0
		for _, c := range calls {
			for _, s := range spans {
				if c.campaign == "routine" && c.start.After(s[0].Add(slack)) && c.start.Before(s[1].Add(-sameTick)) {
					together++
					break
				}
			}
		}
		if together == 0 {
			t.Errorf("share: routine never dialed while urgent had a member due; the contrast shows nothing")
		}
		t.Logf("share: %d routine calls while urgent had a member due", together)
	})
}
