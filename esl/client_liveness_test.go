package esl_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl"
	"github.com/fsdialer/dialer/esl/fssim"
)

// TestClient_Liveness: every way a connection can die is noticed and the
// client reconnects, re-subscribes and says so in the stream; a log/data
// frame, which silently stops eslgo's reader (defect 7), is kept from
// eslgo instead.
func TestClient_Liveness(t *testing.T) {
	tests := []struct {
		name      string
		cfg       func(*esl.Config)
		fault     func(srv *fssim.Server)
		repair    func(srv *fssim.Server)
		wantCause error // nil: the connection must survive
	}{
		{
			// eslgo does not report an end of stream inside a frame
			// (defect 6).
			name:      "dropped mid-frame",
			fault:     func(srv *fssim.Server) { srv.DropConnections(true) },
			wantCause: io.ErrUnexpectedEOF,
		},
		{
			name:      "dropped between frames",
			fault:     func(srv *fssim.Server) { srv.DropConnections(false) },
			wantCause: io.EOF,
		},
		{
			name:      "disconnect notice",
			fault:     func(srv *fssim.Server) { srv.SendDisconnectNotice() },
			wantCause: esl.ErrRemoteClosed,
		},
		{
			name:      "switch restarted",
			fault:     func(srv *fssim.Server) { srv.Restart() },
			wantCause: io.EOF,
		},
		{
			// Sockets stay open and nothing is written: the status probe
			// gets no reply.
			name:      "silent switch, caught by the status probe",
			fault:     func(srv *fssim.Server) { srv.SetSilent(true) },
			repair:    func(srv *fssim.Server) { srv.SetSilent(false) },
			wantCause: esl.ErrCommandTimeout,
		},
		{
			name: "silent switch, caught by the heartbeat watchdog",
			cfg: func(cfg *esl.Config) {
				cfg.ProbeInterval = time.Minute
				cfg.HeartbeatTimeout = 400 * time.Millisecond
			},
			fault:     func(srv *fssim.Server) { srv.SetSilent(true) },
			repair:    func(srv *fssim.Server) { srv.SetSilent(false) },
			wantCause: esl.ErrSilent,
		},
		{
			name:  "log/data frame",
			fault: func(srv *fssim.Server) { srv.SendLogData() },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// HEARTBEAT every 1 s of scenario time = 100 ms of wall time.
			srv := startSim(t, fssim.Options{Speed: 10, HeartbeatInterval: time.Second})
			cfg := testConfig(srv.Addr())
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			cl := connected(t, cfg)
			if m := nextMarker(t, cl, esl.KindConnected, time.Second); m.Conn != 1 {
				t.Fatalf("first marker %+v", m)
			}
			start := time.Now()
			tt.fault(srv)

			if tt.wantCause == nil {
				waitFor(t, 2*time.Second, "the frame to be discarded", func() bool { return cl.Stats().Discarded == 1 })
				time.Sleep(2 * cfg.ProbeInterval)
				checkWorks(t, cl, 1)
				if st := cl.Stats(); st.Reconnects != 0 || st.State != esl.StateConnected {
					t.Errorf("stats after %s: %+v", tt.name, st)
				}
				return
			}
			m := nextMarker(t, cl, esl.KindDisconnected, 3*time.Second)
			if !errors.Is(m.Err, tt.wantCause) {
				t.Errorf("disconnect cause %v, want %v", m.Err, tt.wantCause)
			}
			t.Logf("%s noticed after %v: %v", tt.name, time.Since(start).Round(time.Millisecond), m.Err)
			if tt.repair != nil {
				tt.repair(srv)
			}
			if m := nextMarker(t, cl, esl.KindConnected, 5*time.Second); m.Conn != 2 {
				t.Errorf("reconnect marker %+v, want Conn 2", m)
			}
			checkWorks(t, cl, 2)
		})
	}
}

