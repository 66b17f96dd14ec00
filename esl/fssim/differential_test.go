package fssim_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
)

// TestMain stops the real FreeSWITCH the differential test starts. The
// differential scripts spend their time waiting on call timers, not on
// CPU, so unless -parallel is given they all run at once rather than
// GOMAXPROCS at a time.
func TestMain(m *testing.M) {
	flag.Parse()
	if !flagSet("test.parallel") {
		if err := flag.Set("test.parallel", "64"); err != nil {
			fmt.Fprintln(os.Stderr, "set -test.parallel:", err)
			os.Exit(2)
		}
	}
	os.Exit(switchtest.Main(m))
}

// flagSet reports whether the command line set the flag name.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// diffEvents is the dialer's subscription plus CHANNEL_UUID and the
// custom event an IVR could fire.
const diffEvents = "event plain CHANNEL_UUID CHANNEL_CREATE CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA " +
	"CHANNEL_ANSWER CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE " +
	"BACKGROUND_JOB DTMF CUSTOM dialer_lab::ivr"

// diffScript is one scripted session. Isolated scripts run one at a time
// before the others, which run in parallel.
type diffScript struct {
	name     string
	isolated bool
	run      func(s *session)
}

// transcript is what one script saw on one backend: lines that must be
// equal, and measures that must agree within their tolerance.
type transcript struct {
	lines    []string
	measures []measure
}

// measure is a number one script saw, such as a billsec.
type measure struct {
	name   string
	v, tol float64
}

// TestDifferential_SimulatorMatchesFreeSWITCH drives the same scripted
// ESL sessions, over real TCP, against a real FreeSWITCH 1.10.12 running
// the project's dialplans and against the simulator, and fails on any
// difference in what a dialer reads: replies (uuids, times and hostnames
// normalised) and, per channel, the events with the headers the dialer
// reads; timings within a second, so the simulator runs at speed 1.
// Without a real switch there is nothing to compare with, and the test
// skips.
func TestDifferential_SimulatorMatchesFreeSWITCH(t *testing.T) {
	var fs, sim map[string]*transcript
	t.Run("freeswitch", func(t *testing.T) { fs = runScripts(t, switchtest.Real(t), diffScripts()) })
	if fs == nil {
		t.Skip("no real FreeSWITCH run to compare the simulator with")
	}
	t.Run("simulator", func(t *testing.T) {
		sim = runScripts(t, switchtest.Sim(t, fssim.Options{Speed: 1}), diffScripts())
	})
	for _, sc := range diffScripts() {
		t.Run("compare/"+sc.name, func(t *testing.T) {
			s, r := sim[sc.name], fs[sc.name]
			if s == nil || r == nil {
				t.Fatalf("script did not finish on both backends (simulator %v, freeswitch %v)", s != nil, r != nil)
			}
			compareTranscripts(t, s, r)
		})
	}
}

// runScripts runs every script on b and returns their transcripts.
func runScripts(t *testing.T, b switchtest.Backend, scripts []diffScript) map[string]*transcript {
	var mu sync.Mutex
	out := map[string]*transcript{}
	run := func(t *testing.T, sc diffScript) {
		s := newSession(t, b)
		sc.run(s)
		s.settle()
		tr := s.transcript()
		mu.Lock()
		out[sc.name] = tr
		mu.Unlock()
	}
	for _, sc := range scripts {
		if sc.isolated {
			t.Run(sc.name, func(t *testing.T) { run(t, sc) })
		}
	}
	t.Run("parallel", func(t *testing.T) {
		for _, sc := range scripts {
			if !sc.isolated {
				t.Run(sc.name, func(t *testing.T) {
					t.Parallel()
					run(t, sc)
				})
			}
		}
	})
	return out
}

// compareTranscripts fails t on every line or measure that differs.
func compareTranscripts(t *testing.T, sim, fs *transcript) {
	t.Helper()
	if !slices.Equal(sim.lines, fs.lines) {
		t.Errorf("simulator and FreeSWITCH differ (- freeswitch, + simulator):\n%s", lineDiff(fs.lines, sim.lines))
	}
	if len(sim.measures) != len(fs.measures) {
		t.Errorf("measures: simulator %v, freeswitch %v", sim.measures, fs.measures)
		return
	}
	for i, r := range fs.measures {
		s := sim.measures[i]
		switch {
		case s.name != r.name:
			t.Errorf("measure %d: simulator %q, freeswitch %q", i, s.name, r.name)
		case math.Abs(s.v-r.v) > r.tol+1e-9:
			t.Errorf("%s: simulator %.3f, freeswitch %.3f (tolerance %.1f)", r.name, s.v, r.v, r.tol)
		}
	}
}

