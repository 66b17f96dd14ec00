package engine

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/clocktest"
	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/fsdialer/dialer/store"
	_ "time/tzdata"
)

// outcome is how a fake call goes.
type outcome struct {
	ring   time.Duration // until answer or failure
	answer bool
	talk   time.Duration
	stay   bool // answered calls stay up until hung up
	cause  string
	vars   map[string]string
	// machine: an answering machine, whose beep avmd hears (amd_test.go).
	machine bool
}

// placed is one originate the fake switch received.
type placed struct {
	at       time.Time
	answered time.Time
	end      time.Time
	req      OriginateRequest
	campaign string
	member   string
	agent    string // the agent's name on agent legs
	bridged  string // the uuid it was bridged with
}

// fakeSwitch plays calls on the test clock and records every originate.
type fakeSwitch struct {
	t       testing.TB
	clk     *clocktest.Clock
	outcome func(number string) outcome
	updates chan Update
	up      bool
	exists  map[string]bool

	pending []Update // ordered by at
	dueAt   []time.Time
	placed  []*placed
	live    map[string]*placed // uuid -> call
	byUUID  map[string]*placed
	bridges [][2]string
	// ringbacks are the ringing tones played, in order.
	ringbacks []ringback
	// messages are the abandon messages played, in order.
	messages []played
	// onOriginate, when set, sees every originate as it arrives.
	onOriginate func(req OriginateRequest)
	// bridgeErr, when set, fails every uuid_bridge.
	bridgeErr error
	// amd records detection and transfers (amd_test.go).
	amd fakeAMD
	// nodes, when set, makes the switch several nodes (nodes_test.go).
	nodes *fakeNodes
}

func newFakeSwitch(t testing.TB, clk *clocktest.Clock, oc func(string) outcome) *fakeSwitch {
	return &fakeSwitch{t: t, clk: clk, outcome: oc, updates: make(chan Update, 100000), up: true,
		exists: map[string]bool{}, live: map[string]*placed{}, byUUID: map[string]*placed{}}
}

// agentOutcome plays the test numbering plan's agent endpoints
// (loopback/<destination>/...): agent-<id> answers after 1 s and stays,
// agent-busy- is busy after 1 s, agent-reject- rejects after 1 s and
// agent-noanswer- rings until its timeout.
func agentOutcome(endpoint string) outcome {
	dest := strings.TrimPrefix(endpoint, "loopback/")
	dest, _, _ = strings.Cut(dest, "/")
	switch {
	case strings.HasPrefix(dest, "agent-busy-"):
		return outcome{ring: time.Second, cause: "USER_BUSY"}
	case strings.HasPrefix(dest, "agent-noanswer-"):
		return outcome{ring: time.Hour, cause: "NO_ANSWER"}
	case strings.HasPrefix(dest, "agent-reject-"):
		return outcome{ring: time.Second, cause: "CALL_REJECTED"}
	}
	return outcome{ring: time.Second, answer: true, stay: true}
}

