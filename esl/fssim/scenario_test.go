package fssim_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsdialer/dialer/esl/fssim"
)

func TestLoadScenario_Examples(t *testing.T) {
	files, err := filepath.Glob("../../testdata/scenarios/*.yaml")
	if err != nil || len(files) < 2 {
		t.Fatalf("example scenarios: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			sc, err := fssim.LoadScenario(f)
			if err != nil {
				t.Fatal(err)
			}
			if sc.Name == "" || len(sc.Rules) == 0 || len(sc.Agents) == 0 {
				t.Errorf("scenario %+v", sc)
			}
		})
	}
	if _, err := fssim.LoadScenario("../../testdata/scenarios/missing.yaml"); err == nil {
		t.Error("missing file loaded")
	}
}

func TestParseScenario_Errors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown key", "rules:\n  - glob: x\n    rign: 1s\n", "field rign not found"},
		{"bad regexp", "rules:\n  - regexp: '('\n", "rules[0].regexp"},
		{"no pattern", "rules:\n  - ring: 1s\n", "rules[0]: needs regexp or glob"},
		{"both patterns", "rules:\n  - {glob: x, regexp: y}\n", "set regexp or glob, not both"},
		{"bad glob", "agents:\n  - glob: '['\n", "agents[0].glob"},
		{"unknown cause", "rules:\n  - {glob: x, cause: BUSY}\n", `rules[0].cause: unknown hangup cause "BUSY"`},
		{"bad digit", "rules:\n  - {glob: x, answer: true, digit: '12'}\n", "rules[0].digit"},
		{"talk without answer", "rules:\n  - {glob: x, talk: 3s}\n", "need answer: true"},
		{"negative ring", "rules:\n  - {glob: x, ring: -1s}\n", "rules[0].ring: must not be negative"},
		{"duration without unit", "rules:\n  - {glob: x, ring: 1}\n", "cannot unmarshal"},
		{"mix and outcome", "rules:\n  - {name: m, glob: x, ring: 1s, mix: [{weight: 1}]}\n", "rules[0] (m): set either an outcome or a mix"},
		{"zero weight", "rules:\n  - {glob: x, mix: [{weight: 0}]}\n", "rules[0].mix[0].weight: must be positive"},
		{"bad sip status", "rules:\n  - {glob: x, cause: USER_BUSY, sip_status: 99}\n", "sip_status"},
		{"bad fallback", "fallback: {cause: NOPE}\n", "fallback.cause"},
		{"bad gateway", "gateways: ['a b']\n", "gateways[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fssim.ParseScenario([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if sc, err := fssim.ParseScenario(nil); err != nil || len(sc.Rules) != 0 {
		t.Errorf("empty scenario: %v", err)
	}
}

func TestScenario_RulesAndMixes(t *testing.T) {
	sc := &fssim.Scenario{
		Seed: 7,
		Rules: []fssim.Rule{
			{Name: "fixed", Regexp: `^1555`, Outcome: fssim.Outcome{Cause: "USER_BUSY"}},
			{Name: "mix", Glob: "mix-*", Mix: []fssim.Weighted{
				{Weight: 3, Outcome: fssim.Outcome{Cause: "CALL_REJECTED"}},
				{Weight: 1, Outcome: fssim.Outcome{Cause: "NORMAL_CIRCUIT_CONGESTION"}},
			}},
		},
		Fallback: &fssim.Outcome{Cause: "NO_ROUTE_DESTINATION"},
	}
	run := func(seed int64) []string {
		srv := start(t, fssim.Options{Scenario: sc, Seed: seed})
		c := connect(t, srv)
		var out []string
		for i := 0; i < 200; i++ {
			out = append(out, c.api("originate sofia/gateway/gw/mix-1 &park()"))
		}
		if got := c.api("originate sofia/gateway/gw/15551234567 &park()"); got != "-ERR USER_BUSY\n" {
			t.Errorf("fixed rule: %q", got)
		}
		if got := c.api("originate sofia/gateway/gw/elsewhere &park()"); got != "-ERR NO_ROUTE_DESTINATION\n" {
			t.Errorf("fallback: %q", got)
		}
		return out
	}
	a, b, other := run(0), run(7), run(8)
	if strings.Join(a, "") != strings.Join(b, "") {
		t.Error("the scenario seed and the same Options.Seed gave different draws")
	}
	if strings.Join(a, "") == strings.Join(other, "") {
		t.Error("a different seed gave the same 200 draws")
	}
	rejected := strings.Count(strings.Join(a, ""), "CALL_REJECTED")
	if rejected < 120 || rejected > 180 {
		t.Errorf("%d of 200 draws rejected, want about 150", rejected)
	}
}

func TestServer_StartRejectsInvalidScenario(t *testing.T) {
	srv := fssim.New(fssim.Options{Scenario: &fssim.Scenario{Rules: []fssim.Rule{{Glob: "x", Outcome: fssim.Outcome{Cause: "NOPE"}}}}})
	if err := srv.Start(t.Context(), "127.0.0.1:0"); err == nil {
		_ = srv.Close()
		t.Fatal("started with an invalid scenario")
	}
}
