package fssim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Outcome is what the far end does with one call.
//
// Ring is the time from the originate to the answer or the failure. With
// Answer false and Cause empty the destination rings until the originate
// times out (NO_ANSWER). With Answer false and a Cause the call fails with
// that cause after Ring (a zero Ring fails at once, without ringing). With
// Answer true the callee answers after Ring and hangs up Talk later with
// Cause (NORMAL_CLEARING when empty), unless Stay is set. Digit is the DTMF
// digit the callee presses DigitAfter (default 1 s) after the answer; the
// call gets it whatever it runs, and an IVR listening then takes it and
// hangs up (see the package documentation). EarlyMedia sends 183 (CHANNEL_PROGRESS_MEDIA)
// instead of 180 (CHANNEL_PROGRESS) when ringing starts. SIPStatus
// overrides variable_sip_term_status on sofia endpoints.
//
// In a scenario file ring and talk are either one duration or a
// distribution (see Dist) drawn afresh for each call; a fixed duration
// lands in Ring or Talk, a distribution in RingDist or TalkDist. Go code
// sets Ring and Talk, or RingDist and TalkDist, not both.
type Outcome struct {
	Ring       time.Duration `yaml:"-"`
	RingDist   *Dist         `yaml:"ring"`
	Answer     bool          `yaml:"answer"`
	Cause      string        `yaml:"cause"`
	Talk       time.Duration `yaml:"-"`
	TalkDist   *Dist         `yaml:"talk"`
	Stay       bool          `yaml:"stay"`
	Digit      string        `yaml:"digit"`
	DigitAfter time.Duration `yaml:"digit_after"`
	EarlyMedia bool          `yaml:"early_media"`
	SIPStatus  int           `yaml:"sip_status"`
	// Machine makes the callee an answering machine: it plays a greeting
	// and a beep after the answer, which mod_avmd reports (see amd.go).
	Machine bool `yaml:"machine"`
}

// Distributions a Dist draws from.
const (
	DistFixed       = "fixed"       // Mean, always
	DistUniform     = "uniform"     // evenly between Min and Max
	DistExponential = "exponential" // exponential with Mean
	DistNormal      = "normal"      // normal with Mean and StdDev
	DistLogNormal   = "lognormal"   // log-normal with Mean and StdDev
)

// Dist is a duration drawn at random for each call. In YAML it is a plain
// duration ("8s", a fixed value) or a mapping: {min: 3s, max: 20s} draws
// evenly between the two; {dist: exponential, mean: 120s} draws an
// exponential, {dist: normal|lognormal, mean: 8s, stddev: 3s} a normal or
// log-normal with that mean and standard deviation. Min and Max, when
// set, clamp what exponential, normal and log-normal draw (a normal draw
// is never below zero); a clamp moves the mean a little when it cuts
// much of the distribution off. Draws are rounded to the millisecond and
// come from the scenario's seeded random source, so the same seed and the
// same sequence of originates give the same durations.
type Dist struct {
	Dist   string        `yaml:"dist"`
	Mean   time.Duration `yaml:"mean"`
	StdDev time.Duration `yaml:"stddev"`
	Min    time.Duration `yaml:"min"`
	Max    time.Duration `yaml:"max"`
}

// distKeys are the keys a Dist mapping may have.
var distKeys = []string{"dist", "mean", "stddev", "min", "max"}

// UnmarshalYAML reads a plain duration as a fixed Dist and a mapping as
// the distribution it names (uniform when it names none), refusing keys
// it does not know.
func (d *Dist) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var v time.Duration
		if err := n.Decode(&v); err != nil {
			return err
		}
		*d = Dist{Dist: DistFixed, Mean: v}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a duration or a distribution mapping", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !slices.Contains(distKeys, k.Value) {
			return fmt.Errorf("line %d: field %s not found in a distribution (want %s)", k.Line, k.Value,
				strings.Join(distKeys, ", "))
		}
	}
	type plain Dist
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*d = Dist(p)
	if d.Dist == "" {
		d.Dist = DistUniform
	}
	return nil
}

