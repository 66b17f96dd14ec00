// Package engine works running campaigns: it picks due members in
// priority order, checks every safety rule immediately before each call,
// paces originates per campaign and globally, follows each call to its
// end, applies the retry decision, and reconciles open attempts with
// FreeSWITCH after a start or a reconnect.
//
// One goroutine (Run) owns all of the engine's state; the store and the
// switch are reached through the small interfaces in deps.go.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/retry"
	"github.com/google/uuid"
)

// ErrNotSent marks an originate error after which the call was certainly
// not sent (refused by the builder, or no connection before writing).
var ErrNotSent = errors.New("originate not sent")

// Config tunes the engine. Zero values take the defaults shown.
type Config struct {
	// MaxCalls is the most simultaneous calls over all campaigns (200).
	MaxCalls int
	// MaxCPS is the most originates per second over all campaigns (20).
	MaxCPS float64
	// Tick is how often the dispatcher runs (20 ms).
	Tick time.Duration
	// Reload is how often campaign changes are looked for (250 ms).
	Reload time.Duration
	// LostGrace is how long past its ring timeout an attempt whose channel
	// cannot be found is still awaited before it is finalised as lost (10 s).
	LostGrace time.Duration
	// NodeGrace is how long the calls of a switch node the dialer lost its
	// connection to are awaited (their node may come back and tell how they
	// ended) before their attempts are finalised as lost (60 s).
	NodeGrace time.Duration
	// Drain bounds how long Run waits for calls in progress on shutdown (10 s).
	Drain time.Duration
	// Senders is how many goroutines send originates, so that the
	// dispatcher never waits for FreeSWITCH's replies (4).
	Senders int
	// Now is the clock (time.Now).
	Now func() time.Time
	// NewUUID makes origination UUIDs (uuid.NewString).
	NewUUID func() string
	// Logger (slog.Default()).
	Logger *slog.Logger
	// Observer is told about originates, attempt ends and claims (none).
	Observer Observer
	// ManualDial is the dial template of manual calls (click-to-call
	// outside a campaign), e.g. sofia/gateway/gw/{number}; empty refuses
	// them. ManualCallerID is their caller ID number and ManualRingTimeout
	// how long the number rings (30 s).
	ManualDial        string
	ManualCallerID    string
	ManualRingTimeout time.Duration
	// StrictPriority holds a campaign back while a running campaign of
	// higher priority has a member due now (see outranked); false shares
	// the lines, higher priorities served first.
	StrictPriority bool
}

