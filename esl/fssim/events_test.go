package fssim_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
)

// ivrScenario keeps "ivr-" calls up and presses 7 in an IVR; "fail-"
// destinations fail at once.
const ivrScenario = `
rules:
  - glob: "ivr-*"
    ring: 1s
    answer: true
    stay: true
    digit: "7"
  - glob: "fail-*"
    cause: UNALLOCATED_NUMBER
  - glob: "up-*"
    answer: true
    stay: true
`

func scenario(t *testing.T, y string) *fssim.Scenario {
	t.Helper()
	sc, err := fssim.ParseScenario([]byte(y))
	if err != nil {
		t.Fatalf("scenario: %v", err)
	}
	return sc
}

func eventNames(evs []event) map[string]int {
	out := map[string]int{}
	for _, e := range evs {
		out[e.name()]++
	}
	return out
}

func TestServer_EventSubscription(t *testing.T) {
	srv := start(t, fssim.Options{Speed: 50, Scenario: scenario(t, ivrScenario)})
	tests := []struct {
		name    string
		cmds    []string
		want    []string
		notWant []string
	}{
		{"one name", []string{"event plain CHANNEL_CREATE"},
			[]string{"CHANNEL_CREATE"}, []string{"CHANNEL_ANSWER", "BACKGROUND_JOB", "CUSTOM", "API"}},
		{"all", []string{"event plain ALL"},
			[]string{"CHANNEL_CREATE", "CHANNEL_ANSWER", "BACKGROUND_JOB", "CUSTOM", "DTMF", "API", "CHANNEL_UUID"}, nil},
		{"custom subclass", []string{"event plain CUSTOM dialer_lab::ivr"},
			[]string{"CUSTOM"}, []string{"CHANNEL_CREATE", "DTMF"}},
		{"other custom subclass", []string{"event plain DTMF CUSTOM other::thing"},
			[]string{"DTMF"}, []string{"CUSTOM"}},
		// FreeSWITCH quirk: nixevent after ALL turns ALL into every single
		// type, and CUSTOM events then need their subclass subscribed.
		{"nixevent after all", []string{"event plain ALL", "nixevent CHANNEL_CREATE API"},
			[]string{"CHANNEL_ANSWER", "BACKGROUND_JOB", "DTMF"}, []string{"CHANNEL_CREATE", "API", "CUSTOM"}},
		{"added in two commands", []string{"event plain CHANNEL_ANSWER", "event plain DTMF"},
			[]string{"CHANNEL_ANSWER", "DTMF"}, []string{"CHANNEL_CREATE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := connect(t, srv)
			for _, cmd := range tt.cmds {
				if got := c.cmd(cmd); !strings.HasPrefix(got, "+OK") {
					t.Fatalf("%s: %q", cmd, got)
				}
			}
			// The control connection listens before the call exists: at
			// speed 50 the callee's digit comes within tens of milliseconds.
			ctl := connect(t, srv)
			ctl.cmd("event plain DTMF")
			id := newUUID()
			bgOriginate(t, c, "{origination_uuid="+id+"}sofia/gateway/gw/ivr-1 9000 XML dialer_ivr")
			ctl.waitEvent(2*time.Second, func(e event) bool { return e.name() == "DTMF" && e.get("Unique-ID") == id })
			if got := ctl.cmd("sendevent CUSTOM\nEvent-Subclass: dialer_lab::ivr"); !strings.HasPrefix(got, "+OK ") {
				t.Fatalf("sendevent: %q", got)
			}
			ctl.api("uuid_kill " + id)
			time.Sleep(50 * time.Millisecond)
			got := eventNames(c.snapshot())
			for _, n := range tt.want {
				if got[n] == 0 {
					t.Errorf("no %s; got %v", n, got)
				}
			}
			for _, n := range tt.notWant {
				if got[n] != 0 {
					t.Errorf("unexpected %s; got %v", n, got)
				}
			}
		})
	}

	t.Run("replies", func(t *testing.T) {
		c := connect(t, srv)
		for _, tt := range []struct{ cmd, want string }{
			{"event plain", "-ERR no keywords supplied"},
			{"event plain NOT_AN_EVENT", "-ERR no keywords supplied"},
			{"noevents", "-ERR not listening for events"},
			{"event json CHANNEL_CREATE", "+OK event listener enabled json"},
			{"event xml CHANNEL_CREATE", "+OK event listener enabled xml"},
			{"event plain SWITCH_EVENT_CHANNEL_ANSWER", "+OK event listener enabled plain"},
			{"nixevent CHANNEL_ANSWER", "+OK events nixed"},
			{"noevents", "+OK no longer listening for events"},
			{"filter Unique-ID", "-ERR invalid syntax"},
			{"linger", "-ERR not controlling a session"},
			{"divert_events on", "-ERR not controlling a session."},
			{"nolog", "-ERR not loging"},
			{"log debug", "+OK log level debug [7]"},
			{"nolog", "+OK no longer logging"},
			{"sendmsg 00000000-dead-beef-0000-000000000000", "-ERR invalid session id [00000000-dead-beef-0000-000000000000]"},
			{"nonsense", "-ERR command not found"},
		} {
			if got := c.cmd(tt.cmd); got != tt.want {
				t.Errorf("%s: got %q, want %q", tt.cmd, got, tt.want)
			}
		}
	})

	t.Run("json format", func(t *testing.T) {
		c := connect(t, srv)
		c.cmd("event json BACKGROUND_JOB")
		c.send("bgapi status")
		c.next(time.Second)
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) {
			c.pump()
			c.mu.Lock()
			n := len(c.others)
			var body string
			if n > 0 {
				body = c.others[0].body
			}
			c.mu.Unlock()
			if n > 0 {
				if !strings.HasPrefix(body, `{"Event-Name":"BACKGROUND_JOB"`) || !strings.Contains(body, `"_body":"UP `) {
					t.Fatalf("json event %q", body)
				}
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatal("no json event")
	})
}

func TestServer_Filters(t *testing.T) {
	srv := start(t, fssim.Options{Speed: 50, Scenario: scenario(t, ivrScenario), HeartbeatInterval: 200 * time.Millisecond})
	tests := []struct {
		name    string
		filters []string
		check   func(t *testing.T, evs []event, id1, id2 string)
	}{
		{"unique-id filter hides everything else", []string{"filter Unique-ID %s"},
			func(t *testing.T, evs []event, id1, id2 string) {
				for _, e := range evs {
					if e.get("Unique-ID") != id1 {
						t.Errorf("%s for %q passed the filter", e.name(), e.get("Unique-ID"))
					}
				}
				if n := len(eventsFor(evs, id1)); n != 5 {
					t.Errorf("%d events for the filtered call, want 5", n)
				}
			}},
		{"background jobs need their own filter", []string{"filter Unique-ID %s", "filter Event-Name BACKGROUND_JOB"},
			func(t *testing.T, evs []event, id1, id2 string) {
				n := eventNames(evs)
				if n["BACKGROUND_JOB"] != 2 || len(eventsFor(evs, id2)) != 0 || len(eventsFor(evs, id1)) != 5 {
					t.Errorf("got %v", n)
				}
			}},
		{"regex filter", []string{"filter Event-Name /^CHANNEL_(CREATE|DESTROY)$/"},
			func(t *testing.T, evs []event, id1, id2 string) {
				n := eventNames(evs)
				if n["CHANNEL_CREATE"] != 2 || n["CHANNEL_DESTROY"] != 2 || len(n) != 2 {
					t.Errorf("got %v", n)
				}
			}},
		{"negative filter after a positive one", []string{"filter Unique-ID %s", "filter Event-Name -CHANNEL_CREATE"},
			func(t *testing.T, evs []event, id1, id2 string) {
				got := eventsFor(evs, id1)
				if len(got) != 4 || strings.Contains(strings.Join(got, " "), "CHANNEL_CREATE") {
					t.Errorf("got %v", got)
				}
			}},
		{"a lone negative filter blocks everything", []string{"filter Event-Name -CHANNEL_CREATE"},
			func(t *testing.T, evs []event, id1, id2 string) {
				if len(evs) != 0 {
					t.Errorf("got %s", names(evs))
				}
			}},
		{"delete restores", []string{"filter Unique-ID %s", "filter delete Unique-ID %s"},
			func(t *testing.T, evs []event, id1, id2 string) {
				if len(eventsFor(evs, id2)) != 5 || eventNames(evs)["HEARTBEAT"] == 0 {
					t.Errorf("got %s", names(evs))
				}
			}},
		{"delete all", []string{"filter Unique-ID nothing", "filter Event-Name HEARTBEAT", "filter delete all"},
			func(t *testing.T, evs []event, id1, id2 string) {
				if len(eventsFor(evs, id1)) != 5 || len(eventsFor(evs, id2)) != 5 {
					t.Errorf("got %s", names(evs))
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := connect(t, srv)
			id1 := newUUID()
			for _, f := range tt.filters {
				f = strings.ReplaceAll(f, "%s", id1)
				if got := c.cmd(f); !strings.HasPrefix(got, "+OK filter") {
					t.Fatalf("%s: %q", f, got)
				}
			}
			// Subscribed after the filters: a heartbeat (every 4 ms of wall
			// time here) cannot slip in before they apply.
			c.cmd("event plain ALL")
			id2 := newUUID()
			bgOriginate(t, c, "{origination_uuid="+id1+"}sofia/gateway/gw/fail-1 &park()")
			bgOriginate(t, c, "{origination_uuid="+id2+"}sofia/gateway/gw/fail-2 &park()")
			time.Sleep(100 * time.Millisecond)
			tt.check(t, c.snapshot(), id1, id2)
		})
	}
	t.Run("delete reply", func(t *testing.T) {
		c := connect(t, srv)
		c.cmd("filter Unique-ID abc")
		if got, want := c.cmd("filter delete Unique-ID abc"), "+OK filter deleted. [Unique-ID][abc]"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
		if got, want := c.cmd("filter add Event-Name HEARTBEAT"), "+OK filter added. [Event-Name]=[HEARTBEAT]"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}