func (f *fakeSwitch) Originate(_ context.Context, req OriginateRequest) error {
	now := f.clk.Now()
	if f.onOriginate != nil {
		f.onOriginate(req)
	}
	if m := req.Vars["dialer_member_id"]; m != "" {
		for _, p := range f.live {
			if p.member == m {
				f.t.Errorf("member %s originated while already in call %s", m, p.req.UUID)
			}
		}
	}
	var oc outcome
	if req.Endpoint != "" {
		oc = agentOutcome(req.Endpoint)
		for _, p := range f.live {
			if p.agent != "" && p.agent == req.Vars["dialer_agent"] && (p.end.IsZero() || p.end.After(now)) {
				f.t.Errorf("agent %s offered a call while its leg %s is up", p.agent, p.req.UUID)
			}
		}
	} else {
		oc = f.outcome(req.Number)
	}
	p := &placed{at: now, req: req, campaign: req.Vars["dialer_campaign"], member: req.Vars["dialer_member_id"],
		agent: req.Vars["dialer_agent"]}
	end := now.Add(oc.ring)
	if !oc.answer && oc.ring > req.RingTimeout && oc.cause == "NO_ANSWER" {
		end = now.Add(req.RingTimeout)
	}
	if oc.answer {
		f.schedule(end, Update{Kind: CallChanged, UUID: req.UUID, Answered: true, AnsweredAt: end})
		p.answered = end
		answeredAt := end
		if oc.stay {
			end = time.Time{}
		} else {
			end = end.Add(oc.talk)
			f.schedule(end, Update{Kind: CallChanged, UUID: req.UUID, Final: true, Answered: true, AnsweredAt: answeredAt,
				Cause: "NORMAL_CLEARING", Q850: 16, Billsec: oc.talk, HangupAt: end, Vars: oc.vars})
		}
	} else {
		f.schedule(end, Update{Kind: CallChanged, UUID: req.UUID, Final: true, Cause: oc.cause, HangupAt: end})
	}
	p.end = end
	f.placed = append(f.placed, p)
	f.live[req.UUID] = p
	f.byUUID[req.UUID] = p
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

// hangup ends a live call at once: its pending updates are dropped and
// its final record is scheduled now.
func (f *fakeSwitch) hangup(uuid, cause string, at time.Time) {
	p := f.live[uuid]
	if p == nil {
		return
	}
	kept, keptAt := f.pending[:0:0], f.dueAt[:0:0]
	for i, u := range f.pending {
		if u.UUID != uuid {
			kept, keptAt = append(kept, u), append(keptAt, f.dueAt[i])
		}
	}
	f.pending, f.dueAt = kept, keptAt
	u := Update{Kind: CallChanged, UUID: uuid, Final: true, Cause: cause, HangupAt: at}
	if !p.answered.IsZero() && !p.answered.After(at) {
		u.Answered, u.AnsweredAt, u.Billsec = true, p.answered, at.Sub(p.answered)
	}
	p.end = at
	f.schedule(at, u)
}

// deliver sends the updates due by now. A bridged call's end hangs up its
// peer, as FreeSWITCH does.
func (f *fakeSwitch) deliver(now time.Time) {
	for len(f.pending) > 0 && !f.dueAt[0].After(now) {
		u := f.pending[0]
		f.pending, f.dueAt = f.pending[1:], f.dueAt[1:]
		if f.nodes.hold(u) {
			continue
		}
		if u.Final {
			if p := f.live[u.UUID]; p != nil {
				delete(f.live, u.UUID)
				if p.end.IsZero() || p.end.After(now) {
					p.end = now
				}
				if peer := f.live[p.bridged]; p.bridged != "" && peer != nil {
					if peer.req.Vars["park_after_bridge"] == "true" {
						peer.bridged = "" // back to park
					} else {
						f.hangup(p.bridged, "NORMAL_CLEARING", now)
					}
				}
			}
			f.exists[u.UUID] = false
		}
		f.updates <- u
	}
}

func (f *fakeSwitch) Watch(string, ...string) {}
func (f *fakeSwitch) Forget(string)           {}
func (f *fakeSwitch) Exists(_ context.Context, uuid string) (bool, error) {
	if err := f.nodes.downOf(uuid); err != nil {
		return false, err
	}
	return f.exists[uuid], nil
}

func (f *fakeSwitch) Kill(_ context.Context, uuid, cause string) error {
	if f.live[uuid] == nil {
		return fmt.Errorf("uuid_kill %s: no such channel", uuid)
	}
	f.hangup(uuid, cause, f.clk.Now())
	return nil
}

func (f *fakeSwitch) Bridge(_ context.Context, a, b string) error {
	if f.bridgeErr != nil {
		return f.bridgeErr
	}
	pa, pb := f.live[a], f.live[b]
	now := f.clk.Now()
	if pa == nil || pb == nil || pa.answered.IsZero() || pb.answered.IsZero() || pa.answered.After(now) || pb.answered.After(now) {
		return fmt.Errorf("uuid_bridge %s %s: invalid uuid", a, b)
	}
	pa.bridged, pb.bridged = b, a
	f.bridges = append(f.bridges, [2]string{a, b})
	return nil
}

func (f *fakeSwitch) Ringback(_ context.Context, uuid string) error {
	f.ringbacks = append(f.ringbacks, ringback{uuid: uuid, at: f.clk.Now()})
	return nil
}

// abandonPlay is how long the fake switch plays an abandon message
// before it hangs the call up.
const abandonPlay = 2 * time.Second

// Abandon plays the message (recorded as played) and hangs up once it
// ends.
func (f *fakeSwitch) Abandon(_ context.Context, uuid, media string) error {
	p := f.live[uuid]
	if p == nil {
		return fmt.Errorf("uuid_broadcast %s: invalid uuid", uuid)
	}
	now := f.clk.Now()
	f.messages = append(f.messages, played{uuid: uuid, media: media, at: now})
	kept, keptAt := f.pending[:0:0], f.dueAt[:0:0]
	for i, u := range f.pending {
		if u.UUID != uuid {
			kept, keptAt = append(kept, u), append(keptAt, f.dueAt[i])
		}
	}
	f.pending, f.dueAt = kept, keptAt
	end := now.Add(abandonPlay)
	u := Update{Kind: CallChanged, UUID: uuid, Final: true, Cause: "NORMAL_CLEARING", HangupAt: end}
	if !p.answered.IsZero() && !p.answered.After(now) {
		u.Answered, u.AnsweredAt, u.Billsec = true, p.answered, end.Sub(p.answered)
	}
	p.end = end
	f.schedule(end, u)
	return nil
}

// played is a message played to a channel.
type played struct {
	uuid, media string
	at          time.Time
}

// ringback is a ringing tone played to a channel.
type ringback struct {
	uuid string
	at   time.Time
}

func (f *fakeSwitch) Record(_ context.Context, uuid, path string, _ bool) (string, error) {
	return path, nil
}

func (f *fakeSwitch) Connected() bool        { return f.up }
func (f *fakeSwitch) Updates() <-chan Update { return f.updates }

// harness drives an engine step by step on the test clock, with a real
// SQLite store.
type harness struct {
	t   testing.TB
	ctx context.Context
	clk *clocktest.Clock
	db  *store.DB
	sw  *fakeSwitch
	e   *Engine
}

func newHarness(t testing.TB, start time.Time, cfg Config, oc func(string) outcome) *harness {
	t.Helper()
	clk := clocktest.New(start)
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
		h.clk.Advance(step)
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
		if campaign != "" && p.campaign != campaign || p.agent != "" {
			continue
		}
		end := p.end
		if end.IsZero() {
			end = f.clk.Now()
		}
		edges = append(edges, edge{p.at, 1}, edge{end, -1})
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
		if (campaign == "" || p.campaign == campaign) && p.agent == "" {
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
