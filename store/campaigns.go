package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/jmoiron/sqlx"
)

// ErrRunning is returned when a running campaign would be deleted without force.
var ErrRunning = errors.New("campaign is running")

// ErrCallsInProgress is returned (as a *CallsInProgressError) when a
// campaign with attempts that are not final would be deleted, whatever
// the force.
var ErrCallsInProgress = errors.New("calls in progress")

// CallsInProgressError is a delete refused for the campaign's open
// attempts; it says what the operator can do.
type CallsInProgressError struct {
	Campaign string
	Calls    int
}

func (e *CallsInProgressError) Error() string {
	calls := "calls"
	if e.Calls == 1 {
		calls = "call"
	}
	return fmt.Sprintf("campaign %s has %d %s in progress; stop it and wait for them to end (dialer campaign stop %s), "+
		"or use --hangup to hang them up first", e.Campaign, e.Calls, calls, e.Campaign)
}

// Is makes errors.Is(err, ErrCallsInProgress) hold.
func (e *CallsInProgressError) Is(target error) bool { return target == ErrCallsInProgress }

type campaignRow struct {
	ID               int64  `db:"id"`
	Name             string `db:"name"`
	Description      string `db:"description"`
	Mode             string `db:"mode"`
	State            string `db:"state"`
	Priority         int    `db:"priority"`
	CalendarID       int64  `db:"calendar_id"`
	TimezonePolicy   string `db:"timezone_policy"`
	CallerIDName     string `db:"caller_id_name"`
	CallerIDNumbers  string `db:"caller_id_numbers"`
	DialTemplate     string `db:"dial_template"`
	DialVars         string `db:"dial_vars"`
	IVRExtension     string `db:"ivr_extension"`
	IVRDialplan      string `db:"ivr_dialplan"`
	IVRContext       string `db:"ivr_context"`
	ResultVariable   string `db:"result_variable"`
	AgentHoldMS      int64  `db:"agent_hold_ms"`
	AgentKeepOnLine  bool   `db:"agent_keep_on_line"`
	MaxLines         int    `db:"max_lines"`
	CallsPerInterval int    `db:"calls_per_interval"`
	IntervalMS       int64  `db:"interval_ms"`
	RingTimeoutMS    int64  `db:"ring_timeout_ms"`
	MinSuccessMS     int64  `db:"min_success_ms"`
	DefaultClass     string `db:"default_class"`
	Results          string `db:"results"`
	Variables        string `db:"variables"`
	CallbackURL      string `db:"callback_url"`
	CronStart        string `db:"cron_start"`
	CronStop         string `db:"cron_stop"`
	NumberOrder      string `db:"number_order"`
	NumberTypes      string `db:"number_types"`
	SortVariable     string `db:"sort_variable"`
	SortOrder        string `db:"sort_order"`
	Filter           string `db:"filter"`
	DefaultRegion    string `db:"default_region"`
	ImportMapping    string `db:"import_mapping"`
	Autostart        bool   `db:"autostart"`
	TimezoneFallback string `db:"timezone_fallback"`
	RetryMaxAttempts int    `db:"max_attempts"`
	RetryIntervalMS  int64  `db:"retry_interval_ms"`
	RetryMaxPerDay   int    `db:"max_per_day"`
	RetryMaxDays     int    `db:"max_days"`
	RetryMaxMinus    int    `db:"max_minus"`
}

const campaignSelect = `
	SELECT c.id, c.name, c.description, c.mode, c.state, c.priority, c.calendar_id, c.timezone_policy,
	       c.caller_id_name, c.caller_id_numbers, c.dial_template, c.dial_vars,
	       c.ivr_extension, c.ivr_dialplan, c.ivr_context, c.result_variable,
	       c.agent_hold_ms, c.agent_keep_on_line,
	       c.max_lines, c.calls_per_interval, c.interval_ms, c.ring_timeout_ms, c.min_success_ms,
	       c.default_class, c.results, c.variables, c.callback_url, c.cron_start, c.cron_stop,
	       c.number_order, c.number_types, c.sort_variable, c.sort_order, c.filter,
	       c.default_region, c.import_mapping, c.autostart, c.timezone_fallback,
	       r.max_attempts, r.interval_ms AS retry_interval_ms, r.max_per_day, r.max_days, r.max_minus
	FROM campaigns c
	JOIN retry_policies r ON r.campaign_id = c.id`

