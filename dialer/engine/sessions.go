package engine

import (
	"context"
	"strconv"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/cause"
)

// Persistent agent sessions. An agent with session: persistent is called
// once, when it is available and one of its campaigns runs; its leg then
// waits parked between calls. A customer is bridged into the waiting leg
// (no phone to ring, so the customer waits only for the bridge), and when
// the customer hangs up the switch parks the leg again
// (park_after_bridge): the agent wraps up and takes the next call on the
// same leg. Only a logout, the daemon stopping or the agent hanging up
// ends it; a leg the agent hangs up logs the agent out, or is called
// again with on_drop: redial.

// onLine reports whether the agent waits on its session leg for a call.
func (ag *agent) onLine() bool {
	return ag.session && ag.legUp && ag.call == nil && ag.manual == nil
}

// sessions calls the phones of the available persistent agents that have
// no leg and a running campaign.
func (e *Engine) sessions(ctx context.Context, now time.Time) {
	for _, ag := range e.agentList {
		if !ag.Persistent() || ag.leg != "" || ag.call != nil || ag.manual != nil {
			continue
		}
		if ag.State != dialer.AgentAvailable || ag.ReadyAt.After(now) || !e.worksActive(ag) {
			continue
		}
		if e.global.available() <= 0 || e.inflight+len(e.legs) >= e.cfg.MaxCalls {
			return
		}
		e.ringSession(ctx, ag, now)
	}
}

// worksActive reports whether one of the agent's campaigns runs and works
// with agents.
func (e *Engine) worksActive(ag *agent) bool {
	for id := range ag.levels {
		if cs := e.campaigns[id]; cs != nil && cs.active && agentMode(cs.run.Campaign.Mode) {
			return true
		}
	}
	return false
}

// ringSession places an agent's session leg. It parks when answered and
// goes back to park after every bridge.
func (e *Engine) ringSession(ctx context.Context, ag *agent, now time.Time) {
	leg := e.cfg.NewUUID()
	node, err := e.sw.Place(leg, ag.Node)
	if err != nil {
		e.log.Debug("no node can take the session call now", "agent", ag.Name, "node", ag.Node, "err", err)
		return
	}
	ag.leg, ag.legUp, ag.killed, ag.talked, ag.session, ag.legNode = leg, false, false, false, true, node
	e.legs[leg] = ag
	ag.idleSince = ag.StateChangedAt
	e.setAgent(ctx, ag, dialer.AgentRinging, now, "calling the phone for a persistent session")
	// Recorded before it is sent: a restart finds the leg.
	if err := e.store.SetAgentSessionLeg(ctx, ag.ID, leg); err != nil {
		e.log.Error("record session leg", "agent", ag.Name, "err", err)
	}
	req := OriginateRequest{
		UUID: leg, Endpoint: ag.Endpoint, RingTimeout: ag.CallTimeout.D(), CallerIDName: "dialer", App: "park", Node: node,
		Vars: map[string]string{
			"dialer_agent_id":   strconv.FormatInt(ag.ID, 10),
			"dialer_agent":      ag.Name,
			"dialer_role":       "agent",
			"dialer_session":    "persistent",
			"park_after_bridge": "true",
		},
	}
	e.global.take(1)
	e.send(ctx, req)
}

// sessionUp: the agent answered its session call and now waits for a
// customer.
func (e *Engine) sessionUp(ctx context.Context, ag *agent, now time.Time) {
	if e.stopping || ag.State == dialer.AgentLoggedOut {
		e.killLeg(ctx, ag)
		return
	}
	e.toAvailable(ctx, ag, now, ag.idleSince, "session up: waiting on the line for a call")
}

// takeOnLine bridges a waiting customer into an agent's session leg.
func (e *Engine) takeOnLine(ctx context.Context, cl *call, ag *agent, now time.Time) {
	cl.agent, cl.agentID, ag.call = ag, ag.ID, cl
	e.markOnLine(ctx, cl, ag, now)
	e.bridge(ctx, cl, ag, now)
}

// releaseOnLine frees a session agent whose customer ended: wrap-up after
// a conversation, at once otherwise; the leg stays up.
func (e *Engine) releaseOnLine(ctx context.Context, ag *agent, cl *call, u Update, now time.Time) {
	cl.agent, ag.call = nil, nil
	if !ag.talked {
		e.toAvailable(ctx, ag, now, ag.idleSince, "customer leg ended ("+u.Cause+"): waiting on the line")
		return
	}
	ag.talked = false
	e.recordWrapUp(ctx, ag)
	e.wrapUp(ctx, ag, now)
}

