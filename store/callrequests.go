package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/fsdialer/dialer/dialer"
)

// RequestCall records a click-to-call for the daemon to take; it returns
// the request's id.
func (d *DB) RequestCall(ctx context.Context, r dialer.CallRequest) (int64, error) {
	var campaign, member any
	if r.CampaignID != 0 {
		campaign = r.CampaignID
	}
	if r.MemberID != 0 {
		member = r.MemberID
	}
	var id int64
	if err := d.db.GetContext(ctx, &id, `
		INSERT INTO call_requests (campaign_id, agent_id, member_id, number, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, campaign, r.AgentID, member, r.Number, toMS(d.now())); err != nil {
		return 0, fmt.Errorf("record call request: %w", err)
	}
	return id, nil
}

type callRequestRow struct {
	ID         int64         `db:"id"`
	CampaignID sql.NullInt64 `db:"campaign_id"`
	AgentID    int64         `db:"agent_id"`
	MemberID   sql.NullInt64 `db:"member_id"`
	Number     string        `db:"number"`
	State      string        `db:"state"`
	Reason     string        `db:"reason"`
	AttemptID  sql.NullInt64 `db:"attempt_id"`
	CallUUID   string        `db:"call_uuid"`
	CreatedAt  int64         `db:"created_at"`
	HandledAt  sql.NullInt64 `db:"handled_at"`
	AnsweredAt sql.NullInt64 `db:"answered_at"`
	EndedAt    sql.NullInt64 `db:"ended_at"`
	Cause      string        `db:"cause"`
	BillsecMS  int64         `db:"billsec_ms"`
}

const callRequestSelect = `
	SELECT id, campaign_id, agent_id, member_id, number, state, reason, attempt_id, call_uuid,
	       created_at, handled_at, answered_at, ended_at, cause, billsec_ms
	FROM call_requests`

func (r callRequestRow) request() dialer.CallRequest {
	return dialer.CallRequest{ID: r.ID, CampaignID: r.CampaignID.Int64, AgentID: r.AgentID, MemberID: r.MemberID.Int64,
		Number: r.Number, State: r.State, Reason: r.Reason, AttemptID: r.AttemptID.Int64, CallUUID: r.CallUUID,
		CreatedAt: fromMS(r.CreatedAt), HandledAt: fromNullMS(r.HandledAt), AnsweredAt: fromNullMS(r.AnsweredAt),
		EndedAt: fromNullMS(r.EndedAt), Cause: r.Cause, BillsecMS: r.BillsecMS}
}

// CallRequest returns one click-to-call request.
func (d *DB) CallRequest(ctx context.Context, id int64) (dialer.CallRequest, error) {
	var row callRequestRow
	if err := d.db.GetContext(ctx, &row, callRequestSelect+` WHERE id = ?`, id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return dialer.CallRequest{}, fmt.Errorf("call request %d: %w", id, ErrNotFound)
		}
		return dialer.CallRequest{}, fmt.Errorf("load call request %d: %w", id, err)
	}
	return row.request(), nil
}

// PendingCallRequests lists the requests the daemon has not taken yet,
// oldest first.
func (d *DB) PendingCallRequests(ctx context.Context) ([]dialer.CallRequest, error) {
	var rows []callRequestRow
	// With several daemons, each takes the requests of its own agents.
	if err := d.db.SelectContext(ctx, &rows, callRequestSelect+`
		WHERE state = 'pending' AND (?1 = 0 OR agent_id IN (SELECT id FROM agents WHERE daemon_id = ?1))
		ORDER BY id`, d.daemonID()); err != nil {
		return nil, fmt.Errorf("pending call requests: %w", err)
	}
	out := make([]dialer.CallRequest, len(rows))
	for i, r := range rows {
		out[i] = r.request()
	}
	return out, nil
}

// AnswerCallRequest records what the daemon did with a pending request:
// started (with the attempt, for a campaign call, and the call's uuid) or
// refused with a reason.
func (d *DB) AnswerCallRequest(ctx context.Context, id int64, state, reason string, attemptID int64, callUUID string) error {
	var attempt any
	if attemptID != 0 {
		attempt = attemptID
	}
	if _, err := d.db.ExecContext(ctx, `
		UPDATE call_requests SET state = ?, reason = ?, attempt_id = ?, call_uuid = ?, handled_at = ?
		WHERE id = ? AND state = 'pending'`, state, reason, attempt, callUUID, toMS(d.now()), id); err != nil {
		return fmt.Errorf("answer call request %d: %w", id, err)
	}
	return nil
}

// FinishManualCall records how a manual call ended.
func (d *DB) FinishManualCall(ctx context.Context, id int64, answeredAt, endedAt time.Time, cause string, billsec time.Duration) error {
	if _, err := d.db.ExecContext(ctx, `
		UPDATE call_requests SET answered_at = ?, ended_at = ?, cause = ?, billsec_ms = ?
		WHERE id = ? AND campaign_id IS NULL AND ended_at IS NULL`,
		nullMS(answeredAt), toMS(endedAt), cause, billsec.Milliseconds(), id); err != nil {
		return fmt.Errorf("finish manual call %d: %w", id, err)
	}
	return nil
}

// LoseManualCalls ends the manual calls a previous run started and never
// saw end (a crash, or a drain that ran out) as DIALER_LOST, and returns
// how many there were. The daemon calls it on start, before any call. On
// a database other live daemons share, their manual calls may be up: none
// is ended then.
func (d *DB) LoseManualCalls(ctx context.Context, at time.Time) (int, error) {
	if others, err := d.othersAlive(ctx, at); err != nil || others {
		return 0, err
	}
	res, err := d.db.ExecContext(ctx, `
		UPDATE call_requests SET ended_at = ?, cause = 'DIALER_LOST'
		WHERE campaign_id IS NULL AND state = 'started' AND ended_at IS NULL`, toMS(at))
	if err != nil {
		return 0, fmt.Errorf("end lost manual calls: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
