package dialer_test

import (
	"strings"
	"testing"

	"github.com/fsdialer/dialer/dialer"
)

func TestReadCampaign_ResultPolicyErrors(t *testing.T) {
	cases := []struct {
		name, policies, want string
	}{
		{"policy required", `{rules: [{result: "1"}]}`, "result_policies.rules[0].policy: required: ok, retry or stop"},
		{"unknown policy", `{rules: [{result: "1", policy: maybe}]}`, `result_policies.rules[0].policy: "maybe": must be ok, retry or stop`},
		{"result required", `{rules: [{policy: ok}]}`, "result_policies.rules[0].result: required"},
		{"interval only for retry", `{rules: [{result: "1", policy: ok, interval: 1m}]}`, "result_policies.rules[0].interval: only for policy retry"},
		{"counted only for retry", `{rules: [{result: "1", policy: stop, counted: false}]}`, "result_policies.rules[0].counted: only for policy retry"},
		{"cause only for stop", `{rules: [{result: "1", policy: retry, cause: X_Y}]}`, "result_policies.rules[0].cause: only for policy stop"},
		{"cause name", `{rules: [{result: "1", policy: stop, cause: "no good"}]}`, `result_policies.rules[0].cause: "no good": upper-case letters`},
		{"duplicate", `{rules: [{result: "1", policy: ok}, {result: "1", policy: stop}]}`, "result_policies.rules[1]: a second rule for the same result"},
		{"default has no result", `{default: {result: "1", policy: ok}}`, "result_policies.default: takes every result no rule names"},
		{"unknown key", `{rules: [{result: "1", policy: ok, count: true}]}`, "count"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dialer.ReadCampaign(strings.NewReader(base+"result_policies: "+tt.policies+"\n"), "t.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	c, err := dialer.ReadCampaign(strings.NewReader(base+`result_policies: {rules: [{result: "3", sub_status: busy, policy: retry, interval: 2s, counted: false}], default: {policy: stop}}
`), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rules := c.ResultRules()
	if len(rules) != 2 || rules[0].Name() != `result "3" sub_status "busy"` || !rules[0].Uncounted || rules[1].Name() != "default" ||
		rules[1].StopCause() != "RESULT_STOP" {
		t.Fatalf("rules = %+v", rules)
	}
	doc := strings.NewReplacer("mode: ivr", "mode: progressive", "ivr: {extension: e}", "ivr: {sub_status_variable: x}").Replace(base)
	if _, err := dialer.ReadCampaign(strings.NewReader(doc), "t.yaml"); err == nil || !strings.Contains(err.Error(), "ivr.sub_status_variable: only for mode ivr") {
		t.Fatalf("ivr.sub_status_variable on a progressive campaign: %v", err)
	}
}