// validate checks d; where names the field.
func (d *Dist) validate(where string) error {
	if d.Dist == DistFixed && d.Mean < 0 {
		return fmt.Errorf("scenario: %s: must not be negative", where)
	}
	for _, f := range []struct {
		key string
		v   time.Duration
	}{{"mean", d.Mean}, {"stddev", d.StdDev}, {"min", d.Min}, {"max", d.Max}} {
		if f.v < 0 {
			return fmt.Errorf("scenario: %s.%s: must not be negative", where, f.key)
		}
	}
	if d.Max != 0 && d.Max < d.Min {
		return fmt.Errorf("scenario: %s.max: %s is below min %s", where, d.Max, d.Min)
	}
	switch d.Dist {
	case DistFixed:
		if d.StdDev != 0 || d.Min != 0 || d.Max != 0 {
			return fmt.Errorf("scenario: %s: a fixed duration takes mean only", where)
		}
	case DistUniform:
		if d.Mean != 0 || d.StdDev != 0 {
			return fmt.Errorf("scenario: %s: uniform takes min and max, not mean or stddev", where)
		}
		if d.Max == 0 {
			return fmt.Errorf("scenario: %s.max: uniform needs max", where)
		}
	case DistExponential:
		if d.Mean <= 0 {
			return fmt.Errorf("scenario: %s.mean: exponential needs a positive mean", where)
		}
		if d.StdDev != 0 {
			return fmt.Errorf("scenario: %s.stddev: exponential takes mean only (its stddev is its mean)", where)
		}
	case DistNormal, DistLogNormal:
		if d.Mean <= 0 {
			return fmt.Errorf("scenario: %s.mean: %s needs a positive mean", where, d.Dist)
		}
	default:
		return fmt.Errorf("scenario: %s.dist: unknown distribution %q (want %s, %s, %s, %s or %s)", where, d.Dist,
			DistFixed, DistUniform, DistExponential, DistNormal, DistLogNormal)
	}
	return nil
}

// draw is one value of d.
func (d *Dist) draw(rng *rand.Rand) time.Duration {
	var v float64
	switch d.Dist {
	case DistFixed:
		return d.Mean
	case DistUniform:
		v = float64(d.Min) + rng.Float64()*float64(d.Max-d.Min)
	case DistExponential:
		v = rng.ExpFloat64() * float64(d.Mean)
	case DistNormal:
		v = float64(d.Mean) + rng.NormFloat64()*float64(d.StdDev)
	case DistLogNormal:
		// The log-normal with this mean m and standard deviation s has
		// sigma² = ln(1 + s²/m²) and mu = ln(m) - sigma²/2.
		m, s := float64(d.Mean), float64(d.StdDev)
		sigma2 := math.Log1p(s * s / (m * m))
		v = math.Exp(math.Log(m) - sigma2/2 + rng.NormFloat64()*math.Sqrt(sigma2))
	}
	v = max(v, float64(d.Min), 0)
	if d.Max > 0 {
		v = min(v, float64(d.Max))
	}
	return time.Duration(v).Round(time.Millisecond)
}

// resolve turns a fixed distribution into the plain duration it is,
// refusing both set at once.
func resolve(fixed *time.Duration, dist **Dist, where string) error {
	d := *dist
	if d == nil {
		return nil
	}
	if *fixed != 0 {
		return fmt.Errorf("scenario: %s: set a duration or a distribution, not both", where)
	}
	if err := d.validate(where); err != nil {
		return err
	}
	if d.Dist == DistFixed {
		*fixed, *dist = d.Mean, nil
	}
	return nil
}

// drawn is o with its distributions drawn, in a fixed order (ring, then
// talk), so that a scenario without distributions takes nothing from rng.
func (o Outcome) drawn(rng *rand.Rand) Outcome {
	if o.RingDist != nil {
		o.Ring, o.RingDist = o.RingDist.draw(rng), nil
	}
	if o.TalkDist != nil {
		o.Talk, o.TalkDist = o.TalkDist.draw(rng), nil
	}
	return o
}

// Weighted is one branch of a random mix: it is chosen with probability
// Weight divided by the sum of the mix's weights.
type Weighted struct {
	Weight  float64 `yaml:"weight"`
	Outcome `yaml:",inline"`
}

// Rule gives the outcome for destinations matching Regexp (Go regexp
// syntax, unanchored unless the pattern anchors itself) or Glob (path.Match
// syntax over the whole destination). When Mix is set one of its branches
// is drawn at random for each call and the rule's own Outcome is ignored.
type Rule struct {
	Name    string     `yaml:"name"`
	Regexp  string     `yaml:"regexp"`
	Glob    string     `yaml:"glob"`
	Mix     []Weighted `yaml:"mix"`
	Outcome `yaml:",inline"`

	re *regexp.Regexp
}

// Scenario scripts the simulator. Agents and then Rules are tried in
// order against the destination of each originate (the number part of the
// endpoint); the first match decides. When nothing matches, Fallback
// applies, and when Fallback is nil the test numbering plan
// (agents included) applies. Seed seeds the random mixes when
// Options.Seed is zero. Heartbeat is the HEARTBEAT interval in scenario
// time when Options.HeartbeatInterval is zero. Gateways, when not empty,
// lists the sofia gateways that exist; others fail with INVALID_GATEWAY.
type Scenario struct {
	Name      string        `yaml:"name"`
	Seed      int64         `yaml:"seed"`
	Heartbeat time.Duration `yaml:"heartbeat"`
	Gateways  []string      `yaml:"gateways"`
	Agents    []Rule        `yaml:"agents"`
	Rules     []Rule        `yaml:"rules"`
	Fallback  *Outcome      `yaml:"fallback"`
}

