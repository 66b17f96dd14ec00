package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/config"
	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
	"github.com/fsdialer/dialer/store"
)

// e2e is a database, a switch on TCP (the simulator or a real
// FreeSWITCH) and the daemon's configuration.
type e2e struct {
	log io.Writer
	t   *testing.T
	ctx context.Context
	db  *store.DB
	cfg config.Config
	sw  switchtest.Backend
	// sim is the simulator when sw is one, for its faults and records;
	// nil on a real switch.
	sim *fssim.Server
}

func newE2E(t *testing.T, sw switchtest.Backend) *e2e {
	t.Helper()
	return newE2EOn(t, sw, filepath.Join(t.TempDir(), "e2e.db"))
}

// newE2EOn is newE2E on the given database (a SQLite file or a
// postgres:// URL).
func newE2EOn(t *testing.T, sw switchtest.Backend, database string) *e2e {
	t.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.Database = database
	cfg.ESL.Address = sw.Addr()
	cfg.ESL.Password = sw.Password()
	cfg.ESL.HeartbeatTimeout = 5 * time.Second
	if sw.Real() {
		// FreeSWITCH beats every 20 s.
		cfg.ESL.HeartbeatTimeout = 30 * time.Second
	}
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.Limits.MaxCalls = 500
	cfg.Limits.MaxCPS = 500
	db, err := store.Open(ctx, cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &e2e{log: io.Discard, t: t, ctx: ctx, db: db, cfg: cfg, sw: sw}
	if p := os.Getenv("DIALER_E2E_LOG"); p != "" {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		e.log = f
	}
	if s, ok := sw.(*switchtest.SimBackend); ok {
		e.sim = s.Server
	}
	t.Logf("switch: %s at %s", sw.Name(), sw.Addr())
	return e
}

// newSimE2E is newE2E on a simulator started with o, for tests of what
// only the simulator can show.
func newSimE2E(t *testing.T, o fssim.Options) *e2e {
	t.Helper()
	return newE2E(t, switchtest.Sim(t, o))
}

// load applies a campaign, imports members ("name:number") and starts it.
func (e *e2e) load(doc string, members []string) *dialer.Campaign {
	e.t.Helper()
	c := e.apply(doc, members)
	if _, err := e.db.SetCampaignState(e.ctx, c.Name, dialer.StateRunning); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// apply applies a campaign and imports members ("name:number"); the
// campaign stays stopped.
func (e *e2e) apply(doc string, members []string) *dialer.Campaign {
	e.t.Helper()
	c, err := dialer.ReadCampaign(strings.NewReader(doc), "e2e")
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.db.ApplyCampaign(e.ctx, c); err != nil {
		e.t.Fatal(err)
	}
	stored, _ := e.db.Campaign(e.ctx, c.Name)
	imp, err := e.db.BeginImport(e.ctx, stored.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	var batch []memberfile.Member
	for i, spec := range members {
		name, number, _ := strings.Cut(spec, ":")
		batch = append(batch, memberfile.Member{Line: i + 2, Name: name, Priority: 3,
			Numbers: []memberfile.Number{{Number: number, Type: "mobile", Position: 1}}})
	}
	if _, err := imp.Add(e.ctx, batch); err != nil {
		e.t.Fatal(err)
	}
	if _, _, err := imp.Commit(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	return stored
}

// serve runs the daemon in-process until ctx ends or it exits by itself.
func (e *e2e) serve(ctx context.Context, o serveOptions, now func() time.Time) <-chan error {
	done := make(chan error, 1)
	var opts *slog.HandlerOptions
	if e.log != io.Discard {
		opts = &slog.HandlerOptions{Level: slog.LevelDebug}
	}
	log := slog.New(slog.NewTextHandler(e.log, opts))
	go func() { done <- runDaemon(ctx, e.cfg, o, now, log) }()
	return done
}

func waitDaemon(t *testing.T, done <-chan error, limit time.Duration) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("daemon: %v", err)
		}
	case <-time.After(limit):
		t.Fatalf("daemon still running after %s", limit)
	}
}

// span is one customer call as the simulator saw it (scenario time).
type span struct {
	member     string
	start, end time.Time
	number     string
}

// spans are the customer calls the switch saw, from its own channel
// records, oldest first. A channel that vanished in a switch restart ended
// at restartAt.
func spans(sw switchtest.Backend, restartAt time.Time) []span {
	var out []span
	for _, c := range switchtest.Customers(sw.Channels()) {
		if c.Vars["dialer_role"] == "agent" {
			continue
		}
		end := c.Hangup
		if end.IsZero() {
			if c.Active {
				end = sw.Now()
			} else {
				end = restartAt
			}
		}
		out = append(out, span{member: c.Vars["dialer_member_id"], start: c.Created, end: end, number: c.Destination})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].start.Before(out[j].start) })
	return out
}

