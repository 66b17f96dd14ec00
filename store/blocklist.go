package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// BlockEntry is one blocked number; Campaign "" means every campaign.
type BlockEntry struct {
	ID        int64     `db:"id" json:"id"`
	Campaign  string    `db:"campaign" json:"campaign,omitempty"`
	Number    string    `db:"number" json:"number"`
	Reason    string    `db:"reason" json:"reason,omitempty"`
	CreatedAt time.Time `db:"-" json:"created_at"`
	Created   int64     `db:"created_at" json:"-"`
}

// scopeID resolves a campaign name to its id; "" is the global scope (NULL).
func scopeID(ctx context.Context, q sqlx.QueryerContext, campaign string) (sql.NullInt64, error) {
	if campaign == "" {
		return sql.NullInt64{}, nil
	}
	var id int64
	if err := sqlx.GetContext(ctx, q, &id, `SELECT id FROM campaigns WHERE name = ?`, campaign); err != nil {
		if err == sql.ErrNoRows {
			return sql.NullInt64{}, fmt.Errorf("campaign %s: %w", campaign, ErrNotFound)
		}
		return sql.NullInt64{}, err
	}
	return sql.NullInt64{Int64: id, Valid: true}, nil
}

// blockScopeIs is "the scope of col is the campaign id ? (NULL: global)",
// written as the blocklist_scope index is: on ifnull in SQLite, which uses
// the index only for that same expression, on coalesce in PostgreSQL.
func blockScopeIs(x dialect, col string) string {
	return x.pick(`ifnull(`+col+`, 0) = ifnull(?, 0)`, `coalesce(`+col+`, 0) = coalesce(CAST(? AS BIGINT), 0)`)
}

// BlockNumbers adds normalised numbers to the blocklist of a campaign (or
// globally for ""), in one transaction. Numbers already blocked in that
// scope are left as they are; added counts the new ones.
func (d *DB) BlockNumbers(ctx context.Context, campaign string, numbers []string, reason string) (added int, err error) {
	err = d.tx(ctx, func(tx *sqlx.Tx) error {
		scope, err := scopeID(ctx, tx, campaign)
		if err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `
			INSERT INTO blocklist (campaign_id, number, reason, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT DO NOTHING`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		now := toMS(d.now())
		for _, n := range numbers {
			res, err := stmt.ExecContext(ctx, scope, n, reason, now)
			if err != nil {
				return fmt.Errorf("block %s: %w", n, err)
			}
			k, _ := res.RowsAffected()
			added += int(k)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("add to blocklist: %w", err)
	}
	return added, nil
}

// UnblockNumbers removes numbers from one scope and returns how many were there.
func (d *DB) UnblockNumbers(ctx context.Context, campaign string, numbers []string) (removed int, err error) {
	err = d.tx(ctx, func(tx *sqlx.Tx) error {
		scope, err := scopeID(ctx, tx, campaign)
		if err != nil {
			return err
		}
		for _, n := range numbers {
			res, err := tx.ExecContext(ctx,
				`DELETE FROM blocklist WHERE `+blockScopeIs(d.dialect, "campaign_id")+` AND number = ?`, scope, n)
			if err != nil {
				return fmt.Errorf("unblock %s: %w", n, err)
			}
			k, _ := res.RowsAffected()
			removed += int(k)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("remove from blocklist: %w", err)
	}
	return removed, nil
}

// Blocklist lists entries. campaign "" with all=false lists global
// entries; a campaign name lists that campaign's; all lists every scope.
func (d *DB) Blocklist(ctx context.Context, campaign string, all bool) ([]BlockEntry, error) {
	q := `SELECT b.id, coalesce(c.name, '') AS campaign, b.number, b.reason, b.created_at
		FROM blocklist b LEFT JOIN campaigns c ON c.id = b.campaign_id`
	var args []any
	if !all {
		scope, err := scopeID(ctx, d.db, campaign)
		if err != nil {
			return nil, err
		}
		q += ` WHERE ` + blockScopeIs(d.dialect, "b.campaign_id")
		args = append(args, scope)
	}
	q += ` ORDER BY campaign, b.number`
	var out []BlockEntry
	if err := d.db.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, fmt.Errorf("list blocklist: %w", err)
	}
	for i := range out {
		out[i].CreatedAt = fromMS(out[i].Created)
	}
	return out, nil
}

// BlockedNumbers returns which of numbers are blocked for a campaign
// (globally or in that campaign).
func (d *DB) BlockedNumbers(ctx context.Context, campaignID int64, numbers []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, n := range numbers {
		var hit int
		err := d.db.GetContext(ctx, &hit, `
			SELECT count(*) FROM blocklist WHERE number = ? AND (campaign_id IS NULL OR campaign_id = ?)`, n, campaignID)
		if err != nil {
			return nil, fmt.Errorf("check blocklist: %w", err)
		}
		if hit > 0 {
			out[n] = true
		}
	}
	return out, nil
}
