package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/fsdialer/dialer/dialer"
	"github.com/jmoiron/sqlx"
)

// writePredictive stores a campaign's predictive and abandon settings.
func writePredictive(ctx context.Context, tx *sqlx.Tx, campaignID int64, c *dialer.Campaign) error {
	if _, err := tx.ExecContext(ctx, `UPDATE campaigns SET predictive = ?, abandon = ? WHERE id = ?`,
		mustJSON(c.Predictive), mustJSON(c.Abandon), campaignID); err != nil {
		return fmt.Errorf("write predictive settings: %w", err)
	}
	return nil
}

// loadPredictive reads what writePredictive stored into c.
func loadPredictive(ctx context.Context, q sqlx.QueryerContext, campaignID int64, c *dialer.Campaign) error {
	var row struct {
		Predictive string `db:"predictive"`
		Abandon    string `db:"abandon"`
	}
	if err := sqlx.GetContext(ctx, q, &row, `SELECT predictive, abandon FROM campaigns WHERE id = ?`, campaignID); err != nil {
		return fmt.Errorf("campaign %s predictive settings: %w", c.Name, err)
	}
	if err := json.Unmarshal([]byte(row.Predictive), &c.Predictive); err != nil {
		return fmt.Errorf("campaign %s: stored predictive settings: %w", c.Name, err)
	}
	if err := json.Unmarshal([]byte(row.Abandon), &c.Abandon); err != nil {
		return fmt.Errorf("campaign %s: stored abandon settings: %w", c.Name, err)
	}
	return nil
}

// SetAgentSessionLeg records the uuid of an agent's persistent session
// leg ("" once it ended), before it is originated.
func (d *DB) SetAgentSessionLeg(ctx context.Context, agentID int64, uuid string) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE agents SET session_leg = ? WHERE id = ?`, uuid, agentID); err != nil {
		return fmt.Errorf("record session leg of agent %d: %w", agentID, err)
	}
	return nil
}

// AgentSessionLegs returns the session legs recorded, by agent id.
func (d *DB) AgentSessionLegs(ctx context.Context) (map[int64]string, error) {
	var rows []struct {
		ID  int64  `db:"id"`
		Leg string `db:"session_leg"`
	}
	if err := d.db.SelectContext(ctx, &rows, `
		SELECT id, session_leg FROM agents WHERE session_leg <> '' AND (?1 = 0 OR daemon_id = ?1)`, d.daemonID()); err != nil {
		return nil, fmt.Errorf("session legs: %w", err)
	}
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Leg
	}
	return out, nil
}
