package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
	"github.com/fsdialer/dialer/store/pgtest"
)

// clusterCampaign is an IVR campaign whose callees stay on the survey IVR
// for 1 to 5 s, so that calls overlap and fill the lines.
const clusterCampaign = `
name: shared
mode: ivr
dial: {template: "loopback/{number}/dialer_lab"}
ivr: {extension: dialer_ivr_survey, context: dialer_ivr}
limits: {lines: 8, calls: 10, interval: 1s, ring_timeout: 10s}
retry: {max_attempts: 4, interval: 3s, max_minus: 1}
` + alwaysOpen

// TestServe_ThreeDaemonsOnePostgres: three daemon processes work one
// campaign from one PostgreSQL database through one switch; one of them
// is SIGKILLed three times mid-campaign and started again. From the
// switch's own records: no member was ever in two calls, none was called
// again sooner than its retry interval, and the campaign's 8 lines were
// never exceeded; from the database: every attempt ended final and the
// campaign finished.
func TestServe_ThreeDaemonsOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("several daemons: skipped with -short")
	}
	bin := buildDialer(t)
	ctx := context.Background()
	pg, err := pgtest.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop() })
	n := 0
	switchtest.Each(t, fssim.Options{HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		n++
		name := fmt.Sprintf("cluster%d", n)
		if err := pg.CreateDatabase(ctx, name, ""); err != nil {
			t.Fatal(err)
		}
		e := newE2EOn(t, sw, pg.DSN(name))
		var members []string
		for i := range 60 {
			members = append(members, fmt.Sprintf("s%02d:+1212555%02d%02d", i, i, 40+i%5))
		}
		c := e.load(clusterCampaign, members)
		env := append(os.Environ(), "DIALER_DATABASE="+e.cfg.Database, "DIALER_ESL_ADDRESS="+e.cfg.ESL.Address,
			"DIALER_ESL_PASSWORD="+e.cfg.ESL.Password, "DIALER_HTTP_LISTEN=127.0.0.1:0",
			"DIALER_CLUSTER_LEASE=3s", "DIALER_LOG_LEVEL=info", "DIALER_LIMITS_MAX_CALLS=100", "DIALER_ESL_HEARTBEAT_TIMEOUT="+e.cfg.ESL.HeartbeatTimeout.String())
		logf, err := os.Create(filepath.Join(t.TempDir(), "serve.log"))
		if err != nil {
			t.Fatal(err)
		}
		defer logf.Close()
		if p := os.Getenv("DIALER_E2E_LOG"); p != "" {
			if f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
				defer f.Close()
				logf = f
			}
		}
		start := func() (*exec.Cmd, <-chan error) {
			// The README's example; the environment points it at the
			// test's database and switch.
			cmd := exec.Command(bin, "serve", "--until-done", "--config", "../../testdata/config/cluster.yaml")
			cmd.Env, cmd.Stdout, cmd.Stderr = env, logf, logf
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			return cmd, done
		}
		var wg sync.WaitGroup
		results := make(chan error, 8)
		wait := func(done <-chan error) {
			wg.Add(1)
			go func() { defer wg.Done(); results <- <-done }()
		}
		_, d1 := start()
		_, d2 := start()
		wait(d1)
		wait(d2)
		victim, vdone := start()
		// dialer status lists the three daemons holding a lease.
		waitFor(t, 20*time.Second, "dialer status to list 3 daemons", func() bool {
			out, err := exec.Command(bin, "status", "-o", "json", "--db", e.cfg.Database).Output()
			var v statusView
			return err == nil && json.Unmarshal(out, &v) == nil && len(v.Daemons) == 3
		})
		kills := 0
		for range 3 {
			time.Sleep(3 * time.Second)
			if err := victim.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatalf("kill: %v", err)
			}
			<-vdone
			kills++
			victim, vdone = start()
		}
		wait(vdone)
		finished := make(chan struct{})
		go func() { wg.Wait(); close(finished) }()
		select {
		case <-finished:
		case <-time.After(3 * time.Minute):
			t.Fatal("the daemons did not finish the campaign")
		}
		close(results)
		for err := range results {
			if err != nil {
				t.Errorf("a daemon exited: %v", err)
			}
		}
		ss := spans(sw, time.Time{})
		t.Logf("%d customer calls for %d members, one daemon killed %d times", len(ss), len(members), kills)
		if len(ss) < len(members) {
			t.Errorf("the switch saw %d calls for %d members", len(ss), len(members))
		}
		if got := maxConcurrentSpans(ss); got > 8 {
			t.Errorf("%d calls up at once, campaign lines 8", got)
		}
		checkNoOverlap(t, ss, 3*time.Second-switchtest.ClockLag)
		checkSettled(t, e.db, c.ID)
		got, _ := e.db.Campaign(e.ctx, "shared")
		if got.State != dialer.StateFinished {
			t.Errorf("campaign %s, want finished", got.State)
		}
		ds, err := e.db.Daemons(e.ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 6 {
			t.Errorf("%d daemons registered, want 6 (three, and the killed one started three times more)", len(ds))
		}
		checkNoneUp(t, sw)
	})
}
