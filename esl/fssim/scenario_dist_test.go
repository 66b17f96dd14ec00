package fssim_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
)

// draws is n draws of one rule's ring and talk from a scenario, seeded.
func draws(t *testing.T, y, dest string, seed uint64, n int) []fssim.Outcome {
	t.Helper()
	sc := scenario(t, y)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	out := make([]fssim.Outcome, n)
	for i := range out {
		out[i] = sc.Draw(dest, rng)
	}
	return out
}

// meanStd is the mean and standard deviation of ds, in seconds.
func meanStd(ds []time.Duration) (mean, std float64) {
	for _, d := range ds {
		mean += d.Seconds()
	}
	mean /= float64(len(ds))
	for _, d := range ds {
		std += (d.Seconds() - mean) * (d.Seconds() - mean)
	}
	return mean, math.Sqrt(std / float64(len(ds)))
}

// TestScenario_Distributions draws each distribution many times and checks
// its bounds, mean and spread against what the scenario asked for.
func TestScenario_Distributions(t *testing.T) {
	const n = 20000
	tests := []struct {
		name           string
		dist           string
		min, max       time.Duration
		mean, std, tol float64 // seconds; tol bounds |mean - want| and |std - want|
	}{
		{"uniform", "{min: 3s, max: 20s}", 3 * time.Second, 20 * time.Second, 11.5, 17 / math.Sqrt(12), 0.15},
		{"uniform named", "{dist: uniform, min: 0s, max: 10s}", 0, 10 * time.Second, 5, 10 / math.Sqrt(12), 0.1},
		// Clamped at 5 s and 15 m: the mean moves up by about 0.2 s.
		{"exponential", "{dist: exponential, mean: 120s, min: 5s, max: 15m}", 5 * time.Second, 15 * time.Minute, 120.2, 119.5, 3},
		{"exponential unbounded", "{dist: exponential, mean: 30s}", 0, 0, 30, 30, 1},
		{"normal", "{dist: normal, mean: 9s, stddev: 2s}", 0, 0, 9, 2, 0.1},
		{"normal clamped", "{dist: normal, mean: 9s, stddev: 4s, min: 2s, max: 25s}", 2 * time.Second, 25 * time.Second, 9.1, 3.8, 0.2},
		{"lognormal", "{dist: lognormal, mean: 60s, stddev: 30s}", 0, 0, 60, 30, 1.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y := fmt.Sprintf("rules:\n  - {glob: '*', answer: true, ring: %s, talk: %s}\n", tt.dist, tt.dist)
			outs := draws(t, y, "+12125550100", 7, n)
			var rings, talks []time.Duration
			for _, o := range outs {
				if o.RingDist != nil || o.TalkDist != nil {
					t.Fatalf("drawn outcome keeps its distributions: %+v", o)
				}
				rings, talks = append(rings, o.Ring), append(talks, o.Talk)
			}
			for what, ds := range map[string][]time.Duration{"ring": rings, "talk": talks} {
				lo, hi := ds[0], ds[0]
				for _, d := range ds {
					lo, hi = min(lo, d), max(hi, d)
					if d%time.Millisecond != 0 {
						t.Fatalf("%s %s not rounded to the millisecond", what, d)
					}
				}
				if lo < tt.min || tt.max > 0 && hi > tt.max || lo < 0 {
					t.Errorf("%s drawn in [%s, %s], want within [%s, %s]", what, lo, hi, tt.min, tt.max)
				}
				if strings.HasPrefix(tt.name, "uniform") && hi-lo < (tt.max-tt.min)*9/10 {
					t.Errorf("%s drawn in [%s, %s]: does not cover [%s, %s]", what, lo, hi, tt.min, tt.max)
				}
				mean, std := meanStd(ds)
				if math.Abs(mean-tt.mean) > tt.tol || math.Abs(std-tt.std) > tt.tol*2 {
					t.Errorf("%s: mean %.2fs stddev %.2fs over %d draws, want %.2fs and %.2fs (±%.2f)",
						what, mean, std, n, tt.mean, tt.std, tt.tol)
				}
			}
			// The ring and the talk of one call are drawn separately.
			if rings[0] == talks[0] && rings[1] == talks[1] {
				t.Errorf("ring and talk draw the same values: %s %s", rings[:2], talks[:2])
			}
		})
	}
}

