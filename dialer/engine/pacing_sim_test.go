package engine

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/store"
)

// The pacing simulation runs a whole working day of a 20-agent campaign on
// the test clock: the engine, a real SQLite store and the fake switch,
// whose customers behave as testdata/scenarios/pacing-day.yaml draws them
// (fssim's own distribution code, with the scenario's seed). It measures
// what the pacing acceptance asks for (BENCHMARKS.md, "Pacing"): agent
// occupancy, talk and wrap-up over logged-in time, and the abandon rate,
// over the day and over every window the ledger would show.

// pacingScenarioFile is the day's callee behaviour.
const pacingScenarioFile = "../../testdata/scenarios/pacing-day.yaml"

// pacingStep is the simulation's tick: every call event and dispatcher
// pass lands on a multiple of it. At 100 ms an 8-hour day is 288,000
// ticks and runs in about 30 s of wall time a mode; a coarser tick runs no
// faster (idle ticks cost little) and makes every agent wait for the
// next tick longer than the daemon's 20 ms dispatcher would.
const pacingStep = 100 * time.Millisecond

// pacingSession is the agents' session in every mode: logged in once and
// kept on the line between calls, so that the modes differ by their
// pacing only.
const pacingSession = "persistent"

// pacingModes are the dialing modes compared, as campaign settings.
var pacingModes = []struct{ name, doc string }{
	{"progressive", "mode: progressive\nabandon: {target: 3%, window: 24h}\n"},
	{"ratio-2.0", "mode: predictive\npredictive: {ratio: 2.0}\nabandon: {target: 3%, window: 24h}\n"},
	{"predictive", "mode: predictive\nabandon: {target: 3%, window: 24h}\n"},
}

// pacingDay is one simulated day.
type pacingDay struct {
	mode    string        // campaign settings (one of pacingModes)
	day     time.Duration // how long the agents work
	agents  int
	wrap    time.Duration
	members int
}

// pacingResult is what one day measured.
type pacingResult struct {
	// talk is bridge to hangup summed over the agents, wrap their time in
	// wrap-up and loggedIn their time logged in, all within the day.
	talk, wrap, loggedIn time.Duration
	// calls are the customers dialed; answered the live answers and
	// abandoned those hung up with ABANDONED.
	calls, answered, abandoned int
	// max1h and max24h are the highest abandon rates the store's ledger
	// showed over its rolling 1-hour and 24-hour windows, read every
	// minute once the first hour of the day is over (before it, a single
	// abandon among a few answers says nothing about the rate), or at the
	// end of a shorter day.
	max1h, max24h float64
	// abandonWait is the longest an abandoned customer waited from the
	// answer to the start of the abandon message.
	abandonWait time.Duration
	// left is how many members were never called: a day that runs out of
	// members measures nothing after that.
	left int
	wall time.Duration
}

func (r pacingResult) occupancy() float64 {
	return float64(r.talk+r.wrap) / float64(r.loggedIn)
}

func (r pacingResult) abandonRate() float64 {
	if r.answered == 0 {
		return 0
	}
	return float64(r.abandoned) / float64(r.answered)
}

func (r pacingResult) String() string {
	return fmt.Sprintf("occupancy %.1f%% (talk %s, wrap-up %s of %s logged in), %d calls, %d answered, %d abandoned (%.2f%%; worst 1h window %.2f%%, 24h %.2f%%; message after at most %s), %d members left, %s wall",
		100*r.occupancy(), r.talk.Round(time.Second), r.wrap.Round(time.Second), r.loggedIn.Round(time.Second), r.calls,
		r.answered, r.abandoned, 100*r.abandonRate(), 100*r.max1h, 100*r.max24h, r.abandonWait, r.left, r.wall.Round(time.Millisecond))
}

// scenarioOutcomes plays a scenario on the fake switch: each customer
// originate gets the next outcome drawn from the scenario with its seed.
func scenarioOutcomes(sc *fssim.Scenario) func(string) outcome {
	rng := rand.New(rand.NewPCG(uint64(sc.Seed), 0x5eed))
	return func(number string) outcome {
		o := sc.Draw(number, rng)
		switch {
		case o.Answer:
			return outcome{ring: o.Ring, answer: true, talk: o.Talk, stay: o.Stay}
		case o.Cause == "":
			return outcome{ring: time.Hour, cause: "NO_ANSWER"} // rings until the originate times out
		}
		return outcome{ring: o.Ring, cause: o.Cause}
	}
}

