package engine

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/cause"
)

// agent is an agent as the engine works it: settings and live state as the
// store keeps them (the engine owns the live state and writes every change),
// and the call and phone leg it is in.
type agent struct {
	dialer.Agent
	// levels are the agent's tier levels by campaign id.
	levels map[int64]int
	// call is the customer call the agent is reserved for or serves.
	call *call
	// leg is the uuid of the agent's own leg while it is placed or up;
	// legUp is set once it answered.
	leg   string
	legUp bool
	// legNode is the switch node the leg is on.
	legNode string
	// killed: the engine hung the leg up, so its end is no fault of the agent.
	killed bool
	// missed: an answered customer hung up while the agent's phone rang
	// for it. Until the agent answers again, its next customer is dialed
	// only once it is on the line (see confirmFirst).
	missed bool
	// talked: the leg was bridged to a customer; its end starts wrap-up.
	talked bool
	// session: the leg is the agent's persistent session, kept up
	// between calls (see sessions.go).
	session bool
	// bridgedAttempt is the attempt the agent was last bridged to, which
	// its wrap-up is recorded on (the customer may have ended first).
	bridgedAttempt int64
	// wrapEnd is when wrap-up ends.
	wrapEnd time.Time
	// idleSince is when the agent became available before its current
	// reservation: a reservation released without a call keeps its place.
	idleSince time.Time
	// request is a state asked for while the agent was in a call, applied
	// when the call and wrap-up end.
	request *dialer.AgentRequest
	// manual is the manual call (click-to-call outside a campaign) the
	// agent is in.
	manual *manualCall
}

// node is the switch node the agent's calls go to: its leg's while one
// is placed or up (a persistent session, an agent kept on the line),
// else the node it names ("" = any).
func (ag *agent) node() string {
	if ag.leg != "" && ag.legNode != "" {
		return ag.legNode
	}
	return ag.Node
}

// fits reports whether the agent can be bridged to a customer on node:
// the two legs of a bridge must be on one switch.
func (ag *agent) fits(node string) bool {
	n := ag.node()
	return n == "" || n == node
}

// busyWithCall reports whether the agent is in, or held for, a call.
// An agent waiting on its persistent leg is not.
func (ag *agent) busyWithCall() bool {
	return ag.call != nil || ag.manual != nil || (ag.leg != "" && !ag.onLine())
}

// confirmFirst reports that the agent left an offer unanswered since it
// last answered: no customer may wait on its phone ringing, so it is rung
// before its next customer is dialed (progressive too) and takes no
// customer already waiting but the one it rang for.
func (ag *agent) confirmFirst() bool { return ag.missed || ag.NoAnswerCount > 0 }

// agentMode reports whether a campaign connects members to agents.
func agentMode(m dialer.Mode) bool { return m.Agents() }

// loadAgents refreshes the agents' settings and tiers from the store. Live
// state comes from the store only for agents the engine did not know; the
// engine's own live state wins for the others.
func (e *Engine) loadAgents(ctx context.Context) error {
	list, err := e.store.AgentsToWork(ctx)
	if err != nil {
		return err
	}
	ids := make(map[string]int64, len(e.campaigns))
	for id, cs := range e.campaigns {
		ids[cs.run.Campaign.Name] = id
	}
	seen := make(map[int64]bool, len(list))
	for _, a := range list {
		seen[a.ID] = true
		levels := map[int64]int{}
		for _, t := range a.Tiers {
			if id, ok := ids[t.Campaign]; ok {
				levels[id] = t.Level
			}
		}
		ag := e.agents[a.ID]
		if ag == nil {
			ag = &agent{Agent: a}
			e.agents[a.ID] = ag
		} else {
			live := ag.Agent
			ag.Agent = a
			ag.State, ag.StateChangedAt, ag.NoAnswerCount, ag.ReadyAt = live.State, live.StateChangedAt, live.NoAnswerCount, live.ReadyAt
		}
		ag.levels = levels
	}
	for id, ag := range e.agents {
		if !seen[id] && !ag.busyWithCall() {
			if ag.leg != "" {
				// Removed while waiting on its session: hang up first.
				e.killLeg(ctx, ag)
				continue
			}
			delete(e.agents, id)
		}
	}
	e.agentList = e.agentList[:0]
	for _, ag := range e.agents {
		e.agentList = append(e.agentList, ag)
	}
	sort.Slice(e.agentList, func(i, j int) bool { return e.agentList[i].ID < e.agentList[j].ID })
	return nil
}