// LoadScenario reads and validates a YAML scenario file.
func LoadScenario(file string) (*Scenario, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("load scenario: %w", err)
	}
	sc, err := ParseScenario(data)
	if err != nil {
		return nil, fmt.Errorf("load scenario %s: %w", file, err)
	}
	return sc, nil
}

// ParseScenario decodes and validates a YAML scenario. Unknown keys are
// errors; every error names the offending place.
func ParseScenario(data []byte) (*Scenario, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var sc Scenario
	if err := dec.Decode(&sc); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parse scenario: %w", err)
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	return &sc, nil
}

// Validate checks the scenario and compiles its patterns. It is called by
// ParseScenario and by New for scenarios built in Go.
func (sc *Scenario) Validate() error {
	if sc.Heartbeat < 0 {
		return fmt.Errorf("scenario: heartbeat: must not be negative")
	}
	for i := range sc.Agents {
		if err := sc.Agents[i].compile(fmt.Sprintf("agents[%d]", i)); err != nil {
			return err
		}
	}
	for i := range sc.Rules {
		if err := sc.Rules[i].compile(fmt.Sprintf("rules[%d]", i)); err != nil {
			return err
		}
	}
	if sc.Fallback != nil {
		if err := sc.Fallback.validate("fallback"); err != nil {
			return err
		}
	}
	for i, g := range sc.Gateways {
		if g == "" || strings.ContainsAny(g, "/ ") {
			return fmt.Errorf("scenario: gateways[%d]: invalid gateway name %q", i, g)
		}
	}
	return nil
}

func (r *Rule) compile(where string) error {
	if r.Name != "" {
		where = fmt.Sprintf("%s (%s)", where, r.Name)
	}
	switch {
	case r.Regexp != "" && r.Glob != "":
		return fmt.Errorf("scenario: %s: set regexp or glob, not both", where)
	case r.Regexp != "":
		re, err := regexp.Compile(r.Regexp)
		if err != nil {
			return fmt.Errorf("scenario: %s.regexp: %w", where, err)
		}
		r.re = re
	case r.Glob != "":
		if _, err := path.Match(r.Glob, ""); err != nil {
			return fmt.Errorf("scenario: %s.glob: %w", where, err)
		}
	default:
		return fmt.Errorf("scenario: %s: needs regexp or glob", where)
	}
	if len(r.Mix) == 0 {
		return r.Outcome.validate(where)
	}
	if r.Outcome != (Outcome{}) {
		return fmt.Errorf("scenario: %s: set either an outcome or a mix, not both", where)
	}
	for i := range r.Mix {
		w := fmt.Sprintf("%s.mix[%d]", where, i)
		if r.Mix[i].Weight <= 0 {
			return fmt.Errorf("scenario: %s.weight: must be positive", w)
		}
		if err := r.Mix[i].Outcome.validate(w); err != nil {
			return err
		}
	}
	return nil
}

func (r *Rule) matches(dest string) bool {
	if r.re != nil {
		return r.re.MatchString(dest)
	}
	ok, _ := path.Match(r.Glob, dest)
	return ok
}

func (r *Rule) pick(rng *rand.Rand) Outcome {
	if len(r.Mix) == 0 {
		return r.Outcome.drawn(rng)
	}
	total := 0.0
	for _, m := range r.Mix {
		total += m.Weight
	}
	x := rng.Float64() * total
	for _, m := range r.Mix {
		if x < m.Weight {
			return m.Outcome.drawn(rng)
		}
		x -= m.Weight
	}
	return r.Mix[len(r.Mix)-1].Outcome.drawn(rng)
}

func (o *Outcome) validate(where string) error {
	if err := resolve(&o.Ring, &o.RingDist, where+".ring"); err != nil {
		return err
	}
	if err := resolve(&o.Talk, &o.TalkDist, where+".talk"); err != nil {
		return err
	}
	switch {
	case o.Ring < 0:
		return fmt.Errorf("scenario: %s.ring: must not be negative", where)
	case o.Talk < 0:
		return fmt.Errorf("scenario: %s.talk: must not be negative", where)
	case o.DigitAfter < 0:
		return fmt.Errorf("scenario: %s.digit_after: must not be negative", where)
	case o.Cause != "" && causeCode(o.Cause) < 0:
		return fmt.Errorf("scenario: %s.cause: unknown hangup cause %q", where, o.Cause)
	case len(o.Digit) > 1 || (o.Digit != "" && !strings.Contains("0123456789*#ABCD", o.Digit)):
		return fmt.Errorf("scenario: %s.digit: %q is not one DTMF digit", where, o.Digit)
	case !o.Answer && (o.Talk != 0 || o.TalkDist != nil || o.Stay || o.Digit != ""):
		return fmt.Errorf("scenario: %s: talk, stay and digit need answer: true", where)
	case o.SIPStatus != 0 && (o.SIPStatus < 100 || o.SIPStatus > 699):
		return fmt.Errorf("scenario: %s.sip_status: %d is not a SIP status", where, o.SIPStatus)
	}
	return nil
}

