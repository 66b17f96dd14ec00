package esl_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
)

// The switch behaviour predictive mode and persistent agent sessions rest
// on, the same on the simulator and on FreeSWITCH.

// TestLab_BroadcastPlaysThenHangsUp: two uuid_broadcasts to a parked,
// answered call, a tone and then hangup::, run in order: the switch fires
// CHANNEL_EXECUTE playback at once and hangs up when the tone ends
// (loops=2 of 300+200 ms: 1 s), with NORMAL_CLEARING.
func TestLab_BroadcastPlaysThenHangsUp(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: labSpeed}, func(t *testing.T, b switchtest.Backend) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		id := labID("abandon", 0)
		// 15550049 answers after 1 s and stays 10 s.
		if out := labOriginate(ctx, t, b, id, 0, "loopback/15550049/dialer_lab", "&park()"); out != "+OK "+id {
			t.Fatalf("originate: %q", out)
		}
		const tone = "tone_stream://%(300,200,440);loops=2"
		sent := b.Now()
		for _, cmd := range []string{"uuid_broadcast " + id + " playback::" + tone + " aleg", "uuid_broadcast " + id + " hangup::NORMAL_CLEARING aleg"} {
			if out, err := switchtest.API(ctx, b, cmd); err != nil || strings.TrimSpace(out) != "+OK Message sent" {
				t.Fatalf("%s: %q, %v", cmd, out, err)
			}
		}
		ch := labWaitEnded(t, b, 10*time.Second, id)[id]
		var played time.Time
		for _, x := range ch.Executed {
			if x.App == "playback" && x.Data == tone {
				played = x.At
			}
		}
		tol := labTolerance(b)
		if played.IsZero() {
			t.Fatalf("no CHANNEL_EXECUTE playback of the tone: ran %v", ch.Executed)
		}
		if d := played.Sub(sent); d < -switchtest.ClockLag || d > tol {
			t.Errorf("playback began %v after the broadcast, want at once", d)
		}
		if d := ch.Hangup.Sub(played); d < time.Second-switchtest.ClockLag || d > time.Second+tol {
			t.Errorf("hung up %v after the playback began, want when the 1 s tone ended", d)
		}
		if ch.Cause != "NORMAL_CLEARING" {
			t.Errorf("cause %s, want NORMAL_CLEARING", ch.Cause)
		}
	})
}

// TestLab_ParkAfterBridgeKeepsTheAgentLeg: an agent leg originated with
// park_after_bridge=true stays up when the customer bridged to it hangs
// up, and is bridged to the next customer; without it, the switch hangs
// the agent leg up with its customer.
func TestLab_ParkAfterBridgeKeepsTheAgentLeg(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: labSpeed}, func(t *testing.T, b switchtest.Backend) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		session, plain := labID("session", 0), labID("agent", 0)
		for _, o := range []struct{ id, vars string }{{session, ",park_after_bridge=true"}, {plain, ""}} {
			out, err := switchtest.API(ctx, b, "originate {origination_uuid="+o.id+o.vars+"}loopback/agent-1/dialer_lab &park()")
			if err != nil || strings.TrimSpace(out) != "+OK "+o.id {
				t.Fatalf("originate agent leg: %q, %v", out, err)
			}
		}
		// 15550021 answers after 1 s and hangs up 2 s later.
		var customers []string
		for i, agent := range []string{session, plain, session} {
			id := labID("customer", i)
			if out := labOriginate(ctx, t, b, id, 0, "loopback/15550021/dialer_lab", "&park()"); out != "+OK "+id {
				t.Fatalf("originate customer: %q", out)
			}
			if out, err := switchtest.API(ctx, b, "uuid_bridge "+id+" "+agent); err != nil || strings.TrimSpace(out) != "+OK "+agent {
				t.Fatalf("uuid_bridge %s %s: %q, %v", id, agent, out, err)
			}
			labWaitEnded(t, b, 10*time.Second, id)
			labSleep(b, 500*time.Millisecond)
			customers = append(customers, id)
			up := map[string]bool{}
			for _, c := range b.Channels() {
				up[c.UUID] = c.Active
			}
			if !up[session] {
				t.Fatalf("the session leg hung up with customer %d", i)
			}
			if agent == plain && up[plain] {
				t.Error("the agent leg without park_after_bridge stayed up after its customer")
			}
		}
		got := map[string]switchtest.Channel{}
		for _, c := range b.Channels() {
			got[c.UUID] = c
		}
		for i, id := range customers {
			want := session
			if i == 1 {
				want = plain
			}
			if c := got[id]; c.Billsec < 1 || c.BridgedWith != want {
				t.Errorf("customer %s: billsec %d, bridged with %q, want %q", id, c.Billsec, c.BridgedWith, want)
			}
		}
		if _, err := switchtest.API(ctx, b, "uuid_kill "+session); err != nil {
			t.Errorf("uuid_kill: %v", err)
		}
		labWaitEnded(t, b, 10*time.Second, session)
	})
}
