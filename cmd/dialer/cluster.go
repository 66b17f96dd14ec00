package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/fsdialer/dialer/store"
)

// renewLease renews the daemon's lease every third of it until ctx ends.
// A lease found run out stops the daemon: another daemon may be following
// its calls, and two daemons must never dial for one campaign's limits
// while one of them is taken for dead.
func renewLease(ctx context.Context, db *store.DB, lease time.Duration, log *slog.Logger) error {
	t := time.NewTicker(lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		err := db.RenewLease(ctx, lease)
		if errors.Is(err, store.ErrLeaseLost) {
			return fmt.Errorf("stopped dialing: %w", err)
		}
		if err != nil && ctx.Err() == nil {
			log.Warn("renew the daemon's lease", "err", err)
		}
	}
}
