package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// ExportMember is one member of a campaign as exported.
type ExportMember struct {
	ID          int64
	ExternalKey string
	Name        string
	State       string
	Priority    int
	Attempts    int // counted attempts
	EndCause    string
	LastCause   string
	DueAt       time.Time // zero: due at once
	Numbers     []string  // E.164, in the member's number order
	Variables   json.RawMessage
	Held        bool      // on hold (dialer member hold)
	NotBefore   time.Time // zero: no call window start
}

// ExportAttempt is one attempt of a campaign as exported.
type ExportAttempt struct {
	ID             int64
	MemberID       int64
	ExternalKey    string
	Number         string
	UUID           string
	Final          bool
	CreatedAt      time.Time
	AnsweredAt     time.Time // zero: not answered
	EndedAt        time.Time // zero: not ended yet
	Cause          string
	Q850           int // 0: unknown
	Billsec        time.Duration
	Class          string
	Counted        bool
	BusinessResult string
	Agent          string // the agent's name; "" when no agent took part
	// RecordingPath is the call's recording file, "" when not recorded.
	RecordingPath string
	// Captured are the ivr.capture variables the call set; CaptureNames
	// is the campaign's ivr.capture list (the same on every row), which
	// gives a CSV export its capture_<name> columns.
	Captured     map[string]string
	CaptureNames []string
	// AMDResult is the answering-machine verdict ("" when no detection
	// ran) and AMD how long after the answer it came (see amd.go).
	AMDResult string
	AMD       *time.Duration
}

// ExportMembers calls fn with every member of a campaign, by id. Rows are
// streamed from one query, so memory does not grow with the campaign. An
// error from fn stops the export and is returned as it is.
func (d *DB) ExportMembers(ctx context.Context, campaignID int64, fn func(ExportMember) error) error {
	// NOT INDEXED: SQLite walks the table in id order instead of letting
	// the planner pick members_due and sort the whole campaign before the
	// first row.
	rows, err := d.db.QueryContext(ctx, `
		SELECT m.id, coalesce(m.external_key, ''), m.name, m.state, m.priority, m.attempts,
		       m.end_cause, m.last_cause, m.due_at,
		       coalesce((SELECT string_agg(c.number, ';' ORDER BY c.position, c.id)
		                 FROM communications c WHERE c.member_id = m.id), ''),
		       m.variables, m.held, m.not_before
		FROM members m`+d.dialect.pick(" NOT INDEXED", "")+`
		WHERE m.campaign_id = ?
		ORDER BY m.id`, campaignID)
	if err != nil {
		return fmt.Errorf("export members of campaign %d: %w", campaignID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			m       ExportMember
			dueAt   int64
			from    int64
			numbers string
			vars    []byte
		)
		if err := rows.Scan(&m.ID, &m.ExternalKey, &m.Name, &m.State, &m.Priority, &m.Attempts,
			&m.EndCause, &m.LastCause, &dueAt, &numbers, &vars, &m.Held, &from); err != nil {
			return fmt.Errorf("export members of campaign %d: %w", campaignID, err)
		}
		m.DueAt, m.NotBefore = fromMS(dueAt), fromMS(from)
		if numbers != "" {
			m.Numbers = strings.Split(numbers, ";")
		}
		m.Variables = vars
		if err := fn(m); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export members of campaign %d: %w", campaignID, err)
	}
	return nil
}

// ExportAttempts calls fn with every attempt of a campaign, by id, with
// its member's external key and its agent's name. Rows are streamed from
// one query, so memory does not grow with the campaign. An error from fn
// stops the export and is returned as it is.
func (d *DB) ExportAttempts(ctx context.Context, campaignID int64, fn func(ExportAttempt) error) error {
	rows, err := d.db.QueryContext(ctx, `
		SELECT a.id, a.member_id, coalesce(m.external_key, ''), a.number, a.uuid, a.final,
		       a.created_at, a.answered_at, a.ended_at, a.cause, a.q850, a.billsec_ms,
		       a.class, a.counted, a.business_result, coalesce(g.name, ''),
		       a.recording_path, a.captured, c.ivr_capture, a.amd_result, a.amd_ms
		FROM attempts a
		JOIN members m ON m.id = a.member_id
		JOIN campaigns c ON c.id = a.campaign_id
		LEFT JOIN agents g ON g.id = a.agent_id
		WHERE a.campaign_id = ?
		ORDER BY a.id`, campaignID)
	if err != nil {
		return fmt.Errorf("export attempts of campaign %d: %w", campaignID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			a                   ExportAttempt
			created, billsec    int64
			answered, ended, q8 sql.NullInt64
			captured, names     string
			amdMS               sql.NullInt64
		)
		if err := rows.Scan(&a.ID, &a.MemberID, &a.ExternalKey, &a.Number, &a.UUID, &a.Final,
			&created, &answered, &ended, &a.Cause, &q8, &billsec,
			&a.Class, &a.Counted, &a.BusinessResult, &a.Agent,
			&a.RecordingPath, &captured, &names, &a.AMDResult, &amdMS); err != nil {
			return fmt.Errorf("export attempts of campaign %d: %w", campaignID, err)
		}
		a.CreatedAt, a.AnsweredAt, a.EndedAt = fromMS(created), fromNullMS(answered), fromNullMS(ended)
		a.Q850 = int(q8.Int64)
		a.Billsec = time.Duration(billsec) * time.Millisecond
		if amdMS.Valid {
			took := time.Duration(amdMS.Int64) * time.Millisecond
			a.AMD = &took
		}
		if a.Captured = capturedOf(captured); len(a.Captured) == 0 {
			a.Captured = nil
		}
		if err := json.Unmarshal([]byte(names), &a.CaptureNames); err != nil {
			return fmt.Errorf("export attempts of campaign %d: stored ivr capture: %w", campaignID, err)
		}
		if len(a.CaptureNames) == 0 {
			a.CaptureNames = nil
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export attempts of campaign %d: %w", campaignID, err)
	}
	return nil
}