// checkWorks checks that commands work and that the subscription is in
// place: an originate's channel events and BACKGROUND_JOB reach the stream
// from connection conn.
func checkWorks(t *testing.T, cl *esl.Client, conn uint64) {
	t.Helper()
	if _, err := cl.API(ctxFor(t, 2*time.Second), "status"); err != nil {
		t.Fatalf("api status: %v", err)
	}
	o := originate("15551270", nil) // UNALLOCATED_NUMBER at once
	job, err := cl.Originate(ctxFor(t, 2*time.Second), o)
	if err != nil {
		t.Fatalf("originate: %v", err)
	}
	call := esl.NewCall(o.UUID, job.ID)
	ctx := ctxFor(t, 5*time.Second)
	for !call.Record().Complete || !call.Record().JobDone {
		e, err := cl.Next(ctx)
		if err != nil {
			t.Fatalf("events of the originate: %v (so far %+v)", err, call.Record())
		}
		if call.Apply(e) && e.Conn != conn {
			t.Errorf("event %s from connection %d, want %d", e.Name, e.Conn, conn)
		}
	}
	if r := call.Record(); r.Cause != "UNALLOCATED_NUMBER" || r.Answered {
		t.Errorf("record %+v", r)
	}
}

// TestClient_DialDeadlines: eslgo's Dial blocks forever on a rude
// rejection or a server that never sends auth/request (defect 8). Dials
// fail in time, the socket is closed, and nothing is left running.
func TestClient_DialDeadlines(t *testing.T) {
	tests := []struct {
		name    string
		server  func(t *testing.T) (addr string, sawClose func() bool)
		wantErr func(error) bool
	}{
		{
			name: "rude rejection",
			server: func(t *testing.T) (string, func() bool) {
				var closed atomic.Int32
				f := newFakeFS(t, func(s *fakeSession) {
					msg := "Access Denied, go away.\n"
					_ = s.send([]byte(fmt.Sprintf("Content-Type: text/rude-rejection\nContent-Length: %d\n\n%s", len(msg), msg)))
					if s.readUntilEOF(3 * time.Second) {
						closed.Add(1)
					}
				})
				return f.addr(), func() bool { return closed.Load() > 0 }
			},
			wantErr: func(err error) bool { return errors.Is(err, esl.ErrRejected) },
		},
		{
			name: "silent server",
			server: func(t *testing.T) (string, func() bool) {
				var closed atomic.Int32
				f := newFakeFS(t, func(s *fakeSession) {
					if s.readUntilEOF(3 * time.Second) {
						closed.Add(1)
					}
				})
				return f.addr(), func() bool { return closed.Load() > 0 }
			},
			wantErr: func(err error) bool { return errors.Is(err, esl.ErrAuthTimeout) },
		},
		{
			name: "auth/request but no reply to auth",
			server: func(t *testing.T) (string, func() bool) {
				var closed atomic.Int32
				f := newFakeFS(t, func(s *fakeSession) {
					_ = s.send([]byte("Content-Type: auth/request\n\n"))
					if s.readUntilEOF(3 * time.Second) {
						closed.Add(1)
					}
				})
				return f.addr(), func() bool { return closed.Load() > 0 }
			},
			wantErr: func(err error) bool { return errors.Is(err, esl.ErrAuthTimeout) },
		},
		{
			name: "wrong password",
			server: func(t *testing.T) (string, func() bool) {
				srv := startSim(t, fssim.Options{Password: "secret"})
				return srv.Addr(), nil
			},
			wantErr: func(err error) bool {
				var re *esl.ReplyError
				return errors.As(err, &re) && re.Command == "auth" && strings.HasPrefix(re.Reply, "-ERR")
			},
		},
		{
			name: "nothing listening",
			server: func(t *testing.T) (string, func() bool) {
				f := newFakeFS(t, func(*fakeSession) {})
				addr := f.addr()
				f.close()
				return addr, nil
			},
			wantErr: func(err error) bool { return err != nil && strings.Contains(err.Error(), "dial") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, sawClose := tt.server(t)
			base := runtime.NumGoroutine()
			cfg := testConfig(addr)
			cfg.AuthTimeout = 300 * time.Millisecond
			cfg.BackoffMin, cfg.BackoffMax = 50*time.Millisecond, 100*time.Millisecond
			cl, err := esl.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			start := time.Now()
			go func() { done <- cl.Run(context.Background()) }()
			var lastErr error
			waitFor(t, 3*time.Second, "a failed dial", func() bool {
				_, lastErr = cl.State()
				return lastErr != nil
			})
			if !tt.wantErr(lastErr) {
				t.Errorf("dial error: %v", lastErr)
			}
			if d := time.Since(start); d > cfg.AuthTimeout+cfg.DialTimeout {
				t.Errorf("failed dial took %v", d)
			}
			// A few more attempts, then nothing may be left running.
			time.Sleep(400 * time.Millisecond)
			if err := cl.WaitConnected(ctxFor(t, 10*time.Millisecond)); err == nil {
				t.Fatal("connected")
			}
			_ = cl.Close()
			<-done
			if sawClose != nil {
				waitFor(t, 3*time.Second, "the server to see the socket closed", sawClose)
			}
			n := settleGoroutines(base, 3*time.Second)
			if n > base {
				t.Errorf("goroutines: %d before, %d after", base, n)
			}
			t.Logf("%s: %v (goroutines %d before, %d after)", tt.name, lastErr, base, n)
		})
	}
}

