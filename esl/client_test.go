package esl_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/fsdialer/dialer/esl"
	"github.com/fsdialer/dialer/esl/fssim"
)

// originate returns a numbering-plan originate to loopback/<number>.
func originate(number string, vars map[string]string) esl.Originate {
	return esl.Originate{
		DialTemplate: "loopback/{number}/dialer_lab",
		Number:       number,
		UUID:         uuid.NewString(),
		Vars:         vars,
		Dest:         esl.Destination{App: "park"},
	}
}

// originateOK originates and waits for the job's +OK.
func originateOK(t *testing.T, cl *esl.Client, o esl.Originate) esl.JobResult {
	t.Helper()
	job, err := cl.Originate(ctxFor(t, 5*time.Second), o)
	if err != nil {
		t.Fatalf("Originate %s: %v", o.Number, err)
	}
	res, err := job.Wait(ctxFor(t, 10*time.Second))
	if err != nil {
		t.Fatalf("job of %s: %v", o.Number, err)
	}
	if !res.OK || res.UUID != o.UUID {
		t.Fatalf("job of %s: %+v, want +OK %s", o.Number, res, o.UUID)
	}
	return res
}

func TestClient_Commands(t *testing.T) {
	srv := startSim(t, fssim.Options{})
	cl := connected(t, testConfig(srv.Addr()))
	ctx := ctxFor(t, 30*time.Second)

	chans, err := cl.Channels(ctx)
	if err != nil || len(chans) != 0 {
		t.Fatalf("Channels on an idle switch = %v, %v; want none ({\"row_count\": 0})", chans, err)
	}

	customer := originate("15551209", map[string]string{"dialer_campaign_id": "42"})
	agent := originate("1001", nil)
	agent.DialTemplate = "loopback/agent-{number}/dialer_lab"
	originateOK(t, cl, customer)
	originateOK(t, cl, agent)

	t.Run("exists", func(t *testing.T) {
		for id, want := range map[string]bool{customer.UUID: true, uuid.NewString(): false} {
			got, err := cl.Exists(ctx, id)
			if err != nil || got != want {
				t.Errorf("Exists(%s) = %v, %v; want %v", id, got, err, want)
			}
		}
	})
	t.Run("channels", func(t *testing.T) {
		chans, err := cl.Channels(ctx)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(chans, func(c esl.Channel) bool { return c.UUID == customer.UUID })
		if i < 0 {
			t.Fatalf("customer %s not in %+v", customer.UUID, chans)
		}
		c := chans[i]
		if c.Direction != "outbound" || !strings.HasPrefix(c.Name, "loopback/15551209") || c.State == "" || c.Created.IsZero() {
			t.Errorf("row %+v", c)
		}
		if len(chans) != 4 {
			t.Errorf("%d channels, want 4 (two loopback pairs)", len(chans))
		}
	})
	t.Run("setvar and getvar", func(t *testing.T) {
		if err := cl.SetVar(ctx, customer.UUID, "dialer_note", "two words, 100%41"); err != nil {
			t.Fatal(err)
		}
		got, err := cl.GetVar(ctx, customer.UUID, "dialer_note")
		if err != nil || got != "two words, 100%41" {
			t.Errorf("GetVar = %q, %v", got, err)
		}
		if got, err := cl.GetVar(ctx, customer.UUID, "dialer_unset"); err != nil || got != "" {
			t.Errorf("GetVar of an unset variable = %q, %v; want \"\"", got, err)
		}
	})
	t.Run("bridge", func(t *testing.T) {
		if err := cl.Bridge(ctx, customer.UUID, agent.UUID); err != nil {
			t.Fatal(err)
		}
		err := cl.Bridge(ctx, customer.UUID, uuid.NewString())
		var re *esl.ReplyError
		if !errors.As(err, &re) {
			t.Errorf("Bridge to a missing channel: %v, want *ReplyError", err)
		}
	})
	t.Run("api", func(t *testing.T) {
		out, err := cl.API(ctx, "status")
		if err != nil || !strings.HasPrefix(out, "UP ") {
			t.Errorf("API status = %q, %v", firstLine(out), err)
		}
		_, err = cl.API(ctx, "no_such_api x")
		var re *esl.ReplyError
		if !errors.As(err, &re) || re.Reply != "-ERR no_such_api Command not found!" {
			t.Errorf("unknown api: %v", err)
		}
	})
	t.Run("kill with cause", func(t *testing.T) {
		if err := cl.Kill(ctx, agent.UUID, "ORIGINATOR_CANCEL"); err != nil {
			t.Fatal(err)
		}
		err := cl.Kill(ctx, agent.UUID, "")
		var re *esl.ReplyError
		if !errors.As(err, &re) || re.Cause() != "No such channel!" {
			t.Errorf("second kill: %v, want -ERR No such channel!", err)
		}
		if ok, err := cl.Exists(ctx, agent.UUID); err != nil || ok {
			t.Errorf("Exists after kill = %v, %v", ok, err)
		}
	})
	t.Run("hangup all by variable", func(t *testing.T) {
		if err := cl.HangupAll(ctx, "MANAGER_REQUEST", "dialer_campaign_id", "42"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "customer to hang up", func() bool {
			ok, err := cl.Exists(ctx, customer.UUID)
			return err == nil && !ok
		})
	})
	t.Run("transfer", func(t *testing.T) {
		o := originate("15551208", nil)
		originateOK(t, cl, o)
		if err := cl.Transfer(ctx, o.UUID, "ivr", "", "dialer_lab"); err != nil {
			t.Fatal(err)
		}
		_ = cl.Kill(ctx, o.UUID, "")
	})
	t.Run("unsafe arguments are refused before sending", func(t *testing.T) {
		before := len(srv.Originates())
		errs := []error{
			cl.Kill(ctx, "abc\n\napi hupall", ""),
			cl.Kill(ctx, customer.UUID, "NORMAL_CLEARING hupall"),
			cl.SetVar(ctx, customer.UUID, "a b", "x"),
			cl.SetVar(ctx, customer.UUID, "dialer_x", "line1\nline2"),
			cl.HangupAll(ctx, "MANAGER_REQUEST", "dialer_campaign_id", "42 x 1"),
			cl.Transfer(ctx, customer.UUID, "1000 XML evil", "", ""),
		}
		_, err := cl.API(ctx, "status\n\napi hupall")
		errs = append(errs, err)
		_, err = cl.Originate(ctx, esl.Originate{DialTemplate: "loopback/{number}/dialer_lab", Number: "1555|sofia/gateway/evil/1900", Dest: esl.Destination{App: "park"}})
		errs = append(errs, err)
		for i, err := range errs {
			if !errors.Is(err, esl.ErrUnsafe) || !errors.Is(err, esl.ErrNotSent) {
				t.Errorf("case %d: %v, want ErrUnsafe and ErrNotSent", i, err)
			}
		}
		if n := len(srv.Originates()); n != before {
			t.Errorf("an unsafe originate reached the switch")
		}
	})
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// TestClient_ConcurrentCommands: eslgo hands replies to whichever caller
// waits (defect 3: 430-1,925 of 2,000 crossed); one command in flight per
// connection gives every caller its own reply. Each api names itself in
// FreeSWITCH's "-ERR <name> Command not found!" and each bgapi carries its
// Job-UUID, so a crossed reply is visible.
func TestClient_ConcurrentCommands(t *testing.T) {
	srv := startSim(t, fssim.Options{})
	cfg := testConfig(srv.Addr())
	cfg.CommandTimeout = 20 * time.Second
	cl := connected(t, cfg)
	ctx := ctxFor(t, 60*time.Second)

	const n = 2000
	var crossed, failed atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%4 == 0 {
				job, err := cl.BackgroundAPI(ctx, fmt.Sprintf("uuid_exists probe-%d", i))
				if err != nil {
					failed.Add(1)
					t.Errorf("bgapi %d: %v", i, err)
					return
				}
				res, err := job.Wait(ctx)
				if err != nil || strings.TrimSpace(res.Body) != "false" {
					crossed.Add(1)
				}
				return
			}
			name := fmt.Sprintf("probe_%d", i)
			_, err := cl.API(ctx, name+" arg")
			var re *esl.ReplyError
			switch {
			case errors.As(err, &re) && re.Reply == "-ERR "+name+" Command not found!":
			case errors.As(err, &re):
				crossed.Add(1)
			default:
				failed.Add(1)
				t.Errorf("api %s: %v", name, err)
			}
		}()
	}
	wg.Wait()
	if crossed.Load() != 0 || failed.Load() != 0 {
		t.Fatalf("%d of %d commands got another command's reply, %d failed", crossed.Load(), n, failed.Load())
	}
	if st := cl.Stats(); st.Reconnects != 0 {
		t.Errorf("%d reconnects during the test", st.Reconnects)
	}
	t.Logf("%d concurrent commands, 0 crossed replies", n)
}

