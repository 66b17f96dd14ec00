package engine

import (
	"context"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/cause"
	"github.com/fsdialer/dialer/dialer/retry"
)

// handle takes one update from the switch.
func (e *Engine) handle(u Update) {
	switch u.Kind {
	case Disconnected, Reconnected:
		if u.Node != "" {
			e.nodeChanged(u)
			return
		}
		if u.Kind == Disconnected {
			e.log.Warn("switch disconnected: originates paused", "in_progress", e.inflight)
			return
		}
		e.log.Info("switch connected: reconciling open attempts")
		e.mustReconcile = true
	case CallChanged:
		if e.amdVerdict(u) {
			return
		}
		if _, late := e.lateLegs[u.UUID]; late && e.legs[u.UUID] == nil {
			// An agent leg hung up at a reconnect before it existed has
			// come up after all: nobody follows it, so it goes.
			if !u.Final {
				e.log.Warn("agent leg came up after the reconcile hung it up: hanging up", "uuid", u.UUID)
				e.killq = append(e.killq, u.UUID)
			}
			delete(e.lateLegs, u.UUID)
			return
		}
		if e.manual[u.UUID] != nil {
			e.manualq = append(e.manualq, u)
			return
		}
		if e.legs[u.UUID] != nil {
			e.agentq = append(e.agentq, u)
			return
		}
		cl := e.calls[u.UUID]
		if cl == nil {
			return
		}
		if cl.mode != "" {
			e.agentq = append(e.agentq, u)
		}
		if u.Answered && !cl.answered {
			cl.answered, cl.answeredAt = true, u.AnsweredAt
			if cl.answeredAt.IsZero() {
				cl.answeredAt = e.cfg.Now()
			}
			e.answers = append(e.answers, cl)
		}
		if u.Final {
			e.finals = append(e.finals, u)
		}
	}
}

// scheduleRecheck asks for a reconcile pass at the given time.
func (e *Engine) scheduleRecheck(at time.Time) {
	if e.recheck.IsZero() || at.Before(e.recheck) {
		e.recheck = at
	}
}

// flush writes answer marks and final records collected since the last
// flush, each kind in one transaction. Finals that fail to write stay
// queued and are written at the next flush.
func (e *Engine) flush(ctx context.Context) {
	e.agentSteps(ctx)
	e.amdSteps(ctx)
	defer e.keepOnLine(ctx, e.cfg.Now())
	for _, cl := range e.answers {
		if err := e.store.MarkAnswered(ctx, cl.attemptID, cl.answeredAt); err != nil {
			e.log.Error("mark answered", "attempt_id", cl.attemptID, "err", err)
		}
		e.startRecording(ctx, cl, dialer.RecordAnswer, e.cfg.Now())
	}
	e.answers = e.answers[:0]
	if len(e.finals) == 0 {
		return
	}
	now := e.cfg.Now()
	var ids []int64
	seen := map[string]bool{}
	finals := e.finals[:0:0]
	for _, u := range e.finals {
		cl := e.calls[u.UUID]
		if cl == nil || seen[u.UUID] {
			continue
		}
		seen[u.UUID] = true
		finals = append(finals, u)
		ids = append(ids, cl.memberID)
	}
	members, err := e.store.MembersByID(ctx, ids)
	if err != nil {
		e.log.Error("load members to finish attempts", "err", err)
		return
	}
	byID := make(map[int64]*dialer.Member, len(members))
	blockedNumbers := map[int64][]string{}
	for i := range members {
		m := &members[i]
		byID[m.ID] = m
		for _, cm := range m.Communications {
			blockedNumbers[m.CampaignID] = append(blockedNumbers[m.CampaignID], cm.Number)
		}
	}
	blocked := map[int64]map[string]bool{}
	for cid, nums := range blockedNumbers {
		set, err := e.store.BlockedSet(ctx, cid, nums)
		if err != nil {
			e.log.Error("blocklist", "err", err)
			return
		}
		blocked[cid] = set
	}
	ends := make([]dialer.AttemptEnd, 0, len(finals))
	done := make([]*call, 0, len(finals))
	campaignOf := make(map[int64]int64, len(finals))
	for _, u := range finals {
		cl := e.calls[u.UUID]
		done = append(done, cl)
		m := byID[cl.memberID]
		cs := e.campaigns[cl.campaignID]
		if m == nil || cs == nil {
			// The member or its campaign was deleted during the call:
			// nothing is left to record.
			continue
		}
		ends = append(ends, decide(cs, m, cl, u, blocked[cl.campaignID], now))
		campaignOf[cl.attemptID] = cl.campaignID
	}
	if err := e.store.FinishAttempts(ctx, ends); err != nil {
		e.log.Error("record finished attempts", "count", len(ends), "err", err)
		return
	}
	e.finals = e.finals[:0]
	for _, cl := range done {
		e.untrack(cl)
	}
	for _, end := range ends {
		name := ""
		if cs := e.campaigns[campaignOf[end.AttemptID]]; cs != nil {
			name = cs.run.Campaign.Name
		}
		e.cfg.Observer.AttemptEnded(name, end.Cause, end.Class, !end.AnsweredAt.IsZero())
		e.log.Debug("attempt finished", "attempt_id", end.AttemptID, "member_id", end.MemberID,
			"cause", end.Cause, "class", end.Class, "member_state", end.MemberState)
	}
}

