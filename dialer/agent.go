package dialer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// AgentState is where an agent stands (README, "Agent modes").
type AgentState string

// Agent states; the values match the CHECK on agents.state.
const (
	// AgentLoggedOut agents are not working and are never offered calls.
	AgentLoggedOut AgentState = "logged_out"
	// AgentAvailable agents wait for a call; ReadyAt may hold the first
	// offer back after a busy, rejected or unanswered one.
	AgentAvailable AgentState = "available"
	// AgentReserved agents are held for one member while the customer is
	// dialed (progressive mode).
	AgentReserved AgentState = "reserved"
	// AgentRinging agents' phones ring.
	AgentRinging AgentState = "ringing"
	// AgentTalking agents are bridged to a customer or, in preemptive
	// mode, hear the customer's phone ring.
	AgentTalking AgentState = "talking"
	// AgentWrapUp agents finish the last call's work for their wrap-up time.
	AgentWrapUp AgentState = "wrap_up"
	// AgentBreak agents are logged in but not offered calls, by choice or
	// after MaxNoAnswer unanswered offers in a row.
	AgentBreak AgentState = "break"
)

// AgentStates lists every agent state in the order a shift goes through them.
var AgentStates = []AgentState{
	AgentLoggedOut, AgentAvailable, AgentReserved, AgentRinging, AgentTalking, AgentWrapUp, AgentBreak,
}

// Valid reports whether s is one of the agent states.
func (s AgentState) Valid() bool {
	for _, v := range AgentStates {
		if s == v {
			return true
		}
	}
	return false
}

// InCall reports whether s belongs to the running daemon: reserved,
// ringing, talking or wrap-up. Only the daemon moves an agent out of these
// states; a request to change them waits until the call and its wrap-up end.
func (s AgentState) InCall() bool {
	switch s {
	case AgentReserved, AgentRinging, AgentTalking, AgentWrapUp:
		return true
	}
	return false
}

// Requestable reports whether s may be asked for from outside the daemon
// (CLI, API): logged_out, available or break.
func (s AgentState) Requestable() bool {
	switch s {
	case AgentLoggedOut, AgentAvailable, AgentBreak:
		return true
	}
	return false
}

// ParseAgentState reads an agent state by its stored name.
func ParseAgentState(s string) (AgentState, error) {
	st := AgentState(s)
	if !st.Valid() {
		return "", fmt.Errorf("agent state %q: must be one of logged_out, available, reserved, ringing, talking, wrap_up, break", s)
	}
	return st, nil
}

// Agent settings bounds and defaults (README, "Agent modes").
const (
	MinCallTimeout     = 5 * time.Second
	MaxCallTimeout     = 120 * time.Second
	DefaultCallTimeout = 20 * time.Second
	// DefaultMaxNoAnswer applies when an agents file leaves max_no_answer
	// out; writing 0 means the agent is never forced to break.
	DefaultMaxNoAnswer = 3
	// MaxEndpointLength bounds an endpoint; it ends up in an originate string.
	MaxEndpointLength = 256
)

// Tier attaches an agent to a campaign. Among the agents of a campaign,
// those of the lowest level are offered calls first.
type Tier struct {
	Campaign string `yaml:"campaign" json:"campaign"`
	Level    int    `yaml:"level,omitempty" json:"level,omitempty"`
}

// Agent sessions (Agent.Session) and what a dropped persistent leg does
// (Agent.OnDrop).
const (
	SessionPerCall    = "per_call"
	SessionPersistent = "persistent"
	OnDropLogout      = "logout"
	OnDropRedial      = "redial"
)

// Persistent reports whether the agent keeps one leg up between calls.
func (a *Agent) Persistent() bool { return a.Session == SessionPersistent }

// Redials reports whether a dropped persistent leg is called again.
func (a *Agent) Redials() bool { return a.Persistent() && a.OnDrop == OnDropRedial }

// withSessionDefaults is a with "" session settings read as their
// defaults.
func (a Agent) withSessionDefaults() Agent {
	if a.Session == "" {
		a.Session = SessionPerCall
	}
	if a.OnDrop == "" {
		a.OnDrop = OnDropLogout
	}
	return a
}

