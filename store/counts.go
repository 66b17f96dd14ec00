package store

import (
	"context"
	"fmt"
	"strings"
)

// CountMembers counts the members a filter selects, ignoring its Limit:
// what a limited list leaves out.
func (d *DB) CountMembers(ctx context.Context, f MemberFilter, ids []int64) (int, error) {
	f.Limit = 0
	where, args := selection(f, ids)
	var n int
	if err := d.db.GetContext(ctx, &n, `SELECT count(*) FROM members`+where, args...); err != nil {
		return 0, fmt.Errorf("count members: %w", err)
	}
	return n, nil
}

// CountCallbacks counts the callbacks a filter selects, ignoring its
// Limit. An unknown campaign is ErrNotFound.
func (d *DB) CountCallbacks(ctx context.Context, f CallbackFilter) (int, error) {
	q := `SELECT count(*) FROM webhook_outbox WHERE 1 = 1`
	var args []any
	if f.State != "" {
		q += ` AND state = ?`
		args = append(args, string(f.State))
	}
	if f.Campaign != "" {
		scope, err := scopeID(ctx, d.db, f.Campaign)
		if err != nil {
			return 0, fmt.Errorf("count callbacks: %w", err)
		}
		q += ` AND campaign_id = ?`
		args = append(args, scope.Int64)
	}
	var n int
	if err := d.db.GetContext(ctx, &n, q, args...); err != nil {
		return 0, fmt.Errorf("count callbacks: %w", err)
	}
	return n, nil
}

// MissingCallbacks returns the ids, of those given, that no callback
// event has, in the order given.
func (d *DB) MissingCallbacks(ctx context.Context, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	var found []int64
	if err := d.db.SelectContext(ctx, &found, `SELECT id FROM webhook_outbox WHERE id IN (`+
		strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+`)`, args...); err != nil {
		return nil, fmt.Errorf("look up callback events: %w", err)
	}
	have := make(map[int64]bool, len(found))
	for _, id := range found {
		have[id] = true
	}
	var missing []int64
	for _, id := range ids {
		if !have[id] {
			missing = append(missing, id)
		}
	}
	return missing, nil
}
