package dialer

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/fsdialer/dialer/dialer/calendar"
	"github.com/fsdialer/dialer/dialer/cause"
	"github.com/fsdialer/dialer/dialer/cronexpr"
	"github.com/fsdialer/dialer/dialer/phone"
	"github.com/fsdialer/dialer/dialer/retry"
)

// Mode is how a campaign connects a member.
type Mode string

// Dial modes (README, "Agent modes" and "Running the daemon").
const (
	ModeIVR         Mode = "ivr"
	ModeProgressive Mode = "progressive"
	ModePreemptive  Mode = "preemptive"
	ModePredictive  Mode = "predictive"
)

// TimezonePolicy says in which zone a member's calling window is read.
type TimezonePolicy string

// Timezone policies.
const (
	// TZCalendar reads windows in the calendar's own zone.
	TZCalendar TimezonePolicy = "calendar"
	// TZMember reads windows in the member's zone when it has one, else the calendar's.
	TZMember TimezonePolicy = "member"
	// TZNumber reads windows in every zone of the number's country or area;
	// a number with no known zone is not callable.
	TZNumber TimezonePolicy = "number"
)

// State is a campaign's run state.
type State string

// Campaign run states.
const (
	StateStopped  State = "stopped"
	StateRunning  State = "running"
	StatePaused   State = "paused"
	StateFinished State = "finished"
)

// Campaign is a campaign as written in its file and kept in the store.
// The zero values of optional fields are replaced by Normalize.
type Campaign struct {
	ID             int64               `yaml:"-" json:"-"`
	State          State               `yaml:"-" json:"-"`
	Name           string              `yaml:"name" json:"name"`
	Description    string              `yaml:"description,omitempty" json:"description,omitempty"`
	Mode           Mode                `yaml:"mode" json:"mode"`
	Priority       int                 `yaml:"priority,omitempty" json:"priority,omitempty"`
	CallerID       CallerID            `yaml:"caller_id,omitempty" json:"caller_id,omitzero"`
	Dial           DialSpec            `yaml:"dial" json:"dial"`
	IVR            IVRTarget           `yaml:"ivr,omitempty" json:"ivr,omitzero"`
	Agents         AgentOptions        `yaml:"agents,omitempty" json:"agents,omitzero"`
	Limits         Limits              `yaml:"limits,omitempty" json:"limits,omitzero"`
	MinSuccess     Duration            `yaml:"min_success,omitempty" json:"min_success,omitempty"`
	Retry          RetrySpec           `yaml:"retry,omitempty" json:"retry,omitzero"`
	Causes         CauseSpec           `yaml:"causes,omitempty" json:"causes,omitzero"`
	Results        map[string]string   `yaml:"results,omitempty" json:"results,omitempty"`
	ResultPolicies ResultPolicies      `yaml:"result_policies,omitempty" json:"result_policies,omitzero"`
	Calendar       CalendarRef         `yaml:"calendar" json:"calendar"`
	TimezonePolicy TimezonePolicy      `yaml:"timezone_policy,omitempty" json:"timezone_policy,omitempty"`
	Variables      map[string]string   `yaml:"variables,omitempty" json:"variables,omitempty"`
	CallbackURL    string              `yaml:"callback_url,omitempty" json:"callback_url,omitempty"`
	Schedule       Schedule            `yaml:"schedule,omitempty" json:"schedule,omitzero"`
	Numbers        NumberPolicy        `yaml:"numbers,omitempty" json:"numbers,omitzero"`
	Sort           SortSpec            `yaml:"sort,omitempty" json:"sort,omitzero"`
	Filter         map[string][]string `yaml:"filter,omitempty" json:"filter,omitempty"`
	DefaultRegion  string              `yaml:"default_region,omitempty" json:"default_region,omitempty"`
	Import         ImportSpec          `yaml:"import,omitempty" json:"import,omitzero"`
	// Autostart starts a stopped or finished campaign when members are
	// added to it (import or API), unless its calendar's validity ended.
	Autostart bool `yaml:"autostart,omitempty" json:"autostart,omitempty"`

	// TimezoneFallback is what timezone_policy number does with a number
	// whose zone cannot be told: "calendar" reads its window in the
	// calendar's zone; "" ends the member as NO_TIMEZONE (see Explain).
	TimezoneFallback string `yaml:"timezone_fallback,omitempty" json:"timezone_fallback,omitempty"`

	// Record records the calls (see RecordSpec).
	Record RecordSpec `yaml:"record,omitempty" json:"record,omitzero"`

	// Predictive tunes mode predictive, and Abandon what happens to a
	// customer no agent takes in time (see predictive.go).
	Predictive PredictiveSpec `yaml:"predictive,omitempty" json:"predictive,omitzero"`
	Abandon    AbandonSpec    `yaml:"abandon,omitempty" json:"abandon,omitzero"`

	// Compliance holds the campaign to a profile's rules: us-fcc,
	// uk-ofcom or none (see compliance.go).
	Compliance string `yaml:"compliance,omitempty" json:"compliance,omitempty"`

	// AMD detects answering machines at the answer (see amd.go).
	AMD AMDSpec `yaml:"amd,omitempty" json:"amd,omitzero"`
}

