package dialer

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Predictive defaults.
const (
	// DefaultMaxRatio bounds how many customers a predictive campaign
	// dials per agent it expects to be free.
	DefaultMaxRatio = 3.0
	// DefaultStatsWindow is the sliding window the predictive pacer reads
	// its statistics over.
	DefaultStatsWindow = 30 * time.Minute
	// DefaultAbandonTarget is the share of live answered calls that may be
	// abandoned (the 3% of 47 CFR 64.1200 and Ofcom).
	DefaultAbandonTarget = Ratio(0.03)
	// DefaultAbandonAfter is how long an answered customer may wait for an
	// agent before the abandon message: under the 2 s of the same rules
	// with room for the tick and the command that plays it, and above the
	// default answering-machine detection time, which counts against it.
	DefaultAbandonAfter = 1800 * time.Millisecond
	// DefaultAbandonWindow is the rolling window the abandon rate is
	// counted over.
	DefaultAbandonWindow = 30 * 24 * time.Hour
	// DefaultAbandonMessage is played to a customer no agent could take:
	// a short tone when the campaign names no recording.
	DefaultAbandonMessage = "tone_stream://%(500,500,440);loops=2"
)

// PredictiveSpec tunes mode predictive: customers are dialed ahead of the
// agents, at a ratio the pacer computes from the campaign's live
// statistics, or at a fixed Ratio.
type PredictiveSpec struct {
	// Ratio, when set, is a fixed number of customers dialed per free
	// agent; otherwise the pacer computes it.
	Ratio float64 `yaml:"ratio,omitempty" json:"ratio,omitempty"`
	// MaxRatio bounds the computed ratio.
	MaxRatio float64 `yaml:"max_ratio,omitempty" json:"max_ratio,omitempty"`
	// Window is how far back the pacer's statistics reach.
	Window Duration `yaml:"window,omitempty" json:"window,omitempty"`
}

// AbandonSpec is what happens to an answered customer no agent takes, and
// the abandon rate a campaign must hold.
type AbandonSpec struct {
	// Target is the highest share of live answered calls abandoned over
	// Window; at the target the pacer dials no more customers than free
	// agents until the rate is back under it.
	Target Ratio `yaml:"target,omitempty" json:"target,omitempty"`
	// After is how long an answered customer waits for an agent before
	// Message is played and the call is hung up (cause ABANDONED).
	After Duration `yaml:"after,omitempty" json:"after,omitempty"`
	// Message is a sound file (absolute path, or relative to the switch's
	// sounds directory) or a tone_stream:// the abandoned customer hears.
	Message string `yaml:"message,omitempty" json:"message,omitempty"`
	// Window is the rolling window the ledger counts over.
	Window Duration `yaml:"window,omitempty" json:"window,omitempty"`
}

// Ratio is a share written as a percentage ("3%") or a fraction (0.03).
type Ratio float64

// String renders r as a percentage.
func (r Ratio) String() string {
	return strconv.FormatFloat(float64(r)*100, 'f', -1, 64) + "%"
}

func parseRatio(s string) (Ratio, error) {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a percentage (write 3%% or 0.03)", s)
		}
		return Ratio(v / 100), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a share (write 3%% or 0.03)", s)
	}
	return Ratio(v), nil
}

// UnmarshalYAML accepts "3%" or 0.03.
func (r *Ratio) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a share must be a scalar", n.Line)
	}
	v, err := parseRatio(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*r = v
	return nil
}

// MarshalYAML writes r as a percentage.
func (r Ratio) MarshalYAML() (any, error) { return r.String(), nil }

// predictiveDefaults fills the predictive and abandon settings of an
// agent-mode campaign.
func (c *Campaign) predictiveDefaults() {
	if c.Mode == ModePredictive {
		if c.Predictive.MaxRatio == 0 {
			c.Predictive.MaxRatio = DefaultMaxRatio
		}
		if c.Predictive.Window == 0 {
			c.Predictive.Window = Duration(DefaultStatsWindow)
		}
	}
	if !c.Mode.Agents() {
		return
	}
	if c.Abandon.Target == 0 {
		c.Abandon.Target = DefaultAbandonTarget
	}
	if c.Abandon.Window == 0 {
		c.Abandon.Window = Duration(DefaultAbandonWindow)
	}
	if c.Mode == ModePredictive {
		if c.Abandon.After == 0 {
			c.Abandon.After = Duration(DefaultAbandonAfter)
		}
		if c.Abandon.Message == "" {
			c.Abandon.Message = DefaultAbandonMessage
		}
	}
}

// validatePredictive checks the predictive and abandon settings.
func (c *Campaign) validatePredictive(p *problems) {
	pr := c.Predictive
	if c.Mode != ModePredictive {
		if pr != (PredictiveSpec{}) {
			p.add("predictive", "only for mode predictive; this campaign is %s", c.Mode)
		}
		if c.Abandon.After != 0 {
			p.add("abandon.after", "only for mode predictive; this campaign is %s", c.Mode)
		}
	}
	if !c.Mode.Agents() && c.Abandon != (AbandonSpec{}) {
		p.add("abandon", "only for the agent modes; this campaign is %s", c.Mode)
	}
	if pr.Ratio != 0 && (pr.Ratio < 1 || pr.Ratio > 10) {
		p.add("predictive.ratio", "%v: must be from 1 to 10 customers per agent", pr.Ratio)
	}
	if pr.MaxRatio != 0 && (pr.MaxRatio < 1 || pr.MaxRatio > 10) {
		p.add("predictive.max_ratio", "%v: must be from 1 to 10 customers per agent", pr.MaxRatio)
	}
	if pr.Ratio != 0 && pr.MaxRatio != 0 && pr.Ratio > pr.MaxRatio {
		p.add("predictive.ratio", "%v is above max_ratio %v", pr.Ratio, pr.MaxRatio)
	}
	if pr.Window != 0 && (pr.Window.D() < time.Minute || pr.Window.D() > 24*time.Hour) {
		p.add("predictive.window", "%s: must be from 1m to 24h", pr.Window)
	}
	a := c.Abandon
	if a.Target < 0 || a.Target > 0.5 {
		p.add("abandon.target", "%s: must be from 0%% to 50%%", a.Target)
	}
	if a.After != 0 && (a.After.D() < 0 || a.After.D() > time.Minute) {
		p.add("abandon.after", "%s: must be from 0s to 1m", a.After)
	}
	if a.Window != 0 && (a.Window.D() < time.Hour || a.Window.D() > 90*24*time.Hour) {
		p.add("abandon.window", "%s: must be from 1h to 2160h (90 days)", a.Window)
	}
	if a.Message != "" && !mediaRe.MatchString(a.Message) {
		p.add("abandon.message", "%q: a sound file path or a tone_stream:// (no spaces, quotes, braces or commas outside the tone)", a.Message)
	}
}

// mediaRe is what a played sound may be: a tone_stream:// or
// silence_stream://, or a file path of plain characters. Nothing in it can
// end the command that plays it or start another application.
var mediaRe = regexp.MustCompile(`^((tone|silence)_stream://[-%0-9(),;=A-Za-z.+]{1,200}|[A-Za-z0-9_./-]{1,255})$`)

// Agents reports whether the mode connects members to agents.
func (m Mode) Agents() bool {
	return m == ModeProgressive || m == ModePreemptive || m == ModePredictive
}