// lineDiff renders a minimal line diff of a (freeswitch) and b (simulator).
func lineDiff(a, b []string) string {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var sb strings.Builder
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			sb.WriteString("  " + a[i] + "\n")
			i, j = i+1, j+1
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			sb.WriteString("+ " + b[j] + "\n")
			j++
		default:
			sb.WriteString("- " + a[i] + "\n")
			i++
		}
	}
	return sb.String()
}

// session is one script's connections to one backend and what it saw.
type session struct {
	t     *testing.T
	b     switchtest.Backend
	ctl   *client
	ev    *client
	names map[string]string // uuid, job uuid or marker value -> role
	chans map[string]bool   // uuids of the channels the script originated
	jobs  map[string]bool
	lines []string
	extra []*client // connections whose events are reported too
	tags  []string
}

func newSession(t *testing.T, b switchtest.Backend) *session {
	s := &session{t: t, b: b, names: map[string]string{}, chans: map[string]bool{}, jobs: map[string]bool{}}
	s.ctl = s.login()
	s.ev = s.login()
	if got := s.ev.cmd(diffEvents); got != "+OK event listener enabled plain" {
		t.Fatalf("subscribe: %q", got)
	}
	return s
}

// loginMu makes the scripts connect one at a time: mod_event_socket's
// listen backlog is short, and a burst of connections waits for SYN
// retransmits of a second and more.
var loginMu sync.Mutex

// login opens an authenticated connection.
func (s *session) login() *client {
	loginMu.Lock()
	defer loginMu.Unlock()
	c := dial(s.t, s.b.Addr())
	if got := c.cmd("auth " + s.b.Password()); got != "+OK accepted" {
		s.t.Fatalf("auth: %q", got)
	}
	return c
}

// channel returns a fresh uuid for a channel the script will originate.
func (s *session) channel(role string) string {
	id := newUUID()
	s.names[id] = role
	s.chans[id] = true
	return id
}

// marker returns a unique value that reads as role in the transcript.
func (s *session) marker(role string) string {
	v := "dt" + strings.ReplaceAll(newUUID()[24:], "0", "x")
	s.names[v] = role
	return v
}

func (s *session) job(role, id string) {
	s.names[id] = role
	s.jobs[id] = true
}

func (s *session) note(format string, args ...any) {
	s.lines = append(s.lines, fmt.Sprintf(format, args...))
}

// api runs an api command on the control connection and notes the reply.
func (s *session) api(cmd string) string {
	out := s.ctl.api(cmd)
	s.note("api %s -> %q", cmd, out)
	return out
}

// cmd runs a command on the control connection and notes its Reply-Text.
func (s *session) cmd(line string) string {
	out := s.ctl.cmd(line)
	s.note("%s -> %q", line, out)
	return out
}

// originate runs "api originate {origination_uuid=<role>,vars}endpoint
// exten" and returns the uuid.
func (s *session) originate(role, vars, endpoint, exten string) string {
	id := s.channel(role)
	s.api("originate {origination_uuid=" + id + vars + "}" + endpoint + " " + exten)
	return id
}

// bgOriginate sends the originate with bgapi and a client Job-UUID.
func (s *session) bgOriginate(role, vars, endpoint, exten string) string {
	id := s.channel(role)
	job := newUUID()
	s.job("job-"+role, job)
	s.raw("bgapi originate {origination_uuid=" + id + vars + "}" + endpoint + " " + exten + "\nJob-UUID: " + job + "\n\n")
	return id
}

// raw writes bytes as they are and notes the next frame.
func (s *session) raw(b string) frame {
	if _, err := io.WriteString(s.ctl.nc, b); err != nil {
		s.t.Fatalf("write: %v", err)
	}
	f := s.ctl.next(10 * time.Second)
	if f.err != nil {
		s.t.Fatalf("after %q: %v", b, f.err)
	}
	s.note("raw %q -> %s", b, describe(f))
	return f
}

// describe renders a reply frame: Content-Type, Reply-Text, Job-UUID and
// body.
func describe(f frame) string {
	out := f.contentType()
	for _, h := range []string{"Reply-Text", "Job-UUID"} {
		if v := f.get(h); v != "" {
			out += " " + h + "=" + v
		}
	}
	if f.body != "" {
		out += fmt.Sprintf(" body=%q", f.body)
	}
	return out
}