// TestClient_PendingCommands: a command in flight fails with
// ErrDisconnected as soon as the connection is lost, and Close does not
// wait for it (eslgo's Close blocks while SendCommand waits: defect 9).
func TestClient_PendingCommands(t *testing.T) {
	tests := []struct {
		name  string
		cut   func(srv *fssim.Server, cl *esl.Client)
		want  []error
		limit time.Duration
	}{
		{"connection lost", func(srv *fssim.Server, _ *esl.Client) { srv.DropConnections(false) },
			[]error{esl.ErrDisconnected}, 500 * time.Millisecond},
		{"client closed", func(_ *fssim.Server, cl *esl.Client) { _ = cl.Close() },
			[]error{esl.ErrDisconnected, esl.ErrClosed}, 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startSim(t, fssim.Options{})
			cfg := testConfig(srv.Addr())
			cfg.CommandTimeout = time.Minute
			cfg.ProbeInterval = time.Minute
			cl := connected(t, cfg)
			srv.SetSilent(true)
			const n = 5
			errs := make(chan error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := cl.API(context.Background(), fmt.Sprintf("pending_%d", i))
					errs <- err
				}()
			}
			time.Sleep(100 * time.Millisecond)
			start := time.Now()
			tt.cut(srv, cl)
			wg.Wait()
			if d := time.Since(start); d > tt.limit {
				t.Errorf("pending commands returned after %v", d)
			}
			close(errs)
			// One command was written and lost its reply; the others
			// waited their turn and were never sent.
			inFlight, waiting := 0, 0
			for err := range errs {
				switch {
				case errors.Is(err, esl.ErrNotSent) && errors.Is(err, esl.ErrNotConnected):
					waiting++
				case !errors.Is(err, esl.ErrNotSent):
					inFlight++
					for _, want := range tt.want {
						if !errors.Is(err, want) {
							t.Errorf("command in flight: %v, want %v", err, want)
						}
					}
				default:
					t.Errorf("pending command: %v", err)
				}
			}
			if inFlight != 1 || waiting != n-1 {
				t.Errorf("%d in flight, %d waiting; want 1 and %d", inFlight, waiting, n-1)
			}
			srv.SetSilent(false)
		})
	}
}