// TestScenario_DrawSeeded: the same seed draws the same outcomes, another
// seed others.
func TestScenario_DrawSeeded(t *testing.T) {
	y := "rules:\n  - glob: '*'\n    mix:\n      - {weight: 1, ring: {min: 1s, max: 9s}, answer: true, talk: {dist: exponential, mean: 60s}}\n      - {weight: 1, ring: {min: 1s, max: 4s}, cause: USER_BUSY}\n"
	a, b := draws(t, y, "+1", 42, 200), draws(t, y, "+1", 42, 200)
	c := draws(t, y, "+1", 43, 200)
	same := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("draw %d: %+v then %+v with the same seed", i, a[i], b[i])
		}
		if a[i] == c[i] {
			same++
		}
	}
	if same > 20 {
		t.Errorf("%d of 200 draws equal under another seed", same)
	}
}

// TestScenario_FixedDurationsUnchanged: a scenario written with plain
// durations (every file before distributions existed) parses to the same
// outcomes and draws the same sequence for a seed as the weighted pick it
// always was: one uniform draw per call on a mix, none on a plain rule.
func TestScenario_FixedDurationsUnchanged(t *testing.T) {
	sc, err := fssim.LoadScenario("../../testdata/scenarios/campaign-mix.yaml")
	if err != nil {
		t.Fatal(err)
	}
	everyone := sc.Rules[len(sc.Rules)-1]
	if everyone.Name != "everyone else" || len(everyone.Mix) != 7 {
		t.Fatalf("campaign-mix.yaml's last rule changed: %+v", everyone)
	}
	for i, m := range everyone.Mix {
		if m.RingDist != nil || m.TalkDist != nil {
			t.Errorf("mix[%d]: a plain duration parsed as a distribution: %+v", i, m.Outcome)
		}
	}
	if m := everyone.Mix[0]; m.Ring != 8*time.Second || m.Talk != 45*time.Second {
		t.Errorf("mix[0] ring %s talk %s, want 8s and 45s", m.Ring, m.Talk)
	}
	voicemail := sc.Rules[0]
	if voicemail.Ring != 6*time.Second || voicemail.Talk != 35*time.Second || voicemail.RingDist != nil {
		t.Errorf("rules[0] = %+v, want ring 6s talk 35s", voicemail.Outcome)
	}

	got := rand.New(rand.NewPCG(20261121, 0x5eed))
	want := rand.New(rand.NewPCG(20261121, 0x5eed))
	total := 0.0
	for _, m := range everyone.Mix {
		total += m.Weight
	}
	for i := range 500 {
		// A plain rule takes nothing from the source.
		if o := sc.Draw("+15550001234", got); o != voicemail.Outcome {
			t.Fatalf("call %d to the voicemail rule: %+v", i, o)
		}
		x := want.Float64() * total
		w := everyone.Mix[len(everyone.Mix)-1].Outcome
		for _, m := range everyone.Mix {
			if x < m.Weight {
				w = m.Outcome
				break
			}
			x -= m.Weight
		}
		if o := sc.Draw("+12125550100", got); o != w {
			t.Fatalf("call %d: drew %+v, want %+v", i, o, w)
		}
	}
}

// TestScenario_DrawPlan: without a scenario, or when nothing matches,
// Draw is the numbering plan.
func TestScenario_DrawPlan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var none *fssim.Scenario
	if o := none.Draw("+12125550155", rng); o.Cause != "USER_BUSY" || o.Ring != time.Second {
		t.Errorf("plan D5 = %+v, want USER_BUSY after 1s", o)
	}
	sc := scenario(t, "rules:\n  - {glob: 'x*', cause: CALL_REJECTED}\n")
	if o := sc.Draw("+12125550102", rng); !o.Answer || o.Talk != 3*time.Second {
		t.Errorf("plan D0 S2 = %+v, want answered, talk 3s", o)
	}
	if o := sc.Draw("x1", rng); o.Cause != "CALL_REJECTED" {
		t.Errorf("rule = %+v", o)
	}
}