// labContext is the dialplan context of the numbering plan
// (freeswitch-conf/dialplan/dialer_lab.xml).
const labContext = "dialer_lab"

// noRoute is what a destination that no extension matches does.
var noRoute = Outcome{Cause: "NO_ROUTE_DESTINATION"}

// outcomeFor decides what the far end of ep does: the scenario's agents,
// rules and fallback, else the numbering plan. On loopback the plan is
// the dialer_lab context's: a call into any other context finds no
// extension, as on a switch running the project's dialplans.
func (sc *Scenario) outcomeFor(ep endpoint, rng *rand.Rand) Outcome {
	if out, ok := sc.match(ep.dest, rng); ok {
		return out
	}
	if ep.tech == "loopback" && ep.context != labContext {
		return noRoute
	}
	return planOutcome(ep.dest)
}

// match applies the scenario's agents, rules and fallback to dest.
func (sc *Scenario) match(dest string, rng *rand.Rand) (Outcome, bool) {
	if sc == nil {
		return Outcome{}, false
	}
	for i := range sc.Agents {
		if sc.Agents[i].matches(dest) {
			return sc.Agents[i].pick(rng), true
		}
	}
	for i := range sc.Rules {
		if sc.Rules[i].matches(dest) {
			return sc.Rules[i].pick(rng), true
		}
	}
	if sc.Fallback != nil {
		return sc.Fallback.drawn(rng), true
	}
	return Outcome{}, false
}

// Draw is what the far end of a call to dest does, as the simulator
// decides it for a sofia endpoint: the scenario's agents, rules and
// fallback, else the test numbering plan, with every distribution drawn
// from rng. It lets a test outside the simulator (the engine's pacing
// simulation) play the same scenario with the same seed. A nil scenario
// is the numbering plan alone.
func (sc *Scenario) Draw(dest string, rng *rand.Rand) Outcome {
	if out, ok := sc.match(dest, rng); ok {
		return out
	}
	return planOutcome(dest)
}

func (sc *Scenario) gatewayExists(gw string) bool {
	if sc == nil || len(sc.Gateways) == 0 {
		return true
	}
	for _, g := range sc.Gateways {
		if g == gw {
			return true
		}
	}
	return false
}

var (
	planAgent    = regexp.MustCompile(`^agent-[A-Za-z0-9_.-]+$`)
	planCustomer = regexp.MustCompile(`^\+?[0-9]*[0-9]{2}$`)
)

// planOutcome is the test numbering plan as dialer_lab.xml
// implements it: agents by prefix (busy and reject at once), customer
// numbers by their last two digits D (tens) and S (units). Anything else
// finds no extension and fails with NO_ROUTE_DESTINATION at once.
func planOutcome(dest string) Outcome {
	switch {
	case !planAgent.MatchString(dest) && !planCustomer.MatchString(dest):
		return noRoute
	case strings.HasPrefix(dest, "agent-busy-"):
		return Outcome{Cause: "USER_BUSY"}
	case strings.HasPrefix(dest, "agent-noanswer-"):
		return Outcome{}
	case strings.HasPrefix(dest, "agent-reject-"):
		return Outcome{Cause: "CALL_REJECTED"}
	case strings.HasPrefix(dest, "agent-"):
		return Outcome{Ring: time.Second, Answer: true, Stay: true}
	}
	if planMachine.MatchString(dest) {
		return machineOutcome()
	}
	n := len(dest)
	d, s := int(dest[n-2]-'0'), int(dest[n-1]-'0')
	switch d {
	case 5:
		return Outcome{Ring: time.Second, Cause: "USER_BUSY"}
	case 6:
		return Outcome{}
	case 7:
		return Outcome{Cause: "UNALLOCATED_NUMBER"}
	case 8:
		return Outcome{Ring: time.Second, Cause: "CALL_REJECTED"}
	case 9:
		return Outcome{Cause: "NORMAL_CIRCUIT_CONGESTION"}
	default:
		return Outcome{
			Ring:   time.Second,
			Answer: true,
			Talk:   time.Duration(s+1) * time.Second,
			Digit:  string(rune('0' + s)),
		}
	}
}
