package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/jmoiron/sqlx"
)

// ErrNotWaiting is returned when a claim finds the member no longer waiting.
var ErrNotWaiting = errors.New("member is not waiting")

// claimMemberSQL claims member ?2 at ?1 if it is still waiting, due (or
// ?3, before its due time), its number ?5 (0: none) still active, not
// held and past its not_before.
const claimMemberSQL = `
	UPDATE members SET state = 'calling', updated_at = ?
	WHERE id = ? AND state = 'waiting' AND (? = 1 OR due_at <= ?)
	  AND (? = 0 OR EXISTS (SELECT 1 FROM communications c
	                        WHERE c.id = ? AND c.member_id = members.id AND c.state = 'active'))
	  AND held = 0 AND not_before <= ?`

// claimMemberPostgres is claimMemberSQL with the member's row locked FOR
// UPDATE SKIP LOCKED: a member that another transaction (another daemon
// sharing the database) is claiming right now is skipped at once, not
// waited for.
const claimMemberPostgres = `
	UPDATE members SET state = 'calling', updated_at = ?
	WHERE id = (SELECT m.id FROM members m
	            WHERE m.id = ? AND m.state = 'waiting' AND (? = 1 OR m.due_at <= ?)
	              AND (? = 0 OR EXISTS (SELECT 1 FROM communications c
	                                    WHERE c.id = ? AND c.member_id = m.id AND c.state = 'active'))
	              AND m.held = 0 AND m.not_before <= ?
	            FOR UPDATE OF m SKIP LOCKED)`