// CallerID is the caller ID presented to members. With several numbers the
// dialer rotates through them call by call.
type CallerID struct {
	Name    string   `yaml:"name,omitempty" json:"name,omitempty"`
	Numbers []string `yaml:"numbers,omitempty" json:"numbers,omitempty"`
}

// DialSpec is how a member's number becomes a FreeSWITCH dial string:
// Template with {number} and the other {placeholders} taken from Vars.
type DialSpec struct {
	Template string            `yaml:"template" json:"template"`
	Vars     map[string]string `yaml:"vars,omitempty" json:"vars,omitempty"`
}

// IVRTarget is where an answered IVR call is sent, and which channel
// variable carries the IVR's business result.
type IVRTarget struct {
	Extension      string `yaml:"extension,omitempty" json:"extension,omitempty"`
	Dialplan       string `yaml:"dialplan,omitempty" json:"dialplan,omitempty"`
	Context        string `yaml:"context,omitempty" json:"context,omitempty"`
	ResultVariable string `yaml:"result_variable,omitempty" json:"result_variable,omitempty"`
	// SubStatusVariable carries the result's sub-status; "" means
	// DefaultSubStatusVariable.
	SubStatusVariable string `yaml:"sub_status_variable,omitempty" json:"sub_status_variable,omitempty"`
	// Capture are channel variables the IVR sets (survey answers) that
	// the dialer keeps on the attempt, read from the hangup record.
	Capture []string `yaml:"capture,omitempty" json:"capture,omitempty"`
}

// AgentOptions tune the agent modes.
type AgentOptions struct {
	// HoldTime is how long an answered customer may wait for an agent
	// (progressive), from its answer: an agent's phone rings no longer
	// than what is left of it, and the customer is ABANDONED when it ends.
	HoldTime Duration `yaml:"hold_time,omitempty" json:"hold_time,omitempty"`
	// KeepOnLine keeps a preemptive agent on the line after a failed
	// customer leg and offers the next member at once.
	KeepOnLine bool `yaml:"keep_on_line,omitempty" json:"keep_on_line,omitempty"`
}

// Limits are a campaign's pacing limits.
type Limits struct {
	Lines       int      `yaml:"lines,omitempty" json:"lines,omitempty"`
	Calls       int      `yaml:"calls,omitempty" json:"calls,omitempty"`
	Interval    Duration `yaml:"interval,omitempty" json:"interval,omitempty"`
	RingTimeout Duration `yaml:"ring_timeout,omitempty" json:"ring_timeout,omitempty"`
}

