package fssim_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
)

// upCall originates a call that answers at once and stays up.
func upCall(t *testing.T, c *client, vars, endpoint string) string {
	t.Helper()
	id := newUUID()
	if vars != "" {
		vars = "," + vars
	}
	if got := c.api("originate {origination_uuid=" + id + vars + "}" + endpoint + " &park()"); got != "+OK "+id+"\n" {
		t.Fatalf("originate %s: %q", endpoint, got)
	}
	return id
}

func TestServer_UUIDBridge(t *testing.T) {
	srv := start(t, fssim.Options{Speed: 50, Scenario: scenario(t, ivrScenario)})
	c := connect(t, srv)
	c.cmd("event plain CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_HANGUP_COMPLETE")
	customer := upCall(t, c, "", "loopback/up-customer/dialer_lab")
	agent := upCall(t, c, "", "sofia/gateway/gw/up-agent")

	if got, want := c.api("uuid_bridge "+customer+" "+agent), "+OK "+agent+"\n"; got != want {
		t.Fatalf("uuid_bridge: %q, want %q", got, want)
	}
	br := c.waitEvent(time.Second, func(e event) bool { return e.name() == "CHANNEL_BRIDGE" })
	for h, want := range map[string]string{
		"Unique-ID":                 customer,
		"Bridge-A-Unique-ID":        customer,
		"Bridge-B-Unique-ID":        agent,
		"Other-Type":                "originatee",
		"Other-Leg-Unique-ID":       agent,
		"Other-Leg-Channel-Name":    "sofia/external/up-agent@gw",
		"variable_bridge_to":        agent,
		"Caller-Destination-Number": "up-customer",
	} {
		if got := br.get(h); got != want {
			t.Errorf("CHANNEL_BRIDGE %s = %q, want %q", h, got, want)
		}
	}
	if n := eventNames(c.snapshot())["CHANNEL_BRIDGE"]; n != 1 {
		t.Errorf("%d CHANNEL_BRIDGE events, want 1 (FreeSWITCH fires it on the originator only)", n)
	}
	var rows struct {
		RowCount int                 `json:"row_count"`
		Rows     []map[string]string `json:"rows"`
	}
	if err := json.Unmarshal([]byte(c.api("show channels as json")), &rows); err != nil {
		t.Fatal(err)
	}
	apps := map[string]string{}
	for _, r := range rows.Rows {
		apps[r["uuid"]] = r["application"] + " " + r["application_data"]
	}
	if rows.RowCount != 3 || apps[customer] != "uuid_bridge "+agent || apps[agent] != "uuid_bridge "+customer {
		t.Errorf("show channels: %d rows, apps %v", rows.RowCount, apps)
	}

	if got := c.api("uuid_kill " + agent); got != "+OK\n" {
		t.Fatalf("uuid_kill: %q", got)
	}
	ub := c.waitEvent(time.Second, func(e event) bool { return e.name() == "CHANNEL_UNBRIDGE" })
	if ub.get("Unique-ID") != customer || ub.get("Bridge-B-Unique-ID") != agent {
		t.Errorf("CHANNEL_UNBRIDGE %v", ub.headers)
	}
	hc := c.waitEvent(time.Second, func(e event) bool {
		return e.name() == "CHANNEL_HANGUP_COMPLETE" && e.get("Unique-ID") == customer
	})
	if hc.get("Hangup-Cause") != "NORMAL_CLEARING" || hc.get("variable_last_bridge_hangup_cause") != "NORMAL_CLEARING" ||
		hc.get("variable_bridge_epoch") == "0" {
		t.Errorf("survivor hangup: cause %q last_bridge %q bridge_epoch %q", hc.get("Hangup-Cause"),
			hc.get("variable_last_bridge_hangup_cause"), hc.get("variable_bridge_epoch"))
	}
	rec, _ := srv.Call(customer)
	if rec.BridgedWith != agent || rec.Bridged.IsZero() {
		t.Errorf("record: bridged with %q at %v", rec.BridgedWith, rec.Bridged)
	}
	if got := c.api("uuid_bridge " + customer + " " + agent); got != "-ERR Invalid uuid\n" {
		t.Errorf("bridge of dead channels: %q", got)
	}
}

