package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
)

var monday = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

const ivr = `
mode: ivr
dial: {template: "loopback/{number}/dialer_lab"}
ivr: {extension: ivr}
`

// numbers returns n distinct numbers ending in the given two digits.
func numbers(n int, last2 string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("m%d:+1212%05d%s", i, 20000+i, last2)
	}
	return out
}

func TestEngine_LinesLimit(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 100, MaxCPS: 100}, func(string) outcome {
		return outcome{ring: time.Second, answer: true, talk: time.Minute}
	})
	h.campaign("name: lines\n"+ivr+"limits: {lines: 3}\n", numbers(10, "01")...)
	h.run(5*time.Minute, 50*time.Millisecond)
	if got := h.sw.maxConcurrent("lines"); got != 3 {
		t.Fatalf("max concurrent = %d, want exactly the 3 lines", got)
	}
	if got := len(h.sw.placed); got != 10 {
		t.Fatalf("placed %d calls, want all 10 members once", got)
	}
}

func TestEngine_CallsPerIntervalSmoothed(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 1000, MaxCPS: 1000}, func(string) outcome {
		return outcome{ring: time.Second, answer: true, talk: 3 * time.Second}
	})
	h.campaign("name: rate\n"+ivr+"limits: {lines: 100, calls: 5, interval: 2s}\n", numbers(200, "01")...)
	h.run(20*time.Second, 20*time.Millisecond)
	if got := h.sw.maxInWindow("rate", 2*time.Second); got > 5 {
		t.Fatalf("%d originates in a 2 s window, limit 5", got)
	}
	// 2.5 calls a second: fractions accumulate, so 20 s give 50 (+1 for the first).
	if got := len(h.sw.placed); got < 49 || got > 51 {
		t.Fatalf("placed %d calls in 20 s at 2.5/s", got)
	}
	// Smoothed: never two calls closer than the tick to each other.
	for i := 1; i < len(h.sw.placed); i++ {
		if gap := h.sw.placed[i].at.Sub(h.sw.placed[i-1].at); gap < 380*time.Millisecond {
			t.Fatalf("calls %d and %d only %s apart: a burst", i-1, i, gap)
		}
	}
}

func TestEngine_GlobalLimits(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 8, MaxCPS: 4}, func(string) outcome {
		return outcome{ring: time.Second, answer: true, talk: 20 * time.Second}
	})
	h.campaign("name: a\n"+ivr+"limits: {lines: 50}\n", numbers(40, "01")...)
	h.campaign("name: b\n"+ivr+"limits: {lines: 50}\n", numbers(40, "02")[0:0]...)
	bNums := make([]string, 40)
	for i := range bNums {
		bNums[i] = fmt.Sprintf("b%d:+1646%05d02", i, 30000+i)
	}
	h.campaign("name: c\n"+ivr+"limits: {lines: 50}\n", bNums...)
	h.run(2*time.Minute, 20*time.Millisecond)
	if got := h.sw.maxInWindow("", time.Second); got > 4 {
		t.Fatalf("%d originates in one second over all campaigns, global limit 4", got)
	}
	if got := h.sw.maxConcurrent(""); got != 8 {
		t.Fatalf("max concurrent = %d, want the global 8", got)
	}
}

func TestEngine_PriorityBetweenCampaigns(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 4, MaxCPS: 100}, func(string) outcome {
		return outcome{ring: time.Second, answer: true, talk: 30 * time.Second}
	})
	low := make([]string, 10)
	for i := range low {
		low[i] = fmt.Sprintf("low%d:+1646%05d01", i, 40000+i)
	}
	h.campaign("name: low\npriority: 4\n"+ivr+"limits: {lines: 10}\n", low...)
	h.campaign("name: high\npriority: 1\n"+ivr+"limits: {lines: 10}\n", numbers(12, "01")...)
	h.run(3*time.Minute, 50*time.Millisecond)
	firstLow := time.Time{}
	lastHigh := time.Time{}
	for _, p := range h.sw.placed {
		switch p.campaign {
		case "low":
			if firstLow.IsZero() {
				firstLow = p.at
			}
		case "high":
			lastHigh = p.at
		}
	}
	if firstLow.IsZero() || lastHigh.IsZero() {
		t.Fatalf("both campaigns should have dialed: %d calls", len(h.sw.placed))
	}
	if firstLow.Before(lastHigh) {
		t.Fatalf("low priority dialed at %s before high priority's last member at %s while lines were scarce", firstLow, lastHigh)
	}
}

