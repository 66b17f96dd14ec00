package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
	"github.com/fsdialer/dialer/store"
)

const hookCampaign = `
name: hooks
mode: ivr
dial: {template: "loopback/{number}/dialer_lab"}
ivr: {extension: dialer_ivr_example, context: dialer_ivr}
limits: {lines: 30, calls: 100, interval: 1s, ring_timeout: 5s}
retry: {max_attempts: 2, interval: 1s, max_minus: 1}
callback_url: %s
` + alwaysOpen

// hookReceiver is the end-to-end test's callback receiver. It answers 503
// to its first failFirst requests, holds every slowEvery-th request past
// the dialer's timeout (a failed try on both sides), answers the others
// after a short delay, and can go down (connection refused) and come back
// on the same address.
type hookReceiver struct {
	t         *testing.T
	addr      string
	failFirst int
	slowEvery int
	slowFor   time.Duration

	mu        sync.Mutex
	srv       *http.Server
	served    chan struct{}
	requests  int
	delivered map[string][]map[string]any // idempotency key -> bodies answered 2xx
	agents    map[string]bool
}

func newHookReceiver(t *testing.T) *hookReceiver {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r := &hookReceiver{t: t, addr: addr, failFirst: 8, slowEvery: 7, slowFor: 1500 * time.Millisecond,
		delivered: map[string][]map[string]any{}, agents: map[string]bool{}}
	t.Cleanup(r.down)
	return r
}

func (r *hookReceiver) url() string { return "http://" + r.addr + "/dialer/events" }

// up starts serving on the receiver's address.
func (r *hookReceiver) up() {
	r.t.Helper()
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		r.t.Fatalf("receiver up: %v", err)
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(ln)
	}()
	r.mu.Lock()
	r.srv, r.served = srv, served
	r.mu.Unlock()
}

// down closes the listener and every connection, and waits for the server.
func (r *hookReceiver) down() {
	r.mu.Lock()
	srv, served := r.srv, r.served
	r.srv = nil
	r.mu.Unlock()
	if srv == nil {
		return
	}
	srv.Close()
	<-served
}

