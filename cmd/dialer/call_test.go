package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/fsdialer/dialer/store"
)

// TestCall_WithoutADaemon: the calls a stopped daemon left open are
// listed with a note that the next start reconciles them; they cannot be
// hung up (only the daemon can), nor can their campaign be deleted, with
// --force or --hangup; an unknown uuid is refused before anything else.
func TestCall_WithoutADaemon(t *testing.T) {
	c := ivrWithResults(t) // attempt 3 (uuid-3, member 3) is open
	out := c.ok("call", "list")
	contains(t, out, "ATTEMPT", "uuid-3", "+13125550175", "survey-ivr", "calling",
		"the daemon is not running (no daemon has run on this database): these calls are reconciled with FreeSWITCH when it starts")
	var calls []store.LiveCall
	if err := json.Unmarshal([]byte(c.ok("call", "list", "--campaign", "survey-ivr", "-o", "json")), &calls); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0].AttemptID != 3 || calls[0].MemberID != 3 || calls[0].UUID != "uuid-3" || calls[0].State != "calling" {
		t.Fatalf("calls = %+v, want attempt 3 calling", calls)
	}
	c.fails("not a call in progress: uuid-1, nope (dialer call list shows the calls in progress); nothing was hung up",
		"call", "hangup", "uuid-3", "uuid-1", "nope")
	c.fails("the daemon is not running (no daemon has run on this database): only the daemon can hang up its calls",
		"call", "hangup", "uuid-3")
	c.fails("the daemon is not running", "call", "hangup", "--campaign", "survey-ivr")
	c.fails("give the uuids of the calls to hang up", "call", "hangup")
	c.fails("campaign survey-ivr has 1 call in progress; stop it and wait for them to end (dialer campaign stop survey-ivr)",
		"campaign", "delete", "survey-ivr", "--force", "--yes")
	c.fails("campaign survey-ivr has 1 call(s) left open, and the daemon is not running",
		"campaign", "delete", "survey-ivr", "--hangup", "--yes")
	// --hangup stopped the campaign, and deleted nothing.
	if got := viewLine(t, c.ok("campaign", "list"), "survey-ivr"); !strings.Contains(got, " stopped ") {
		t.Fatalf("campaign after a refused --hangup delete = %q, want stopped", got)
	}
	contains(t, c.ok("call", "list", "--campaign", "survey-ivr"), "uuid-3")
}
