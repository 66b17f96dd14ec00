package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
)

// TestServe_AutostartOnImport: a finished campaign with autostart: true
// starts again when `dialer member import` adds members while the daemon
// runs, and its new members are called; one without it keeps its new
// members waiting and nothing is dialed for them (both from the switch's
// record).
func TestServe_AutostartOnImport(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 10}, func(t *testing.T, sw switchtest.Backend) {
		e := newE2E(t, sw)
		auto := strings.Replace(labCampaign, "name: lab", "name: auto\nautostart: true", 1) + alwaysOpen
		manual := strings.Replace(labCampaign, "name: lab", "name: manual", 1) + alwaysOpen
		e.load(auto, []string{"a0:+12125550100"})
		e.load(manual, []string{"m0:+12125550101"})
		ctx, cancel := context.WithCancel(e.ctx)
		done := e.serve(ctx, serveOptions{statusTick: 50 * time.Millisecond}, sw.Now)
		t.Cleanup(func() {
			cancel()
			waitDaemon(t, done, 30*time.Second)
		})
		finished := func(name string) func() bool {
			return func() bool {
				c, err := e.db.Campaign(e.ctx, name)
				return err == nil && c.State == dialer.StateFinished
			}
		}
		waitFor(t, 60*time.Second, "both campaigns to finish", func() bool { return finished("auto")() && finished("manual")() })

		c := &cli{t: t, db: e.cfg.Database}
		csv := filepath.Join(t.TempDir(), "more.csv")
		if err := os.WriteFile(csv, []byte("name,phone\na1,+12125550102\na2,+12125550103\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		importedAt := sw.Now()
		out := c.ok("member", "import", "--campaign", "auto", "--map", "numbers=phone:mobile;name=name", csv)
		contains(t, out, "imported 2 members")
		if err := os.WriteFile(csv, []byte("name,phone\nm1,+12125550104\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		contains(t, c.ok("member", "import", "--campaign", "manual", "--map", "numbers=phone:mobile;name=name", csv),
			"imported 1 members", "dialer campaign start manual")
		if got, _ := e.db.Campaign(e.ctx, "auto"); got.State != dialer.StateRunning && got.State != dialer.StateFinished {
			t.Fatalf("auto after the import: %s, want running", got.State)
		}

		waitFor(t, 60*time.Second, "auto's new members to be called and the campaign to finish again", func() bool {
			return len(originatedSince(sw, importedAt, "2125550102", "2125550103")) == 2 && finished("auto")()
		})
		// The campaign without autostart had as long to dial its new
		// member: the switch never saw it.
		if got := originatedSince(sw, importedAt, "2125550104"); len(got) != 0 {
			t.Errorf("manual (no autostart) dialed %v after the import", got)
		}
		if got, _ := e.db.Campaign(e.ctx, "manual"); got.State != dialer.StateFinished {
			t.Errorf("manual after the import: %s, want finished (not started by the import)", got.State)
		}
	})
}

// originatedSince lists the customer calls the switch saw from since on
// whose destination holds one of the numbers.
func originatedSince(sw switchtest.Backend, since time.Time, numbers ...string) []string {
	var out []string
	for _, ch := range switchtest.Customers(sw.Channels()) {
		if ch.Created.Before(since.Add(-switchtest.ClockLag)) {
			continue
		}
		for _, n := range numbers {
			if strings.Contains(ch.Destination, n) {
				out = append(out, ch.Destination)
			}
		}
	}
	return out
}
