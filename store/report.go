package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/jmoiron/sqlx"
)

// Report is a campaign's results so far, computed by aggregate queries
// over one snapshot of the store.
type Report struct {
	CampaignID int64  `json:"campaign_id" yaml:"campaign_id"`
	Campaign   string `json:"campaign" yaml:"campaign"`
	Mode       string `json:"mode" yaml:"mode"`
	State      string `json:"state" yaml:"state"`
	// Since and Until are the range of the attempts counted, by when each
	// began; nil is open. Member counts are always the members' state now.
	Since *time.Time `json:"since" yaml:"since"`
	Until *time.Time `json:"until" yaml:"until"`
	// Members counts the campaign's members by state.
	Members MemberCounts `json:"members" yaml:"members"`
	// FailedByCause counts failed members by end cause, most frequent first.
	FailedByCause []CauseCount `json:"failed_by_cause" yaml:"failed_by_cause"`
	// Attempts counts attempts, and final ones by class.
	Attempts AttemptCounts `json:"attempts" yaml:"attempts"`
	// ByCause counts final attempts by cause and class, most frequent first.
	// A cause can appear under two classes: an answered call shorter than
	// the campaign's minimum success duration is retry, not ok.
	ByCause []CauseClassCount `json:"by_cause" yaml:"by_cause"`
	// AnswerRate is answered final attempts over final attempts (0 when no
	// attempt is final yet).
	AnswerRate float64 `json:"answer_rate" yaml:"answer_rate"`
	// Abandoned counts final attempts whose customer answered and got no
	// agent: cause ABANDONED, and in the agent modes any answered call that
	// was never bridged (the customer hung up while the agent's phone rang).
	Abandoned int `json:"abandoned" yaml:"abandoned"`
	// AnsweredLive counts final attempts a person answered (ABANDONED ones
	// included): not those an answering machine took (MACHINE).
	AnsweredLive int `json:"answered_live" yaml:"answered_live"`
	// AbandonRate is Abandoned over AnsweredLive (0 when nothing was
	// answered): the figure the 3% abandon rules limit.
	AbandonRate float64 `json:"abandon_rate" yaml:"abandon_rate"`
	// AvgBillsecSeconds is the mean billed time of answered final attempts.
	AvgBillsecSeconds float64 `json:"avg_billsec_seconds" yaml:"avg_billsec_seconds"`
	// MembersDialed is how many members have at least one attempt.
	MembersDialed int `json:"members_dialed" yaml:"members_dialed"`
	// AttemptsPerMember is attempts (counted or not) per dialed member.
	AttemptsPerMember float64 `json:"attempts_per_member" yaml:"attempts_per_member"`
	// Agents has one entry per agent that took part in an attempt; it is
	// empty for IVR campaigns.
	Agents []AgentFigures `json:"agents" yaml:"agents"`
	// Ledger is the abandon ledger of an agent-mode campaign over its
	// rolling windows ending now, whatever the report's range; nil for IVR.
	Ledger *LedgerReport `json:"ledger" yaml:"ledger"`
	// Connect is how long answered customers waited for their agent, from
	// the answer to the bridge; nil for IVR.
	Connect *ConnectTimes `json:"connect" yaml:"connect"`
}

// ConnectTimes are the customers' waits from their answer to the bridge
// to an agent, over the bridged attempts of the report's range, in
// seconds.
type ConnectTimes struct {
	Bridged int     `json:"bridged" yaml:"bridged"`
	P50     float64 `json:"p50_seconds" yaml:"p50_seconds"`
	P95     float64 `json:"p95_seconds" yaml:"p95_seconds"`
	P99     float64 `json:"p99_seconds" yaml:"p99_seconds"`
	Max     float64 `json:"max_seconds" yaml:"max_seconds"`
}

// MemberCounts counts members by state.
type MemberCounts struct {
	Total   int `db:"total" json:"total" yaml:"total"`
	Waiting int `db:"waiting" json:"waiting" yaml:"waiting"`
	Calling int `db:"calling" json:"calling" yaml:"calling"`
	Done    int `db:"done" json:"done" yaml:"done"`
	Failed  int `db:"failed" json:"failed" yaml:"failed"`
	// Held counts waiting and calling members on hold.
	Held int `db:"held" json:"held" yaml:"held"`
}