// run simulates the day and measures it.
func (d pacingDay) run(tb testing.TB) pacingResult {
	tb.Helper()
	sc, err := fssim.LoadScenario(pacingScenarioFile)
	if err != nil {
		tb.Fatal(err)
	}
	h := newHarness(tb, monday, Config{MaxCalls: 200, MaxCPS: 50}, scenarioOutcomes(sc))
	members := make([]string, d.members)
	for i := range members {
		members[i] = fmt.Sprintf("m%d:+1202%07d", i, i)
	}
	c := h.campaign("name: pacing\n"+d.mode+"dial: {template: \"loopback/{number}/dialer_lab\"}\n"+
		"limits: {lines: 100, ring_timeout: 30s}\nretry: {max_attempts: 1}\n", members...)
	specs := make([]agentSpec, d.agents)
	for i := range specs {
		specs[i] = agentSpec{name: fmt.Sprintf("a%02d", i), dest: fmt.Sprintf("agent-%02d", i), wrap: d.wrap, session: pacingSession}
	}
	h.agents("pacing", specs...)

	const step = pacingStep
	var r pacingResult
	start := h.clk.Now()
	end := start.Add(d.day)
	bridgedAt := map[string]time.Time{} // customer uuid -> when it was bridged
	seen := 0
	read := start.Add(time.Hour)
	if read.After(end) {
		read = end
	}
	began := time.Now()
	for h.clk.Now().Before(end) {
		h.run(step, step)
		now := h.clk.Now()
		if !now.Before(read) {
			r.max1h = max(r.max1h, h.ledgerRate(c.ID, time.Hour, now))
			r.max24h = max(r.max24h, h.ledgerRate(c.ID, 24*time.Hour, now))
			read = read.Add(time.Minute)
		}
		for _, b := range h.sw.bridges[seen:] {
			for _, id := range b {
				if p := h.sw.byUUID[id]; p != nil && p.agent == "" {
					bridgedAt[id] = now
				}
			}
		}
		seen = len(h.sw.bridges)
		for _, ag := range h.e.agentList {
			switch ag.State {
			case dialer.AgentLoggedOut:
			case dialer.AgentWrapUp:
				r.wrap += step
				r.loggedIn += step
			default:
				r.loggedIn += step
			}
		}
	}
	r.wall = time.Since(began)
	for id, at := range bridgedAt {
		p := h.sw.byUUID[id]
		stop := p.end
		if stop.IsZero() || stop.After(end) {
			stop = end
		}
		r.talk += stop.Sub(at)
	}
	r.calls = len(h.customers())
	for _, m := range h.sw.messages {
		if p := h.sw.byUUID[m.uuid]; p != nil && !p.answered.IsZero() {
			r.abandonWait = max(r.abandonWait, m.at.Sub(p.answered))
		}
	}

	as, err := h.db.Attempts(h.ctx, store.AttemptFilter{CampaignID: c.ID})
	if err != nil {
		tb.Fatal(err)
	}
	// The day's figures, counted from the attempts as the ledger counts
	// them: final, answered or abandoned, not a machine.
	for _, a := range as {
		if !a.Final || a.Cause == "MACHINE" || a.AnsweredAt.IsZero() && a.Cause != "ABANDONED" {
			continue
		}
		r.answered++
		if a.Cause == "ABANDONED" {
			r.abandoned++
		}
	}
	f, err := h.db.AbandonLedger(h.ctx, c.ID, 24*time.Hour, end)
	if err != nil {
		tb.Fatal(err)
	}
	if f.LiveAnswered != r.answered || f.Abandoned != r.abandoned {
		tb.Errorf("ledger at the end of the day: %d answered, %d abandoned; the attempts: %d and %d",
			f.LiveAnswered, f.Abandoned, r.answered, r.abandoned)
	}
	called := map[int64]bool{}
	for _, a := range as {
		called[a.MemberID] = true
	}
	r.left = d.members - len(called)
	return r
}

