package dialer

import (
	"regexp"
	"slices"
	"time"
)

// Answering-machine detection engines.
const (
	// AMDAvmd detects the beep of a voicemail greeting with FreeSWITCH's
	// mod_avmd, started on the customer's channel at its answer.
	AMDAvmd = "avmd"
	// AMDVariable reads a channel variable an external detector (e.g.
	// mod_amd's AMD_STATUS) has set by the end of the timeout.
	AMDVariable = "variable"
)

// What a campaign does with an answering machine.
const (
	// OnMachineHangup hangs the machine up at once.
	OnMachineHangup = "hangup"
	// OnMachineMessage plays the campaign's message after the beep, then
	// hangs up.
	OnMachineMessage = "message"
)

// AMD verdicts, as recorded on the attempt (amd_result).
const (
	AMDHuman   = "human"
	AMDMachine = "machine"
	// AMDUnknown: detection could not tell (it could not start, or the
	// external detector's variable holds neither a machine nor a human
	// value); the call goes on as a person's.
	AMDUnknown = "unknown"
)

// AMD defaults.
const (
	// DefaultAMDTimeout is how long after the answer detection may take.
	// A lab machine's beep comes about 1 s after its answer.
	DefaultAMDTimeout = 1500 * time.Millisecond
	// DefaultAMDVariable is the variable mod_amd sets.
	DefaultAMDVariable = "AMD_STATUS"
)

// Default values of the variable engine's verdicts (mod_amd's).
var (
	DefaultAMDMachineValues = []string{"MACHINE"}
	DefaultAMDHumanValues   = []string{"HUMAN"}
)

// amdVarRe is a detector's variable name (AMD_STATUS is upper case).
var amdVarRe = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// AMDSpec turns on answering-machine detection for a campaign: at the
// customer's answer the call waits up to Timeout for a verdict; a person
// (or an undecided verdict) goes on to the IVR or an agent, a machine is
// hung up or gets Message after its beep, and the attempt ends MACHINE.
//
// The time spent detecting counts against the agent modes' hold deadline
// (abandon.after in predictive mode, agents.hold_time in progressive
// mode), which still runs from the answer, so Timeout must be shorter.
type AMDSpec struct {
	// Engine is avmd or variable; empty means no detection.
	Engine string `yaml:"engine,omitempty" json:"engine,omitempty"`
	// Timeout bounds the detection from the answer. With avmd, no beep
	// by then is a person.
	Timeout Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	// Variable, MachineValues and HumanValues are the variable engine's:
	// the channel variable read at Timeout and the values that mean a
	// machine and a person.
	Variable      string   `yaml:"variable,omitempty" json:"variable,omitempty"`
	MachineValues []string `yaml:"machine_values,omitempty" json:"machine_values,omitempty"`
	HumanValues   []string `yaml:"human_values,omitempty" json:"human_values,omitempty"`
	// OnMachine is hangup or message.
	OnMachine string `yaml:"on_machine,omitempty" json:"on_machine,omitempty"`
	// Message is the sound file or tone_stream:// played to a machine
	// with on_machine message.
	Message string `yaml:"message,omitempty" json:"message,omitempty"`
}

// Enabled reports whether the campaign detects answering machines.
func (a AMDSpec) Enabled() bool { return a.Engine != "" }

// Verdict reads the variable engine's value: machine, human or unknown.
func (a AMDSpec) Verdict(value string) string {
	switch {
	case value != "" && slices.Contains(a.MachineValues, value):
		return AMDMachine
	case value != "" && slices.Contains(a.HumanValues, value):
		return AMDHuman
	}
	return AMDUnknown
}

// amdDefaults fills the detection settings of a campaign that has some.
func (c *Campaign) amdDefaults() {
	a := &c.AMD
	if !a.Enabled() {
		return
	}
	if a.Timeout == 0 {
		a.Timeout = Duration(DefaultAMDTimeout)
	}
	if a.OnMachine == "" {
		a.OnMachine = OnMachineHangup
	}
	if a.Engine == AMDVariable {
		if a.Variable == "" {
			a.Variable = DefaultAMDVariable
		}
		if len(a.MachineValues) == 0 {
			a.MachineValues = slices.Clone(DefaultAMDMachineValues)
		}
		if len(a.HumanValues) == 0 {
			a.HumanValues = slices.Clone(DefaultAMDHumanValues)
		}
	}
}

// validateAMD checks the detection settings, after the defaults.
func (c *Campaign) validateAMD(p *problems) {
	a := c.AMD
	if !a.Enabled() {
		if a.Timeout != 0 || a.Variable != "" || len(a.MachineValues) > 0 || len(a.HumanValues) > 0 ||
			a.OnMachine != "" || a.Message != "" {
			p.add("amd.engine", "required with the other amd settings: avmd or variable")
		}
		return
	}
	switch a.Engine {
	case AMDAvmd, AMDVariable:
	default:
		p.add("amd.engine", "%q: must be avmd or variable", a.Engine)
	}
	if a.Timeout.D() < 500*time.Millisecond || a.Timeout.D() > 10*time.Second {
		p.add("amd.timeout", "%s: must be from 500ms to 10s", a.Timeout)
	}
	if a.Engine == AMDAvmd && (a.Variable != "" || len(a.MachineValues) > 0 || len(a.HumanValues) > 0) {
		p.add("amd.variable", "only for engine variable; this campaign's engine is avmd")
	}
	if a.Variable != "" && !amdVarRe.MatchString(a.Variable) {
		p.add("amd.variable", "%q: letters, digits and '_' only", a.Variable)
	}
	for _, l := range []struct {
		path   string
		values []string
	}{{"amd.machine_values", a.MachineValues}, {"amd.human_values", a.HumanValues}} {
		for i, v := range l.values {
			if !tokenRe.MatchString(v) {
				p.add(index(l.path, i), "%q: letters, digits, '.', '_' or '-' only", v)
			} else if l.path == "amd.human_values" && slices.Contains(a.MachineValues, v) {
				p.add(index(l.path, i), "%q is a machine value too", v)
			}
		}
	}
	switch a.OnMachine {
	case OnMachineHangup:
		if a.Message != "" {
			p.add("amd.message", "only with on_machine message")
		}
	case OnMachineMessage:
		if a.Message == "" {
			p.add("amd.message", "required with on_machine message: a sound file or a tone_stream://")
		}
	default:
		p.add("amd.on_machine", "%q: must be hangup or message", a.OnMachine)
	}
	if a.Message != "" && !mediaRe.MatchString(a.Message) {
		p.add("amd.message", "%q: a sound file path or a tone_stream:// (no spaces, quotes, braces or commas outside the tone)", a.Message)
	}
	// Detection runs inside the time an answered customer may wait for an
	// agent: a verdict that came after it would hand on nobody.
	switch {
	case c.Mode == ModePredictive && c.Abandon.After != 0 && a.Timeout >= c.Abandon.After:
		p.add("amd.timeout", "%s: must be shorter than abandon.after (%s): the time spent detecting counts against it", a.Timeout, c.Abandon.After)
	case c.Mode == ModeProgressive && c.Agents.HoldTime != 0 && a.Timeout >= c.Agents.HoldTime:
		p.add("amd.timeout", "%s: must be shorter than agents.hold_time (%s): the time spent detecting counts against it", a.Timeout, c.Agents.HoldTime)
	}
}