// RetrySpec is the retry policy as written in a campaign file.
type RetrySpec struct {
	MaxAttempts int                      `yaml:"max_attempts,omitempty" json:"max_attempts,omitempty"`
	Interval    Duration                 `yaml:"interval,omitempty" json:"interval,omitempty"`
	MaxPerDay   int                      `yaml:"max_per_day,omitempty" json:"max_per_day,omitempty"`
	MaxDays     int                      `yaml:"max_days,omitempty" json:"max_days,omitempty"`
	MaxMinus    int                      `yaml:"max_minus,omitempty" json:"max_minus,omitempty"`
	NonRetry    []string                 `yaml:"non_retry,omitempty" json:"non_retry,omitempty"`
	PerCause    map[string]CauseRuleSpec `yaml:"per_cause,omitempty" json:"per_cause,omitempty"`
}

// CauseRuleSpec overrides the retry count or interval after one cause.
type CauseRuleSpec struct {
	Retries  *int     `yaml:"retries,omitempty" json:"retries,omitempty"`
	Interval Duration `yaml:"interval,omitempty" json:"interval,omitempty"`
}

// CauseSpec overrides the shipped cause classes.
type CauseSpec struct {
	Default   string            `yaml:"default,omitempty" json:"default,omitempty"`
	Overrides map[string]string `yaml:"overrides,omitempty" json:"overrides,omitempty"`
}

// Schedule holds the cron expressions that start and stop runs, evaluated
// in the calendar's timezone.
type Schedule struct {
	Start string `yaml:"start,omitempty" json:"start,omitempty"`
	Stop  string `yaml:"stop,omitempty" json:"stop,omitempty"`
}

// NumberPolicy is the multi-number order.
type NumberPolicy struct {
	Order string   `yaml:"order,omitempty" json:"order,omitempty"`
	Types []string `yaml:"types,omitempty" json:"types,omitempty"`
}

// SortSpec orders members of equal priority and due time by a numeric
// member variable.
type SortSpec struct {
	Variable string `yaml:"variable,omitempty" json:"variable,omitempty"`
	Order    string `yaml:"order,omitempty" json:"order,omitempty"`
}

// ImportSpec maps CSV columns to member fields for `member import`.
type ImportSpec struct {
	Numbers     []ImportNumber `yaml:"numbers,omitempty" json:"numbers,omitempty"`
	Name        string         `yaml:"name,omitempty" json:"name,omitempty"`
	Priority    string         `yaml:"priority,omitempty" json:"priority,omitempty"`
	Timezone    string         `yaml:"timezone,omitempty" json:"timezone,omitempty"`
	Expiry      string         `yaml:"expiry,omitempty" json:"expiry,omitempty"`
	ExternalKey string         `yaml:"external_key,omitempty" json:"external_key,omitempty"`
	// NotBefore and NotAfter are the columns of the member's own call
	// window; NotAfter is another name for Expiry.
	NotBefore string `yaml:"not_before,omitempty" json:"not_before,omitempty"`
	NotAfter  string `yaml:"not_after,omitempty" json:"not_after,omitempty"`
}

// ImportNumber is a CSV column holding a number of one type.
type ImportNumber struct {
	Column string `yaml:"column" json:"column"`
	Type   string `yaml:"type,omitempty" json:"type,omitempty"`
}

// Ring timeout bounds (README, "Campaign files": limits.ring_timeout).
const (
	MinRingTimeout     = 5 * time.Second
	MaxRingTimeout     = 120 * time.Second
	DefaultRingTimeout = 20 * time.Second
)

var (
	varNameRe   = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)
	tokenRe     = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	cidNumberRe = regexp.MustCompile(`^\+?[0-9]{1,32}$`)
	placeRe     = regexp.MustCompile(`\{([a-z0-9_]+)\}`)
)

