package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/jmoiron/sqlx"
)

// writeAMD stores a campaign's answering-machine detection settings.
func writeAMD(ctx context.Context, tx *sqlx.Tx, campaignID int64, c *dialer.Campaign) error {
	if _, err := tx.ExecContext(ctx, `UPDATE campaigns SET amd = ? WHERE id = ?`, mustJSON(c.AMD), campaignID); err != nil {
		return fmt.Errorf("write amd settings: %w", err)
	}
	return nil
}

// loadAMD reads what writeAMD stored into c.
func loadAMD(ctx context.Context, q sqlx.QueryerContext, campaignID int64, c *dialer.Campaign) error {
	var raw string
	if err := sqlx.GetContext(ctx, q, &raw, `SELECT amd FROM campaigns WHERE id = ?`, campaignID); err != nil {
		return fmt.Errorf("campaign %s amd settings: %w", c.Name, err)
	}
	if err := json.Unmarshal([]byte(raw), &c.AMD); err != nil {
		return fmt.Errorf("campaign %s: stored amd settings: %w", c.Name, err)
	}
	return nil
}

// MarkAMD records the answering-machine verdict of a live attempt
// (human, machine or unknown) and how long after the answer it came. A
// repeated mark keeps the first.
func (d *DB) MarkAMD(ctx context.Context, attemptID int64, result string, took time.Duration) error {
	switch result {
	case dialer.AMDHuman, dialer.AMDMachine, dialer.AMDUnknown:
	default:
		return fmt.Errorf("mark attempt %d amd: %q is not a verdict", attemptID, result)
	}
	if _, err := d.db.ExecContext(ctx, `UPDATE attempts SET amd_result = ?, amd_ms = ? WHERE id = ? AND amd_result = ''`,
		result, took.Milliseconds(), attemptID); err != nil {
		return fmt.Errorf("mark attempt %d amd: %w", attemptID, err)
	}
	return nil
}

// AMDResult is an attempt's answering-machine verdict as stored: "" when
// no detection ran, and the time it took.
func (d *DB) AMDResult(ctx context.Context, attemptID int64) (string, time.Duration, error) {
	var row struct {
		Result string `db:"amd_result"`
		MS     *int64 `db:"amd_ms"`
	}
	err := d.db.GetContext(ctx, &row, `SELECT amd_result, amd_ms FROM attempts WHERE id = ?`, attemptID)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return "", 0, fmt.Errorf("attempt %d amd result: %w", attemptID, err)
	}
	var took time.Duration
	if row.MS != nil {
		took = time.Duration(*row.MS) * time.Millisecond
	}
	return row.Result, took, nil
}
