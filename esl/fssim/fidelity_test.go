package fssim_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
)

const captureDir = "../../../shared/fs-captures"

// rawEvent is an event with its header values exactly as sent.
type rawEvent struct {
	name    string
	headers []kv
	body    string
	frame   string
}

func (e rawEvent) get(name string) string {
	for _, h := range e.headers {
		if h.k == name {
			return h.v
		}
	}
	return ""
}

func (e rawEvent) leg() string {
	n := e.get("Channel-Name")
	switch {
	case strings.HasSuffix(n, "-a"):
		return "a"
	case strings.HasSuffix(n, "-b"):
		return "b"
	}
	return ""
}

func splitRawPlain(body string) rawEvent {
	e := rawEvent{frame: body}
	head, rest, _ := strings.Cut(body, "\n\n")
	for _, line := range strings.Split(head, "\n") {
		k, v, _ := strings.Cut(line, ": ")
		if k == "Content-Length" {
			e.body = rest
			continue
		}
		e.headers = append(e.headers, kv{k, v})
	}
	e.name = e.get("Event-Name")
	return e
}

// readCapture returns the plain events of a capture file.
func readCapture(t *testing.T, file string) []rawEvent {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(captureDir, file))
	if err != nil {
		t.Fatalf("read capture: %v", err)
	}
	r := bufio.NewReader(bytes.NewReader(data))
	var out []rawEvent
	for {
		f, err := readFrame(r)
		if err != nil {
			break
		}
		switch f.contentType() {
		case "text/event-plain":
			out = append(out, splitRawPlain(f.body))
		case "text/event-json":
			out = append(out, rawEvent{name: "json", body: f.body})
		}
	}
	return out
}

// headerSets groups header names by event name.
func headerSets(evs []rawEvent) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, e := range evs {
		if out[e.name] == nil {
			out[e.name] = map[string]bool{}
		}
		for _, h := range e.headers {
			out[e.name][h.k] = true
		}
	}
	return out
}

// extraHeaders are headers the simulator sends that the captured flows do
// not carry, and why.
var extraHeaders = map[string]string{
	"variable_dialer_result": "the simulator's IVR result variable (the lab IVR sets lab_ivr_digit)",
	// The project's dialer_lab callee rings and talks with "sleep <ms>"
	// (as the differential test shows); the captures' context ran
	// applications without arguments.
	"variable_current_application_data": "the dialer_lab callee's sleep",
	"variable_last_arg":                 "the dialer_lab callee's sleep",
}

// omittedHeaders are headers the real switch sends that the simulator
// leaves out on purpose: variables set by the lab dialplan and its
// applications (set, playback, read, ring_ready), which a dialer must not
// depend on.
var omittedHeaders = regexp.MustCompile(`^variable_(lab_.*|playback_.*|read_result|current_application_data|last_arg|DP_MATCH)$`)

