package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/fsdialer/dialer/dialer"
	"github.com/jmoiron/sqlx"
)

// MembersAdded is what adding members did to a campaign's run: with
// autostart a stopped or finished campaign was started, unless its
// calendar's validity had ended.
func (d *DB) MembersAdded(ctx context.Context, campaignID int64) (dialer.RunAfterAdd, error) {
	var out dialer.RunAfterAdd
	now := d.now()
	err := d.tx(ctx, func(tx *sqlx.Tx) error {
		var row struct {
			Name       string        `db:"name"`
			State      dialer.State  `db:"state"`
			Autostart  bool          `db:"autostart"`
			ValidUntil sql.NullInt64 `db:"valid_until"`
		}
		if err := tx.GetContext(ctx, &row, `
			SELECT c.name, c.state, c.autostart, k.valid_until
			FROM campaigns c JOIN calendars k ON k.id = c.calendar_id
			WHERE c.id = ?`, campaignID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		out = dialer.RunAfterAdd{Campaign: row.Name, Was: row.State, State: row.State, Autostart: row.Autostart}
		if ended := fromNullMS(row.ValidUntil); !ended.IsZero() && !now.Before(ended) {
			out.CalendarEnded = ended
		}
		if !row.Autostart || !out.CalendarEnded.IsZero() || (row.State != dialer.StateStopped && row.State != dialer.StateFinished) {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE campaigns SET state = 'running', state_changed_at = ? WHERE id = ?`,
			toMS(now), campaignID); err != nil {
			return err
		}
		out.State = dialer.StateRunning
		return nil
	})
	if err != nil {
		return dialer.RunAfterAdd{}, fmt.Errorf("campaign %d after adding members: %w", campaignID, err)
	}
	return out, nil
}