// Normalize fills defaults so that two files meaning the same campaign
// compare equal after it.
func (c *Campaign) Normalize() {
	if c.Priority == 0 {
		c.Priority = 3
	}
	if c.Limits.Lines == 0 {
		c.Limits.Lines = 10
	}
	if c.Limits.Calls > 0 && c.Limits.Interval == 0 {
		c.Limits.Interval = Duration(time.Second)
	}
	if c.Limits.RingTimeout == 0 {
		c.Limits.RingTimeout = Duration(DefaultRingTimeout)
	}
	if c.Retry.MaxAttempts == 0 {
		c.Retry.MaxAttempts = 3
	}
	if c.Retry.Interval == 0 {
		c.Retry.Interval = Duration(10 * time.Minute)
	}
	if c.Retry.MaxMinus == 0 {
		c.Retry.MaxMinus = 10
	}
	if c.Causes.Default == "" {
		c.Causes.Default = string(cause.Retry)
	}
	if c.TimezonePolicy == "" {
		c.TimezonePolicy = TZCalendar
	}
	if c.Numbers.Order == "" {
		c.Numbers.Order = string(retry.BySequence)
	}
	if c.Mode == ModeIVR {
		if c.IVR.Dialplan == "" {
			c.IVR.Dialplan = "XML"
		}
		if c.IVR.ResultVariable == "" {
			c.IVR.ResultVariable = "dialer_result"
		}
	}
	c.complianceDefaults()
	if c.Mode == ModeProgressive && c.Agents.HoldTime == 0 {
		c.Agents.HoldTime = Duration(30 * time.Second)
	}
	c.predictiveDefaults()
	c.amdDefaults()
	if c.Sort.Variable != "" && c.Sort.Order == "" {
		c.Sort.Order = "asc"
	}
	sort.Strings(c.Retry.NonRetry)
	if c.Calendar.Inline != nil {
		c.Calendar.Inline.Name = ""
	}
}