// keyFormats are the value formats (raw, as sent) that must match on both
// the real switch and the simulator.
var keyFormats = map[string]*regexp.Regexp{
	"Event-Date-Local":             regexp.MustCompile(`^\d{4}-\d{2}-\d{2}%20\d{2}%3A\d{2}%3A\d{2}$`),
	"Event-Date-GMT":               regexp.MustCompile(`^(Mon|Tue|Wed|Thu|Fri|Sat|Sun),%20\d{2}%20[A-Z][a-z]{2}%20\d{4}%20\d{2}%3A\d{2}%3A\d{2}%20GMT$`),
	"Event-Date-Timestamp":         regexp.MustCompile(`^\d{16}$`),
	"Event-Sequence":               regexp.MustCompile(`^\d+$`),
	"Core-UUID":                    uuidFormat,
	"Unique-ID":                    uuidFormat,
	"Old-Unique-ID":                uuidFormat,
	"Channel-Call-UUID":            uuidFormat,
	"Caller-Unique-ID":             uuidFormat,
	"Job-UUID":                     uuidFormat,
	"Answer-State":                 regexp.MustCompile(`^(ringing|early|answered|hangup)$`),
	"Channel-State":                regexp.MustCompile(`^CS_[A-Z_]+$`),
	"Channel-State-Number":         regexp.MustCompile(`^\d{1,2}$`),
	"Channel-Call-State":           regexp.MustCompile(`^(DOWN|DIALING|RINGING|EARLY|ACTIVE|HELD|RING_WAIT|HANGUP|UNHELD)$`),
	"Channel-HIT-Dialplan":         regexp.MustCompile(`^(true|false)$`),
	"Call-Direction":               regexp.MustCompile(`^(inbound|outbound)$`),
	"Hangup-Cause":                 regexp.MustCompile(`^[A-Z][A-Z_]+$`),
	"Caller-Profile-Created-Time":  usecFormat,
	"Caller-Channel-Created-Time":  usecFormat,
	"Caller-Channel-Answered-Time": usecFormat,
	"Caller-Channel-Progress-Time": usecFormat,
	"Caller-Channel-Hangup-Time":   usecFormat,
	"Caller-Channel-Bridged-Time":  usecFormat,
	"Caller-Callee-ID-Name":        regexp.MustCompile(`^Outbound%20Call$`),
	"DTMF-Digit":                   regexp.MustCompile(`^[0-9*#A-D]$`),
	"DTMF-Duration":                regexp.MustCompile(`^\d+$`),
	"Up-Time":                      regexp.MustCompile(`^\d+%20years,%20\d+%20days,%20\d+%20hours,%20\d+%20minutes,%20\d+%20seconds,%20\d+%20milliseconds,%20\d+%20microseconds$`),
	"Session-Count":                regexp.MustCompile(`^\d+$`),
	"variable_hangup_cause":        regexp.MustCompile(`^[A-Z][A-Z_]+$`),
	"variable_hangup_cause_q850":   regexp.MustCompile(`^\d+$`),
	"variable_start_stamp":         stampFormat,
	"variable_answer_stamp":        stampFormat,
	"variable_end_stamp":           stampFormat,
	"variable_start_epoch":         regexp.MustCompile(`^\d{10}$`),
	"variable_answer_epoch":        regexp.MustCompile(`^(0|\d{10})$`),
	"variable_answer_uepoch":       usecFormat,
	"variable_end_uepoch":          usecFormat,
	"variable_billsec":             regexp.MustCompile(`^\d+$`),
	"variable_billmsec":            regexp.MustCompile(`^\d+$`),
	"variable_duration":            regexp.MustCompile(`^\d+$`),
	"variable_caller_id":           regexp.MustCompile(`^(\d+|%22Outbound%20Call%22%20%3C[a-z_]+%3E)$`),
	"variable_is_outbound":         regexp.MustCompile(`^true$`),
}

var (
	uuidFormat  = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	usecFormat  = regexp.MustCompile(`^(0|\d{16})$`)
	stampFormat = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}%20\d{2}%3A\d{2}%3A\d{2}$`)
)

// labScenario reproduces the captured lab flows with the same destination
// names, so the simulator runs the same flow as the capture.
const labScenario = `
name: lab captures
rules:
  - glob: answer-2
    ring: 1s
    answer: true
    talk: 2s
  - glob: busy
    cause: USER_BUSY
  - glob: noanswer
  - glob: unalloc
    cause: UNALLOCATED_NUMBER
  - glob: ivr
    ring: 1s
    answer: true
    talk: 3s
    digit: "5"
