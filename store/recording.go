package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/fsdialer/dialer/dialer"
	"github.com/jmoiron/sqlx"
)

// writeRecordSettings stores a campaign's recording and capture settings,
// in the transaction that wrote the campaign.
func writeRecordSettings(ctx context.Context, tx *sqlx.Tx, id int64, c *dialer.Campaign) error {
	if _, err := tx.ExecContext(ctx, `
		UPDATE campaigns SET record_when = ?, record_path = ?, record_stereo = ?, ivr_capture = ?
		WHERE id = ?`,
		c.Record.When, c.Record.Path, c.Record.Stereo, mustJSON(nonNilStrings(c.IVR.Capture)), id); err != nil {
		return fmt.Errorf("write recording settings: %w", err)
	}
	return nil
}

// loadRecordSettings reads back what writeRecordSettings stored.
func loadRecordSettings(ctx context.Context, q sqlx.QueryerContext, c *dialer.Campaign) error {
	var row struct {
		When    string `db:"record_when"`
		Path    string `db:"record_path"`
		Stereo  bool   `db:"record_stereo"`
		Capture string `db:"ivr_capture"`
	}
	if err := sqlx.GetContext(ctx, q, &row,
		`SELECT record_when, record_path, record_stereo, ivr_capture FROM campaigns WHERE id = ?`, c.ID); err != nil {
		return fmt.Errorf("campaign %s recording settings: %w", c.Name, err)
	}
	c.Record = dialer.RecordSpec{When: row.When, Path: row.Path, Stereo: row.Stereo}
	if err := json.Unmarshal([]byte(row.Capture), &c.IVR.Capture); err != nil {
		return fmt.Errorf("campaign %s: stored ivr capture: %w", c.Name, err)
	}
	if len(c.IVR.Capture) == 0 {
		c.IVR.Capture = nil
	}
	return nil
}

// MarkRecording records the file a live attempt's call is being recorded to.
func (d *DB) MarkRecording(ctx context.Context, attemptID int64, path string) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE attempts SET recording_path = ? WHERE id = ?`, path, attemptID); err != nil {
		return fmt.Errorf("mark recording of attempt %d: %w", attemptID, err)
	}
	return nil
}

// writeCaptured stores the variables an attempt's call set, in the
// transaction that finished it (before its release callback is built).
func writeCaptured(ctx context.Context, tx *sqlx.Tx, e dialer.AttemptEnd) error {
	if len(e.Captured) == 0 {
		return nil
	}
	b, err := json.Marshal(e.Captured)
	if err != nil {
		return fmt.Errorf("encode captured variables of attempt %d: %w", e.AttemptID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE attempts SET captured = ? WHERE id = ?`, string(b), e.AttemptID); err != nil {
		return fmt.Errorf("record captured variables of attempt %d: %w", e.AttemptID, err)
	}
	return nil
}

// recordingOf and capturedOf turn the stored columns into an attempt's
// fields: nil for no recording, an empty map for nothing captured.
func recordingOf(path string) *string {
	if path == "" {
		return nil
	}
	return &path
}

func capturedOf(raw string) map[string]string {
	out := map[string]string{}
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		// Only writeCaptured writes the column, with json.Marshal of a
		// map: anything else was edited by hand and reads as nothing.
		return map[string]string{}
	}
	return out
}
