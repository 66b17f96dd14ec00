package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/fsdialer/dialer/dialer"
)

// DaemonStatus is what the running daemon reports about itself about once
// a second, for `dialer status` to read from another process. The row
// outlives the daemon: a shutdown stamps StoppedAt, so a status that is
// old and has no StoppedAt is a daemon that died without saying so.
type DaemonStatus struct {
	PID              int       `json:"pid"`
	Host             string    `json:"host"`
	Version          string    `json:"version"`
	StartedAt        time.Time `json:"started_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	ESLState         string    `json:"esl_state"`
	ESLReconnects    int       `json:"esl_reconnects"`
	CallsInProgress  int       `json:"calls_in_progress"`
	OriginatesPerSec float64   `json:"originates_per_sec"`
	// ESLSince is when the event socket connection came up, or went down
	// (the retries of one outage count as one); ESLError is why it is
	// down and ESLRetry how long the daemon waits between tries.
	ESLSince  time.Time       `json:"esl_since"`
	ESLError  string          `json:"esl_error,omitempty"`
	ESLRetry  dialer.Duration `json:"esl_retry,omitempty"`
	Campaigns []CampaignLive  `json:"campaigns"`
	// Nodes are the switch nodes of a daemon working several (esl.nodes).
	Nodes []NodeLive `json:"nodes,omitempty"`
	// StoppedAt is when the daemon shut down, zero while it runs or when
	// it died; StopError is the error it exited with, "" for a clean
	// shutdown.
	StoppedAt time.Time `json:"stopped_at"`
	StopError string    `json:"stop_error,omitempty"`
}

// CampaignLive is one running campaign's live figures as the daemon sees
// them.
type CampaignLive struct {
	Name        string  `json:"name"`
	LinesInUse  int     `json:"lines_in_use"`
	MaxLines    int     `json:"max_lines"`
	CallsPerSec float64 `json:"calls_per_sec"`
}

// NodeLive is one switch node as the daemon sees it.
type NodeLive struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	// State is connected or disconnected, since Since.
	State    string    `json:"state"`
	Since    time.Time `json:"since"`
	Calls    int       `json:"calls"`
	MaxCalls int       `json:"max_calls"`
}

type daemonStatusRow struct {
	PID              int           `db:"pid"`
	Host             string        `db:"host"`
	Version          string        `db:"version"`
	StartedAt        int64         `db:"started_at"`
	UpdatedAt        int64         `db:"updated_at"`
	ESLState         string        `db:"esl_state"`
	ESLReconnects    int           `db:"esl_reconnects"`
	CallsInProgress  int           `db:"calls_in_progress"`
	OriginatesPerSec float64       `db:"originates_per_sec"`
	ESLSince         sql.NullInt64 `db:"esl_since"`
	ESLError         string        `db:"esl_error"`
	ESLRetryMS       int64         `db:"esl_retry_ms"`
	Campaigns        string        `db:"campaigns"`
	Nodes            string        `db:"nodes"`
	StoppedAt        sql.NullInt64 `db:"stopped_at"`
	StopError        string        `db:"stop_error"`
}

// WriteDaemonStatus records the running daemon's status, replacing the
// previous one (and the stop of an earlier run). A zero UpdatedAt is
// stamped with the store's clock.
func (d *DB) WriteDaemonStatus(ctx context.Context, s DaemonStatus) error {
	if s.UpdatedAt.IsZero() {
		s.UpdatedAt = d.now()
	}
	live := s.Campaigns
	if live == nil {
		live = []CampaignLive{}
	}
	campaigns, err := json.Marshal(live)
	if err != nil {
		return fmt.Errorf("write daemon status: campaigns: %w", err)
	}
	nodes := s.Nodes
	if nodes == nil {
		nodes = []NodeLive{}
	}
	nodesJSON, err := json.Marshal(nodes)
	if err != nil {
		return fmt.Errorf("write daemon status: nodes: %w", err)
	}
	_, err = d.db.ExecContext(ctx, `
		INSERT INTO daemon_status (id, pid, host, version, started_at, updated_at, esl_state,
		                           esl_reconnects, calls_in_progress, originates_per_sec,
		                           esl_since, esl_error, esl_retry_ms, campaigns, nodes, stopped_at, stop_error)
		VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '')
		ON CONFLICT (id) DO UPDATE SET
			pid = excluded.pid, host = excluded.host, version = excluded.version,
			started_at = excluded.started_at, updated_at = excluded.updated_at,
			esl_state = excluded.esl_state, esl_reconnects = excluded.esl_reconnects,
			calls_in_progress = excluded.calls_in_progress,
			originates_per_sec = excluded.originates_per_sec,
			esl_since = excluded.esl_since, esl_error = excluded.esl_error,
			esl_retry_ms = excluded.esl_retry_ms, campaigns = excluded.campaigns, nodes = excluded.nodes,
			stopped_at = NULL, stop_error = ''`,
		s.PID, s.Host, s.Version, toMS(s.StartedAt), toMS(s.UpdatedAt), s.ESLState,
		s.ESLReconnects, s.CallsInProgress, s.OriginatesPerSec,
		nullMS(s.ESLSince), s.ESLError, s.ESLRetry.D().Milliseconds(), string(campaigns), string(nodesJSON))
	if err != nil {
		return fmt.Errorf("write daemon status: %w", err)
	}
	return nil
}

// DaemonStatus returns the last status the daemon wrote, or ErrNotFound
// when no daemon ever ran on this database. How fresh it is, is the
// caller's judgement: compare UpdatedAt with the clock, and look at
// StoppedAt.
func (d *DB) DaemonStatus(ctx context.Context) (*DaemonStatus, error) {
	var r daemonStatusRow
	err := d.db.GetContext(ctx, &r, `
		SELECT pid, host, version, started_at, updated_at, esl_state, esl_reconnects,
		       calls_in_progress, originates_per_sec, esl_since, esl_error, esl_retry_ms,
		       campaigns, nodes, stopped_at, stop_error
		FROM daemon_status WHERE id = 1`)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("daemon status: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read daemon status: %w", err)
	}
	s := &DaemonStatus{
		PID: r.PID, Host: r.Host, Version: r.Version, StartedAt: fromMS(r.StartedAt), UpdatedAt: fromMS(r.UpdatedAt),
		ESLState: r.ESLState, ESLReconnects: r.ESLReconnects, CallsInProgress: r.CallsInProgress,
		OriginatesPerSec: r.OriginatesPerSec, ESLSince: fromNullMS(r.ESLSince), ESLError: r.ESLError,
		ESLRetry:  dialer.Duration(time.Duration(r.ESLRetryMS) * time.Millisecond),
		StoppedAt: fromNullMS(r.StoppedAt), StopError: r.StopError,
	}
	if err := json.Unmarshal([]byte(r.Campaigns), &s.Campaigns); err != nil {
		return nil, fmt.Errorf("read daemon status: stored campaigns: %w", err)
	}
	if err := json.Unmarshal([]byte(r.Nodes), &s.Nodes); err != nil {
		return nil, fmt.Errorf("read daemon status: stored nodes: %w", err)
	}
	if len(s.Nodes) == 0 {
		// A daemon of one switch has no nodes, as it wrote them.
		s.Nodes = nil
	}
	return s, nil
}

// MarkDaemonStopped records that the daemon of process pid shut down at
// at: cleanly when stopErr is "", else on that error. The figures of its
// last status are kept as they were. A status another run wrote (the
// daemon stopped before it wrote its own) is left alone.
func (d *DB) MarkDaemonStopped(ctx context.Context, pid int, at time.Time, stopErr string) error {
	if _, err := d.db.ExecContext(ctx, `
		UPDATE daemon_status SET stopped_at = ?, stop_error = ?, updated_at = ? WHERE id = 1 AND pid = ?`,
		toMS(at), stopErr, toMS(at), pid); err != nil {
		return fmt.Errorf("record daemon stop: %w", err)
	}
	return nil
}

// CampaignActivity is a running or paused campaign with its attempts so
// far (over the campaign's whole life), counted by class.
type CampaignActivity struct {
	ID         int64  `db:"id" json:"id"`
	Name       string `db:"name" json:"name"`
	State      string `db:"state" json:"state"`
	Priority   int    `db:"priority" json:"priority"`
	MaxLines   int    `db:"max_lines" json:"max_lines"`
	Attempts   int    `db:"attempts" json:"attempts"`
	InProgress int    `db:"in_progress" json:"in_progress"`
	OK         int    `db:"ok" json:"ok"`
	Retry      int    `db:"retry" json:"retry"`
	Error      int    `db:"error" json:"error"`
	Minus      int    `db:"minus" json:"minus"`
}

// ActiveCampaigns lists the running and paused campaigns, by priority then
// name, with their attempts counted by class; InProgress counts attempts
// that are not final yet.
func (d *DB) ActiveCampaigns(ctx context.Context) ([]CampaignActivity, error) {
	out := []CampaignActivity{}
	err := d.db.SelectContext(ctx, &out, `
		SELECT c.id, c.name, c.state, c.priority, c.max_lines,
		       count(a.id)                                         AS attempts,
		       count(a.id) FILTER (WHERE a.final = 0)              AS in_progress,
		       count(a.id) FILTER (WHERE a.final = 1 AND a.class = 'ok')    AS ok,
		       count(a.id) FILTER (WHERE a.final = 1 AND a.class = 'retry') AS retry,
		       count(a.id) FILTER (WHERE a.final = 1 AND a.class = 'error') AS error,
		       count(a.id) FILTER (WHERE a.final = 1 AND a.class = 'minus') AS minus
		FROM campaigns c
		LEFT JOIN attempts a ON a.campaign_id = c.id
		WHERE c.state IN ('running', 'paused')
		GROUP BY c.id
		ORDER BY c.priority, c.name`)
	if err != nil {
		return nil, fmt.Errorf("list active campaigns: %w", err)
	}
	return out, nil
}