// ledgerRate is the abandon rate the store's ledger shows over window
// at now.
func (h *harness) ledgerRate(campaignID int64, window time.Duration, now time.Time) float64 {
	h.t.Helper()
	f, err := h.db.AbandonLedger(h.ctx, campaignID, window, now)
	if err != nil {
		h.t.Fatal(err)
	}
	return f.Rate
}

// BenchmarkPacingDay runs the acceptance day (20 agents with 10 s of
// wrap-up, 8 hours, pacing-day.yaml) once per iteration in each mode and
// reports agent occupancy, the abandon rate over the day and in the worst
// 1-hour and 24-hour ledger windows, the customers dialed and how many
// simulated hours pass per wall second.
//
//	go test ./dialer/engine -run '^$' -bench BenchmarkPacingDay -benchtime 1x -timeout 60m
func BenchmarkPacingDay(b *testing.B) {
	for _, m := range pacingModes {
		b.Run(m.name, func(b *testing.B) {
			day := pacingDay{mode: m.doc, day: 8 * time.Hour, agents: 20, wrap: 10 * time.Second, members: 30000}
			var r pacingResult
			for range b.N {
				r = day.run(b)
			}
			if r.left == 0 {
				b.Fatalf("the campaign ran out of members: %s", r)
			}
			b.Logf("%s: %s", m.name, r)
			b.ReportMetric(100*r.occupancy(), "occupancy-%")
			b.ReportMetric(100*r.abandonRate(), "abandon-%")
			b.ReportMetric(100*r.max1h, "max-1h-abandon-%")
			b.ReportMetric(100*r.max24h, "max-24h-abandon-%")
			b.ReportMetric(float64(r.calls), "calls")
			b.ReportMetric(day.day.Hours()/r.wall.Seconds(), "sim-hours/s")
		})
	}
}

// TestPacing_PredictiveBeatsProgressive: over a seeded 45-minute day of
// the pacing scenario, predictive keeps the agents busier than
// progressive does and abandons at most 3% of the live answers, over the
// day and in the worst 1-hour window.
func TestPacing_PredictiveBeatsProgressive(t *testing.T) {
	if testing.Short() {
		t.Skip("a simulated 45-minute day per mode")
	}
	res := map[string]pacingResult{}
	for _, m := range pacingModes {
		if m.name == "ratio-2.0" {
			continue
		}
		day := pacingDay{mode: m.doc, day: 45 * time.Minute, agents: 20, wrap: 10 * time.Second, members: 4000}
		r := day.run(t)
		t.Logf("%s: %s", m.name, r)
		if r.left == 0 {
			t.Fatalf("%s ran out of members", m.name)
		}
		if r.answered < 100 {
			t.Fatalf("%s: %d live answers in 45 minutes: the day measured nothing", m.name, r.answered)
		}
		res[m.name] = r
	}
	prog, pred := res["progressive"], res["predictive"]
	if pred.occupancy() <= prog.occupancy() {
		t.Errorf("predictive occupancy %.1f%% is not above progressive's %.1f%%", 100*pred.occupancy(), 100*prog.occupancy())
	}
	if pred.abandonRate() > 0.03 || pred.max1h > 0.03 {
		t.Errorf("predictive abandoned %.2f%% of live answers (worst 1h window %.2f%%), want at most 3%%",
			100*pred.abandonRate(), 100*pred.max1h)
	}
	if pred.abandoned == 0 {
		t.Error("predictive abandoned nobody in 45 minutes: it did not dial ahead of its agents")
	}
	if limit := dialer.DefaultAbandonAfter + pacingStep; pred.abandonWait > limit || limit > 2*time.Second {
		t.Errorf("an abandoned customer waited %s for the message, want at most abandon.after (%s) and a tick, under 2 s",
			pred.abandonWait, dialer.DefaultAbandonAfter)
	}
	if prog.abandoned != 0 {
		t.Errorf("progressive abandoned %d customers: its agents are reserved before the customer is dialed", prog.abandoned)
	}
}
