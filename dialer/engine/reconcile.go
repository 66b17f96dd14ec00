package engine

import (
	"context"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/cause"
)

// reconcileOpen settles every attempt that is not final, after a start or
// a reconnect. A channel that still exists is followed to its end. One
// that is gone is finalised as DIALER_LOST (a counted retry, so the member
// waits its retry interval) once the call could no longer be ringing: an
// originate sent just before a drop may not have created its channel yet.
func (e *Engine) reconcileOpen(ctx context.Context, now time.Time) error {
	open, err := e.store.OpenAttempts(ctx)
	if err != nil {
		return err
	}
	legs, err := e.store.OpenAgentLegs(ctx)
	if err != nil {
		return err
	}
	legOf := make(map[int64]dialer.AgentLeg, len(legs))
	for _, l := range legs {
		legOf[l.AttemptID] = l
	}
	if err := e.reconcileLegs(ctx, now); err != nil {
		return err
	}
	if err := e.adoptSessions(ctx, now); err != nil {
		return err
	}
	var lost, followed, waiting int
	for _, a := range open {
		cl := e.calls[a.UUID]
		if cl != nil && cl.mode != "" && !cl.dialed {
			// The customer is dialed only once the agent answers: the
			// agent's leg was reconciled above.
			continue
		}
		if cl == nil {
			if l, ok := legOf[a.ID]; ok {
				done, err := e.adoptAgentCall(ctx, a, l, now)
				if err != nil {
					return err
				}
				if done {
					continue
				}
			}
		}
		e.sw.Locate(a.UUID, a.Node)
		exists, down, err := e.exists(ctx, a.UUID)
		if err != nil {
			return err
		}
		cs := e.campaigns[a.CampaignID]
		if cl == nil {
			cl = &call{attemptID: a.ID, uuid: a.UUID, campaignID: a.CampaignID, memberID: a.MemberID,
				commID: a.CommunicationID, number: a.Number, node: a.Node, started: a.CreatedAt,
				answered: !a.AnsweredAt.IsZero(), answeredAt: a.AnsweredAt}
			if cs == nil {
				cs = e.adopt(ctx, a.CampaignID)
			}
			if cs == nil {
				// The campaign is gone: close the attempt without a decision.
				e.finals = append(e.finals, Update{Kind: CallChanged, UUID: a.UUID, Final: true, Cause: cause.Lost, HangupAt: now})
				e.calls[a.UUID] = cl
				e.inflight++
				continue
			}
			e.track(cs, cl)
			if cl.answered && exists && !agentMode(cs.run.Campaign.Mode) {
				e.amdAdopted(ctx, cl, now)
			}
			if agentMode(cs.run.Campaign.Mode) {
				cl.mode, cl.dialed, cl.answerSeen = cs.run.Campaign.Mode, true, cl.answered
				cl.agentID = a.AgentID
				if l, ok := legOf[a.ID]; ok {
					cl.agentAnsweredAt, cl.bridgedAt, cl.bridged = l.AgentAnsweredAt, l.BridgedAt, !l.BridgedAt.IsZero()
				}
				if cl.answered && exists {
					// Answered, and no agent follows it any more.
					e.orphanAnswered(ctx, cs, cl, now)
				}
			}
		}
		if down != nil {
			if e.awaitNode(down, a.UUID, now) {
				cl.uncertain = true
				waiting++
				continue
			}
			e.finish(Update{Kind: CallChanged, UUID: a.UUID, Final: true, Cause: cause.Lost, HangupAt: now})
			lost++
			continue
		}
		if exists {
			cl.uncertain = false
			var extra []string
			if cs != nil && cs.run.Campaign.IVR.ResultVariable != "" {
				extra = append(extra, cs.run.Campaign.IVR.ResultVariable, cs.run.Campaign.SubStatusVariable())
			}
			if cs != nil {
				extra = append(extra, cs.run.Campaign.IVR.Capture...)
			}
			e.sw.Watch(a.UUID, extra...)
			followed++
			continue
		}
		ring := dialer.DefaultRingTimeout
		if cs != nil {
			ring = cs.run.Campaign.Limits.RingTimeout.D()
		}
		deadline := a.CreatedAt.Add(ring + e.cfg.LostGrace)
		if now.Before(deadline) && !cl.answered {
			cl.uncertain = true
			e.scheduleRecheck(deadline)
			waiting++
			continue
		}
		e.finish(Update{Kind: CallChanged, UUID: a.UUID, Final: true, Cause: cause.Lost, HangupAt: now})
		lost++
	}
	if len(open) > 0 {
		e.log.Info("reconciled open attempts", "open", len(open), "followed", followed, "lost", lost, "awaited", waiting)
	}
	e.flush(ctx)
	e.settleAgents(ctx, now)
	e.applyRequests(ctx, now)
	return nil
}

// lateLegMemory is how long a reconcile remembers an agent leg it hung up
// before it existed: far longer than any originate takes to come up.
const lateLegMemory = 10 * time.Minute