// sessionEnded handles the end of a session leg: never answered (a missed
// login call), hung up by the dialer (logout, stop), or by the agent, in
// or between calls.
func (e *Engine) sessionEnded(ctx context.Context, ag *agent, u Update, now time.Time) {
	delete(e.legs, u.UUID)
	e.sw.Forget(u.UUID)
	cl := ag.call
	answered := ag.legUp || u.Answered
	killed, talked := ag.killed, ag.talked
	ag.leg, ag.legUp, ag.killed, ag.talked, ag.session = "", false, false, false, false
	if err := e.store.SetAgentSessionLeg(ctx, ag.ID, ""); err != nil {
		e.log.Error("clear session leg", "agent", ag.Name, "err", err)
	}
	if cl != nil {
		cl.agent, ag.call = nil, nil
		if !cl.ended {
			if talked {
				if cl.bridgeEndedAt.IsZero() {
					cl.bridgeEndedAt = now
				}
				e.kill(ctx, cl.uuid)
			} else {
				e.agentLost(ctx, cl, now)
			}
		}
	}
	if talked {
		e.recordWrapUp(ctx, ag)
	}
	switch {
	case !answered && !killed && u.Cause != cause.Lost && u.Cause != cause.OriginateFailed:
		// The session call was not answered: a missed offer.
		e.agentFailed(ctx, ag, u.Cause, now)
	case killed || e.stopping:
		// Hung up by the dialer: whoever did set the state.
		if ag.State == dialer.AgentRinging || ag.State == dialer.AgentReserved || ag.State == dialer.AgentTalking {
			e.toAvailable(ctx, ag, now, ag.idleSince, "session leg hung up by the dialer")
		}
	case ag.Redials():
		if talked {
			e.wrapUp(ctx, ag, now)
		} else if ag.State.InCall() {
			e.toAvailable(ctx, ag, now, ag.idleSince, "session leg dropped ("+u.Cause+"): calling again")
		}
		e.log.Info("session leg dropped: calling the agent again", "agent", ag.Name, "cause", u.Cause)
	default:
		ag.wrapEnd = time.Time{}
		e.setAgent(ctx, ag, dialer.AgentLoggedOut, now, "session leg hung up ("+u.Cause+"): logged out")
	}
	if !answered && ag.State == dialer.AgentAvailable && ag.ReadyAt.Before(now.Add(sessionRetry)) {
		// A session call that never came up (busy, refused, not sent) is
		// not placed again at once: the next tick would fail the same way.
		ag.ReadyAt = now.Add(sessionRetry)
		if err := e.store.SetAgentLive(ctx, ag.ID, ag.State, ag.StateChangedAt, ag.NoAnswerCount, ag.ReadyAt); err != nil {
			e.log.Error("record agent state", "agent", ag.Name, "err", err)
		}
	}
}

// sessionRetry is the least wait before a session call that did not come
// up is placed again.
const sessionRetry = 5 * time.Second

// endSessions hangs up the session legs that wait for a call, when the
// daemon stops.
func (e *Engine) endSessions(ctx context.Context) {
	for _, ag := range e.agentList {
		if ag.session && ag.call == nil && ag.manual == nil {
			e.killLeg(ctx, ag)
		}
	}
}

// adoptSessions, at the first reconcile after a start, takes back the
// session legs a previous run left up: an answered one waits for calls
// again (or goes on with the call it is bridged to, which the attempt's
// reconcile adopts), and one that is gone, never answered or belongs to
// an agent no longer persistent or logged out is cleared (and hung up),
// so that the phone is called again when the agent is available.
func (e *Engine) adoptSessions(ctx context.Context, now time.Time) error {
	legs, err := e.store.AgentSessionLegs(ctx)
	if err != nil {
		return err
	}
	for id, uuid := range legs {
		ag := e.agents[id]
		if ag != nil && ag.leg == uuid {
			continue // followed already
		}
		exists, down, err := e.exists(ctx, uuid)
		if err != nil {
			return err
		}
		if down != nil && e.awaitNode(down, uuid, now) {
			continue
		}
		// A persistent agent rings only for its session call: in any
		// other state the leg had answered.
		answered := exists && ag != nil && ag.State != dialer.AgentRinging
		switch {
		case ag == nil || !ag.Persistent() || ag.leg != "" || !answered || ag.State == dialer.AgentLoggedOut:
			if exists {
				e.kill(ctx, uuid)
			}
			if err := e.store.SetAgentSessionLeg(ctx, id, ""); err != nil {
				return err
			}
		default:
			ag.leg, ag.legUp, ag.session, ag.killed, ag.talked = uuid, true, true, false, false
			ag.legNode = e.sw.NodeOf(uuid)
			e.legs[uuid] = ag
			e.sw.Watch(uuid)
			e.log.Info("session leg taken back after a restart", "agent", ag.Name, "call_uuid", uuid)
			if ag.State == dialer.AgentRinging {
				e.toAvailable(ctx, ag, now, ag.StateChangedAt, "session leg up after a restart")
			}
		}
	}
	return nil
}
