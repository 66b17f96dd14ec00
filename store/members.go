package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/jmoiron/sqlx"
)

// addCampaignNumber records a number added to a campaign, in the table
// that keeps numbers unique per campaign.
func addCampaignNumber(ctx context.Context, tx *sqlx.Tx, campaignID int64, number string, commID int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO campaign_numbers (campaign_id, number, communication_id) VALUES (?, ?, ?)`,
		campaignID, number, commID)
	if isUnique(err) {
		return fmt.Errorf("%s is already a number of the campaign", number)
	}
	return err
}

// CampaignNumbers calls fn with every number already in a campaign.
func (d *DB) CampaignNumbers(ctx context.Context, campaignID int64, fn func(number string)) error {
	rows, err := d.db.QueryContext(ctx, `SELECT number FROM campaign_numbers WHERE campaign_id = ?`, campaignID)
	if err != nil {
		return fmt.Errorf("read campaign numbers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return err
		}
		fn(n)
	}
	return rows.Err()
}

type memberRow struct {
	ID          int64          `db:"id"`
	CampaignID  int64          `db:"campaign_id"`
	State       string         `db:"state"`
	Priority    int            `db:"priority"`
	DueAt       int64          `db:"due_at"`
	Name        string         `db:"name"`
	Timezone    string         `db:"timezone"`
	ExpiresAt   sql.NullInt64  `db:"expires_at"`
	ExternalKey sql.NullString `db:"external_key"`
	Variables   string         `db:"variables"`
	Attempts    int            `db:"attempts"`
	Minus       int            `db:"minus"`
	CauseCounts string         `db:"cause_counts"`
	Day         string         `db:"day"`
	DayAttempts int            `db:"day_attempts"`
	AttemptDays int            `db:"attempt_days"`
	NextCommID  sql.NullInt64  `db:"next_comm_id"`
	LastCause   string         `db:"last_cause"`
	EndCause    string         `db:"end_cause"`
	CreatedAt   int64          `db:"created_at"`
	UpdatedAt   int64          `db:"updated_at"`
	NotBefore   int64          `db:"not_before"`
	Held        bool           `db:"held"`
}

const memberSelect = `SELECT id, campaign_id, state, priority, due_at, name, timezone, expires_at, external_key,
	variables, attempts, minus, cause_counts, day, day_attempts, attempt_days, next_comm_id,
	last_cause, end_cause, created_at, updated_at, not_before, held FROM members`

func (r memberRow) member() (dialer.Member, error) {
	m := dialer.Member{
		ID: r.ID, CampaignID: r.CampaignID, State: dialer.MemberState(r.State), Priority: r.Priority,
		DueAt: fromMS(r.DueAt), Name: r.Name, Timezone: r.Timezone, ExpiresAt: fromNullMS(r.ExpiresAt),
		ExternalKey: r.ExternalKey.String, Attempts: r.Attempts, Minus: r.Minus, Day: r.Day,
		DayAttempts: r.DayAttempts, AttemptDays: r.AttemptDays, NextCommID: r.NextCommID.Int64,
		LastCause: r.LastCause, EndCause: r.EndCause, CreatedAt: fromMS(r.CreatedAt), UpdatedAt: fromMS(r.UpdatedAt),
		NotBefore: fromMS(r.NotBefore), Held: r.Held,
	}
	if err := json.Unmarshal([]byte(r.Variables), &m.Variables); err != nil {
		return m, fmt.Errorf("member %d: stored variables: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(r.CauseCounts), &m.CauseCounts); err != nil {
		return m, fmt.Errorf("member %d: stored cause counts: %w", r.ID, err)
	}
	return m, nil
}

// MemberFilter selects members for list, reset and delete.
type MemberFilter struct {
	CampaignID int64              // 0 = every campaign
	State      dialer.MemberState // "" = every state
	AfterID    int64              // for paging: members with a larger id
	Limit      int                // 0 = no limit
}

func (f MemberFilter) where() (string, []any) {
	var conds []string
	var args []any
	if f.CampaignID != 0 {
		conds = append(conds, "campaign_id = ?")
		args = append(args, f.CampaignID)
	}
	if f.State != "" {
		conds = append(conds, "state = ?")
		args = append(args, string(f.State))
	}
	if f.AfterID != 0 {
		conds = append(conds, "id > ?")
		args = append(args, f.AfterID)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Members lists members with their numbers, by id.
func (d *DB) Members(ctx context.Context, f MemberFilter) ([]dialer.Member, error) {
	where, args := f.where()
	q := memberSelect + where + " ORDER BY id"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	var rows []memberRow
	if err := d.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	out := make([]dialer.Member, 0, len(rows))
	byID := map[int64]int{}
	ids := make([]any, 0, len(rows))
	for _, r := range rows {
		m, err := r.member()
		if err != nil {
			return nil, err
		}
		byID[m.ID] = len(out)
		ids = append(ids, m.ID)
		out = append(out, m)
	}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		var comms []commRow
		q := commSelect + ` WHERE member_id IN (` + strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ",") + `) ORDER BY member_id, position`
		if err := d.db.SelectContext(ctx, &comms, q, chunk...); err != nil {
			return nil, fmt.Errorf("list member numbers: %w", err)
		}
		for _, c := range comms {
			i := byID[c.MemberID]
			out[i].Communications = append(out[i].Communications, c.communication())
		}
	}
	return out, nil
}

type commRow struct {
	ID        int64  `db:"id"`
	MemberID  int64  `db:"member_id"`
	Number    string `db:"number"`
	Type      string `db:"type"`
	Position  int    `db:"position"`
	State     string `db:"state"`
	Attempts  int    `db:"attempts"`
	LastCause string `db:"last_cause"`
}

const commSelect = `SELECT id, member_id, number, type, position, state, attempts, last_cause FROM communications`

func (c commRow) communication() dialer.Communication {
	return dialer.Communication{ID: c.ID, Number: c.Number, Type: c.Type, Position: c.Position,
		State: c.State, Attempts: c.Attempts, LastCause: c.LastCause}
}

// Member returns one member with its numbers.
func (d *DB) Member(ctx context.Context, id int64) (*dialer.Member, error) {
	var row memberRow
	if err := d.db.GetContext(ctx, &row, memberSelect+` WHERE id = ?`, id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("member %d: %w", id, ErrNotFound)
		}
		return nil, fmt.Errorf("load member %d: %w", id, err)
	}
	m, err := row.member()
	if err != nil {
		return nil, err
	}
	var comms []commRow
	if err := d.db.SelectContext(ctx, &comms, commSelect+` WHERE member_id = ? ORDER BY position`, id); err != nil {
		return nil, fmt.Errorf("load member %d numbers: %w", id, err)
	}
	for _, c := range comms {
		m.Communications = append(m.Communications, c.communication())
	}
	return &m, nil
}

// MemberAttempts lists a member's attempts, oldest first.
func (d *DB) MemberAttempts(ctx context.Context, memberID int64) ([]dialer.Attempt, error) {
	var rows []attemptRow
	if err := d.db.SelectContext(ctx, &rows, attemptSelect+` WHERE member_id = ? ORDER BY id`, memberID); err != nil {
		return nil, fmt.Errorf("load attempts of member %d: %w", memberID, err)
	}
	out := make([]dialer.Attempt, len(rows))
	for i, r := range rows {
		out[i] = r.attempt()
	}
	return out, nil
}

// ErrCalling is returned when a change would touch a member that is in a call.
var ErrCalling = errors.New("member is in a call")

// ResetMembers makes the selected members due now with fresh counters and
// active numbers. Members in a call are left alone and counted in skipped.
// An id that names no member fails it all with an *UnknownError.
func (d *DB) ResetMembers(ctx context.Context, f MemberFilter, ids []int64) (reset, skipped int, err error) {
	err = d.tx(ctx, func(tx *sqlx.Tx) error {
		if err := requireIDs(ctx, tx, "member with id", "members", ids); err != nil {
			return err
		}
		where, args := selection(f, ids)
		if err := tx.GetContext(ctx, &skipped, `SELECT count(*) FROM members`+where+` AND state = 'calling'`, args...); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE communications SET state = 'active', attempts = 0, last_cause = ''
			WHERE member_id IN (SELECT id FROM members`+where+` AND state <> 'calling')`, args...)
		if err != nil {
			return err
		}
		res, err = tx.ExecContext(ctx, `
			UPDATE members SET state = 'waiting', due_at = 0, attempts = 0, minus = 0, cause_counts = '{}',
			       day = '', day_attempts = 0, attempt_days = 0, next_comm_id = NULL, end_cause = '', updated_at = ?`+
			where+` AND state <> 'calling'`, append([]any{toMS(d.now())}, args...)...)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		reset = int(n)
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("reset members: %w", err)
	}
	return reset, skipped, nil
}