// reconcileLegs checks the agent legs the engine follows after a
// reconnect: a live one that had answered is followed again; one that is
// gone ends (no fault of the agent) and is hung up in case it shows up
// late. So does a live one that had not answered: its answer may have
// come while the connection was down, and an answer the engine never saw
// would leave the agent parked on a call that goes nowhere.
func (e *Engine) reconcileLegs(ctx context.Context, now time.Time) error {
	for uuid, until := range e.lateLegs {
		if now.After(until) {
			delete(e.lateLegs, uuid)
		}
	}
	for uuid, ag := range e.legs {
		exists, down, err := e.exists(ctx, uuid)
		if err != nil {
			return err
		}
		if down != nil {
			if e.awaitNode(down, uuid, now) {
				continue
			}
			// Its node stayed away: the leg ends (no fault of the agent).
			ag.killed = true
			e.agentq = append(e.agentq, Update{Kind: CallChanged, UUID: uuid, Final: true, Cause: cause.Lost, HangupAt: now})
			continue
		}
		if exists && ag.legUp {
			e.sw.Watch(uuid)
			continue
		}
		ag.killed = true
		e.kill(ctx, uuid)
		if !exists {
			// uuid_kill had nothing to kill: if the originate was still in
			// flight, the leg comes up later, and handle hangs it up then.
			e.lateLegs[uuid] = now.Add(lateLegMemory)
			e.sw.Watch(uuid)
		}
		e.agentq = append(e.agentq, Update{Kind: CallChanged, UUID: uuid, Final: true, Cause: cause.Lost, HangupAt: now})
	}
	return nil
}

// adoptAgentCall settles, after a restart, an open agent-mode attempt whose
// agent leg was recorded. A bridged pair whose two legs are up is followed
// again (the agent talking); otherwise the agent's leg is hung up, and a
// customer never dialed (preemptive, or progressive with an agent that was
// to confirm first, and the agent had not answered) ends at once without
// charging the member. done reports that the attempt needs nothing more.
func (e *Engine) adoptAgentCall(ctx context.Context, a dialer.Attempt, l dialer.AgentLeg, now time.Time) (done bool, err error) {
	cs := e.campaigns[a.CampaignID]
	if cs == nil {
		cs = e.adopt(ctx, a.CampaignID)
	}
	// Both legs of an agent call are on the attempt's node.
	e.sw.Locate(l.UUID, a.Node)
	e.sw.Locate(a.UUID, a.Node)
	legUp, down, err := e.exists(ctx, l.UUID)
	if err != nil || down != nil {
		// A node away: the customer's reconcile awaits it.
		return false, err
	}
	customerUp, down, err := e.exists(ctx, a.UUID)
	if err != nil || down != nil {
		return false, err
	}
	ag := e.agents[l.AgentID]
	if cs == nil || !agentMode(cs.run.Campaign.Mode) {
		if legUp {
			e.kill(ctx, l.UUID)
		}
		return false, nil
	}
	mode := cs.run.Campaign.Mode
	if l.ClickToCall {
		mode = dialer.ModePreemptive
	}
	cl := &call{attemptID: a.ID, uuid: a.UUID, campaignID: a.CampaignID, memberID: a.MemberID,
		commID: a.CommunicationID, number: a.Number, started: a.CreatedAt,
		answered: !a.AnsweredAt.IsZero(), answeredAt: a.AnsweredAt,
		mode: mode, dialed: true, answerSeen: !a.AnsweredAt.IsZero(), agentID: l.AgentID,
		agentAnsweredAt: l.AgentAnsweredAt, bridgedAt: l.BridgedAt, bridged: !l.BridgedAt.IsZero()}
	switch {
	case cl.bridged && legUp && customerUp && ag != nil && !ag.busyWithCall():
		e.track(cs, cl)
		ag.call, cl.agent = cl, ag
		ag.leg, ag.legUp, ag.talked = l.UUID, true, true
		// A persistent agent's leg is its session (see adoptSessions).
		ag.session = ag.Persistent()
		e.legs[l.UUID] = ag
		e.sw.Watch(l.UUID)
		e.sw.Watch(a.UUID)
		e.setAgent(ctx, ag, dialer.AgentTalking, now, "bridged call followed again after a restart")
		return true, nil
	case l.AgentAnsweredAt.IsZero() && (mode == dialer.ModePreemptive || a.AnsweredAt.IsZero() && !customerUp):
		// The agent was to answer before its customer was dialed
		// (preemptive, or progressive with an agent confirming first).
		if legUp {
			e.kill(ctx, l.UUID)
		}
		cl.uncharged, cl.ended = true, true
		e.track(cs, cl)
		e.finals = append(e.finals, Update{Kind: CallChanged, UUID: a.UUID, Final: true, Cause: cause.AgentUnavailable, HangupAt: now})
		return true, nil
	}
	if legUp && !(ag != nil && ag.session && ag.leg == l.UUID) {
		e.kill(ctx, l.UUID)
	}
	return false, nil
}

// orphanAnswered handles an answered customer that reconcile found with no
// agent: a progressive one waits for another agent within the hold time; a
// preemptive one is hung up (abandoned: no agent took it).
func (e *Engine) orphanAnswered(ctx context.Context, cs *campaignState, cl *call, now time.Time) {
	if cl.bridged {
		// Its agent's leg is gone: the conversation is over.
		e.kill(ctx, cl.uuid)
		return
	}
	if cs.run.Campaign.Mode == dialer.ModeProgressive {
		cl.holdUntil = cl.answeredAt.Add(cs.run.Campaign.Agents.HoldTime.D())
		e.waiters[cl.uuid] = cl
		return
	}
	e.kill(ctx, cl.uuid)
}

// adopt loads a campaign that has open attempts but is not running, so
// its attempts can still be decided with its own policy.
func (e *Engine) adopt(ctx context.Context, campaignID int64) *campaignState {
	r, err := e.store.CampaignRun(ctx, campaignID)
	if err != nil {
		e.log.Warn("campaign of an open attempt", "campaign_id", campaignID, "err", err)
		return nil
	}
	cs := &campaignState{run: r, policy: r.Campaign.RetryPolicy(r.Calendar.Location)}
	e.campaigns[campaignID] = cs
	e.order = append(e.order, cs)
	return cs
}