func (c Config) withDefaults() Config {
	if c.MaxCalls <= 0 {
		c.MaxCalls = 200
	}
	if c.MaxCPS <= 0 {
		c.MaxCPS = 20
	}
	if c.Tick <= 0 {
		c.Tick = 20 * time.Millisecond
	}
	if c.Reload <= 0 {
		c.Reload = 250 * time.Millisecond
	}
	if c.LostGrace <= 0 {
		c.LostGrace = 10 * time.Second
	}
	if c.NodeGrace <= 0 {
		c.NodeGrace = 60 * time.Second
	}
	if c.Drain <= 0 {
		c.Drain = 10 * time.Second
	}
	if c.Senders <= 0 {
		c.Senders = 4
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.NewUUID == nil {
		c.NewUUID = uuid.NewString
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Observer == nil {
		c.Observer = noObserver{}
	}
	return c
}

// call is an attempt in progress.
type call struct {
	attemptID  int64
	uuid       string
	campaignID int64
	memberID   int64
	commID     int64
	number     string
	node       string // the switch node it is placed on
	started    time.Time
	answered   bool
	answeredAt time.Time
	// uncertain: the originate's fate is unknown (an error after it may
	// have been written, or found open by reconcile); reconcile decides.
	uncertain bool

	// Agent modes (mode is empty for IVR calls).
	mode  dialer.Mode
	agent *agent // the agent reserved for or serving the call
	// req is a preemptive customer's originate, sent once its agent answers.
	req *OriginateRequest
	// dialed: the customer was originated (preemptive: after the agent answered).
	dialed     bool
	answerSeen bool
	// ended: the customer's end was seen; its record is being written.
	ended bool
	// holdUntil is how long an answered progressive customer may wait for
	// another agent.
	holdUntil time.Time
	// rang are the agents whose phones rang for the call.
	rang    map[int64]bool
	bridged bool
	agentID int64
	// Times of the agent leg, for the attempt's record.
	agentRingingAt, agentAnsweredAt, bridgedAt, bridgeEndedAt time.Time
	// endCause replaces the switch's cause (ABANDONED); uncharged ends the
	// attempt as AGENT_UNAVAILABLE without charging the member.
	endCause  string
	uncharged bool
	// paced: a predictive customer dialed and not answered yet, counted
	// in its campaign's ringing; pacedAnswer is its answer, counted in the
	// pacer's statistics at its end when a machine may have answered.
	paced       bool
	pacedAnswer time.Time
	// det is the call's answering-machine detection (amd.go).
	det *detection
}

// campaignState is a campaign the engine works, with its pacing state.
type campaignState struct {
	run       dialer.CampaignRun
	policy    retry.Policy
	active    bool // running now (not paused, stopped or gone)
	inflight  int
	rate      bucket
	idleUntil time.Time
	due       bool // a member was or may be callable at the last dispatch
	cidNext   int
	checked   time.Time // last finish check
	swept     time.Time // last expiry sweep
	deleted   bool      // deleted from the store while it had calls
	// ringing counts the predictive customers dialed and not answered,
	// and pacer keeps the statistics they are dialed by.
	ringing int
	pacer   pacer
}

// Engine works the running campaigns. Create it with New and call Run.
type Engine struct {
	cfg   Config
	store Store
	sw    Switch
	log   *slog.Logger

	campaigns map[int64]*campaignState
	order     []*campaignState
	version   string
	reloaded  time.Time
	calls     map[string]*call
	inflight  int
	global    bucket
	finals    []Update
	answers   []*call
	// mustReconcile holds dispatching until open attempts were reconciled
	// after a start or reconnect; recheck is when awaited attempts (whose
	// channel may not exist yet) are looked at again.
	mustReconcile bool
	recheck       time.Time
	rotate        int
	adopted       time.Time         // last look for a dead daemon's attempts
	count         uint64            // originates handed to the switch
	countBy       map[string]uint64 // the same by campaign name

	// Agents: by id and in id order; legs maps agent leg uuids to their
	// agent; agentq holds updates whose agent work waits for the flush;
	// waiters are answered progressive customers waiting for an agent;
	// onLine are preemptive agents kept on the line for the next member;
	// kick asks for a dispatch as soon as an agent became available.
	agents    map[int64]*agent
	agentList []*agent
	legs      map[string]*agent
	agentq    []Update
	killq     []string
	// lateLegs are agent legs a reconcile hung up while they did not exist
	// yet (an originate in flight across a drop), with when to forget
	// them: one that comes up after all is hung up at its first event.
	lateLegs map[string]time.Time
	waiters  map[string]*call
	onLine   []*agent
	kick     bool
	stopping bool
	// manual maps both legs of each manual call to it; manualq holds
	// their updates until the flush.
	manual  map[string]*manualCall
	manualq []Update
	// amd are the answering-machine detections in progress (amd.go).
	amd amdWork
	// lostOnNode are the calls finalised as lost while their node was
	// disconnected, by node: hung up when the node comes back, in case
	// one is still up there.
	lostOnNode map[string][]string

	// sendq feeds the sender goroutines; results brings back their
	// errors. Both are nil when the engine is driven without Run (tests),
	// and originates are then sent in line.
	sendq   chan OriginateRequest
	results chan sendResult

	mu   sync.Mutex
	snap Snapshot
}

// sendResult is the outcome of one originate sent by a sender goroutine.
type sendResult struct {
	uuid string
	err  error
}

// New returns an engine; it starts nothing until Run.
func New(cfg Config, store Store, sw Switch) *Engine {
	cfg = cfg.withDefaults()
	return &Engine{
		cfg: cfg, store: store, sw: sw, log: cfg.Logger.With("component", "engine"),
		campaigns: map[int64]*campaignState{}, calls: map[string]*call{}, countBy: map[string]uint64{},
		global: newBucket(cfg.MaxCPS, 0),
		agents: map[int64]*agent{}, legs: map[string]*agent{}, lateLegs: map[string]time.Time{}, waiters: map[string]*call{},
		manual: map[string]*manualCall{}, lostOnNode: map[string][]string{},
	}
}

// Run works campaigns until ctx ends, then stops originating, waits up to
// Config.Drain for calls in progress to end, records what ended, and
// returns. Attempts still open are reconciled at the next start.
func (e *Engine) Run(ctx context.Context) error {
	// Work with a context that outlives ctx so the drain can still write.
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	if err := e.reload(work, true); err != nil {
		return fmt.Errorf("engine start: %w", err)
	}
	if n, err := e.store.LoseManualCalls(work, e.cfg.Now()); err != nil {
		return fmt.Errorf("engine start: %w", err)
	} else if n > 0 {
		e.log.Warn("manual calls left open by the last run ended as lost", "count", n)
	}
	e.mustReconcile = true
	e.sendq = make(chan OriginateRequest, 1024)
	e.results = make(chan sendResult, 1024)
	var senders sync.WaitGroup
	for range e.cfg.Senders {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for req := range e.sendq {
				if err := e.sw.Originate(work, req); err != nil {
					e.results <- sendResult{uuid: req.UUID, err: err}
				}
			}
		}()
	}
	defer func() {
		close(e.sendq)
		senders.Wait()
	}()
	ticker := time.NewTicker(e.cfg.Tick)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return e.drain(work)
		case r := <-e.results:
			e.sent(r)
		case u := <-e.sw.Updates():
			e.handle(u)
			e.drainUpdates()
			e.afterUpdates(work)
		case <-ticker.C:
			e.tick(work)
		}
	}
}