// AttemptCounts counts attempts: all of them, those still in progress,
// final ones, answered final ones, and final ones by class. Unclassified
// counts final attempts stored without a class.
type AttemptCounts struct {
	Total        int `db:"total" json:"total" yaml:"total"`
	InProgress   int `db:"in_progress" json:"in_progress" yaml:"in_progress"`
	Final        int `db:"final" json:"final" yaml:"final"`
	Answered     int `db:"answered" json:"answered" yaml:"answered"`
	OK           int `db:"ok" json:"ok" yaml:"ok"`
	Retry        int `db:"retry" json:"retry" yaml:"retry"`
	Error        int `db:"error" json:"error" yaml:"error"`
	Minus        int `db:"minus" json:"minus" yaml:"minus"`
	Unclassified int `db:"unclassified" json:"unclassified" yaml:"unclassified"`
}

// CauseCount is how many members ended with a cause.
type CauseCount struct {
	Cause string `db:"cause" json:"cause" yaml:"cause"`
	Count int    `db:"count" json:"count" yaml:"count"`
}

// CauseClassCount is how many final attempts ended with a cause and were
// classified as class.
type CauseClassCount struct {
	Cause string `db:"cause" json:"cause" yaml:"cause"`
	Class string `db:"class" json:"class" yaml:"class"`
	Count int    `db:"count" json:"count" yaml:"count"`
}

// AgentFigures is one agent's part in a campaign. Offered counts attempts
// with the agent; Answered those where the agent answered; NoAnswer final
// ones where the agent's phone rang and was not answered. TalkSeconds sums
// the durations of finished bridges.
type AgentFigures struct {
	AgentID     int64   `db:"agent_id" json:"agent_id" yaml:"agent_id"`
	Name        string  `db:"name" json:"name" yaml:"name"`
	Offered     int     `db:"offered" json:"offered" yaml:"offered"`
	Answered    int     `db:"answered" json:"answered" yaml:"answered"`
	NoAnswer    int     `db:"no_answer" json:"no_answer" yaml:"no_answer"`
	TalkSeconds float64 `db:"talk_seconds" json:"talk_seconds" yaml:"talk_seconds"`
	// WrapUpSeconds is the wrap-up time after the agent's calls.
	WrapUpSeconds float64 `db:"wrapup_seconds" json:"wrapup_seconds" yaml:"wrapup_seconds"`
	// Occupancy is the share of the agent's working span in the campaign
	// (first offer to the end of the last call's wrap-up) spent ringing,
	// talking or in wrap-up.
	Occupancy float64 `db:"occupancy" json:"occupancy" yaml:"occupancy"`
}

// Report computes a campaign's report over all its attempts. It returns
// ErrNotFound when the campaign does not exist.
func (d *DB) Report(ctx context.Context, campaignID int64) (*Report, error) {
	return d.ReportRange(ctx, campaignID, dialer.TimeRange{})
}

