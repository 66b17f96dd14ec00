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

// recordCallbackSQL writes the outbox row of event ?1 for attempt ?2 at
// ?3 (unix ms), with its payload built from the attempt, its member, its
// campaign and its agent as they are in the transaction. Nothing is
// written when the campaign has no callback URL, for a connect when the
// customer did not answer, or when the event is already recorded (its
// idempotency key is taken): replays never duplicate an event.
//
// The attempt is found by "a.id = +?2" (see dataSource): the statement
// runs up to three times per call, with or without a callback URL.
var recordCallbackSQL = recordCallbackQuery(sqliteDialect)

// recordCallbackPostgres is recordCallbackSQL for PostgreSQL: the payload
// is built with json_build_object in the same field order (its text has
// a space around each colon; the fields and values are the same), the
// event is typed once as text, and billsec is a double, which PostgreSQL
// prints as an integer when it is whole.
var recordCallbackPostgres = recordCallbackQuery(postgresDialect)

// recordCallbackQuery is the callback insert in dialect x: one list of
// payload fields.
func recordCallbackQuery(x dialect) string {
	ev, jsonObject, billsec, captured, asText, from, attempt :=
		"?1", "json_object", "CASE WHEN a.billsec_ms % 1000 = 0 THEN a.billsec_ms / 1000 ELSE a.billsec_ms / 1000.0 END",
		"json(a.captured)", "", "attempts a", "+?2"
	if x == postgresDialect {
		ev, jsonObject, billsec, captured, asText, from, attempt =
			"e.event", "json_build_object", "a.billsec_ms / 1000::double precision",
			"a.captured::json", "::text", "(SELECT CAST(?1 AS TEXT) AS event) e\n\tCROSS JOIN attempts a", "?2"
	}
	release := "CASE WHEN " + ev + " = 'release' THEN "
	return `
	INSERT INTO webhook_outbox (campaign_id, attempt_id, event, url, idempotency_key, payload, next_at, created_at)
	SELECT a.campaign_id, a.id, ` + ev + `, c.callback_url, a.uuid || ':' || ` + ev + `,
	       ` + jsonObject + `(
	           'event', ` + ev + `,
	           'idempotency_key', a.uuid || ':' || ` + ev + `,
	           'campaign_id', c.id,
	           'campaign', c.name,
	           'member_id', m.id,
	           'external_key', m.external_key,
	           'attempt_id', a.id,
	           'attempt_number', (SELECT count(*) FROM attempts p WHERE p.member_id = a.member_id AND p.id <= a.id),
	           'call_uuid', a.uuid,
	           'number', a.number,
	           'agent_id', a.agent_id,
	           'agent', g.name,
	           'begin_time', ` + x.jsonTime("a.created_at") + `,
	           'answer_time', ` + x.jsonTime("a.answered_at") + `,
	           'end_time', ` + release + x.jsonTime("a.ended_at") + ` END,
	           'cause', ` + release + `a.cause END,
	           'q850', ` + release + `a.q850 END,
	           'class', ` + release + `a.class END,
	           'billsec', ` + release + billsec + ` END,
	           'business_result', ` + release + `nullif(a.business_result, '') END,
	           'recording_path', nullif(a.recording_path, ''),
	           'captured', ` + captured + `,
	           'member_state', ` + release + `m.state END,
	           'next_due_time', CASE WHEN ` + ev + ` = 'release' AND m.state = 'waiting' THEN ` + x.jsonTime("m.due_at") + ` END)` + asText + `,
	       ?3, ?3
	FROM ` + from + `
	JOIN members m ON m.id = a.member_id
	JOIN campaigns c ON c.id = a.campaign_id
	LEFT JOIN agents g ON g.id = a.agent_id
	WHERE a.id = ` + attempt + ` AND c.callback_url <> '' AND (` + ev + ` = 'release' OR a.answered_at IS NOT NULL)
	  AND NOT EXISTS (SELECT 1 FROM webhook_outbox o WHERE o.idempotency_key = a.uuid || ':' || ` + ev + `) -- a replay takes no id
	ON CONFLICT (idempotency_key) DO NOTHING`
}

// recordCallback writes an attempt's event to the outbox inside the
// transaction that changed the attempt.
func recordCallback(ctx context.Context, tx *sqlx.Tx, event dialer.CallbackEvent, attemptID int64, now int64) error {
	q := dialectOf(tx).pick(recordCallbackSQL, recordCallbackPostgres)
	if _, err := tx.ExecContext(ctx, q, string(event), attemptID, now); err != nil {
		return fmt.Errorf("record %s callback of attempt %d: %w", event, attemptID, err)
	}
	return nil
}

