package engine

import (
	"context"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/cause"
)

// The predictive pacer dials customers ahead of the agents. From the
// campaign's own recent calls (its predictive.window) it knows how likely
// a call is to be answered, the more so the less it has rung, and how long
// its calls talk; from the agents, how many are free, end their wrap-up
// soon or may end their call soon. It places as many calls as it can while
// the expected number of answered customers left without an agent stays
// under half the abandon target's share of the expected answers, and
// never more than max_ratio calls per agent it expects. Until it has seen
// enough calls it dials like progressive: one customer per free agent; so
// it does while the ledger is at the target.

// Pacer constants.
const (
	// minSamples is how many finished calls the pacer needs in its window
	// before it dials ahead of the agents.
	minSamples = 20
	// abandonAim is the share of the abandon target the pacer aims at, so
	// that chance leaves the rate under the target in every window.
	abandonAim = 0.5
	// ledgerEvery is how often the abandon ledger is read.
	ledgerEvery = time.Second
	// maxOutstanding bounds the calls one campaign has ringing for the
	// pacer's arithmetic.
	maxOutstanding = 400
)

// dialSample is one finished customer call of a predictive campaign.
type dialSample struct {
	end      time.Time     // when it was answered or ended unanswered
	answered bool          // answered
	ring     time.Duration // from the originate to the answer or the end
}

// pacer is a predictive campaign's statistics and its view of the ledger.
type pacer struct {
	samples []dialSample // by end
	talks   []talkSample // by end
	left    []time.Time  // when answered customers no agent took ended
	sorted  *ringIndex   // the samples' ring times; nil once they change
	// Ledger figures over the campaign's abandon window, read every
	// ledgerEvery, and whether the rate is at the target.
	ledgerAt time.Time
	answered int
	abandons int
	atTarget bool
}

// talkSample is how long one bridged call lasted.
type talkSample struct {
	end time.Time
	d   time.Duration
}

// pacerStats are the figures the pacer reads off its window.
type pacerStats struct {
	n        int     // finished calls
	p        float64 // answer rate
	talkMean time.Duration
	// abandonRate is the share of the window's answers no agent took.
	abandonRate float64
}

func (p *pacer) addDial(s dialSample) {
	p.samples = append(p.samples, s)
	p.sorted = nil
}
func (p *pacer) addTalk(s talkSample) { p.talks = append(p.talks, s) }

// trim drops what is older than the window.
func (p *pacer) trim(now time.Time, window time.Duration) {
	from := now.Add(-window)
	i := sort.Search(len(p.samples), func(i int) bool { return p.samples[i].end.After(from) })
	if i > 0 {
		p.samples = append(p.samples[:0], p.samples[i:]...)
		p.sorted = nil
	}
	j := sort.Search(len(p.talks), func(i int) bool { return p.talks[i].end.After(from) })
	p.talks = append(p.talks[:0], p.talks[j:]...)
	k := sort.Search(len(p.left), func(i int) bool { return p.left[i].After(from) })
	p.left = append(p.left[:0], p.left[k:]...)
}

func (p *pacer) stats() pacerStats {
	var st pacerStats
	answered := 0
	for _, s := range p.samples {
		st.n++
		if s.answered {
			answered++
		}
	}
	if st.n > 0 {
		st.p = float64(answered) / float64(st.n)
	}
	if answered > 0 {
		st.abandonRate = float64(len(p.left)) / float64(answered)
	}
	var talk time.Duration
	for _, t := range p.talks {
		talk += t.d
	}
	if len(p.talks) > 0 {
		st.talkMean = talk / time.Duration(len(p.talks))
	}
	return st
}

// stillAnswers is the chance that a call ringing for t is answered yet:
// of the calls seen ringing that long, the share answered later. It reads
// the samples' ring times sorted (kept until the samples change), so that
// a dispatch with many calls ringing costs a binary search per call.
func (p *pacer) stillAnswers(t time.Duration) float64 {
	if p.sorted == nil {
		p.sorted = &ringIndex{}
		for _, s := range p.samples {
			p.sorted.all = append(p.sorted.all, s.ring)
			if s.answered {
				p.sorted.answered = append(p.sorted.answered, s.ring)
			}
		}
		slices.Sort(p.sorted.all)
		slices.Sort(p.sorted.answered)
	}
	atLeast := func(rings []time.Duration) int {
		i, _ := slices.BinarySearch(rings, t)
		return len(rings) - i
	}
	alive := atLeast(p.sorted.all)
	if alive == 0 {
		return 0
	}
	return float64(atLeast(p.sorted.answered)) / float64(alive)
}

