package esl_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/fsdialer/dialer/esl"
	"github.com/fsdialer/dialer/esl/fssim"
)

// histogram is one series of a histogram as gathered.
type histogram struct {
	count uint64
	sum   float64
}

// gatherHistograms returns the series of the histogram name, by the value
// of label ("" for a histogram without labels).
func gatherHistograms(t *testing.T, reg *prometheus.Registry, name, label string) map[string]histogram {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]histogram{}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			key := ""
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label {
					key = lp.GetValue()
				}
			}
			h := m.GetHistogram()
			out[key] = histogram{count: h.GetSampleCount(), sum: h.GetSampleSum()}
		}
	}
	return out
}

// metricsClient connects a client with a registry of its own and no status
// probes, so that the tests' commands are the only ones after the
// subscription.
func metricsClient(t *testing.T, srv *fssim.Server) (*esl.Client, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	cfg := testConfig(srv.Addr())
	cfg.Registerer = reg
	cfg.ProbeInterval = time.Hour
	cfg.HeartbeatTimeout = 10 * time.Second
	return connected(t, cfg), reg
}

func TestClient_CommandSeconds(t *testing.T) {
	t.Run("every command sent is counted under a bounded label", func(t *testing.T) {
		srv := startSim(t, fssim.Options{})
		cl, reg := metricsClient(t, srv)
		ctx := ctxFor(t, 10*time.Second)

		for range 2 {
			if _, err := cl.Exists(ctx, uuid.NewString()); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := cl.Channels(ctx); err != nil {
			t.Fatal(err)
		}
		// A -ERR reply is a reply: it is timed like any other.
		var re *esl.ReplyError
		if err := cl.Kill(ctx, uuid.NewString(), ""); !errors.As(err, &re) {
			t.Fatalf("Kill of no channel = %v, want a *ReplyError", err)
		}
		// Verbs the client does not send itself share "other".
		if _, err := cl.API(ctx, "version"); err != nil {
			t.Fatal(err)
		}
		if _, err := cl.API(ctx, "no_such_command"); !errors.As(err, &re) {
			t.Fatalf("unknown command = %v, want a *ReplyError", err)
		}
		if _, err := cl.BackgroundAPI(ctx, "version"); err != nil {
			t.Fatal(err)
		}
		originateOK(t, cl, originate("15551209", nil))
		// Refused before it is written: nothing sent, nothing timed.
		if _, err := cl.API(ctx, "status\nevent plain ALL"); err == nil {
			t.Fatal("a command with a line feed was sent")
		}

		got := gatherHistograms(t, reg, "esl_command_seconds", "command")
		want := map[string]uint64{
			"event":           1, // the subscription
			"api uuid_exists": 2,
			"api show":        1,
			"api uuid_kill":   1,
			"api other":       2,
			"bgapi other":     1,
			"bgapi originate": 1,
		}
		var sent uint64
		for command, n := range want {
			if got[command].count != n {
				t.Errorf("esl_command_seconds{command=%q} counted %d, want %d", command, got[command].count, n)
			}
			sent += n
		}
		for command, h := range got {
			if _, ok := want[command]; !ok {
				t.Errorf("esl_command_seconds{command=%q} counted %d, want no such series", command, h.count)
			}
			if h.sum <= 0 || h.sum > 10 {
				t.Errorf("esl_command_seconds{command=%q} sums %vs over %d replies", command, h.sum, h.count)
			}
		}
		if w := gatherHistograms(t, reg, "esl_command_wait_seconds", "")[""]; w.count != sent {
			t.Errorf("esl_command_wait_seconds counted %d, want one per command sent (%d)", w.count, sent)
		}
	})

	t.Run("the reply time, not the wait for the command before", func(t *testing.T) {
		srv := startSim(t, fssim.Options{})
		cl, reg := metricsClient(t, srv)
		ctx := ctxFor(t, 10*time.Second)
		const hold = time.Second

		// The switch holds its replies: the originate is received, and then
		// waits for its reply while holding the connection's one command.
		srv.SetSilent(true)
		first := make(chan error, 1)
		go func() {
			_, err := cl.Originate(ctx, originate("15551209", nil))
			first <- err
		}()
		for srv.Stats().Originates == 0 {
			if ctx.Err() != nil {
				t.Fatal("the originate never reached the switch")
			}
			time.Sleep(time.Millisecond)
		}
		// A second command queues behind it for as long as the switch is
		// silent, and is answered at once after.
		started := make(chan struct{})
		second := make(chan error, 1)
		var took time.Duration
		go func() {
			close(started)
			begin := time.Now()
			_, err := cl.API(ctx, "status")
			took = time.Since(begin)
			second <- err
		}()
		<-started
		time.Sleep(hold)
		srv.SetSilent(false)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		if err := <-second; err != nil {
			t.Fatal(err)
		}

		got := gatherHistograms(t, reg, "esl_command_seconds", "command")
		if o := got["bgapi originate"]; o.count != 1 || o.sum < hold.Seconds() {
			t.Errorf("originate: %d replies in %vs, want 1 of at least %s (its reply was held)", o.count, o.sum, hold)
		}
		// The status command was answered at once once sent; its wait was
		// behind the originate.
		if s := got["api status"]; s.count != 1 || s.sum >= (hold/2).Seconds() {
			t.Errorf("status: %d replies in %vs, want 1 well under %s (its call took %s, most of it waiting)", s.count, s.sum, hold/2, took)
		}
		if w := gatherHistograms(t, reg, "esl_command_wait_seconds", "")[""]; w.count != 3 || w.sum < (hold/2).Seconds() {
			t.Errorf("esl_command_wait_seconds: %d waits in %vs, want 3 (subscription, originate, status) with the status's wait of about %s", w.count, w.sum, hold)
		}
	})
}