func TestServer_KillAndVariables(t *testing.T) {
	srv := start(t, fssim.Options{Speed: 50, Scenario: scenario(t, ivrScenario)})
	c := connect(t, srv)
	c.cmd("event plain CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE")
	id := upCall(t, c, "", "sofia/gateway/gw/up-1")

	steps := []struct{ cmd, want string }{
		{"uuid_exists " + id, "true"},
		{"uuid_setvar " + id + " dialer_note hello world", "+OK\n"},
		{"uuid_getvar " + id + " dialer_note", "hello world"},
		{"uuid_setvar_multi " + id + " a=1;b=2", "+OK\n"},
		{"uuid_getvar " + id + " b", "2"},
		{"uuid_setvar " + id + " dialer_note", "+OK\n"},
		{"uuid_getvar " + id + " dialer_note", "_undef_"},
		{"uuid_getvar 00000000-0000-0000-0000-000000000000 x", "-ERR No such channel!\n"},
		{"uuid_getvar " + id, "-USAGE: <uuid> <var>\n"},
		{"uuid_setvar_multi 00000000-0000-0000-0000-000000000000 a=1",
			"-ERR No such channel!\n-USAGE: <uuid> <var>=<value>;<var>=<value>...\n"},
		{"uuid_setvar_multi " + id, "-ERR no reply\n"},
		{"uuid_broadcast " + id + " tone_stream://%(100,0,440) aleg", "+OK Message sent\n"},
		{"uuid_broadcast 00000000-0000-0000-0000-000000000000 x.wav", "-ERR invalid uuid\n"},
		{"uuid_broadcast " + id, "-USAGE: <uuid> <path> [aleg|bleg|holdb|both]\n"},
		{"uuid_send_dtmf 00000000-0000-0000-0000-000000000000 1", "-ERR Cannot locate session!\n"},
		{"uuid_exists", "false"},
		{"uuid_kill 00000000-0000-0000-0000-000000000000", "-ERR No such channel!\n"},
		{"uuid_kill " + id + " USER_BUSY", "+OK\n"},
		{"uuid_exists " + id, "false"},
	}
	for _, st := range steps {
		if got := c.api(st.cmd); got != st.want {
			t.Errorf("%s: got %q, want %q", st.cmd, got, st.want)
		}
	}
	hc := c.waitEvent(time.Second, func(e event) bool { return e.name() == "CHANNEL_HANGUP_COMPLETE" && e.get("Unique-ID") == id })
	if hc.get("Hangup-Cause") != "USER_BUSY" || hc.get("variable_a") != "1" || hc.get("variable_sip_hangup_disposition") != "send_bye" {
		t.Errorf("hangup complete: cause %q a %q disposition %q", hc.get("Hangup-Cause"), hc.get("variable_a"),
			hc.get("variable_sip_hangup_disposition"))
	}
}

func TestServer_Hupall(t *testing.T) {
	srv := start(t, fssim.Options{Speed: 50, Scenario: scenario(t, ivrScenario)})
	c := connect(t, srv)
	c.cmd("event plain CHANNEL_HANGUP_COMPLETE")
	m1 := upCall(t, c, "dialer_campaign_id=1,dialer_member_id=1", "sofia/gateway/gw/up-1")
	m2 := upCall(t, c, "dialer_campaign_id=1,dialer_member_id=2", "loopback/up-2/dialer_lab")
	m3 := upCall(t, c, "dialer_campaign_id=2,dialer_member_id=2", "sofia/gateway/gw/up-3")

	got := c.api("hupall NORMAL_CLEARING dialer_campaign_id 1 dialer_member_id 2")
	if want := "+OK hangup all channels matching [dialer_campaign_id]=[1]... with cause: NORMAL_CLEARING\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	c.waitEvent(time.Second, func(e event) bool { return e.name() == "CHANNEL_HANGUP_COMPLETE" && e.get("Unique-ID") == m2 })
	for _, id := range []string{m1, m3} {
		if c.api("uuid_exists "+id) != "true" {
			t.Errorf("%s hung up by a non-matching hupall", id)
		}
	}
	if got, want := c.api("hupall"), "+OK hangup all channels with cause MANAGER_REQUEST\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, id := range []string{m1, m3} {
		e := c.waitEvent(time.Second, func(e event) bool { return e.name() == "CHANNEL_HANGUP_COMPLETE" && e.get("Unique-ID") == id })
		if e.get("Hangup-Cause") != "MANAGER_REQUEST" || e.get("variable_hangup_cause_q850") != "16" {
			t.Errorf("%s: cause %q q850 %q", id, e.get("Hangup-Cause"), e.get("variable_hangup_cause_q850"))
		}
	}
	if srv.ActiveChannels() != 0 {
		t.Errorf("%d channels left", srv.ActiveChannels())
	}
}

