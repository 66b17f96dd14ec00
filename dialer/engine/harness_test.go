package engine

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/fsdialer/dialer/store"
	_ "time/tzdata"
)

// clock is the test's clock: it moves only when the test says so.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// outcome is how a fake call goes.
type outcome struct {
	ring   time.Duration // until answer or failure
	answer bool
	talk   time.Duration
	cause  string
	vars   map[string]string
}

// placed is one originate the fake switch received.
type placed struct {
	at       time.Time
	end      time.Time
	req      OriginateRequest
	campaign string
	member   string
}

// fakeSwitch plays calls on the test clock and records every originate.
type fakeSwitch struct {
	t       *testing.T
	clk     *clock
	outcome func(number string) outcome
	updates chan Update
	up      bool
	exists  map[string]bool

	pending []Update // ordered by at
	dueAt   []time.Time
	placed  []placed
	live    map[string]*placed // uuid -> call
}

func newFakeSwitch(t *testing.T, clk *clock, oc func(string) outcome) *fakeSwitch {
	return &fakeSwitch{t: t, clk: clk, outcome: oc, updates: make(chan Update, 100000), up: true,
		exists: map[string]bool{}, live: map[string]*placed{}}
}

func (f *fakeSwitch) Originate(_ context.Context, req OriginateRequest) error {
	now := f.clk.Now()
	for _, p := range f.live {
		if p.req.Vars["dialer_member_id"] == req.Vars["dialer_member_id"] {
			f.t.Errorf("member %s originated while already in call %s", req.Vars["dialer_member_id"], p.req.UUID)
		}
	}
	oc := f.outcome(req.Number)
	p := placed{at: now, req: req, campaign: req.Vars["dialer_campaign"], member: req.Vars["dialer_member_id"]}
	end := now.Add(oc.ring)
	if !oc.answer && oc.ring > req.RingTimeout && oc.cause == "NO_ANSWER" {
		end = now.Add(req.RingTimeout)
	}
	if oc.answer {
		f.schedule(end, Update{Kind: CallChanged, UUID: req.UUID, Answered: true, AnsweredAt: end})
		answeredAt := end
		end = end.Add(oc.talk)
		f.schedule(end, Update{Kind: CallChanged, UUID: req.UUID, Final: true, Answered: true, AnsweredAt: answeredAt,
			Cause: "NORMAL_CLEARING", Q850: 16, Billsec: oc.talk, HangupAt: end, Vars: oc.vars})
	} else {
		f.schedule(end, Update{Kind: CallChanged, UUID: req.UUID, Final: true, Cause: oc.cause, HangupAt: end})
	}
	p.end = end
	f.placed = append(f.placed, p)
	f.live[req.UUID] = &f.placed[len(f.placed)-1]
	f.exists[req.UUID] = true
	return nil
}

func (f *fakeSwitch) schedule(at time.Time, u Update) {
	i := sort.Search(len(f.dueAt), func(i int) bool { return f.dueAt[i].After(at) })
	f.dueAt = append(f.dueAt, time.Time{})
	f.pending = append(f.pending, Update{})
	copy(f.dueAt[i+1:], f.dueAt[i:])
	copy(f.pending[i+1:], f.pending[i:])
	f.dueAt[i], f.pending[i] = at, u
}

// deliver sends the updates due by now.
func (f *fakeSwitch) deliver(now time.Time) {
	n := 0
	for n < len(f.pending) && !f.dueAt[n].After(now) {
		u := f.pending[n]
		if u.Final {
			delete(f.live, u.UUID)
			f.exists[u.UUID] = false
		}
		f.updates <- u
		n++
	}
	f.pending, f.dueAt = f.pending[n:], f.dueAt[n:]
}

func (f *fakeSwitch) Watch(string, ...string) {}
func (f *fakeSwitch) Forget(string)           {}
func (f *fakeSwitch) Exists(_ context.Context, uuid string) (bool, error) {
	return f.exists[uuid], nil
}
func (f *fakeSwitch) Kill(context.Context, string, string) error { return nil }
func (f *fakeSwitch) Connected() bool                            { return f.up }
func (f *fakeSwitch) Updates() <-chan Update                     { return f.updates }

// harness drives an engine step by step on the test clock, with a real
// SQLite store.
type harness struct {
	t   *testing.T
	ctx context.Context
	clk *clock
	db  *store.DB
	sw  *fakeSwitch
	e   *Engine
}

func newHarness(t *testing.T, start time.Time, cfg Config, oc func(string) outcome) *harness {
	t.Helper()
	clk := &clock{now: start}
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "e.db"), store.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sw := newFakeSwitch(t, clk, oc)
	cfg.Now = clk.Now
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	n := 0
	cfg.NewUUID = func() string { n++; return fmt.Sprintf("uuid-%d", n) }
	return &harness{t: t, ctx: context.Background(), clk: clk, db: db, sw: sw, e: New(cfg, db, sw)}
}