`

// simFlow runs one flow on the simulator and returns the raw events of
// the call and of the BACKGROUND_JOB.
func simFlow(t *testing.T, srv *fssim.Server, format, dest, vars, exten string) (string, []rawEvent) {
	t.Helper()
	c := connect(t, srv)
	c.cmd("event " + format + " ALL")
	id := newUUID()
	job := bgOriginate(t, c, "{origination_uuid="+id+vars+"}loopback/"+dest+"/dialer_lab "+exten)
	var out []rawEvent
	deadline := time.Now().Add(5 * time.Second)
	destroyed, jobSeen := 0, false
	for (destroyed < 2 || !jobSeen) && time.Now().Before(deadline) {
		select {
		case f := <-c.frames:
			if f.err != nil {
				t.Fatalf("read: %v", f.err)
			}
			if !strings.HasPrefix(f.contentType(), "text/event-") {
				continue
			}
			var e rawEvent
			if format == "json" {
				e = jsonRaw(t, f.body)
			} else {
				e = splitRawPlain(f.body)
			}
			out = append(out, e)
			if e.name == "CHANNEL_DESTROY" {
				destroyed++
			}
			if e.name == "BACKGROUND_JOB" && e.get("Job-UUID") == job {
				jobSeen = true
			}
		case <-time.After(50 * time.Millisecond):
		}
	}
	if destroyed < 2 || !jobSeen {
		t.Fatalf("flow %s did not finish: %d destroys, job %v", dest, destroyed, jobSeen)
	}
	return id, out
}

func jsonRaw(t *testing.T, body string) rawEvent {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		t.Fatalf("json event does not start with an object: %q", body)
	}
	e := rawEvent{frame: body}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatalf("json key: %v", err)
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("json value: %v", err)
		}
		s, ok := v.(string)
		if _, isArray := v.([]any); isArray {
			s, ok = "ARRAY", true
		}
		if !ok {
			t.Fatalf("json value of %v is %T, want string", k, v)
		}
		if k == "_body" {
			e.body = s
			continue
		}
		e.headers = append(e.headers, kv{k.(string), s})
	}
	e.name = e.get("Event-Name")
	return e
}

func TestFidelity_PlainHeadersMatchCaptures(t *testing.T) {
	if _, err := os.Stat(captureDir); err != nil {
		t.Skipf("captures not available: %v", err)
	}
	sc, err := fssim.ParseScenario([]byte(labScenario))
	if err != nil {
		t.Fatal(err)
	}
	srv := start(t, fssim.Options{Speed: 40, Scenario: sc, HeartbeatInterval: 500 * time.Millisecond})

	flows := []struct {
		capture, dest, vars, exten string
	}{
		{"answer2.plain.esl", "answer-2", "", "&park()"},
		{"busy.plain.esl", "busy", "", "&park()"},
		{"noanswer_timeout3.plain.esl", "noanswer", ",originate_timeout=3", "&park()"},
		{"unalloc.plain.esl", "unalloc", "", "&park()"},
		{"ivr_dtmf.plain.esl", "ivr", "", "9000 XML dialer_lab"},
	}
	for _, fl := range flows {
		t.Run(fl.capture, func(t *testing.T) {
			real := readCapture(t, fl.capture)
			id, sim := simFlow(t, srv, "plain", fl.dest, fl.vars, fl.exten)
			realSets := headerSets(real)
			simSets := headerSets(sim)
			aLegAll := map[string]bool{}
			for _, e := range real {
				if e.leg() == "a" {
					for _, h := range e.headers {
						aLegAll[h.k] = true
					}
				}
			}
			for name, hs := range simSets {
				rs, ok := realSets[name]
				if !ok {
					if name == "HEARTBEAT" {
						rs = headerSets(readCapture(t, "answer2.plain.esl"))["HEARTBEAT"]
					} else {
						t.Errorf("%s: the real switch did not send this event in this flow", name)
						continue
					}
				}
				var extra []string
				for h := range hs {
					if rs[h] || extraHeaders[h] != "" {
						continue
					}
					if (name == "DTMF" || name == "CUSTOM") && aLegAll[h] {
						continue
					}
					extra = append(extra, h)
				}
				sort.Strings(extra)
				if len(extra) > 0 {
					t.Errorf("%s: headers the real switch does not send: %v", name, extra)
				}
				var missing []string
				for h := range rs {
					if !hs[h] && !omittedHeaders.MatchString(h) && name != "CUSTOM" && name != "DTMF" {
						missing = append(missing, h)
					}
				}
				sort.Strings(missing)
				if len(missing) > 0 {
					t.Errorf("%s: headers the simulator does not send: %v", name, missing)
				}
			}
			for _, evs := range [][]rawEvent{real, sim} {
				for _, e := range evs {
					for _, h := range e.headers {
						if re := keyFormats[h.k]; re != nil && !re.MatchString(h.v) {
							t.Errorf("%s %s = %q does not match %s", e.name, h.k, h.v, re)
						}
					}
				}
			}
			for _, e := range sim {
				if e.name == "DTMF" {
					for _, h := range e.headers {
						if strings.HasPrefix(h.k, "variable_") {
							t.Errorf("DTMF carries %s; FreeSWITCH sends no variables with DTMF", h.k)
						}
					}
				}
			}
			emitted := map[string]bool{}
			for _, e := range sim {
				emitted[e.name] = true
			}
			skip := map[string]bool{"DTMF": true, "CUSTOM": true}
			for _, leg := range []string{"a", "b"} {
				want := legSequence(real, leg, emitted, skip)
				got := legSequence(sim, leg, emitted, skip)
				if !slices.Equal(got, want) {
					t.Errorf("%s-leg event order\n got %v\nwant %v", leg, got, want)
				}
			}
			checkBackgroundJob(t, real, sim, id, fl.exten == "&park()")
		})
	}
}

func legSequence(evs []rawEvent, leg string, keep, skip map[string]bool) []string {
	var out []string
	for _, e := range evs {
		if e.leg() == leg && keep[e.name] && !skip[e.name] {
			out = append(out, e.name)
		}
	}
	return out
}

// checkBackgroundJob compares the BACKGROUND_JOB bytes: the same
// originate arguments must be encoded identically (exact when the flow's
// arguments have the capture's shape), with the two-level Content-Length.
func checkBackgroundJob(t *testing.T, real, sim []rawEvent, simID string, sameArgs bool) {
	t.Helper()
	find := func(evs []rawEvent) rawEvent {
		for _, e := range evs {
			if e.name == "BACKGROUND_JOB" {
				return e
			}
		}
		t.Fatalf("no BACKGROUND_JOB")
		return rawEvent{}
	}
	r, s := find(real), find(sim)
	realID := regexp.MustCompile(`origination_uuid%3D([0-9a-f-]{36})`).FindStringSubmatch(r.get("Job-Command-Arg"))
	if realID == nil {
		t.Fatalf("capture Job-Command-Arg %q", r.get("Job-Command-Arg"))
	}
	want := strings.ReplaceAll(r.get("Job-Command-Arg"), realID[1], simID)
	if got := s.get("Job-Command-Arg"); sameArgs && got != want {
		t.Errorf("Job-Command-Arg\n got %q\nwant %q", got, want)
	}
	if s.get("Job-Command") != "originate" {
		t.Errorf("Job-Command %q", s.get("Job-Command"))
	}
	inner := regexp.MustCompile(`\nContent-Length: (\d+)\n\n`).FindStringSubmatch(s.frame)
	if inner == nil || inner[1] != strconv.Itoa(len(s.body)) {
		t.Errorf("BACKGROUND_JOB inner Content-Length wrong: %q", s.frame)
	}
	if strings.HasPrefix(r.body, "+OK") != strings.HasPrefix(s.body, "+OK") || !strings.HasSuffix(s.body, "\n") {
		t.Errorf("job body %q, capture %q", s.body, r.body)
	}
}

func TestFidelity_JSONEvents(t *testing.T) {
	if _, err := os.Stat(captureDir); err != nil {
		t.Skipf("captures not available: %v", err)
	}
	sc, err := fssim.ParseScenario([]byte(labScenario))
	if err != nil {
		t.Fatal(err)
	}
	srv := start(t, fssim.Options{Speed: 40, Scenario: sc})
	real := readCapture(t, "answer2.json.esl")
	var realEvs []rawEvent
	for _, e := range real {
		realEvs = append(realEvs, jsonRaw(t, e.body))
	}
	_, sim := simFlow(t, srv, "json", "answer-2", "", "&park()")
	realSets := headerSets(realEvs)
	for name, hs := range headerSets(sim) {
		for h := range hs {
			if !realSets[name][h] && extraHeaders[h] == "" {
				t.Errorf("%s: JSON key %s not sent by the real switch", name, h)
			}
		}
	}
	local := regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$`)
	for _, e := range sim {
		if !local.MatchString(e.get("Event-Date-Local")) {
			t.Errorf("%s Event-Date-Local %q is not raw local time", e.name, e.get("Event-Date-Local"))
		}
		if strings.HasSuffix(e.frame, "\n") || strings.Contains(e.frame, `\/`) {
			t.Errorf("%s: JSON not rendered like cJSON: %q", e.name, e.frame[len(e.frame)-20:])
		}
		if e.name == "BACKGROUND_JOB" && (e.get("Content-Length") == "" || !strings.HasPrefix(e.body, "+OK ")) {
			t.Errorf("BACKGROUND_JOB JSON %v body %q", e.headers, e.body)
		}
	}
}

