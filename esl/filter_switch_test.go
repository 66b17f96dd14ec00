package esl_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
)

// rawESL is a bare event-socket connection: the filter tests send
// filters the client would refuse, to see what the switch makes of them.
type rawESL struct {
	t       *testing.T
	nc      net.Conn
	replies chan string

	mu     sync.Mutex
	events []map[string]string
}

func dialRaw(t *testing.T, b switchtest.Backend) *rawESL {
	t.Helper()
	nc, err := net.DialTimeout("tcp", b.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &rawESL{t: t, nc: nc, replies: make(chan string, 16)}
	br := bufio.NewReader(nc)
	if h, _, err := switchtest.ReadFrame(br); err != nil || h["Content-Type"] != "auth/request" {
		t.Fatalf("first frame %v, %v; want auth/request", h, err)
	}
	go c.read(br)
	if got := c.cmd("auth " + b.Password()); got != "+OK accepted" {
		t.Fatalf("auth: %q", got)
	}
	return c
}

func (c *rawESL) read(br *bufio.Reader) {
	for {
		h, body, err := switchtest.ReadFrame(br)
		if err != nil {
			close(c.replies)
			return
		}
		switch h["Content-Type"] {
		case "command/reply":
			c.replies <- h["Reply-Text"]
		case "text/event-plain":
			ev := switchtest.ParseEvent(body).Headers
			c.mu.Lock()
			c.events = append(c.events, ev)
			c.mu.Unlock()
		}
	}
}

func (c *rawESL) cmd(line string) string {
	c.t.Helper()
	if _, err := io.WriteString(c.nc, line+"\n\n"); err != nil {
		c.t.Fatalf("%s: %v", line, err)
	}
	select {
	case r, ok := <-c.replies:
		if !ok {
			c.t.Fatalf("%s: connection closed", line)
		}
		return r
	case <-time.After(10 * time.Second):
		c.t.Fatalf("%s: no reply", line)
		return ""
	}
}

func (c *rawESL) snapshot() []map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.events)
}

// filterEvents are the events the filter tests subscribe to.
const filterEvents = "event plain CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB"