// campaign applies a campaign (YAML) with an always-open UTC calendar
// unless the YAML names one, sets it running, and imports members given
// as "name:number[,number...]".
func (h *harness) campaign(doc string, members ...string) *dialer.Campaign {
	h.t.Helper()
	if !strings.Contains(doc, "calendar:") {
		doc += "\ncalendar: {timezone: UTC, weekly: {mon: [\"00:00-24:00\"], tue: [\"00:00-24:00\"], wed: [\"00:00-24:00\"], thu: [\"00:00-24:00\"], fri: [\"00:00-24:00\"], sat: [\"00:00-24:00\"], sun: [\"00:00-24:00\"]}}\n"
	}
	c, err := dialer.ReadCampaign(strings.NewReader(doc), "test")
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.db.ApplyCampaign(h.ctx, c); err != nil {
		h.t.Fatal(err)
	}
	got, err := h.db.Campaign(h.ctx, c.Name)
	if err != nil {
		h.t.Fatal(err)
	}
	imp, err := h.db.BeginImport(h.ctx, got.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	var batch []memberfile.Member
	for i, spec := range members {
		name, nums, _ := strings.Cut(spec, ":")
		m := memberfile.Member{Line: i + 2, Name: name, Priority: 3}
		if strings.HasPrefix(name, "expired") {
			m.ExpiresAt = h.clk.Now().Add(-time.Minute)
		}
		for j, n := range strings.Split(nums, ",") {
			m.Numbers = append(m.Numbers, memberfile.Number{Number: n, Type: fmt.Sprintf("t%d", j+1), Position: j + 1})
		}
		batch = append(batch, m)
	}
	if _, err := imp.Add(h.ctx, batch); err != nil {
		h.t.Fatal(err)
	}
	if _, _, err := imp.Commit(h.ctx); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.db.SetCampaignState(h.ctx, c.Name, dialer.StateRunning); err != nil {
		h.t.Fatal(err)
	}
	return got
}

// run advances the clock by step until d has passed, delivering calls'
// updates and running the engine's loop body at each step.
func (h *harness) run(d, step time.Duration) {
	h.t.Helper()
	end := h.clk.Now().Add(d)
	if h.e.reloaded.IsZero() {
		if err := h.e.reload(h.ctx, true); err != nil {
			h.t.Fatal(err)
		}
		h.e.mustReconcile = true
	}
	for h.clk.Now().Before(end) {
		h.clk.advance(step)
		h.sw.deliver(h.clk.Now())
		h.drainUpdates()
		h.e.tick(h.ctx)
	}
}

func (h *harness) drainUpdates() {
	for {
		select {
		case u := <-h.sw.updates:
			h.e.handle(u)
		default:
			h.e.flush(h.ctx)
			return
		}
	}
}

// members returns the campaign's members by name.
func (h *harness) members(campaignID int64) map[string]dialer.Member {
	h.t.Helper()
	ms, err := h.db.Members(h.ctx, store.MemberFilter{CampaignID: campaignID})
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]dialer.Member{}
	for _, m := range ms {
		out[m.Name] = m
	}
	return out
}

// attemptsOf lists a member's attempts.
func (h *harness) attemptsOf(m dialer.Member) []dialer.Attempt {
	h.t.Helper()
	as, err := h.db.MemberAttempts(h.ctx, m.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return as
}

// maxConcurrent is the most calls of a campaign ("" = all) up at once.
func (f *fakeSwitch) maxConcurrent(campaign string) int {
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, p := range f.placed {
		if campaign != "" && p.campaign != campaign {
			continue
		}
		edges = append(edges, edge{p.at, 1}, edge{p.end, -1})
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].at.Equal(edges[j].at) {
			return edges[i].delta < edges[j].delta
		}
		return edges[i].at.Before(edges[j].at)
	})
	cur, best := 0, 0
	for _, e := range edges {
		cur += e.delta
		best = max(best, cur)
	}
	return best
}

// maxInWindow is the most originates of a campaign ("" = all) in any
// half-open window of length w.
func (f *fakeSwitch) maxInWindow(campaign string, w time.Duration) int {
	var ts []time.Time
	for _, p := range f.placed {
		if campaign == "" || p.campaign == campaign {
			ts = append(ts, p.at)
		}
	}
	best, j := 0, 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

// numbering gives each number an outcome by its last two digits, like the
// test numbering plan: 0x-4x answer for 10 s, 5x busy, 6x no answer, 7x
// unallocated, 8x rejected, 9x congestion.
func numbering(number string) outcome {
	d := number[len(number)-2]
	switch {
	case d <= '4':
		return outcome{ring: time.Second, answer: true, talk: 10 * time.Second}
	case d == '5':
		return outcome{ring: time.Second, cause: "USER_BUSY"}
	case d == '6':
		return outcome{ring: time.Hour, cause: "NO_ANSWER"}
	case d == '7':
		return outcome{cause: "UNALLOCATED_NUMBER"}
	case d == '8':
		return outcome{ring: time.Second, cause: "CALL_REJECTED"}
	}
	return outcome{cause: "NORMAL_CIRCUIT_CONGESTION"}
}