// mustJSON encodes values that always encode (maps and slices of strings).
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("store: encode %T: %v", v, err))
	}
	return string(b)
}

// ApplyCampaign creates or updates a campaign by name. The campaign must
// be normalised and valid (dialer.ReadCampaign does both). Applying an
// identical campaign writes nothing and reports Unchanged. A run state is
// never changed by an apply.
func (d *DB) ApplyCampaign(ctx context.Context, c *dialer.Campaign) (Change, error) {
	var inline *dialer.CalendarSpec
	if c.Calendar.Inline != nil {
		cal, err := c.Calendar.Build()
		if err != nil {
			return "", err
		}
		spec := dialer.SpecFromCalendar("", cal)
		inline = &spec
	}
	var change Change
	err := d.tx(ctx, func(tx *sqlx.Tx) error {
		now := d.now()
		old, err := loadCampaign(ctx, tx, `c.name = ?`, c.Name)
		switch {
		case errors.Is(err, ErrNotFound):
			change = Created
		case err != nil:
			return err
		default:
			change = Updated
			want := *c
			if inline != nil {
				want.Calendar = dialer.CalendarRef{Inline: inline}
			}
			if sameCampaign(old, &want) {
				change = Unchanged
				return nil
			}
			if err := checkModeChange(old.Campaign, c); err != nil {
				return err
			}
		}
		var calID int64
		if c.Calendar.Inline != nil {
			cal, err := c.Calendar.Build()
			if err != nil {
				return err
			}
			if calID, err = writeCalendar(ctx, tx, inlineCalendarName(c.Name), "", 0, cal, now); err != nil {
				return err
			}
		} else {
			cal, err := loadCalendarByName(ctx, tx, c.Calendar.Name)
			if err != nil {
				if errors.Is(err, ErrNotFound) {
					return &dialer.ValidationError{Problems: []dialer.FieldError{{
						Path: "calendar", Reason: fmt.Sprintf("no calendar named %q (apply it first: dialer calendar apply -f FILE)", c.Calendar.Name)}}}
				}
				return err
			}
			if cal.Owner != "" && cal.Owner != c.Name {
				return fmt.Errorf("calendar %q belongs to campaign %q", c.Calendar.Name, cal.Owner)
			}
			calID = cal.ID
		}
		id, err := writeCampaign(ctx, tx, c, calID, now)
		if err != nil {
			return err
		}
		if err := writeRecordSettings(ctx, tx, id, c); err != nil {
			return err
		}
		if c.Calendar.Inline != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE calendars SET owner_campaign_id = ? WHERE id = ?`, id, calID); err != nil {
				return err
			}
		} else if _, err := tx.ExecContext(ctx,
			`DELETE FROM calendars WHERE owner_campaign_id = ? AND name = ?`, id, inlineCalendarName(c.Name)); err != nil {
			return err
		}
		if old == nil || old.Sort != c.Sort {
			return d.resortMembers(ctx, tx, id, 0, c.Sort)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("apply campaign %s: %w", c.Name, err)
	}
	return change, nil
}

// resortMembers recomputes the sort keys of a campaign's members with id
// at least fromID from a numeric variable (NULL when it is not a number);
// desc order stores the negated value so that one ascending index serves both.
func (d *DB) resortMembers(ctx context.Context, tx *sqlx.Tx, campaignID, fromID int64, s dialer.SortSpec) error {
	sign := 1.0
	if s.Order == "desc" {
		sign = -1
	}
	var err error
	if s.Variable == "" {
		_, err = tx.ExecContext(ctx, `UPDATE members SET sort_key = NULL
			WHERE campaign_id = ? AND id >= ? AND sort_key IS NOT NULL`, campaignID, fromID)
	} else {
		_, err = tx.ExecContext(ctx, `
			UPDATE members
			SET sort_key = (`+d.dialect.pick(`
				SELECT CASE WHEN v IS NULL OR v = '' OR v GLOB '*[^0-9.eE+-]*' THEN NULL
				            ELSE ? * CAST(v AS REAL) END
				FROM (SELECT json_extract(members.variables, '$.' || ?) AS v)`, `
				SELECT CASE WHEN v ~ '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$'
				            THEN ? * CAST(v AS DOUBLE PRECISION) END
				FROM (SELECT CAST(members.variables AS jsonb) ->> ? AS v) AS sort_value`)+`)
			WHERE campaign_id = ? AND id >= ?`,
			sign, s.Variable, campaignID, fromID)
	}
	if err != nil {
		return fmt.Errorf("sort members by %q: %w", s.Variable, err)
	}
	return nil
}

type storedCampaign struct {
	*dialer.Campaign
	calendarID int64
}

func sameCampaign(old *storedCampaign, c *dialer.Campaign) bool {
	a, b := *old.Campaign, *c
	a.ID, a.State, b.ID, b.State = 0, "", 0, ""
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

func writeCampaign(ctx context.Context, tx *sqlx.Tx, c *dialer.Campaign, calendarID int64, now time.Time) (int64, error) {
	var id int64
	err := tx.GetContext(ctx, &id, `
		INSERT INTO campaigns (
			name, description, mode, priority, calendar_id, timezone_policy,
			caller_id_name, caller_id_numbers, dial_template, dial_vars,
			ivr_extension, ivr_dialplan, ivr_context, result_variable,
			agent_hold_ms, agent_keep_on_line,
			max_lines, calls_per_interval, interval_ms, ring_timeout_ms, min_success_ms,
			default_class, results, variables, callback_url, cron_start, cron_stop,
			number_order, number_types, sort_variable, sort_order, filter, default_region, import_mapping,
			autostart, timezone_fallback, created_at, updated_at, state_changed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
		        ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET
			description = excluded.description, mode = excluded.mode, priority = excluded.priority,
			calendar_id = excluded.calendar_id, timezone_policy = excluded.timezone_policy,
			caller_id_name = excluded.caller_id_name, caller_id_numbers = excluded.caller_id_numbers,
			dial_template = excluded.dial_template, dial_vars = excluded.dial_vars,
			ivr_extension = excluded.ivr_extension, ivr_dialplan = excluded.ivr_dialplan,
			ivr_context = excluded.ivr_context, result_variable = excluded.result_variable,
			agent_hold_ms = excluded.agent_hold_ms, agent_keep_on_line = excluded.agent_keep_on_line,
			max_lines = excluded.max_lines, calls_per_interval = excluded.calls_per_interval,
			interval_ms = excluded.interval_ms, ring_timeout_ms = excluded.ring_timeout_ms,
			min_success_ms = excluded.min_success_ms, default_class = excluded.default_class,
			results = excluded.results, variables = excluded.variables, callback_url = excluded.callback_url,
			cron_start = excluded.cron_start, cron_stop = excluded.cron_stop,
			number_order = excluded.number_order, number_types = excluded.number_types,
			sort_variable = excluded.sort_variable, sort_order = excluded.sort_order,
			filter = excluded.filter, default_region = excluded.default_region,
			import_mapping = excluded.import_mapping, autostart = excluded.autostart,
			timezone_fallback = excluded.timezone_fallback, updated_at = excluded.updated_at
		RETURNING id`,
		c.Name, c.Description, string(c.Mode), c.Priority, calendarID, string(c.TimezonePolicy),
		c.CallerID.Name, mustJSON(nonNilStrings(c.CallerID.Numbers)), c.Dial.Template, mustJSON(nonNilMap(c.Dial.Vars)),
		c.IVR.Extension, c.IVR.Dialplan, c.IVR.Context, c.IVR.ResultVariable,
		c.Agents.HoldTime.D().Milliseconds(), c.Agents.KeepOnLine,
		c.Limits.Lines, c.Limits.Calls, c.Limits.Interval.D().Milliseconds(), c.Limits.RingTimeout.D().Milliseconds(), c.MinSuccess.D().Milliseconds(),
		c.Causes.Default, mustJSON(nonNilMap(c.Results)), mustJSON(nonNilMap(c.Variables)), c.CallbackURL, c.Schedule.Start, c.Schedule.Stop,
		c.Numbers.Order, mustJSON(nonNilStrings(c.Numbers.Types)), c.Sort.Variable, c.Sort.Order, mustJSON(nonNilFilter(c.Filter)),
		c.DefaultRegion, mustJSON(c.Import),
		c.Autostart, c.TimezoneFallback, toMS(now), toMS(now), toMS(now))
	if err != nil {
		return 0, fmt.Errorf("write campaign: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO retry_policies (campaign_id, max_attempts, interval_ms, max_per_day, max_days, max_minus)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (campaign_id) DO UPDATE SET
			max_attempts = excluded.max_attempts, interval_ms = excluded.interval_ms,
			max_per_day = excluded.max_per_day, max_days = excluded.max_days, max_minus = excluded.max_minus`,
		id, c.Retry.MaxAttempts, c.Retry.Interval.D().Milliseconds(), c.Retry.MaxPerDay, c.Retry.MaxDays, c.Retry.MaxMinus); err != nil {
		return 0, fmt.Errorf("write retry policy: %w", err)
	}
	if err := writeResultPolicies(ctx, tx, id, c); err != nil {
		return 0, err
	}
	if err := writePredictive(ctx, tx, id, c); err != nil {
		return 0, err
	}
	if err := writeCompliance(ctx, tx, id, c); err != nil {
		return 0, err
	}
	if err := writeAMD(ctx, tx, id, c); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM retry_cause_rules WHERE campaign_id = ?`, id); err != nil {
		return 0, err
	}
	rules := map[string]*struct {
		retries    sql.NullInt64
		intervalMS int64
		nonRetry   bool
	}{}
	for k, r := range c.Retry.PerCause {
		rule := &struct {
			retries    sql.NullInt64
			intervalMS int64
			nonRetry   bool
		}{intervalMS: r.Interval.D().Milliseconds()}
		if r.Retries != nil {
			rule.retries = sql.NullInt64{Int64: int64(*r.Retries), Valid: true}
		}
		rules[k] = rule
	}
	for _, k := range c.Retry.NonRetry {
		if rules[k] == nil {
			rules[k] = &struct {
				retries    sql.NullInt64
				intervalMS int64
				nonRetry   bool
			}{}
		}
		rules[k].nonRetry = true
	}
	for k, r := range rules {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO retry_cause_rules (campaign_id, cause, retries, interval_ms, non_retry) VALUES (?, ?, ?, ?, ?)`,
			id, k, r.retries, r.intervalMS, r.nonRetry); err != nil {
			return 0, fmt.Errorf("write retry rule %s: %w", k, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM cause_classes WHERE campaign_id = ?`, id); err != nil {
		return 0, err
	}
	for k, v := range c.Causes.Overrides {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO cause_classes (campaign_id, cause, class) VALUES (?, ?, ?)`, id, k, v); err != nil {
			return 0, fmt.Errorf("write cause class %s: %w", k, err)
		}
	}
	return id, nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func nonNilFilter(m map[string][]string) map[string][]string {
	if m == nil {
		return map[string][]string{}
	}
	return m
}

func loadCampaign(ctx context.Context, q sqlx.QueryerContext, where string, arg any) (*storedCampaign, error) {
	var row campaignRow
	if err := sqlx.GetContext(ctx, q, &row, campaignSelect+` WHERE `+where, arg); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("campaign %v: %w", arg, ErrNotFound)
		}
		return nil, fmt.Errorf("load campaign %v: %w", arg, err)
	}
	c := &dialer.Campaign{
		ID: row.ID, Name: row.Name, Description: row.Description, Mode: dialer.Mode(row.Mode),
		State: dialer.State(row.State), Priority: row.Priority, TimezonePolicy: dialer.TimezonePolicy(row.TimezonePolicy),
		CallerID: dialer.CallerID{Name: row.CallerIDName},
		Dial:     dialer.DialSpec{Template: row.DialTemplate},
		IVR:      dialer.IVRTarget{Extension: row.IVRExtension, Dialplan: row.IVRDialplan, Context: row.IVRContext, ResultVariable: row.ResultVariable},
		Agents:   dialer.AgentOptions{HoldTime: msDuration(row.AgentHoldMS), KeepOnLine: row.AgentKeepOnLine},
		Limits: dialer.Limits{Lines: row.MaxLines, Calls: row.CallsPerInterval, Interval: msDuration(row.IntervalMS),
			RingTimeout: msDuration(row.RingTimeoutMS)},
		MinSuccess: msDuration(row.MinSuccessMS),
		Retry: dialer.RetrySpec{MaxAttempts: row.RetryMaxAttempts, Interval: msDuration(row.RetryIntervalMS),
			MaxPerDay: row.RetryMaxPerDay, MaxDays: row.RetryMaxDays, MaxMinus: row.RetryMaxMinus},
		Causes:        dialer.CauseSpec{Default: row.DefaultClass},
		CallbackURL:   row.CallbackURL,
		Schedule:      dialer.Schedule{Start: row.CronStart, Stop: row.CronStop},
		Numbers:       dialer.NumberPolicy{Order: row.NumberOrder},
		Sort:          dialer.SortSpec{Variable: row.SortVariable, Order: row.SortOrder},
		DefaultRegion: row.DefaultRegion,
		Autostart:     row.Autostart,
	}
	c.TimezoneFallback = row.TimezoneFallback
	if err := loadRecordSettings(ctx, q, c); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		src string
		dst any
	}{
		{row.CallerIDNumbers, &c.CallerID.Numbers}, {row.DialVars, &c.Dial.Vars}, {row.Results, &c.Results},
		{row.Variables, &c.Variables}, {row.NumberTypes, &c.Numbers.Types}, {row.Filter, &c.Filter},
		{row.ImportMapping, &c.Import},
	} {
		if err := json.Unmarshal([]byte(f.src), f.dst); err != nil {
			return nil, fmt.Errorf("campaign %s: stored JSON: %w", row.Name, err)
		}
	}
	emptyToNil(c)
	if err := loadResultPolicies(ctx, q, row.ID, c); err != nil {
		return nil, err
	}
	if err := loadPredictive(ctx, q, row.ID, c); err != nil {
		return nil, err
	}
	if err := loadCompliance(ctx, q, row.ID, c); err != nil {
		return nil, err
	}
	if err := loadAMD(ctx, q, row.ID, c); err != nil {
		return nil, err
	}
	var rules []struct {
		Cause      string        `db:"cause"`
		Retries    sql.NullInt64 `db:"retries"`
		IntervalMS int64         `db:"interval_ms"`
		NonRetry   bool          `db:"non_retry"`
	}
	if err := sqlx.SelectContext(ctx, q, &rules,
		`SELECT cause, retries, interval_ms, non_retry FROM retry_cause_rules WHERE campaign_id = ? ORDER BY cause`, row.ID); err != nil {
		return nil, fmt.Errorf("campaign %s retry rules: %w", row.Name, err)
	}
	for _, r := range rules {
		if r.NonRetry {
			c.Retry.NonRetry = append(c.Retry.NonRetry, r.Cause)
		}
		if r.Retries.Valid || r.IntervalMS != 0 || !r.NonRetry {
			if c.Retry.PerCause == nil {
				c.Retry.PerCause = map[string]dialer.CauseRuleSpec{}
			}
			rule := dialer.CauseRuleSpec{Interval: msDuration(r.IntervalMS)}
			if r.Retries.Valid {
				n := int(r.Retries.Int64)
				rule.Retries = &n
			}
			c.Retry.PerCause[r.Cause] = rule
		}
	}
	var classes []struct {
		Cause string `db:"cause"`
		Class string `db:"class"`
	}
	if err := sqlx.SelectContext(ctx, q, &classes,
		`SELECT cause, class FROM cause_classes WHERE campaign_id = ?`, row.ID); err != nil {
		return nil, fmt.Errorf("campaign %s cause classes: %w", row.Name, err)
	}
	for _, cl := range classes {
		if c.Causes.Overrides == nil {
			c.Causes.Overrides = map[string]string{}
		}
		c.Causes.Overrides[cl.Cause] = cl.Class
	}
	cal, err := loadCalendarByID(ctx, q, row.CalendarID)
	if err != nil {
		return nil, fmt.Errorf("campaign %s: %w", row.Name, err)
	}
	if cal.Owner == row.Name {
		spec := dialer.SpecFromCalendar("", cal.Calendar)
		c.Calendar = dialer.CalendarRef{Inline: &spec}
	} else {
		c.Calendar = dialer.CalendarRef{Name: cal.Name}
	}
	return &storedCampaign{Campaign: c, calendarID: row.CalendarID}, nil
}