func TestServer_ShowChannels(t *testing.T) {
	srv := start(t, fssim.Options{Speed: 50, Scenario: scenario(t, ivrScenario)})
	c := connect(t, srv)
	if got, want := c.api("show channels as json"), "{\"row_count\": 0}\n"; got != want {
		t.Fatalf("empty: got %q, want %q", got, want)
	}
	if got, want := c.api("show channels count"), "\n0 total.\n"; got != want {
		t.Fatalf("count: got %q, want %q", got, want)
	}
	if got, want := c.api("show channels"), "\n0 total.\n"; got != want {
		t.Fatalf("plain: got %q, want %q", got, want)
	}
	id := upCall(t, c, "", "loopback/up-7/dialer_lab")
	body := c.api("show channels as json")
	if strings.HasSuffix(body, "\n") {
		t.Errorf("non-empty json ends with a newline")
	}
	var rows struct {
		RowCount int                 `json:"row_count"`
		Rows     []map[string]string `json:"rows"`
	}
	if err := json.Unmarshal([]byte(body), &rows); err != nil {
		t.Fatalf("json: %v", err)
	}
	if rows.RowCount != 2 || len(rows.Rows) != 2 {
		t.Fatalf("rows %d/%d, want 2 (loopback a and b legs)", rows.RowCount, len(rows.Rows))
	}
	a, b := rows.Rows[0], rows.Rows[1]
	for k, want := range map[string]string{
		"uuid": id, "direction": "outbound", "name": "loopback/up-7-a", "state": "CS_EXECUTE",
		"callstate": "ACTIVE", "application": "park", "dest": "up-7", "context": "dialer_lab",
		"cid_name": "Outbound Call", "cid_num": "dialer_lab", "callee_num": "0000000000", "call_uuid": id,
		"callee_direction": "RECV", "initial_dest": "up-7", "read_codec": "L16",
	} {
		if a[k] != want {
			t.Errorf("a-leg %s = %q, want %q", k, a[k], want)
		}
	}
	if b["name"] != "loopback/up-7-b" || b["direction"] != "inbound" || b["call_uuid"] != "" || b["callee_name"] != "Outbound Call" {
		t.Errorf("b-leg row %v", b)
	}
	if len(a) != 38 {
		t.Errorf("%d columns, want 38", len(a))
	}
	if got := c.api("show channels count"); got != "\n2 total.\n" {
		t.Errorf("count: %q", got)
	}
	live := srv.Channels()
	st := srv.Stats()
	if len(live) != 2 || live[0].UUID != id || live[1].Leg != "B" || live[1].OtherLeg != id ||
		st.ActiveCalls != 1 || st.ActiveChannels != 2 || st.Connections != 1 || st.Originates != 1 {
		t.Errorf("channels %+v stats %+v", live, st)
	}
	plain := c.api("show channels")
	if !strings.HasPrefix(plain, "uuid,direction,created,") || !strings.HasSuffix(plain, "\n\n2 total.\n") {
		t.Errorf("plain show channels %q", plain)
	}
}