// Agent is a person taking calls, as written in an agents file, with the
// live state the daemon keeps in the store.
type Agent struct {
	ID   int64  `yaml:"-" json:"id,omitempty"`
	Name string `yaml:"name" json:"name"`
	// Endpoint is the FreeSWITCH dial string of the agent's phone:
	// user/1001, sofia/gateway/gw/15551230001, loopback/agent-1/dialer_lab.
	Endpoint string `yaml:"endpoint" json:"endpoint"`
	// CallTimeout is how long the agent's phone rings before a no-answer.
	CallTimeout Duration `yaml:"call_timeout,omitempty" json:"call_timeout,omitempty"`
	// WrapUp is the time after a call before the agent is offered another.
	WrapUp Duration `yaml:"wrap_up,omitempty" json:"wrap_up,omitempty"`
	// MaxNoAnswer is how many offers in a row the agent may leave
	// unanswered before being put on break; 0 = never. It is written even
	// when 0 because an agents file that leaves it out means
	// DefaultMaxNoAnswer.
	MaxNoAnswer int `yaml:"max_no_answer" json:"max_no_answer"`
	// BusyDelay, RejectDelay and NoAnswerDelay hold the next offer back
	// after the agent's phone was busy, rejected the call or rang out.
	BusyDelay     Duration `yaml:"busy_delay,omitempty" json:"busy_delay,omitempty"`
	RejectDelay   Duration `yaml:"reject_delay,omitempty" json:"reject_delay,omitempty"`
	NoAnswerDelay Duration `yaml:"no_answer_delay,omitempty" json:"no_answer_delay,omitempty"`
	// Tiers are the campaigns the agent works, written "campaigns" in files.
	Tiers []Tier `yaml:"campaigns,omitempty" json:"campaigns,omitempty"`
	// Session is how the agent's phone is called: SessionPerCall (a leg
	// per call) or SessionPersistent (one leg from login to logout that
	// waits between calls).
	Session string `yaml:"session,omitempty" json:"session,omitempty"`
	// OnDrop is what a persistent leg that hangs up does: OnDropLogout
	// logs the agent out, OnDropRedial calls the phone again.
	OnDrop string `yaml:"on_drop,omitempty" json:"on_drop,omitempty"`
	// Node is the FreeSWITCH node (a name from esl.nodes) the agent's
	// phone is dialed on, and so the node of the customers bridged to the
	// agent; empty means any node.
	Node string `yaml:"node,omitempty" json:"node,omitempty"`

	// State and the fields below are live: the store keeps them, files
	// never carry them, and applying a file never changes them.
	State          AgentState `yaml:"-" json:"state,omitempty"`
	StateChangedAt time.Time  `yaml:"-" json:"state_changed_at,omitzero"`
	// NoAnswerCount counts the offers left unanswered in a row.
	NoAnswerCount int `yaml:"-" json:"no_answer_count,omitempty"`
	// ReadyAt is when an available agent may be offered the next call;
	// the zero time means at once.
	ReadyAt time.Time `yaml:"-" json:"ready_at,omitzero"`
}

// AgentFile is the form of an agents file: a list under "agents".
type AgentFile struct {
	Agents []Agent `yaml:"agents" json:"agents"`
}

// Normalize fills the defaults that a zero value cannot mean otherwise:
// the call timeout and tier levels. MaxNoAnswer is left alone because 0 is
// a setting; ReadAgents applies its default for files that leave it out.
func (a *Agent) Normalize() {
	if a.CallTimeout == 0 {
		a.CallTimeout = Duration(DefaultCallTimeout)
	}
	*a = a.withSessionDefaults()
	for i := range a.Tiers {
		if a.Tiers[i].Level == 0 {
			a.Tiers[i].Level = 1
		}
	}
}

// Validate checks every setting of one agent and returns a
// *ValidationError whose paths are relative to the agent ("endpoint",
// "campaigns[1].campaign"). It does not check that tier campaigns exist:
// the store does.
func (a *Agent) Validate() error {
	var p problems
	a.validate("", &p)
	return p.err()
}

