package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/jmoiron/sqlx"
)

// ErrAgentBusy is returned when an agent in a call (reserved, ringing,
// talking or wrap-up) would be deleted without force.
var ErrAgentBusy = errors.New("agent is in a call")

type agentRow struct {
	ID              int64  `db:"id"`
	Name            string `db:"name"`
	Endpoint        string `db:"endpoint"`
	CallTimeoutMS   int64  `db:"call_timeout_ms"`
	WrapUpMS        int64  `db:"wrapup_ms"`
	MaxNoAnswer     int    `db:"max_no_answer"`
	BusyDelayMS     int64  `db:"busy_delay_ms"`
	RejectDelayMS   int64  `db:"reject_delay_ms"`
	NoAnswerDelayMS int64  `db:"no_answer_delay_ms"`
	State           string `db:"state"`
	StateChangedAt  int64  `db:"state_changed_at"`
	NoAnswerCount   int    `db:"no_answer_count"`
	ReadyAt         int64  `db:"ready_at"`
	Session         string `db:"session"`
	OnDrop          string `db:"on_drop"`
	Node            string `db:"node"`
}

const agentSelect = `
	SELECT a.id, a.name, a.endpoint, a.call_timeout_ms, a.wrapup_ms, a.max_no_answer,
	       a.busy_delay_ms, a.reject_delay_ms, a.no_answer_delay_ms,
	       a.state, a.state_changed_at, a.no_answer_count, a.ready_at, a.session, a.on_drop, a.node
	FROM agents a`

func (r agentRow) agent() dialer.Agent {
	return dialer.Agent{
		ID: r.ID, Name: r.Name, Endpoint: r.Endpoint,
		CallTimeout: msDuration(r.CallTimeoutMS), WrapUp: msDuration(r.WrapUpMS), MaxNoAnswer: r.MaxNoAnswer,
		BusyDelay: msDuration(r.BusyDelayMS), RejectDelay: msDuration(r.RejectDelayMS), NoAnswerDelay: msDuration(r.NoAnswerDelayMS),
		State: dialer.AgentState(r.State), StateChangedAt: fromMS(r.StateChangedAt),
		NoAnswerCount: r.NoAnswerCount, ReadyAt: fromMS(r.ReadyAt), Session: r.Session, OnDrop: r.OnDrop,
		Node: r.Node,
	}
}

// loadAgents reads the agents matching where (a condition on alias a),
// by name, each with its tiers by level then campaign name.
func loadAgents(ctx context.Context, q sqlx.QueryerContext, where string, args ...any) ([]dialer.Agent, error) {
	var rows []agentRow
	if err := sqlx.SelectContext(ctx, q, &rows, agentSelect+` WHERE `+where+` ORDER BY a.name`, args...); err != nil {
		return nil, fmt.Errorf("load agents: %w", err)
	}
	var tiers []struct {
		AgentID  int64  `db:"agent_id"`
		Campaign string `db:"campaign"`
		Level    int    `db:"level"`
	}
	if err := sqlx.SelectContext(ctx, q, &tiers, `
		SELECT t.agent_id, c.name AS campaign, t.level
		FROM tiers t
		JOIN campaigns c ON c.id = t.campaign_id
		WHERE t.agent_id IN (SELECT a.id FROM agents a WHERE `+where+`)
		ORDER BY t.level, c.name`, args...); err != nil {
		return nil, fmt.Errorf("load agent tiers: %w", err)
	}
	byID := map[int64][]dialer.Tier{}
	for _, t := range tiers {
		byID[t.AgentID] = append(byID[t.AgentID], dialer.Tier{Campaign: t.Campaign, Level: t.Level})
	}
	out := make([]dialer.Agent, len(rows))
	for i, r := range rows {
		out[i] = r.agent()
		out[i].Tiers = byID[r.ID]
	}
	return out, nil
}

