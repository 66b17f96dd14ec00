package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/schedule"
	"github.com/jmoiron/sqlx"
)

// ScheduledCampaigns returns every campaign with a start or a stop cron
// expression, by name, with the zone of its calendar.
func (d *DB) ScheduledCampaigns(ctx context.Context) ([]schedule.Scheduled, error) {
	var rows []struct {
		Name     string `db:"name"`
		Start    string `db:"cron_start"`
		Stop     string `db:"cron_stop"`
		Timezone string `db:"timezone"`
	}
	if err := d.db.SelectContext(ctx, &rows, `
		SELECT c.name, c.cron_start, c.cron_stop, cal.timezone
		FROM campaigns c
		JOIN calendars cal ON cal.id = c.calendar_id
		WHERE c.cron_start <> '' OR c.cron_stop <> ''
		ORDER BY c.name`); err != nil {
		return nil, fmt.Errorf("scheduled campaigns: %w", err)
	}
	zones := map[string]*time.Location{}
	out := make([]schedule.Scheduled, 0, len(rows))
	for _, r := range rows {
		loc, ok := zones[r.Timezone]
		if !ok {
			var err error
			if loc, err = time.LoadLocation(r.Timezone); err != nil {
				return nil, fmt.Errorf("scheduled campaigns: campaign %s: calendar timezone: %w", r.Name, err)
			}
			zones[r.Timezone] = loc
		}
		out = append(out, schedule.Scheduled{Name: r.Name, Start: r.Start, Stop: r.Stop, Location: loc})
	}
	return out, nil
}

// TransitionCampaign sets a campaign's run state to `to` only if its
// current state is one of from, in one transaction, so that a change made
// meanwhile (an operator's pause) is never overwritten. It returns the
// state found and whether it was changed.
func (d *DB) TransitionCampaign(ctx context.Context, name string, to dialer.State, from ...dialer.State) (dialer.State, bool, error) {
	var prev dialer.State
	changed := false
	err := d.tx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &prev, `SELECT state FROM campaigns WHERE name = ?`, name); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("campaign %s: %w", name, ErrNotFound)
			}
			return err
		}
		if prev == to || !slices.Contains(from, prev) {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE campaigns SET state = ?, state_changed_at = ? WHERE name = ?`,
			string(to), toMS(d.now()), name); err != nil {
			return err
		}
		changed = true
		return nil
	})
	if err != nil {
		return "", false, fmt.Errorf("set campaign %s %s: %w", name, to, err)
	}
	return prev, changed, nil
}