// TestServer_TransferToIVR: the IVR (modelled on dialer_ivr_example)
// takes the digit the callee presses one second after the answer and
// hangs up; a digit pressed before it listens is lost, and it gives up
// with no_input 5.75 s after it began.
func TestServer_TransferToIVR(t *testing.T) {
	srv := start(t, fssim.Options{Speed: 10, Scenario: scenario(t, ivrScenario)})
	c := connect(t, srv)
	c.cmd("event plain DTMF CHANNEL_HANGUP_COMPLETE")
	hangup := func(id string) event {
		t.Helper()
		return c.waitEvent(2*time.Second, func(e event) bool { return e.name() == "CHANNEL_HANGUP_COMPLETE" && e.get("Unique-ID") == id })
	}

	t.Run("digit taken", func(t *testing.T) {
		id := upCall(t, c, "", "sofia/gateway/gw/ivr-5")
		if got := c.api("uuid_transfer " + id + " 9000 XML dialer_ivr"); got != "+OK\n" {
			t.Fatalf("uuid_transfer: %q", got)
		}
		d := c.waitEvent(time.Second, func(e event) bool { return e.name() == "DTMF" && e.get("Unique-ID") == id })
		if d.get("DTMF-Digit") != "7" || d.get("Caller-Destination-Number") != "9000" || d.get("Caller-Profile-Index") != "2" {
			t.Errorf("DTMF %v", d.headers)
		}
		hc := hangup(id)
		if hc.get("variable_dialer_result") != "7" || hc.get("Hangup-Cause") != "NORMAL_CLEARING" {
			t.Errorf("hangup: result %q, cause %q", hc.get("variable_dialer_result"), hc.get("Hangup-Cause"))
		}
		if got := usecDiff(t, hc, "Caller-Channel-Answered-Time", "Caller-Channel-Hangup-Time"); got != time.Second {
			t.Errorf("the IVR hung up %v after the answer, want 1s (at the digit)", got)
		}
	})
	t.Run("digit before the IVR", func(t *testing.T) {
		id := upCall(t, c, "", "sofia/gateway/gw/ivr-6")
		c.waitEvent(time.Second, func(e event) bool { return e.name() == "DTMF" && e.get("Unique-ID") == id })
		if got := c.api("uuid_getvar " + id + " dialer_result"); got != "_undef_" {
			t.Fatalf("a parked call took the digit: %q", got)
		}
		c.api("uuid_transfer " + id + " 9000 XML dialer_ivr")
		hc := hangup(id)
		if hc.get("variable_dialer_result") != "no_input" || hc.get("Hangup-Cause") != "NORMAL_CLEARING" {
			t.Errorf("hangup: result %q, cause %q", hc.get("variable_dialer_result"), hc.get("Hangup-Cause"))
		}
		if got := usecDiff(t, hc, "Caller-Profile-Created-Time", "Caller-Channel-Hangup-Time"); got != 5750*time.Millisecond {
			t.Errorf("the IVR gave up %v after the transfer, want 5.75s", got)
		}
	})
	if got := c.api("uuid_transfer nope 9000"); got != "-ERR No such channel!\n" {
		t.Errorf("transfer of unknown: %q", got)
	}
}

func TestServer_SendMsgAndMyEvents(t *testing.T) {
	srv := start(t, fssim.Options{Speed: 50, Scenario: scenario(t, ivrScenario)})
	c := connect(t, srv)
	id := upCall(t, c, "", "sofia/gateway/gw/up-1")
	other := upCall(t, c, "", "sofia/gateway/gw/up-2")

	watcher := connect(t, srv)
	if got := watcher.cmd("myevents " + id + " plain"); got != "+OK Events Enabled" {
		t.Fatalf("myevents: %q", got)
	}
	if got := c.cmd("sendmsg " + id + "\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: dialer_note=from sendmsg"); got != "+OK" {
		t.Fatalf("sendmsg set: %q", got)
	}
	if got := c.api("uuid_getvar " + id + " dialer_note"); got != "from sendmsg" {
		t.Fatalf("variable after sendmsg: %q", got)
	}
	body := "dialer_body=from body"
	if got := c.cmd("sendmsg " + id + "\ncall-command: execute\nexecute-app-name: set\ncontent-length: " +
		strconv.Itoa(len(body)) + "\ncontent-type: text/plain\n\n" + body); got != "+OK" {
		t.Fatalf("sendmsg with body: %q", got)
	}
	if got := c.api("uuid_getvar " + id + " dialer_body"); got != "from body" {
		t.Fatalf("variable from a sendmsg body: %q", got)
	}
	c.api("uuid_kill " + other)
	if got := c.cmd("sendmsg " + id + "\ncall-command: hangup\nhangup-cause: CALL_REJECTED"); got != "+OK" {
		t.Fatalf("sendmsg hangup: %q", got)
	}
	frames, err := watcher.waitEOF(2 * time.Second)
	if err == nil {
		t.Fatal("myevents connection not closed after the hangup")
	}
	last := frames[len(frames)-1]
	if last.contentType() != "text/disconnect-notice" || last.get("Controlled-Session-UUID") != id {
		t.Fatalf("last frame %v", last.headers)
	}
	var evs []event
	for _, f := range frames {
		if f.contentType() == "text/event-plain" {
			e, err := parsePlainEvent(f.body)
			if err != nil {
				t.Fatal(err)
			}
			evs = append(evs, e)
		}
	}
	for _, e := range evs {
		if e.get("Unique-ID") != id {
			t.Errorf("myevents delivered %s of %s", e.name(), e.get("Unique-ID"))
		}
	}
	if n := eventNames(evs)["CHANNEL_HANGUP_COMPLETE"]; n != 1 {
		t.Errorf("%d hangup completes for the bound channel (%s)", n, names(evs))
	}
	rec, _ := srv.Call(id)
	if rec.Cause != "CALL_REJECTED" {
		t.Errorf("cause %q", rec.Cause)
	}
}

