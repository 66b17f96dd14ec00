package fssim_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
)

var uuidN atomic.Int64

func newUUID() string {
	return fmt.Sprintf("5e1f0000-0000-4000-8000-%012d", uuidN.Add(1))
}

// bgOriginate sends a bgapi originate with a client Job-UUID and returns
// the job id.
func bgOriginate(t *testing.T, c *client, args string) string {
	t.Helper()
	job := newUUID()
	c.send("bgapi originate " + args + "\nJob-UUID: " + job)
	f := c.next(2 * time.Second)
	if f.get("Job-UUID") != job {
		t.Fatalf("bgapi reply %v", f.headers)
	}
	return job
}

func usecDiff(t *testing.T, e event, from, to string) time.Duration {
	t.Helper()
	a, err1 := strconv.ParseInt(e.get(from), 10, 64)
	b, err2 := strconv.ParseInt(e.get(to), 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("bad timestamps %s=%q %s=%q", from, e.get(from), to, e.get(to))
	}
	return time.Duration(b-a) * time.Microsecond
}

func TestServer_NumberingPlan(t *testing.T) {
	srv := start(t, fssim.Options{Speed: 50})
	c := connect(t, srv)
	c.cmd("event plain ALL")

	aLegSeq := func(progress bool, answer bool, extra ...string) []string {
		seq := []string{"CHANNEL_UUID", "CHANNEL_CREATE"}
		if progress {
			seq = append(seq, "CHANNEL_PROGRESS")
		}
		if answer {
			seq = append(seq, "CHANNEL_ANSWER")
		}
		seq = append(seq, extra...)
		return append(seq, "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY")
	}
	tests := []struct {
		name     string
		endpoint string
		vars     string
		dest     string
		wantSeq  []string
		cause    string
		result   string
		answered time.Duration
		hangup   time.Duration
		billsec  string
		sip      string
		dtmf     string
		ivr      string
	}{
		// The callee presses S one second after it answers, whatever the
		// call runs; only an IVR takes the digit, and then hangs up.
		{"answer D0 S2 sofia", "sofia/gateway/gw/15551230002", "", "&park()",
			aLegSeq(true, true, "DTMF"), "NORMAL_CLEARING", "+OK", time.Second, 4 * time.Second, "3", "200", "2", ""},
		{"answer D3 S0 loopback", "loopback/15551230030/dialer_lab", "", "&park()",
			aLegSeq(true, true, "DTMF"), "NORMAL_CLEARING", "+OK", time.Second, 2 * time.Second, "1", "", "0", ""},
		{"busy", "sofia/gateway/gw/15551230051", "", "&park()",
			aLegSeq(true, false), "USER_BUSY", "-ERR USER_BUSY", 0, time.Second, "0", "486", "", ""},
		{"no answer", "sofia/gateway/gw/15551230062", "originate_timeout=3,", "&park()",
			aLegSeq(true, false), "NO_ANSWER", "-ERR NO_ANSWER", 0, 3 * time.Second, "0", "487", "", ""},
		{"unallocated", "loopback/15551230070/dialer_lab", "", "&park()",
			aLegSeq(false, false), "UNALLOCATED_NUMBER", "-ERR UNALLOCATED_NUMBER", 0, 0, "0", "", "", ""},
		{"rejected", "sofia/gateway/gw/15551230089", "", "&park()",
			aLegSeq(true, false), "CALL_REJECTED", "-ERR CALL_REJECTED", 0, time.Second, "0", "603", "", ""},
		{"congestion", "sofia/gateway/gw/15551230091", "", "&park()",
			aLegSeq(false, false), "NORMAL_CIRCUIT_CONGESTION", "-ERR NORMAL_CIRCUIT_CONGESTION", 0, 0, "0", "503", "", ""},
		{"no route", "loopback/nosuch/dialer_lab", "", "&park()",
			aLegSeq(false, false), "NO_ROUTE_DESTINATION", "-ERR NO_ROUTE_DESTINATION", 0, 0, "0", "", "", ""},
		{"no plan outside dialer_lab", "loopback/15551230002/default", "", "&park()",
			aLegSeq(false, false), "NO_ROUTE_DESTINATION", "-ERR NO_ROUTE_DESTINATION", 0, 0, "0", "", "", ""},
		{"ivr extension", "sofia/gateway/gw/15551230043", "", "9000 XML dialer_ivr",
			aLegSeq(true, true, "DTMF"), "NORMAL_CLEARING", "+OK", time.Second, 2 * time.Second, "1", "200", "3", "3"},
		{"ivr app", "loopback/15551230017/dialer_lab", "", "&playback(welcome.wav)",
			aLegSeq(true, true, "DTMF"), "NORMAL_CLEARING", "+OK", time.Second, 2 * time.Second, "1", "", "7", "7"},
		{"park is not an ivr", "sofia/gateway/gw/15551230045", "", "&park()",
			aLegSeq(true, true, "DTMF"), "NORMAL_CLEARING", "+OK", time.Second, 7 * time.Second, "6", "200", "5", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := newUUID()
			job := bgOriginate(t, c, "{"+tt.vars+"origination_uuid="+id+",dialer_campaign_id=42}"+tt.endpoint+" "+tt.dest)
			done := c.waitEvent(5*time.Second, func(e event) bool {
				return e.name() == "CHANNEL_DESTROY" && e.get("Unique-ID") == id
			})
			bj := c.waitEvent(2*time.Second, func(e event) bool {
				return e.name() == "BACKGROUND_JOB" && e.get("Job-UUID") == job
			})
			if want := tt.result; want == "+OK" {
				want += " " + id
				if bj.body != want+"\n" {
					t.Errorf("job body %q, want %q", bj.body, want+"\n")
				}
			} else if bj.body != want+"\n" {
				t.Errorf("job body %q, want %q", bj.body, want+"\n")
			}
			evs := c.snapshot()
			if got := eventsFor(evs, id); !slices.Equal(got, tt.wantSeq) {
				t.Errorf("a-leg events\n got %v\nwant %v", got, tt.wantSeq)
			}
			var hc event
			for _, e := range evs {
				if e.name() == "CHANNEL_HANGUP_COMPLETE" && e.get("Unique-ID") == id {
					hc = e
				}
			}
			checks := map[string]string{
				"Hangup-Cause":                 tt.cause,
				"variable_hangup_cause":        tt.cause,
				"variable_billsec":             tt.billsec,
				"variable_dialer_campaign_id":  "42",
				"variable_origination_uuid":    id,
				"Caller-Destination-Number":    "",
				"variable_sip_term_status":     tt.sip,
				"variable_dialer_result":       tt.ivr,
				"variable_hangup_cause_q850":   "",
				"Channel-Call-State":           "HANGUP",
				"Answer-State":                 "hangup",
				"Channel-State":                "CS_REPORTING",
				"Event-Calling-Function":       "switch_core_session_reporting_state",
				"variable_originate_endpoint":  strings.SplitN(tt.endpoint, "/", 2)[0],
				"Caller-Channel-Hangup-Time":   "",
				"Caller-Channel-Answered-Time": "",
			}
			for h, want := range checks {
				if want == "" {
					continue
				}
				if got := hc.get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
			if !hc.has("variable_hangup_cause_q850") || !hc.has("variable_duration") || !hc.has("variable_answer_epoch") {
				t.Errorf("timing variables missing")
			}
			checkHangupAfter(t, hc, tt.cause, tt.hangup)
			if tt.answered > 0 {
				if got := usecDiff(t, hc, "Caller-Channel-Created-Time", "Caller-Channel-Answered-Time"); got != tt.answered {
					t.Errorf("answered after %v, want %v", got, tt.answered)
				}
			} else if hc.get("Caller-Channel-Answered-Time") != "0" || hc.get("variable_answer_epoch") != "0" {
				t.Errorf("unanswered call has an answer time")
			}
			if tt.dtmf != "" {
				d := c.waitEvent(time.Second, func(e event) bool { return e.name() == "DTMF" && e.get("Unique-ID") == id })
				if d.get("DTMF-Digit") != tt.dtmf || d.has("variable_uuid") {
					t.Errorf("DTMF event %v", d.headers)
				}
			}
			if strings.HasPrefix(tt.endpoint, "loopback/") {
				b := hc.get("variable_other_loopback_leg_uuid")
				if got := eventsFor(evs, b); len(got) < 4 || got[0] != "CHANNEL_CREATE" || got[len(got)-1] != "CHANNEL_DESTROY" {
					t.Errorf("b-leg events %v", got)
				}
			}
			rec, ok := srv.Call(id)
			if !ok || rec.Cause != tt.cause || rec.Active || rec.Vars["dialer_campaign_id"] != "42" || rec.DTMF != tt.dtmf || rec.Vars["dialer_result"] != tt.ivr {
				t.Errorf("record %+v", rec)
			}
			_ = done
		})
	}
	if n := srv.ActiveChannels(); n != 0 {
		t.Errorf("%d channels left", n)
	}
}

