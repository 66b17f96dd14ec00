package engine

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/cause"
)

// manualCall is a click-to-call outside any campaign: the agent's leg
// rings first, the number is dialed when the agent answers, and the two
// are bridged. Its record is the request's, not an attempt.
type manualCall struct {
	reqID  int64
	agent  *agent
	number string
	// agentLeg and customer are the two legs' uuids; customer is "" until
	// the agent answered.
	agentLeg, customer string
	agentUp, custUp    bool
	agentEnded         bool
	custEnded          bool
	bridged            bool
	answeredAt         time.Time
	// final is the customer's (or, when it was never dialed, the agent's)
	// end: the call's record.
	final Update
}

// ManualLabel stands for the campaign of manual calls in figures and
// metrics (no campaign can be named so: names are identifiers).
const ManualLabel = "(manual)"

// manualDefaultRing is how long a manual call's number rings when the
// engine's configuration does not say.
const manualDefaultRing = 30 * time.Second

// startManualCall checks a manual click-to-call and rings its agent.
func (e *Engine) startManualCall(ctx context.Context, r dialer.CallRequest, now time.Time) (string, string) {
	if e.cfg.ManualDial == "" {
		return "", "calls outside a campaign need a dial template (config manual.dial_template)"
	}
	ag := e.agents[r.AgentID]
	if ag == nil {
		// Agents are loaded for agent-mode campaigns; a manual call may
		// come with none running.
		if err := e.loadAgents(ctx); err != nil {
			e.log.Error("load agents", "err", err)
			return "", "the agents could not be read"
		}
		if ag = e.agents[r.AgentID]; ag == nil {
			return "", "unknown agent"
		}
	}
	switch {
	case ag.Persistent():
		return "", fmt.Sprintf("agent %s works a persistent session: click-to-call rings the phone of an agent without one", ag.Name)
	case ag.busyWithCall() || ag.State.InCall() && ag.State != dialer.AgentWrapUp:
		return "", fmt.Sprintf("agent %s is busy (%s)", ag.Name, ag.State)
	case ag.State == dialer.AgentLoggedOut, ag.State == dialer.AgentBreak:
		return "", fmt.Sprintf("agent %s is %s: make it available first", ag.Name, ag.State)
	}
	if e.inflight >= e.cfg.MaxCalls {
		return "", fmt.Sprintf("no line free (%d calls in progress, limits.max_calls %d)", e.inflight, e.cfg.MaxCalls)
	}
	blocked, err := e.store.BlockedSet(ctx, 0, []string{r.Number})
	if err != nil {
		e.log.Error("manual call blocklist", "err", err)
		return "", "the blocklist could not be read"
	}
	if blocked[r.Number] {
		return "", r.Number + " is on the blocklist"
	}
	mc := &manualCall{reqID: r.ID, agent: ag, number: r.Number, agentLeg: e.cfg.NewUUID()}
	node, err := e.sw.Place(mc.agentLeg, ag.Node)
	if err != nil {
		return "", "no switch node can take the call now: " + err.Error()
	}
	e.manual[mc.agentLeg] = mc
	ag.manual, ag.wrapEnd = mc, time.Time{}
	e.inflight++
	e.global.take(1)
	if ag.State != dialer.AgentReserved {
		ag.idleSince = ag.StateChangedAt
	}
	e.setAgent(ctx, ag, dialer.AgentRinging, now, "manual call to "+r.Number)
	e.log.Info("manual call", "request", r.ID, "agent", ag.Name, "number", r.Number, "agent_uuid", mc.agentLeg)
	e.send(ctx, OriginateRequest{
		UUID: mc.agentLeg, Endpoint: ag.Endpoint, RingTimeout: ag.CallTimeout.D(), CallerIDNumber: r.Number, App: "park",
		Vars: e.manualVars(mc, "agent"), Node: node,
	})
	return mc.agentLeg, ""
}

func (e *Engine) manualVars(mc *manualCall, role string) map[string]string {
	return map[string]string{
		"dialer_manual_call": strconv.FormatInt(mc.reqID, 10),
		"dialer_agent_id":    strconv.FormatInt(mc.agent.ID, 10),
		"dialer_agent":       mc.agent.Name,
		"dialer_role":        role,
	}
}

