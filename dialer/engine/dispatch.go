package engine

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/cause"
)

// idleBackoff is how long a campaign with nothing due is left alone.
const idleBackoff = 200 * time.Millisecond

// unknownDefer is how long a member that cannot be called for a reason
// with no known end (no timezone for its number, outside the filter) is
// set aside before it is looked at again.
const unknownDefer = time.Minute

// MemberVarPrefix prefixes member variables on calls: a member file can
// then never set a FreeSWITCH variable that changes how a call is made
// (execute_on_answer, api_on_answer, origination_*...).
const MemberVarPrefix = "dialer_var_"

// dispatchCampaign starts up to n calls of one campaign and returns how
// many it sent. Every candidate is checked against every rule at now,
// immediately before its attempt is recorded and its originate sent.
//
// In the agent modes picks are the agents to offer the calls to, in
// order (len(picks) >= n): each claim records its agent.
func (e *Engine) dispatchCampaign(ctx context.Context, cs *campaignState, n int, now time.Time, picks []*agent) int {
	c := cs.run.Campaign
	began := time.Now()
	ids, err := e.store.DueMemberIDs(ctx, c.ID, now, 2*n+4)
	if err != nil {
		e.log.Error("due members", "campaign", c.Name, "err", err)
		return 0
	}
	if len(ids) == 0 {
		cs.idleUntil, cs.due = now.Add(idleBackoff), false
		return 0
	}
	members, err := e.store.MembersByID(ctx, ids)
	if err != nil {
		e.log.Error("load members", "campaign", c.Name, "err", err)
		return 0
	}
	var numbers []string
	for _, m := range members {
		for _, cm := range m.Communications {
			numbers = append(numbers, cm.Number)
		}
	}
	blocked, err := e.store.BlockedSet(ctx, c.ID, numbers)
	if err != nil {
		e.log.Error("blocklist", "campaign", c.Name, "err", err)
		return 0
	}
	var claims []dialer.NewAttempt
	var changes []dialer.MemberChange
	byID := make(map[int64]*dialer.Member, len(members))
	looked := 0
	full := false
	for i := range members {
		m := &members[i]
		if len(claims) == n || full {
			break
		}
		looked++
		v := dialer.Explain(dialer.CallableInput{Now: now, Campaign: c, Calendar: cs.run.Calendar, Member: m,
			Blocked: func(num string) bool { return blocked[num] }})
		switch {
		case v.Callable:
			a := dialer.NewAttempt{CampaignID: c.ID, MemberID: m.ID, CommunicationID: v.Number.ID,
				Number: v.Number.Number, UUID: e.cfg.NewUUID(), At: now}
			// The node is chosen before the attempt is recorded, which
			// names it.
			if !e.placeClaim(&a, &picks, len(claims)) {
				full, looked = true, looked-1
				continue
			}
			byID[m.ID] = m
			claims = append(claims, a)
		case v.End != "":
			changes = append(changes, dialer.MemberChange{MemberID: m.ID, EndCause: v.End})
			e.log.Info("member ended", "campaign", c.Name, "member_id", m.ID, "cause", v.End)
		case !v.NextAt.IsZero() && v.NextAt.After(now):
			changes = append(changes, dialer.MemberChange{MemberID: m.ID, DueAt: v.NextAt})
		default:
			changes = append(changes, dialer.MemberChange{MemberID: m.ID, DueAt: now.Add(unknownDefer)})
			e.log.Debug("member set aside", "campaign", c.Name, "member_id", m.ID, "reasons", v.Reasons)
		}
	}
	if err := e.store.ChangeMembers(ctx, changes); err != nil {
		e.log.Error("defer members", "campaign", c.Name, "err", err)
	}
	// Members not looked at, or not fetched, may be callable now.
	cs.due = looked < len(members) || len(ids) == 2*n+4
	if len(claims) == 0 {
		if len(ids) < 2*n+4 {
			cs.idleUntil = now.Add(idleBackoff)
		}
		return 0
	}
	attemptIDs, err := e.store.StartAttempts(ctx, claims)
	if err != nil {
		e.log.Error("record attempts", "campaign", c.Name, "err", err)
		for _, a := range claims {
			e.sw.Unplace(a.UUID)
		}
		return 0
	}
	e.cfg.Observer.Claimed(time.Since(began))
	sent := 0
	for i, a := range claims {
		if attemptIDs[i] == 0 {
			e.sw.Unplace(a.UUID)
			continue
		}
		cl := &call{attemptID: attemptIDs[i], uuid: a.UUID, campaignID: c.ID, memberID: a.MemberID,
			commID: a.CommunicationID, number: a.Number, node: a.Node, started: now}
		e.track(cs, cl)
		sent++
		req := e.request(cs, byID[a.MemberID], cl)
		e.log.Debug("originate", "campaign", c.Name, "member_id", cl.memberID, "attempt_id", cl.attemptID,
			"call_uuid", cl.uuid, "number", cl.number, "agent_id", a.AgentID)
		if len(picks) > 0 {
			e.startAgentCall(ctx, cs, cl, picks[i], req, now)
			continue
		}
		if c.Mode == dialer.ModePredictive {
			cl.mode, cl.dialed, cl.paced = c.Mode, true, true
			cs.ringing++
		}
		e.send(ctx, req)
	}
	if sent == 0 {
		// None could be claimed (taken meanwhile, or the lines all in use
		// by the other daemons sharing the store): look again shortly.
		cs.idleUntil = now.Add(idleBackoff)
	}
	return sent
}

