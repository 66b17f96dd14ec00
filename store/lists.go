package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/fsdialer/dialer/dialer"
)

// AttemptFilter selects a campaign's attempts for a list, by id.
type AttemptFilter struct {
	CampaignID int64
	Class      string           // "" = every class
	Cause      string           // "" = every cause
	Range      dialer.TimeRange // by when the attempt began
	AfterID    int64            // for paging: attempts with a larger id
	Limit      int              // 0 = no limit
}

// attemptRow is an attempt as stored.
type attemptRow struct {
	ID         int64         `db:"id"`
	CampaignID int64         `db:"campaign_id"`
	MemberID   int64         `db:"member_id"`
	CommID     sql.NullInt64 `db:"communication_id"`
	Number     string        `db:"number"`
	UUID       string        `db:"uuid"`
	AgentID    sql.NullInt64 `db:"agent_id"`
	Node       string        `db:"node"`
	Final      bool          `db:"final"`
	CreatedAt  int64         `db:"created_at"`
	AnsweredAt sql.NullInt64 `db:"answered_at"`
	EndedAt    sql.NullInt64 `db:"ended_at"`
	Cause      string        `db:"cause"`
	Q850       sql.NullInt64 `db:"q850"`
	BillsecMS  int64         `db:"billsec_ms"`
	Class      string        `db:"class"`
	Counted    bool          `db:"counted"`
	Result     string        `db:"business_result"`
	Recording  string        `db:"recording_path"`
	Captured   string        `db:"captured"`
}

// attemptSelect reads attemptRow's columns; add the WHERE.
const attemptSelect = `
	SELECT id, campaign_id, member_id, communication_id, number, uuid, agent_id, node, final, created_at,
	       answered_at, ended_at, cause, q850, billsec_ms, class, counted, business_result,
	       recording_path, captured
	FROM attempts`

func (r attemptRow) attempt() dialer.Attempt {
	return dialer.Attempt{ID: r.ID, CampaignID: r.CampaignID, MemberID: r.MemberID, CommunicationID: r.CommID.Int64,
		Number: r.Number, UUID: r.UUID, AgentID: r.AgentID.Int64, Node: r.Node, Final: r.Final, CreatedAt: fromMS(r.CreatedAt),
		AnsweredAt: fromNullMS(r.AnsweredAt), EndedAt: fromNullMS(r.EndedAt), Cause: r.Cause, Q850: int(r.Q850.Int64),
		Billsec: time.Duration(r.BillsecMS) * time.Millisecond, Class: r.Class, Counted: r.Counted, BusinessResult: r.Result,
		RecordingPath: recordingOf(r.Recording), Captured: capturedOf(r.Captured)}
}

// Attempts lists a campaign's attempts by id, filtered by class, cause and
// the time they began, a page at a time (AfterID, Limit).
func (d *DB) Attempts(ctx context.Context, f AttemptFilter) ([]dialer.Attempt, error) {
	since, until := int64(math.MinInt64), int64(math.MaxInt64)
	if !f.Range.Since.IsZero() {
		since = toMS(f.Range.Since)
	}
	if !f.Range.Until.IsZero() {
		until = toMS(f.Range.Until)
	}
	limit := int64(math.MaxInt64) // no limit
	if f.Limit > 0 {
		limit = int64(f.Limit)
	}
	var rows []attemptRow
	if err := d.db.SelectContext(ctx, &rows, attemptSelect+`
		WHERE campaign_id = ?1 AND id > ?2
		  AND (?3 = '' OR class = ?3)
		  AND (?4 = '' OR cause = ?4)
		  AND created_at >= ?5 AND created_at < ?6
		ORDER BY id
		LIMIT ?7`,
		f.CampaignID, f.AfterID, f.Class, f.Cause, since, until, limit,
	); err != nil {
		return nil, fmt.Errorf("list attempts of campaign %d: %w", f.CampaignID, err)
	}
	out := make([]dialer.Attempt, len(rows))
	for i, r := range rows {
		out[i] = r.attempt()
	}
	return out, nil
}