// DeleteMembers deletes the selected members with their numbers and
// attempts. Members in a call are left alone and counted in skipped.
// An id that names no member fails it all with an *UnknownError.
func (d *DB) DeleteMembers(ctx context.Context, f MemberFilter, ids []int64) (deleted, skipped int, err error) {
	err = d.tx(ctx, func(tx *sqlx.Tx) error {
		if err := requireIDs(ctx, tx, "member with id", "members", ids); err != nil {
			return err
		}
		where, args := selection(f, ids)
		if err := tx.GetContext(ctx, &skipped, `SELECT count(*) FROM members`+where+` AND state = 'calling'`, args...); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM members`+where+` AND state <> 'calling'`, args...)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		deleted = int(n)
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("delete members: %w", err)
	}
	return deleted, skipped, nil
}

// selection is a WHERE clause for a filter or an explicit id list; it
// always ends in a condition so callers can append " AND ...".
func selection(f MemberFilter, ids []int64) (string, []any) {
	where, args := f.where()
	if where == "" {
		where = " WHERE 1 = 1"
	}
	if len(ids) > 0 {
		where += " AND id IN (" + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + ")"
		for _, id := range ids {
			args = append(args, id)
		}
	}
	return where, args
}

// DueMember is a member ready to be claimed, in claim order.
type DueMember struct {
	ID       int64 `db:"id"`
	Priority int   `db:"priority"`
	DueAt    int64 `db:"due_at"`
}

// dueQuery takes the first due members of one priority in claim order
// (due time, the campaign's sort key, insertion order) with one range scan
// of members_claimable, which leaves held members out and carries
// not_before, so a member whose window has not begun is skipped without
// reading its row. Its values go in as "+?" (see dataSource): it runs up
// to five times per dispatch. A member with no sort key (NULL) comes
// first: SQLite's order for NULL, which PostgreSQL's index and this text
// spell out.
const dueQuery = `
	SELECT id, priority, due_at FROM members
	WHERE campaign_id = +?1 AND state = 'waiting' AND priority = +?2 AND due_at <= +?3
	  AND held = 0 AND not_before <= +?3
	ORDER BY due_at, sort_key NULLS FIRST, id
	LIMIT +?4`

// dueQueryPostgres is dueQuery for the five priorities in one statement,
// for PostgreSQL, where every statement is a round trip: the same range
// scan of members_claimable per priority, each in claim order, merged in
// priority order and cut at the limit (?3), the campaign ?1, now ?2.
var dueQueryPostgres = func() string {
	parts := make([]string, 0, 5)
	for prio := 1; prio <= 5; prio++ {
		parts = append(parts, fmt.Sprintf(`
	(SELECT id, priority, due_at, sort_key FROM members
	 WHERE campaign_id = ?1 AND state = 'waiting' AND priority = %d AND due_at <= ?2
	   AND held = 0 AND not_before <= ?2
	 ORDER BY due_at, sort_key NULLS FIRST, id
	 LIMIT ?3)`, prio))
	}
	return `SELECT id, priority, due_at FROM (` + strings.Join(parts, `
	UNION ALL`) + `) due
	ORDER BY priority, due_at, sort_key NULLS FIRST, id
	LIMIT ?3`
}()

// DueMembers returns up to limit members of a campaign that are due at
// now, in claim order: priority 1 first, then 2, and so on. Calendar
// windows, filters and caps are the engine's business; this is the indexed
// first cut.
func (d *DB) DueMembers(ctx context.Context, campaignID int64, now time.Time, limit int) ([]DueMember, error) {
	var out []DueMember
	if d.pg() {
		if err := d.due.SelectContext(ctx, &out, campaignID, toMS(now), limit); err != nil {
			return nil, fmt.Errorf("due members of campaign %d: %w", campaignID, err)
		}
		return out, nil
	}
	for prio := 1; prio <= 5 && len(out) < limit; prio++ {
		var part []DueMember
		if err := d.due.SelectContext(ctx, &part, campaignID, prio, toMS(now), limit-len(out)); err != nil {
			return nil, fmt.Errorf("due members of campaign %d: %w", campaignID, err)
		}
		out = append(out, part...)
	}
	return out, nil
}

// NextDue returns when the campaign's next waiting member falls due
// (the zero time when none is waiting).
func (d *DB) NextDue(ctx context.Context, campaignID int64) (time.Time, error) {
	var ms sql.NullInt64
	if err := d.db.GetContext(ctx, &ms, `SELECT min(due_at) FROM members WHERE campaign_id = ? AND state = 'waiting'`, campaignID); err != nil {
		return time.Time{}, fmt.Errorf("next due member of campaign %d: %w", campaignID, err)
	}
	if !ms.Valid {
		return time.Time{}, nil
	}
	return fromMS(ms.Int64), nil
}