func TestEngine_CalendarWeekAcrossDST(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	// Thursday 2026-10-29 to Thursday 2026-11-05: fall back on Sunday 11-01.
	start := time.Date(2026, 10, 29, 0, 0, 0, 0, ny)
	h := newHarness(t, start, Config{MaxCalls: 50, MaxCPS: 50}, func(string) outcome {
		return outcome{ring: time.Second, cause: "USER_BUSY"}
	})
	h.campaign("name: week\n"+ivr+`
limits: {lines: 5}
retry: {max_attempts: 100, interval: 20m}
calendar:
  timezone: America/New_York
  weekly:
    mon: ["09:00-12:00"]
    thu: ["09:00-12:00"]
    fri: ["09:00-12:00"]
    sun: ["01:00-02:00"]
`, numbers(3, "05")...)
	h.run(7*24*time.Hour+12*time.Hour, time.Minute)
	cal, err := h.db.CampaignCalendar(h.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	days := map[string]int{}
	for _, p := range h.sw.placed {
		if !cal.Calendar.IsOpen(p.at) {
			t.Fatalf("originate at %s outside the calendar", p.at.In(ny))
		}
		days[p.at.In(ny).Format("Mon 01-02")]++
	}
	for _, d := range []string{"Thu 10-29", "Fri 10-30", "Sun 11-01", "Mon 11-02", "Thu 11-05"} {
		if days[d] == 0 {
			t.Errorf("no calls on %s: %v", d, days)
		}
	}
	// Sunday's 01:00-02:00 happens twice on the fall-back day: two hours of calls.
	var sunday []time.Time
	for _, p := range h.sw.placed {
		if p.at.In(ny).Format("01-02") == "11-01" {
			sunday = append(sunday, p.at)
		}
	}
	if span := sunday[len(sunday)-1].Sub(sunday[0]); span < 100*time.Minute {
		t.Fatalf("fall-back Sunday calls span %s, want close to the two real hours of 01:00-02:00", span)
	}
}

func TestEngine_DailyCap(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, func(string) outcome {
		return outcome{ring: time.Second, cause: "USER_BUSY"}
	})
	h.campaign("name: cap\n"+ivr+"retry: {max_attempts: 50, interval: 10m, max_per_day: 2}\n", numbers(2, "05")...)
	h.run(72*time.Hour, time.Minute)
	perDay := map[string]int{}
	for _, p := range h.sw.placed {
		perDay[p.member+" "+p.at.Format("2006-01-02")]++
	}
	if len(perDay) != 2*4 { // two members on Nov 23, 24, 25 and 26 (72 h from noon)
		t.Errorf("member-days = %v", perDay)
	}
	for k, n := range perDay {
		if n > 2 {
			t.Fatalf("%s: %d attempts, cap 2 a day", k, n)
		}
	}
}

func TestEngine_ExpiryBlocklistRotation(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, numbering)
	c := h.campaign("name: rules\n"+ivr+"retry: {max_attempts: 5, interval: 1m}\n",
		"rotate:+12125550155,+12125550101", // busy first, then the answering number
		"blocked:+12125550102",
		"half:+12125550103,+12125550104",
		"expired:+12125550106",
	)
	if _, err := h.db.BlockNumbers(h.ctx, "", []string{"+12125550102", "+12125550103"}, "test"); err != nil {
		t.Fatal(err)
	}
	expiredID := h.members(c.ID)["expired"].ID
	h.run(10*time.Minute, 100*time.Millisecond)
	ms := h.members(c.ID)
	dialed := map[string][]string{}
	for _, p := range h.sw.placed {
		dialed[p.member] = append(dialed[p.member], p.req.Number)
	}
	for _, p := range h.sw.placed {
		if p.req.Number == "+12125550102" || p.req.Number == "+12125550103" {
			t.Fatalf("blocked number %s dialed", p.req.Number)
		}
	}
	if got := ms["blocked"]; got.State != dialer.MemberFailed || got.EndCause != "BLOCKED" {
		t.Errorf("blocked member = %s %s, want failed BLOCKED", got.State, got.EndCause)
	}
	if got := ms["expired"]; got.State != dialer.MemberFailed || got.EndCause != "MEMBER_EXPIRED" {
		t.Errorf("expired member = %s %s", got.State, got.EndCause)
	}
	if got := ms["half"]; got.State != dialer.MemberDone {
		t.Errorf("member with one blocked number = %s, want done on its other number", got.State)
	}
	rot := dialed[fmt.Sprint(ms["rotate"].ID)]
	if len(rot) != 2 || rot[0] != "+12125550155" || rot[1] != "+12125550101" {
		t.Errorf("rotation dialed %v, want the busy number then the next one", rot)
	}
	if ms["rotate"].State != dialer.MemberDone {
		t.Errorf("rotate member = %s", ms["rotate"].State)
	}
	if len(dialed[fmt.Sprint(expiredID)]) != 0 {
		t.Errorf("expired member dialed")
	}
}