// settleAgents puts back agents the store shows in a call state that no
// call the engine follows explains (left by a crash or a lost leg): never
// reserved or ringing without a live call.
func (e *Engine) settleAgents(ctx context.Context, now time.Time) {
	for _, ag := range e.agentList {
		if ag.busyWithCall() || !ag.State.InCall() {
			continue
		}
		if ag.State == dialer.AgentWrapUp && !ag.wrapEnd.IsZero() {
			continue
		}
		e.toAvailable(ctx, ag, now, now, "no call in progress (reconciled)")
	}
}

// applyRequests applies the states asked for from the CLI or API: at once
// for an agent not in a call, when the call and wrap-up end otherwise.
func (e *Engine) applyRequests(ctx context.Context, now time.Time) {
	reqs, err := e.store.AgentStateRequests(ctx)
	if err != nil {
		e.log.Error("agent requests", "err", err)
		return
	}
	for _, r := range reqs {
		ag := e.agents[r.AgentID]
		if ag == nil {
			continue
		}
		if ag.busyWithCall() || ag.State.InCall() {
			req := r
			ag.request = &req
			continue
		}
		ag.request = nil
		ag.NoAnswerCount, ag.ReadyAt = 0, time.Time{}
		e.setAgent(ctx, ag, r.State, now, "requested")
		e.clearRequest(ctx, r)
	}
}

func (e *Engine) clearRequest(ctx context.Context, r dialer.AgentRequest) {
	if err := e.store.ClearAgentRequest(ctx, r.AgentID, r.RequestedAt); err != nil {
		e.log.Error("clear agent request", "agent_id", r.AgentID, "err", err)
	}
}

// setAgent moves an agent to a state since at, writes it to the store and
// logs the transition with the time spent in the previous state.
func (e *Engine) setAgent(ctx context.Context, ag *agent, st dialer.AgentState, at time.Time, why string) {
	from, since := ag.State, ag.StateChangedAt
	ag.State, ag.StateChangedAt = st, at
	if st == dialer.AgentLoggedOut && ag.session && ag.call == nil {
		// Logged out while waiting on its session: the leg goes.
		e.killLeg(ctx, ag)
	}
	if st == dialer.AgentAvailable {
		e.kick = true
	}
	if err := e.store.SetAgentLive(ctx, ag.ID, st, at, ag.NoAnswerCount, ag.ReadyAt); err != nil {
		e.log.Error("record agent state", "agent", ag.Name, "state", st, "err", err)
	}
	var held time.Duration
	if !since.IsZero() {
		held = e.cfg.Now().Sub(since)
	}
	e.log.Info("agent state", "agent", ag.Name, "agent_id", ag.ID, "from", from, "to", st, "after", held,
		"reason", why, "no_answer_count", ag.NoAnswerCount, "ready_at", ag.ReadyAt)
}

// toAvailable ends an agent's call: the pending request if there is one,
// otherwise available since idle (its place in the queue).
func (e *Engine) toAvailable(ctx context.Context, ag *agent, now, idle time.Time, why string) {
	ag.wrapEnd = time.Time{}
	if r := ag.request; r != nil {
		ag.request = nil
		ag.NoAnswerCount, ag.ReadyAt = 0, time.Time{}
		e.setAgent(ctx, ag, r.State, now, why+"; then as requested")
		e.clearRequest(ctx, *r)
		return
	}
	if idle.IsZero() || idle.After(now) {
		idle = now
	}
	e.setAgent(ctx, ag, dialer.AgentAvailable, idle, why)
}

