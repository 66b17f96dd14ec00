package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/jmoiron/sqlx"
)

// AddMembers adds a few members to a campaign in one transaction (the
// API's add; `member import` is the bulk path). All are added or none: a
// number already in the campaign, or an external key already used, is a
// *FieldError naming the member by its 1-based Line as "members[Line-1]".
// It returns the new members' ids in order.
func (d *DB) AddMembers(ctx context.Context, campaignID int64, ms []memberfile.Member) ([]int64, error) {
	ids := make([]int64, 0, len(ms))
	now := toMS(d.now())
	err := d.tx(ctx, func(tx *sqlx.Tx) error {
		var sortSpec dialer.SortSpec
		if err := tx.QueryRowxContext(ctx, `SELECT sort_variable, sort_order FROM campaigns WHERE id = ?`, campaignID).
			Scan(&sortSpec.Variable, &sortSpec.Order); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("campaign %d: %w", campaignID, ErrNotFound)
			}
			return err
		}
		for _, m := range ms {
			field := fmt.Sprintf("members[%d]", m.Line-1)
			if m.ExternalKey != "" {
				var other int64
				err := tx.GetContext(ctx, &other, `SELECT id FROM members WHERE campaign_id = ? AND external_key = ?`,
					campaignID, m.ExternalKey)
				if err == nil {
					return &FieldError{Field: field + ".external_key", Conflict: true,
						Reason: fmt.Sprintf("%q is already member %d's external key", m.ExternalKey, other)}
				}
				if !errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("look up external key: %w", err)
				}
			}
			for j, n := range m.Numbers {
				var other int64
				err := tx.GetContext(ctx, &other, `
					SELECT c.member_id FROM campaign_numbers n JOIN communications c ON c.id = n.communication_id
					WHERE n.campaign_id = ? AND n.number = ?`, campaignID, n.Number)
				if err == nil {
					return &FieldError{Field: fmt.Sprintf("%s.communications[%d].number", field, j), Conflict: true,
						Reason: fmt.Sprintf("%s is already a number of member %d", n.Number, other)}
				}
				if !errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("look up number: %w", err)
				}
			}
			vars, key, prio, err := memberColumnValues(m)
			if err != nil {
				return fmt.Errorf("%s: %w", field, err)
			}
			var id int64
			if err := tx.GetContext(ctx, &id, `
				INSERT INTO members (campaign_id, priority, name, timezone, expires_at, external_key, variables, created_at, updated_at, not_before)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				campaignID, prio, m.Name, m.Timezone, nullMS(m.ExpiresAt), key, vars, now, now, toMS(m.NotBefore)); err != nil {
				return fmt.Errorf("insert %s: %w", field, err)
			}
			for _, n := range m.Numbers {
				var commID int64
				if err := tx.GetContext(ctx, &commID, `
					INSERT INTO communications (member_id, campaign_id, number, type, position) VALUES (?, ?, ?, ?, ?)
					RETURNING id`, id, campaignID, n.Number, n.Type, n.Position); err != nil {
					return fmt.Errorf("insert %s number %s: %w", field, n.Number, err)
				}
				if err := addCampaignNumber(ctx, tx, campaignID, n.Number, commID); err != nil {
					return fmt.Errorf("insert %s number %s: %w", field, n.Number, err)
				}
			}
			ids = append(ids, id)
		}
		if sortSpec.Variable != "" && len(ids) > 0 {
			return d.resortMembers(ctx, tx, campaignID, ids[0], sortSpec)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("add members: %w", err)
	}
	return ids, nil
}

// MemberByKey returns a campaign's member by its external key.
func (d *DB) MemberByKey(ctx context.Context, campaignID int64, key string) (*dialer.Member, error) {
	var id int64
	if err := d.db.GetContext(ctx, &id, `SELECT id FROM members WHERE campaign_id = ? AND external_key = ?`,
		campaignID, key); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("member with external key %q: %w", key, ErrNotFound)
		}
		return nil, fmt.Errorf("find member by external key %q: %w", key, err)
	}
	return d.Member(ctx, id)
}

// DeleteMember deletes one member with its numbers and attempts; a member
// in a call is refused with ErrCalling.
func (d *DB) DeleteMember(ctx context.Context, id int64) error {
	err := d.tx(ctx, func(tx *sqlx.Tx) error {
		var state dialer.MemberState
		if err := tx.GetContext(ctx, &state, `SELECT state FROM members WHERE id = ?`, id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		if state == dialer.MemberCalling {
			return ErrCalling
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM members WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete member %d: %w", id, err)
	}
	return nil
}