func TestEngine_CauseClasses(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 50, MaxCPS: 50}, numbering)
	c := h.campaign("name: classes\n"+ivr+"min_success: 5s\nretry: {max_attempts: 3, interval: 10m, max_minus: 1}\n",
		"ok:+12125550101", "busy:+12125550151", "noanswer:+12125550161", "unalloc:+12125550171",
		"rejected:+12125550181", "congested:+12125550191")
	h.run(5*time.Minute, 100*time.Millisecond)
	ms := h.members(c.ID)
	check := func(name string, state dialer.MemberState, attempts, minus int, endCause string) {
		t.Helper()
		m := ms[name]
		if m.State != state || m.Attempts != attempts || m.Minus != minus || m.EndCause != endCause {
			t.Errorf("%s = %s attempts %d minus %d end %q; want %s %d %d %q", name, m.State, m.Attempts, m.Minus, m.EndCause,
				state, attempts, minus, endCause)
		}
	}
	check("ok", dialer.MemberDone, 1, 0, "")
	check("busy", dialer.MemberWaiting, 1, 0, "")
	check("noanswer", dialer.MemberWaiting, 1, 0, "")
	check("unalloc", dialer.MemberFailed, 1, 0, "UNALLOCATED_NUMBER")
	check("rejected", dialer.MemberFailed, 1, 0, "CALL_REJECTED")
	check("congested", dialer.MemberWaiting, 0, 1, "")
	if due := ms["busy"].DueAt; !due.Equal(monday.Add(time.Second).Add(10*time.Minute).Add(time.Second)) && due.Sub(monday) < 10*time.Minute {
		t.Errorf("busy member due at %s: want the retry interval after the attempt", due)
	}
	// The attempt of the answered call records its class and billsec.
	as := h.attemptsOf(ms["ok"])
	if len(as) != 1 || as[0].Class != "ok" || as[0].Billsec != 10*time.Second || as[0].AnsweredAt.IsZero() {
		t.Errorf("ok attempt = %+v", as)
	}
	// Run on: the retries happen after their interval and end as the policy says.
	h.run(40*time.Minute, 500*time.Millisecond)
	ms = h.members(c.ID)
	check("busy", dialer.MemberFailed, 3, 0, "MAX_TRY_COUNT")
	// Past the minus bound congestion counts: every outcome was still a minus cause.
	check("congested", dialer.MemberFailed, 3, 4, "MAX_TRY_COUNT")
	for _, name := range []string{"busy", "congested"} {
		as := h.attemptsOf(ms[name])
		for i := 1; i < len(as); i++ {
			if gap := as[i].CreatedAt.Sub(as[i-1].EndedAt); gap < 10*time.Minute {
				t.Errorf("%s redialed %s after its previous attempt, interval 10m", name, gap)
			}
		}
	}
}

