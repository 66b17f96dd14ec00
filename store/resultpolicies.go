package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/fsdialer/dialer/dialer"
	"github.com/jmoiron/sqlx"
)

// writeResultPolicies stores a campaign's business-result rules and its
// sub-status variable.
func writeResultPolicies(ctx context.Context, tx *sqlx.Tx, campaignID int64, c *dialer.Campaign) error {
	if _, err := tx.ExecContext(ctx, `UPDATE campaigns SET result_policies = ?, sub_status_variable = ? WHERE id = ?`,
		mustJSON(c.ResultPolicies), c.IVR.SubStatusVariable, campaignID); err != nil {
		return fmt.Errorf("write result policies: %w", err)
	}
	return nil
}

// loadResultPolicies reads what writeResultPolicies stored into c.
func loadResultPolicies(ctx context.Context, q sqlx.QueryerContext, campaignID int64, c *dialer.Campaign) error {
	var row struct {
		Policies  string `db:"result_policies"`
		SubStatus string `db:"sub_status_variable"`
	}
	if err := sqlx.GetContext(ctx, q, &row, `SELECT result_policies, sub_status_variable FROM campaigns WHERE id = ?`, campaignID); err != nil {
		return fmt.Errorf("campaign %s result policies: %w", c.Name, err)
	}
	if err := json.Unmarshal([]byte(row.Policies), &c.ResultPolicies); err != nil {
		return fmt.Errorf("campaign %s: stored result policies: %w", c.Name, err)
	}
	if len(c.ResultPolicies.Rules) == 0 {
		c.ResultPolicies.Rules = nil
	}
	c.IVR.SubStatusVariable = row.SubStatus
	return nil
}

// writePolicyRule records an attempt's sub-status and the result rule
// that decided what followed it.
func writePolicyRule(ctx context.Context, tx *sqlx.Tx, e dialer.AttemptEnd) error {
	if e.SubStatus == "" && e.PolicyRule == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE attempts SET sub_status = ?, policy_rule = ? WHERE id = ?`,
		e.SubStatus, e.PolicyRule, e.AttemptID); err != nil {
		return fmt.Errorf("record result rule of attempt %d: %w", e.AttemptID, err)
	}
	return nil
}

// AttemptResult is the business result of a member's latest attempt and
// the rule that applied to it.
type AttemptResult struct {
	AttemptID  int64  `db:"id" json:"attempt_id"`
	Result     string `db:"business_result" json:"result"`
	SubStatus  string `db:"sub_status" json:"sub_status"`
	PolicyRule string `db:"policy_rule" json:"policy_rule"`
}

// LastAttemptResult returns the business result, sub-status and result
// rule of a member's latest final attempt; ok is false when it has none.
func (d *DB) LastAttemptResult(ctx context.Context, memberID int64) (r AttemptResult, ok bool, err error) {
	var rows []AttemptResult
	if err := d.db.SelectContext(ctx, &rows, `
		SELECT id, business_result, sub_status, policy_rule FROM attempts
		WHERE member_id = ? AND final = 1 ORDER BY id DESC LIMIT 1`, memberID); err != nil {
		return r, false, fmt.Errorf("latest result of member %d: %w", memberID, err)
	}
	if len(rows) == 0 {
		return r, false, nil
	}
	return rows[0], true, nil
}

// uncountAttempt turns a member's counted attempt into a minus one (an
// uncounted retry rule reported through the result API) and reports
// whether it was counted.
func uncountAttempt(ctx context.Context, tx *sqlx.Tx, memberID, attemptID int64) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE attempts SET counted = 0, class = 'minus' WHERE id = ? AND counted = 1`, attemptID)
	if err != nil {
		return false, fmt.Errorf("uncount attempt %d: %w", attemptID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE members SET attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, minus = minus + 1 WHERE id = ?`,
		memberID); err != nil {
		return false, fmt.Errorf("uncount attempt %d of member %d: %w", attemptID, memberID, err)
	}
	return true, nil
}

// writeAttemptResult keeps a reported business result, its sub-status and
// the rule it matched on the member's latest attempt.
func writeAttemptResult(ctx context.Context, tx *sqlx.Tx, attemptID int64, r dialer.MemberResult) error {
	if r.Result == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE attempts SET business_result = ?, sub_status = ?, policy_rule = ? WHERE id = ?`,
		r.Result, r.SubStatus, r.Rule, attemptID); err != nil {
		return fmt.Errorf("record business result on attempt %d: %w", attemptID, err)
	}
	return nil
}
