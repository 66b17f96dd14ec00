package esl_test

import (
	"errors"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl"
	"github.com/fsdialer/dialer/esl/fssim"
)

// waitHealth polls the client's health until ok accepts it.
func waitHealth(t *testing.T, cl *esl.Client, what string, ok func(esl.Health) bool) esl.Health {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		h := cl.Health()
		if ok(h) {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("health never showed %s: last %+v", what, h)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestClient_HealthKeepsWhyItIsDown: a refused password stays the
// reason while the client retries (State alone flips between connecting
// and disconnected), the outage has one start, and the reason is gone
// once a client connects.
func TestClient_HealthKeepsWhyItIsDown(t *testing.T) {
	srv := startSim(t, fssim.Options{Password: "secret"})
	cfg := testConfig(srv.Addr())
	cfg.Password = "wrong"
	before := time.Now()
	cl := runClient(t, cfg)
	h := waitHealth(t, cl, "a refused password", func(h esl.Health) bool { return h.Err != nil })
	var re *esl.ReplyError
	if !errors.As(h.Err, &re) || re.Command != "auth" || re.Reply != "-ERR invalid" {
		t.Fatalf("health error = %v, want the auth reply -ERR invalid", h.Err)
	}
	if h.State == esl.StateConnected || h.Retry <= 0 || h.Since.Before(before) || h.Since.After(time.Now()) {
		t.Fatalf("health = %+v, want down since the client started, with a retry delay", h)
	}
	// Over several tries (5 to 100 ms apart) the reason and the outage's
	// start stay the same.
	for range 60 {
		time.Sleep(5 * time.Millisecond)
		g := cl.Health()
		if !errors.As(g.Err, &re) || !g.Since.Equal(h.Since) {
			t.Fatalf("health while retrying = %+v, want the auth error since %s", g, h.Since)
		}
	}

	cfg.Password = "secret"
	good := runClient(t, cfg)
	up := waitHealth(t, good, "connected", func(h esl.Health) bool { return h.State == esl.StateConnected })
	if up.Err != nil || up.Retry != 0 {
		t.Fatalf("connected health = %+v, want no error and no retry", up)
	}
}