// drainUpdates takes every update already waiting, so that a burst of
// hangups is written in one transaction.
func (e *Engine) drainUpdates() {
	for range 4096 {
		select {
		case u := <-e.sw.Updates():
			e.handle(u)
		default:
			return
		}
	}
}

func (e *Engine) drain(ctx context.Context) error {
	e.log.Info("stopping: no new calls", "in_progress", e.inflight)
	e.stopping = true
	e.endSessions(ctx)
	deadline := time.NewTimer(e.cfg.Drain)
	defer deadline.Stop()
	for e.inflight > 0 || len(e.legs) > 0 {
		select {
		case r := <-e.results:
			e.sent(r)
		case u := <-e.sw.Updates():
			e.handle(u)
			e.drainUpdates()
			e.flush(ctx)
		case <-deadline.C:
			e.log.Warn("stopped with calls in progress: they are reconciled at the next start", "in_progress", e.inflight)
			e.publish()
			return nil
		}
	}
	e.publish()
	return nil
}

// tick reloads campaigns when they changed, reconciles when due, and
// dispatches new calls within every limit.
func (e *Engine) tick(ctx context.Context) {
	now := e.cfg.Now()
	if now.Sub(e.reloaded) >= e.cfg.Reload {
		if err := e.reload(ctx, false); err != nil {
			e.log.Error("reload campaigns", "err", err)
		}
		if !e.mustReconcile {
			e.applyRequests(ctx, now)
			e.endWrapUps(ctx, now)
			e.settleAgents(ctx, now)
			if e.sw.Connected() && !e.stopping {
				e.takeCallRequests(ctx, now)
				e.takeHangups(ctx, now)
			}
		}
		e.housekeep(ctx, now)
		e.adoptOrphans(ctx, now)
	}
	due := e.mustReconcile || (!e.recheck.IsZero() && !now.Before(e.recheck))
	if due && e.sw.Connected() {
		e.recheck = time.Time{}
		if err := errors.Join(e.reconcileOpen(ctx, now), e.reconcileManual(ctx)); err != nil {
			e.log.Error("reconcile", "err", err)
			e.scheduleRecheck(now.Add(time.Second))
		} else {
			e.mustReconcile = false
		}
	}
	e.flush(ctx)
	e.agentTimers(ctx, now)
	e.amdTimers(ctx, now)
	if e.sw.Connected() && !e.mustReconcile {
		e.kick = false
		e.offerWaiters(ctx, now)
		e.dispatch(ctx, now)
		if !e.stopping {
			e.sessions(ctx, now)
		}
	}
	e.publish()
}

