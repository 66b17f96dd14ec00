package main

import (
	"os"
	"strings"
	"testing"
)

func TestCLI_CalendarOverlappingSpecialsWritesNothing(t *testing.T) {
	c := newCLI(t)
	cal := `name: office-hours
timezone: America/New_York
weekly: {mon: ["09:00-17:00"]}
special:
  - {name: Christmas week, from: 2026-12-24, to: 2026-12-31, periods: ["10:00-12:00"]}
  - {name: Boxing Day, date: 2026-12-26, periods: []}
`
	_, err := c.run(cal, "calendar", "apply", "-f", "-")
	if err == nil || !strings.Contains(err.Error(), "-: special[1]: overlaps special[0] (2026-12-26)") {
		t.Fatalf("err = %v, want the overlap of special[1] with special[0]", err)
	}
	if out := c.ok("calendar", "list"); strings.Contains(out, "office-hours") {
		t.Fatalf("a refused calendar was written:\n%s", out)
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