// bleg returns the b-leg of a loopback a-leg through uuid_getvar and names
// it role/b.
func (s *session) bleg(a string) string {
	b := s.api("uuid_getvar " + a + " other_loopback_leg_uuid")
	s.names[b] = s.names[a] + "/b"
	return b
}

func (s *session) sleep(d time.Duration) { time.Sleep(d) }

// watch reports the events of c (with the script's own uuids) under tag.
func (s *session) watch(tag string, c *client) {
	s.extra = append(s.extra, c)
	s.tags = append(s.tags, tag)
}

// settle waits until every channel of the script has hung up and every
// job has reported, then lets trailing events arrive.
func (s *session) settle() {
	deadline := time.Now().Add(25 * time.Second)
	for {
		evs := s.ev.snapshot()
		s.discover(evs)
		if s.finished(evs) {
			break
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("calls or jobs still open after 25 s: %s", names(evs))
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
}

// discover names the loopback b-legs of the script's channels.
func (s *session) discover(evs []event) {
	for _, e := range evs {
		id := e.get("Unique-ID")
		if id == "" || s.chans[id] {
			continue
		}
		if a := e.get("variable_other_loopback_leg_uuid"); s.chans[a] && s.names[a] != "" {
			s.chans[id] = true
			if _, named := s.names[id]; !named {
				s.names[id] = s.names[a] + "/b"
			}
		}
	}
}

func (s *session) finished(evs []event) bool {
	done := map[string]bool{}
	for _, e := range evs {
		switch e.name() {
		case "CHANNEL_HANGUP_COMPLETE":
			done[e.get("Unique-ID")] = true
		case "BACKGROUND_JOB":
			done[e.get("Job-UUID")] = true
		}
	}
	for id := range s.chans {
		if !done[id] {
			return false
		}
	}
	for id := range s.jobs {
		if !done[id] {
			return false
		}
	}
	return true
}

// transcript normalises what the script saw.
func (s *session) transcript() *transcript {
	tr := &transcript{}
	for _, l := range s.lines {
		tr.lines = append(tr.lines, s.norm(l))
	}
	tr.add(s, "", s.ev.snapshot())
	for i, c := range s.extra {
		tr.add(s, s.tags[i]+" ", c.snapshot())
	}
	return tr
}

// add appends the events of the script's channels grouped by channel in
// Event-Sequence order, then its jobs.
func (tr *transcript) add(s *session, tag string, evs []event) {
	evs = slices.Clone(evs)
	sort.SliceStable(evs, func(i, j int) bool { return seqOf(evs[i]) < seqOf(evs[j]) })
	byRole := map[string][]event{}
	for _, e := range evs {
		id := e.get("Unique-ID")
		if e.name() == "BACKGROUND_JOB" {
			id = e.get("Job-UUID")
		}
		if role, ok := s.names[id]; ok && (s.chans[id] || s.jobs[id]) {
			byRole[role] = append(byRole[role], e)
		}
	}
	roles := make([]string, 0, len(byRole))
	for r := range byRole {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	for _, r := range roles {
		for _, e := range createFirst(byRole[r]) {
			tr.lines = append(tr.lines, tag+r+" "+s.norm(eventLine(e)))
			if tag == "" {
				tr.measures = append(tr.measures, eventMeasures(r, e)...)
			}
		}
	}
}

// createFirst moves CHANNEL_CREATE to the front. FreeSWITCH fires it when
// the channel's thread starts, which races with the other leg: a loopback
// a-leg's CHANNEL_CREATE can come after its CHANNEL_PROGRESS, or after
// its hangup when the b-leg fails at once.
func createFirst(evs []event) []event {
	out := make([]event, 0, len(evs))
	for _, e := range evs {
		if e.name() == "CHANNEL_CREATE" {
			out = append(out, e)
		}
	}
	for _, e := range evs {
		if e.name() != "CHANNEL_CREATE" {
			out = append(out, e)
		}
	}
	return out
}

func seqOf(e event) int64 {
	n, _ := strconv.ParseInt(e.get("Event-Sequence"), 10, 64)
	return n
}

// eventKeys are the headers of an event a dialer reads.
var eventKeys = []string{
	"Channel-Name", "Unique-ID", "Old-Unique-ID", "Channel-Call-UUID", "Call-Direction", "Answer-State",
	"Hangup-Cause", "Caller-Destination-Number", "Other-Leg-Unique-ID", "Bridge-A-Unique-ID",
	"Bridge-B-Unique-ID", "DTMF-Digit", "Job-Command", "Job-Command-Arg",
	"variable_loopback_leg", "variable_other_loopback_leg_uuid",
}

// completeKeys are the final record's extra headers a dialer reads.
var completeKeys = []string{
	"variable_hangup_cause", "variable_hangup_cause_q850", "variable_last_bridge_to",
}

// eventLine renders an event's name and the headers a dialer reads.
func eventLine(e event) string {
	parts := []string{e.name()}
	keys := slices.Clone(eventKeys)
	if e.name() == "CHANNEL_HANGUP_COMPLETE" {
		keys = append(keys, completeKeys...)
		parts = append(parts, "answered="+strconv.FormatBool(e.get("variable_answer_epoch") != "0"))
	}
	for _, h := range e.headers {
		if strings.HasPrefix(h.k, "variable_dialer_") {
			keys = append(keys, h.k)
		}
	}
	sort.Strings(keys[len(eventKeys):])
	for _, k := range keys {
		if racyHeader(e, k) {
			continue
		}
		if e.has(k) {
			parts = append(parts, k+"="+e.get(k))
		}
	}
	if e.name() == "BACKGROUND_JOB" {
		parts = append(parts, fmt.Sprintf("body=%q", e.body))
	}
	if e.name() == "CHANNEL_HANGUP_COMPLETE" && e.get("Hangup-Cause") == "NO_ANSWER" && e.get("Call-Direction") == "outbound" {
		parts = append(parts, "timeout-on-a-whole-second="+strconv.FormatBool(wholeSecond(e.get("Caller-Channel-Hangup-Time"))))
	}
	return strings.Join(parts, " ")
}

// racyHeader reports whether header k of e depends on a race inside
// FreeSWITCH. A CHANNEL_CREATE late by the race createFirst describes can
// show the hangup; the far side of a uuid_bridge (Other-Type originator)
// hanging up with its peer shows either its own uuid or its peer's as
// Channel-Call-UUID, as the unbridge has reset its call_uuid or not.
func racyHeader(e event, k string) bool {
	switch {
	case e.name() == "CHANNEL_CREATE":
		return k == "Answer-State" || k == "Hangup-Cause"
	case e.get("Other-Type") == "originator" && e.get("Answer-State") == "hangup":
		return k == "Channel-Call-UUID"
	}
	return false
}

// wholeSecond reports whether a microsecond timestamp lies just after a
// second boundary, where FreeSWITCH's originate timer, which compares
// epoch seconds, fires.
func wholeSecond(us string) bool {
	n, err := strconv.ParseInt(us, 10, 64)
	return err == nil && n%1e6 < 150e3
}

// eventMeasures are an event's timings: billsec and duration, and when
// the channel answered and hung up, in seconds after it was created.
func eventMeasures(role string, e event) []measure {
	if e.name() == "DTMF" {
		return []measure{{name: role + " DTMF after answer", v: usecs(e, "Caller-Channel-Answered-Time", "Event-Date-Timestamp"), tol: 1}}
	}
	if e.name() != "CHANNEL_HANGUP_COMPLETE" {
		return nil
	}
	num := func(k string) float64 {
		v, _ := strconv.ParseFloat(e.get(k), 64)
		return v
	}
	out := []measure{
		{name: role + " billsec", v: num("variable_billsec"), tol: 1},
		{name: role + " duration", v: num("variable_duration"), tol: 1},
		{name: role + " hung up after", v: usecs(e, "Caller-Channel-Created-Time", "Caller-Channel-Hangup-Time"), tol: 1},
	}
	if e.get("Caller-Channel-Answered-Time") != "0" {
		out = append(out, measure{name: role + " answered after", v: usecs(e, "Caller-Channel-Created-Time", "Caller-Channel-Answered-Time"), tol: 1})
	}
	return out
}

func usecs(e event, from, to string) float64 {
	a, _ := strconv.ParseInt(e.get(from), 10, 64)
	b, _ := strconv.ParseInt(e.get(to), 10, 64)
	return float64(b-a) / 1e6
}

var uuidRe = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// norm replaces the script's uuids and markers with their roles and any
// other uuid with <uuid>.
func (s *session) norm(v string) string {
	keys := make([]string, 0, len(s.names))
	for k := range s.names {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	for _, k := range keys {
		if k != "" {
			v = strings.ReplaceAll(v, k, "<"+s.names[k]+">")
		}
	}
	return uuidRe.ReplaceAllString(v, "<uuid>")
}

// diffScripts are the scripted sessions.
func diffScripts() []diffScript {
	out := []diffScript{
		{name: "show channels", isolated: true, run: scriptShowChannels},
		{name: "framing", run: scriptFraming},
		{name: "auth", run: scriptAuth},
		{name: "bad commands", run: scriptBadCommands},
		{name: "agent control", run: scriptAgentControl},
		{name: "b-leg killed", run: scriptBLegKilled},
		{name: "hupall with a variable", run: scriptHupall},
		{name: "ivr transfer", run: scriptIVR(0, "15550003")},
		{name: "ivr late transfer", run: scriptIVR(1600*time.Millisecond, "15550004")},
		{name: "ivr no input", run: scriptIVR(1600*time.Millisecond, "15550009")},
		{name: "ivr originate", run: scriptIVROriginate},
		{name: "event subscription", run: scriptEvents},
		{name: "filters", run: scriptFilters},
		{name: "bridge", run: scriptBridge},
		{name: "bgapi without Job-UUID", run: scriptBgapiServerJob},
		{name: "heartbeat", run: scriptHeartbeat},
	}
	for _, o := range planOutcomes {
		out = append(out,
			diffScript{name: "api " + o.name, run: scriptOriginate(o, false)},
			diffScript{name: "bgapi " + o.name, run: scriptOriginate(o, true)})
	}
	return out
}

// planCase is one destination of the numbering plan, with extra
// originate variables.
type planCase struct{ name, dest, vars string }

// planOutcomes are the numbering plan's outcomes (the plan and
// freeswitch-conf/dialplan/dialer_lab.xml).
var planOutcomes = []planCase{
	{"answer D0 S1", "15550001", ""},
	{"answer D4 S2", "15550042", ""},
	{"busy", "15550050", ""},
	{"no answer", "15550061", ",originate_timeout=2"},
	{"unallocated", "15550070", ""},
	{"rejected", "15550080", ""},
	{"congestion", "15550090", ""},
	{"agent busy", "agent-busy-11", ""},
	{"agent rejects", "agent-reject-12", ""},
	{"agent no answer", "agent-noanswer-13", ",originate_timeout=2"},
	{"no route", "nosuch", ""},
}

// scriptOriginate originates one numbering-plan destination with api or
// bgapi.
func scriptOriginate(o planCase, bg bool) func(*session) {
	return func(s *session) {
		vars := ",dialer_campaign_id=7,dialer_member_id=9" + o.vars
		if bg {
			s.bgOriginate("cust", vars, "loopback/"+o.dest+"/dialer_lab", "&park()")
			return
		}
		s.originate("cust", vars, "loopback/"+o.dest+"/dialer_lab", "&park()")
	}
}

// scriptShowChannels runs alone: show channels with none and with one
// loopback call.
func scriptShowChannels(s *session) {
	s.api("show channels as json")
	s.api("show channels")
	s.api("show channels count")
	id := s.originate("agent", ",dialer_campaign_id=1", "loopback/agent-21/dialer_lab", "&park()")
	s.bleg(id)
	s.sleep(300 * time.Millisecond)
	s.note("show channels as json -> %s", s.channelRows(s.ctl.api("show channels as json")))
	s.api("show channels count")
	s.api("uuid_kill " + id)
}

// channelRows renders show channels' rows without times and hostnames,
// ordered by name.
func (s *session) channelRows(out string) string {
	var doc struct {
		RowCount int                 `json:"row_count"`
		Rows     []map[string]string `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		s.t.Fatalf("show channels as json: %v: %q", err, out)
	}
	sort.Slice(doc.Rows, func(i, j int) bool { return doc.Rows[i]["name"] < doc.Rows[j]["name"] })
	parts := []string{"row_count=" + strconv.Itoa(doc.RowCount)}
	for _, r := range doc.Rows {
		keys := make([]string, 0, len(r))
		for k := range r {
			if k != "created" && k != "created_epoch" && k != "hostname" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			parts = append(parts, k+"="+r[k])
		}
	}
	return strings.Join(parts, " ")
}

// scriptFraming sends commands framed every way a client might, with a
// live channel so that a misread argument shows.
func scriptFraming(s *session) {
	id := s.originate("agent", "", "loopback/agent-31/dialer_lab", "&park()")
	s.raw("api uuid_exists " + id + "\n\n")
	s.raw("api uuid_exists " + id + "\r\n\r\n")
	s.raw("\n\r\n\napi uuid_exists " + id + "\n\n")
	s.raw("api uuid_exists " + id + "\nHeader: x\r\n\r\n")
	s.raw("api uuid_exists " + id + "\nNoColonHere\nOther: y\n\n")
	for _, fr := range []struct{ role, frame string }{
		{"lf", "bgapi uuid_exists %s\nJob-UUID: %s\n\n"},
		{"crlf", "bgapi uuid_exists %s\r\nJob-UUID: %s\r\n\r\n"},
		{"lower", "bgapi uuid_exists %s\njob-uuid: %s\n\n"},
		{"nospace", "bgapi uuid_exists %s\nJob-UUID:%s\n\n"},
		{"mixed", "bgapi uuid_exists %s\nJob-UUID: %s\r\n\r\n"},
	} {
		job := newUUID()
		s.names[job] = "job-" + fr.role
		f := s.raw(fmt.Sprintf(fr.frame, id, job))
		if got := f.get("Job-UUID"); got != job {
			s.job("job-"+fr.role+"-reply", got)
		} else {
			s.job("job-"+fr.role, job)
		}
	}
	s.api("uuid_kill " + id)
}

// scriptAuth: a command before auth and the right password on one
// connection, a wrong password on another.
func scriptAuth(s *session) {
	loginMu.Lock()
	good := dial(s.t, s.b.Addr())
	bad := dial(s.t, s.b.Addr())
	loginMu.Unlock()
	s.note("before auth: %q", good.cmd("api status"))
	s.note("good auth: %q", good.cmd("auth "+s.b.Password()))
	s.note("after auth: %q", good.api("uuid_exists "+newUUID()))
	if _, err := io.WriteString(bad.nc, "auth wrong-password\n\n"); err != nil {
		s.t.Fatalf("write: %v", err)
	}
	frames, err := bad.waitEOF(5 * time.Second)
	for _, f := range frames {
		s.note("bad auth: %s", describe(f))
	}
	s.note("bad auth ends the connection: %v", err == io.EOF)
}

// scriptBadCommands: unknown commands, unknown apis, missing channels,
// usage errors and failed originates that create no call the script
// names.
func scriptBadCommands(s *session) {
	missing := newUUID()
	s.names[missing] = "missing"
	for _, cmd := range []string{
		"nosuch_api arg", "uuid_kill " + missing, "uuid_kill " + missing + " USER_BUSY",
		"uuid_exists " + missing, "uuid_exists", "uuid_getvar " + missing + " x", "uuid_getvar " + missing,
		"uuid_setvar " + missing + " x y", "uuid_setvar " + missing, "uuid_setvar_multi " + missing + " a=1",
		"uuid_setvar_multi " + missing, "uuid_broadcast " + missing + " tone_stream://%(100,0,440)",
		"uuid_broadcast " + missing, "uuid_transfer " + missing + " 1000", "uuid_transfer " + missing,
		"uuid_bridge " + missing + " " + missing, "uuid_bridge " + missing, "uuid_send_dtmf " + missing + " 1",
		"uuid_kill", "uuid_getvar", "show", "originate", "originate loopback/15550001/dialer_lab",
		"originate {origination_uuid=x loopback/15550001/dialer_lab &park()", "originate error/USER_BUSY &park()",
		"originate loopback/15550001/nosuchcontext &park()",
	} {
		s.api(cmd)
	}
	for _, line := range []string{"nonsense", "api", "bgapi", "myevents", "myevents " + missing + " plain",
		"linger", "nolinger", "divert_events on", "nolog", "filter", "filter Unique-ID", "event plain NOT_AN_EVENT",
		"nixevent", "noevents"} {
		s.cmd(line)
	}
	s.note("log %q", skipLogs(s.ctl, "log 1"))
	s.note("nolog %q", skipLogs(s.ctl, "nolog"))
}

// skipLogs runs a command and returns its Reply-Text, skipping log/data
// frames.
func skipLogs(c *client, line string) string {
	c.send(line)
	for {
		f := c.next(5 * time.Second)
		if f.err != nil {
			c.t.Fatalf("%s: %v", line, f.err)
		}
		if f.contentType() == "command/reply" {
			return f.get("Reply-Text")
		}
	}
}

// scriptAgentControl: the api commands a dialer runs on a live call.
func scriptAgentControl(s *session) {
	id := s.originate("agent", ",dialer_campaign_id=3", "loopback/agent-41/dialer_lab", "&park()")
	s.api("uuid_exists " + id)
	s.bleg(id)
	for _, cmd := range []string{
		"uuid_getvar " + id + " dialer_campaign_id", "uuid_getvar " + id + " dialer_nosuch", "uuid_getvar " + id,
		"uuid_setvar " + id + " dialer_note hello world", "uuid_getvar " + id + " dialer_note",
		"uuid_setvar " + id + " dialer_note", "uuid_getvar " + id + " dialer_note",
		"uuid_setvar_multi " + id + " dialer_a=1;dialer_b=2", "uuid_getvar " + id + " dialer_b",
		"uuid_setvar " + id + " dialer_result sale",
		"uuid_broadcast " + id + " tone_stream://%(100,0,440) aleg",
	} {
		s.api(cmd)
	}
	s.sleep(500 * time.Millisecond)
	s.api("uuid_exists " + id)
	s.api("uuid_kill " + id + " NO_SUCH_CAUSE")
	s.api("uuid_exists " + id)
	s.api("uuid_kill " + id)
}

// scriptBLegKilled: what the a-leg shows when its b-leg goes, answered
// and ringing. The answered b-leg is killed with NORMAL_CLEARING: killed
// with another cause, FreeSWITCH passes that cause on to the a-leg or
// not depending on its own thread timing (about half the time each, even
// seconds after the answer), so no cause but NORMAL_CLEARING compares.
func scriptBLegKilled(s *session) {
	id := s.originate("agent", ",dialer_campaign_id=4", "loopback/agent-51/dialer_lab", "&park()")
	b := s.bleg(id)
	s.sleep(2 * time.Second)
	s.api("uuid_kill " + b + " NORMAL_CLEARING")
	s.sleep(300 * time.Millisecond)
	s.api("uuid_exists " + id)
	ring := s.channel("ringing")
	s.raw("bgapi originate {origination_uuid=" + ring + "}loopback/15550062/dialer_lab &park()\nJob-UUID: " + s.jobID("job-ringing") + "\n\n")
	s.sleep(500 * time.Millisecond)
	s.api("uuid_kill " + s.bleg(ring))
}

// jobID returns a fresh client Job-UUID named role.
func (s *session) jobID(role string) string {
	id := newUUID()
	s.job(role, id)
	return id
}

// scriptHupall: hupall with a variable hangs up only the matching calls.
func scriptHupall(s *session) {
	camp := s.marker("campaign")
	other := s.marker("other-campaign")
	a := s.originate("match", ",dialer_campaign_id="+camp, "loopback/agent-61/dialer_lab", "&park()")
	b := s.originate("keep", ",dialer_campaign_id="+other, "loopback/agent-62/dialer_lab", "&park()")
	s.api("hupall NORMAL_CLEARING dialer_campaign_id " + camp)
	s.sleep(300 * time.Millisecond)
	s.api("uuid_exists " + a)
	s.api("uuid_exists " + b)
	s.api("hupall USER_BUSY dialer_campaign_id " + other + " dialer_member_id none")
	s.api("hupall CALL_REJECTED dialer_campaign_id " + other)
}

// scriptIVR answers a call parked, then transfers it into the project's
// IVR after wait.
func scriptIVR(wait time.Duration, number string) func(*session) {
	return func(s *session) {
		id := s.originate("cust", ",dialer_campaign_id=5", "loopback/"+number+"/dialer_lab", "&park()")
		s.sleep(wait)
		s.api("uuid_transfer " + id + " dialer_ivr_example XML dialer_ivr")
	}
}

// scriptIVROriginate sends the call straight into the IVR, as an IVR
// campaign does.
func scriptIVROriginate(s *session) {
	s.originate("cust", ",dialer_campaign_id=6,ignore_early_media=true", "loopback/15550002/dialer_lab", "dialer_ivr_example XML dialer_ivr")
	s.bgOriginate("bg", ",dialer_campaign_id=6,ignore_early_media=true", "loopback/15550013/dialer_lab", "dialer_ivr_example XML dialer_ivr")
}

// scriptEvents: event, nixevent and noevents change what a connection
// gets.
func scriptEvents(s *session) {
	c := s.login()
	s.watch("subscriber", c)
	step := func(line string) {
		s.note("subscriber %s -> %q", line, c.cmd(line))
	}
	step("event plain CHANNEL_CREATE")
	s.originate("first", "", "loopback/15550071/dialer_lab", "&park()")
	s.sleep(300 * time.Millisecond)
	step("nixevent CHANNEL_CREATE")
	step("event plain CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB")
	s.originate("second", "", "loopback/15550072/dialer_lab", "&park()")
	s.sleep(300 * time.Millisecond)
	step("noevents")
	step("noevents")
	s.bgOriginate("third", "", "loopback/15550073/dialer_lab", "&park()")
	s.sleep(300 * time.Millisecond)
	step("event plain ALL")
	step("nixevent ALL")
	step("event json CHANNEL_CREATE")
	step("event plain CHANNEL_ANSWER")
}

// scriptFilters: which events filtered connections get.
func scriptFilters(s *session) {
	first, second := newUUID(), newUUID()
	conns := map[string][]string{
		"by-uuid":         {"filter Unique-ID " + first},
		"by-uuid-and-job": {"filter Unique-ID " + first, "filter Event-Name BACKGROUND_JOB"},
		"regex-and-minus": {"filter Event-Name /^CHANNEL_(CREATE|ANSWER)$/", "filter Call-Direction -inbound"},
		"deleted":         {"filter Unique-ID " + first, "filter delete Unique-ID " + first},
		"delete-all":      {"filter Unique-ID " + first, "filter Unique-ID " + second, "filter delete all"},
	}
	tags := make([]string, 0, len(conns))
	for tag := range conns {
		tags = append(tags, tag)
	}
	sort.Strings(tags)
	s.names[first], s.names[second] = "first", "second"
	for _, tag := range tags {
		c := s.login()
		c.cmd("event plain CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB")
		for _, f := range conns[tag] {
			s.note("%s %s -> %q", tag, f, c.cmd(f))
		}
		s.watch(tag, c)
	}
	s.chans[first], s.chans[second] = true, true
	s.raw("bgapi originate {origination_uuid=" + first + "}loopback/15550000/dialer_lab &park()\nJob-UUID: " + s.jobID("job-first") + "\n\n")
	s.raw("bgapi originate {origination_uuid=" + second + "}loopback/15550074/dialer_lab &park()\nJob-UUID: " + s.jobID("job-second") + "\n\n")
}

// scriptBridge: a customer bridged to an agent, the customer's callee
// hanging up (DTMF crosses the bridge first).
func scriptBridge(s *session) {
	ag := s.originate("agent", ",dialer_campaign_id=8", "loopback/agent-71/dialer_lab", "&park()")
	cu := s.originate("cust", ",dialer_campaign_id=8", "loopback/15550002/dialer_lab", "&park()")
	s.api("uuid_bridge " + cu + " " + ag)
	s.sleep(300 * time.Millisecond)
	s.api("uuid_getvar " + cu + " bridge_to")
	s.api("uuid_getvar " + ag + " bridge_to")
	s.api("uuid_getvar " + ag + " call_uuid")
}

// scriptBgapiServerJob: bgapi without a client Job-UUID names the job in
// its reply.
func scriptBgapiServerJob(s *session) {
	id := s.channel("cust")
	f := s.raw("bgapi originate {origination_uuid=" + id + "}loopback/15550043/dialer_lab &park()\n\n")
	s.job("job", f.get("Job-UUID"))
	missing := newUUID()
	s.names[missing] = "missing"
	f = s.raw("bgapi uuid_exists " + missing + "\n\n")
	s.job("job-exists", f.get("Job-UUID"))
}

// heartbeatKeys are the HEARTBEAT headers a liveness check can read.
var heartbeatKeys = []string{"Event-Info", "Up-Time", "Uptime-msec", "Session-Count", "Max-Sessions",
	"Session-Per-Sec", "Session-Since-Startup", "Idle-CPU", "FreeSWITCH-Version"}

// scriptHeartbeat: the first HEARTBEAT (every 20 s) and its headers.
func scriptHeartbeat(s *session) {
	c := s.login()
	s.note("heartbeat subscriber %q", c.cmd("event plain HEARTBEAT"))
	e := c.waitEvent(22*time.Second, func(e event) bool { return e.name() == "HEARTBEAT" })
	var has []string
	for _, k := range heartbeatKeys {
		if e.has(k) {
			has = append(has, k)
		}
	}
	_, err := strconv.Atoi(e.get("Session-Count"))
	s.note("HEARTBEAT Event-Info=%s headers=%v Session-Count numeric=%v", e.get("Event-Info"), has, err == nil)
}