func (a *Agent) validate(path string, p *problems) {
	if !validName(a.Name) {
		p.add(join(path, "name"), "%q: use letters, digits, '-', '_' or '.' (1 to 64)", a.Name)
	}
	if reason := endpointProblem(a.Endpoint); reason != "" {
		p.add(join(path, "endpoint"), "%s", reason)
	}
	if ct := a.CallTimeout.D(); ct < MinCallTimeout || ct > MaxCallTimeout {
		p.add(join(path, "call_timeout"), "%s: must be between 5s and 120s", ct)
	} else if ct%time.Second != 0 {
		p.add(join(path, "call_timeout"), "%s: FreeSWITCH counts whole seconds", ct)
	}
	switch a.Session {
	case "", SessionPerCall, SessionPersistent:
	default:
		p.add(join(path, "session"), "%q: must be per_call or persistent", a.Session)
	}
	switch a.OnDrop {
	case "", OnDropLogout, OnDropRedial:
	default:
		p.add(join(path, "on_drop"), "%q: must be logout or redial", a.OnDrop)
	}
	if a.OnDrop == OnDropRedial && !a.Persistent() {
		p.add(join(path, "on_drop"), "redial is for session persistent; this agent's session is per_call")
	}
	if a.Node != "" && !validName(a.Node) {
		p.add(join(path, "node"), "%q: a node name from esl.nodes (letters, digits, '-', '_' or '.')", a.Node)
	}
	if a.MaxNoAnswer < 0 {
		p.add(join(path, "max_no_answer"), "%d: must not be negative (0 = never put on break)", a.MaxNoAnswer)
	}
	for _, f := range []struct {
		name string
		d    Duration
	}{
		{"wrap_up", a.WrapUp}, {"busy_delay", a.BusyDelay}, {"reject_delay", a.RejectDelay}, {"no_answer_delay", a.NoAnswerDelay},
	} {
		if f.d < 0 {
			p.add(join(path, f.name), "%s: must not be negative", f.d)
		}
	}
	seen := map[string]int{}
	for j, t := range a.Tiers {
		tp := index(join(path, "campaigns"), j)
		if !validName(t.Campaign) {
			p.add(tp+".campaign", "%q: not a campaign name", t.Campaign)
		} else if first, dup := seen[t.Campaign]; dup {
			p.add(tp+".campaign", "%q is already listed at campaigns[%d]", t.Campaign, first)
		} else {
			seen[t.Campaign] = j
		}
		if t.Level < 1 {
			p.add(tp+".level", "%d: must be at least 1 (1 is offered first)", t.Level)
		}
	}
}

// endpointProblem says what is wrong with an agent endpoint, or "". The
// endpoint goes into an originate string as it is, so it obeys the same
// rule as a campaign's dial template, without placeholders, and refuses
// every control character.
func endpointProblem(e string) string {
	if e == "" {
		return "required, e.g. user/1001 or sofia/gateway/gw/15551230001"
	}
	if len(e) > MaxEndpointLength {
		return fmt.Sprintf("longer than %d bytes", MaxEndpointLength)
	}
	prefix := ""
	for _, pre := range []string{"user/", "sofia/", "loopback/", "error/"} {
		if strings.HasPrefix(e, pre) {
			prefix = pre
		}
	}
	if prefix == "" {
		return fmt.Sprintf("%q: must start with user/, sofia/, loopback/ or error/", e)
	}
	if len(e) == len(prefix) {
		return fmt.Sprintf("%q: nothing after %s", e, prefix)
	}
	if strings.ContainsAny(e, ",|{}[]<>'\"\\^ =$\r\n") || strings.ContainsFunc(e, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Sprintf("%q: may not contain , | { } [ ] < > quotes, spaces, =, $, \\, ^ or control characters", e)
	}
	return ""
}

// ValidateAgents checks a list of agents as one document: each agent with
// paths "agents[i]....", and names that appear twice.
func ValidateAgents(agents []Agent) error {
	var p problems
	if len(agents) == 0 {
		p.add("agents", "list at least one agent")
	}
	seen := map[string]int{}
	for i := range agents {
		path := index("agents", i)
		agents[i].validate(path, &p)
		if first, dup := seen[agents[i].Name]; dup {
			p.add(path+".name", "%q is already defined at agents[%d]", agents[i].Name, first)
		} else {
			seen[agents[i].Name] = i
		}
	}
	return p.err()
}

// ReadAgents reads, normalises and validates an agents file (YAML or
// JSON, unknown keys refused). source names the file in errors ("-" for
// standard input). An agent that leaves max_no_answer out gets
// DefaultMaxNoAnswer.
func ReadAgents(r io.Reader, source string) ([]Agent, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDocumentSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", source, err)
	}
	var f AgentFile
	if err := readDocument(bytes.NewReader(data), source, &f); err != nil {
		return nil, err
	}
	// A second, loose pass tells an explicit max_no_answer: 0 from none.
	var given struct {
		Agents []struct {
			MaxNoAnswer *int `yaml:"max_no_answer"`
		} `yaml:"agents"`
	}
	if err := yaml.Unmarshal(data, &given); err != nil {
		return nil, fmt.Errorf("%s: %s", source, yamlMessage(err))
	}
	for i := range f.Agents {
		if i >= len(given.Agents) || given.Agents[i].MaxNoAnswer == nil {
			f.Agents[i].MaxNoAnswer = DefaultMaxNoAnswer
		}
		f.Agents[i].Normalize()
	}
	if err := ValidateAgents(f.Agents); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			ve.Source = source
		}
		return nil, err
	}
	return f.Agents, nil
}
