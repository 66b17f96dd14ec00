package main

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
	"github.com/fsdialer/dialer/store"
)

// calleeZones are numbers of the numbering plan (answering, 2 s of talk)
// in zones spread round the world: at any instant at least one is well
// inside 08:00-21:00 of its zone and one well outside.
var calleeZones = []struct{ number, zone string }{
	{"+14155550101", "America/Los_Angeles"},
	{"+12125550101", "America/New_York"},
	{"+442071230001", "Europe/London"},
	{"+919876543201", "Asia/Kolkata"},
	{"+81312345601", "Asia/Tokyo"},
	{"+61291234501", "Australia/Sydney"},
}

// TestServe_CalleeLocalHours: under compliance: uk-ofcom an IVR campaign
// whose own calendar is always open calls each number only within
// 08:00-21:00 of its callee's zone. Numbers in those hours now are called;
// numbers outside them are not, and wait for 08:00 there; a number whose
// zone cannot be told is never called and its member ends NO_TIMEZONE.
func TestServe_CalleeLocalHours(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 5, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		e := newE2E(t, sw)
		now := sw.Now()
		var members, in, out []string
		wait := map[string]time.Time{}
		for i, z := range calleeZones {
			loc, err := time.LoadLocation(z.zone)
			if err != nil {
				t.Fatal(err)
			}
			local := now.In(loc)
			clock := local.Hour()*60 + local.Minute()
			name := fmt.Sprintf("z%d", i)
			switch {
			case clock >= 8*60+30 && clock <= 20*60+30:
				in = append(in, z.number)
			case clock >= 21*60+30 || clock <= 7*60+30:
				out = append(out, z.number)
				next := time.Date(local.Year(), local.Month(), local.Day(), 8, 0, 0, 0, loc)
				if !next.After(now) {
					next = time.Date(local.Year(), local.Month(), local.Day()+1, 8, 0, 0, 0, loc)
				}
				wait[name] = next
			default:
				continue // too near 08:00 or 21:00 for the run to be sure
			}
			members = append(members, name+":"+z.number)
		}
		members = append(members, "nozone:+80012345601")
		if len(in) == 0 || len(out) == 0 {
			t.Fatalf("at %s no number is both in and out of its hours: in %v, out %v", now, in, out)
		}
		t.Logf("at %s: in hours %v, out of hours %v", now.UTC().Format(time.RFC3339), in, out)
		c := e.load(`
name: hours
mode: ivr
compliance: uk-ofcom
dial: {template: "loopback/{number}/dialer_lab"}
ivr: {extension: dialer_ivr_example, context: dialer_ivr}
limits: {lines: 10, ring_timeout: 15s}
retry: {max_attempts: 1}
`+alwaysOpen, members)
		ctx, cancel := context.WithCancel(e.ctx)
		done := e.serve(ctx, serveOptions{statusTick: 50 * time.Millisecond}, sw.Now)
		settled := func() bool {
			ms, err := e.db.Members(e.ctx, store.MemberFilter{CampaignID: c.ID})
			if err != nil {
				return false
			}
			for _, m := range ms {
				if m.State == dialer.MemberCalling || (m.State == dialer.MemberWaiting && wait[m.Name].IsZero()) {
					return false
				}
				if m.State == dialer.MemberWaiting && !m.DueAt.Equal(wait[m.Name]) {
					return false
				}
			}
			return true
		}
		waitFor(t, time.Minute, "the members in hours to be called and the others set aside", settled)
		// A few more dispatch rounds, in which nothing must be dialed.
		time.Sleep(time.Second)
		cancel()
		waitDaemon(t, done, 30*time.Second)

		dialed := map[string]int{}
		for _, ch := range switchtest.Customers(sw.Channels()) {
			if ch.Vars["dialer_attempt_id"] != "" {
				dialed[ch.Destination]++
			}
		}
		for _, n := range in {
			if dialed[n] != 1 {
				t.Errorf("%s, in its callee's hours, dialed %d times; want once", n, dialed[n])
			}
		}
		for _, n := range append(out, "+80012345601") {
			if dialed[n] != 0 {
				t.Errorf("%s dialed %d times outside its callee's hours", n, dialed[n])
			}
		}
		if len(dialed) != len(in) {
			t.Errorf("the switch saw calls to %v; want only %v", dialed, in)
		}
		ms, err := e.db.Members(e.ctx, store.MemberFilter{CampaignID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		cl := &cli{t: t, db: e.cfg.Database}
		at := sw.Now().UTC().Format(time.RFC3339)
		for _, m := range ms {
			if wait[m.Name].IsZero() {
				continue
			}
			contains(t, cl.ok("member", "explain", strconv.FormatInt(m.ID, 10), "--at", at),
				"outside the callee's calling hours (08:00-21:00 ", ", uk-ofcom) until "+wait[m.Name].Format(time.RFC3339))
		}
		for _, m := range ms {
			switch {
			case m.Name == "nozone":
				if m.State != dialer.MemberFailed || m.EndCause != "NO_TIMEZONE" {
					t.Errorf("member with no zone: %s %s, want failed NO_TIMEZONE", m.State, m.EndCause)
				}
			case !wait[m.Name].IsZero():
				if m.State != dialer.MemberWaiting || !m.DueAt.Equal(wait[m.Name]) || m.Attempts != 0 {
					t.Errorf("member %s out of hours: %s due %s after %d attempts; want waiting for %s", m.Name, m.State, m.DueAt, m.Attempts, wait[m.Name])
				}
			case m.State == dialer.MemberWaiting:
				t.Errorf("member %s in hours still waiting", m.Name)
			}
		}
	})
}