// ReportRange computes a campaign's report counting only the attempts that
// began in rng; members are counted by their state now. It returns
// ErrNotFound when the campaign does not exist.
func (d *DB) ReportRange(ctx context.Context, campaignID int64, rng dialer.TimeRange) (*Report, error) {
	if err := rng.Check(); err != nil {
		return nil, fmt.Errorf("report of campaign %d: %w", campaignID, err)
	}
	r := &Report{CampaignID: campaignID, FailedByCause: []CauseCount{}, ByCause: []CauseClassCount{}, Agents: []AgentFigures{}}
	since, until := int64(math.MinInt64), int64(math.MaxInt64)
	if !rng.Since.IsZero() {
		t := rng.Since.UTC()
		r.Since, since = &t, toMS(t)
	}
	if !rng.Until.IsZero() {
		t := rng.Until.UTC()
		r.Until, until = &t, toMS(t)
	}
	// The attempts a report counts: those of the campaign (?1) begun in
	// range (?2, ?3). The queries number their parameters, as both
	// dialects do; ?4 is a query's own.
	inRange := []any{campaignID, since, until}
	err := d.snapshot(ctx, func(q *sqlx.Conn) error {
		var c struct {
			Name  string `db:"name"`
			Mode  string `db:"mode"`
			State string `db:"state"`
		}
		err := q.GetContext(ctx, &c, `SELECT name, mode, state FROM campaigns WHERE id = ?`, campaignID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("campaign %d: %w", campaignID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("campaign: %w", err)
		}
		r.Campaign, r.Mode, r.State = c.Name, c.Mode, c.State

		if err := q.GetContext(ctx, &r.Members, `
			SELECT count(*)                                  AS total,
			       count(*) FILTER (WHERE state = 'waiting') AS waiting,
			       count(*) FILTER (WHERE state = 'calling') AS calling,
			       count(*) FILTER (WHERE state = 'done')    AS done,
			       count(*) FILTER (WHERE state = 'failed')  AS failed,
			       count(*) FILTER (WHERE held = 1 AND state IN ('waiting', 'calling')) AS held
			FROM members WHERE campaign_id = ?`, campaignID); err != nil {
			return fmt.Errorf("members by state: %w", err)
		}
		if err := q.SelectContext(ctx, &r.FailedByCause, `
			SELECT end_cause AS cause, count(*) AS count
			FROM members WHERE campaign_id = ? AND state = 'failed'
			GROUP BY end_cause
			ORDER BY count DESC, cause`, campaignID); err != nil {
			return fmt.Errorf("failed members by cause: %w", err)
		}

		var a struct {
			AttemptCounts
			AvgBillsecMS  float64 `db:"avg_billsec_ms"`
			MembersDialed int     `db:"members_dialed"`
			Abandoned     int     `db:"abandoned"`
			AnsweredLive  int     `db:"answered_live"`
		}
		if err := q.GetContext(ctx, &a, `
			SELECT count(*)                                                AS total,
			       count(*) FILTER (WHERE final = 0)                       AS in_progress,
			       count(*) FILTER (WHERE final = 1)                       AS final,
			       count(*) FILTER (WHERE final = 1 AND answered_at IS NOT NULL) AS answered,
			       count(*) FILTER (WHERE final = 1 AND class = 'ok')      AS ok,
			       count(*) FILTER (WHERE final = 1 AND class = 'retry')   AS retry,
			       count(*) FILTER (WHERE final = 1 AND class = 'error')   AS error,
			       count(*) FILTER (WHERE final = 1 AND class = 'minus')   AS minus,
			       count(*) FILTER (WHERE final = 1 AND class = '')        AS unclassified,
			       coalesce(avg(billsec_ms) FILTER (WHERE final = 1 AND answered_at IS NOT NULL), 0) AS avg_billsec_ms,
			       count(DISTINCT member_id)                               AS members_dialed,
			       count(*) FILTER (WHERE final = 1 AND cause <> 'MACHINE' AND (cause = 'ABANDONED'
			                          OR (?4 <> 'ivr' AND answered_at IS NOT NULL AND bridged_at IS NULL))) AS abandoned,
			       count(*) FILTER (WHERE final = 1 AND cause <> 'MACHINE'
			                          AND (answered_at IS NOT NULL OR cause = 'ABANDONED')) AS answered_live
			FROM attempts
			WHERE campaign_id = ?1 AND created_at >= ?2 AND created_at < ?3`,
			append(inRange, c.Mode)...); err != nil {
			return fmt.Errorf("attempt totals: %w", err)
		}
		r.Attempts = a.AttemptCounts
		r.AvgBillsecSeconds = a.AvgBillsecMS / 1000
		r.MembersDialed = a.MembersDialed
		if a.Final > 0 {
			r.AnswerRate = float64(a.Answered) / float64(a.Final)
		}
		if a.MembersDialed > 0 {
			r.AttemptsPerMember = float64(a.Total) / float64(a.MembersDialed)
		}
		r.Abandoned, r.AnsweredLive = a.Abandoned, a.AnsweredLive
		if a.AnsweredLive > 0 {
			r.AbandonRate = float64(a.Abandoned) / float64(a.AnsweredLive)
		}

		if err := q.SelectContext(ctx, &r.ByCause, `
			SELECT cause, class, count(*) AS count
			FROM attempts
			WHERE campaign_id = ?1 AND created_at >= ?2 AND created_at < ?3 AND final = 1
			GROUP BY cause, class
			ORDER BY count DESC, cause, class`, inRange...); err != nil {
			return fmt.Errorf("attempts by cause: %w", err)
		}
		if c.Mode != string(dialer.ModeIVR) {
			ct, err := connectTimes(ctx, q, inRange)
			if err != nil {
				return err
			}
			r.Connect = ct
		}
		if err := q.SelectContext(ctx, &r.Agents, `
			SELECT a.agent_id,
			       coalesce(g.name, '')               AS name,
			       count(*)                           AS offered,
			       count(a.agent_answered_at)         AS answered,
			       count(*) FILTER (WHERE a.final = 1 AND a.agent_ringing_at IS NOT NULL
			                          AND a.agent_answered_at IS NULL) AS no_answer,
			       coalesce(sum(a.bridge_ended_at - a.bridged_at), 0) / 1000.0 AS talk_seconds,
			       sum(a.wrapup_ms) / 1000.0 AS wrapup_seconds,
			       coalesce(
			         (coalesce(sum(coalesce(a.agent_answered_at, a.ended_at) - a.agent_ringing_at), 0)
			          + coalesce(sum(a.bridge_ended_at - a.bridged_at), 0) + sum(a.wrapup_ms)) * 1.0
			         / nullif(max(coalesce(a.bridge_ended_at, a.ended_at, a.created_at) + a.wrapup_ms) - min(a.created_at), 0),
			       0) AS occupancy
			FROM attempts a
			LEFT JOIN agents g ON g.id = a.agent_id
			WHERE a.campaign_id = ?1 AND a.created_at >= ?2 AND a.created_at < ?3
			  AND a.agent_id IS NOT NULL
			GROUP BY a.agent_id, g.name
			ORDER BY name, a.agent_id`, inRange...); err != nil {
			return fmt.Errorf("agent figures: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("report of campaign %d: %w", campaignID, err)
	}
	if r.Ledger, err = d.Ledger(ctx, campaignID, d.now()); err != nil {
		return nil, fmt.Errorf("report of campaign %d: %w", campaignID, err)
	}
	return r, nil
}

// snapshot runs fn on one connection inside a deferred transaction, so that
// several queries see one snapshot of the database. d.tx is not used for
// this: the driver begins every transaction IMMEDIATE, which would take
// the write lock and stall the daemon for as long as a report runs. On
// PostgreSQL the transaction is a read-only repeatable-read one: one
// snapshot, no lock that a writer waits for.
func (d *DB) snapshot(ctx context.Context, fn func(*sqlx.Conn) error) error {
	conn, err := d.db.Connx(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, d.dialect.pick(`BEGIN DEFERRED`, `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`)); err != nil {
		return err
	}
	defer func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`); err != nil {
			// A connection whose transaction state is unknown must not go
			// back to the pool.
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	return fn(conn)
}

// connectTimes reads the answer-to-bridge waits of the bridged attempts in
// range: their count, then each percentile as the wait at its rank.
func connectTimes(ctx context.Context, q sqlx.QueryerContext, inRange []any) (*ConnectTimes, error) {
	const bridged = `
		FROM attempts
		WHERE campaign_id = ?1 AND created_at >= ?2 AND created_at < ?3
		  AND bridged_at IS NOT NULL AND answered_at IS NOT NULL`
	ct := &ConnectTimes{}
	if err := sqlx.GetContext(ctx, q, &ct.Bridged, `SELECT count(*)`+bridged, inRange...); err != nil {
		return nil, fmt.Errorf("connect times: %w", err)
	}
	if ct.Bridged == 0 {
		return ct, nil
	}
	for _, f := range []struct {
		share float64
		dst   *float64
	}{{0.50, &ct.P50}, {0.95, &ct.P95}, {0.99, &ct.P99}, {1, &ct.Max}} {
		rank := min(int(f.share*float64(ct.Bridged)), ct.Bridged-1)
		var ms int64
		if err := sqlx.GetContext(ctx, q, &ms, `SELECT CASE WHEN bridged_at > answered_at THEN bridged_at - answered_at ELSE 0 END`+bridged+`
			ORDER BY bridged_at - answered_at LIMIT 1 OFFSET ?4`, append(inRange, rank)...); err != nil {
			return nil, fmt.Errorf("connect times: %w", err)
		}
		*f.dst = float64(ms) / 1000
	}
	return ct, nil
}