// wrapUp starts an agent's wrap-up after a call, or makes it available at
// once when it has none.
func (e *Engine) wrapUp(ctx context.Context, ag *agent, now time.Time) {
	if ag.WrapUp.D() <= 0 {
		e.toAvailable(ctx, ag, now, now, "call ended (no wrap-up)")
		return
	}
	ag.wrapEnd = now.Add(ag.WrapUp.D())
	e.setAgent(ctx, ag, dialer.AgentWrapUp, now, "call ended")
}

// agentFailed applies an unanswered, busy or rejected offer: the matching
// delay before the next offer, and a forced break after MaxNoAnswer
// no-answers in a row.
func (e *Engine) agentFailed(ctx context.Context, ag *agent, causeName string, now time.Time) {
	var delay time.Duration
	why := "did not answer (" + causeName + ")"
	switch causeName {
	case "USER_BUSY":
		delay, why = ag.BusyDelay.D(), "busy"
	case "CALL_REJECTED":
		delay, why = ag.RejectDelay.D(), "rejected the call"
	default:
		delay = ag.NoAnswerDelay.D()
		ag.NoAnswerCount++
	}
	ag.ReadyAt = time.Time{}
	if delay > 0 {
		ag.ReadyAt = now.Add(delay)
	}
	if ag.MaxNoAnswer > 0 && ag.NoAnswerCount >= ag.MaxNoAnswer && ag.request == nil {
		ag.ReadyAt = time.Time{}
		e.setAgent(ctx, ag, dialer.AgentBreak, now, why+": "+strconv.Itoa(ag.NoAnswerCount)+" unanswered offers in a row, forced break")
		return
	}
	e.toAvailable(ctx, ag, now, now, why)
}

// freeAgents are the agents a campaign may offer a call to now: tiered to
// it, available and past their delay; lowest tier level first, then
// longest idle.
func (e *Engine) freeAgents(cs *campaignState, now time.Time) []*agent {
	id := cs.run.Campaign.ID
	var out []*agent
	for _, ag := range e.agentList {
		if _, ok := ag.levels[id]; !ok || ag.State != dialer.AgentAvailable || ag.busyWithCall() || ag.ReadyAt.After(now) {
			continue
		}
		if ag.Persistent() && !ag.onLine() {
			continue // its session leg is not up (yet)
		}
		out = append(out, ag)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if la, lb := a.levels[id], b.levels[id]; la != lb {
			return la < lb
		}
		if !a.StateChangedAt.Equal(b.StateChangedAt) {
			return a.StateChangedAt.Before(b.StateChangedAt)
		}
		return a.ID < b.ID
	})
	return out
}

// agentTimers ends wrap-ups that are over.
func (e *Engine) agentTimers(ctx context.Context, now time.Time) {
	for _, ag := range e.agentList {
		if ag.State == dialer.AgentWrapUp && !ag.busyWithCall() && !ag.wrapEnd.IsZero() && !now.Before(ag.wrapEnd) {
			e.toAvailable(ctx, ag, now, now, "wrap-up over")
		}
	}
}

// startAgentCall begins an agent-mode call just claimed: progressive
// reserves the agent and dials the customer; preemptive rings the agent
// first (or, for an agent kept on the line, dials the customer at once),
// and so does progressive for an agent that must confirm first.
func (e *Engine) startAgentCall(ctx context.Context, cs *campaignState, cl *call, ag *agent, req OriginateRequest, now time.Time) {
	cl.mode, cl.agent, cl.agentID = cs.run.Campaign.Mode, ag, ag.ID
	ag.call = cl
	if cl.mode == dialer.ModeProgressive && !ag.confirmFirst() {
		ag.idleSince = ag.StateChangedAt
		e.setAgent(ctx, ag, dialer.AgentReserved, now, "customer dialed (attempt "+strconv.FormatInt(cl.attemptID, 10)+")")
		cl.dialed = true
		e.send(ctx, req)
		return
	}
	cl.req = &req
	if ag.leg != "" && ag.legUp {
		// Kept on the line after a failed customer, or waiting on its
		// session: dial the next at once.
		e.markOnLine(ctx, cl, ag, now)
		e.setAgent(ctx, ag, dialer.AgentTalking, now, "kept on the line: next customer dialed")
		e.dialCustomer(ctx, cl)
		return
	}
	e.ringAgent(ctx, cs, cl, ag, now)
}

