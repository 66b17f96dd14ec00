package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/fsdialer/dialer/store"
)

// renewLease renews the daemon's lease every third of it, on the daemon's
// clock (which --sim runs faster than the wall), until ctx ends. A lease
// found run out stops the daemon: another daemon may be following its
// calls, and two daemons must never work one call.
func renewLease(ctx context.Context, db *store.DB, lease time.Duration, now func() time.Time, log *slog.Logger) error {
	t := time.NewTicker(min(lease/3, 100*time.Millisecond))
	defer t.Stop()
	last := now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if now().Sub(last) < lease/3 {
			continue
		}
		last = now()
		err := db.RenewLease(ctx, lease)
		if errors.Is(err, store.ErrLeaseLost) {
			return fmt.Errorf("stopped dialing: %w", err)
		}
		if err != nil && ctx.Err() == nil {
			log.Warn("renew the daemon's lease", "err", err)
		}
	}
}