// emptyToNil makes stored empty collections compare equal to omitted ones.
func emptyToNil(c *dialer.Campaign) {
	if len(c.CallerID.Numbers) == 0 {
		c.CallerID.Numbers = nil
	}
	if len(c.Dial.Vars) == 0 {
		c.Dial.Vars = nil
	}
	if len(c.Results) == 0 {
		c.Results = nil
	}
	if len(c.Variables) == 0 {
		c.Variables = nil
	}
	if len(c.Numbers.Types) == 0 {
		c.Numbers.Types = nil
	}
	if len(c.Filter) == 0 {
		c.Filter = nil
	}
}

func msDuration(ms int64) dialer.Duration {
	return dialer.Duration(time.Duration(ms) * time.Millisecond)
}

// Campaign returns a campaign by name, with its calendar reference.
func (d *DB) Campaign(ctx context.Context, name string) (*dialer.Campaign, error) {
	c, err := loadCampaign(ctx, d.db, `c.name = ?`, name)
	if err != nil {
		return nil, err
	}
	return c.Campaign, nil
}

// CampaignByID returns a campaign by id.
func (d *DB) CampaignByID(ctx context.Context, id int64) (*dialer.Campaign, error) {
	c, err := loadCampaign(ctx, d.db, `c.id = ?`, id)
	if err != nil {
		return nil, err
	}
	return c.Campaign, nil
}

