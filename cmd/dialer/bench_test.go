package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl"
	"github.com/fsdialer/dialer/esl/fssim"
)

// BenchmarkEngineThroughput runs a 20,000-member IVR campaign whose calls
// all answer against the simulator (1000x speed: calls last milliseconds,
// the engine keeps real time) and reports attempts
// finished per second, next to the simulator's raw bgapi originate rate
// through the same ESL client measured in the same run.
func BenchmarkEngineThroughput(b *testing.B) {
	const members = 20000
	for i := 0; i < b.N; i++ {
		t := &testing.T{}
		e := newSimE2E(t, fssim.Options{Speed: 1000, HeartbeatInterval: time.Second})
		defer e.sim.Close()
		if f, err := os.Create(filepath.Join(os.TempDir(), "bench-serve.log")); err == nil {
			e.log = f
			defer f.Close()
		}
		raw := rawOriginateRate(b, e.sim.Addr(), 5000)
		e.cfg.Limits.MaxCalls = 4000
		e.cfg.Limits.MaxCPS = 100000
		doc := `
name: bench
mode: ivr
dial: {template: "sofia/gateway/{gw}/{number}", vars: {gw: gw1}}
ivr: {extension: dialer_ivr_example, context: dialer_ivr}
limits: {lines: 4000, ring_timeout: 20s}
retry: {max_attempts: 1}
` + alwaysOpen
		var ms []string
		for j := range members {
			// Last two digits 00-49: every call answers (test numbering plan).
			ms = append(ms, fmt.Sprintf("b%d:+1%03d%07d", j, 212+j%5*100, 2000000+(j/50)*100+j%50))
		}
		c := e.load(doc, ms)
		start := time.Now()
		done := e.serve(context.Background(), serveOptions{untilDone: true, statusTick: 20 * time.Millisecond}, time.Now)
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		rep, err := e.db.Report(context.Background(), c.ID)
		if err != nil {
			b.Fatal(err)
		}
		final := rep.Attempts.Final
		b.ReportMetric(float64(final)/elapsed.Seconds(), "attempts/s")
		b.ReportMetric(raw, "raw-originates/s")
		b.ReportMetric(float64(final)/elapsed.Seconds()/raw, "ratio")
		if final != members {
			b.Fatalf("%d of %d attempts final", final, members)
		}
	}
}

// rawOriginateRate measures bgapi originate round trips per second through
// the ESL client alone (16 concurrent senders).
func rawOriginateRate(b *testing.B, addr string, n int) float64 {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := esl.New(esl.Config{Addr: addr})
	if err != nil {
		b.Fatal(err)
	}
	go c.Run(ctx)
	defer c.Close()
	if err := c.WaitConnected(ctx); err != nil {
		b.Fatal(err)
	}
	go func() {
		for {
			if _, err := c.Next(ctx); err != nil {
				return
			}
		}
	}()
	jobs := make(chan int)
	errs := make(chan error, 16)
	start := time.Now()
	for w := 0; w < 16; w++ {
		go func() {
			for j := range jobs {
				o := esl.Originate{DialTemplate: "sofia/gateway/{gw}/{number}", TemplateVars: map[string]string{"gw": "gw1"},
					Number: fmt.Sprintf("+1646%07d", j), UUID: fmt.Sprintf("raw-%d-%d", time.Now().UnixNano(), j),
					RingTimeout: 20 * time.Second, Dest: esl.Destination{App: "park"}}
				if _, err := c.Originate(ctx, o); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for j := 0; j < n; j++ {
		jobs <- j
	}
	close(jobs)
	for w := 0; w < 16; w++ {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	rate := float64(n) / time.Since(start).Seconds()
	runtime.GC()
	return rate
}

// BenchmarkDaemonMemoryPerCall runs the daemon binary against a simulator
// whose calls answer and stay up, with 10,000 calls in progress, and
// reports the daemon's resident memory per call in progress: its RSS at
// 10,000 calls minus its RSS with the campaign loaded and no call.
func BenchmarkDaemonMemoryPerCall(b *testing.B) {
	const calls = 10000
	bin := buildDialer(b)
	for i := 0; i < b.N; i++ {
		sc, err := fssim.ParseScenario([]byte("rules:\n  - {name: stay, glob: \"*\", ring: 1s, answer: true, stay: true}\n"))
		if err != nil {
			b.Fatal(err)
		}
		e := newSimE2E(&testing.T{}, fssim.Options{Scenario: sc, HeartbeatInterval: 5 * time.Second})
		doc := `
name: mem
mode: ivr
dial: {template: "sofia/gateway/{gw}/{number}", vars: {gw: gw1}}
ivr: {extension: dialer_ivr_example, context: dialer_ivr}
limits: {lines: 10000, ring_timeout: 20s}
retry: {max_attempts: 1}
` + alwaysOpen
		var ms []string
		for j := range calls {
			ms = append(ms, fmt.Sprintf("m%d:+1%03d%07d", j, 212+j%5*100, 2000000+j))
		}
		e.load(doc, ms)
		if _, err := e.db.SetCampaignState(context.Background(), "mem", "paused"); err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command(bin, "serve")
		cmd.Env = append(os.Environ(), "DIALER_DATABASE="+e.cfg.Database, "DIALER_ESL_ADDRESS="+e.cfg.ESL.Address, "DIALER_HTTP_LISTEN=127.0.0.1:0",
			"DIALER_LIMITS_MAX_CALLS=20000", "DIALER_LIMITS_MAX_CPS=5000", "DIALER_LOG_LEVEL=warn")
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		time.Sleep(2 * time.Second)
		base := rssKiB(b, cmd.Process.Pid)
		if _, err := e.db.SetCampaignState(context.Background(), "mem", "running"); err != nil {
			b.Fatal(err)
		}
		deadline := time.Now().Add(2 * time.Minute)
		for e.sim.ActiveCalls() < calls && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
		}
		time.Sleep(2 * time.Second)
		up := e.sim.ActiveCalls()
		full := rssKiB(b, cmd.Process.Pid)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		e.sim.Close()
		if up < calls {
			b.Fatalf("only %d calls up", up)
		}
		b.ReportMetric(float64(full-base)*1024/float64(up), "B/call")
		b.ReportMetric(float64(base), "base-KiB")
		b.ReportMetric(float64(full), "full-KiB")
	}
}

// rssKiB reads a process's resident set size.
func rssKiB(b *testing.B, pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kib int
			fmt.Sscanf(strings.TrimSpace(rest), "%d", &kib)
			return kib
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
