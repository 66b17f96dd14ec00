package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
	"github.com/fsdialer/dialer/store"
)

// longCalls is a progressive campaign whose customers (numbers ending in
// 09) talk for 10 s on a real switch's numbering plan, and until hung up
// on the simulator (longCallScenario); its agents stay until hung up on
// both.
const longCalls = `
name: long
mode: progressive
dial: {template: "loopback/{number}/dialer_lab"}
limits: {lines: 4, calls: 10, interval: 1s, ring_timeout: 10s}
retry: {max_attempts: 2, interval: 1m, max_minus: 1}
` + alwaysOpen

var longCallScenario = &fssim.Scenario{Name: "long-calls", Rules: []fssim.Rule{{Name: "stay", Glob: "*09",
	Outcome: fssim.Outcome{Ring: time.Second, Answer: true, Stay: true}}}}

// longMembers are n members whose numbers end in 09.
func longMembers(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("l%d:+1212555%02d09", i, 10+i)
	}
	return out
}

// syncBuffer is a daemon log the test reads while the daemon writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// liveCalls is `dialer call list -o json`.
func liveCalls(t *testing.T, c *cli, args ...string) []store.LiveCall {
	t.Helper()
	var calls []store.LiveCall
	out := c.ok(append([]string{"call", "list", "-o", "json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &calls); err != nil {
		t.Fatalf("call list -o json: %v\n%s", err, out)
	}
	return calls
}

// waitBridged waits until n calls of the campaign are bridged to agents.
func waitBridged(t *testing.T, c *cli, n int) []store.LiveCall {
	t.Helper()
	var calls []store.LiveCall
	pollUntil(t, fmt.Sprintf("%d bridged calls", n), 30*time.Second, func() bool {
		calls = liveCalls(t, c, "--campaign", "long")
		bridged := 0
		for _, lc := range calls {
			if lc.State == "bridged" {
				bridged++
			}
		}
		return bridged == n
	})
	return calls
}

// waitNoneUp waits until the switch has no channel up, then checks it.
func waitNoneUp(t *testing.T, sw switchtest.Backend) {
	t.Helper()
	pollUntil(t, "every channel to hang up", 15*time.Second, func() bool {
		for _, ch := range sw.Channels() {
			if ch.Active {
				return false
			}
		}
		return true
	})
	checkNoneUp(t, sw)
}

// TestServe_CallListAndHangup: call list shows the calls in progress as
// the daemon records them; call hangup of one uuid ends that call with
// MANAGER_REQUEST and leaves the others; a uuid that is no call is
// refused; --campaign hangs up the rest.
func TestServe_CallListAndHangup(t *testing.T) {
	switchtest.Each(t, fssim.Options{HeartbeatInterval: time.Second, Scenario: longCallScenario}, func(t *testing.T, sw switchtest.Backend) {
		e := newE2E(t, sw)
		e.load(longCalls, longMembers(3))
		e.agents("long", "agent-1", "agent-2", "agent-3")
		c := &cli{t: t, db: e.cfg.Database}
		ctx, cancel := context.WithCancel(e.ctx)
		defer cancel()
		done := e.serve(ctx, serveOptions{drain: 5 * time.Second, statusTick: 50 * time.Millisecond}, time.Now)
		calls := waitBridged(t, c, 3)
		table := c.ok("call", "list")
		for _, lc := range calls {
			if lc.Campaign != "long" || lc.AttemptID == 0 || lc.UUID == "" || lc.AgentUUID == "" || !strings.HasPrefix(lc.Agent, "agent-") {
				t.Errorf("call %+v: want an attempt of long with both legs and its agent", lc)
			}
			contains(t, table, lc.UUID, lc.Number, lc.Agent)
		}
		c.fails("not a call in progress: no-such-call", "call", "hangup", calls[0].UUID, "no-such-call")
		if got := liveCalls(t, c); len(got) != 3 {
			t.Fatalf("a refused hangup hung up calls: %d left", len(got))
		}
		out := c.ok("call", "hangup", calls[0].UUID)
		contains(t, out, "call "+calls[0].UUID, "ended, cause MANAGER_REQUEST")
		left := liveCalls(t, c)
		if len(left) != 2 {
			t.Fatalf("%d calls after hanging up one, want 2", len(left))
		}
		for _, lc := range left {
			if lc.UUID == calls[0].UUID {
				t.Fatalf("the hung up call is still listed: %+v", lc)
			}
		}
		out = c.ok("call", "hangup", "--campaign", "long")
		if strings.Count(out, "ended, cause MANAGER_REQUEST") != 2 {
			t.Fatalf("hangup --campaign:\n%s", out)
		}
		contains(t, c.ok("call", "list"), "no calls in progress")
		c.ok("campaign", "stop", "long")
		cancel()
		waitDaemon(t, done, 30*time.Second)
		waitNoneUp(t, sw)
		contains(t, c.ok("call", "hangup", "--campaign", "long"), "no calls in progress in campaign long")
	})
}

// TestServe_DeleteWithCallsUp: a campaign with calls up is not deleted,
// --force or not; --hangup stops it, has the daemon hang its calls up and
// deletes it once they ended. Every connect callback has its release, no
// channel is left up, and the daemon logs the deletion.
func TestServe_DeleteWithCallsUp(t *testing.T) {
	switchtest.Each(t, fssim.Options{HeartbeatInterval: time.Second, Scenario: longCallScenario}, func(t *testing.T, sw switchtest.Backend) {
		rc := newHookReceiver(t)
		rc.failFirst, rc.slowEvery = 0, 1<<30
		rc.up()
		e := newE2E(t, sw)
		log := &syncBuffer{}
		e.log = log
		e.cfg.Webhooks.Backoff, e.cfg.Webhooks.MaxBackoff = 100*time.Millisecond, time.Second
		e.load(longCalls+"callback_url: "+rc.url()+"\n", longMembers(4))
		e.agents("long", "agent-1", "agent-2", "agent-3", "agent-4")
		c := &cli{t: t, db: e.cfg.Database}
		ctx, cancel := context.WithCancel(e.ctx)
		defer cancel()
		done := e.serve(ctx, serveOptions{drain: 5 * time.Second, statusTick: 50 * time.Millisecond}, time.Now)
		waitBridged(t, c, 4)
		refused := "4 calls in progress; stop it and wait for them to end (dialer campaign stop long), or use --hangup"
		c.fails(refused, "campaign", "delete", "long", "--yes")
		c.fails(refused, "campaign", "delete", "long", "--force", "--yes")
		out := c.ok("campaign", "delete", "long", "--hangup", "--yes")
		contains(t, out, "campaign long stopped (was running)", "hanging up 4 call(s)", "campaign long deleted")
		if n := strings.Count(out, "ended, cause MANAGER_REQUEST"); n != 4 {
			t.Fatalf("%d calls ended, want 4:\n%s", n, out)
		}
		c.fails("not found", "campaign", "show", "long")
		pollUntil(t, "the callbacks to be delivered", 30*time.Second, func() bool {
			counts, err := e.db.CallbackCounts(e.ctx)
			return err == nil && counts.Pending == 0
		})
		waitNoneUp(t, sw)
		defer func() {
			if t.Failed() {
				t.Logf("daemon log:\n%s", log.String())
			}
		}()
		pollUntil(t, "the daemon to log the deletion", 10*time.Second, func() bool {
			l := log.String()
			i := strings.Index(l, `msg="campaign deleted"`)
			return i >= 0 && strings.Contains(l[i:], "campaign=long")
		})
		cancel()
		waitDaemon(t, done, 30*time.Second)

		rc.mu.Lock()
		defer rc.mu.Unlock()
		connects := 0
		for key := range rc.delivered {
			uuid, event, _ := strings.Cut(key, ":")
			if event != "connect" {
				continue
			}
			connects++
			rel, ok := rc.delivered[uuid+":release"]
			if !ok {
				t.Errorf("attempt %s: connect delivered, release never", uuid)
				continue
			}
			if rel[0]["cause"] != "MANAGER_REQUEST" {
				t.Errorf("attempt %s released with %v, want MANAGER_REQUEST", uuid, rel[0]["cause"])
			}
		}
		if connects != 4 {
			t.Errorf("%d connect events delivered, want the 4 calls'", connects)
		}
	})
}
