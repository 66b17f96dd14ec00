package store

import "context"

// ExecForTest runs one statement on the store's database, so that black-box
// tests can seed rows (attempts, agents, member states) that no exported
// method writes yet.
func (d *DB) ExecForTest(ctx context.Context, query string, args ...any) error {
	_, err := d.db.ExecContext(ctx, query, args...)
	return err
}
