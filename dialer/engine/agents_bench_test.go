package engine

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
)

// BenchmarkAgents_Reaction measures, with 200 agents over 20 campaigns all
// in calls, the wall time from an agent's call ending (no wrap-up: the
// agent is available) to the next originate for it being handed to the
// switch: the customer's in progressive mode, the agent's own leg in
// preemptive mode. It reports the 50th and 99th percentiles.
func BenchmarkAgents_Reaction(b *testing.B) {
	for _, mode := range []string{"progressive", "preemptive"} {
		b.Run(mode, func(b *testing.B) { benchReaction(b, mode) })
	}
}

func benchReaction(b *testing.B, mode string) {
	const campaigns, perCampaign = 20, 10
	h := newHarness(b, monday, Config{MaxCalls: 10000, MaxCPS: 10000}, func(string) outcome {
		return outcome{ring: time.Second, answer: true, talk: 24 * time.Hour}
	})
	members := perCampaign + b.N/campaigns + 2
	for c := range campaigns {
		name := fmt.Sprintf("c%02d", c)
		nums := make([]string, members)
		for i := range nums {
			nums[i] = fmt.Sprintf("m%d:+1%03d%07d", i, 200+c, i)
		}
		h.campaign("name: "+name+"\nmode: "+mode+"\ndial: {template: \"loopback/{number}/dialer_lab\"}\nlimits: {lines: 1000}\n", nums...)
		specs := make([]agentSpec, perCampaign)
		for i := range specs {
			specs[i] = agentSpec{name: fmt.Sprintf("%s-a%d", name, i), dest: fmt.Sprintf("agent-%d%02d", c, i)}
		}
		h.agents(name, specs...)
	}
	h.run(5*time.Second, 100*time.Millisecond)
	talking := 0
	for _, ag := range h.e.agentList {
		if ag.State == dialer.AgentTalking {
			talking++
		}
	}
	if talking != campaigns*perCampaign {
		b.Fatalf("%d of %d agents talking after the warm-up", talking, campaigns*perCampaign)
	}
	var handed time.Time
	h.sw.onOriginate = func(req OriginateRequest) {
		if handed.IsZero() && (mode == "progressive") == (req.Endpoint == "") {
			handed = time.Now()
		}
	}
	lat := make([]time.Duration, 0, b.N)
	next := 0
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		var leg string
		for leg == "" {
			ag := h.e.agentList[next%len(h.e.agentList)]
			next++
			if ag.State == dialer.AgentTalking && ag.legUp {
				leg = ag.leg
			}
		}
		handed = time.Time{}
		delete(h.sw.live, leg)
		h.sw.exists[leg] = false
		u := Update{Kind: CallChanged, UUID: leg, Final: true, Answered: true, Cause: "NORMAL_CLEARING", HangupAt: h.clk.Now()}
		b.StartTimer()
		start := time.Now()
		h.e.handle(u)
		h.e.afterUpdates(h.ctx)
		b.StopTimer()
		if handed.IsZero() {
			b.Fatalf("no originate after agent of leg %s became available", leg)
		}
		lat = append(lat, handed.Sub(start))
		// Let the new call reach talking before the next round.
		h.run(3*time.Second, time.Second)
		b.StartTimer()
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