// ringIndex is the samples' ring times, sorted: all of them and the
// answered ones.
type ringIndex struct {
	all, answered []time.Duration
}

// answers is the distribution of the number of answers of independent
// calls: dist[k] is the chance that k of them answer.
type answers struct {
	dist []float64
	mean float64
}

func newAnswers() *answers { return &answers{dist: []float64{1}} }

// add counts one more call that answers with chance q.
func (a *answers) add(q float64) {
	a.dist = append(a.dist, 0)
	for k := len(a.dist) - 1; k >= 0; k-- {
		v := a.dist[k] * (1 - q)
		if k > 0 {
			v += a.dist[k-1] * q
		}
		a.dist[k] = v
	}
	a.mean += q
}

// overflow is E[max(0, X - C)]: the customers expected to answer with no
// agent to take them, C being the agents there for them (a distribution:
// cap[c] is the chance that c agents are).
func (a *answers) overflow(cap []float64) float64 {
	// tail[c] = E[max(0, X - c)], from the top down: each step down adds
	// the chance that X is above c.
	n := len(a.dist)
	over, above, tail := 0.0, 0.0, 0.0
	for c := n - 1; c >= 0; c-- {
		// tail(c) = tail(c+1) + P(X > c)
		tail += above
		above += a.dist[c]
		if c < len(cap) {
			over += cap[c] * tail
		}
	}
	return over
}

// predictiveDials is how many more customers a predictive campaign may
// dial now, before the line and rate limits.
func (e *Engine) predictiveDials(ctx context.Context, cs *campaignState, now time.Time) int {
	c := cs.run.Campaign
	free := len(e.freeAgents(cs, now)) - e.waitingFor(cs)
	if free < 0 {
		free = 0
	}
	e.readLedger(ctx, cs, now)
	pc := &cs.pacer
	if pc.atTarget {
		// At the abandon target: no more customers than free agents.
		return free - cs.ringing
	}
	if r := c.Predictive.Ratio; r > 0 {
		return int(math.Floor(r*float64(free))) - cs.ringing
	}
	pc.trim(now, c.Predictive.Window.D())
	st := pc.stats()
	if st.n < minSamples || st.p <= 0 {
		return free - cs.ringing
	}
	cap, expect := e.capacity(cs, now, st, free)
	if expect <= 0 {
		return -cs.ringing
	}
	limit := int(math.Floor(c.Predictive.MaxRatio * expect))
	limit = min(limit, maxOutstanding)
	if cs.ringing >= limit {
		return 0
	}
	// The calls already ringing, with their chance to answer yet.
	dist := newAnswers()
	for _, cl := range e.calls {
		if cl.campaignID == c.ID && cl.paced {
			dist.add(pc.stillAnswers(now.Sub(cl.started)))
		}
	}
	target := float64(c.Abandon.Target)
	if st.abandonRate >= target {
		// At the target over the statistics' own window: no more
		// customers than free agents until it falls back.
		return free - cs.ringing
	}
	aim := target * abandonAim
	if st.abandonRate > aim || pc.answered > 0 && float64(pc.abandons)/float64(pc.answered) > aim {
		// Running above the aim, lately or over the ledger window: aim
		// lower.
		aim /= 2
	}
	more := 0
	for cs.ringing+more < limit {
		dist.add(st.p)
		if dist.overflow(cap) > aim*dist.mean {
			break
		}
		more++
	}
	return more
}

// waitingFor counts the answered customers of a campaign with no agent
// yet: waiting for one, or still in answering-machine detection (a person
// would take the next free agent).
func (e *Engine) waitingFor(cs *campaignState) int {
	n := 0
	for _, cl := range e.calls {
		if cl.campaignID == cs.run.Campaign.ID && cl.mode != "" && cl.answerSeen && !cl.ended && cl.agent == nil && !cl.bridged {
			n++
		}
	}
	return n
}

