package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
)

// deleteCampaign deletes a campaign; with hangup it first stops it and
// has the daemon hang up its calls. The store refuses the delete while an
// attempt is open, in the same transaction as the delete: with hangup a
// call the daemon started just before it saw the stop is hung up in turn,
// until the timeout.
func deleteCampaign(ctx context.Context, out io.Writer, db *store.DB, now func() time.Time, name string,
	force, hangup bool, timeout time.Duration) error {
	c, err := findCampaign(ctx, db, name, "")
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	if hangup && (c.State == dialer.StateRunning || c.State == dialer.StatePaused) {
		prev, err := db.SetCampaignState(ctx, name, dialer.StateStopped)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "campaign %s stopped (was %s)\n", name, prev)
	}
	for {
		if hangup {
			calls, err := db.LiveCalls(ctx, c.ID)
			if err != nil {
				return err
			}
			if len(calls) > 0 {
				if err := daemonLive(ctx, db, now()); err != nil {
					return fmt.Errorf("campaign %s has %d call(s) left open, and %w: start it (dialer serve), "+
						"it reconciles them with FreeSWITCH; then delete again", name, len(calls), err)
				}
				if err := hangupCalls(ctx, out, db, calls, deadline); err != nil {
					return fmt.Errorf("delete campaign %s: %w; nothing was deleted", name, err)
				}
				continue
			}
		}
		err := db.DeleteCampaign(ctx, name, force)
		if hangup && errors.Is(err, store.ErrCallsInProgress) && time.Now().Before(deadline) {
			continue
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "campaign %s deleted\n", name)
		return nil
	}
}