// StartAttempts claims each member (waiting -> calling) and records its
// attempt, all in one transaction, before any originate is sent. A member
// that is no longer waiting, not due yet, held, before its not_before, or
// whose number was stopped is skipped: its slot in the result is 0.
func (d *DB) StartAttempts(ctx context.Context, as []dialer.NewAttempt) ([]int64, error) {
	ids := make([]int64, len(as))
	daemon, limits := d.cluster.daemon()
	err := d.tx(ctx, func(tx *sqlx.Tx) error {
		// Daemons sharing the database hold the limits together.
		var room *sharedRoom
		if daemon != 0 && len(as) > 0 {
			var err error
			if room, err = newSharedRoom(ctx, tx, as[0].At, limits); err != nil {
				return err
			}
		}
		for i, a := range as {
			if room != nil {
				ok, err := room.take(ctx, a.CampaignID)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
			}
			// The member must still be waiting, due, and its number active:
			// a result or a CLI change made since the engine read it wins.
			res, err := tx.ExecContext(ctx, d.dialect.pick(claimMemberSQL, claimMemberPostgres),
				toMS(a.At), a.MemberID, a.BeforeDue, toMS(a.At), a.CommunicationID, a.CommunicationID, toMS(a.At))
			if err != nil {
				return fmt.Errorf("claim member %d: %w", a.MemberID, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				if room != nil {
					room.untake(a.CampaignID)
				}
				continue
			}
			var agent any
			if a.AgentID != 0 {
				agent = a.AgentID
			}
			if err := tx.GetContext(ctx, &ids[i], `
				INSERT INTO attempts (campaign_id, member_id, communication_id, number, uuid, agent_id, node, daemon_id, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				a.CampaignID, a.MemberID, a.CommunicationID, a.Number, a.UUID, agent, a.Node, daemon, toMS(a.At)); err != nil {
				return fmt.Errorf("record attempt of member %d: %w", a.MemberID, err)
			}
		}
		if room != nil {
			return room.done(ctx)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// FinishAttempts writes final attempt records and their members' next
// states in one transaction. An attempt that is already final is left as
// it is (events can be replayed after a reconnect). The same transaction
// records each newly final attempt's release callback, and its connect
// callback if it was answered and the connect was never recorded (a
// crash between the answer and its mark), when the campaign has a
// callback URL.
func (d *DB) FinishAttempts(ctx context.Context, ends []dialer.AttemptEnd) error {
	if len(ends) == 0 {
		return nil
	}
	now := toMS(d.now())
	return d.tx(ctx, func(tx *sqlx.Tx) error {
		for _, e := range ends {
			var agent any
			if e.AgentID != 0 {
				agent = e.AgentID
			}
			res, err := tx.ExecContext(ctx, `
				UPDATE attempts SET final = 1, cause = ?, q850 = ?, sip_status = ?, ringing_at = ?, answered_at = ?,
				       ended_at = ?, billsec_ms = ?, business_result = ?, class = ?, counted = ?,
				       agent_id = coalesce(?, agent_id),
				       agent_ringing_at = coalesce(?, agent_ringing_at),
				       agent_answered_at = coalesce(?, agent_answered_at),
				       bridged_at = coalesce(?, bridged_at),
				       bridge_ended_at = coalesce(?, bridge_ended_at)
				WHERE id = ? AND final = 0`,
				e.Cause, e.Q850, e.SIPStatus, nullMS(e.RingingAt), nullMS(e.AnsweredAt), toMS(e.EndedAt),
				e.Billsec.Milliseconds(), e.BusinessResult, e.Class, e.Counted,
				agent, nullMS(e.AgentRingingAt), nullMS(e.AgentAnsweredAt), nullMS(e.BridgedAt), nullMS(e.BridgeEndedAt),
				e.AttemptID)
			if err != nil {
				return fmt.Errorf("finish attempt %d: %w", e.AttemptID, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			if err := writeCaptured(ctx, tx, e); err != nil {
				return err
			}
			if err := recordLedger(ctx, tx, e.AttemptID); err != nil {
				return err
			}
			if err := writePolicyRule(ctx, tx, e); err != nil {
				return err
			}
			if e.KeepCounters {
				if _, err := tx.ExecContext(ctx, `
					UPDATE members SET state = ?, due_at = ?, last_cause = ?, updated_at = ? WHERE id = ?`,
					string(e.MemberState), toMS(e.DueAt), e.Cause, toMS(e.EndedAt), e.MemberID); err != nil {
					return fmt.Errorf("update member %d after attempt %d: %w", e.MemberID, e.AttemptID, err)
				}
				if err := recordEndCallbacks(ctx, tx, e.AttemptID, now); err != nil {
					return err
				}
				if e.MemberState == dialer.MemberFailed {
					if err := recordMemberFailed(ctx, tx, []int64{e.MemberID}, now); err != nil {
						return err
					}
				}
				continue
			}
			counts, err := json.Marshal(nonNilCounts(e.CauseCounts))
			if err != nil {
				return err
			}
			var next any
			if e.NextCommID != 0 {
				next = e.NextCommID
			}
			if _, err := tx.ExecContext(ctx, `
				UPDATE members SET state = ?, due_at = ?, end_cause = ?, last_cause = ?, attempts = ?, minus = ?,
				       cause_counts = ?, day = ?, day_attempts = ?, attempt_days = ?, next_comm_id = ?, updated_at = ?
				WHERE id = ?`,
				string(e.MemberState), toMS(e.DueAt), e.EndCause, e.Cause, e.Attempts, e.Minus, string(counts),
				e.Day, e.DayAttempts, e.AttemptDays, next, toMS(e.EndedAt), e.MemberID); err != nil {
				return fmt.Errorf("update member %d after attempt %d: %w", e.MemberID, e.AttemptID, err)
			}
			if _, err := tx.ExecContext(ctx, `
				UPDATE communications SET attempts = attempts + 1, last_cause = ?
				WHERE id = (SELECT communication_id FROM attempts WHERE id = ?)`, e.Cause, e.AttemptID); err != nil {
				return fmt.Errorf("update number of attempt %d: %w", e.AttemptID, err)
			}
			if err := recordEndCallbacks(ctx, tx, e.AttemptID, now); err != nil {
				return err
			}
			if e.MemberState == dialer.MemberFailed {
				if err := recordMemberFailed(ctx, tx, []int64{e.MemberID}, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// recordEndCallbacks records a final attempt's connect (if answered and
// not recorded yet) and release callbacks, in that order.
func recordEndCallbacks(ctx context.Context, tx *sqlx.Tx, attemptID, now int64) error {
	if err := recordCallback(ctx, tx, dialer.CallbackConnect, attemptID, now); err != nil {
		return err
	}
	return recordCallback(ctx, tx, dialer.CallbackRelease, attemptID, now)
}

func nonNilCounts(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}

// MarkAnswered records the answer time of a live attempt (for live views;
// the final record carries it again) and, in the same transaction, its
// connect callback when the campaign has a callback URL. A repeated mark
// changes nothing and records nothing.
func (d *DB) MarkAnswered(ctx context.Context, attemptID int64, at time.Time) error {
	now := toMS(d.now())
	err := d.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE attempts SET answered_at = ? WHERE id = ? AND final = 0 AND answered_at IS NULL`,
			toMS(at), attemptID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return recordCallback(ctx, tx, dialer.CallbackConnect, attemptID, now)
	})
	if err != nil {
		return fmt.Errorf("mark attempt %d answered: %w", attemptID, err)
	}
	return nil
}

// MarkAgentLeg records the agent offered a live attempt and its leg: the
// agent, the leg's uuid (for reconcile) and when it started ringing.
func (d *DB) MarkAgentLeg(ctx context.Context, attemptID, agentID int64, legUUID string, at time.Time) error {
	_, err := d.db.ExecContext(ctx, `
		UPDATE attempts SET agent_id = ?, agent_uuid = ?, agent_ringing_at = ?,
		       agent_answered_at = NULL, bridged_at = NULL
		WHERE id = ? AND final = 0`, agentID, legUUID, toMS(at), attemptID)
	if err != nil {
		return fmt.Errorf("mark agent leg of attempt %d: %w", attemptID, err)
	}
	return nil
}

// MarkAgentAnswered records when a live attempt's agent answered.
func (d *DB) MarkAgentAnswered(ctx context.Context, attemptID int64, at time.Time) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE attempts SET agent_answered_at = ? WHERE id = ? AND final = 0`,
		toMS(at), attemptID); err != nil {
		return fmt.Errorf("mark agent of attempt %d answered: %w", attemptID, err)
	}
	return nil
}

// MarkBridged records when a live attempt's customer and agent were bridged.
func (d *DB) MarkBridged(ctx context.Context, attemptID int64, at time.Time) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE attempts SET bridged_at = ? WHERE id = ? AND final = 0`,
		toMS(at), attemptID); err != nil {
		return fmt.Errorf("mark attempt %d bridged: %w", attemptID, err)
	}
	return nil
}

// OpenAgentLegs lists the agent legs of attempts that are not final.
func (d *DB) OpenAgentLegs(ctx context.Context) ([]dialer.AgentLeg, error) {
	var rows []struct {
		ID         int64         `db:"id"`
		AgentID    sql.NullInt64 `db:"agent_id"`
		UUID       string        `db:"agent_uuid"`
		AnsweredAt sql.NullInt64 `db:"agent_answered_at"`
		BridgedAt  sql.NullInt64 `db:"bridged_at"`
		Click      bool          `db:"click"`
	}
	if err := d.db.SelectContext(ctx, &rows, `
		SELECT a.id, a.agent_id, a.agent_uuid, a.agent_answered_at, a.bridged_at,
		       EXISTS (SELECT 1 FROM call_requests r WHERE r.attempt_id = a.id) AS click
		FROM attempts a WHERE a.final = 0 AND a.agent_uuid != '' AND (?1 = 0 OR a.daemon_id = ?1)
		ORDER BY a.id`, d.daemonID()); err != nil {
		return nil, fmt.Errorf("open agent legs: %w", err)
	}
	out := make([]dialer.AgentLeg, len(rows))
	for i, r := range rows {
		out[i] = dialer.AgentLeg{AttemptID: r.ID, AgentID: r.AgentID.Int64, UUID: r.UUID,
			AgentAnsweredAt: fromNullMS(r.AnsweredAt), BridgedAt: fromNullMS(r.BridgedAt), ClickToCall: r.Click}
	}
	return out, nil
}

// AgentStateRequests is PendingAgentRequests in the engine's terms.
func (d *DB) AgentStateRequests(ctx context.Context) ([]dialer.AgentRequest, error) {
	reqs, err := d.PendingAgentRequests(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]dialer.AgentRequest, len(reqs))
	for i, r := range reqs {
		out[i] = dialer.AgentRequest{AgentID: r.AgentID, State: r.State, RequestedAt: r.RequestedAt}
	}
	return out, nil
}