// TestFilters_SameOnBothSwitches: the simulator reads filters as
// FreeSWITCH does (mod_event_socket's event_handler, switch_regex_perform).
// Two loopback calls, one carrying a dialer variable, are watched by one
// connection per filter set; every connection must see the same events
// on both switches.
func TestFilters_SameOnBothSwitches(t *testing.T) {
	cases := []struct {
		name    string
		filters []string
		want    []string // event@leg, sorted
	}{
		{"the daemon's filters: the dialer's outbound legs and jobs",
			[]string{"variable_dialer_campaign_id /^[0-9]+$/", "variable_dialer_manual_call /^[0-9]+$/",
				"Call-Direction -inbound", "Event-Name BACKGROUND_JOB", "Event-Name HEARTBEAT"},
			[]string{"BACKGROUND_JOB@dialer", "BACKGROUND_JOB@other", "CHANNEL_ANSWER@dialer-a",
				"CHANNEL_CREATE@dialer-a", "CHANNEL_HANGUP_COMPLETE@dialer-a"}},
		{"a loopback b-leg carries the originate's variables",
			[]string{"variable_dialer_campaign_id /^[0-9]+$/"},
			[]string{"CHANNEL_ANSWER@dialer-a", "CHANNEL_ANSWER@dialer-b", "CHANNEL_CREATE@dialer-a",
				"CHANNEL_CREATE@dialer-b", "CHANNEL_HANGUP_COMPLETE@dialer-a", "CHANNEL_HANGUP_COMPLETE@dialer-b"}},
		{"a regular expression without its closing slash matches nothing",
			[]string{"variable_dialer_campaign_id /^[0-9]+$"},
			nil},
		{"a minus before a regular expression makes it literal text",
			[]string{"Event-Name BACKGROUND_JOB", "Job-Command -/originate/"},
			[]string{"BACKGROUND_JOB@dialer", "BACKGROUND_JOB@other"}},
		{"values compare without case; flag i does the same for expressions",
			[]string{"Event-Name channel_answer", "Unique-ID /^%U$/i"},
			[]string{"CHANNEL_ANSWER@dialer-a", "CHANNEL_ANSWER@dialer-b", "CHANNEL_ANSWER@other-a",
				"CHANNEL_ANSWER@other-b", "CHANNEL_CREATE@dialer-a", "CHANNEL_HANGUP_COMPLETE@dialer-a"}},
		{"a negative match drops what a positive one let through",
			[]string{"Event-Name /^CHANNEL_/", "Call-Direction -inbound", "variable_dialer_campaign_id -7"},
			[]string{"CHANNEL_ANSWER@other-a", "CHANNEL_CREATE@other-a", "CHANNEL_HANGUP_COMPLETE@other-a"}},
	}
	switchtest.Each(t, fssim.Options{Speed: 10}, func(t *testing.T, b switchtest.Backend) {
		stamp := time.Now().UnixNano()
		dialerID, otherID := fmt.Sprintf("flt-dialer-%d", stamp), fmt.Sprintf("flt-other-%d", stamp)
		dialerJob, otherJob := fmt.Sprintf("fltjob-dialer-%d", stamp), fmt.Sprintf("fltjob-other-%d", stamp)
		conns := make([]*rawESL, len(cases))
		for i, tc := range cases {
			c := dialRaw(t, b)
			for _, f := range tc.filters {
				f = strings.ReplaceAll(f, "%U", strings.ToUpper(dialerID))
				if got := c.cmd("filter " + f); !strings.HasPrefix(got, "+OK filter added") {
					t.Fatalf("%s: filter %s: %q", tc.name, f, got)
				}
			}
			if got := c.cmd(filterEvents); !strings.HasPrefix(got, "+OK") {
				t.Fatalf("%s: subscribe: %q", tc.name, got)
			}
			conns[i] = c
		}
		control := dialRaw(t, b)
		control.cmd(filterEvents)
		for _, call := range []struct{ job, vars, dest string }{
			{dialerJob, "origination_uuid=" + dialerID + ",dialer_campaign_id=7", "15550000100"},
			{otherJob, "origination_uuid=" + otherID, "15550000101"},
		} {
			cmd := "bgapi originate {" + call.vars + "}loopback/" + call.dest + "/dialer_lab &park()\nJob-UUID: " + call.job
			if got := control.cmd(cmd); !strings.HasPrefix(got, "+OK") {
				t.Fatalf("%s: %q", cmd, got)
			}
		}
		// Every leg's final record and both jobs on the unfiltered
		// connection: by then the filtered ones have had their events.
		legs := map[string]string{}
		deadline := time.Now().Add(30 * time.Second)
		for {
			done := 0
			for _, ev := range control.snapshot() {
				name, id := ev["Event-Name"], ev["Unique-ID"]
				switch {
				case ev["Job-UUID"] == dialerJob || ev["Job-UUID"] == otherJob:
					done++
				case name == "CHANNEL_CREATE":
					legs[id] = legOf(ev, dialerID, otherID)
				case name == "CHANNEL_HANGUP_COMPLETE" && legs[id] != "":
					done++
				}
			}
			if done == 6 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the calls did not end: %d of 6 records; legs %v", done, legs)
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		for i, tc := range cases {
			got := map[string]bool{}
			for _, ev := range conns[i].snapshot() {
				switch {
				case ev["Job-UUID"] == dialerJob:
					got["BACKGROUND_JOB@dialer"] = true
				case ev["Job-UUID"] == otherJob:
					got["BACKGROUND_JOB@other"] = true
				case legs[ev["Unique-ID"]] != "":
					got[ev["Event-Name"]+"@"+legs[ev["Unique-ID"]]] = true
				}
			}
			if keys := slices.Sorted(func(yield func(string) bool) {
				for k := range got {
					if !yield(k) {
						return
					}
				}
			}); !slices.Equal(keys, tc.want) {
				t.Errorf("%s:\n got %v\nwant %v", tc.name, keys, tc.want)
			}
		}
	})
}

// legOf names a channel of the two test calls: dialer-a, dialer-b,
// other-a, other-b; "" for anything else.
func legOf(ev map[string]string, dialerID, otherID string) string {
	call := ""
	switch {
	case ev["Unique-ID"] == dialerID || ev["variable_other_loopback_leg_uuid"] == dialerID:
		call = "dialer"
	case ev["Unique-ID"] == otherID || ev["variable_other_loopback_leg_uuid"] == otherID:
		call = "other"
	default:
		return ""
	}
	if strings.HasSuffix(ev["Channel-Name"], "-b") {
		return call + "-b"
	}
	return call + "-a"
}

// TestClient_FiltersAfterReconnect: the client sends its filters on every
// connection, so after a dropped connection only the dialer's own leg and
// the jobs still arrive.
func TestClient_FiltersAfterReconnect(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 10}, func(t *testing.T, b switchtest.Backend) {
		cfg := testConfig(b.Addr())
		cfg.Password = b.Password()
		cfg.HeartbeatTimeout = 30 * time.Second
		cfg.Events = []string{"CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE"}
		cfg.Filters = []esl.Filter{
			{Header: "variable_dialer_campaign_id", Value: "/^[0-9]+$/"},
			{Header: "Call-Direction", Value: "-inbound"},
		}
		cl := connected(t, cfg)
		nextMarker(t, cl, esl.KindConnected, 5*time.Second)
		ctx := ctxFor(t, 60*time.Second)
		for round := range 2 {
			if round == 1 {
				b.DropConnections()
				nextMarker(t, cl, esl.KindDisconnected, 10*time.Second)
				nextMarker(t, cl, esl.KindConnected, 10*time.Second)
			}
			dialer := fmt.Sprintf("flt-client-%d-%d", round, time.Now().UnixNano())
			other := dialer + "-other"
			jobs := map[string]string{}
			for _, o := range []esl.Originate{
				{DialTemplate: "loopback/{number}/dialer_lab", Number: "15550000100", UUID: dialer,
					Vars: map[string]string{"dialer_campaign_id": "7"}, Dest: esl.Destination{App: "park"}},
				{DialTemplate: "loopback/{number}/dialer_lab", Number: "15550000100", UUID: other,
					Dest: esl.Destination{App: "park"}},
			} {
				job, err := cl.Originate(ctx, o)
				if err != nil {
					t.Fatal(err)
				}
				jobs[job.ID] = o.UUID
			}
			var seen []string
			jobsSeen := 0
			for !slices.Contains(seen, "CHANNEL_HANGUP_COMPLETE") || jobsSeen < 2 {
				ev, err := cl.Next(ctx)
				if err != nil {
					t.Fatalf("round %d: %v; seen %v, %d jobs", round, err, seen, jobsSeen)
				}
				switch {
				case ev.Kind != esl.KindSwitch:
					t.Fatalf("round %d: marker %v", round, ev.Kind)
				case ev.Name == "HEARTBEAT":
				case ev.Name == "BACKGROUND_JOB":
					if jobs[ev.JobUUID] == "" {
						continue
					}
					jobsSeen++
				case ev.UniqueID == dialer:
					seen = append(seen, ev.Name)
				default:
					t.Errorf("round %d: %s of %s (%s) passed the filters", round, ev.Name, ev.UniqueID, ev.Header("Channel-Name"))
				}
			}
			for _, want := range cfg.Events {
				if !slices.Contains(seen, want) {
					t.Errorf("round %d: no %s of the dialer's leg; seen %v", round, want, seen)
				}
			}
		}
	})
}