// recordWrapUp keeps the wrap-up the agent starts on the attempt it was
// last bridged to.
func (e *Engine) recordWrapUp(ctx context.Context, ag *agent) {
	if ag.bridgedAttempt == 0 || ag.WrapUp.D() <= 0 {
		return
	}
	if err := e.store.MarkWrapUp(ctx, ag.bridgedAttempt, ag.WrapUp.D()); err != nil {
		e.log.Error("record wrap-up", "attempt_id", ag.bridgedAttempt, "err", err)
	}
}

// markOnLine records that a call goes to an agent already on the line:
// its leg rang and answered now, for the attempt's record.
func (e *Engine) markOnLine(ctx context.Context, cl *call, ag *agent, now time.Time) {
	ag.talked = false
	cl.agentRingingAt, cl.agentAnsweredAt = now, now
	if err := e.store.MarkAgentLeg(ctx, cl.attemptID, ag.ID, ag.leg, now); err != nil {
		e.log.Error("record agent leg", "attempt_id", cl.attemptID, "err", err)
	}
	if err := e.store.MarkAgentAnswered(ctx, cl.attemptID, now); err != nil {
		e.log.Error("record agent answer", "attempt_id", cl.attemptID, "err", err)
	}
}

// ringAgent places the agent's leg for a call.
func (e *Engine) ringAgent(ctx context.Context, cs *campaignState, cl *call, ag *agent, now time.Time) {
	leg := e.cfg.NewUUID()
	ag.leg, ag.legUp, ag.killed, ag.talked, ag.legNode = leg, false, false, false, cl.node
	e.legs[leg] = ag
	cl.agent, cl.agentID, ag.call = ag, ag.ID, cl
	cl.agentRingingAt, cl.agentAnsweredAt = now, time.Time{}
	if cl.rang == nil {
		cl.rang = map[int64]bool{}
	}
	cl.rang[ag.ID] = true
	if ag.State != dialer.AgentReserved {
		ag.idleSince = ag.StateChangedAt
	}
	e.setAgent(ctx, ag, dialer.AgentRinging, now, "offered attempt "+strconv.FormatInt(cl.attemptID, 10))
	// Recorded before it is sent: reconcile finds the leg after a crash.
	if err := e.store.MarkAgentLeg(ctx, cl.attemptID, ag.ID, leg, now); err != nil {
		e.log.Error("record agent leg", "attempt_id", cl.attemptID, "err", err)
	}
	c := cs.run.Campaign
	req := OriginateRequest{
		UUID: leg, Endpoint: ag.Endpoint, RingTimeout: ringTimeout(ag, cl, now), CallerIDNumber: cl.number,
		CallerIDName: c.CallerID.Name, App: "park", Node: cl.node,
		Vars: map[string]string{
			"dialer_campaign_id": strconv.FormatInt(c.ID, 10),
			"dialer_campaign":    c.Name,
			"dialer_attempt_id":  strconv.FormatInt(cl.attemptID, 10),
			"dialer_agent_id":    strconv.FormatInt(ag.ID, 10),
			"dialer_agent":       ag.Name,
			"dialer_role":        "agent",
		},
	}
	e.global.take(1)
	e.send(ctx, req)
}

// ringTimeout is how long an agent's phone rings for a call: its call
// timeout, cut to what is left of the customer's hold time while an
// answered customer waits (at least a second, the switch's unit).
func ringTimeout(ag *agent, cl *call, now time.Time) time.Duration {
	d := ag.CallTimeout.D()
	if !cl.answered || cl.holdUntil.IsZero() {
		return d
	}
	left := max(cl.holdUntil.Sub(now), time.Second)
	if d <= 0 {
		return left
	}
	return min(d, left)
}

// dialCustomer originates the customer of a call whose agent is on the
// line (preemptive, or progressive with an agent that confirmed first).
// Its originate was paced when the member was claimed.
func (e *Engine) dialCustomer(ctx context.Context, cl *call) {
	cl.dialed = true
	cl.started = e.cfg.Now()
	e.send(ctx, *cl.req)
	// The agent, already on the line, hears ringing until the bridge.
	if ag := cl.agent; ag != nil && ag.leg != "" {
		if err := e.sw.Ringback(ctx, ag.leg); err != nil {
			e.log.Warn("ringback to agent", "agent", ag.Name, "call_uuid", ag.leg, "err", err)
		}
	}
}