// manualEvent follows one leg of a manual call.
func (e *Engine) manualEvent(ctx context.Context, mc *manualCall, u Update, now time.Time) {
	ag := mc.agent
	if u.UUID == mc.agentLeg {
		switch {
		case u.Final:
			if mc.agentEnded {
				return
			}
			mc.agentEnded = true
			e.sw.Forget(u.UUID)
			if mc.customer == "" {
				mc.final = u
			} else if !mc.custEnded {
				e.kill(ctx, mc.customer)
			}
		case u.Answered && !mc.agentUp:
			mc.agentUp = true
			ag.NoAnswerCount = 0
			if e.stopping {
				e.kill(ctx, mc.agentLeg)
				return
			}
			e.setAgent(ctx, ag, dialer.AgentTalking, now, "answered: manual call dialed")
			mc.customer = e.cfg.NewUUID()
			e.manual[mc.customer] = mc
			ring := e.cfg.ManualRingTimeout
			if ring <= 0 {
				ring = manualDefaultRing
			}
			e.send(ctx, OriginateRequest{
				UUID: mc.customer, DialTemplate: e.cfg.ManualDial, Number: mc.number, CallerIDNumber: e.cfg.ManualCallerID,
				RingTimeout: ring, App: "park", Vars: e.manualVars(mc, "customer"),
				Node: e.sw.NodeOf(mc.agentLeg),
			})
			if err := e.sw.Ringback(ctx, mc.agentLeg); err != nil {
				e.log.Warn("ringback to agent", "agent", ag.Name, "call_uuid", mc.agentLeg, "err", err)
			}
		}
	} else {
		switch {
		case u.Final:
			if mc.custEnded {
				return
			}
			mc.custEnded = true
			e.sw.Forget(u.UUID)
			mc.final = u
			if mc.answeredAt.IsZero() && u.Answered {
				mc.answeredAt = u.AnsweredAt
			}
			if !mc.agentEnded {
				e.kill(ctx, mc.agentLeg)
			}
		case u.Answered && !mc.custUp:
			mc.custUp, mc.answeredAt = true, u.AnsweredAt
			if mc.answeredAt.IsZero() {
				mc.answeredAt = now
			}
			if err := e.sw.Bridge(ctx, mc.customer, mc.agentLeg); err != nil {
				e.log.Error("bridge manual call", "request", mc.reqID, "err", err)
				e.kill(ctx, mc.customer)
				return
			}
			mc.bridged = true
		}
	}
	if mc.agentEnded && (mc.customer == "" || mc.custEnded) {
		e.endManual(ctx, mc, now)
	}
}

// endManual records a manual call's end and frees its agent: wrap-up after
// a conversation, the no-answer rules when the agent never answered.
func (e *Engine) endManual(ctx context.Context, mc *manualCall, now time.Time) {
	delete(e.manual, mc.agentLeg)
	delete(e.manual, mc.customer)
	e.inflight--
	ag := mc.agent
	ag.manual = nil
	c := mc.final.Cause
	if c == "" {
		c = cause.OriginateFailed
	}
	if err := e.store.FinishManualCall(ctx, mc.reqID, mc.answeredAt, now, c, mc.final.Billsec); err != nil {
		e.log.Error("record manual call", "request", mc.reqID, "err", err)
	}
	e.log.Info("manual call ended", "request", mc.reqID, "agent", ag.Name, "cause", c, "billsec", mc.final.Billsec)
	switch {
	case mc.bridged:
		e.wrapUp(ctx, ag, now)
	case mc.agentUp || c == cause.Lost || c == cause.OriginateFailed:
		e.toAvailable(ctx, ag, now, ag.idleSince, "manual call ended")
	default:
		e.agentFailed(ctx, ag, c, now)
	}
}

// manualSendFailed ends a manual call leg whose originate failed; a leg
// that may exist after all is hung up.
func (e *Engine) manualSendFailed(mc *manualCall, uuid string, err error) {
	e.log.Warn("manual call originate failed", "request", mc.reqID, "call_uuid", uuid, "err", err)
	e.killq = append(e.killq, uuid)
	e.manualq = append(e.manualq, Update{Kind: CallChanged, UUID: uuid, Final: true, Cause: cause.OriginateFailed, HangupAt: e.cfg.Now()})
}

// reconcileManual looks for the legs of manual calls after a reconnect:
// a leg that is gone ended while the connection was down (DIALER_LOST).
func (e *Engine) reconcileManual(ctx context.Context) error {
	for uuid, mc := range e.manual {
		if uuid == mc.agentLeg && mc.agentEnded || uuid == mc.customer && mc.custEnded {
			continue
		}
		ok, down, err := e.exists(ctx, uuid)
		if err != nil {
			return err
		}
		if down != nil && e.awaitNode(down, uuid, e.cfg.Now()) {
			continue
		}
		if !ok {
			e.manualq = append(e.manualq, Update{Kind: CallChanged, UUID: uuid, Final: true, Cause: cause.Lost, HangupAt: e.cfg.Now()})
		}
	}
	return nil
}

// manualSteps runs the manual-call work of the updates received since the
// last flush.
func (e *Engine) manualSteps(ctx context.Context) {
	if len(e.manualq) == 0 {
		return
	}
	now := e.cfg.Now()
	for i := 0; i < len(e.manualq); i++ {
		u := e.manualq[i]
		if mc := e.manual[u.UUID]; mc != nil {
			e.manualEvent(ctx, mc, u, now)
		}
	}
	e.manualq = e.manualq[:0]
}
