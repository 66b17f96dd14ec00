package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/jsontime"
	"github.com/jmoiron/sqlx"
)

// LiveCall is a call in progress as the store knows it: an attempt that is
// not final yet, or a manual call (click-to-call outside a campaign) that
// has not ended.
type LiveCall struct {
	// AttemptID, CampaignID, Campaign, MemberID and Member are zero or
	// empty for a manual call.
	AttemptID  int64  `json:"attempt_id,omitempty"`
	CampaignID int64  `json:"campaign_id,omitempty"`
	Campaign   string `json:"campaign"`
	MemberID   int64  `json:"member_id,omitempty"`
	Member     string `json:"member"`
	Number     string `json:"number"`
	// UUID is the customer leg's; AgentUUID the agent leg's (agent modes
	// and manual calls), "" when none was placed.
	UUID      string `json:"uuid"`
	AgentUUID string `json:"agent_uuid,omitempty"`
	// State is calling (placed, not answered), agent_ringing or
	// agent_answered (an agent leg before the customer answered),
	// answered, or bridged (to an agent).
	State     string    `json:"state"`
	StartedAt time.Time `json:"started_at"`
	Agent     string    `json:"agent,omitempty"`
}

// MarshalJSON writes the call with jsontime's times, as the dialer's
// other JSON output.
func (c LiveCall) MarshalJSON() ([]byte, error) { return jsontime.Struct(c) }

type liveCallRow struct {
	AttemptID  int64  `db:"attempt_id"`
	CampaignID int64  `db:"campaign_id"`
	Campaign   string `db:"campaign"`
	MemberID   int64  `db:"member_id"`
	Member     string `db:"member"`
	Number     string `db:"number"`
	UUID       string `db:"uuid"`
	AgentUUID  string `db:"agent_uuid"`
	State      string `db:"state"`
	StartedAt  int64  `db:"started_at"`
	Agent      string `db:"agent"`
}

// LiveCalls lists the calls in progress, oldest first: those of one
// campaign, or with campaignID 0 every campaign's and the manual calls.
func (d *DB) LiveCalls(ctx context.Context, campaignID int64) ([]LiveCall, error) {
	var rows []liveCallRow
	err := d.db.SelectContext(ctx, &rows, `
		SELECT a.id AS attempt_id, a.campaign_id, c.name AS campaign, a.member_id, m.name AS member,
		       a.number, a.uuid, a.agent_uuid,
		       CASE WHEN a.bridged_at IS NOT NULL THEN 'bridged'
		            WHEN a.answered_at IS NOT NULL THEN 'answered'
		            WHEN a.agent_answered_at IS NOT NULL THEN 'agent_answered'
		            WHEN a.agent_ringing_at IS NOT NULL THEN 'agent_ringing'
		            ELSE 'calling' END AS state,
		       a.created_at AS started_at, coalesce(g.name, '') AS agent
		FROM attempts a
		JOIN campaigns c ON c.id = a.campaign_id
		JOIN members m ON m.id = a.member_id
		LEFT JOIN agents g ON g.id = a.agent_id
		WHERE a.final = 0 AND (?1 = 0 OR a.campaign_id = ?1)
		UNION ALL
		SELECT 0, 0, '', 0, '', r.number, r.call_uuid, '',
		       CASE WHEN r.answered_at IS NOT NULL THEN 'answered' ELSE 'calling' END,
		       coalesce(r.handled_at, r.created_at), g.name
		FROM call_requests r
		JOIN agents g ON g.id = r.agent_id
		WHERE ?1 = 0 AND r.campaign_id IS NULL AND r.state = 'started' AND r.ended_at IS NULL
		ORDER BY started_at, attempt_id`, campaignID)
	if err != nil {
		return nil, fmt.Errorf("list calls in progress: %w", err)
	}
	out := make([]LiveCall, len(rows))
	for i, r := range rows {
		out[i] = LiveCall{AttemptID: r.AttemptID, CampaignID: r.CampaignID, Campaign: r.Campaign, MemberID: r.MemberID,
			Member: r.Member, Number: r.Number, UUID: r.UUID, AgentUUID: r.AgentUUID, State: r.State,
			StartedAt: fromMS(r.StartedAt), Agent: r.Agent}
	}
	return out, nil
}