// send hands an originate to the switch: to the senders under Run, in line
// otherwise.
func (e *Engine) send(ctx context.Context, req OriginateRequest) {
	label := req.Vars["dialer_campaign"]
	if req.Vars["dialer_manual_call"] != "" {
		label = ManualLabel
	}
	e.count++
	e.countBy[label]++
	e.cfg.Observer.Originated(label)
	if e.sendq == nil {
		e.sent(sendResult{uuid: req.UUID, err: e.sw.Originate(ctx, req)})
		return
	}
	e.enqueue(ctx, req)
}

// legSendFailed handles an agent leg whose originate failed: it ends with
// no fault of the agent, and a leg that may exist after all is hung up.
func (e *Engine) legSendFailed(ag *agent, uuid string, err error) {
	e.log.Warn("agent originate failed", "agent", ag.Name, "call_uuid", uuid, "err", err)
	ag.killed = true
	if !errors.Is(err, ErrNotSent) {
		e.killq = append(e.killq, uuid)
	}
	e.agentq = append(e.agentq, Update{Kind: CallChanged, UUID: uuid, Final: true, Cause: cause.OriginateFailed, HangupAt: e.cfg.Now()})
}

// kill hangs a channel up; a channel already gone reports its own end.
func (e *Engine) kill(ctx context.Context, uuid string) {
	if err := e.sw.Kill(ctx, uuid, "NORMAL_CLEARING"); err != nil {
		e.log.Debug("hang up", "call_uuid", uuid, "err", err)
	}
}

func (e *Engine) killLeg(ctx context.Context, ag *agent) {
	if ag.leg == "" {
		return
	}
	ag.killed = true
	e.kill(ctx, ag.leg)
}

// finish queues a call's final record, and the agent work it implies.
func (e *Engine) finish(u Update) {
	e.finals = append(e.finals, u)
	if cl := e.calls[u.UUID]; cl != nil && cl.mode != "" {
		e.agentq = append(e.agentq, u)
	}
}

// agentSteps runs the agent work of the updates received since the last
// flush, in order: it may originate, bridge and hang up, and it decides how
// agent-mode attempts end before they are written.
func (e *Engine) agentSteps(ctx context.Context) {
	for _, uuid := range e.killq {
		e.kill(ctx, uuid)
	}
	e.killq = e.killq[:0]
	e.manualSteps(ctx)
	if len(e.agentq) == 0 {
		return
	}
	now := e.cfg.Now()
	for i := 0; i < len(e.agentq); i++ {
		u := e.agentq[i]
		if ag := e.legs[u.UUID]; ag != nil {
			e.legEvent(ctx, ag, u, now)
		} else if cl := e.calls[u.UUID]; cl != nil && cl.mode != "" {
			e.customerEvent(ctx, cl, u, now)
		}
	}
	e.agentq = e.agentq[:0]
}

