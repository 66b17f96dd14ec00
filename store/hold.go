package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// HoldMembers puts the selected members on hold: the engine never claims
// a held member, whatever its due time, until it is released. A member in
// a call keeps its call; the hold applies to its next attempt. It returns
// how many members were newly held and how many of those are in a call
// now. An id that names no member fails it all with an *UnknownError.
func (d *DB) HoldMembers(ctx context.Context, f MemberFilter, ids []int64) (held, inCall int, err error) {
	held, inCall, err = d.setHeld(ctx, f, ids, true)
	if err != nil {
		return 0, 0, fmt.Errorf("hold members: %w", err)
	}
	return held, inCall, nil
}

// ReleaseMembers releases held members: each is due again at its own due
// time (at once when that passed) within its calendar and call window.
// It returns how many were released and how many of those are in a call.
// An id that names no member fails it all with an *UnknownError.
func (d *DB) ReleaseMembers(ctx context.Context, f MemberFilter, ids []int64) (released, inCall int, err error) {
	released, inCall, err = d.setHeld(ctx, f, ids, false)
	if err != nil {
		return 0, 0, fmt.Errorf("release members: %w", err)
	}
	return released, inCall, nil
}

func (d *DB) setHeld(ctx context.Context, f MemberFilter, ids []int64, held bool) (changed, inCall int, err error) {
	f.Limit = 0
	err = d.tx(ctx, func(tx *sqlx.Tx) error {
		if err := requireIDs(ctx, tx, "member with id", "members", ids); err != nil {
			return err
		}
		where, args := selection(f, ids)
		var states []string
		if err := tx.SelectContext(ctx, &states, `
			UPDATE members SET held = ?, updated_at = ?`+where+` AND held <> ?
			RETURNING state`, append(append([]any{held, toMS(d.now())}, args...), held)...); err != nil {
			return err
		}
		changed = len(states)
		for _, s := range states {
			if s == "calling" {
				inCall++
			}
		}
		return nil
	})
	return changed, inCall, err
}
