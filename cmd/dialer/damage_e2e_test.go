package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
	"github.com/fsdialer/dialer/store"
	"github.com/fsdialer/dialer/store/storetest"
)

// damageLog keeps the daemon's log and, when the daemon says the database
// is damaged, how many customer calls the switch had seen by then.
type damageLog struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	sw    switchtest.Backend
	calls int // -1 until the daemon said so
}

func (l *damageLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.calls < 0 && bytes.Contains(p, []byte("database damaged")) {
		l.calls = len(switchtest.Customers(l.sw.Channels()))
	}
	return l.buf.Write(p)
}

func (l *damageLog) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSpace(l.buf.String()), "\n")
}

// TestServe_StopsDialingOnDamagedDatabase: the database is damaged under
// a daemon working a campaign. The daemon stops placing calls, logs the
// damage once (the store errors that follow are debug), lets the calls in
// progress end and exits with an error naming the file.
//
// Half the file is overwritten, not 64 KB: SQLite meets damage only on
// pages it reads from the file, and the daemon holds many in its caches.
func TestServe_StopsDialingOnDamagedDatabase(t *testing.T) {
	e := newSimE2E(t, fssim.Options{Speed: 20})
	logs := &damageLog{sw: e.sw, calls: -1}
	e.log = logs
	// Numbers ending in 6x ring until the ring timeout: 3,000 members
	// keep five lines busy for minutes.
	members := make([]string, 3000)
	for i := range members {
		members[i] = fmt.Sprintf("m%d:+1212%05d%02d", i, i, 60+i%10)
	}
	e.load(labCampaign+alwaysOpen, members)
	done := e.serve(e.ctx, serveOptions{untilDone: true, statusTick: 50 * time.Millisecond, drain: 2 * time.Second}, e.sim.Now)
	for deadline := time.Now().Add(30 * time.Second); len(switchtest.Customers(e.sw.Channels())) < 20; {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon placed %d calls in 30 s", len(e.sw.Channels()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	storetest.DamageHalf(t, e.cfg.Database)

	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("daemon still running on a damaged database after 60 s; it placed %d calls", len(e.sw.Channels()))
	}
	if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), "database "+e.cfg.Database+" is damaged") ||
		!strings.Contains(err.Error(), "dialer db check") {
		t.Fatalf("daemon exit = %v, want the damaged database named", err)
	}
	var loud []string
	for _, l := range logs.lines() {
		if (strings.Contains(l, "level=ERROR") || strings.Contains(l, "level=WARN")) &&
			(strings.Contains(l, "damaged") || strings.Contains(l, "malformed")) {
			loud = append(loud, l)
		}
	}
	if len(loud) != 1 || !strings.Contains(loud[0], "database damaged: no new calls") {
		t.Fatalf("%d error or warning lines about the damage, want one:\n%s", len(loud), strings.Join(loud, "\n"))
	}
	// Calls already being placed when the damage was found may still
	// reach the switch, at most one per line (lab has 5).
	if after := len(switchtest.Customers(e.sw.Channels())); after > logs.calls+5 {
		t.Errorf("the switch saw %d calls when the daemon found the damage and %d when it exited", logs.calls, after)
	}
}