func TestServer_EarlyMedia(t *testing.T) {
	sc := scenario(t, `
rules:
  - glob: "em-answer"
    early_media: true
    ring: 2s
    answer: true
    talk: 1s
  - glob: "em-busy"
    early_media: true
    ring: 1s
    cause: USER_BUSY
`)
	srv := start(t, fssim.Options{Speed: 50, Scenario: sc})
	tests := []struct {
		name, dest, vars string
		result           string
		jobBeforeAnswer  bool
	}{
		{"completes on early media", "em-answer", "", "+OK", true},
		{"ignore_early_media waits for the answer", "em-answer", "ignore_early_media=true,", "+OK", false},
		{"early media then busy", "em-busy", "", "+OK", true},
		{"ignore_early_media then busy", "em-busy", "ignore_early_media=true,", "-ERR USER_BUSY", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := connect(t, srv)
			c.cmd("event plain ALL")
			id := newUUID()
			job := bgOriginate(t, c, "{"+tt.vars+"origination_uuid="+id+"}sofia/gateway/gw/"+tt.dest+" &park()")
			c.waitEvent(2*time.Second, func(e event) bool { return e.name() == "CHANNEL_DESTROY" && e.get("Unique-ID") == id })
			var order []string
			for _, e := range c.snapshot() {
				switch {
				case e.get("Job-UUID") == job:
					order = append(order, "JOB:"+strings.TrimSpace(e.body))
				case e.get("Unique-ID") == id && e.name() != "CHANNEL_UUID" && e.name() != "CHANNEL_CREATE":
					order = append(order, e.name())
				}
			}
			joined := strings.Join(order, " ")
			if !strings.HasPrefix(order[0], "CHANNEL_PROGRESS_MEDIA") {
				t.Errorf("first event %v", order)
			}
			if !strings.Contains(joined, "JOB:"+tt.result) {
				t.Errorf("job result missing in %v", order)
			}
			jobAt := strings.Index(joined, "JOB:")
			answerAt := strings.Index(joined, "CHANNEL_ANSWER")
			hangAt := strings.Index(joined, "CHANNEL_HANGUP ")
			if tt.jobBeforeAnswer && !(jobAt < hangAt && (answerAt < 0 || jobAt < answerAt)) {
				t.Errorf("job not at early media: %v", order)
			}
			if !tt.jobBeforeAnswer && answerAt >= 0 && jobAt < answerAt {
				t.Errorf("job before the answer: %v", order)
			}
		})
	}
}

func TestServer_OriginateErrors(t *testing.T) {
	srv := start(t, fssim.Options{Speed: 50, Scenario: scenario(t, "gateways: [gw]\nrules:\n  - glob: \"up-*\"\n    answer: true\n    stay: true\n")})
	c := connect(t, srv)
	c.cmd("event plain CHANNEL_CREATE CHANNEL_UUID")
	tests := []struct{ args, want string }{
		{"error/USER_BUSY &park()", "-ERR USER_BUSY\n"},
		{"error/whatever &park()", "-ERR DESTINATION_OUT_OF_ORDER\n"},
		{"freetdm/1/a/123 &park()", "-ERR CHAN_NOT_IMPLEMENTED\n"},
		{"sofia/gateway/nogw/123 &park()", "-ERR INVALID_GATEWAY\n"},
		{"sofia/gateway/gw/123", "-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n"},
	}
	for _, tt := range tests {
		if got := c.api("originate " + tt.args); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.args, got, tt.want)
		}
	}
	if n := len(c.snapshot()); n != 0 {
		t.Errorf("failed originates created %d events", n)
	}

	t.Run("duplicate origination_uuid", func(t *testing.T) {
		id := upCall(t, c, "", "sofia/gateway/gw/up-1")
		got := c.api("originate {origination_uuid=" + id + "}sofia/gateway/gw/up-2 &park()")
		if !strings.HasPrefix(got, "+OK ") || got == "+OK "+id+"\n" {
			t.Fatalf("second originate with the same uuid: %q", got)
		}
		other := strings.TrimSpace(strings.TrimPrefix(got, "+OK "))
		if n := eventNames(c.snapshot())["CHANNEL_UUID"]; n != 1 {
			t.Errorf("%d CHANNEL_UUID events, want 1", n)
		}
		if v := c.api("uuid_getvar " + other + " origination_uuid"); v != id {
			t.Errorf("origination_uuid variable %q", v)
		}
	})

	t.Run("records", func(t *testing.T) {
		c.api(`originate {dialer_campaign_id=9,origination_caller_id_number=15559990000}[leg_timeout=5]sofia/gateway/gw/up-9|user/1000 9000 XML ivr 'Dialer Co' 15559990000 30`)
		recs := srv.Originates()
		r := recs[len(recs)-1]
		if r.Vars["dialer_campaign_id"] != "9" || r.LegVars["leg_timeout"] != "5" || r.Destination != "up-9" ||
			r.Exten != "9000" || r.Context != "ivr" || r.CIDName != "Dialer Co" || r.Timeout != 5*time.Second ||
			len(r.Legs) != 2 || r.Endpoint != "sofia/gateway/gw/up-9" || r.Background || !strings.HasPrefix(r.Result, "+OK ") {
			t.Errorf("record %+v", r)
		}
		call, ok := srv.Call(r.UUID)
		if !ok || call.Vars["origination_caller_id_number"] != "15559990000" || call.Destination != "up-9" {
			t.Errorf("call record %+v", call)
		}
	})
}

