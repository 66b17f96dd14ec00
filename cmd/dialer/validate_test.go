package main

import (
	"os"
	"strings"
	"testing"
)

func TestCLI_CalendarOverlappingSpecialsWritesNothing(t *testing.T) {
	c := setup(t)
	before := c.ok("calendar", "show", "office-hours", "-o", "json")
	cal := readFixture(t, "../../testdata/calendars/office-hours.yaml") +
		"  - {name: Boxing Day, date: 2026-12-26, periods: []}\n"
	_, err := c.run(cal, "calendar", "apply", "-f", "-")
	if err == nil || !strings.Contains(err.Error(), "-: special[2]: overlaps special[1] (2026-12-26)") {
		t.Fatalf("err = %v, want the overlap of special[2] with special[1]", err)
	}
	if after := c.ok("calendar", "show", "office-hours", "-o", "json"); after != before {
		t.Fatalf("a refused apply changed the calendar:\n%s\n%s", before, after)
	}
}

func TestCLI_CampaignScheduleThatNeverFiresWritesNothing(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
	before := c.ok("campaign", "show", "survey-ivr", "-o", "json")
	src := readFixture(t, "../../testdata/campaigns/ivr.yaml")
	bad := strings.Replace(strings.Replace(src, `stop: "0 18 * * 1-5"`, `stop: "0 9 31 2 *"`, 1),
		`start: "0 9 * * 1-5"`, `start: "@every 0s"`, 1)
	_, err := c.run(bad, "campaign", "apply", "-f", "-")
	if err == nil {
		t.Fatal("a schedule that never stops and starts every second was applied")
	}
	contains(t, err.Error(), `-: schedule.start: "@every 0s": interval must be at least 1m`,
		`-: schedule.stop: "0 9 31 2 *": never fires`)
	if after := c.ok("campaign", "show", "survey-ivr", "-o", "json"); after != before {
		t.Fatalf("a refused apply changed the campaign:\n%s\n%s", before, after)
	}
}

func readFixture(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCLI_CampaignFileErrorsWriteNothing(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/progressive.yaml")
	before := c.ok("campaign", "list", "-o", "json")
	ivr := readFixture(t, "../../testdata/campaigns/ivr.yaml")
	progressive := readFixture(t, "../../testdata/campaigns/progressive.yaml")
	for _, tc := range []struct {
		name, doc string
		want      []string
	}{
		{"type error and typo", strings.Replace(strings.Replace(ivr, "lines: 30", "lines: ten", 1), "\nlimits:", "\nlimts:", 1),
			[]string{`-: line 24: limts: unknown field (did you mean limits?)`}},
		{"whole number", strings.Replace(ivr, "lines: 30", "lines: ten", 1),
			[]string{`-: line 25: limits.lines: "ten" is not a whole number`}},
		{"ivr block on progressive", progressive + "ivr: {extension: survey}\n",
			[]string{"-: ivr.extension: only for mode ivr; this campaign is progressive"}},
		{"json", `{"name": "survey-ivr", "mode": "ivr", "limits": {"lines": "30"}}`,
			[]string{`-: line 1: limits.lines: "30" is quoted text: write the number without quotes`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.run(tc.doc, "campaign", "apply", "-f", "-")
			if err == nil {
				t.Fatal("applied")
			}
			contains(t, err.Error(), tc.want...)
			if after := c.ok("campaign", "list", "-o", "json"); after != before {
				t.Fatalf("a refused apply changed campaigns:\n%s\n%s", before, after)
			}
		})
	}
}

func TestCLI_CalendarAndAgentFileErrorsWriteNothing(t *testing.T) {
	c := agentSetup(t)
	_, err := c.run("name: nights\ntimezone: UTC\nweekly: {mon: \"01:00-02:00\"}\n", "calendar", "apply", "-f", "-")
	if err == nil || !strings.Contains(err.Error(), `-: line 3: weekly.mon: expected a list, found "01:00-02:00"`) {
		t.Fatalf("calendar apply = %v", err)
	}
	if out := c.ok("calendar", "list"); strings.Contains(out, "nights") {
		t.Fatalf("a refused calendar was written:\n%s", out)
	}
	_, err = c.run("agents:\n  - name: dave\n    endpoint: user/1004\n    wrap_up: [10s]\n", "agent", "apply", "-f", "-")
	if err == nil || !strings.Contains(err.Error(), "-: line 4: agents[0].wrap_up: expected a duration, found a list") {
		t.Fatalf("agent apply = %v", err)
	}
	if out := c.ok("agent", "list"); strings.Contains(out, "dave") {
		t.Fatalf("a refused agent was written:\n%s", out)
	}
}