// CampaignCalendar returns the calendar a campaign uses.
func (d *DB) CampaignCalendar(ctx context.Context, campaignID int64) (*CalendarInfo, error) {
	var calID int64
	if err := d.db.GetContext(ctx, &calID, `SELECT calendar_id FROM campaigns WHERE id = ?`, campaignID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("campaign %d: %w", campaignID, ErrNotFound)
		}
		return nil, err
	}
	return loadCalendarByID(ctx, d.db, calID)
}

// CampaignSummary is one line of `campaign list`.
type CampaignSummary struct {
	ID       int64  `db:"id" json:"id"`
	Name     string `db:"name" json:"name"`
	Mode     string `db:"mode" json:"mode"`
	State    string `db:"state" json:"state"`
	Priority int    `db:"priority" json:"priority"`
	Calendar string `db:"calendar" json:"calendar"`
	MaxLines int    `db:"max_lines" json:"max_lines"`
	Members  int    `db:"members" json:"members"`
	Waiting  int    `db:"waiting" json:"waiting"`
	Done     int    `db:"done" json:"done"`
	Failed   int    `db:"failed" json:"failed"`
}

// summarySelect reads campaigns with their member counts; a WHERE on c
// goes between it and summaryGroup.
const (
	summarySelect = `
		SELECT c.id, c.name, c.mode, c.state, c.priority, cal.name AS calendar, c.max_lines,
		       count(m.id) AS members,
		       count(m.id) FILTER (WHERE m.state IN ('waiting', 'calling')) AS waiting,
		       count(m.id) FILTER (WHERE m.state = 'done') AS done,
		       count(m.id) FILTER (WHERE m.state = 'failed') AS failed
		FROM campaigns c
		JOIN calendars cal ON cal.id = c.calendar_id
		LEFT JOIN members m ON m.campaign_id = c.id`
	summaryGroup = `
		GROUP BY c.id, cal.name
		ORDER BY c.priority, c.name`
)