// checkNoOverlap fails when a member was in two calls at once, or was
// dialed again sooner than gap after its previous call ended.
func checkNoOverlap(t *testing.T, ss []span, gap time.Duration) {
	t.Helper()
	last := map[string]span{}
	for _, s := range ss {
		if p, ok := last[s.member]; ok {
			if s.start.Before(p.end) {
				t.Fatalf("member %s in two calls at once: %s-%s and from %s", s.member, p.start, p.end, s.start)
			}
			if s.start.Sub(p.end) < gap {
				t.Fatalf("member %s redialed %s after its previous call ended, retry interval %s", s.member, s.start.Sub(p.end), gap)
			}
		}
		last[s.member] = s
	}
}

func maxConcurrentSpans(ss []span) int {
	type edge struct {
		at time.Time
		d  int
	}
	var es []edge
	for _, s := range ss {
		es = append(es, edge{s.start, 1}, edge{s.end, -1})
	}
	sort.Slice(es, func(i, j int) bool {
		if es[i].at.Equal(es[j].at) {
			return es[i].d < es[j].d
		}
		return es[i].at.Before(es[j].at)
	})
	cur, best := 0, 0
	for _, e := range es {
		cur += e.d
		best = max(best, cur)
	}
	return best
}

func maxStartsInWindow(ss []span, w time.Duration) int {
	best, j := 0, 0
	for i := range ss {
		for ss[i].start.Sub(ss[j].start) >= w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

// labCampaign is an IVR campaign on the numbering plan. It has no
// min_success: the IVR example hangs up once it has the callee's digit,
// within a second of the answer, so on a real switch (whole-second
// billsec) an answered lab call bills 0 or 1 s.
const labCampaign = `
name: lab
mode: ivr
dial: {template: "loopback/{number}/dialer_lab"}
ivr: {extension: dialer_ivr_example, context: dialer_ivr}
limits: {lines: 5, calls: 10, interval: 1s, ring_timeout: 10s}
retry: {max_attempts: 2, interval: 30s, max_minus: 1}
`

const alwaysOpen = `calendar: {timezone: UTC, weekly: {mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"], thu: ["00:00-24:00"], fri: ["00:00-24:00"], sat: ["00:00-24:00"], sun: ["00:00-24:00"]}}
`

// labMembers are members whose numbers end in every pair of digits from
// first to last (the test numbering plan decides their outcome).
func labMembers(prefix string, first, last int) []string {
	var out []string
	for i := first; i <= last; i++ {
		out = append(out, fmt.Sprintf("%s%02d:+1212555%04d", prefix, i, 100+i))
	}
	return out
}

// labTails are the last two digits of one member per numbering-plan
// outcome (D 0-9) with short talk times: what a run on a real switch,
// in real time, can afford.
var labTails = []int{0, 2, 11, 24, 31, 40, 50, 55, 60, 66, 70, 80, 90, 99}

func TestServe_NumberingPlanEndToEnd(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 20, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		e := newE2E(t, sw)
		doc, members, gap := labCampaign+alwaysOpen, labMembers("m", 0, 99), 30*time.Second
		if sw.Real() {
			doc = strings.NewReplacer("interval: 30s", "interval: 5s", "ring_timeout: 10s", "ring_timeout: 5s").Replace(doc)
			members, gap = nil, 5*time.Second
			for _, tail := range labTails {
				members = append(members, labMembers("m", tail, tail)...)
			}
		}
		c := e.load(doc, members)
		done := e.serve(e.ctx, serveOptions{untilDone: true, statusTick: 50 * time.Millisecond}, sw.Now)
		waitDaemon(t, done, 90*time.Second)
		checkNumberingPlan(t, e, c.ID)
		ss := spans(sw, time.Time{})
		if len(ss) < len(members) {
			t.Errorf("the switch saw %d customer calls for %d members", len(ss), len(members))
		}
		if got := maxConcurrentSpans(ss); got > 5 {
			t.Errorf("%d calls up at once, campaign lines 5", got)
		}
		if got := maxStartsInWindow(ss, time.Second); got > 10 {
			t.Errorf("%d originates in one second, limit 10", got)
		}
		checkNoOverlap(t, ss, gap-time.Second)
		got, _ := e.db.Campaign(e.ctx, "lab")
		if got.State != dialer.StateFinished {
			t.Errorf("campaign %s, want finished", got.State)
		}
	})
}

