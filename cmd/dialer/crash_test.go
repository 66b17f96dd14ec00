package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
	"github.com/fsdialer/dialer/store"
)

const crashCampaign = `
name: crash
mode: ivr
dial: {template: "loopback/{number}/dialer_lab"}
ivr: {extension: dialer_ivr_example, context: dialer_ivr}
limits: {lines: 60, calls: 200, interval: 1s, ring_timeout: 5s}
retry: {max_attempts: 2, interval: 2s, max_minus: 1}
` + alwaysOpen

// crashMembers are n members cycling through every outcome of the plan.
func crashMembers(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("c%d:+1212%03d%04d", i, 555+i/10000, 100+i%10000)
	}
	return out
}

// checkSettled fails unless every member is waiting or final and every
// attempt is final.
func checkSettled(t *testing.T, db *store.DB, campaignID int64) {
	t.Helper()
	ctx := context.Background()
	calling, err := db.Members(ctx, store.MemberFilter{CampaignID: campaignID, State: dialer.MemberCalling})
	if err != nil {
		t.Fatal(err)
	}
	if len(calling) != 0 {
		t.Fatalf("%d members still calling", len(calling))
	}
	open, err := db.OpenAttempts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 0 {
		t.Fatalf("%d attempts not final", len(open))
	}
}

func buildDialer(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "dialer")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build dialer: %v\n%s", err, out)
	}
	return bin
}

// TestServe_SurvivesSIGKILL kills the daemon at random moments of a
// campaign (500 members on the simulator, 80 on a real switch), ten (five)
// times, then lets a last run finish it.
func TestServe_SurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	bin := buildDialer(t)
	switchtest.Each(t, fssim.Options{Speed: 10, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		members, kills := 500, 10
		if sw.Real() {
			members, kills = 80, 5
		}
		e := newE2E(t, sw)
		c := e.load(crashCampaign, crashMembers(members))
		env := append(os.Environ(), "DIALER_DATABASE="+e.cfg.Database, "DIALER_ESL_ADDRESS="+e.cfg.ESL.Address,
			"DIALER_ESL_PASSWORD="+e.cfg.ESL.Password, "DIALER_HTTP_LISTEN=127.0.0.1:0",
			"DIALER_LIMITS_MAX_CPS=300", "DIALER_LIMITS_MAX_CALLS=300", "DIALER_LOG_LEVEL=warn")
		logf, err := os.Create(filepath.Join(t.TempDir(), "serve.log"))
		if err != nil {
			t.Fatal(err)
		}
		defer logf.Close()
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range kills {
			cmd := exec.Command(bin, "serve")
			cmd.Env, cmd.Stdout, cmd.Stderr = env, logf, logf
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Duration(200+rng.IntN(1000)) * time.Millisecond)
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatalf("kill %d: %v", i, err)
			}
			cmd.Wait()
		}
		killed := len(spans(sw, time.Time{}))
		final := exec.Command(bin, "serve", "--until-done")
		final.Env, final.Stdout, final.Stderr = env, logf, logf
		if err := final.Start(); err != nil {
			t.Fatal(err)
		}
		waited := make(chan error, 1)
		go func() { waited <- final.Wait() }()
		select {
		case err := <-waited:
			if err != nil {
				t.Fatalf("final run: %v", err)
			}
		case <-time.After(3 * time.Minute):
			final.Process.Kill()
			t.Fatal("final run did not finish the campaign")
		}
		ss := spans(sw, time.Time{})
		t.Logf("%d originates during %d killed runs, %d in all", killed, kills, len(ss))
		if killed == 0 {
			t.Fatal("the killed runs dialed nothing: the test proves nothing")
		}
		checkSettled(t, e.db, c.ID)
		// The retry interval is 2 s of the daemon's (wall) clock.
		checkNoOverlap(t, ss, time.Duration(float64(2*time.Second)*sw.Speed())-time.Second)
		checkNoneUp(t, sw)
	})
}

// checkNoneUp fails when the switch still has a channel up.
func checkNoneUp(t *testing.T, sw switchtest.Backend) {
	t.Helper()
	for _, c := range sw.Channels() {
		if c.Active {
			t.Errorf("channel %s (%s, attempt %q, created %s) still up after the run", c.UUID, c.Destination,
				c.Vars["dialer_attempt_id"], c.Created.Format("15:04:05.000"))
		}
	}
}

// TestServe_SurvivesESLDrops drops the event socket 20 times and restarts
// the switch (every call is lost; a real switch is SIGKILLed and started
// again) during one run.
func TestServe_SurvivesESLDrops(t *testing.T) {
	if testing.Short() {
		t.Skip("drop test: skipped with -short")
	}
	switchtest.Each(t, fssim.Options{Speed: 10, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		members := 300
		if sw.Real() {
			members = 80
		}
		e := newE2E(t, sw)
		c := e.load(crashCampaign, crashMembers(members))
		if e.sim != nil {
			// The simulator beats every second; FreeSWITCH every 20 s, so
			// a real switch keeps newE2E's longer timeout.
			e.cfg.ESL.HeartbeatTimeout = 3 * time.Second
		}
		done := e.serve(e.ctx, serveOptions{untilDone: true, drain: 5 * time.Second, statusTick: 100 * time.Millisecond}, time.Now)
		var restartAt time.Time
		for i := range 20 {
			time.Sleep(250 * time.Millisecond)
			if e.sim != nil {
				e.sim.DropConnections(i%2 == 0)
			} else {
				sw.DropConnections()
			}
			if i == 10 {
				restartAt = sw.Now()
				if err := sw.Restart(e.ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		waitDaemon(t, done, 3*time.Minute)
		checkSettled(t, e.db, c.ID)
		checkNoOverlap(t, spans(sw, restartAt), time.Duration(float64(2*time.Second)*sw.Speed())-time.Second)
		checkNoneUp(t, sw)
		lost := 0
		ms, _ := e.db.Members(e.ctx, store.MemberFilter{CampaignID: c.ID})
		for _, m := range ms {
			as, _ := e.db.MemberAttempts(e.ctx, m.ID)
			for _, a := range as {
				if a.Cause == "DIALER_LOST" {
					lost++
				}
			}
		}
		t.Logf("%d originates, %d attempts finalised as DIALER_LOST", len(spans(sw, restartAt)), lost)
		if lost == 0 {
			t.Error("no attempt was lost in the switch restart: the test proves nothing")
		}
	})
}