// ApplyAgents creates or updates agents by name in one transaction and
// says what happened to each. The agents must be normalised and valid
// (dialer.ReadAgents does both). An agent's tiers are replaced by the
// ones given; agents left out are kept (dialer agent delete removes one).
// A tier naming no campaign fails the whole apply with a
// *dialer.ValidationError naming agents[i].campaigns[j].campaign, and
// nothing is written. An agent whose settings and tiers are already stored
// is Unchanged and not written. Live state is never touched: new agents
// start logged out.
func (d *DB) ApplyAgents(ctx context.Context, agents []dialer.Agent) (map[string]Change, error) {
	if err := dialer.ValidateAgents(agents); err != nil {
		return nil, fmt.Errorf("apply agents: %w", err)
	}
	changes := map[string]Change{}
	err := d.tx(ctx, func(tx *sqlx.Tx) error {
		var campaigns []struct {
			ID   int64  `db:"id"`
			Name string `db:"name"`
		}
		if err := tx.SelectContext(ctx, &campaigns, `SELECT id, name FROM campaigns`); err != nil {
			return fmt.Errorf("list campaigns: %w", err)
		}
		campaignID := map[string]int64{}
		for _, c := range campaigns {
			campaignID[c.Name] = c.ID
		}
		var missing []dialer.FieldError
		for i, a := range agents {
			for j, t := range a.Tiers {
				if _, ok := campaignID[t.Campaign]; !ok {
					missing = append(missing, dialer.FieldError{
						Path:   fmt.Sprintf("agents[%d].campaigns[%d].campaign", i, j),
						Reason: fmt.Sprintf("no campaign named %q (apply it first: dialer campaign apply -f FILE)", t.Campaign),
					})
				}
			}
		}
		if len(missing) > 0 {
			return &dialer.ValidationError{Problems: missing}
		}
		stored, err := loadAgents(ctx, tx, `1 = 1`)
		if err != nil {
			return err
		}
		old := map[string]dialer.Agent{}
		for _, a := range stored {
			old[a.Name] = a
		}
		now := toMS(d.now())
		for _, a := range agents {
			prev, exists := old[a.Name]
			switch {
			case !exists:
				changes[a.Name] = Created
			case sameAgent(prev, a):
				changes[a.Name] = Unchanged
				continue
			default:
				changes[a.Name] = Updated
			}
			if err := writeAgent(ctx, tx, a, campaignID, now); err != nil {
				return fmt.Errorf("agent %s: %w", a.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("apply agents: %w", err)
	}
	return changes, nil
}

func writeAgent(ctx context.Context, tx *sqlx.Tx, a dialer.Agent, campaignID map[string]int64, now int64) error {
	a.Normalize()
	var id int64
	err := tx.GetContext(ctx, &id, `
		INSERT INTO agents (
			name, endpoint, call_timeout_ms, wrapup_ms, max_no_answer,
			busy_delay_ms, reject_delay_ms, no_answer_delay_ms, session, on_drop, node,
			state, state_changed_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'logged_out', ?, ?)
		ON CONFLICT (name) DO UPDATE SET
			endpoint = excluded.endpoint, call_timeout_ms = excluded.call_timeout_ms,
			wrapup_ms = excluded.wrapup_ms, max_no_answer = excluded.max_no_answer,
			busy_delay_ms = excluded.busy_delay_ms, reject_delay_ms = excluded.reject_delay_ms,
			no_answer_delay_ms = excluded.no_answer_delay_ms, session = excluded.session,
			on_drop = excluded.on_drop, node = excluded.node, updated_at = excluded.updated_at
		RETURNING id`,
		a.Name, a.Endpoint, a.CallTimeout.D().Milliseconds(), a.WrapUp.D().Milliseconds(), a.MaxNoAnswer,
		a.BusyDelay.D().Milliseconds(), a.RejectDelay.D().Milliseconds(), a.NoAnswerDelay.D().Milliseconds(),
		a.Session, a.OnDrop, a.Node, now, now)
	if err != nil {
		return fmt.Errorf("write agent: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM tiers WHERE agent_id = ?`, id); err != nil {
		return fmt.Errorf("replace tiers: %w", err)
	}
	for _, t := range a.Tiers {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tiers (agent_id, campaign_id, level) VALUES (?, ?, ?)`,
			id, campaignID[t.Campaign], t.Level); err != nil {
			return fmt.Errorf("write tier %s: %w", t.Campaign, err)
		}
	}
	return nil
}

// sameAgent compares the settings and tiers of two agents, ignoring ids,
// live state and the order tiers were written in.
func sameAgent(a, b dialer.Agent) bool {
	return reflect.DeepEqual(agentSettings(a), agentSettings(b))
}

func agentSettings(a dialer.Agent) dialer.Agent {
	a.Normalize()
	s := dialer.Agent{
		Name: a.Name, Endpoint: a.Endpoint, CallTimeout: a.CallTimeout, WrapUp: a.WrapUp, MaxNoAnswer: a.MaxNoAnswer,
		BusyDelay: a.BusyDelay, RejectDelay: a.RejectDelay, NoAnswerDelay: a.NoAnswerDelay,
		Session: a.Session, OnDrop: a.OnDrop, Node: a.Node,
	}
	if len(a.Tiers) > 0 {
		s.Tiers = append([]dialer.Tier(nil), a.Tiers...)
		sort.Slice(s.Tiers, func(i, j int) bool {
			if s.Tiers[i].Level != s.Tiers[j].Level {
				return s.Tiers[i].Level < s.Tiers[j].Level
			}
			return s.Tiers[i].Campaign < s.Tiers[j].Campaign
		})
	}
	return s
}

// Agents lists every agent by name, with tiers and live state.
func (d *DB) Agents(ctx context.Context) ([]dialer.Agent, error) {
	return loadAgents(ctx, d.db, `1 = 1`)
}

// AgentsToWork are the agents the daemon works: all of them, or with
// several daemons sharing the database those it holds, having first
// taken those no live daemon holds (see cluster.go).
func (d *DB) AgentsToWork(ctx context.Context) ([]dialer.Agent, error) {
	id := d.daemonID()
	if id == 0 {
		return d.Agents(ctx)
	}
	if err := d.takeAgents(ctx, id); err != nil {
		return nil, err
	}
	return loadAgents(ctx, d.db, `a.daemon_id = ?`, id)
}

// Agent returns one agent by name, with tiers and live state.
func (d *DB) Agent(ctx context.Context, name string) (*dialer.Agent, error) {
	list, err := loadAgents(ctx, d.db, `a.name = ?`, name)
	if err != nil {
		return nil, fmt.Errorf("agent %s: %w", name, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("agent %s: %w", name, ErrNotFound)
	}
	return &list[0], nil
}

// AgentsForCampaign lists the agents tiered to a campaign, whatever their
// state, each with that one tier in Tiers (so Tiers[0].Level is its level
// there). They come by level, then longest in their current state first,
// then id: for available agents that is the offer order.
func (d *DB) AgentsForCampaign(ctx context.Context, campaignID int64) ([]dialer.Agent, error) {
	var rows []struct {
		agentRow
		Campaign string `db:"campaign"`
		Level    int    `db:"level"`
	}
	err := d.db.SelectContext(ctx, &rows, `
		SELECT a.id, a.name, a.endpoint, a.call_timeout_ms, a.wrapup_ms, a.max_no_answer,
		       a.busy_delay_ms, a.reject_delay_ms, a.no_answer_delay_ms,
		       a.state, a.state_changed_at, a.no_answer_count, a.ready_at, a.session, a.on_drop, a.node,
		       c.name AS campaign, t.level
		FROM tiers t
		JOIN agents a ON a.id = t.agent_id
		JOIN campaigns c ON c.id = t.campaign_id
		WHERE t.campaign_id = ?
		ORDER BY t.level, a.state_changed_at, a.id`, campaignID)
	if err != nil {
		return nil, fmt.Errorf("agents of campaign %d: %w", campaignID, err)
	}
	out := make([]dialer.Agent, len(rows))
	for i, r := range rows {
		out[i] = r.agent()
		out[i].Tiers = []dialer.Tier{{Campaign: r.Campaign, Level: r.Level}}
	}
	return out, nil
}

// DeleteAgent deletes an agent and its tiers; past attempts keep no agent.
// An agent in a call (reserved, ringing, talking, wrap-up) is refused with
// ErrAgentBusy unless force is set.
func (d *DB) DeleteAgent(ctx context.Context, name string, force bool) error {
	return d.tx(ctx, func(tx *sqlx.Tx) error {
		var row struct {
			ID    int64             `db:"id"`
			State dialer.AgentState `db:"state"`
		}
		if err := tx.GetContext(ctx, &row, `SELECT id, state FROM agents WHERE name = ?`, name); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("delete agent %s: %w", name, ErrNotFound)
			}
			return fmt.Errorf("delete agent %s: %w", name, err)
		}
		if row.State.InCall() && !force {
			return fmt.Errorf("delete agent %s: %w (%s; log the agent out first, or use --force)", name, ErrAgentBusy, row.State)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM agents WHERE id = ?`, row.ID); err != nil {
			return fmt.Errorf("delete agent %s: %w", name, err)
		}
		return nil
	})
}

// AgentStateChange says what RequestAgentState did.
type AgentStateChange struct {
	AgentID int64
	Agent   string
	// From is the agent's stored state when the request was made.
	From dialer.AgentState
	// To is the requested state.
	To dialer.AgentState
	// Applied is true when the stored state is now To; false when the
	// agent is in a call and the daemon applies the request when it ends.
	Applied     bool
	RequestedAt time.Time
}

// RequestAgentState asks for an agent to be logged out, available or on
// break, as RequestAgentStates does for one name; an unknown name is
// ErrNotFound.
func (d *DB) RequestAgentState(ctx context.Context, name string, state dialer.AgentState) (AgentStateChange, error) {
	chs, err := d.RequestAgentStates(ctx, []string{name}, state)
	var unknown *UnknownError
	if errors.As(err, &unknown) {
		return AgentStateChange{Agent: name, To: state}, fmt.Errorf("request agent %s %s: %w", name, state, ErrNotFound)
	}
	if err != nil {
		return AgentStateChange{Agent: name, To: state}, err
	}
	return chs[0], nil
}

// RequestAgentStates asks for agents to be logged out, available or on
// break, all of them or none: one transaction, and names that match no
// agent fail the whole request with an *UnknownError naming each of them.
// The changes come in the order of names.
//
// The request is always recorded, for the running daemon to pick up
// (PendingAgentRequests). When an agent is not in a call (logged out,
// available or on break), the state is also set at once, so that it holds
// with no daemon running; such a direct change starts a fresh no-answer
// count and clears ReadyAt. An agent in a call keeps its state: the daemon
// owns it until the call and wrap-up end.
//
// requested_at is kept strictly increasing per agent so that
// ClearAgentRequest never clears a newer request made in the same
// millisecond.
func (d *DB) RequestAgentStates(ctx context.Context, names []string, state dialer.AgentState) ([]AgentStateChange, error) {
	what := fmt.Sprintf("request %s for agents %s", state, strings.Join(names, ", "))
	if !state.Requestable() {
		return nil, fmt.Errorf("%s: only logged_out, available or break can be requested", what)
	}
	var changes []AgentStateChange
	err := d.tx(ctx, func(tx *sqlx.Tx) error {
		query, args, err := sqlx.In(`SELECT id, name, state FROM agents WHERE name IN (?)`, names)
		if err != nil {
			return err
		}
		var rows []struct {
			ID    int64             `db:"id"`
			Name  string            `db:"name"`
			State dialer.AgentState `db:"state"`
		}
		if err := tx.SelectContext(ctx, &rows, query, args...); err != nil {
			return fmt.Errorf("look up agents: %w", err)
		}
		byName := map[string]int{}
		found := map[string]bool{}
		for i, r := range rows {
			byName[r.Name], found[r.Name] = i, true
		}
		if missing := unknownNames(names, found); len(missing) > 0 {
			return &UnknownError{What: "agent named", Names: missing}
		}
		now := toMS(d.now())
		for _, name := range names {
			row := &rows[byName[name]]
			ch := AgentStateChange{AgentID: row.ID, Agent: name, From: row.State, To: state}
			var at int64
			if err := tx.GetContext(ctx, &at, `
				UPDATE agents
				SET requested_state = ?,
				    requested_at = CASE WHEN coalesce(requested_at, 0) + 1 > ? THEN coalesce(requested_at, 0) + 1 ELSE ? END
				WHERE id = ?
				RETURNING requested_at`, string(state), now, now, row.ID); err != nil {
				return fmt.Errorf("record request of agent %s: %w", name, err)
			}
			ch.RequestedAt = fromMS(at)
			if !row.State.InCall() {
				ch.Applied = true
				if row.State != state {
					if _, err := tx.ExecContext(ctx, `
						UPDATE agents SET state = ?, state_changed_at = ?, no_answer_count = 0, ready_at = 0
						WHERE id = ?`, string(state), now, row.ID); err != nil {
						return fmt.Errorf("set state of agent %s: %w", name, err)
					}
					row.State = state
				}
			}
			changes = append(changes, ch)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return changes, nil
}

// AgentRequest is a state asked for an agent that the daemon has not yet
// acknowledged.
type AgentRequest struct {
	AgentID int64
	Agent   string
	// State is the requested state.
	State dialer.AgentState
	// Current is the agent's stored state.
	Current     dialer.AgentState
	RequestedAt time.Time
}

// PendingAgentRequests lists the recorded state requests, oldest first.
// The daemon applies each one (at once, or when the agent's call and
// wrap-up end) and then calls ClearAgentRequest.
func (d *DB) PendingAgentRequests(ctx context.Context) ([]AgentRequest, error) {
	var rows []struct {
		ID          int64  `db:"id"`
		Name        string `db:"name"`
		State       string `db:"state"`
		Requested   string `db:"requested_state"`
		RequestedAt int64  `db:"requested_at"`
	}
	if err := d.db.SelectContext(ctx, &rows, `
		SELECT id, name, state, requested_state, requested_at
		FROM agents
		WHERE requested_state IS NOT NULL
		ORDER BY requested_at, id`); err != nil {
		return nil, fmt.Errorf("pending agent requests: %w", err)
	}
	out := make([]AgentRequest, len(rows))
	for i, r := range rows {
		out[i] = AgentRequest{AgentID: r.ID, Agent: r.Name, State: dialer.AgentState(r.Requested),
			Current: dialer.AgentState(r.State), RequestedAt: fromMS(r.RequestedAt)}
	}
	return out, nil
}

// ClearAgentRequest removes an agent's request if it is still the one
// made at requestedAt; a newer request stays pending. Clearing a request
// that is gone already is not an error.
func (d *DB) ClearAgentRequest(ctx context.Context, agentID int64, requestedAt time.Time) error {
	if _, err := d.db.ExecContext(ctx, `
		UPDATE agents SET requested_state = NULL, requested_at = NULL
		WHERE id = ? AND requested_at = ?`, agentID, toMS(requestedAt)); err != nil {
		return fmt.Errorf("clear request of agent %d: %w", agentID, err)
	}
	return nil
}

// SetAgentLive writes the live state the daemon keeps for an agent: its
// state since changedAt, the unanswered offers in a row, and when it may
// be offered the next call (the zero time = at once).
func (d *DB) SetAgentLive(ctx context.Context, agentID int64, state dialer.AgentState, changedAt time.Time, noAnswerCount int, readyAt time.Time) error {
	if !state.Valid() {
		return fmt.Errorf("set agent %d live: unknown state %q", agentID, state)
	}
	res, err := d.db.ExecContext(ctx, `
		UPDATE agents SET state = ?, state_changed_at = ?, no_answer_count = ?, ready_at = ?
		WHERE id = ?`, string(state), toMS(changedAt), noAnswerCount, toMS(readyAt), agentID)
	if err != nil {
		return fmt.Errorf("set agent %d live: %w", agentID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("set agent %d live: %w", agentID, err)
	} else if n == 0 {
		return fmt.Errorf("set agent %d live: %w", agentID, ErrNotFound)
	}
	return nil
}
