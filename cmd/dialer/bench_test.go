package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
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
		e := newE2E(t, fssim.Options{Speed: 1000, HeartbeatInterval: time.Second})
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