func TestEngine_ReconcileOpenAttempts(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10, LostGrace: 5 * time.Second}, numbering)
	c := h.campaign("name: rec\n"+ivr+"limits: {ring_timeout: 20s}\nretry: {interval: 10m}\n",
		"gone:+12125550101", "alive:+12125550102", "fresh:+12125550103")
	ms := h.members(c.ID)
	// Attempts left open by a crash: one whose channel is gone, one still up,
	// one sent a moment ago whose channel may not exist yet.
	ids, err := h.db.StartAttempts(h.ctx, []dialer.NewAttempt{
		{CampaignID: c.ID, MemberID: ms["gone"].ID, CommunicationID: ms["gone"].Communications[0].ID, Number: "+12125550101", UUID: "u-gone", At: monday.Add(-time.Minute)},
		{CampaignID: c.ID, MemberID: ms["alive"].ID, CommunicationID: ms["alive"].Communications[0].ID, Number: "+12125550102", UUID: "u-alive", At: monday.Add(-time.Minute)},
		{CampaignID: c.ID, MemberID: ms["fresh"].ID, CommunicationID: ms["fresh"].Communications[0].ID, Number: "+12125550103", UUID: "u-fresh", At: monday},
	})
	if err != nil || ids[0] == 0 || ids[1] == 0 || ids[2] == 0 {
		t.Fatalf("seed attempts: %v %v", ids, err)
	}
	h.sw.exists["u-alive"] = true
	h.run(time.Second, 100*time.Millisecond)
	ms = h.members(c.ID)
	if m := ms["gone"]; m.State != dialer.MemberWaiting || m.Attempts != 1 || m.LastCause != "DIALER_LOST" || m.DueAt.Before(monday.Add(10*time.Minute)) {
		t.Fatalf("gone = %s attempts %d cause %s due %s; want waiting, counted DIALER_LOST, due after the interval",
			m.State, m.Attempts, m.LastCause, m.DueAt)
	}
	for _, name := range []string{"alive", "fresh"} {
		if m := ms[name]; m.State != dialer.MemberCalling {
			t.Fatalf("%s = %s, want still calling (followed or awaited)", name, m.State)
		}
	}
	// The live channel ends: its record is finalised from its events.
	h.sw.updates <- Update{Kind: CallChanged, UUID: "u-alive", Final: true, Answered: true, AnsweredAt: monday,
		Cause: "NORMAL_CLEARING", Billsec: 30 * time.Second, HangupAt: monday.Add(time.Second)}
	// The fresh one never shows up: lost once its ring timeout and grace are over.
	h.run(30*time.Second, 100*time.Millisecond)
	ms = h.members(c.ID)
	if m := ms["alive"]; m.State != dialer.MemberDone {
		t.Errorf("alive = %s, want done", m.State)
	}
	if m := ms["fresh"]; m.State != dialer.MemberWaiting || m.LastCause != "DIALER_LOST" {
		t.Errorf("fresh = %s %s, want waiting DIALER_LOST after the grace", m.State, m.LastCause)
	}
	for _, p := range h.sw.placed {
		if p.member == fmt.Sprint(ms["gone"].ID) || p.member == fmt.Sprint(ms["fresh"].ID) {
			t.Errorf("member %s redialed before its retry interval", p.member)
		}
	}
	open, _ := h.db.OpenAttempts(h.ctx)
	if len(open) != 0 {
		t.Errorf("open attempts left: %+v", open)
	}
}

func TestEngine_CampaignFinishes(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, numbering)
	h.campaign("name: fin\n"+ivr, numbers(3, "01")...)
	h.run(2*time.Minute, 100*time.Millisecond)
	c, err := h.db.Campaign(h.ctx, "fin")
	if err != nil {
		t.Fatal(err)
	}
	if c.State != dialer.StateFinished {
		t.Fatalf("state = %s, want finished", c.State)
	}
}

func TestEngine_PausedCampaignDoesNotDial(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, numbering)
	h.campaign("name: p\n"+ivr, numbers(3, "01")...)
	if _, err := h.db.SetCampaignState(h.ctx, "p", dialer.StatePaused); err != nil {
		t.Fatal(err)
	}
	h.run(time.Minute, 100*time.Millisecond)
	if len(h.sw.placed) != 0 {
		t.Fatalf("paused campaign dialed %d calls", len(h.sw.placed))
	}
	if _, err := h.db.SetCampaignState(h.ctx, "p", dialer.StateRunning); err != nil {
		t.Fatal(err)
	}
	h.run(time.Second, 100*time.Millisecond)
	if len(h.sw.placed) != 3 {
		t.Fatalf("resumed campaign dialed %d of 3 within a second", len(h.sw.placed))
	}
}