// customerEvent follows an agent-mode customer leg.
func (e *Engine) customerEvent(ctx context.Context, cl *call, u Update, now time.Time) {
	cs := e.campaigns[cl.campaignID]
	ag := cl.agent
	if u.Final {
		if cl.ended {
			return
		}
		cl.ended = true
		delete(e.waiters, cl.uuid)
		e.paceEnded(cs, cl, u, now)
		answered := cl.answered || u.Answered
		if cl.bridged && cl.bridgeEndedAt.IsZero() {
			cl.bridgeEndedAt = now
		}
		if answered && !cl.bridged && cl.endCause != cause.Machine {
			// Reached, and no agent took the call: abandoned, whatever
			// ended it, and charged by the ABANDONED retry rule.
			cl.endCause, cl.uncharged = cause.Abandoned, false
		}
		if ag == nil {
			return
		}
		if answered && ag.leg != "" && !ag.legUp {
			ag.missed = true
			e.log.Info("customer hung up while the agent's phone rang: abandoned", "attempt_id", cl.attemptID,
				"agent", ag.Name, "rang", now.Sub(cl.agentRingingAt))
		}
		switch {
		case ag.leg == "":
			// Progressive, the customer never answered: release at once.
			cl.agent, ag.call = nil, nil
			e.toAvailable(ctx, ag, now, ag.idleSince, "customer leg ended ("+u.Cause+"): released")
		case ag.session && ag.legUp && !e.stopping:
			// The agent's session stays up: wrap-up, or the next call.
			e.releaseOnLine(ctx, ag, cl, u, now)
		case cl.mode == dialer.ModePreemptive && !answered && ag.legUp && cs != nil && cs.run.Campaign.Agents.KeepOnLine && !e.stopping:
			cl.agent, ag.call = nil, nil
			e.onLine = append(e.onLine, ag)
		default:
			// The agent's leg rings or is up: hang it up; the agent is
			// freed (or wraps up) when the leg's end comes.
			cl.agent, ag.call = nil, nil
			e.killLeg(ctx, ag)
		}
		return
	}
	if !u.Answered || cl.answerSeen {
		return
	}
	cl.answerSeen = true
	answeredAt := u.AnsweredAt
	if answeredAt.IsZero() {
		answeredAt = now
	}
	e.paceAnswered(cs, cl, answeredAt)
	if e.detect(ctx, cl, answeredAt, now) {
		return // amd.go goes on after the verdict
	}
	e.customerAnswered(ctx, cl, answeredAt, now)
}

// customerAnswered connects an agent-mode customer who answered (and, with
// answering-machine detection, was found to be a person): bridged to an
// agent on the line, offered to the reserved or the next free agent, or
// waiting for one until its hold deadline.
func (e *Engine) customerAnswered(ctx context.Context, cl *call, answeredAt, now time.Time) {
	cs := e.campaigns[cl.campaignID]
	ag := cl.agent
	switch cl.mode {
	case dialer.ModeProgressive, dialer.ModePredictive:
		hold := time.Duration(0)
		if cs != nil {
			hold = cs.run.Campaign.Agents.HoldTime.D()
			if cl.mode == dialer.ModePredictive {
				hold = cs.run.Campaign.Abandon.After.D()
			}
		}
		cl.holdUntil = answeredAt.Add(hold)
		if ag != nil && ag.legUp {
			// The agent confirmed first, or waits on its persistent leg.
			e.bridge(ctx, cl, ag, now)
			return
		}
		if ag != nil && ag.leg == "" && cs != nil {
			e.ringAgent(ctx, cs, cl, ag, now)
			return
		}
		if ag == nil {
			e.waiters[cl.uuid] = cl
			e.offerWaiters(ctx, now)
		}
	case dialer.ModePreemptive:
		if ag != nil && ag.legUp {
			e.bridge(ctx, cl, ag, now)
			return
		}
		// No agent on the line any more: abandoned (see the final).
		e.kill(ctx, cl.uuid)
	}
}