// Validate checks every field and returns a *ValidationError listing each
// problem with its field path. It does not check that a calendar named by
// reference exists: the store does, since only it knows.
func (c *Campaign) Validate() error {
	var p problems
	if !validName(c.Name) {
		p.add("name", "%q: use letters, digits, '-', '_' or '.' (1 to 64)", c.Name)
	}
	switch c.Mode {
	case ModeIVR, ModeProgressive, ModePreemptive, ModePredictive:
	case "":
		p.add("mode", "required: ivr, progressive, preemptive or predictive")
	default:
		p.add("mode", "%q: must be ivr, progressive, preemptive or predictive", c.Mode)
	}
	if c.Priority < 1 || c.Priority > 5 {
		p.add("priority", "%d: must be 1 (highest) to 5 (lowest)", c.Priority)
	}
	for i, n := range c.CallerID.Numbers {
		if !cidNumberRe.MatchString(n) {
			p.add(index("caller_id.numbers", i), "%q: digits only, optionally starting with +", n)
		}
	}
	if strings.ContainsAny(c.CallerID.Name, "\r\n") || len(c.CallerID.Name) > 64 {
		p.add("caller_id.name", "must be one line of at most 64 bytes")
	}
	c.validateDial(&p)
	if c.Mode == ModeIVR && c.IVR.Extension == "" {
		p.add("ivr.extension", "required in ivr mode: the dialplan extension answered calls go to")
	}
	for _, f := range []struct{ path, v string }{
		{"ivr.extension", c.IVR.Extension}, {"ivr.dialplan", c.IVR.Dialplan}, {"ivr.context", c.IVR.Context},
	} {
		if f.v != "" && !tokenRe.MatchString(f.v) {
			p.add(f.path, "%q: letters, digits, '.', '_' or '-' only", f.v)
		}
	}
	if c.IVR.ResultVariable != "" && !varNameRe.MatchString(c.IVR.ResultVariable) {
		p.add("ivr.result_variable", "%q: lower-case letters, digits and '_' only", c.IVR.ResultVariable)
	}
	if c.Agents.HoldTime < 0 {
		p.add("agents.hold_time", "must not be negative")
	}
	c.validateModeSettings(&p)
	c.validatePredictive(&p)
	c.validateAMD(&p)
	c.validateCompliance(&p)
	c.validateRecording(&p)
	c.validateLimits(&p)
	if c.MinSuccess < 0 {
		p.add("min_success", "must not be negative")
	}
	c.validateRetry(&p)
	for r, cl := range c.Results {
		if _, err := cause.ParseClass(cl); err != nil {
			p.add("results."+r, "%q: must be ok, retry, error or minus", cl)
		}
	}
	c.validateResultPolicies(&p)
	c.validateCalendar(&p)
	switch c.TimezonePolicy {
	case TZCalendar, TZMember, TZNumber:
	default:
		p.add("timezone_policy", "%q: must be calendar, member or number", c.TimezonePolicy)
	}
	c.validateTimezoneFallback(&p)
	for _, k := range sortedKeys(c.Variables) {
		if !varNameRe.MatchString(k) {
			p.add("variables."+k, "variable names are lower-case letters, digits and '_' (at most 64)")
		}
		if strings.ContainsAny(c.Variables[k], "\r\n") {
			p.add("variables."+k, "value must be one line")
		}
	}
	if c.CallbackURL != "" {
		u, err := url.Parse(c.CallbackURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add("callback_url", "%q: must be an http:// or https:// URL", c.CallbackURL)
		}
	}
	for _, f := range []struct{ path, v string }{{"schedule.start", c.Schedule.Start}, {"schedule.stop", c.Schedule.Stop}} {
		if f.v == "" {
			continue
		}
		if first := strings.Fields(f.v); len(first) > 0 && (strings.HasPrefix(first[0], "TZ=") || strings.HasPrefix(first[0], "CRON_TZ=")) {
			p.add(f.path, "%q: no zone prefix: schedules are read in the calendar's timezone", f.v)
			continue
		}
		if _, err := cronexpr.Parse(f.v); err != nil {
			p.add(f.path, "%q: %v", f.v, err)
		}
	}
	switch retry.NumberOrder(c.Numbers.Order) {
	case retry.BySequence:
	case retry.ByType:
		if len(c.Numbers.Types) == 0 {
			p.add("numbers.types", "order \"type\" needs the list of types in calling order")
		}
	default:
		p.add("numbers.order", "%q: must be sequence or type", c.Numbers.Order)
	}
	if c.Sort.Variable != "" {
		if !varNameRe.MatchString(c.Sort.Variable) {
			p.add("sort.variable", "%q: not a member variable name", c.Sort.Variable)
		}
		if c.Sort.Order != "asc" && c.Sort.Order != "desc" {
			p.add("sort.order", "%q: must be asc or desc", c.Sort.Order)
		}
	}
	for _, k := range sortedKeys(c.Filter) {
		if !varNameRe.MatchString(k) {
			p.add("filter."+k, "not a member variable name")
		}
		if len(c.Filter[k]) == 0 {
			p.add("filter."+k, "list at least one accepted value")
		}
	}
	if c.DefaultRegion != "" && !phone.ValidRegion(c.DefaultRegion) {
		p.add("default_region", "%q: not a region code (two letters, e.g. US, GB)", c.DefaultRegion)
	}
	for i, n := range c.Import.Numbers {
		if n.Column == "" {
			p.add(index("import.numbers", i)+".column", "required")
		}
	}
	if c.Import.NotAfter != "" && c.Import.Expiry != "" {
		p.add("import.not_after", "is another name for import.expiry (the member's expiry): give one")
	}
	if err := p.err(); err != nil {
		return err
	}
	return nil
}

// validateModeSettings refuses settings of another dial mode: an ivr
// block on a progressive campaign, agent settings on an ivr one. They
// would be kept and do nothing, and usually mean the mode is not the one
// the author meant.
func (c *Campaign) validateModeSettings(p *problems) {
	switch c.Mode {
	case ModeIVR, ModeProgressive, ModePreemptive, ModePredictive:
	default:
		return // reported as mode
	}
	only := func(path string, set bool, mode Mode) {
		if set && c.Mode != mode {
			p.add(path, "only for mode %s; this campaign is %s", mode, c.Mode)
		}
	}
	only("ivr.extension", c.IVR.Extension != "", ModeIVR)
	only("ivr.dialplan", c.IVR.Dialplan != "", ModeIVR)
	only("ivr.context", c.IVR.Context != "", ModeIVR)
	only("ivr.result_variable", c.IVR.ResultVariable != "", ModeIVR)
	only("ivr.sub_status_variable", c.IVR.SubStatusVariable != "", ModeIVR)
	only("agents.hold_time", c.Agents.HoldTime != 0, ModeProgressive)
	only("agents.keep_on_line", c.Agents.KeepOnLine, ModePreemptive)
}

