package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/fsdialer/dialer/dialer"
)

// hangupRequestTTL is how old a hang-up request may be when the engine
// takes it: whoever asked has stopped waiting for the answer.
const hangupRequestTTL = 30 * time.Second

// takeHangups hangs up the calls asked for since the last reload tick
// and answers each request. The call's end then comes from the switch
// and is recorded as any other, with its release callback.
func (e *Engine) takeHangups(ctx context.Context, now time.Time) {
	reqs, err := e.store.PendingHangups(ctx)
	if err != nil {
		e.log.Error("hang-up requests", "err", err)
		return
	}
	for _, r := range reqs {
		why := ""
		if age := now.Sub(r.CreatedAt); age > hangupRequestTTL {
			why = fmt.Sprintf("expired: not taken within %s (the daemon was not running or not connected)", hangupRequestTTL)
		} else {
			why = e.hangup(ctx, r)
		}
		state := dialer.HangupDone
		if why != "" {
			state = dialer.HangupFailed
			e.log.Info("hang-up refused", "request", r.ID, "call_uuid", r.UUID, "reason", why)
		}
		if err := e.store.AnswerHangup(ctx, r.ID, state, why); err != nil {
			e.log.Error("answer hang-up request", "request", r.ID, "err", err)
		}
	}
}

// hangup hangs up the call one of whose legs is r.UUID; it returns why
// not. A preemptive customer not dialed yet has only its agent's leg,
// which is hung up for it: the attempt then ends without charging the
// member, and no leg the dialer hangs up counts against its agent.
func (e *Engine) hangup(ctx context.Context, r dialer.HangupRequest) string {
	leg, attemptID := r.UUID, int64(0)
	switch cl, ag, mc := e.calls[r.UUID], e.legs[r.UUID], e.manual[r.UUID]; {
	case cl != nil:
		attemptID = cl.attemptID
		if cl.mode == dialer.ModePreemptive && !cl.dialed && cl.agent != nil && cl.agent.leg != "" {
			cl.agent.killed, leg = true, cl.agent.leg
		}
	case ag != nil:
		ag.killed = true
		if ag.call != nil {
			attemptID = ag.call.attemptID
		}
	case mc != nil:
	default:
		return r.UUID + " is not a call in progress of this daemon"
	}
	if err := e.sw.Kill(ctx, leg, r.Cause); err != nil {
		return fmt.Sprintf("hang up %s: %v", leg, err)
	}
	e.log.Info("call hung up on request", "request", r.ID, "call_uuid", r.UUID, "leg", leg, "attempt_id", attemptID,
		"cause", r.Cause)
	return ""
}