// placeClaim places the k-th claim of a dispatch on a switch node: an
// agent call (picks) on its agent's node, else any. An agent whose node
// cannot take a call now is passed over for this dispatch, so that it
// holds up no other agent. It reports false when the call cannot be
// placed.
func (e *Engine) placeClaim(a *dialer.NewAttempt, picks *[]*agent, k int) bool {
	agentCall := len(*picks) > 0
	for {
		prefer := ""
		if agentCall {
			if k >= len(*picks) {
				return false
			}
			ag := (*picks)[k]
			a.AgentID, prefer = ag.ID, ag.node()
		}
		node, err := e.sw.Place(a.UUID, prefer)
		if err == nil {
			a.Node = node
			return true
		}
		e.log.Debug("no node can take the call now", "member_id", a.MemberID, "node", prefer, "err", err)
		if prefer == "" {
			return false
		}
		*picks = append((*picks)[:k], (*picks)[k+1:]...)
	}
}

// enqueue hands an originate to the senders, taking their results while it
// waits so that neither side can block the other.
func (e *Engine) enqueue(ctx context.Context, req OriginateRequest) {
	for {
		select {
		case e.sendq <- req:
			return
		case r := <-e.results:
			e.sent(r)
		case <-ctx.Done():
			e.sent(sendResult{uuid: req.UUID, err: errors.Join(ErrNotSent, ctx.Err())})
			return
		}
	}
}

// sent takes the outcome of sending one originate.
func (e *Engine) sent(r sendResult) {
	if r.err == nil {
		return
	}
	if ag := e.legs[r.uuid]; ag != nil {
		e.legSendFailed(ag, r.uuid, r.err)
		return
	}
	if mc := e.manual[r.uuid]; mc != nil {
		e.manualSendFailed(mc, r.uuid, r.err)
		return
	}
	if cl := e.calls[r.uuid]; cl != nil {
		e.originateFailed(cl, r.err, e.cfg.Now())
	}
}

func (e *Engine) track(cs *campaignState, cl *call) {
	e.calls[cl.uuid] = cl
	e.inflight++
	cs.inflight++
}

// originateFailed handles an originate that returned an error: one that
// was certainly not sent ends now (minus: the member is not charged, and
// the bound on minus outcomes stops a loop); otherwise reconcile decides
// once the call could have ended on its own.
func (e *Engine) originateFailed(cl *call, err error, now time.Time) {
	if errors.Is(err, ErrNotSent) {
		e.log.Error("originate refused", "attempt_id", cl.attemptID, "call_uuid", cl.uuid, "err", err)
		e.finish(Update{Kind: CallChanged, UUID: cl.uuid, Final: true, Cause: cause.OriginateFailed, HangupAt: now})
		return
	}
	e.log.Warn("originate outcome unknown: reconcile decides", "attempt_id", cl.attemptID, "call_uuid", cl.uuid, "err", err)
	cl.uncertain = true
	e.scheduleRecheck(now)
}

// request builds the originate for a call: the campaign's dial string and
// caller ID, variables naming campaign, member and attempt, the campaign's
// variables and the member's (prefixed), and the IVR destination.
func (e *Engine) request(cs *campaignState, m *dialer.Member, cl *call) OriginateRequest {
	c := cs.run.Campaign
	vars := map[string]string{
		"dialer_campaign_id": strconv.FormatInt(c.ID, 10),
		"dialer_campaign":    c.Name,
		"dialer_member_id":   strconv.FormatInt(cl.memberID, 10),
		"dialer_attempt_id":  strconv.FormatInt(cl.attemptID, 10),
	}
	for k, v := range c.Variables {
		vars[k] = v
	}
	if m != nil {
		for k, v := range m.Variables {
			vars[MemberVarPrefix+k] = v
		}
	}
	req := OriginateRequest{
		UUID: cl.uuid, DialTemplate: c.Dial.Template, TemplateVars: c.Dial.Vars, Number: cl.number,
		CallerIDName: c.CallerID.Name, RingTimeout: c.Limits.RingTimeout.D(), Vars: vars, Node: cl.node,
	}
	if ids := c.CallerID.Numbers; len(ids) > 0 {
		req.CallerIDNumber = ids[cs.cidNext%len(ids)]
		cs.cidNext++
	}
	if c.Mode == dialer.ModeIVR {
		req.Extension, req.Dialplan, req.Context = c.IVR.Extension, c.IVR.Dialplan, c.IVR.Context
		req.WatchVars = []string{c.IVR.ResultVariable, c.SubStatusVariable()}
		req.WatchVars = append(req.WatchVars, c.IVR.Capture...)
		amdOriginate(c, &req)
	} else {
		req.App, req.AppArgs = "park", ""
	}
	return req
}