func (c *Campaign) validateDial(p *problems) {
	t := c.Dial.Template
	switch {
	case t == "":
		p.add("dial.template", "required, e.g. sofia/gateway/{gateway}/{number}")
		return
	case !strings.Contains(t, "{number}"):
		p.add("dial.template", "%q must contain {number}", t)
	}
	okPrefix := false
	for _, pre := range []string{"sofia/", "user/", "loopback/", "error/"} {
		if strings.HasPrefix(t, pre) {
			okPrefix = true
		}
	}
	if !okPrefix {
		p.add("dial.template", "%q: must start with sofia/, user/, loopback/ or error/", t)
	}
	rest := placeRe.ReplaceAllString(t, "")
	if strings.ContainsAny(rest, ",|{}[]<>'\"\\^ =$\r\n") {
		p.add("dial.template", "%q: may not contain , | { } [ ] < > quotes, spaces, = or $ outside {placeholders}", t)
	}
	for _, m := range placeRe.FindAllStringSubmatch(t, -1) {
		if m[1] == "number" {
			continue
		}
		if _, ok := c.Dial.Vars[m[1]]; !ok {
			p.add("dial.vars."+m[1], "the template uses {%s} but dial.vars does not set it", m[1])
		}
	}
	for _, k := range sortedKeys(c.Dial.Vars) {
		if !tokenRe.MatchString(c.Dial.Vars[k]) {
			p.add("dial.vars."+k, "%q: letters, digits, '.', '_' or '-' only", c.Dial.Vars[k])
		}
	}
}

func (c *Campaign) validateLimits(p *problems) {
	l := c.Limits
	if l.Lines < 1 {
		p.add("limits.lines", "%d: must be at least 1", l.Lines)
	}
	if l.Calls < 0 {
		p.add("limits.calls", "%d: must not be negative (0 = no per-campaign rate)", l.Calls)
	}
	if l.Calls > 0 && l.Interval <= 0 {
		p.add("limits.interval", "must be positive when limits.calls is set")
	}
	if rt := l.RingTimeout.D(); rt < MinRingTimeout || rt > MaxRingTimeout {
		p.add("limits.ring_timeout", "%s: must be between 5s and 120s", rt)
	} else if rt%time.Second != 0 {
		p.add("limits.ring_timeout", "%s: FreeSWITCH counts whole seconds", rt)
	}
}

func (c *Campaign) validateRetry(p *problems) {
	r := c.Retry
	if r.MaxAttempts < 1 {
		p.add("retry.max_attempts", "%d: must be at least 1", r.MaxAttempts)
	}
	if r.Interval < 0 {
		p.add("retry.interval", "must not be negative")
	}
	if r.MaxPerDay < 0 {
		p.add("retry.max_per_day", "must not be negative (0 = no daily cap)")
	}
	if r.MaxDays < 0 {
		p.add("retry.max_days", "must not be negative (0 = no cap)")
	}
	if r.MaxMinus < 0 {
		p.add("retry.max_minus", "must not be negative")
	}
	for i, cs := range r.NonRetry {
		if !cause.IsKnown(cs) {
			p.add(index("retry.non_retry", i), "%q: unknown cause (see dialer cause list)", cs)
		}
	}
	for _, k := range sortedKeys(r.PerCause) {
		rule := r.PerCause[k]
		if !cause.IsKnown(k) {
			p.add("retry.per_cause."+k, "unknown cause (see dialer cause list)")
		}
		if rule.Retries != nil && *rule.Retries < 0 {
			p.add("retry.per_cause."+k+".retries", "must not be negative")
		}
		if rule.Interval < 0 {
			p.add("retry.per_cause."+k+".interval", "must not be negative")
		}
	}
	if _, err := cause.ParseClass(c.Causes.Default); err != nil {
		p.add("causes.default", "%q: must be ok, retry, error or minus", c.Causes.Default)
	}
	for _, k := range sortedKeys(c.Causes.Overrides) {
		if !cause.IsKnown(k) {
			p.add("causes.overrides."+k, "unknown cause (see dialer cause list)")
		}
		if _, err := cause.ParseClass(c.Causes.Overrides[k]); err != nil {
			p.add("causes.overrides."+k, "%q: must be ok, retry, error or minus", c.Causes.Overrides[k])
		}
	}
}

