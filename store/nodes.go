package store

import (
	"context"
	"fmt"
	"math"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/cause"
)

// NodeFigures are a campaign's attempts on one switch node (esl.nodes).
type NodeFigures struct {
	Node       string `db:"node" json:"node" yaml:"node"`
	Attempts   int    `db:"attempts" json:"attempts" yaml:"attempts"`
	InProgress int    `db:"in_progress" json:"in_progress" yaml:"in_progress"`
	Answered   int    `db:"answered" json:"answered" yaml:"answered"`
	OK         int    `db:"ok" json:"ok" yaml:"ok"`
	Retry      int    `db:"retry" json:"retry" yaml:"retry"`
	Error      int    `db:"error" json:"error" yaml:"error"`
	Minus      int    `db:"minus" json:"minus" yaml:"minus"`
	// Lost counts attempts ended DIALER_LOST: calls whose channel the
	// dialer could no longer find, among them those of a node it lost.
	Lost int `db:"lost" json:"lost" yaml:"lost"`
}

// NodeReport counts a campaign's attempts begun in rng by the switch node
// they were placed on, by node name. It is empty when every attempt was
// placed by a daemon of one switch (an empty node).
func (d *DB) NodeReport(ctx context.Context, campaignID int64, rng dialer.TimeRange) ([]NodeFigures, error) {
	since, until := int64(math.MinInt64), int64(math.MaxInt64)
	if !rng.Since.IsZero() {
		since = toMS(rng.Since)
	}
	if !rng.Until.IsZero() {
		until = toMS(rng.Until)
	}
	out := []NodeFigures{}
	if err := d.db.SelectContext(ctx, &out, `
		SELECT node,
		       count(*) AS attempts,
		       coalesce(sum(CASE WHEN final = 0 THEN 1 ELSE 0 END), 0) AS in_progress,
		       coalesce(sum(CASE WHEN final = 1 AND answered_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS answered,
		       coalesce(sum(CASE WHEN final = 1 AND class = 'ok' THEN 1 ELSE 0 END), 0) AS ok,
		       coalesce(sum(CASE WHEN final = 1 AND class = 'retry' THEN 1 ELSE 0 END), 0) AS retry,
		       coalesce(sum(CASE WHEN final = 1 AND class = 'error' THEN 1 ELSE 0 END), 0) AS error,
		       coalesce(sum(CASE WHEN final = 1 AND class = 'minus' THEN 1 ELSE 0 END), 0) AS minus,
		       coalesce(sum(CASE WHEN final = 1 AND cause = ? THEN 1 ELSE 0 END), 0) AS lost
		FROM attempts
		WHERE campaign_id = ? AND created_at >= ? AND created_at < ? AND node <> ''
		GROUP BY node
		ORDER BY node`, cause.Lost, campaignID, since, until); err != nil {
		return nil, fmt.Errorf("attempts by node of campaign %d: %w", campaignID, err)
	}
	return out, nil
}
