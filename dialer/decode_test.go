package dialer_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/fsdialer/dialer/dialer"
)

func TestReadCampaign_DecodeMessages(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      []string
	}{
		{"not a whole number", base + "limits:\n  lines: ten\n",
			[]string{`c.yaml: line 8: limits.lines: "ten" is not a whole number`}},
		{"fraction", base + "retry: {max_attempts: 2.5}\n",
			[]string{`c.yaml: line 7: retry.max_attempts: 2.5 is not a whole number`}},
		{"quoted number", base + "priority: \"2\"\n",
			[]string{`c.yaml: line 7: priority: "2" is quoted text: write the number without quotes`}},
		{"misspelt field", base + "limts: {lines: 5}\n",
			[]string{`c.yaml: line 7: limts: unknown field (did you mean limits?)`}},
		{"unknown field", base + "x: 1\n",
			[]string{`c.yaml: line 7: x: unknown field`}},
		{"nested misspelt field", base + "retry:\n  max_atempts: 2\n",
			[]string{`c.yaml: line 8: retry.max_atempts: unknown field (did you mean max_attempts?)`}},
		{"map value", base + "retry: {per_cause: {USER_BUSY: {retries: many}}}\n",
			[]string{`c.yaml: line 7: retry.per_cause.USER_BUSY.retries: "many" is not a whole number`}},
		{"mapping expected", base + "limits: 5\n",
			[]string{`c.yaml: line 7: limits: expected a mapping (key: value), found 5`}},
		{"list expected", base + "caller_id: {numbers: \"+14155550100\"}\n",
			[]string{`c.yaml: line 7: caller_id.numbers: expected a list, found "+14155550100"`}},
		{"text expected", base + "variables: {a: [1, 2]}\n",
			[]string{`c.yaml: line 7: variables.a: expected text, found a list`}},
		{"bool", strings.Replace(base, "mode: ivr", "mode: preemptive", 1) + "agents: {keep_on_line: maybe}\n",
			[]string{`c.yaml: line 7: agents.keep_on_line: "maybe" is not true or false`}},
		{"duration", base + "limits: {ring_timeout: soon}\n",
			[]string{`c.yaml: line 7: limits.ring_timeout: "soon" is not a duration (write 20s, 10m, 1h30m or a number of seconds)`}},
		{"duration list", base + "min_success: [5s]\n",
			[]string{`c.yaml: line 7: min_success: expected a duration, found a list`}},
		{"inline calendar field", strings.Replace(base, "calendar: cal", "calendar: {timezon: UTC}", 1),
			[]string{`c.yaml: line 6: calendar.timezon: unknown field (did you mean timezone?)`}},
		{"calendar list", strings.Replace(base, "calendar: cal", "calendar: [cal]", 1),
			[]string{`c.yaml: line 6: calendar: expected a calendar name or a mapping, found a list`}},
		{"special date field", strings.Replace(base, "calendar: cal", "calendar:\n  timezone: UTC\n  special:\n    - {date: 2026-12-25, period: []}", 1),
			[]string{`c.yaml: line 9: calendar.special[0].period: unknown field (did you mean periods?)`}},
		{"duplicate key", base + "priority: 2\npriority: 3\n",
			[]string{`c.yaml: line 8: priority: given twice (first at line 7)`}},
		{"every problem", base + "limts: {}\npriority: high\nretry: {interval: [1]}\n", []string{
			`c.yaml: line 7: limts: unknown field (did you mean limits?)`,
			`c.yaml: line 8: priority: "high" is not a whole number`,
			`c.yaml: line 9: retry.interval: expected a duration, found a list`,
		}},
		{"json", `{"name": "t", "mode": "ivr", "limits": {"lines": "ten"}, "calender": "cal"}`, []string{
			`c.yaml: line 1: limits.lines: "ten" is not a whole number`,
			`c.yaml: line 1: calender: unknown field (did you mean calendar?)`,
		}},
		{"syntax", base + "priority: a: b\n", []string{`c.yaml: line 7: mapping values are not allowed in this context`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dialer.ReadCampaign(strings.NewReader(tc.doc), "c.yaml")
			if err == nil {
				t.Fatal("accepted")
			}
			if got, want := err.Error(), strings.Join(tc.want, "\n"); got != want {
				t.Fatalf("error:\n%s\nwant:\n%s", got, want)
			}
			for _, leak := range []string{"!!", "dialer.", "into int", "not found in type"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error %q shows the decoder's %q", err, leak)
				}
			}
		})
	}
}

func TestReadCalendar_DecodeMessages(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"name: c\ntimezone: UTC\nweekly: {mon: \"09:00-17:00\"}\n", `cal.yaml: line 3: weekly.mon: expected a list, found "09:00-17:00"`},
		{"name: c\ntimezone: UTC\nspecail: []\n", `cal.yaml: line 3: specail: unknown field (did you mean special?)`},
		{"name: c\ntimezone: UTC\nweekly: [mon]\n", `cal.yaml: line 3: weekly: expected a mapping (key: value), found a list`},
	} {
		_, err := dialer.ReadCalendar(strings.NewReader(tc.doc), "cal.yaml")
		if err == nil || err.Error() != tc.want {
			t.Errorf("ReadCalendar(%q) = %v, want %q", tc.doc, err, tc.want)
		}
	}
}