// Campaigns lists the campaigns with member counts, by priority then name.
func (d *DB) Campaigns(ctx context.Context) ([]CampaignSummary, error) {
	var out []CampaignSummary
	if err := d.db.SelectContext(ctx, &out, summarySelect+summaryGroup); err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	return out, nil
}

// CampaignSummary returns one campaign with its member counts.
func (d *DB) CampaignSummary(ctx context.Context, name string) (CampaignSummary, error) {
	var out CampaignSummary
	if err := d.db.GetContext(ctx, &out, summarySelect+` WHERE c.name = ?`+summaryGroup, name); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return out, fmt.Errorf("campaign %s: %w", name, ErrNotFound)
		}
		return out, fmt.Errorf("campaign %s summary: %w", name, err)
	}
	return out, nil
}

// DeleteCampaign deletes a campaign with its members, attempts and inline
// calendar. A running campaign is refused unless force is set. A campaign
// with attempts that are not final is always refused (ErrCallsInProgress):
// their ends, and their release callbacks, would be lost. That holds for
// the attempts a stopped daemon left for its next start's reconcile too.
// The check and the delete are one transaction, so no attempt the daemon
// starts in between can slip through.
func (d *DB) DeleteCampaign(ctx context.Context, name string, force bool) error {
	return d.tx(ctx, func(tx *sqlx.Tx) error {
		var row struct {
			ID    int64  `db:"id"`
			State string `db:"state"`
			Open  int    `db:"open"`
		}
		if err := tx.GetContext(ctx, &row, `
			SELECT c.id, c.state, (SELECT count(*) FROM attempts a WHERE a.campaign_id = c.id AND a.final = 0) AS open
			FROM campaigns c WHERE c.name = ?`, name); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("delete campaign %s: %w", name, ErrNotFound)
			}
			return err
		}
		if row.Open > 0 {
			return &CallsInProgressError{Campaign: name, Calls: row.Open}
		}
		if row.State == string(dialer.StateRunning) && !force {
			return fmt.Errorf("delete campaign %s: %w (stop it first, or use --force)", name, ErrRunning)
		}
		for _, q := range []string{
			`DELETE FROM attempts WHERE campaign_id = ?`,
			`DELETE FROM campaign_numbers WHERE campaign_id = ?`,
			`DELETE FROM members WHERE campaign_id = ?`, // and their communications
			`DELETE FROM campaigns WHERE id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, row.ID); err != nil {
				return fmt.Errorf("delete campaign %s: %w", name, err)
			}
		}
		return nil
	})
}

// CampaignExists reports whether a campaign is still in the store.
func (d *DB) CampaignExists(ctx context.Context, id int64) (bool, error) {
	var n int
	if err := d.db.GetContext(ctx, &n, `SELECT count(*) FROM campaigns WHERE id = ?`, id); err != nil {
		return false, fmt.Errorf("look up campaign %d: %w", id, err)
	}
	return n > 0, nil
}

// SetCampaignState changes a campaign's run state and returns the previous one.
func (d *DB) SetCampaignState(ctx context.Context, name string, state dialer.State) (dialer.State, error) {
	var prev dialer.State
	err := d.tx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &prev, `SELECT state FROM campaigns WHERE name = ?`, name); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("campaign %s: %w", name, ErrNotFound)
			}
			return err
		}
		if prev == state {
			return nil
		}
		_, err := tx.ExecContext(ctx, `UPDATE campaigns SET state = ?, state_changed_at = ? WHERE name = ?`,
			string(state), toMS(d.now()), name)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("set campaign %s %s: %w", name, state, err)
	}
	return prev, nil
}