// capacity is the distribution of the number of agents there for a
// customer dialed now. Its answer may come at any moment, and it waits
// abandon.after at most: an agent counts only if it is there within that
// wait of now. The free agents are; an agent in wrap-up is if its wrap-up
// ends by then; an agent talking is with the chance that its call ends by
// then (a talk ending is as likely at any moment, at the campaign's mean
// talk time). Counting an agent freed later, for the customers who answer
// later, let the day's abandons ride at the target (BENCHMARKS.md,
// "Pacing"). It also returns the mean.
func (e *Engine) capacity(cs *campaignState, now time.Time, st pacerStats, free int) ([]float64, float64) {
	after := cs.run.Campaign.Abandon.After.D()
	id := cs.run.Campaign.ID
	sure, talking := free, 0
	for _, ag := range e.agentList {
		if _, ok := ag.levels[id]; !ok {
			continue
		}
		switch {
		case ag.State == dialer.AgentWrapUp && !ag.wrapEnd.IsZero():
			if !ag.wrapEnd.After(now.Add(after)) {
				sure++
			}
		case ag.State == dialer.AgentTalking && ag.call != nil && ag.call.bridged:
			talking++
		}
	}
	q := 0.0
	if st.talkMean > 0 {
		q = 1 - math.Exp(-after.Seconds()/st.talkMean.Seconds())
	}
	// sure + Binomial(talking, q).
	cap := make([]float64, sure+talking+1)
	cap[sure] = 1
	for i := range talking {
		for k := sure + i + 1; k >= sure; k-- {
			v := cap[k] * (1 - q)
			if k > sure {
				v += cap[k-1] * q
			}
			cap[k] = v
		}
	}
	return cap, float64(sure) + float64(talking)*q
}

// readLedger refreshes the campaign's abandon figures over its window,
// at most every ledgerEvery.
func (e *Engine) readLedger(ctx context.Context, cs *campaignState, now time.Time) {
	pc := &cs.pacer
	if !pc.ledgerAt.IsZero() && now.Sub(pc.ledgerAt) < ledgerEvery {
		return
	}
	pc.ledgerAt = now
	c := cs.run.Campaign
	f, err := e.store.AbandonLedger(ctx, c.ID, c.Abandon.Window.D(), now)
	if err != nil {
		e.log.Error("abandon ledger", "campaign", c.Name, "err", err)
		return
	}
	pc.answered, pc.abandons = f.LiveAnswered, f.Abandoned
	was := pc.atTarget
	pc.atTarget = f.LiveAnswered > 0 && float64(f.Abandoned) >= float64(c.Abandon.Target)*float64(f.LiveAnswered)
	if pc.atTarget != was {
		e.log.Warn("abandon rate at the target: dialing no more customers than free agents", "campaign", c.Name,
			"at_target", pc.atTarget, "live_answered", f.LiveAnswered, "abandoned", f.Abandoned, "target", c.Abandon.Target.String())
	}
}

// paceAnswered counts a predictive customer's answer in the statistics.
// With answering-machine detection the answer is counted at the call's
// end, once the verdict says whether a person answered (a machine is no
// answer to dial for).
func (e *Engine) paceAnswered(cs *campaignState, cl *call, at time.Time) {
	if !cl.paced || cs == nil {
		return
	}
	cl.paced = false
	cs.ringing--
	if cs.run.Campaign.AMD.Enabled() {
		cl.pacedAnswer = at
		return
	}
	cs.pacer.addDial(dialSample{end: at, answered: true, ring: at.Sub(cl.started)})
}

// paceEnded counts a predictive customer's end: a call that ended
// unanswered, and how long a bridged one talked.
func (e *Engine) paceEnded(cs *campaignState, cl *call, u Update, now time.Time) {
	if cs == nil || cl.mode != dialer.ModePredictive {
		return
	}
	if cl.paced {
		cl.paced = false
		cs.ringing--
		if u.Answered {
			// The answer came with the end.
			cs.pacer.addDial(dialSample{end: now, answered: true, ring: now.Sub(cl.started)})
		} else if u.Cause != cause.OriginateFailed && u.Cause != cause.Lost {
			cs.pacer.addDial(dialSample{end: now, answered: false, ring: now.Sub(cl.started)})
		}
	}
	machine := cl.endCause == cause.Machine
	if !cl.pacedAnswer.IsZero() {
		cs.pacer.addDial(dialSample{end: now, answered: !machine, ring: cl.pacedAnswer.Sub(cl.started)})
		cl.pacedAnswer = time.Time{}
	}
	switch {
	case cl.bridged && !cl.bridgedAt.IsZero():
		cs.pacer.addTalk(talkSample{end: now, d: now.Sub(cl.bridgedAt)})
	case machine:
	case cl.answered || u.Answered:
		cs.pacer.left = append(cs.pacer.left, now)
	}
}