func TestReadAgents_DecodeMessages(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"agents:\n  - {name: a, endpoint: user/1, max_no_answer: lots}\n", `a.yaml: line 2: agents[0].max_no_answer: "lots" is not a whole number`},
		{"agents:\n  - name: a\n    endpoit: user/1\n", `a.yaml: line 3: agents[0].endpoit: unknown field (did you mean endpoint?)`},
		{"agents:\n  - name: a\n    endpoint: user/1\n    state: available\n", `a.yaml: line 4: agents[0].state: not read from a file: the dialer keeps it (change it with the CLI or the API)`},
		{"agents:\n  - name: a\n    endpoint: user/1\n    campaigns: [{campaign: x, levle: 2}]\n", `a.yaml: line 4: agents[0].campaigns[0].levle: unknown field (did you mean level?)`},
		{"agent:\n  - name: a\n", `a.yaml: line 1: agent: unknown field (did you mean agents?)`},
	} {
		_, err := dialer.ReadAgents(strings.NewReader(tc.doc), "a.yaml")
		if err == nil || err.Error() != tc.want {
			t.Errorf("ReadAgents(%q) = %v, want %q", tc.doc, err, tc.want)
		}
	}
}

func TestReadCampaign_SettingsOfAnotherMode(t *testing.T) {
	progressive := strings.Replace(strings.Replace(base, "mode: ivr", "mode: progressive", 1), "ivr: {extension: e}\n", "", 1)
	preemptive := strings.Replace(progressive, "mode: progressive", "mode: preemptive", 1)
	for _, tc := range []struct {
		name, doc string
		want      []string
	}{
		{"ivr block on progressive", progressive + "ivr: {extension: survey, context: dialer_ivr}\n", []string{
			"c.yaml: ivr.extension: only for mode ivr; this campaign is progressive",
			"c.yaml: ivr.context: only for mode ivr; this campaign is progressive",
		}},
		{"agents on ivr", base + "agents: {hold_time: 20s, keep_on_line: true}\n", []string{
			"c.yaml: agents.hold_time: only for mode progressive; this campaign is ivr",
			"c.yaml: agents.keep_on_line: only for mode preemptive; this campaign is ivr",
		}},
		{"hold time on preemptive", preemptive + "agents: {hold_time: 20s}\n", []string{
			"c.yaml: agents.hold_time: only for mode progressive; this campaign is preemptive",
		}},
		{"keep on line on progressive", progressive + "agents: {keep_on_line: true}\n", []string{
			"c.yaml: agents.keep_on_line: only for mode preemptive; this campaign is progressive",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dialer.ReadCampaign(strings.NewReader(tc.doc), "c.yaml")
			if err == nil {
				t.Fatal("accepted")
			}
			if got, want := err.Error(), strings.Join(tc.want, "\n"); got != want {
				t.Fatalf("error:\n%s\nwant:\n%s", got, want)
			}
		})
	}
	for _, doc := range []string{progressive + "agents: {hold_time: 20s}\n", preemptive + "agents: {keep_on_line: true}\n", progressive, preemptive} {
		if _, err := dialer.ReadCampaign(strings.NewReader(doc), "c.yaml"); err != nil {
			t.Errorf("refused:\n%s\n%v", doc, err)
		}
	}
}

func TestReadCampaign_AnchorsAndMergeKeys(t *testing.T) {
	doc := base + "retry: &r {max_attempts: 2, interval: 10m}\nresults: {<<: [{\"1\": ok}, {\"2\": retry}]}\n" +
		"variables: &v {dialer_survey: csat}\ncaller_id: {name: x, numbers: &n [\"+14155550100\"]}\n"
	c, err := dialer.ReadCampaign(strings.NewReader(doc), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Retry.MaxAttempts != 2 || c.Results["2"] != "retry" || c.Variables["dialer_survey"] != "csat" {
		t.Fatalf("campaign = %+v", c)
	}
	_, err = dialer.ReadCampaign(strings.NewReader(base+"limits: &l {lines: 5}\nretry: {<<: *l}\n"), "c.yaml")
	if want := "c.yaml: line 7: retry.lines: unknown field"; err == nil || err.Error() != want {
		t.Fatalf("merged unknown key: err = %v, want %q", err, want)
	}
}

func TestReadCampaign_BoundedChecks(t *testing.T) {
	t.Run("alias fan-out", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(base + "filter:\n  k0: &big [" + strings.Repeat("a, ", 2000) + "a]\n")
		for i := 1; i <= 1000; i++ {
			b.WriteString("  k" + strconv.Itoa(i) + ": *big\n")
		}
		_, err := dialer.ReadCampaign(strings.NewReader(b.String()), "c.yaml")
		if err == nil || !strings.Contains(err.Error(), "too many nodes or aliases to check") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("many problems", func(t *testing.T) {
		doc := base + "caller_id: {numbers: [" + strings.Repeat("[1], ", 200) + "[1]]}\n"
		_, err := dialer.ReadCampaign(strings.NewReader(doc), "c.yaml")
		if err == nil {
			t.Fatal("accepted")
		}
		lines := strings.Split(err.Error(), "\n")
		if len(lines) != 51 || lines[50] != "c.yaml: line 7: more problems follow; fix these first" {
			t.Fatalf("%d lines, last %q", len(lines), lines[len(lines)-1])
		}
	})
}