func (r *hookReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	raw, err := io.ReadAll(req.Body)
	if err != nil {
		return
	}
	r.mu.Lock()
	r.requests++
	n := r.requests
	r.agents[req.Header.Get("User-Agent")] = true
	r.mu.Unlock()
	switch {
	case n <= r.failFirst:
		http.Error(w, "warming up", http.StatusServiceUnavailable)
		return
	case n%r.slowEvery == 0:
		select {
		case <-time.After(r.slowFor):
		case <-req.Context().Done(): // the dialer gave up: nothing was taken
			return
		}
	default:
		time.Sleep(20 * time.Millisecond)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil || req.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "not JSON", http.StatusBadRequest)
		return
	}
	key := req.Header.Get("Idempotency-Key")
	if body["idempotency_key"] != key || body["event"] != req.Header.Get("X-Dialer-Event") {
		http.Error(w, "headers and body disagree", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.delivered[key] = append(r.delivered[key], body)
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (r *hookReceiver) counts() (requests, keys int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests, len(r.delivered)
}

// startDaemon runs the dialer binary's serve with env.
func startDaemon(t *testing.T, bin string, env []string, log io.Writer, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

func pollUntil(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServe_WebhooksSurviveSIGKILL runs the daemon as a process against a
// receiver that is down, then fails its first deliveries and is slow,
// kills the daemon between attempt changes and their delivery and again
// during deliveries, restarts it while the receiver is down, and checks
// that every attempt's release, and every answered attempt's connect,
// arrived at least once with the attempt's figures.
func TestServe_WebhooksSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	bin := buildDialer(t)
	switchtest.Each(t, fssim.Options{Speed: 10, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		testWebhooksSurviveSIGKILL(t, sw, bin)
	})
}

func testWebhooksSurviveSIGKILL(t *testing.T, sw switchtest.Backend, bin string) {
	rc := newHookReceiver(t)
	e := newE2E(t, sw)
	c := e.load(fmt.Sprintf(hookCampaign, rc.url()), labMembers("w", 30, 99))
	env := append(os.Environ(), "DIALER_DATABASE="+e.cfg.Database, "DIALER_ESL_ADDRESS="+e.cfg.ESL.Address,
		"DIALER_ESL_PASSWORD="+e.cfg.ESL.Password, "DIALER_HTTP_LISTEN=127.0.0.1:0", "DIALER_LIMITS_MAX_CPS=300", "DIALER_LIMITS_MAX_CALLS=300", "DIALER_LOG_LEVEL=warn",
		"DIALER_WEBHOOKS_TIMEOUT=1s", "DIALER_WEBHOOKS_BACKOFF=100ms", "DIALER_WEBHOOKS_MAX_BACKOFF=1s",
		"DIALER_WEBHOOKS_MAX_TRIES=1000")
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

	// 1. The receiver is down: attempts end and their events wait in the
	// outbox; the daemon dies before any is delivered.
	first := startDaemon(t, bin, env, logf)
	pollUntil(t, "callbacks waiting in the outbox", 30*time.Second, func() bool {
		n, err := e.db.CallbackCounts(ctx)
		return err == nil && n.Pending >= 15
	})
	kill(first)
	if req, _ := rc.counts(); req != 0 {
		t.Fatalf("the receiver got %d requests while down", req)
	}
	held, _ := e.db.CallbackCounts(ctx)

	// 2. The receiver is up, failing and slow; the daemon dies in the
	// middle of its deliveries.
	rc.up()
	second := startDaemon(t, bin, env, logf)
	pollUntil(t, "deliveries to start", 30*time.Second, func() bool {
		req, _ := rc.counts()
		return req >= rc.failFirst+4
	})
	kill(second)

	// 3. The receiver is down while the daemon restarts, then comes back;
	// the last daemon finishes the campaign and every delivery.
	rc.down()
	last := startDaemon(t, bin, env, logf)
	time.Sleep(700 * time.Millisecond)
	rc.up()
	pollUntil(t, "the campaign to finish and every callback to be delivered", 60*time.Second, func() bool {
		got, err := e.db.Campaign(ctx, c.Name)
		if err != nil || got.State != dialer.StateFinished {
			return false
		}
		open, err := e.db.OpenAttempts(ctx)
		if err != nil || len(open) > 0 {
			return false
		}
		n, err := e.db.CallbackCounts(ctx)
		return err == nil && n.Pending == 0 && n.Dead == 0
	})
	stopDaemon(t, last)

	// Every attempt's events arrived, with the attempt's figures.
	checkSettled(t, e.db, c.ID)
	ms, err := e.db.Members(ctx, store.MemberFilter{CampaignID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	want := map[string]bool{}
	answered := 0
	ts := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	for _, m := range ms {
		as, err := e.db.MemberAttempts(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i, a := range as {
			common := map[string]any{"attempt_id": float64(a.ID), "call_uuid": a.UUID, "number": a.Number,
				"member_id": float64(m.ID), "external_key": nil, "campaign": "hooks", "campaign_id": float64(c.ID),
				"attempt_number": float64(i + 1), "begin_time": ts(a.CreatedAt), "agent": nil, "agent_id": nil}
			release := map[string]any{"event": "release", "cause": a.Cause, "class": a.Class, "q850": float64(a.Q850),
				"billsec": a.Billsec.Seconds(), "answer_time": ts(a.AnsweredAt), "end_time": ts(a.EndedAt)}
			checks := map[string]map[string]any{a.UUID + ":release": release}
			if !a.AnsweredAt.IsZero() {
				answered++
				checks[a.UUID+":connect"] = map[string]any{"event": "connect", "end_time": nil, "cause": nil, "billsec": nil}
			}
			for key, fields := range checks {
				want[key] = true
				bodies := rc.delivered[key]
				if len(bodies) == 0 {
					t.Errorf("member %s attempt %d (%s, %s): %s never arrived", m.Name, a.ID, a.Cause, a.UUID, key)
					continue
				}
				for k, w := range common {
					fields[k] = w
				}
				for k, w := range fields {
					if got := bodies[0][k]; fmt.Sprint(got) != fmt.Sprint(w) {
						t.Errorf("%s: %s = %v, want %v", key, k, got, w)
					}
				}
				if key == a.UUID+":connect" && bodies[0]["answer_time"] == nil {
					t.Errorf("%s has no answer_time", key)
				}
			}
		}
	}
	for _, m := range ms { // failure notices: see TestServe_FailureNoticesSurviveSIGKILL
		if m.State == dialer.MemberFailed {
			want[fmt.Sprintf("member-%d:failed", m.ID)] = true
		}
	}
	duplicates := 0
	for key, bodies := range rc.delivered {
		if !want[key] {
			t.Errorf("the receiver got %s, which no attempt has", key)
		}
		duplicates += len(bodies) - 1
		for _, b := range bodies[1:] {
			if fmt.Sprint(b) != fmt.Sprint(bodies[0]) {
				t.Errorf("%s arrived twice with different payloads:\n%v\n%v", key, bodies[0], b)
			}
		}
	}
	for ua := range rc.agents {
		if !strings.HasPrefix(ua, "fsdialer/") {
			t.Errorf("User-Agent %q", ua)
		}
	}
	if answered == 0 || len(want) < 100 {
		t.Fatalf("%d events, %d answered attempts: the campaign proves nothing", len(want), answered)
	}
	t.Logf("%d events (%d connects) delivered after %d requests, %d duplicates; %d were held in the outbox by the first kill",
		len(want), answered, rc.requests, duplicates, held.Pending)
}

// stopDaemon stops a daemon binary the test started with SIGTERM: it must
// exit 0 within 20 s.
func stopDaemon(t *testing.T, daemon *exec.Cmd) {
	t.Helper()
	if err := daemon.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- daemon.Wait() }()
	select {
	case err := <-waited:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Errorf("daemon exited with %v", err)
		}
	case <-time.After(20 * time.Second):
		daemon.Process.Kill()
		t.Fatal("daemon did not stop on SIGTERM")
	}
}
