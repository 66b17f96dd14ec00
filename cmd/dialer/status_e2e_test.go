package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
)

// TestServe_StatusShowsWhyESLIsDown runs the daemon with a wrong event
// socket password: `dialer status` says the socket is down since when,
// with the switch's own refusal and the retry delay; after the daemon's
// clean shutdown it says when it stopped.
func TestServe_StatusShowsWhyESLIsDown(t *testing.T) {
	switchtest.Each(t, fssim.Options{HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		e := newE2E(t, sw)
		e.cfg.ESL.Password = "not-" + sw.Password()
		c := &cli{t: t, db: e.cfg.Database}
		ctx, cancel := context.WithCancel(e.ctx)
		defer cancel()
		done := e.serve(ctx, serveOptions{statusTick: 50 * time.Millisecond}, time.Now)
		var out string
		pollUntil(t, "status to show the refused password", 30*time.Second, func() bool {
			out = c.ok("status")
			return strings.Contains(out, "auth: -ERR invalid")
		})
		contains(t, viewLine(t, out, "daemon:"), "daemon: running, pid")
		esl := viewLine(t, out, "ESL:")
		if !strings.HasPrefix(esl, "ESL: disconnected since ") || !strings.Contains(esl, "(retrying every ") {
			t.Fatalf("ESL line = %q, want disconnected since ..., the reason and the retry delay", esl)
		}
		cancel()
		waitDaemon(t, done, 30*time.Second)
		contains(t, viewLine(t, c.ok("status"), "daemon:"), "daemon: stopped at ", "clean shutdown)")
	})
}