// checkNumberingPlan checks that every member of a lab campaign ended as
// the numbering plan requires, from the store.
func checkNumberingPlan(t *testing.T, e *e2e, campaignID int64) {
	t.Helper()
	ms, err := e.db.Members(e.ctx, store.MemberFilter{CampaignID: campaignID})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		d, s := m.Name[1], m.Name[2]
		var wantState dialer.MemberState
		var wantEnd string
		switch {
		case d <= '4':
			wantState = dialer.MemberDone
		case d == '5', d == '6', d == '9':
			wantState, wantEnd = dialer.MemberFailed, "MAX_TRY_COUNT"
		case d == '7':
			wantState, wantEnd = dialer.MemberFailed, "UNALLOCATED_NUMBER"
		case d == '8':
			wantState, wantEnd = dialer.MemberFailed, "CALL_REJECTED"
		}
		as, _ := e.db.MemberAttempts(e.ctx, m.ID)
		if m.State != wantState || m.EndCause != wantEnd {
			t.Errorf("member %s = %s %q, want %s %q; attempts %+v", m.Name, m.State, m.EndCause, wantState, wantEnd, as)
		}
		for _, a := range as {
			if !a.Final {
				t.Errorf("member %s attempt %d not final", m.Name, a.ID)
			}
		}
		if d <= '4' && (len(as) != 1 || as[0].BusinessResult != string(s)) {
			t.Errorf("member %s: IVR result %+v, want digit %c", m.Name, as, s)
		}
		if d == '9' && (len(as) != 3 || m.Minus != 3) {
			t.Errorf("congested member %s: %d attempts, minus %d; want 3 (1 minus, then 2 counted)", m.Name, len(as), m.Minus)
		}
	}
}

