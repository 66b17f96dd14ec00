package store

import (
	"context"
	"fmt"
	"strconv"

	"github.com/fsdialer/dialer/dialer"
	"github.com/jmoiron/sqlx"
)

// recordMemberFailedSQL writes the member_failed outbox row of each
// member in the JSON array ?1 that is failed, at ?2 (unix ms), to its
// campaign's callback URL: the failure notice an SMS gateway or CRM acts
// on. The payload carries the end cause, every number of the member in
// order with its own attempt count and last cause, the member's name,
// external key and variables, and its last call. Nothing is written when
// the campaign has no callback URL, or when the member's notice is
// already recorded (its key member-<id>:failed is taken): a member is
// notified once, however often its failure is written again.
//
// The row carries the member's last attempt, so that DueCallbacks holds
// the notice back while that attempt's release is pending.
var recordMemberFailedSQL = recordMemberFailedQuery(sqliteDialect)

// recordMemberFailedPostgres is recordMemberFailedSQL for PostgreSQL: the
// payload is built with json_build_object in the same field order (its
// text has a space around each colon; the fields and values are the same).
var recordMemberFailedPostgres = recordMemberFailedQuery(postgresDialect)

// recordMemberFailedQuery is the failure notice insert in dialect x: one
// list of payload fields.
func recordMemberFailedQuery(x dialect) string {
	number := `'number', n.number,
	                                  'type', n.type,
	                                  'attempts', n.attempts,
	                                  'last_cause', nullif(n.last_cause, ''),
	                                  'state', n.state`
	jsonObject, variables, asText := "json_object", "json(m.variables)", ""
	numbers := `json((SELECT json_group_array(json_object(
	                                  ` + number + `))
	                       FROM (SELECT number, type, attempts, last_cause, state FROM communications
	                             WHERE member_id = m.id ORDER BY position, id) n))`
	if x == postgresDialect {
		jsonObject, variables, asText = "json_build_object", "CAST(m.variables AS json)", "::text"
		numbers = `(SELECT coalesce(json_agg(json_build_object(
	                                  ` + number + `) ORDER BY n.position, n.id), '[]')
	                       FROM communications n WHERE n.member_id = m.id)`
	}
	return `
	INSERT INTO webhook_outbox (campaign_id, attempt_id, event, url, idempotency_key, payload, next_at, created_at)
	SELECT m.campaign_id, la.id, 'member_failed', c.callback_url, 'member-' || m.id || ':failed',
	       ` + jsonObject + `(
	           'event', 'member_failed',
	           'idempotency_key', 'member-' || m.id || ':failed',
	           'campaign_id', c.id,
	           'campaign', c.name,
	           'member_id', m.id,
	           'name', m.name,
	           'external_key', m.external_key,
	           'variables', ` + variables + `,
	           'cause', m.end_cause,
	           'last_cause', nullif(m.last_cause, ''),
	           'attempts', m.attempts,
	           'numbers', ` + numbers + `,
	           'last_attempt_id', la.id,
	           'last_call_uuid', la.uuid,
	           'failed_time', ` + x.jsonTime("?2") + `)` + asText + `,
	       ?2, ?2
	FROM members m
	JOIN campaigns c ON c.id = m.campaign_id
	LEFT JOIN attempts la ON la.id = (SELECT max(a.id) FROM attempts a WHERE a.member_id = m.id)
	WHERE m.id IN (` + x.jsonIDs("?1") + `) AND m.state = 'failed' AND c.callback_url <> ''
	  AND NOT EXISTS (SELECT 1 FROM webhook_outbox o WHERE o.idempotency_key = 'member-' || m.id || ':failed') -- a replay takes no id
	ON CONFLICT (idempotency_key) DO NOTHING`
}

// recordMemberFailed writes the failure notices of members the
// transaction ended failed, inside that transaction: a notice exists
// exactly when its failure does.
func recordMemberFailed(ctx context.Context, tx *sqlx.Tx, memberIDs []int64, now int64) error {
	if len(memberIDs) == 0 {
		return nil
	}
	list := make([]byte, 0, 8*len(memberIDs)+2)
	list = append(list, '[')
	for i, id := range memberIDs {
		if i > 0 {
			list = append(list, ',')
		}
		list = strconv.AppendInt(list, id, 10)
	}
	list = append(list, ']')
	q := dialectOf(tx).pick(recordMemberFailedSQL, recordMemberFailedPostgres)
	if _, err := tx.ExecContext(ctx, q, string(list), now); err != nil {
		return fmt.Errorf("record %s callback of members %s: %w", dialer.CallbackMemberFailed, list, err)
	}
	return nil
}
