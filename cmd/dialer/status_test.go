package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsdialer/dialer/config"
	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
	"github.com/spf13/cobra"
)

// TestStatus_DaemonLifecycle: what status says of a daemon that never ran,
// runs with its event socket refused, shut down cleanly, exited on an
// error, and died without a word.
func TestStatus_DaemonLifecycle(t *testing.T) {
	c := ivrWithResults(t)
	ctx := context.Background()
	db, err := store.Open(ctx, c.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	running := store.DaemonStatus{PID: 1234, Host: "fs1", Version: "v1.2.0", StartedAt: c.now.Add(-time.Hour),
		UpdatedAt: c.now.Add(-time.Second), ESLState: "disconnected", ESLSince: c.now.Add(-70 * time.Second),
		ESLError: "authenticate with 10.0.0.5:8021: esl: auth: -ERR invalid", ESLRetry: dialer.Duration(time.Second), ESLReconnects: 0}
	tests := []struct {
		name    string
		prepare func() error
		state   string
		daemon  string
		esl     string
	}{
		{"never started", func() error { return nil }, "never_started",
			"daemon: not running (no daemon has run on this database; start one with dialer serve)", "ESL: unknown"},
		{"running with a refused password", func() error { return db.WriteDaemonStatus(ctx, running) }, "running",
			"daemon: running, pid 1234 on fs1",
			"ESL: disconnected since " + tableTime(c.now.Add(-70*time.Second)) + ": authenticate with 10.0.0.5:8021: esl: auth: -ERR invalid (retrying every 1s; 0 reconnects)"},
		{"clean shutdown", func() error { return db.MarkDaemonStopped(ctx, 1234, c.now.Add(-30*time.Second), "") }, "stopped",
			"daemon: stopped at " + tableTime(c.now.Add(-30*time.Second)) + " (pid 1234 on fs1, clean shutdown)", "ESL: unknown"},
		{"exit on an error", func() error {
			if err := db.WriteDaemonStatus(ctx, running); err != nil {
				return err
			}
			return db.MarkDaemonStopped(ctx, 1234, c.now.Add(-20*time.Second), "engine: database disk image is malformed")
		}, "stopped", "daemon: stopped at " + tableTime(c.now.Add(-20*time.Second)) + " (pid 1234 on fs1, exited on an error: engine: database disk image is malformed)",
			"ESL: unknown"},
		{"killed", func() error {
			dead := running
			dead.UpdatedAt = c.now.Add(-time.Minute)
			return db.WriteDaemonStatus(ctx, dead)
		}, "not_responding", "daemon: not running (last seen " + tableTime(c.now.Add(-time.Minute)) + ", pid 1234 on fs1, did not shut down cleanly", "ESL: unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.prepare(); err != nil {
				t.Fatal(err)
			}
			out := c.viewOK("status")
			if got := viewLine(t, out, "daemon:"); !strings.HasPrefix(got, tt.daemon) {
				t.Errorf("daemon line = %q, want %q", got, tt.daemon)
			}
			if got := viewLine(t, out, "ESL:"); !strings.HasPrefix(got, tt.esl) {
				t.Errorf("ESL line = %q, want %q", got, tt.esl)
			}
			var v statusView
			if err := json.Unmarshal([]byte(c.viewOK("status", "-o", "json")), &v); err != nil {
				t.Fatal(err)
			}
			if v.Daemon.State != tt.state || v.Daemon.Running != (tt.state == "running") {
				t.Errorf("json daemon = %+v, want state %s", v.Daemon, tt.state)
			}
			if tt.state == "running" && (v.Daemon.ESLError != running.ESLError || v.Daemon.ESLRetry != running.ESLRetry) {
				t.Errorf("json daemon = %+v, want the ESL error and retry", v.Daemon)
			}
		})
	}
}

// blockWriter collects output and cancels once it has seen n status
// blocks.
type blockWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	n      int
	cancel context.CancelFunc
}

func (w *blockWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Count(w.buf.String(), "status at ") >= w.n {
		w.cancel()
	}
	return len(p), nil
}

// TestStatus_Watch: --watch shows one block per interval, separated by a
// blank line when the output is not a terminal, and ends without an
// error when its context ends (Ctrl-C).
func TestStatus_Watch(t *testing.T) {
	c := ivrWithResults(t)
	cfg := config.Default()
	cfg.Database = c.db
	a := &app{cfg: cfg, now: func() time.Time { return c.now }}
	root := &cobra.Command{Use: "dialer", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(newStatusCmd(a))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &blockWriter{n: 3, cancel: cancel}
	root.SetOut(w)
	root.SetErr(w)
	root.SetArgs([]string{"status", "--watch", "--interval", "10ms"})
	if err := root.ExecuteContext(ctx); err != nil {
		t.Fatalf("status --watch: %v\n%s", err, w.buf.String())
	}
	out := w.buf.String()
	blocks := strings.Split(out, "\n\nstatus at ")
	if len(blocks) != 3 || strings.Contains(out, "\x1b[") {
		t.Fatalf("want 3 blocks separated by a blank line and no terminal codes, got %d:\n%s", len(blocks), out)
	}
	for _, b := range blocks {
		contains(t, b, tableTime(c.now)+" (every 10ms; Ctrl-C to stop)", "daemon:", "survey-ivr")
	}
	c.viewFails("--interval 0s: must be positive", "status", "--watch", "--interval", "0")
}

// TestStatus_Nodes: a daemon working several switches shows each node's
// state, address and calls, in the table and in JSON.
func TestStatus_Nodes(t *testing.T) {
	c := ivrWithResults(t)
	ctx := context.Background()
	db, err := store.Open(ctx, c.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	nodes := []store.NodeLive{
		{Name: "fs-a", Address: "10.0.0.1:8021", State: "connected", Since: c.now.Add(-time.Hour), Calls: 12, MaxCalls: 500},
		{Name: "fs-b", Address: "10.0.0.2:8021", State: "disconnected", Since: c.now.Add(-90 * time.Second), MaxCalls: 300},
	}
	if err := db.WriteDaemonStatus(ctx, store.DaemonStatus{PID: 1, Host: "h", Version: "v", StartedAt: c.now.Add(-time.Hour),
		UpdatedAt: c.now.Add(-time.Second), ESLState: "connected", Nodes: nodes}); err != nil {
		t.Fatal(err)
	}
	out := c.viewOK("status")
	for _, want := range []string{
		"node fs-a: connected since " + tableTime(c.now.Add(-time.Hour)) + ", 10.0.0.1:8021, 12/500 calls",
		"node fs-b: disconnected since " + tableTime(c.now.Add(-90*time.Second)) + ", 10.0.0.2:8021, 0/300 calls",
	} {
		if got := viewLine(t, out, strings.SplitN(want, ":", 2)[0]+":"); got != want {
			t.Errorf("status line %q, want %q", got, want)
		}
	}
	var v statusView
	if err := json.Unmarshal([]byte(c.viewOK("status", "-o", "json")), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Daemon.Nodes) != 2 {
		t.Fatalf("json nodes %+v, want %+v", v.Daemon.Nodes, nodes)
	}
	for i, n := range v.Daemon.Nodes {
		w := nodes[i]
		if n.Name != w.Name || n.Address != w.Address || n.State != w.State || !n.Since.Equal(w.Since) ||
			n.Calls != w.Calls || n.MaxCalls != w.MaxCalls {
			t.Errorf("json node %+v, want %+v", n, w)
		}
	}
}
