package engine

import (
	"context"
	"fmt"
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
	var lost, followed, waiting int
	for _, a := range open {
		cl := e.calls[a.UUID]
		exists, err := e.sw.Exists(ctx, a.UUID)
		if err != nil {
			return fmt.Errorf("uuid_exists %s: %w", a.UUID, err)
		}
		cs := e.campaigns[a.CampaignID]
		if cl == nil {
			cl = &call{attemptID: a.ID, uuid: a.UUID, campaignID: a.CampaignID, memberID: a.MemberID,
				commID: a.CommunicationID, number: a.Number, started: a.CreatedAt,
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
		}
		if exists {
			cl.uncertain = false
			var extra []string
			if cs != nil && cs.run.Campaign.IVR.ResultVariable != "" {
				extra = append(extra, cs.run.Campaign.IVR.ResultVariable)
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
		e.finals = append(e.finals, Update{Kind: CallChanged, UUID: a.UUID, Final: true, Cause: cause.Lost, HangupAt: now})
		lost++
	}
	if len(open) > 0 {
		e.log.Info("reconciled open attempts", "open", len(open), "followed", followed, "lost", lost, "awaited", waiting)
	}
	e.flush(ctx)
	return nil
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
