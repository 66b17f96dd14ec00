package engine

import (
	"fmt"
	"testing"
	"time"
)

// strictCase runs a priority-1 campaign of three busy members (one line,
// two attempts 30 s apart) beside a priority-2 campaign of answering
// members, on three global lines, and returns the originates.
func strictCase(t *testing.T, strict bool) *harness {
	t.Helper()
	h := newHarness(t, monday, Config{MaxCalls: 3, MaxCPS: 100, StrictPriority: strict}, numbering)
	low := make([]string, 30)
	for i := range low {
		low[i] = fmt.Sprintf("low%d:+1646%05d03", i, 40000+i)
	}
	h.campaign("name: high\npriority: 1\n"+ivr+"limits: {lines: 1}\nretry: {max_attempts: 2, interval: 30s}\n",
		numbers(3, "55")...)
	h.campaign("name: low\npriority: 2\n"+ivr+"limits: {lines: 3}\n", low...)
	h.run(2*time.Minute, 20*time.Millisecond)
	return h
}

// dueWindows are the spans in which a member of the campaign was due and
// not yet called, from the calls placed: from the start (or the previous
// call's end plus interval) to its next call.
func dueWindows(h *harness, campaign string, start time.Time, interval time.Duration) [][2]time.Time {
	last := map[string]*placed{}
	var out [][2]time.Time
	for _, p := range h.sw.placed {
		if p.campaign != campaign {
			continue
		}
		from := start
		if prev := last[p.member]; prev != nil {
			from = prev.end.Add(interval)
		}
		out = append(out, [2]time.Time{from, p.at})
		last[p.member] = p
	}
	return out
}

func TestEngine_StrictPriority(t *testing.T) {
	start := monday
	h := strictCase(t, true)
	windows := dueWindows(h, "high", start, 30*time.Second)
	if len(windows) != 6 {
		t.Fatalf("high placed %d calls, want 3 members x 2 attempts", len(windows))
	}
	// A due member is seen at the campaign's next look, at most
	// idleBackoff plus a tick after it fell due.
	slack := idleBackoff + 20*time.Millisecond
	lowCalls, inGap := 0, 0
	for _, p := range h.sw.placed {
		if p.campaign != "low" {
			continue
		}
		lowCalls++
		for _, w := range windows {
			if p.at.After(w[0].Add(slack)) && p.at.Before(w[1]) {
				t.Errorf("low dialed %s at %s while a high member was due from %s to %s",
					p.member, p.at.Sub(start), w[0].Sub(start), w[1].Sub(start))
			}
		}
		if p.at.Before(windows[len(windows)-1][1]) {
			inGap++
		}
	}
	if inGap == 0 {
		t.Errorf("low never dialed in high's gaps (%d low calls, all after high's last call)", lowCalls)
	}

	// Shared lines: low dials beside high's due members (high has one line).
	h = strictCase(t, false)
	windows = dueWindows(h, "high", start, 30*time.Second)
	beside := 0
	for _, p := range h.sw.placed {
		for _, w := range windows {
			if p.campaign == "low" && p.at.After(w[0].Add(slack)) && p.at.Before(w[1]) {
				beside++
				break
			}
		}
	}
	if beside == 0 {
		t.Errorf("share: low never dialed while high had a member due; the contrast shows nothing")
	}
}
