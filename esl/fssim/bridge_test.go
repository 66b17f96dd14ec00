package fssim_test

import (
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
)

// takeScenario: customers ring 50 ms and stay up once answered, or ring
// for a minute ("ringing-*"); agents answer at once and stay.
var takeScenario = &fssim.Scenario{Name: "take", Rules: []fssim.Rule{
	{Glob: "ringing-*", Outcome: fssim.Outcome{Ring: time.Minute, Cause: "NO_ANSWER"}},
	{Glob: "cust-*", Outcome: fssim.Outcome{Ring: 50 * time.Millisecond, Answer: true, Stay: true}},
	{Glob: "agent-*", Outcome: fssim.Outcome{Answer: true, Stay: true}},
}}

// TestServer_BridgeTakesAPendingOriginate: uuid_bridge reaching a channel
// whose originate has not returned takes it from the originate, as on
// FreeSWITCH 1.10.12: the job answers -ERR ORIGINATOR_CANCEL after the
// bridge's +OK and before CHANNEL_BRIDGE, whatever the originate's
// destination and whichever uuid the channel is; an answered channel
// talks on, bridged, and a ringing one cannot be bridged: it hangs up
// DESTINATION_OUT_OF_ORDER and the other leg ORIGINATOR_CANCEL. A bridge
// after the originate returned leaves its +OK alone.
func TestServer_BridgeTakesAPendingOriginate(t *testing.T) {
	tests := []struct {
		name, dest, route string
		// waitFor is what the bridge waits for: the customer's
		// CHANNEL_ANSWER or CHANNEL_CREATE, or its job's +OK.
		waitFor     string
		agentFirst  bool
		wantJob     string
		wantBridged bool
	}{
		{"answered, park", "cust-1", "&park()", "CHANNEL_ANSWER", false, "-ERR ORIGINATOR_CANCEL\n", true},
		{"answered, second uuid", "cust-2", "&park()", "CHANNEL_ANSWER", true, "-ERR ORIGINATOR_CANCEL\n", true},
		{"answered, extension", "cust-3", "dialer_ivr_example XML dialer_ivr", "CHANNEL_ANSWER", false, "-ERR ORIGINATOR_CANCEL\n", true},
		{"after the originate returned", "cust-4", "&park()", "BACKGROUND_JOB", false, "+OK", true},
		{"ringing", "ringing-5", "&park()", "CHANNEL_CREATE", false, "-ERR ORIGINATOR_CANCEL\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Scenario time runs at a tenth of wall time: the 20 ms in
			// which the originate has not returned last 200 ms here.
			srv := start(t, fssim.Options{Speed: 0.1, Scenario: takeScenario})
			c := connect(t, srv)
			c.cmd("event plain CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_BRIDGE CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB")
			agent := upCall(t, c, "", "loopback/agent-1/dialer_lab")
			cust, job := newUUID(), newUUID()
			c.send("bgapi originate {origination_uuid=" + cust + ",ignore_early_media=true}loopback/" + tt.dest + "/dialer_lab " + tt.route + "\nJob-UUID: " + job)
			if got := c.next(time.Second).get("Reply-Text"); got != "+OK Job-UUID: "+job {
				t.Fatalf("bgapi: %q", got)
			}
			c.waitEvent(5*time.Second, func(e event) bool {
				return e.name() == tt.waitFor && (e.get("Unique-ID") == cust || e.get("Job-UUID") == job)
			})
			bridge := "uuid_bridge " + cust + " " + agent
			want := "+OK " + agent + "\n"
			if tt.agentFirst {
				bridge, want = "uuid_bridge "+agent+" "+cust, "+OK "+cust+"\n"
			}
			if got := c.api(bridge); got != want {
				t.Fatalf("%s: %q, want %q", bridge, got, want)
			}
			jobEv := c.waitEvent(time.Second, func(e event) bool { return e.name() == "BACKGROUND_JOB" && e.get("Job-UUID") == job })
			if got := jobEv.body; len(got) < len(tt.wantJob) || got[:len(tt.wantJob)] != tt.wantJob {
				t.Fatalf("job = %q, want %q", got, tt.wantJob)
			}
			if !tt.wantBridged {
				checkTakenWhileRinging(t, c, cust, agent)
				return
			}
			c.waitEvent(time.Second, func(e event) bool { return e.name() == "CHANNEL_BRIDGE" })
			evs := c.snapshot()
			jobAt, bridgeAt := -1, -1
			for i, e := range evs {
				switch {
				case e.name() == "BACKGROUND_JOB" && e.get("Job-UUID") == job:
					jobAt = i
				case e.name() == "CHANNEL_BRIDGE":
					bridgeAt = i
				}
			}
			if jobAt > bridgeAt {
				t.Errorf("events %s: the job came after CHANNEL_BRIDGE", names(evs))
			}
			if got := c.api("uuid_exists " + cust); got != "true" {
				t.Fatalf("customer gone after the bridge: uuid_exists %q", got)
			}
			c.api("uuid_kill " + agent)
			hc := c.waitEvent(time.Second, func(e event) bool {
				return e.name() == "CHANNEL_HANGUP_COMPLETE" && e.get("Unique-ID") == cust
			})
			if hc.get("Hangup-Cause") != "NORMAL_CLEARING" || hc.get("variable_last_bridge_to") != agent {
				t.Errorf("customer hangup: cause %q, last bridged to %q", hc.get("Hangup-Cause"), hc.get("variable_last_bridge_to"))
			}
			if rec, _ := srv.Call(cust); rec.BridgedWith != agent || rec.Answered.IsZero() {
				t.Errorf("customer record: bridged with %q, answered %v", rec.BridgedWith, rec.Answered)
			}
		})
	}
}

// checkTakenWhileRinging: a ringing channel taken by uuid_bridge hangs up
// with the other leg, never bridged.
func checkTakenWhileRinging(t *testing.T, c *client, cust, agent string) {
	t.Helper()
	for id, want := range map[string]string{cust: "DESTINATION_OUT_OF_ORDER", agent: "ORIGINATOR_CANCEL"} {
		hc := c.waitEvent(time.Second, func(e event) bool {
			return e.name() == "CHANNEL_HANGUP_COMPLETE" && e.get("Unique-ID") == id
		})
		if got := hc.get("Hangup-Cause"); got != want {
			t.Errorf("%s hung up %s, want %s", id, got, want)
		}
	}
	if n := eventNames(c.snapshot())["CHANNEL_BRIDGE"]; n != 0 {
		t.Errorf("%d CHANNEL_BRIDGE for a channel that never answered", n)
	}
}