// TestServe_NothingOutsideTheWindow runs a campaign whose calendar is open
// 09:00-09:03 from 08:59 to 09:04: every originate the switch saw falls in
// the window. On a real switch the daemon's clock runs 30 times faster
// than the switch's, as the simulator's does.
func TestServe_NothingOutsideTheWindow(t *testing.T) {
	start := time.Date(2026, 11, 23, 8, 59, 0, 0, time.UTC) // a Monday
	switchtest.Each(t, fssim.Options{Speed: 30, StartTime: start, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		now, toClock := sw.Now, func(t time.Time) time.Time { return t }
		var skew time.Duration // see TestServe_CronStartsAndStops
		if sw.Real() {
			c := newFastClock(start, 30)
			now, toClock, skew = c.now, c.at, 30*switchtest.ClockLag
		}
		e := newE2E(t, sw)
		e.load(strings.Replace(labCampaign, "interval: 30s", "interval: 20s", 1)+
			"calendar: {timezone: UTC, weekly: {mon: [\"09:00-09:03\"]}}\n", labMembers("b", 50, 59))
		ctx, cancel := context.WithCancel(e.ctx)
		done := e.serve(ctx, serveOptions{drain: 5 * time.Second, statusTick: 50 * time.Millisecond}, now)
		for now().Before(start.Add(5 * time.Minute)) {
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
		waitDaemon(t, done, 30*time.Second)
		ss := spans(e.sw, time.Time{})
		if len(ss) < 10 {
			t.Fatalf("only %d calls in the window", len(ss))
		}
		for _, s := range ss {
			if at := toClock(s.start); at.Before(start.Add(time.Minute-skew)) || !at.Before(start.Add(4*time.Minute)) {
				t.Fatalf("originate at %s, outside 09:00-09:03", at.Format("15:04:05.000"))
			}
		}
		open, _ := e.db.OpenAttempts(e.ctx)
		if len(open) != 0 {
			t.Fatalf("%d attempts left open after a clean stop", len(open))
		}
	})
}

// TestServe_MetricsAgreeWithReport scrapes /metrics during a run and
// compares its counters with the store's report; /healthz and /readyz
// answer while the switch is connected.
func TestServe_MetricsAgreeWithReport(t *testing.T) {
	e := newSimE2E(t, fssim.Options{Speed: 20, HeartbeatInterval: time.Second})
	c := e.load(labCampaign+alwaysOpen, labMembers("x", 0, 99))
	addr := make(chan string, 1)
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	done := e.serve(ctx, serveOptions{statusTick: 50 * time.Millisecond, httpAddr: func(a string) { addr <- a }}, e.sim.Now)
	base := "http://" + <-addr
	deadline := time.Now().Add(90 * time.Second)
	scrape := func() string {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	var live string // a scrape while the campaign runs
	var statusCPS float64
	for {
		if ds, err := e.db.DaemonStatus(e.ctx); err == nil {
			for _, c := range ds.Campaigns {
				if c.Name == "lab" {
					statusCPS = max(statusCPS, c.CallsPerSec)
				}
			}
		}
		if live == "" {
			if m := scrape(); strings.Contains(m, `dialer_calls_in_progress{campaign="lab"}`) {
				live = m
			}
		}
		got, err := e.db.Campaign(e.ctx, c.Name)
		if err != nil {
			t.Fatal(err)
		}
		if got.State == dialer.StateFinished {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("campaign did not finish")
		}
		time.Sleep(100 * time.Millisecond)
	}
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s = %d, want %d", path, resp.StatusCode, want)
		}
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	cancel()
	waitDaemon(t, done, 30*time.Second)

	rep, err := e.db.Report(e.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{}
	for _, bc := range rep.ByCause {
		want[bc.Class+"/"+bc.Cause] += float64(bc.Count)
	}
	got := map[string]float64{}
	var originates float64
	for _, line := range strings.Split(string(body), "\n") {
		var class, cause string
		var v float64
		if strings.HasPrefix(line, `dialer_attempts_total{campaign="lab"`) {
			fields := strings.Fields(line)
			fmt.Sscan(fields[len(fields)-1], &v)
			for _, kv := range strings.Split(strings.Trim(fields[0][strings.Index(fields[0], "{"):], "{}"), ",") {
				k, val, _ := strings.Cut(kv, "=")
				switch k {
				case "class":
					class = strings.Trim(val, `"`)
				case "cause":
					cause = strings.Trim(val, `"`)
				}
			}
			got[class+"/"+cause] += v
		}
		if strings.HasPrefix(line, `dialer_originates_total{campaign="lab"}`) {
			fmt.Sscan(strings.Fields(line)[1], &originates)
		}
	}
	if len(want) == 0 {
		t.Fatal("the report has no attempts")
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("dialer_attempts_total %s = %v, report says %v", k, got[k], w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("dialer_attempts_total has %s, the report does not", k)
		}
	}
	if int(originates) != rep.Attempts.Total {
		t.Errorf("dialer_originates_total = %v, the report counts %d attempts", originates, rep.Attempts.Total)
	}
	for _, name := range []string{"dialer_store_claim_seconds_count", "esl_connected 1", "esl_event_backlog"} {
		if !strings.Contains(string(body), name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	// The daemon's status (what `dialer status` shows) carried the
	// campaign's own originate rate while it ran.
	if statusCPS <= 0 {
		t.Error("the daemon status never showed calls per second for the campaign")
	}
	// Every metric the shipped Grafana dashboard queries is exported.
	dash, err := os.ReadFile("../../freeswitch-conf/grafana/dialer-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range regexp.MustCompile(`\b(?:dialer|esl)_[a-z_]+`).FindAllString(string(dash), -1) {
		if !strings.Contains(live+string(body), name) {
			t.Errorf("the dashboard queries %s, which /metrics does not export", name)
		}
	}
	if !strings.Contains(live, `dialer_lines_limit{campaign="lab"} 5`) {
		t.Errorf("no scrape during the run showed the campaign's lines:\n%s", live)
	}
}