// MarkWrapUp records the wrap-up time an attempt's agent had after its call.
func (d *DB) MarkWrapUp(ctx context.Context, attemptID int64, wrap time.Duration) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE attempts SET wrapup_ms = ? WHERE id = ?`, wrap.Milliseconds(), attemptID); err != nil {
		return fmt.Errorf("mark wrap-up of attempt %d: %w", attemptID, err)
	}
	return nil
}

// OpenAttempts lists every attempt that is not final, oldest first.
func (d *DB) OpenAttempts(ctx context.Context) ([]dialer.Attempt, error) {
	var rows []struct {
		ID         int64         `db:"id"`
		CampaignID int64         `db:"campaign_id"`
		MemberID   int64         `db:"member_id"`
		CommID     sql.NullInt64 `db:"communication_id"`
		Number     string        `db:"number"`
		UUID       string        `db:"uuid"`
		AgentID    sql.NullInt64 `db:"agent_id"`
		Node       string        `db:"node"`
		CreatedAt  int64         `db:"created_at"`
		AnsweredAt sql.NullInt64 `db:"answered_at"`
	}
	if err := d.db.SelectContext(ctx, &rows, `
		SELECT id, campaign_id, member_id, communication_id, number, uuid, agent_id, node, created_at, answered_at
		FROM attempts WHERE final = 0 AND (?1 = 0 OR daemon_id = ?1) ORDER BY id`, d.daemonID()); err != nil {
		return nil, fmt.Errorf("open attempts: %w", err)
	}
	out := make([]dialer.Attempt, len(rows))
	for i, r := range rows {
		out[i] = dialer.Attempt{ID: r.ID, CampaignID: r.CampaignID, MemberID: r.MemberID, CommunicationID: r.CommID.Int64,
			Number: r.Number, UUID: r.UUID, AgentID: r.AgentID.Int64, Node: r.Node, CreatedAt: fromMS(r.CreatedAt),
			AnsweredAt: fromNullMS(r.AnsweredAt)}
	}
	return out, nil
}

// membersByIDQuery and numbersByMemberQuery load members, and their
// numbers in order, by a JSON array of member ids.
var (
	membersByIDQuery     = memberSelect + ` WHERE id IN (` + sqliteDialect.jsonIDs("?") + `)`
	numbersByMemberQuery = commSelect + ` WHERE member_id IN (` + sqliteDialect.jsonIDs("?") + `) ORDER BY member_id, position`

	membersByIDPostgres     = memberSelect + ` WHERE id IN (` + postgresDialect.jsonIDs("?") + `)`
	numbersByMemberPostgres = commSelect + ` WHERE member_id IN (` + postgresDialect.jsonIDs("?") + `) ORDER BY member_id, position`
)

// MembersByID loads members with their numbers, in the order of ids.
func (d *DB) MembersByID(ctx context.Context, ids []int64) ([]dialer.Member, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	// The ids go in as one JSON array, so that both statements have one
	// text whatever the number of ids and stay compiled (see dataSource).
	list := make([]byte, 0, 8*len(ids)+2)
	list = append(list, '[')
	for i, id := range ids {
		if i > 0 {
			list = append(list, ',')
		}
		list = strconv.AppendInt(list, id, 10)
	}
	list = append(list, ']')
	var rows []memberRow
	if err := d.db.SelectContext(ctx, &rows, d.dialect.pick(membersByIDQuery, membersByIDPostgres), string(list)); err != nil {
		return nil, fmt.Errorf("load members: %w", err)
	}
	var comms []commRow
	if err := d.db.SelectContext(ctx, &comms, d.dialect.pick(numbersByMemberQuery, numbersByMemberPostgres), string(list)); err != nil {
		return nil, fmt.Errorf("load member numbers: %w", err)
	}
	byID := make(map[int64]*dialer.Member, len(rows))
	for _, r := range rows {
		m, err := r.member()
		if err != nil {
			return nil, err
		}
		byID[m.ID] = &m
	}
	for _, c := range comms {
		if m := byID[c.MemberID]; m != nil {
			m.Communications = append(m.Communications, c.communication())
		}
	}
	out := make([]dialer.Member, 0, len(ids))
	for _, id := range ids {
		if m := byID[id]; m != nil {
			out = append(out, *m)
		}
	}
	return out, nil
}

// ChangeMembers applies deferrals and endings to members that are still
// waiting, in one transaction.
func (d *DB) ChangeMembers(ctx context.Context, changes []dialer.MemberChange) error {
	if len(changes) == 0 {
		return nil
	}
	now := toMS(d.now())
	return d.tx(ctx, func(tx *sqlx.Tx) error {
		var failed []int64
		for _, c := range changes {
			var err error
			if c.EndCause != "" {
				var res sql.Result
				res, err = tx.ExecContext(ctx,
					`UPDATE members SET state = 'failed', end_cause = ?, updated_at = ? WHERE id = ? AND state = 'waiting'`,
					c.EndCause, now, c.MemberID)
				if err == nil {
					if n, _ := res.RowsAffected(); n > 0 {
						failed = append(failed, c.MemberID)
					}
				}
			} else {
				_, err = tx.ExecContext(ctx,
					`UPDATE members SET due_at = ?, updated_at = ? WHERE id = ? AND state = 'waiting'`,
					toMS(c.DueAt), now, c.MemberID)
			}
			if err != nil {
				return fmt.Errorf("change member %d: %w", c.MemberID, err)
			}
		}
		return recordMemberFailed(ctx, tx, failed, now)
	})
}

// ExpireMembers ends every waiting member of a campaign whose expiry has
// passed, with their failure notices, and returns how many.
func (d *DB) ExpireMembers(ctx context.Context, campaignID int64, now time.Time) (int, error) {
	var ids []int64
	err := d.tx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.SelectContext(ctx, &ids, `
			UPDATE members SET state = 'failed', end_cause = 'MEMBER_EXPIRED', updated_at = ?1
			WHERE campaign_id = ?2 AND state = 'waiting' AND expires_at IS NOT NULL AND expires_at <= ?1
			RETURNING id`, toMS(now), campaignID); err != nil {
			return err
		}
		return recordMemberFailed(ctx, tx, ids, toMS(now))
	})
	if err != nil {
		return 0, fmt.Errorf("expire members of campaign %d: %w", campaignID, err)
	}
	return len(ids), nil
}

// CampaignProgress counts a campaign's waiting and calling members.
func (d *DB) CampaignProgress(ctx context.Context, campaignID int64) (waiting, calling int, err error) {
	row := d.db.QueryRowxContext(ctx, `
		SELECT count(*) FILTER (WHERE state = 'waiting'), count(*) FILTER (WHERE state = 'calling')
		FROM members WHERE campaign_id = ?`, campaignID)
	if err := row.Scan(&waiting, &calling); err != nil {
		return 0, 0, fmt.Errorf("progress of campaign %d: %w", campaignID, err)
	}
	return waiting, calling, nil
}

// RunnableCampaigns returns the running and paused campaigns with their
// calendars.
func (d *DB) RunnableCampaigns(ctx context.Context) ([]dialer.CampaignRun, error) {
	var names []string
	if err := d.db.SelectContext(ctx, &names,
		`SELECT name FROM campaigns WHERE state IN ('running', 'paused') ORDER BY priority, name`); err != nil {
		return nil, fmt.Errorf("active campaigns: %w", err)
	}
	out := make([]dialer.CampaignRun, 0, len(names))
	for _, n := range names {
		c, err := loadCampaign(ctx, d.db, `c.name = ?`, n)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		cal, err := loadCalendarByID(ctx, d.db, c.calendarID)
		if err != nil {
			return nil, err
		}
		out = append(out, dialer.CampaignRun{Campaign: c.Campaign, Calendar: cal.Calendar})
	}
	return out, nil
}

// CampaignRun returns one campaign with its calendar, whatever its state.
func (d *DB) CampaignRun(ctx context.Context, campaignID int64) (dialer.CampaignRun, error) {
	c, err := loadCampaign(ctx, d.db, `c.id = ?`, campaignID)
	if err != nil {
		return dialer.CampaignRun{}, err
	}
	cal, err := loadCalendarByID(ctx, d.db, c.calendarID)
	if err != nil {
		return dialer.CampaignRun{}, err
	}
	return dialer.CampaignRun{Campaign: c.Campaign, Calendar: cal.Calendar}, nil
}

// DueMemberIDs is DueMembers reduced to ids, in claim order.
func (d *DB) DueMemberIDs(ctx context.Context, campaignID int64, now time.Time, limit int) ([]int64, error) {
	due, err := d.DueMembers(ctx, campaignID, now, limit)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(due))
	for i, m := range due {
		ids[i] = m.ID
	}
	return ids, nil
}

// CampaignsVersion is a cheap fingerprint of every campaign, calendar and
// state: it changes whenever any of them does, so the engine reloads only
// then.
func (d *DB) CampaignsVersion(ctx context.Context) (string, error) {
	// Every campaign's state and stamps, not their maxima: two changes in
	// the same millisecond must still change the version.
	var v struct {
		Campaigns sql.NullString `db:"campaigns"`
		Calendars sql.NullString `db:"calendars"`
	}
	if err := d.db.GetContext(ctx, &v, `
		SELECT (SELECT string_agg(id || ':' || state || ':' || state_changed_at || ':' || updated_at, ',' ORDER BY id)
		        FROM campaigns) AS campaigns,
		       (SELECT string_agg(id || ':' || updated_at, ',' ORDER BY id) FROM calendars) AS calendars`); err != nil {
		return "", fmt.Errorf("campaigns version: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte(v.Campaigns.String + "/" + v.Calendars.String))
	return fmt.Sprintf("%x", h.Sum64()), nil
}

// CountCampaigns counts the campaigns in a run state.
func (d *DB) CountCampaigns(ctx context.Context, state dialer.State) (int, error) {
	var n int
	if err := d.db.GetContext(ctx, &n, `SELECT count(*) FROM campaigns WHERE state = ?`, string(state)); err != nil {
		return 0, fmt.Errorf("count %s campaigns: %w", state, err)
	}
	return n, nil
}

// FinishCampaign marks a running campaign finished, and reports whether
// it did: a campaign that has a member waiting or in a call again (added
// since the engine looked) keeps running, unless its calendar's validity
// has ended.
func (d *DB) FinishCampaign(ctx context.Context, campaignID int64) (bool, error) {
	now := toMS(d.now())
	res, err := d.db.ExecContext(ctx, `
		UPDATE campaigns SET state = 'finished', state_changed_at = ?1
		WHERE id = ?2 AND state = 'running'
		  AND (NOT EXISTS (SELECT 1 FROM members m WHERE m.campaign_id = ?2 AND m.state IN ('waiting', 'calling'))
		       OR EXISTS (SELECT 1 FROM calendars k
		                  WHERE k.id = campaigns.calendar_id AND k.valid_until IS NOT NULL AND k.valid_until <= ?1))`,
		now, campaignID)
	if err != nil {
		return false, fmt.Errorf("finish campaign %d: %w", campaignID, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// blockedQuery finds which of n numbers are blocked for campaign ?1. The
// campaign goes in as "+?" (see dataSource): the query runs at every
// dispatch.
func blockedQuery(n int) string {
	return `SELECT DISTINCT number FROM blocklist
		WHERE (campaign_id IS NULL OR campaign_id = +?) AND number IN (` +
		strings.TrimSuffix(strings.Repeat("?,", n), ",") + `)`
}

// BlockedSet returns the blocked numbers among numbers for a campaign, in
// one query.
func (d *DB) BlockedSet(ctx context.Context, campaignID int64, numbers []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(numbers) == 0 {
		return out, nil
	}
	args := []any{campaignID}
	for _, n := range numbers {
		args = append(args, n)
	}
	var hits []string
	if err := d.db.SelectContext(ctx, &hits, blockedQuery(len(numbers)), args...); err != nil {
		return nil, fmt.Errorf("check blocklist: %w", err)
	}
	for _, h := range hits {
		out[h] = true
	}
	return out, nil
}