// RequestHangups records one hang-up request per uuid, all or none, for
// the daemon to take, and returns their ids in order.
func (d *DB) RequestHangups(ctx context.Context, uuids []string, cause string) ([]int64, error) {
	ids := make([]int64, 0, len(uuids))
	err := d.tx(ctx, func(tx *sqlx.Tx) error {
		for _, u := range uuids {
			var id int64
			if err := tx.GetContext(ctx, &id, `
				INSERT INTO hangup_requests (uuid, cause, created_at) VALUES (?, ?, ?) RETURNING id`,
				u, cause, toMS(d.now())); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record hang-up requests: %w", err)
	}
	return ids, nil
}

type hangupRow struct {
	ID        int64         `db:"id"`
	UUID      string        `db:"uuid"`
	Cause     string        `db:"cause"`
	State     string        `db:"state"`
	Reason    string        `db:"reason"`
	CreatedAt int64         `db:"created_at"`
	HandledAt sql.NullInt64 `db:"handled_at"`
}

const hangupSelect = `SELECT id, uuid, cause, state, reason, created_at, handled_at FROM hangup_requests`

func (r hangupRow) request() dialer.HangupRequest {
	return dialer.HangupRequest{ID: r.ID, UUID: r.UUID, Cause: r.Cause, State: r.State, Reason: r.Reason,
		CreatedAt: fromMS(r.CreatedAt), HandledAt: fromNullMS(r.HandledAt)}
}

// HangupRequest returns one hang-up request.
func (d *DB) HangupRequest(ctx context.Context, id int64) (dialer.HangupRequest, error) {
	var r hangupRow
	if err := d.db.GetContext(ctx, &r, hangupSelect+` WHERE id = ?`, id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return dialer.HangupRequest{}, fmt.Errorf("hang-up request %d: %w", id, ErrNotFound)
		}
		return dialer.HangupRequest{}, fmt.Errorf("load hang-up request %d: %w", id, err)
	}
	return r.request(), nil
}

// PendingHangups lists the hang-up requests the daemon has not taken yet,
// oldest first.
func (d *DB) PendingHangups(ctx context.Context) ([]dialer.HangupRequest, error) {
	var rows []hangupRow
	// With several daemons, each takes the requests for its own calls:
	// its attempts' legs and its agents' manual calls.
	if err := d.db.SelectContext(ctx, &rows, hangupSelect+` h
		WHERE h.state = 'pending'
		  AND (?1 = 0
		       OR EXISTS (SELECT 1 FROM attempts a WHERE a.final = 0 AND a.daemon_id = ?1
		                                             AND (a.uuid = h.uuid OR a.agent_uuid = h.uuid))
		       OR EXISTS (SELECT 1 FROM call_requests r JOIN agents g ON g.id = r.agent_id
		                  WHERE g.daemon_id = ?1 AND r.call_uuid = h.uuid))
		ORDER BY h.id`, d.daemonID()); err != nil {
		return nil, fmt.Errorf("pending hang-up requests: %w", err)
	}
	out := make([]dialer.HangupRequest, len(rows))
	for i, r := range rows {
		out[i] = r.request()
	}
	return out, nil
}

// AnswerHangup records what the daemon did with a pending hang-up
// request: done, or failed with the reason.
func (d *DB) AnswerHangup(ctx context.Context, id int64, state, reason string) error {
	if _, err := d.db.ExecContext(ctx, `
		UPDATE hangup_requests SET state = ?, reason = ?, handled_at = ? WHERE id = ? AND state = 'pending'`,
		state, reason, toMS(d.now()), id); err != nil {
		return fmt.Errorf("answer hang-up request %d: %w", id, err)
	}
	return nil
}
