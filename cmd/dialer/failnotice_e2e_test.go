package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
	"github.com/fsdialer/dialer/store"
)

// TestServe_FailureNoticesSurviveSIGKILL runs the daemon as a process on
// the numbering plan with a callback receiver that is down: members fail
// (busy twice, unallocated, rejected, congested...) and their notices
// wait in the outbox when the daemon is killed; a second daemon is
// killed again while the receiver is still down; a third one finishes
// with the receiver up. Every failed member's member_failed arrives (at
// least once, one distinct key each), no done member gets one, and each
// notice carries the member's end cause and its number with the calls
// made to it, which the switch saw.
func TestServe_FailureNoticesSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	bin := buildDialer(t)
	switchtest.Each(t, fssim.Options{Speed: 10, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		testFailureNoticesSurviveSIGKILL(t, sw, bin)
	})
}

func testFailureNoticesSurviveSIGKILL(t *testing.T, sw switchtest.Backend, bin string) {
	rc := newHookReceiver(t)
	rc.failFirst = 2
	e := newE2E(t, sw)
	c := e.load(fmt.Sprintf(hookCampaign, rc.url()), labMembers("f", 30, 99))
	env := append(os.Environ(), "DIALER_DATABASE="+e.cfg.Database, "DIALER_ESL_ADDRESS="+e.cfg.ESL.Address,
		"DIALER_ESL_PASSWORD="+e.cfg.ESL.Password, "DIALER_HTTP_LISTEN=127.0.0.1:0", "DIALER_LIMITS_MAX_CPS=300",
		"DIALER_LIMITS_MAX_CALLS=300", "DIALER_LOG_LEVEL=warn", "DIALER_WEBHOOKS_TIMEOUT=1s",
		"DIALER_WEBHOOKS_BACKOFF=100ms", "DIALER_WEBHOOKS_MAX_BACKOFF=1s", "DIALER_WEBHOOKS_MAX_TRIES=1000")
	logf, err := os.Create(filepath.Join(t.TempDir(), "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	ctx := context.Background()
	kill := func(cmd *exec.Cmd) {
		t.Helper()
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
	}
	pendingNotices := func() int {
		cbs, err := e.db.Callbacks(ctx, store.CallbackFilter{State: dialer.CallbackPending})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, cb := range cbs {
			if cb.Event == dialer.CallbackMemberFailed {
				n++
			}
		}
		return n
	}

	// 1. Members fail while the receiver is down; the daemon dies with
	// their notices undelivered.
	first := startDaemon(t, bin, env, logf)
	pollUntil(t, "failure notices waiting in the outbox", 30*time.Second, func() bool { return pendingNotices() >= 5 })
	kill(first)
	held := pendingNotices()

	// 2. A second daemon works on, the receiver still down, and dies too.
	second := startDaemon(t, bin, env, logf)
	pollUntil(t, "more failure notices", 30*time.Second, func() bool { return pendingNotices() > held })
	kill(second)
	if req, _ := rc.counts(); req != 0 {
		t.Fatalf("the receiver got %d requests while down", req)
	}

	// 3. The last daemon finishes the campaign and delivers everything.
	last := startDaemon(t, bin, env, logf)
	time.Sleep(500 * time.Millisecond)
	rc.up()
	pollUntil(t, "the campaign to finish and every callback to be delivered", 90*time.Second, func() bool {
		got, err := e.db.Campaign(ctx, c.Name)
		if err != nil || got.State != dialer.StateFinished {
			return false
		}
		n, err := e.db.CallbackCounts(ctx)
		return err == nil && n.Pending == 0 && n.Dead == 0
	})
	stopDaemon(t, last)
	checkSettled(t, e.db, c.ID)

	// The switch's record: the calls each member got, by member id.
	calls := map[string]int{}
	for _, ch := range switchtest.Customers(sw.Channels()) {
		calls[ch.Vars["dialer_member_id"]]++
	}
	ms, err := e.db.Members(ctx, store.MemberFilter{CampaignID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	failed, done := 0, 0
	for _, m := range ms {
		id := strconv.FormatInt(m.ID, 10)
		bodies := rc.delivered["member-"+id+":failed"]
		switch m.State {
		case dialer.MemberDone:
			done++
			if len(bodies) > 0 {
				t.Errorf("done member %s got a failure notice: %v", m.Name, bodies[0])
			}
			continue
		case dialer.MemberFailed:
			failed++
		default:
			t.Errorf("member %s is %s after the campaign finished", m.Name, m.State)
			continue
		}
		if len(bodies) == 0 {
			t.Errorf("failed member %s (%s) got no failure notice", m.Name, m.EndCause)
			continue
		}
		as, err := e.db.MemberAttempts(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		b := bodies[0]
		nums, _ := b["numbers"].([]any)
		if b["event"] != "member_failed" || b["cause"] != m.EndCause || b["member_id"] != float64(m.ID) ||
			b["name"] != m.Name || b["campaign"] != "hooks" || len(nums) != 1 {
			t.Errorf("member %s (%s): notice %v", m.Name, m.EndCause, b)
			continue
		}
		num, _ := nums[0].(map[string]any)
		if num["number"] != m.Communications[0].Number || num["attempts"] != float64(len(as)) {
			t.Errorf("member %s: notice number %v, want %s with its %d attempts", m.Name, num, m.Communications[0].Number, len(as))
		}
		// Every attempt but one lost in a kill before its originate went
		// out is a call the switch saw.
		if seen := calls[id]; seen == 0 || seen > len(as) {
			t.Errorf("member %s: the switch saw %d calls, the notice says %d attempts", m.Name, seen, len(as))
		}
		for _, o := range bodies[1:] {
			if fmt.Sprint(o) != fmt.Sprint(b) {
				t.Errorf("member %s's notice arrived twice with different payloads:\n%v\n%v", m.Name, b, o)
			}
		}
	}
	notices := 0
	for key := range rc.delivered {
		if strings.HasSuffix(key, ":failed") {
			notices++
		}
	}
	if notices != failed {
		t.Errorf("%d distinct failure notices for %d failed members", notices, failed)
	}
	if failed == 0 || done == 0 || held == 0 {
		t.Fatalf("%d failed, %d done, %d notices held by the first kill: the run proves nothing", failed, done, held)
	}
	t.Logf("%d failed members notified once each (%d held by the first kill), %d done members not notified, %d requests",
		failed, held, done, rc.requests)
}