// dispatch originates new calls: campaigns by priority (equal priorities
// take turns), each within its lines and rate, all within the global
// lines and originates per second.
func (e *Engine) dispatch(ctx context.Context, now time.Time) {
	e.global.fill(now)
	order := e.dispatchOrder()
	began := time.Now()
	for _, cs := range order {
		// Hangups wait while the dispatcher works: bound its share of a tick.
		if time.Since(began) > dispatchBudget {
			return
		}
		if !cs.active || now.Before(cs.idleUntil) {
			continue
		}
		if e.cfg.StrictPriority && e.outranked(cs) {
			continue
		}
		free := min(cs.run.Campaign.Limits.Lines-cs.inflight, e.cfg.MaxCalls-e.inflight)
		if free <= 0 {
			continue
		}
		cs.rate.fill(now)
		n := min(free, e.global.available(), cs.rate.available(), maxPerDispatch)
		var picks []*agent
		if cs.run.Campaign.Mode == dialer.ModePredictive {
			// Customers dialed ahead of the agents, at the pacer's rate.
			if n = min(n, e.predictiveDials(ctx, cs, now)); n <= 0 {
				continue
			}
		} else if agentMode(cs.run.Campaign.Mode) && n > 0 {
			// Agent modes: one call per agent free now.
			picks = e.freeAgents(cs, now)
			if len(picks) == 0 {
				continue
			}
			n = min(n, len(picks))
		}
		if n <= 0 {
			if e.global.available() <= 0 || e.cfg.MaxCalls-e.inflight <= 0 {
				return
			}
			continue
		}
		sent := e.dispatchCampaign(ctx, cs, n, now, picks)
		cs.rate.take(sent)
		e.global.take(sent)
	}
}

// dispatchOrder is the campaigns by priority; among equal priorities the
// first place rotates tick by tick so none starves the others.
func (e *Engine) dispatchOrder() []*campaignState {
	e.rotate++
	out := make([]*campaignState, 0, len(e.order))
	for i := 0; i < len(e.order); {
		j := i
		for j < len(e.order) && e.order[j].run.Campaign.Priority == e.order[i].run.Campaign.Priority {
			j++
		}
		group := e.order[i:j]
		k := e.rotate % len(group)
		out = append(out, group[k:]...)
		out = append(out, group[:k]...)
		i = j
	}
	return out
}

// dispatchBudget bounds the wall time one tick spends originating, and
// maxPerDispatch the calls one campaign starts in one go, so that hangups
// are recorded promptly even at full speed.
const (
	dispatchBudget = 10 * time.Millisecond
	maxPerDispatch = 200
)

// Snapshot is the engine's live figures, for status views and metrics.
type Snapshot struct {
	At       time.Time
	InFlight int
	// Agents counts the agents by state.
	Agents map[dialer.AgentState]int
	// Originates counts the calls sent since the engine started.
	Originates uint64
	Campaigns  []CampaignSnapshot
}

// CampaignSnapshot is one campaign's live figures.
type CampaignSnapshot struct {
	ID       int64
	Name     string
	Active   bool
	InFlight int
	MaxLines int
	// Originates counts the campaign's calls sent since the engine started.
	Originates uint64
}

// Snapshot returns the figures of the last tick; safe from any goroutine.
func (e *Engine) Snapshot() Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.snap
	s.Campaigns = append([]CampaignSnapshot(nil), e.snap.Campaigns...)
	return s
}

func (e *Engine) publish() {
	s := Snapshot{At: e.cfg.Now(), InFlight: e.inflight, Originates: e.count, Agents: map[dialer.AgentState]int{}}
	for _, ag := range e.agentList {
		s.Agents[ag.State]++
	}
	for _, cs := range e.order {
		s.Campaigns = append(s.Campaigns, CampaignSnapshot{ID: cs.run.Campaign.ID, Name: cs.run.Campaign.Name,
			Active: cs.active, InFlight: cs.inflight, MaxLines: cs.run.Campaign.Limits.Lines,
			Originates: e.countBy[cs.run.Campaign.Name]})
	}
	e.mu.Lock()
	e.snap = s
	e.mu.Unlock()
}

