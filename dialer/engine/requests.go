package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/fsdialer/dialer/dialer"
)

// endWrapUps ends the wrap-up of agents a member result was posted for.
// An agent already in another call keeps it: the result was for a call
// that is over.
func (e *Engine) endWrapUps(ctx context.Context, now time.Time) {
	ends, err := e.store.WrapUpEnds(ctx)
	if err != nil {
		e.log.Error("wrap-up ends", "err", err)
		return
	}
	for _, w := range ends {
		if ag := e.agents[w.AgentID]; ag != nil && ag.State == dialer.AgentWrapUp && !ag.busyWithCall() {
			e.toAvailable(ctx, ag, now, now, "result posted: wrap-up ended")
		}
		if err := e.store.ClearWrapUpEnd(ctx, w.AgentID, w.At); err != nil {
			e.log.Error("clear wrap-up end", "agent_id", w.AgentID, "err", err)
		}
	}
}

// callRequestTTL is how old a click-to-call may be when the engine takes
// it: an agent who clicked a minute ago has moved on.
const callRequestTTL = 30 * time.Second

// takeCallRequests starts or refuses the click-to-call requests made
// since the last tick. A request waits (stays pending) only while the
// global originate rate has no room.
func (e *Engine) takeCallRequests(ctx context.Context, now time.Time) {
	reqs, err := e.store.PendingCallRequests(ctx)
	if err != nil {
		e.log.Error("call requests", "err", err)
		return
	}
	e.global.fill(now)
	for _, r := range reqs {
		if e.global.available() <= 0 {
			return
		}
		var attemptID int64
		var uuid, why string
		if age := now.Sub(r.CreatedAt); age > callRequestTTL {
			why = fmt.Sprintf("expired: not taken within %s (the daemon was not running)", callRequestTTL)
		} else if r.CampaignID == 0 {
			uuid, why = e.startManualCall(ctx, r, now)
		} else {
			attemptID, uuid, why = e.clickToCall(ctx, r, now)
		}
		state := dialer.CallStarted
		if why != "" {
			state = dialer.CallRefused
			e.log.Info("click-to-call refused", "request", r.ID, "agent_id", r.AgentID, "member_id", r.MemberID, "reason", why)
		}
		if err := e.store.AnswerCallRequest(ctx, r.ID, state, why, attemptID, uuid); err != nil {
			e.log.Error("answer call request", "request", r.ID, "err", err)
		}
	}
}

