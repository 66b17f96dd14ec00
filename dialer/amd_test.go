package dialer_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
)

const amdBase = `
name: amd
mode: ivr
dial: {template: "loopback/{number}/dialer_lab"}
ivr: {extension: dialer_ivr_survey, context: dialer_ivr}
calendar: cal
`

func TestReadCampaign_AMDDefaults(t *testing.T) {
	cases := []struct {
		name, doc string
		want      dialer.AMDSpec
	}{
		{"avmd", amdBase + "amd: {engine: avmd}",
			dialer.AMDSpec{Engine: "avmd", Timeout: dialer.Duration(1500 * time.Millisecond), OnMachine: "hangup"}},
		{"variable", amdBase + "amd: {engine: variable, on_machine: message, message: 'tone_stream://%(300,0,800)'}",
			dialer.AMDSpec{Engine: "variable", Timeout: dialer.Duration(1500 * time.Millisecond), Variable: "AMD_STATUS",
				MachineValues: []string{"MACHINE"}, HumanValues: []string{"HUMAN"}, OnMachine: "message", Message: "tone_stream://%(300,0,800)"}},
		{"none", amdBase, dialer.AMDSpec{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := dialer.ReadCampaign(strings.NewReader(tc.doc), "t")
			if err != nil {
				t.Fatal(err)
			}
			got := c.AMD
			if got.Engine != tc.want.Engine || got.Timeout != tc.want.Timeout || got.Variable != tc.want.Variable ||
				strings.Join(got.MachineValues, ",") != strings.Join(tc.want.MachineValues, ",") ||
				strings.Join(got.HumanValues, ",") != strings.Join(tc.want.HumanValues, ",") ||
				got.OnMachine != tc.want.OnMachine || got.Message != tc.want.Message {
				t.Errorf("amd = %+v, want %+v", got, tc.want)
			}
			if got.Enabled() != (tc.want.Engine != "") {
				t.Errorf("Enabled() = %v", got.Enabled())
			}
		})
	}
}

func TestReadCampaign_AMDErrors(t *testing.T) {
	predictive := strings.NewReplacer("mode: ivr", "mode: predictive",
		"ivr: {extension: dialer_ivr_survey, context: dialer_ivr}\n", "").Replace(amdBase)
	progressive := strings.Replace(predictive, "mode: predictive", "mode: progressive", 1)
	cases := []struct{ name, doc, want string }{
		{"engine", amdBase + "amd: {engine: vmd}", `amd.engine: "vmd": must be avmd or variable`},
		{"no engine", amdBase + "amd: {timeout: 1s}", "amd.engine: required with the other amd settings"},
		{"timeout short", amdBase + "amd: {engine: avmd, timeout: 100ms}", "amd.timeout: 100ms: must be from 500ms to 10s"},
		{"timeout long", amdBase + "amd: {engine: avmd, timeout: 11s}", "amd.timeout: 11s: must be from 500ms to 10s"},
		{"variable with avmd", amdBase + "amd: {engine: avmd, variable: X}", "amd.variable: only for engine variable"},
		{"variable name", amdBase + "amd: {engine: variable, variable: 'a-b'}", `amd.variable: "a-b": letters, digits`},
		{"value", amdBase + "amd: {engine: variable, machine_values: ['a b']}", `amd.machine_values[0]: "a b": letters`},
		{"value both", amdBase + "amd: {engine: variable, machine_values: [M], human_values: [H, M]}", `amd.human_values[1]: "M" is a machine value too`},
		{"on_machine", amdBase + "amd: {engine: avmd, on_machine: voicemail}", `amd.on_machine: "voicemail": must be hangup or message`},
		{"message missing", amdBase + "amd: {engine: avmd, on_machine: message}", "amd.message: required with on_machine message"},
		{"message with hangup", amdBase + "amd: {engine: avmd, message: a.wav}", "amd.message: only with on_machine message"},
		{"message unsafe", amdBase + "amd: {engine: avmd, on_machine: message, message: 'a b.wav'}", `amd.message: "a b.wav": a sound file path`},
		{"predictive timeout", predictive + "amd: {engine: avmd, timeout: 2s}", "amd.timeout: 2s: must be shorter than abandon.after (1.8s)"},
		{"progressive timeout", progressive + "agents: {hold_time: 1s}\namd: {engine: avmd}", "amd.timeout: 1.5s: must be shorter than agents.hold_time (1s)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dialer.ReadCampaign(strings.NewReader(tc.doc), "t")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := dialer.ReadCampaign(strings.NewReader(predictive+"amd: {engine: avmd}"), "t"); err != nil {
		t.Errorf("predictive with the default timeout: %v", err)
	}
}

func TestAMDSpec_Verdict(t *testing.T) {
	a := dialer.AMDSpec{Engine: "variable", MachineValues: []string{"MACHINE", "NOTSURE_MACHINE"}, HumanValues: []string{"HUMAN"}}
	for value, want := range map[string]string{"MACHINE": "machine", "NOTSURE_MACHINE": "machine", "HUMAN": "human", "NOTSURE": "unknown", "": "unknown"} {
		if got := a.Verdict(value); got != want {
			t.Errorf("Verdict(%q) = %q, want %q", value, got, want)
		}
	}
}
