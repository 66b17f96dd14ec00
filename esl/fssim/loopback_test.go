package fssim_test

import (
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
)

// TestServer_LoopbackLegs: what an a-leg shows when its b-leg is hung up
// (its cause right after the answer, NORMAL_CLEARING later, as on
// FreeSWITCH 1.10.12), and the callee's digit crossing a bridge to the
// bridged loopback's b-leg.
func TestServer_LoopbackLegs(t *testing.T) {
	srv := start(t, fssim.Options{Speed: 5})
	c := connect(t, srv)
	c.cmd("event plain DTMF CHANNEL_HANGUP_COMPLETE")
	bleg := func(id string) string {
		t.Helper()
		return c.api("uuid_getvar " + id + " other_loopback_leg_uuid")
	}
	causeOf := func(id string) string {
		t.Helper()
		hc := c.waitEvent(2*time.Second, func(e event) bool { return e.name() == "CHANNEL_HANGUP_COMPLETE" && e.get("Unique-ID") == id })
		return hc.get("Hangup-Cause")
	}
	for _, tt := range []struct {
		name  string
		after time.Duration
		want  string
	}{
		{"b-leg hung up at the answer", 0, "USER_BUSY"},
		{"b-leg hung up later", 400 * time.Millisecond, "NORMAL_CLEARING"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id := upCall(t, c, "", "loopback/agent-1/dialer_lab")
			b := bleg(id)
			time.Sleep(tt.after)
			if got := c.api("uuid_kill " + b + " USER_BUSY"); got != "+OK\n" {
				t.Fatalf("uuid_kill: %q", got)
			}
			if got := causeOf(b); got != "USER_BUSY" {
				t.Errorf("b-leg cause %q", got)
			}
			if got := causeOf(id); got != tt.want {
				t.Errorf("a-leg cause %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("digit across a bridge", func(t *testing.T) {
		agent := upCall(t, c, "", "loopback/agent-2/dialer_lab")
		cust := upCall(t, c, "", "loopback/15550002/dialer_lab")
		if got := c.api("uuid_bridge " + cust + " " + agent); got != "+OK "+agent+"\n" {
			t.Fatalf("uuid_bridge: %q", got)
		}
		b := bleg(agent)
		for _, id := range []string{cust, b} {
			d := c.waitEvent(2*time.Second, func(e event) bool { return e.name() == "DTMF" && e.get("Unique-ID") == id })
			if d.get("DTMF-Digit") != "2" {
				t.Errorf("DTMF on %s: %q", id, d.get("DTMF-Digit"))
			}
		}
		if got := c.api("uuid_getvar " + cust + " dialer_result"); got != "_undef_" {
			t.Errorf("a bridged call took the digit as a result: %q", got)
		}
		c.api("uuid_kill " + agent)
	})
}