func (c *Campaign) validateCalendar(p *problems) {
	ref := c.Calendar
	switch {
	case ref.Name == "" && ref.Inline == nil:
		p.add("calendar", "required: a calendar name or an inline calendar")
	case ref.Inline != nil:
		ref.Inline.build("calendar", p)
	case !validName(ref.Name):
		p.add("calendar", "%q: not a calendar name", ref.Name)
	}
}

// ClassMap is the campaign's cause classification.
func (c *Campaign) ClassMap() cause.Map {
	m := cause.Map{Default: cause.Class(c.Causes.Default), Overrides: map[string]cause.Class{}}
	for k, v := range c.Causes.Overrides {
		m.Overrides[k] = cause.Class(v)
	}
	return m
}

// RetryPolicy is the campaign's retry policy in the form the retry
// decision takes; days are counted in loc.
func (c *Campaign) RetryPolicy(loc *time.Location) retry.Policy {
	p := retry.Policy{
		MaxAttempts:       c.Retry.MaxAttempts,
		Interval:          c.Retry.Interval.D(),
		PerCause:          map[string]retry.CauseRule{},
		MaxAttemptsPerDay: c.Retry.MaxPerDay,
		MaxAttemptDays:    c.Retry.MaxDays,
		NonRetry:          map[string]bool{},
		MaxMinus:          c.Retry.MaxMinus,
		MinSuccess:        c.MinSuccess.D(),
		Classes:           c.ClassMap(),
		Results:           map[string]cause.Class{},
		NumberOrder:       retry.NumberOrder(c.Numbers.Order),
		TypeOrder:         c.Numbers.Types,
		Location:          loc,
		ResultRules:       c.ResultRules(),
	}
	for k, r := range c.Retry.PerCause {
		rule := retry.CauseRule{Retries: -1, Interval: r.Interval.D()}
		if r.Retries != nil {
			rule.Retries = *r.Retries
		}
		p.PerCause[k] = rule
	}
	for _, k := range c.Retry.NonRetry {
		p.NonRetry[k] = true
	}
	for k, v := range c.Results {
		p.Results[k] = cause.Class(v)
	}
	return p
}

// Matches reports whether a member's variables pass the campaign's
// attribute filter: for every filtered variable, the member's value is one
// of the accepted values.
func (c *Campaign) Matches(vars map[string]string) bool {
	for k, accepted := range c.Filter {
		v, ok := vars[k]
		if !ok {
			return false
		}
		found := false
		for _, a := range accepted {
			if a == v {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// CalendarRef names a shared calendar or holds an inline one. In a file it
// is either a string (the name) or a mapping (the calendar itself).
type CalendarRef struct {
	Name   string
	Inline *CalendarSpec
}

// IsZero reports whether the reference is empty.
func (r CalendarRef) IsZero() bool { return r.Name == "" && r.Inline == nil }

// Build returns the calendar of an inline reference.
func (r CalendarRef) Build() (*calendar.Calendar, error) {
	if r.Inline == nil {
		return nil, fmt.Errorf("calendar %q is a reference, not inline", r.Name)
	}
	return r.Inline.Build("calendar")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