// legEvent follows an agent's leg.
func (e *Engine) legEvent(ctx context.Context, ag *agent, u Update, now time.Time) {
	cl := ag.call
	if !u.Final {
		if !u.Answered || ag.legUp {
			return
		}
		ag.legUp = true
		ag.NoAnswerCount, ag.missed = 0, false
		if ag.session && cl == nil {
			e.sessionUp(ctx, ag, now)
			return
		}
		if cl == nil || cl.ended || e.stopping {
			e.killLeg(ctx, ag)
			return
		}
		cl.agentAnsweredAt = now
		if err := e.store.MarkAgentAnswered(ctx, cl.attemptID, now); err != nil {
			e.log.Error("record agent answer", "attempt_id", cl.attemptID, "err", err)
		}
		if cl.dialed {
			e.bridge(ctx, cl, ag, now)
			return
		}
		e.setAgent(ctx, ag, dialer.AgentTalking, now, "answered: customer dialed")
		e.dialCustomer(ctx, cl)
		return
	}
	if ag.session {
		e.sessionEnded(ctx, ag, u, now)
		return
	}
	delete(e.legs, u.UUID)
	e.sw.Forget(u.UUID)
	answered := ag.legUp || u.Answered
	killed, talked := ag.killed, ag.talked
	ag.leg, ag.legUp, ag.killed, ag.talked = "", false, false, false
	if cl != nil {
		cl.agent, ag.call = nil, nil
	}
	switch {
	case talked:
		if cl != nil && !cl.ended {
			if cl.bridgeEndedAt.IsZero() {
				cl.bridgeEndedAt = now
			}
			e.kill(ctx, cl.uuid)
		}
		e.recordWrapUp(ctx, ag)
		e.wrapUp(ctx, ag, now)
	case answered || killed || u.Cause == cause.Lost || u.Cause == cause.OriginateFailed:
		why := "leg ended before a customer was bridged"
		switch {
		case killed && ag.missed:
			why = "the customer hung up while the phone rang: the next customer is dialed once the agent answers"
		case killed:
			why = "leg hung up by the dialer"
		}
		e.toAvailable(ctx, ag, now, ag.idleSince, why)
		if cl != nil && !cl.ended {
			e.agentLost(ctx, cl, now)
		}
	default:
		e.agentFailed(ctx, ag, u.Cause, now)
		if cl != nil && !cl.ended {
			e.agentLost(ctx, cl, now)
		}
	}
}

// agentLost handles a customer call whose agent went away before the
// bridge: one never dialed (its agent was to answer first) ends without
// charging the member; answered progressive customers wait for another
// agent; a preemptive customer is hung up.
func (e *Engine) agentLost(ctx context.Context, cl *call, now time.Time) {
	if !cl.dialed {
		cl.uncharged, cl.ended = true, true
		e.finals = append(e.finals, Update{Kind: CallChanged, UUID: cl.uuid, Final: true, Cause: cause.AgentUnavailable, HangupAt: now})
		return
	}
	if cl.mode == dialer.ModeProgressive {
		if cl.answered {
			e.waiters[cl.uuid] = cl
			e.offerWaiters(ctx, now)
		}
		return
	}
	cl.uncharged = true
	e.kill(ctx, cl.uuid)
}

// bridge connects a customer and the agent whose leg answered.
func (e *Engine) bridge(ctx context.Context, cl *call, ag *agent, now time.Time) {
	if err := e.sw.Bridge(ctx, cl.uuid, ag.leg); err != nil {
		if ag.session {
			// The session stays (its own end, if it is gone, comes).
			e.log.Warn("bridge failed: customer hung up", "attempt_id", cl.attemptID, "agent", ag.Name, "err", err)
			cl.agent, ag.call = nil, nil
			e.kill(ctx, cl.uuid)
			return
		}
		e.log.Warn("bridge failed: both legs hung up", "attempt_id", cl.attemptID, "agent", ag.Name, "err", err)
		e.killLeg(ctx, ag)
		e.kill(ctx, cl.uuid)
		return
	}
	if cs := e.campaigns[cl.campaignID]; cs != nil && !cl.answeredAt.IsZero() {
		// The customer's wait, from the answer to the agent.
		e.cfg.Observer.Connected(cs.run.Campaign.Name, now.Sub(cl.answeredAt))
	}
	cl.bridged, cl.bridgedAt, ag.talked, ag.bridgedAttempt = true, now, true, cl.attemptID
	if err := e.store.MarkBridged(ctx, cl.attemptID, now); err != nil {
		e.log.Error("record bridge", "attempt_id", cl.attemptID, "err", err)
	}
	e.startRecording(ctx, cl, dialer.RecordBridge, now)
	if ag.State != dialer.AgentTalking {
		e.setAgent(ctx, ag, dialer.AgentTalking, now, "bridged to attempt "+strconv.FormatInt(cl.attemptID, 10))
	}
}