// TestFidelity_APIResponses compares the simulator's api/response frames
// byte for byte with the captured ones (UUIDs substituted).
func TestFidelity_APIResponses(t *testing.T) {
	if _, err := os.Stat(captureDir); err != nil {
		t.Skipf("captures not available: %v", err)
	}
	sc := scenario(t, labScenario+`
  - glob: reject
    cause: CALL_REJECTED
  - glob: congestion
    cause: NORMAL_CIRCUIT_CONGESTION
  - glob: answer-30
    ring: 1s
    answer: true
    talk: 30s
`)
	srv := start(t, fssim.Options{Speed: 50, Scenario: sc})
	nc, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	r := bufio.NewReader(nc)
	raw := func(cmd string) string {
		t.Helper()
		_, _ = nc.Write([]byte(cmd + "\n\n"))
		_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		var b strings.Builder
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("%s: %v", cmd, err)
			}
			b.WriteString(line)
			if line == "\n" {
				break
			}
		}
		f, _ := readFrame(bufio.NewReader(strings.NewReader(b.String())))
		if n, _ := strconv.Atoi(f.get("Content-Length")); n > 0 {
			body := make([]byte, n)
			if _, err := io.ReadFull(r, body); err != nil {
				t.Fatal(err)
			}
			b.Write(body)
		}
		return b.String()
	}
	capture := func(file string) string {
		data, err := os.ReadFile(filepath.Join(captureDir, file))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	if f, err := readFrame(r); err != nil || f.contentType() != "auth/request" {
		t.Fatalf("auth/request: %v %v", f.headers, err)
	}
	if got := raw("auth ClueCon"); got != "Content-Type: command/reply\nReply-Text: +OK accepted\n\n" {
		t.Fatalf("auth reply %q", got)
	}
	customer, agent := newUUID(), newUUID()
	tests := []struct{ cmd, file, from, to string }{
		{"api originate loopback/busy/dialer_lab &park()", "api_originate_busy_err.esl", "", ""},
		{"api originate {originate_timeout=2}loopback/noanswer/dialer_lab &park()", "api_originate_noanswer_timeout2_err.esl", "", ""},
		{"api originate loopback/reject/dialer_lab &park()", "api_originate_reject_err.esl", "", ""},
		{"api originate loopback/congestion/dialer_lab &park()", "api_originate_congestion_err.esl", "", ""},
		{"api originate loopback/unalloc/dialer_lab &park()", "api_originate_unalloc_err.esl", "", ""},
		{"api originate {origination_uuid=" + customer + ",lab_role=customer}loopback/answer-30/dialer_lab &park()",
			"api_originate_answer30_ok.esl", "0a5e16f0-c95b-4fe1-a6c8-76bf799520ad", customer},
		{"api originate {origination_uuid=" + agent + ",lab_role=agent}loopback/agent-1001/dialer_lab &park()",
			"api_originate_agent1001_ok.esl", "4ae6ff31-0e72-47c0-b0e8-fb2c03b68179", agent},
		{"api uuid_exists " + customer, "api_uuid_exists_true.esl", "", ""},
		{"api uuid_exists fc07cd9f-16fa-4868-9603-c44e60b99d9b", "api_uuid_exists_false.esl", "", ""},
		{"api uuid_exists", "api_uuid_exists_noarg.esl", "", ""},
		{"api uuid_bridge " + customer + " " + agent, "api_uuid_bridge_ok.esl", "4ae6ff31-0e72-47c0-b0e8-fb2c03b68179", agent},
		{"api uuid_kill " + agent, "api_uuid_kill_ok.esl", "", ""},
		{"api uuid_kill 14a00c24-e979-44c7-9326-71f122e3e29c", "api_uuid_kill_nosuch.esl", "", ""},
		{"api hupall MANAGER_REQUEST", "api_hupall.esl", "", ""},
		{"api show channels as json", "api_show_channels_as_json_empty.esl", "", ""},
	}
	for _, tt := range tests {
		want := capture(tt.file)
		if tt.from != "" {
			want = strings.ReplaceAll(want, tt.from, tt.to)
		}
		if got := raw(tt.cmd); got != want {
			t.Errorf("%s\n got %q\nwant %q (%s)", tt.cmd, got, want, tt.file)
		}
	}
}