// TestScenario_PacingDay: the pacing benchmark's scenario answers a
// quarter of the calls after a mean 9 s of ringing and talks a mean of
// 2 minutes.
func TestScenario_PacingDay(t *testing.T) {
	sc, err := fssim.LoadScenario("../../testdata/scenarios/pacing-day.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(sc.Seed), 0x5eed))
	const n = 40000
	var rings, talks []time.Duration
	causes := map[string]int{}
	for i := range n {
		o := sc.Draw(fmt.Sprintf("+1202%07d", i), rng)
		switch {
		case o.Answer:
			rings, talks = append(rings, o.Ring), append(talks, o.Talk)
		case o.Cause == "":
			causes["NO_ANSWER"]++
		default:
			causes[o.Cause]++
		}
	}
	if rate := float64(len(rings)) / n; math.Abs(rate-0.25) > 0.01 {
		t.Errorf("answer rate %.3f, want 0.25", rate)
	}
	if m, _ := meanStd(rings); math.Abs(m-9) > 0.3 {
		t.Errorf("mean time to answer %.2fs, want about 9s", m)
	}
	if m, _ := meanStd(talks); math.Abs(m-120) > 4 {
		t.Errorf("mean talk %.1fs, want about 120s", m)
	}
	for c, want := range map[string]float64{"NO_ANSWER": 0.45, "USER_BUSY": 0.15, "CALL_REJECTED": 0.05,
		"UNALLOCATED_NUMBER": 0.04, "NO_USER_RESPONSE": 0.03, "NORMAL_TEMPORARY_FAILURE": 0.03} {
		if got := float64(causes[c]) / n; math.Abs(got-want) > 0.01 {
			t.Errorf("%s: %.3f of the calls, want %.2f", c, got, want)
		}
	}
	if o := sc.Draw("agent-7", rng); !o.Answer || !o.Stay || o.Ring != time.Second {
		t.Errorf("agent = %+v, want answered after 1s, staying", o)
	}
}

// TestScenario_DistributionErrors: a bad distribution is refused with the
// field path.
func TestScenario_DistributionErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown key", "rules:\n  - {glob: x, ring: {min: 1s, mxa: 2s}}\n", "field mxa not found in a distribution"},
		{"unknown dist", "rules:\n  - {glob: x, ring: {dist: gamma, mean: 1s}}\n", `rules[0].ring.dist: unknown distribution "gamma"`},
		{"uniform without max", "rules:\n  - {glob: x, ring: {min: 1s}}\n", "rules[0].ring.max: uniform needs max"},
		{"uniform with mean", "rules:\n  - {glob: x, ring: {mean: 1s, max: 2s}}\n", "uniform takes min and max"},
		{"max below min", "rules:\n  - {glob: x, ring: {min: 5s, max: 2s}}\n", "rules[0].ring.max: 2s is below min 5s"},
		{"exponential without mean", "rules:\n  - {glob: x, answer: true, talk: {dist: exponential, max: 2s}}\n",
			"rules[0].talk.mean: exponential needs a positive mean"},
		{"exponential with stddev", "rules:\n  - {glob: x, answer: true, talk: {dist: exponential, mean: 2s, stddev: 1s}}\n",
			"rules[0].talk.stddev"},
		{"normal without mean", "rules:\n  - {glob: x, ring: {dist: normal, stddev: 1s}}\n", "normal needs a positive mean"},
		{"negative min", "rules:\n  - {glob: x, ring: {min: -1s, max: 2s}}\n", "rules[0].ring.min: must not be negative"},
		{"fixed with bounds", "rules:\n  - {glob: x, ring: {dist: fixed, mean: 1s, max: 2s}}\n", "a fixed duration takes mean only"},
		{"talk without answer", "rules:\n  - {glob: x, talk: {min: 1s, max: 2s}}\n", "need answer: true"},
		{"in a mix", "rules:\n  - glob: x\n    mix: [{weight: 1, ring: {dist: lognormal}}]\n", "rules[0].mix[0].ring.mean"},
		{"in the fallback", "fallback: {ring: {max: 1s, min: 2s}}\n", "fallback.ring.max"},
		{"not a mapping", "rules:\n  - {glob: x, ring: [1s]}\n", "want a duration or a distribution"},
		{"bad duration inside", "rules:\n  - {glob: x, ring: {min: 1, max: 2s}}\n", "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fssim.ParseScenario([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	// In Go, a duration and a distribution for the same field are refused.
	sc := &fssim.Scenario{Rules: []fssim.Rule{{Glob: "*", Outcome: fssim.Outcome{
		Ring: time.Second, RingDist: &fssim.Dist{Dist: fssim.DistUniform, Max: 2 * time.Second}}}}}
	if err := sc.Validate(); err == nil || !strings.Contains(err.Error(), "rules[0].ring: set a duration or a distribution, not both") {
		t.Errorf("ring and ring distribution: %v", err)
	}
}

// TestServer_ScenarioDistributions: the simulator draws each call's ring
// and talk from the scenario's distributions: over TCP, calls answer and
// hang up at the times drawn, each different, within the bounds.
func TestServer_ScenarioDistributions(t *testing.T) {
	sc := scenario(t, "seed: 5\nrules:\n  - {glob: '*', ring: {min: 1s, max: 3s}, answer: true, talk: {dist: normal, mean: 4s, stddev: 1s, min: 2s, max: 6s}}\n")
	srv := start(t, fssim.Options{Speed: 50, Scenario: sc})
	c := connect(t, srv)
	const calls = 8
	for i := range calls {
		bgOriginate(t, c, fmt.Sprintf("sofia/gateway/gw/+1212555%04d &park()", i))
	}
	waitUntil(t, 10*time.Second, "every call to end", func() bool {
		calls := srv.Calls()
		if len(calls) < 8 {
			return false
		}
		for _, r := range calls {
			if r.Active {
				return false
			}
		}
		return true
	})
	rings := map[time.Duration]bool{}
	for _, r := range srv.Calls() {
		ring, talk := r.Answered.Sub(r.Created), r.Hangup.Sub(r.Answered)
		if ring < time.Second || ring > 3*time.Second+10*time.Millisecond {
			t.Errorf("%s rang %s, want 1-3s", r.Destination, ring)
		}
		if talk < 2*time.Second || talk > 6*time.Second+10*time.Millisecond {
			t.Errorf("%s talked %s, want 2-6s", r.Destination, talk)
		}
		rings[ring.Round(time.Millisecond)] = true
	}
	for _, o := range srv.Originates() {
		if o.Outcome.RingDist != nil || o.Outcome.Ring < time.Second {
			t.Errorf("originate %d recorded outcome %+v, want the drawn ring", o.Seq, o.Outcome)
		}
	}
	if len(rings) < calls/2 {
		t.Errorf("%d distinct ring times over %d calls: not drawn per call", len(rings), calls)
	}
}

// FuzzScenarioDistributions: whatever distribution a scenario that parses
// holds, every draw is never negative, within the bounds it set and a
// whole number of milliseconds (a fixed duration stays as written).
func FuzzScenarioDistributions(f *testing.F) {
	f.Add("{min: 3s, max: 20s}", uint64(1))
	f.Add("{dist: exponential, mean: 120s, min: 5s, max: 15m}", uint64(2))
	f.Add("{dist: normal, mean: 1s, stddev: 10s}", uint64(3))
	f.Add("{dist: lognormal, mean: 1ms, stddev: 1h, max: 2s}", uint64(4))
	f.Add("250ms", uint64(5))
	f.Fuzz(func(t *testing.T, dist string, seed uint64) {
		sc, err := fssim.ParseScenario([]byte("rules:\n  - {glob: '*', answer: true, ring: " + dist + "}\n"))
		if err != nil {
			return
		}
		d := sc.Rules[0].RingDist
		rng := rand.New(rand.NewPCG(seed, 0))
		for range 50 {
			o := sc.Draw("x", rng)
			if o.Ring < 0 || d != nil && o.Ring%time.Millisecond != 0 {
				t.Fatalf("%s drew %s", dist, o.Ring)
			}
			if d != nil && (o.Ring < d.Min.Round(time.Millisecond) || d.Max > 0 && o.Ring > d.Max.Round(time.Millisecond)) {
				t.Fatalf("%s drew %s outside [%s, %s]", dist, o.Ring, d.Min, d.Max)
			}
		}
	})
}