// offerWaiters offers answered progressive customers whose agent failed to
// the campaign's next free agent, and hangs up (ABANDONED) those whose hold
// time is over.
func (e *Engine) offerWaiters(ctx context.Context, now time.Time) {
	if len(e.waiters) == 0 {
		return
	}
	waiting := make([]*call, 0, len(e.waiters))
	for _, cl := range e.waiters {
		waiting = append(waiting, cl)
	}
	sort.Slice(waiting, func(i, j int) bool { return waiting[i].holdUntil.Before(waiting[j].holdUntil) })
	for _, cl := range waiting {
		cs := e.campaigns[cl.campaignID]
		if cl.ended || cl.agent != nil || cs == nil {
			delete(e.waiters, cl.uuid)
			continue
		}
		if !now.Before(cl.holdUntil) {
			delete(e.waiters, cl.uuid)
			e.abandon(ctx, cs, cl, now)
			continue
		}
		if ag := waiterAgent(cl, e.freeAgents(cs, now)); ag != nil {
			delete(e.waiters, cl.uuid)
			if ag.onLine() {
				e.takeOnLine(ctx, cl, ag, now)
				continue
			}
			e.ringAgent(ctx, cs, cl, ag, now)
		}
	}
}

// abandon ends an answered customer no agent took in time: the
// campaign's abandon message is played, then the switch hangs up; the
// attempt ends ABANDONED.
func (e *Engine) abandon(ctx context.Context, cs *campaignState, cl *call, now time.Time) {
	cl.endCause = cause.Abandoned
	msg := cs.run.Campaign.Abandon.Message
	e.log.Info("no agent took the call in time: abandoned", "attempt_id", cl.attemptID, "call_uuid", cl.uuid,
		"hold_until", cl.holdUntil, "message", msg)
	if msg == "" {
		e.kill(ctx, cl.uuid)
		return
	}
	if err := e.sw.Abandon(ctx, cl.uuid, msg); err != nil {
		e.log.Warn("abandon message", "attempt_id", cl.attemptID, "call_uuid", cl.uuid, "err", err)
		e.kill(ctx, cl.uuid)
	}
}

// waiterAgent is the first free agent a waiting customer may be offered
// to: one that must confirm first only if it already rang for this
// customer, so that it can never make a second customer wait.
func waiterAgent(cl *call, free []*agent) *agent {
	for _, ag := range free {
		if !ag.fits(cl.node) {
			continue
		}
		if !ag.confirmFirst() || cl.rang[ag.ID] {
			return ag
		}
	}
	return nil
}

// keepOnLine offers preemptive agents kept on the line the next member of
// their campaign at once; an agent with nobody to call is hung up.
func (e *Engine) keepOnLine(ctx context.Context, now time.Time) {
	agents := e.onLine
	e.onLine = nil
	for _, ag := range agents {
		if ag.call != nil || ag.leg == "" {
			continue
		}
		cs := e.campaignOf(ag)
		sent := 0
		if cs != nil && cs.active && e.sw.Connected() && !e.mustReconcile &&
			cs.inflight < cs.run.Campaign.Limits.Lines && e.inflight < e.cfg.MaxCalls {
			sent = e.dispatchCampaign(ctx, cs, 1, now, []*agent{ag})
			cs.rate.take(sent)
			e.global.take(sent)
		}
		if sent == 0 {
			e.killLeg(ctx, ag)
		}
	}
}

// campaignOf is the running preemptive campaign an agent on the line
// serves: its lowest tier level.
func (e *Engine) campaignOf(ag *agent) *campaignState {
	var best *campaignState
	for id, lvl := range ag.levels {
		cs := e.campaigns[id]
		if cs == nil || cs.run.Campaign.Mode != dialer.ModePreemptive || !cs.run.Campaign.Agents.KeepOnLine {
			continue
		}
		if best == nil || lvl < ag.levels[best.run.Campaign.ID] {
			best = cs
		}
	}
	return best
}

// afterUpdates flushes what the updates brought and, when an agent became
// available, offers it a call at once instead of at the next tick.
func (e *Engine) afterUpdates(ctx context.Context) {
	e.flush(ctx)
	if !e.kick || e.stopping || !e.sw.Connected() || e.mustReconcile {
		return
	}
	e.kick = false
	now := e.cfg.Now()
	e.offerWaiters(ctx, now)
	e.dispatch(ctx, now)
}