// callbackRow is a webhook_outbox row; campaign comes from the payload, so
// that it survives the campaign.
type callbackRow struct {
	ID          int64          `db:"id"`
	CampaignID  int64          `db:"campaign_id"`
	Campaign    sql.NullString `db:"campaign"`
	AttemptID   sql.NullInt64  `db:"attempt_id"`
	Event       string         `db:"event"`
	URL         string         `db:"url"`
	Key         string         `db:"idempotency_key"`
	Payload     string         `db:"payload"`
	State       string         `db:"state"`
	Tries       int            `db:"tries"`
	NextAt      int64          `db:"next_at"`
	LastError   string         `db:"last_error"`
	LastStatus  sql.NullInt64  `db:"last_status"`
	CreatedAt   int64          `db:"created_at"`
	DeliveredAt sql.NullInt64  `db:"delivered_at"`
}

// callbackSelect reads webhook_outbox rows as callbackRow.
func callbackSelect(x dialect) string {
	return `
	SELECT o.id, o.campaign_id, ` + x.jsonText("o.payload", "campaign") + ` AS campaign, o.attempt_id, o.event, o.url,
	       o.idempotency_key, o.payload, o.state, o.tries, o.next_at, o.last_error, o.last_status,
	       o.created_at, o.delivered_at
	FROM webhook_outbox o`
}

func (r callbackRow) callback() dialer.Callback {
	return dialer.Callback{
		ID: r.ID, CampaignID: r.CampaignID, Campaign: r.Campaign.String, AttemptID: r.AttemptID.Int64,
		Event: dialer.CallbackEvent(r.Event), URL: r.URL, IdempotencyKey: r.Key, Payload: json.RawMessage(r.Payload),
		State: dialer.CallbackState(r.State), Tries: r.Tries, NextAt: fromMS(r.NextAt), LastError: r.LastError,
		LastStatus: int(r.LastStatus.Int64), CreatedAt: fromMS(r.CreatedAt), DeliveredAt: fromNullMS(r.DeliveredAt),
	}
}

func callbacks(rows []callbackRow) []dialer.Callback {
	out := make([]dialer.Callback, len(rows))
	for i, r := range rows {
		out[i] = r.callback()
	}
	return out
}

// DueCallbacks returns up to limit pending callbacks due at now, those due
// first. A callback waits while an earlier event of its attempt is still
// pending, so that a receiver gets an attempt's connect before its
// release (unless the connect went dead). Only the daemon delivers (its
// database lock makes it the only one), so the deliverer keeps track of
// the callbacks it is sending itself: nothing is marked here, and a crash
// leaves every unfinished callback due.
func (d *DB) DueCallbacks(ctx context.Context, now time.Time, limit int) ([]dialer.Callback, error) {
	var rows []callbackRow
	if err := d.db.SelectContext(ctx, &rows, callbackSelect(d.dialect)+`
		WHERE o.state = 'pending' AND o.next_at <= ?
		  AND NOT EXISTS (SELECT 1 FROM webhook_outbox p
		                  WHERE p.attempt_id = o.attempt_id AND p.id < o.id AND p.state = 'pending')
		ORDER BY o.next_at, o.id
		LIMIT ?`, toMS(now), limit); err != nil {
		return nil, fmt.Errorf("due callbacks: %w", err)
	}
	return callbacks(rows), nil
}

// CallbackDelivered records that the receiver took a pending callback
// (a 2xx status) at the given time.
func (d *DB) CallbackDelivered(ctx context.Context, id int64, status int, at time.Time) error {
	if _, err := d.db.ExecContext(ctx, `
		UPDATE webhook_outbox SET state = 'delivered', tries = tries + 1, last_status = ?, last_error = '', delivered_at = ?
		WHERE id = ? AND state = 'pending'`, status, toMS(at), id); err != nil {
		return fmt.Errorf("mark callback %d delivered: %w", id, err)
	}
	return nil
}

