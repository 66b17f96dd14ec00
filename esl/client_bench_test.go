package esl_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl"
	"github.com/fsdialer/dialer/esl/fssim"
)

// endlessBurstServer writes b's chunks over and over once the client
// subscribes, answering commands between chunks, until the connection ends.
func endlessBurstServer(tb testing.TB, b *burst) *fakeFS {
	return newFakeFS(tb, func(s *fakeSession) {
		if !s.auth("ClueCon") {
			return
		}
		var wg sync.WaitGroup
		defer wg.Wait()
		s.serve(func(line string, _ map[string]string) bool {
			if !strings.HasPrefix(line, "event ") {
				return false
			}
			_ = s.send(reply("+OK event listener enabled plain"))
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					for _, c := range b.chunks {
						if s.send(c) != nil {
							return
						}
					}
				}
			}()
			return true
		})
	})
}

// BenchmarkClient_Events measures events decoded end to end: TCP, the
// guard's frame reader and event decoder, the queue and Next.
func BenchmarkClient_Events(b *testing.B) {
	f := endlessBurstServer(b, newBurst(10_000))
	cfg := testConfig(f.addr())
	cfg.ProbeTimeout = 5 * time.Second
	cl := connected(b, cfg)
	ctx := ctxFor(b, 10*time.Minute)
	b.ResetTimer()
	start := time.Now()
	for got := 0; got < b.N; {
		e, err := cl.Next(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if e.Kind == esl.KindSwitch {
			got++
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	if st := cl.Stats(); st.Dropped != 0 {
		b.Errorf("dropped %d", st.Dropped)
	}
}

// BenchmarkClient_Originate measures bgapi originate round trips against
// the simulator: the command and its reply, then the BACKGROUND_JOB (an
// unallocated number fails at once), from 16 goroutines.
func BenchmarkClient_Originate(b *testing.B) {
	srv := startSim(b, fssim.Options{Speed: 100, HeartbeatInterval: -1})
	cfg := testConfig(srv.Addr())
	cfg.QueueLimit = 1 << 20
	cl := connected(b, cfg)
	ctx := ctxFor(b, 10*time.Minute)
	go func() {
		for {
			if _, err := cl.Next(ctx); err != nil {
				return
			}
		}
	}()
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			job, err := cl.Originate(ctx, originate(fmt.Sprintf("1555%05d70", i%100000), nil))
			if err != nil {
				b.Error(err)
				return
			}
			if res, err := job.Wait(ctx); err != nil || res.Cause != "UNALLOCATED_NUMBER" {
				b.Errorf("job: %+v, %v", res, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "originates/s")
}

// BenchmarkClient_API measures plain api round trips (one in flight).
func BenchmarkClient_API(b *testing.B) {
	srv := startSim(b, fssim.Options{HeartbeatInterval: -1})
	cl := connected(b, testConfig(srv.Addr()))
	ctx := ctxFor(b, 10*time.Minute)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := cl.Exists(ctx, "a6f3d1c4-0000-4000-8000-000000000000"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "commands/s")
}