// clickToCall checks a request against every rule and, when all hold,
// claims the member, records the attempt with the agent, and rings the
// agent first: the customer is dialed when the agent answers, as in
// preemptive mode. It returns the attempt and call, or why not.
func (e *Engine) clickToCall(ctx context.Context, r dialer.CallRequest, now time.Time) (int64, string, string) {
	cs := e.campaigns[r.CampaignID]
	if cs == nil {
		return 0, "", "the campaign is not running or paused"
	}
	c := cs.run.Campaign
	if !agentMode(c.Mode) {
		return 0, "", fmt.Sprintf("campaign %s is in %s mode: click-to-call needs an agent mode", c.Name, c.Mode)
	}
	ag := e.agents[r.AgentID]
	switch {
	case ag == nil:
		return 0, "", "unknown agent"
	case !hasTier(ag, c.ID):
		return 0, "", fmt.Sprintf("agent %s is not assigned to campaign %s", ag.Name, c.Name)
	case ag.Persistent():
		return 0, "", fmt.Sprintf("agent %s works a persistent session: click-to-call rings the phone of an agent without one", ag.Name)
	case ag.busyWithCall() || ag.State.InCall() && ag.State != dialer.AgentWrapUp:
		return 0, "", fmt.Sprintf("agent %s is busy (%s)", ag.Name, ag.State)
	case ag.State == dialer.AgentLoggedOut, ag.State == dialer.AgentBreak:
		return 0, "", fmt.Sprintf("agent %s is %s: make it available first", ag.Name, ag.State)
	}
	if cs.inflight >= c.Limits.Lines || e.inflight >= e.cfg.MaxCalls {
		return 0, "", fmt.Sprintf("no line free (campaign %s: %d of %d in use)", c.Name, cs.inflight, c.Limits.Lines)
	}
	members, err := e.store.MembersByID(ctx, []int64{r.MemberID})
	if err != nil {
		e.log.Error("click-to-call member", "member_id", r.MemberID, "err", err)
		return 0, "", "the member could not be read"
	}
	if len(members) == 0 || members[0].CampaignID != c.ID {
		return 0, "", fmt.Sprintf("member %d is not in campaign %s", r.MemberID, c.Name)
	}
	m := members[0]
	if m.State != dialer.MemberWaiting {
		return 0, "", fmt.Sprintf("member %d is %s", m.ID, m.State)
	}
	var comm *dialer.Communication
	for i := range m.Communications {
		if m.Communications[i].Number == r.Number {
			comm = &m.Communications[i]
		}
	}
	if comm == nil {
		return 0, "", fmt.Sprintf("%s is not a number of member %d", r.Number, m.ID)
	}
	if comm.State != dialer.CommActive {
		return 0, "", fmt.Sprintf("%s is stopped", r.Number)
	}
	blocked, err := e.store.BlockedSet(ctx, c.ID, []string{r.Number})
	if err != nil {
		e.log.Error("click-to-call blocklist", "err", err)
		return 0, "", "the blocklist could not be read"
	}
	if blocked[r.Number] {
		return 0, "", r.Number + " is on the blocklist"
	}
	// Every rule of Explain holds, but for the retry wait (a person asks
	// for this call now) and the campaign being paused.
	cand, camp := m, *c
	cand.DueAt, cand.NextCommID = time.Time{}, comm.ID
	camp.State = dialer.StateRunning
	v := dialer.Explain(dialer.CallableInput{Now: now, Campaign: &camp, Calendar: cs.run.Calendar, Member: &cand,
		Blocked: func(n string) bool { return blocked[n] }})
	if !v.Callable {
		return 0, "", strings.Join(v.Reasons, "; ")
	}
	if v.Number.ID != comm.ID {
		return 0, "", r.Number + " cannot be dialed"
	}
	claim := dialer.NewAttempt{CampaignID: c.ID, MemberID: m.ID, CommunicationID: comm.ID, Number: comm.Number,
		UUID: e.cfg.NewUUID(), AgentID: ag.ID, At: now, BeforeDue: true}
	ids, err := e.store.StartAttempts(ctx, []dialer.NewAttempt{claim})
	if err != nil {
		e.log.Error("click-to-call attempt", "member_id", m.ID, "err", err)
		return 0, "", "the attempt could not be recorded"
	}
	if ids[0] == 0 {
		return 0, "", fmt.Sprintf("member %d is no longer waiting", m.ID)
	}
	cl := &call{attemptID: ids[0], uuid: claim.UUID, campaignID: c.ID, memberID: m.ID, commID: comm.ID,
		number: comm.Number, started: now}
	e.track(cs, cl)
	req := e.request(cs, &m, cl)
	req.Vars["dialer_click_to_call"] = "true"
	cl.mode, cl.agent, cl.agentID, cl.req = dialer.ModePreemptive, ag, ag.ID, &req
	ag.call, ag.wrapEnd = cl, time.Time{}
	cs.rate.take(1)
	e.global.take(1)
	e.log.Info("click-to-call", "campaign", c.Name, "agent", ag.Name, "member_id", m.ID, "attempt_id", cl.attemptID,
		"call_uuid", cl.uuid, "number", cl.number)
	e.ringAgent(ctx, cs, cl, ag, now)
	return cl.attemptID, cl.uuid, ""
}

func hasTier(ag *agent, campaignID int64) bool {
	_, ok := ag.levels[campaignID]
	return ok
}