// checkHangupAfter checks when the final record says the call hung up.
// FreeSWITCH's originate timer compares whole epoch seconds: a NO_ANSWER
// comes on the second boundary where the seconds elapsed reach the
// timeout, up to a second early.
func checkHangupAfter(t *testing.T, hc event, cause string, want time.Duration) {
	t.Helper()
	got := usecDiff(t, hc, "Caller-Channel-Created-Time", "Caller-Channel-Hangup-Time")
	if cause != "NO_ANSWER" {
		if got != want {
			t.Errorf("hangup after %v, want %v", got, want)
		}
		return
	}
	us, _ := strconv.ParseInt(hc.get("Caller-Channel-Hangup-Time"), 10, 64)
	if got <= want-time.Second || got > want || us%1e6 != 0 {
		t.Errorf("NO_ANSWER after %v at %d µs, want on a whole second, after %v to %v", got, us, want-time.Second, want)
	}
}

func TestServer_Agents(t *testing.T) {
	srv := start(t, fssim.Options{Speed: 50})
	c := connect(t, srv)
	c.cmd("event plain CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB")

	t.Run("agent answers and stays", func(t *testing.T) {
		id := newUUID()
		start := time.Now()
		got := c.api("originate {origination_uuid=" + id + "}loopback/agent-1001/dialer_lab &park()")
		if got != "+OK "+id+"\n" {
			t.Fatalf("originate: %q", got)
		}
		if el := time.Since(start); el < 15*time.Millisecond {
			t.Fatalf("answered after %v of wall time, want about 1 s / 50", el)
		}
		time.Sleep(200 * time.Millisecond)
		if got := c.api("uuid_exists " + id); got != "true" {
			t.Fatalf("agent hung up by itself: %q", got)
		}
		if got := c.api("uuid_kill " + id); got != "+OK\n" {
			t.Fatalf("uuid_kill: %q", got)
		}
		e := c.waitEvent(2*time.Second, func(e event) bool {
			return e.name() == "CHANNEL_HANGUP_COMPLETE" && e.get("Unique-ID") == id
		})
		if e.get("Hangup-Cause") != "NORMAL_CLEARING" {
			t.Fatalf("cause %q", e.get("Hangup-Cause"))
		}
	})
	for _, tt := range []struct{ dest, want string }{
		{"agent-busy-7", "-ERR USER_BUSY\n"},
		{"agent-reject-7", "-ERR CALL_REJECTED\n"},
		{"agent-noanswer-7", "-ERR NO_ANSWER\n"},
	} {
		t.Run(tt.dest, func(t *testing.T) {
			if got := c.api("originate {originate_timeout=2}user/" + tt.dest + " &park()"); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