// TestClient_ReconnectStress drops and restores the connection many times
// while commands and events flow. eslgo's own Close races with its
// goroutines (defect 13, issue #46's "send on closed channel"); the client
// never calls it, so -race stays quiet and nothing panics.
func TestClient_ReconnectStress(t *testing.T) {
	srv := startSim(t, fssim.Options{Speed: 20, HeartbeatInterval: time.Second})
	cfg := testConfig(srv.Addr())
	cl := connected(t, cfg)
	base := runtime.NumGoroutine()

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { stop(); wg.Wait() })
	var ok, failed atomic.Int64
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				var err error
				if i%3 == 0 {
					_, err = cl.Originate(ctx, originate(fmt.Sprintf("155512%d%d", w, i%5), nil))
				} else {
					_, err = cl.API(ctx, "status")
				}
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, esl.ErrDisconnected), errors.Is(err, esl.ErrNotConnected), ctx.Err() != nil:
					failed.Add(1)
					time.Sleep(5 * time.Millisecond)
				default:
					t.Errorf("worker %d: %v", w, err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			if _, err := cl.Next(ctx); err != nil {
				return
			}
		}
	}()
	const cycles = 30
	for i := range cycles {
		if err := cl.WaitConnected(ctxFor(t, 5*time.Second)); err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		time.Sleep(20 * time.Millisecond)
		switch i % 3 {
		case 0:
			srv.DropConnections(true)
		case 1:
			srv.DropConnections(false)
		default:
			srv.SendDisconnectNotice()
		}
		waitFor(t, 2*time.Second, "the drop to be noticed", func() bool { return cl.Stats().Conn > uint64(i+1) || cl.Stats().State != esl.StateConnected })
	}
	if err := cl.WaitConnected(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	stop()
	wg.Wait()
	if st := cl.Stats(); st.Reconnects < cycles {
		t.Errorf("reconnects = %d, want >= %d", st.Reconnects, cycles)
	}
	if n := settleGoroutines(base+10, 3*time.Second); n > base+10 {
		t.Errorf("goroutines grew from %d to %d over %d reconnects", base, n, cycles)
	}
	t.Logf("%d reconnects; %d commands succeeded, %d failed with a connection error", cl.Stats().Reconnects, ok.Load(), failed.Load())
}

// TestClient_Backoff: reconnect attempts double from BackoffMin up to
// BackoffMax, each with up to half of it as jitter.
func TestClient_Backoff(t *testing.T) {
	var mu sync.Mutex
	var attempts []time.Time
	f := newFakeFS(t, func(s *fakeSession) {
		mu.Lock()
		attempts = append(attempts, time.Now())
		mu.Unlock()
		msg := "Access Denied, go away.\n"
		_ = s.send([]byte(fmt.Sprintf("Content-Type: text/rude-rejection\nContent-Length: %d\n\n%s", len(msg), msg)))
	})
	cfg := testConfig(f.addr())
	cfg.BackoffMin, cfg.BackoffMax = 20*time.Millisecond, 200*time.Millisecond
	runClient(t, cfg)
	time.Sleep(2 * time.Second)
	mu.Lock()
	defer mu.Unlock()
	if len(attempts) < 8 {
		t.Fatalf("%d attempts in 2 s", len(attempts))
	}
	var gaps []time.Duration
	for i := 1; i < len(attempts); i++ {
		gaps = append(gaps, attempts[i].Sub(attempts[i-1]))
	}
	const slack = 60 * time.Millisecond
	for i, g := range gaps[:4] {
		ceiling := cfg.BackoffMin << i
		if g > ceiling+slack {
			t.Errorf("gap %d = %v, want at most %v", i, g, ceiling)
		}
	}
	for i, g := range gaps[5:] {
		if g < cfg.BackoffMax/2-slack/2 || g > cfg.BackoffMax+slack {
			t.Errorf("capped gap %d = %v, want %v..%v", i+5, g, cfg.BackoffMax/2, cfg.BackoffMax)
		}
	}
	t.Logf("%d attempts, gaps %v", len(attempts), gaps)
}