// TestClient_TimeoutRecyclesConnection: with eslgo a command that times out
// leaves its late reply to the next command, shifting every later reply
// (defect 4). The client closes the connection instead, so later commands
// get their own replies. A synchronous "api originate" of an answering
// number replies only after the simulated ring (1 s).
func TestClient_TimeoutRecyclesConnection(t *testing.T) {
	tests := []struct {
		name      string
		cmdLimit  time.Duration // Config.CommandTimeout
		ctxLimit  time.Duration // the caller's deadline
		wantCause error
	}{
		{"configured command timeout", 300 * time.Millisecond, 10 * time.Second, esl.ErrCommandTimeout},
		{"caller's deadline", 10 * time.Second, 300 * time.Millisecond, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startSim(t, fssim.Options{Speed: 1})
			cfg := testConfig(srv.Addr())
			cfg.CommandTimeout = tt.cmdLimit
			cfg.ProbeInterval = time.Minute
			cl := connected(t, cfg)
			nextMarker(t, cl, esl.KindConnected, time.Second)

			cmd, err := originate("15551200", nil).Command()
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = cl.API(ctxFor(t, tt.ctxLimit), cmd)
			if !errors.Is(err, tt.wantCause) {
				t.Fatalf("slow api: %v, want %v", err, tt.wantCause)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("slow api returned after %v", d)
			}
			m := nextMarker(t, cl, esl.KindDisconnected, time.Second)
			if !errors.Is(m.Err, tt.wantCause) {
				t.Errorf("disconnect cause %v, want %v", m.Err, tt.wantCause)
			}
			nextMarker(t, cl, esl.KindConnected, 2*time.Second)
			// The late "+OK <uuid>" arrives around 1 s; none of these may
			// see it.
			for i := 0; time.Since(start) < 1500*time.Millisecond; i++ {
				name := fmt.Sprintf("after_%d", i)
				_, err := cl.API(ctxFor(t, 2*time.Second), name)
				var re *esl.ReplyError
				if !errors.As(err, &re) || re.Reply != "-ERR "+name+" Command not found!" {
					t.Fatalf("command %d after the timeout got %v", i, err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if st := cl.Stats(); st.Reconnects != 1 {
				t.Errorf("reconnects = %d, want 1", st.Reconnects)
			}
		})
	}
}

// TestClient_BackgroundJobs: registering the Job-UUID listener after the
// reply missed 188-232 of 300 results with eslgo (defect 5). Job-UUIDs are
// chosen by the client and registered before the command is written.
func TestClient_BackgroundJobs(t *testing.T) {
	srv := startSim(t, fssim.Options{Speed: 20})
	cfg := testConfig(srv.Addr())
	cl := connected(t, cfg)
	ctx := ctxFor(t, 60*time.Second)

	// Events are consumed concurrently, as the engine does.
	var streamed sync.Map
	readerDone := make(chan struct{})
	readCtx, stopReading := context.WithCancel(ctx)
	go func() {
		defer close(readerDone)
		for {
			e, err := cl.Next(readCtx)
			if err != nil {
				return
			}
			if e.Name == "BACKGROUND_JOB" {
				streamed.Store(e.JobUUID, e.Body)
			}
		}
	}()
	defer func() { stopReading(); <-readerDone }()

	const n = 300
	wantCause := map[int]string{5: "USER_BUSY", 7: "UNALLOCATED_NUMBER", 8: "CALL_REJECTED", 9: "NORMAL_CIRCUIT_CONGESTION"}
	tens := []int{0, 1, 5, 7, 8, 9}
	jobs := make([]*esl.Job, n)
	origs := make([]esl.Originate, n)
	var wg sync.WaitGroup
	for i := range n {
		origs[i] = originate(fmt.Sprintf("1555%03d%d0", i, tens[i%len(tens)]), map[string]string{"dialer_attempt_id": fmt.Sprint(i)})
		wg.Add(1)
		go func() {
			defer wg.Done()
			job, err := cl.Originate(ctx, origs[i])
			if err != nil {
				t.Errorf("originate %d: %v", i, err)
				return
			}
			jobs[i] = job
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	missed := 0
	for i, job := range jobs {
		res, err := job.Wait(ctxFor(t, 10*time.Second))
		if err != nil {
			missed++
			continue
		}
		d := tens[i%len(tens)]
		if cause, failed := wantCause[d]; failed {
			if res.OK || res.Cause != cause {
				t.Errorf("job %d (%s): %+v, want -ERR %s", i, origs[i].Number, res, cause)
			}
			var re *esl.ReplyError
			if !errors.As(res.Err(), &re) || re.Cause() != cause {
				t.Errorf("job %d: Err() = %v", i, res.Err())
			}
		} else if !res.OK || res.UUID != origs[i].UUID {
			t.Errorf("job %d (%s): %+v, want +OK %s", i, origs[i].Number, res, origs[i].UUID)
		}
	}
	if missed != 0 {
		t.Fatalf("%d of %d BACKGROUND_JOB results missed", missed, n)
	}
	byJob := map[string]bool{}
	for _, r := range srv.Originates() {
		byJob[r.JobUUID] = true
	}
	for i, job := range jobs {
		if !byJob[job.ID] {
			t.Errorf("job %d: the switch never saw Job-UUID %s", i, job.ID)
		}
	}
	waitFor(t, 5*time.Second, "every BACKGROUND_JOB in the event stream", func() bool {
		for _, job := range jobs {
			if _, ok := streamed.Load(job.ID); !ok {
				return false
			}
		}
		return true
	})
	t.Logf("%d concurrent bgapi originates, 0 missed", n)
}

// TestClient_CallOutcomes originates one call per outcome of the numbering
// plan while the simulator shuffles events in groups of 8 (as FreeSWITCH's
// dispatch threads can) on top of eslgo's own reordering, and checks each
// a-leg's merged record.
func TestClient_CallOutcomes(t *testing.T) {
	srv := startSim(t, fssim.Options{Speed: 20})
	srv.SetReorderWindow(8)
	cl := connected(t, testConfig(srv.Addr()))
	ctx := ctxFor(t, 30*time.Second)

	tests := []struct {
		number   string
		answered bool
		cause    string
		billsec  int
	}{
		{"15551202", true, "NORMAL_CLEARING", 3},
		{"15551214", true, "NORMAL_CLEARING", 5},
		{"15551250", false, "USER_BUSY", 0},
		{"15551260", false, "NO_ANSWER", 0},
		{"15551270", false, "UNALLOCATED_NUMBER", 0},
		{"15551280", false, "CALL_REJECTED", 0},
		{"15551290", false, "NORMAL_CIRCUIT_CONGESTION", 0},
	}
	calls := map[string]*esl.Call{}
	for _, tt := range tests {
		o := originate(tt.number, map[string]string{"dialer_number": tt.number})
		o.RingTimeout = 2 * time.Second
		job, err := cl.Originate(ctx, o)
		if err != nil {
			t.Fatalf("originate %s: %v", tt.number, err)
		}
		calls[tt.number] = esl.NewCall(o.UUID, job.ID)
	}
	complete := func() bool {
		for _, c := range calls {
			if r := c.Record(); !r.Complete || !r.JobDone {
				return false
			}
		}
		return true
	}
	for !complete() {
		e, err := cl.Next(ctx)
		if err != nil {
			t.Fatalf("events: %v", err)
		}
		for _, c := range calls {
			c.Apply(e)
		}
	}
	for _, tt := range tests {
		t.Run(tt.number, func(t *testing.T) {
			r := calls[tt.number].Record()
			if r.Answered != tt.answered || r.Cause != tt.cause || r.Billsec != tt.billsec || r.JobOK != tt.answered ||
				r.Vars["dialer_number"] != tt.number || !r.Final {
				t.Errorf("record %+v", r)
			}
		})
	}
}

func TestNew_Config(t *testing.T) {
	tests := []struct {
		name    string
		cfg     esl.Config
		wantErr string
	}{
		{"defaults", esl.Config{Addr: "127.0.0.1:8021"}, ""},
		{"no address", esl.Config{}, "Addr"},
		{"password with a newline", esl.Config{Addr: "x:1", Password: "a\nevent plain ALL"}, "Password"},
		{"CUSTOM in Events", esl.Config{Addr: "x:1", Events: []string{"CHANNEL_ANSWER", "CUSTOM"}}, "CustomSubclasses"},
		{"lower-case event", esl.Config{Addr: "x:1", Events: []string{"channel_answer"}}, "Events"},
		{"bad subclass", esl.Config{Addr: "x:1", CustomSubclasses: []string{"avmd::beep ALL"}}, "CustomSubclasses"},
		{"backoff bounds", esl.Config{Addr: "x:1", BackoffMin: time.Minute, BackoffMax: time.Second}, "BackoffMax"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := esl.New(tt.cfg)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("New: %v, want error naming %q", err, tt.wantErr)
			}
		})
	}
}

func TestClient_Lifecycle(t *testing.T) {
	t.Run("commands before Run fail without sending", func(t *testing.T) {
		cl, err := esl.New(esl.Config{Addr: "127.0.0.1:1"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cl.API(context.Background(), "status"); !errors.Is(err, esl.ErrNotConnected) || !errors.Is(err, esl.ErrNotSent) {
			t.Errorf("API before Run: %v", err)
		}
		if err := cl.Close(); err != nil {
			t.Fatal(err)
		}
		if err := cl.Run(context.Background()); err == nil {
			t.Error("Run after Close succeeded")
		}
		if _, err := cl.Next(context.Background()); !errors.Is(err, esl.ErrClosed) {
			t.Errorf("Next after Close: %v", err)
		}
		if err := cl.WaitConnected(context.Background()); !errors.Is(err, esl.ErrClosed) {
			t.Errorf("WaitConnected after Close: %v", err)
		}
	})
	t.Run("Run twice", func(t *testing.T) {
		srv := startSim(t, fssim.Options{})
		cl := connected(t, testConfig(srv.Addr()))
		if err := cl.Run(context.Background()); err == nil {
			t.Error("second Run succeeded")
		}
	})
	t.Run("cancelled context stops Run", func(t *testing.T) {
		srv := startSim(t, fssim.Options{})
		cl, err := esl.New(testConfig(srv.Addr()))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- cl.Run(ctx) }()
		if err := cl.WaitConnected(ctxFor(t, 5*time.Second)); err != nil {
			t.Fatal(err)
		}
		o := originate("15551260", nil) // rings until killed
		job, err := cl.Originate(ctxFor(t, 5*time.Second), o)
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("Run did not return")
		}
		if _, err := job.Wait(ctxFor(t, time.Second)); !errors.Is(err, esl.ErrClosed) {
			t.Errorf("pending job after Run ended: %v", err)
		}
		if st, _ := cl.State(); st != esl.StateClosed {
			t.Errorf("state %v", st)
		}
		// bgapi-originated calls survive the client.
		if srv.ActiveCalls() == 0 {
			t.Error("the ringing call did not survive the client")
		}
	})
	t.Run("metrics", func(t *testing.T) {
		srv := startSim(t, fssim.Options{})
		reg := prometheus.NewRegistry()
		cfg := testConfig(srv.Addr())
		cfg.Registerer = reg
		connected(t, cfg)
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, f := range families {
			for _, m := range f.GetMetric() {
				got[f.GetName()] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
			}
		}
		for _, name := range []string{"esl_event_backlog", "esl_events_dropped_total", "esl_reconnects_total", "esl_frames_discarded_total", "esl_connected"} {
			if _, ok := got[name]; !ok {
				t.Errorf("metric %s missing from %v", name, got)
			}
		}
		if got["esl_connected"] != 1 {
			t.Errorf("esl_connected = %v", got["esl_connected"])
		}
		if _, err := esl.New(cfg); err == nil {
			t.Error("registering twice succeeded")
		}
	})
}