// reload refreshes the campaigns when the store says they changed.
// Campaigns that stopped keep their state while they have calls.
func (e *Engine) reload(ctx context.Context, force bool) error {
	e.reloaded = e.cfg.Now()
	v, err := e.store.CampaignsVersion(ctx)
	if err != nil {
		return err
	}
	if !force && v == e.version {
		if e.agentCampaigns() {
			return e.loadAgents(ctx)
		}
		return nil
	}
	runs, err := e.store.RunnableCampaigns(ctx)
	if err != nil {
		return err
	}
	e.version = v
	seen := map[int64]bool{}
	for _, r := range runs {
		seen[r.Campaign.ID] = true
		cs := e.campaigns[r.Campaign.ID]
		if cs == nil {
			cs = &campaignState{}
			e.campaigns[r.Campaign.ID] = cs
			e.log.Info("campaign loaded", "campaign", r.Campaign.Name, "campaign_id", r.Campaign.ID, "state", r.Campaign.State)
		} else if cs.run.Campaign.State != r.Campaign.State {
			e.log.Info("campaign state", "campaign", r.Campaign.Name, "state", r.Campaign.State)
		}
		cs.run = r
		cs.active = r.Campaign.State == dialer.StateRunning
		cs.policy = r.Campaign.RetryPolicy(r.Calendar.Location)
		cs.rate.configure(rateOf(r.Campaign.Limits), r.Campaign.Limits.Calls)
		cs.idleUntil = time.Time{}
	}
	for id, cs := range e.campaigns {
		if seen[id] {
			continue
		}
		exists, err := e.store.CampaignExists(ctx, id)
		if err != nil {
			return err
		}
		if cs.inflight > 0 {
			cs.active = false
			if !exists && !cs.deleted {
				cs.deleted = true
				e.log.Warn("campaign deleted with calls in progress: their ends cannot be recorded",
					"campaign", cs.run.Campaign.Name, "campaign_id", id, "calls", cs.inflight)
			}
			continue
		}
		delete(e.campaigns, id)
		if exists {
			e.log.Info("campaign unloaded", "campaign", cs.run.Campaign.Name, "campaign_id", id)
		} else {
			e.log.Info("campaign deleted", "campaign", cs.run.Campaign.Name, "campaign_id", id)
		}
	}
	e.order = e.order[:0]
	for _, cs := range e.campaigns {
		e.order = append(e.order, cs)
	}
	sort.Slice(e.order, func(i, j int) bool {
		a, b := e.order[i].run.Campaign, e.order[j].run.Campaign
		if a.Priority != b.Priority {
			return a.Priority < b.Priority
		}
		return a.ID < b.ID
	})
	return e.loadAgents(ctx)
}

// agentCampaigns reports whether a loaded campaign works with agents.
func (e *Engine) agentCampaigns() bool {
	for _, cs := range e.order {
		if agentMode(cs.run.Campaign.Mode) {
			return true
		}
	}
	return false
}

// rateOf is a campaign's calls per second; 0 means no campaign rate.
func rateOf(l dialer.Limits) float64 {
	if l.Calls <= 0 || l.Interval <= 0 {
		return 0
	}
	return float64(l.Calls) / l.Interval.D().Seconds()
}

// housekeep finishes campaigns with nothing left to call and ends
// expired members, at most once a second per campaign.
func (e *Engine) housekeep(ctx context.Context, now time.Time) {
	for _, cs := range e.order {
		if !cs.active || now.Sub(cs.checked) < time.Second {
			continue
		}
		cs.checked = now
		c := cs.run.Campaign
		if now.Sub(cs.swept) >= 30*time.Second {
			cs.swept = now
			if n, err := e.store.ExpireMembers(ctx, c.ID, now); err != nil {
				e.log.Error("expire members", "campaign", c.Name, "err", err)
			} else if n > 0 {
				e.log.Info("members expired", "campaign", c.Name, "count", n)
			}
		}
		if cs.inflight > 0 {
			continue
		}
		validityOver := !cs.run.Calendar.ValidUntil.IsZero() && !now.Before(cs.run.Calendar.ValidUntil)
		waiting, calling, err := e.store.CampaignProgress(ctx, c.ID)
		if err != nil {
			e.log.Error("campaign progress", "campaign", c.Name, "err", err)
			continue
		}
		if calling == 0 && (waiting == 0 || validityOver) {
			reason := "no member left to call"
			if waiting > 0 {
				reason = "calendar validity ended"
			}
			finished, err := e.store.FinishCampaign(ctx, c.ID)
			if err != nil {
				e.log.Error("finish campaign", "campaign", c.Name, "err", err)
				continue
			}
			if !finished {
				continue // members were added since the count, or it was stopped
			}
			cs.active = false
			e.log.Info("campaign finished", "campaign", c.Name, "reason", reason, "waiting", waiting)
		}
	}
}