func TestServer_URLEncoding(t *testing.T) {
	srv := start(t, fssim.Options{Speed: 50, Scenario: scenario(t, ivrScenario)})
	c := connect(t, srv)
	id := upCall(t, c, "", "sofia/gateway/gw/up-1")
	c.api("uuid_setvar " + id + " weird x y%41%4g&+:é/~,()")
	raw := make(chan string, 1)
	go func() {
		for f := range c.frames {
			if strings.Contains(f.body, "Event-Name: CHANNEL_HANGUP\n") {
				raw <- f.body
				return
			}
		}
	}()
	c.send("event plain CHANNEL_HANGUP")
	time.Sleep(20 * time.Millisecond)
	go func() { _, _ = c.nc.Write([]byte("api uuid_kill " + id + "\n\n")) }()
	select {
	case body := <-raw:
		if want := "\nvariable_weird: x%20y%41%254g%26%2B%3A%C3%A9/~,()\n"; !strings.Contains(body, want) {
			t.Errorf("encoding: want %q in\n%s", want, body)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no CHANNEL_HANGUP")
	}

	c2 := connect(t, srv)
	c2.cmd("event plain CUSTOM test::empty")
	if got := c2.cmd("sendevent CUSTOM\nEvent-Subclass: test::empty\nEmpty-Header: "); !strings.HasPrefix(got, "+OK ") {
		t.Fatalf("sendevent: %q", got)
	}
	e := c2.waitEvent(time.Second, func(e event) bool { return e.name() == "CUSTOM" })
	if !strings.Contains(e.raw, "\nEmpty-Header: _undef_\n") || e.get("Event-Subclass") != "test::empty" {
		t.Errorf("empty value not sent as _undef_:\n%s", e.raw)
	}
}

func TestServer_CallerID(t *testing.T) {
	srv := start(t, fssim.Options{Speed: 50, Scenario: scenario(t, ivrScenario)})
	c := connect(t, srv)
	c.cmd("event plain CHANNEL_CREATE")
	tests := []struct {
		name, args, wantName, wantNum string
	}{
		{"variables", "{origination_caller_id_name='Acme Co',origination_caller_id_number=15557770000}sofia/gateway/gw/up-1 &park()",
			"Acme Co", "15557770000"},
		{"positional", "sofia/gateway/gw/up-2 &park() XML default Positional 15558880000",
			"Positional", "15558880000"},
		{"default", "sofia/gateway/gw/up-3 &park()", "", "0000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.api("originate " + tt.args)
			id := strings.TrimSpace(strings.TrimPrefix(got, "+OK "))
			e := c.waitEvent(time.Second, func(e event) bool { return e.name() == "CHANNEL_CREATE" && e.get("Unique-ID") == id })
			if e.get("Caller-Caller-ID-Name") != tt.wantName || e.get("Caller-Caller-ID-Number") != tt.wantNum ||
				e.has("Caller-Caller-ID-Name") != (tt.wantName != "") {
				t.Errorf("caller id %q <%s>", e.get("Caller-Caller-ID-Name"), e.get("Caller-Caller-ID-Number"))
			}
		})
	}
}