// CallbackFailed records a failed try of a pending callback: one more try,
// the error, and the time of the next try; at f.MaxTries tries the
// callback is dead instead. It returns the callback's new state.
func (d *DB) CallbackFailed(ctx context.Context, id int64, f dialer.CallbackFailure) (dialer.CallbackState, error) {
	status := sql.NullInt64{Int64: int64(f.Status), Valid: f.Status != 0}
	var state dialer.CallbackState
	err := d.db.GetContext(ctx, &state, `
		UPDATE webhook_outbox SET tries = tries + 1, last_status = ?, last_error = ?, next_at = ?,
		       state = CASE WHEN tries + 1 >= ? THEN 'dead' ELSE 'pending' END
		WHERE id = ? AND state = 'pending'
		RETURNING state`, status, f.Error, toMS(f.NextAt), f.MaxTries, id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("mark callback %d failed: %w (not pending)", id, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("mark callback %d failed: %w", id, err)
	}
	return state, nil
}

// CallbackFilter selects callbacks to list.
type CallbackFilter struct {
	State    dialer.CallbackState // "" = every state
	Campaign string               // campaign name; "" = every campaign
	Limit    int                  // 0 = no limit
}

// Callbacks lists the callbacks the filter selects, newest first. An
// unknown campaign is ErrNotFound.
func (d *DB) Callbacks(ctx context.Context, f CallbackFilter) ([]dialer.Callback, error) {
	var conds []string
	var args []any
	if f.State != "" {
		conds = append(conds, "o.state = ?")
		args = append(args, string(f.State))
	}
	if f.Campaign != "" {
		scope, err := scopeID(ctx, d.db, f.Campaign)
		if err != nil {
			return nil, fmt.Errorf("list callbacks: %w", err)
		}
		conds = append(conds, "o.campaign_id = ?")
		args = append(args, scope.Int64)
	}
	q := callbackSelect(d.dialect)
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	q += " ORDER BY o.id DESC"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	var rows []callbackRow
	if err := d.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("list callbacks: %w", err)
	}
	return callbacks(rows), nil
}

// CallbackCounts counts the pending and dead callbacks (each through its
// partial index: delivered rows are never read).
func (d *DB) CallbackCounts(ctx context.Context) (dialer.CallbackCounts, error) {
	var r struct {
		Pending int           `db:"pending"`
		Dead    int           `db:"dead"`
		Oldest  sql.NullInt64 `db:"oldest"`
	}
	if err := d.db.GetContext(ctx, &r, `
		SELECT (SELECT count(*) FROM webhook_outbox WHERE state = 'pending') AS pending,
		       (SELECT count(*) FROM webhook_outbox WHERE state = 'dead') AS dead,
		       (SELECT min(created_at) FROM webhook_outbox WHERE state = 'pending') AS oldest`); err != nil {
		return dialer.CallbackCounts{}, fmt.Errorf("count callbacks: %w", err)
	}
	return dialer.CallbackCounts{Pending: r.Pending, Dead: r.Dead, OldestPending: fromNullMS(r.Oldest)}, nil
}

// RedriveCallbacks makes dead callbacks pending again, due now with no
// tries, and returns how many: the given ids, or every dead callback when
// ids is empty; only the campaign's when campaign is set. Callbacks that
// are not dead are left as they are.
func (d *DB) RedriveCallbacks(ctx context.Context, campaign string, ids []int64) (int, error) {
	var n int64
	err := d.tx(ctx, func(tx *sqlx.Tx) error {
		q := `UPDATE webhook_outbox SET state = 'pending', tries = 0, next_at = ? WHERE state = 'dead'`
		args := []any{toMS(d.now())}
		if campaign != "" {
			scope, err := scopeID(ctx, tx, campaign)
			if err != nil {
				return err
			}
			q += ` AND campaign_id = ?`
			args = append(args, scope.Int64)
		}
		if len(ids) > 0 {
			q += ` AND id IN (` + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + `)`
			for _, id := range ids {
				args = append(args, id)
			}
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("redrive callbacks: %w", err)
	}
	return int(n), nil
}

// purgeBatch bounds one purge statement, so that a long backlog of old
// rows never holds the write lock the engine needs for long.
const purgeBatch = 500

// PurgeCallbacks deletes delivered callbacks delivered before the given
// time, a batch per statement, and returns how many.
func (d *DB) PurgeCallbacks(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		res, err := d.db.ExecContext(ctx, `
			DELETE FROM webhook_outbox WHERE id IN (
				SELECT id FROM webhook_outbox WHERE state = 'delivered' AND delivered_at < ? LIMIT ?)`,
			toMS(before), purgeBatch)
		if err != nil {
			return total, fmt.Errorf("purge delivered callbacks: %w", err)
		}
		n, _ := res.RowsAffected()
		total += int(n)
		if n < purgeBatch {
			return total, nil
		}
	}
}
