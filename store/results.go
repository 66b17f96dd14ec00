package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/cause"
	"github.com/jmoiron/sqlx"
)

// FieldError is a request the store refused because of one field's value:
// Field names it as the API body does (e.g. "stop_communications[1]").
// Conflict is set when the value clashes with what is stored (a number
// of another member, an external key already used) rather than being
// wrong in itself.
type FieldError struct {
	Field    string
	Reason   string
	Conflict bool
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// ApplyMemberResult applies an agent application's result to a member in
// one transaction: counters, numbers, state and due time, the comment on
// its latest attempt, and a request to end that attempt's agent's
// wrap-up. A member in a call is refused with ErrCalling: its attempt's
// end would overwrite the result.
func (d *DB) ApplyMemberResult(ctx context.Context, memberID int64, r dialer.MemberResult) (dialer.ResultOutcome, error) {
	out := dialer.ResultOutcome{MemberID: memberID}
	now := d.now()
	err := d.tx(ctx, func(tx *sqlx.Tx) error {
		var m struct {
			State       dialer.MemberState `db:"state"`
			CampaignID  int64              `db:"campaign_id"`
			DueAt       int64              `db:"due_at"`
			Attempts    int                `db:"attempts"`
			EndCause    string             `db:"end_cause"`
			NextComm    sql.NullInt64      `db:"next_comm_id"`
			MaxAttempts int                `db:"max_attempts"`
			IntervalMS  int64              `db:"interval_ms"`
		}
		if err := tx.GetContext(ctx, &m, `
			SELECT m.state, m.campaign_id, m.due_at, m.attempts, m.end_cause, m.next_comm_id,
			       p.max_attempts, p.interval_ms
			FROM members m JOIN retry_policies p ON p.campaign_id = m.campaign_id
			WHERE m.id = ?`, memberID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		if m.State == dialer.MemberCalling {
			return ErrCalling
		}
		var last struct {
			ID      int64          `db:"id"`
			AgentID sql.NullInt64  `db:"agent_id"`
			Agent   sql.NullString `db:"agent"`
		}
		switch err := tx.GetContext(ctx, &last, `
			SELECT a.id, a.agent_id, g.name AS agent
			FROM attempts a LEFT JOIN agents g ON g.id = a.agent_id
			WHERE a.member_id = ? ORDER BY a.id DESC LIMIT 1`, memberID); {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("latest attempt: %w", err)
		}
		if r.ResetRetries {
			if _, err := tx.ExecContext(ctx, `UPDATE communications SET attempts = 0 WHERE member_id = ?`, memberID); err != nil {
				return fmt.Errorf("reset numbers: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `
				UPDATE members SET attempts = 0, minus = 0, cause_counts = '{}', day = '', day_attempts = 0, attempt_days = 0
				WHERE id = ?`, memberID); err != nil {
				return fmt.Errorf("reset counters: %w", err)
			}
			m.Attempts = 0
		}
		next, keep := m.NextComm, sql.NullInt64{}
		if r.NextNumber != "" {
			id, added, err := resultNumber(ctx, tx, memberID, m.CampaignID, r.NextNumber)
			if err != nil {
				return err
			}
			next, out.NumberAdded = sql.NullInt64{Int64: id, Valid: true}, added
			keep = next
		}
		if err := stopNumbers(ctx, tx, memberID, r, keep); err != nil {
			return err
		}
		var active int
		if err := tx.GetContext(ctx, &active, `
			SELECT count(*) FROM communications WHERE member_id = ? AND state = 'active'`, memberID); err != nil {
			return fmt.Errorf("count active numbers: %w", err)
		}
		if r.Uncount && last.ID != 0 {
			uncounted, err := uncountAttempt(ctx, tx, memberID, last.ID)
			if err != nil {
				return err
			}
			if uncounted {
				m.Attempts--
			}
		}
		state, due, end := m.State, fromMS(m.DueAt), m.EndCause
		switch {
		case r.Success:
			state, end = dialer.MemberDone, ""
		case r.EndCause != "":
			state, end = dialer.MemberFailed, r.EndCause
		case active == 0:
			state, end = dialer.MemberFailed, cause.MaxTryCount
		case m.Attempts >= m.MaxAttempts:
			state, end = dialer.MemberFailed, cause.MaxTryCount
		default:
			if r.NextAfter != nil {
				due = now.Add(*r.NextAfter)
			} else if state != dialer.MemberWaiting {
				due = now.Add(time.Duration(m.IntervalMS) * time.Millisecond)
			}
			state, end = dialer.MemberWaiting, ""
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE members SET state = ?, due_at = ?, end_cause = ?, next_comm_id = ?, updated_at = ? WHERE id = ?`,
			string(state), toMS(due), end, next, toMS(now), memberID); err != nil {
			return fmt.Errorf("update member: %w", err)
		}
		if state == dialer.MemberFailed && m.State != dialer.MemberFailed {
			if err := recordMemberFailed(ctx, tx, []int64{memberID}, toMS(now)); err != nil {
				return err
			}
		}
		out.State, out.DueAt, out.EndCause = state, due, end
		if last.ID == 0 {
			return nil
		}
		out.AttemptID = last.ID
		if _, err := tx.ExecContext(ctx, `
			UPDATE attempts SET result_success = ?, result_at = ?, comment = ? WHERE id = ?`,
			r.Success, toMS(now), r.Comment, last.ID); err != nil {
			return fmt.Errorf("record result on attempt %d: %w", last.ID, err)
		}
		if err := writeAttemptResult(ctx, tx, last.ID, r); err != nil {
			return err
		}
		if last.AgentID.Valid {
			out.Agent = last.Agent.String
			if _, err := tx.ExecContext(ctx, `
				UPDATE agents SET end_wrapup_at = CASE WHEN coalesce(end_wrapup_at, 0) + 1 > ?1 THEN coalesce(end_wrapup_at, 0) + 1 ELSE ?1 END
				WHERE id = ?2`, toMS(now), last.AgentID.Int64); err != nil {
				return fmt.Errorf("end wrap-up of agent %d: %w", last.AgentID.Int64, err)
			}
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("member %d result: %w", memberID, err)
	}
	return out, nil
}

// resultNumber finds or adds the member's next number: an existing one of
// the member is made active again; a new one goes ahead of the others. A
// number of another member of the campaign is a conflict.
func resultNumber(ctx context.Context, tx *sqlx.Tx, memberID, campaignID int64, number string) (int64, bool, error) {
	var c struct {
		ID       int64 `db:"id"`
		MemberID int64 `db:"member_id"`
	}
	err := tx.GetContext(ctx, &c, `
		SELECT c.id, c.member_id FROM campaign_numbers n JOIN communications c ON c.id = n.communication_id
		WHERE n.campaign_id = ? AND n.number = ?`, campaignID, number)
	switch {
	case err == nil && c.MemberID != memberID:
		return 0, false, &FieldError{Field: "next_communication", Conflict: true,
			Reason: fmt.Sprintf("%s belongs to member %d of the campaign", number, c.MemberID)}
	case err == nil:
		if _, err := tx.ExecContext(ctx, `UPDATE communications SET state = 'active' WHERE id = ?`, c.ID); err != nil {
			return 0, false, fmt.Errorf("reactivate %s: %w", number, err)
		}
		return c.ID, false, nil
	case !errors.Is(err, sql.ErrNoRows):
		return 0, false, fmt.Errorf("find %s: %w", number, err)
	}
	var id int64
	if err := tx.GetContext(ctx, &id, `
		INSERT INTO communications (member_id, campaign_id, number, type, position)
		VALUES (?, ?, ?, '', (SELECT coalesce(min(position), 1) - 1 FROM communications WHERE member_id = ?))
		RETURNING id`, memberID, campaignID, number, memberID); err != nil {
		return 0, false, fmt.Errorf("add %s: %w", number, err)
	}
	if err := addCampaignNumber(ctx, tx, campaignID, number, id); err != nil {
		return 0, false, fmt.Errorf("add %s: %w", number, err)
	}
	return id, true, nil
}

// stopNumbers stops the listed numbers of the member (each must be one of
// its numbers), or with StopAll every number but keep (the result's next
// number).
func stopNumbers(ctx context.Context, tx *sqlx.Tx, memberID int64, r dialer.MemberResult, keep sql.NullInt64) error {
	if r.StopAll {
		if _, err := tx.ExecContext(ctx, `
			UPDATE communications SET state = 'stopped' WHERE member_id = ? AND id IS DISTINCT FROM ?`, memberID, keep); err != nil {
			return fmt.Errorf("stop numbers: %w", err)
		}
		return nil
	}
	for i, n := range r.StopNumbers {
		if n == r.NextNumber {
			return &FieldError{Field: "stop_communications[" + strconv.Itoa(i) + "]",
				Reason: n + " is also the next_communication"}
		}
		res, err := tx.ExecContext(ctx, `UPDATE communications SET state = 'stopped' WHERE member_id = ? AND number = ?`,
			memberID, n)
		if err != nil {
			return fmt.Errorf("stop %s: %w", n, err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return &FieldError{Field: "stop_communications[" + strconv.Itoa(i) + "]",
				Reason: n + " is not a number of this member"}
		}
	}
	return nil
}

// WrapUpEnds lists the agents whose wrap-up a result asked to end.
func (d *DB) WrapUpEnds(ctx context.Context) ([]dialer.WrapUpEnd, error) {
	var rows []struct {
		ID int64 `db:"id"`
		At int64 `db:"end_wrapup_at"`
	}
	if err := d.db.SelectContext(ctx, &rows, `
		SELECT id, end_wrapup_at FROM agents
		WHERE end_wrapup_at IS NOT NULL AND (?1 = 0 OR daemon_id = ?1) ORDER BY id`, d.daemonID()); err != nil {
		return nil, fmt.Errorf("wrap-up ends: %w", err)
	}
	out := make([]dialer.WrapUpEnd, len(rows))
	for i, r := range rows {
		out[i] = dialer.WrapUpEnd{AgentID: r.ID, At: fromMS(r.At)}
	}
	return out, nil
}

// ClearWrapUpEnd removes an agent's wrap-up end request if it is still
// the one made at at.
func (d *DB) ClearWrapUpEnd(ctx context.Context, agentID int64, at time.Time) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE agents SET end_wrapup_at = NULL WHERE id = ? AND end_wrapup_at = ?`,
		agentID, toMS(at)); err != nil {
		return fmt.Errorf("clear wrap-up end of agent %d: %w", agentID, err)
	}
	return nil
}