func (e *Engine) untrack(cl *call) {
	if _, ok := e.calls[cl.uuid]; !ok {
		return
	}
	delete(e.calls, cl.uuid)
	e.sw.Forget(cl.uuid)
	e.inflight--
	if cs := e.campaigns[cl.campaignID]; cs != nil {
		cs.inflight--
		if cs.inflight == 0 && !cs.active {
			cs.idleUntil = time.Time{}
		}
	}
}

// decide turns a call's final record into the attempt's final row and the
// member's next state, through the retry decision.
func decide(cs *campaignState, m *dialer.Member, cl *call, u Update, blocked map[string]bool, now time.Time) dialer.AttemptEnd {
	c := cs.run.Campaign
	answeredAt := u.AnsweredAt
	if answeredAt.IsZero() && cl.answered {
		answeredAt = cl.answeredAt
	}
	if !u.Answered && !cl.answered {
		answeredAt = time.Time{}
	}
	if cl.uncharged {
		return uncharged(cs, m, cl, answeredAt, now)
	}
	// The attempt ends when the engine learns of it: the retry interval
	// then counts on the engine's own clock, whatever FreeSWITCH's says.
	ended := now
	causeName := u.Cause
	if causeName == "" {
		causeName = cause.OriginateFailed
	}
	if cl.endCause != "" {
		causeName = cl.endCause
	}
	result, subStatus := "", ""
	if c.IVR.ResultVariable != "" {
		result = u.Vars[c.IVR.ResultVariable]
	}
	if c.Mode == dialer.ModeIVR {
		subStatus = u.Vars[c.SubStatusVariable()]
	}
	rm := m.RetryMember(func(n string) bool { return blocked[n] })
	d := retry.Decide(cs.policy, rm, retry.Outcome{
		NumberID: cl.commID, Cause: causeName, AnsweredAt: answeredAt, Billsec: u.Billsec,
		BusinessResult: result, SubStatus: subStatus, At: ended,
	})
	end := dialer.AttemptEnd{
		AttemptID: cl.attemptID, Cause: causeName, Q850: u.Q850, SIPStatus: u.SIPStatus,
		AnsweredAt: answeredAt, EndedAt: ended, Billsec: u.Billsec, BusinessResult: result,
		Class: string(d.Class), Counted: d.Counted, SubStatus: subStatus, PolicyRule: d.Rule,
		MemberID: m.ID, Attempts: d.Member.Attempts, Minus: d.Member.Minus, CauseCounts: d.Member.CauseCounts,
		Day: d.Member.Day, DayAttempts: d.Member.DayAttempts, AttemptDays: d.Member.AttemptDays,
	}
	withAgent(&end, cl)
	end.Captured = captured(c, u.Vars)
	switch d.Kind {
	case retry.Done:
		end.MemberState = dialer.MemberDone
	case retry.Again:
		end.MemberState = dialer.MemberWaiting
		end.DueAt = d.DueAt
		end.NextCommID = d.NumberID
	default:
		end.MemberState = dialer.MemberFailed
		end.EndCause = d.EndCause
	}
	return end
}

// withAgent copies an agent-mode call's agent and leg times to its record.
func withAgent(end *dialer.AttemptEnd, cl *call) {
	end.AgentID = cl.agentID
	end.AgentRingingAt, end.AgentAnsweredAt = cl.agentRingingAt, cl.agentAnsweredAt
	end.BridgedAt, end.BridgeEndedAt = cl.bridgedAt, cl.bridgeEndedAt
}

// uncharged ends an attempt that never reached the member through no fault
// of theirs (preemptive: the agent did not take the call): AGENT_UNAVAILABLE,
// not counted, the member due again now with its counters as they were. It
// bypasses the retry decision, whose bound on minus outcomes would
// eventually charge the member.
func uncharged(cs *campaignState, m *dialer.Member, cl *call, answeredAt, now time.Time) dialer.AttemptEnd {
	end := dialer.AttemptEnd{
		AttemptID: cl.attemptID, Cause: cause.AgentUnavailable, AnsweredAt: answeredAt, EndedAt: now,
		Class: string(cs.policy.Classes.Class(cause.AgentUnavailable)), KeepCounters: true,
		MemberID: m.ID, MemberState: dialer.MemberWaiting, DueAt: now,
		Attempts: m.Attempts, Minus: m.Minus, CauseCounts: m.CauseCounts,
		Day: m.Day, DayAttempts: m.DayAttempts, AttemptDays: m.AttemptDays, NextCommID: m.NextCommID,
	}
	withAgent(&end, cl)
	return end
}
