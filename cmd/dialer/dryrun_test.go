package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestApply_DryRunWritesNothing(t *testing.T) {
	c := newCLI(t)
	// A dry run creates no database, and checks against an empty one.
	contains(t, c.ok("calendar", "apply", "--dry-run", "-f", "../../testdata/calendars/office-hours.yaml"),
		"dry run: calendar office-hours would be created")
	c.fails(`no campaign named "survey-ivr": database `+c.db+" does not exist",
		"member", "import", "--dry-run", "--campaign", "survey-ivr", "../../testdata/members/members.csv")
	if _, err := os.Stat(c.db); !os.IsNotExist(err) {
		t.Fatalf("a dry run created the database (%v)", err)
	}
	if _, err := c.run("name: nights\ntimezone: UTC\nweekly: {sun: [\"01:00-02:00\"]}\n", "calendar", "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	before := fileBytes(t, c.db)
	contains(t, c.ok("calendar", "apply", "--dry-run", "-f", "../../testdata/calendars/office-hours.yaml"),
		"dry run: calendar office-hours would be created; nothing was written")
	if after := fileBytes(t, c.db); !bytes.Equal(before, after) {
		t.Fatal("calendar apply --dry-run changed the database file")
	}
	// A campaign on a calendar that does not exist yet fails the dry run as
	// it would fail the apply.
	c.fails("office-hours", "campaign", "apply", "--dry-run", "-f", "../../testdata/campaigns/ivr.yaml")

	c.ok("calendar", "apply", "-f", "../../testdata/calendars/office-hours.yaml")
	contains(t, c.ok("campaign", "apply", "--dry-run", "-f", "../../testdata/campaigns/ivr.yaml"),
		"dry run: campaign survey-ivr would be created; nothing was written")
	for _, f := range []string{"ivr", "progressive", "preemptive"} {
		c.ok("campaign", "apply", "-f", "../../testdata/campaigns/"+f+".yaml")
	}
	contains(t, c.ok("campaign", "apply", "--dry-run", "-f", "../../testdata/campaigns/ivr.yaml"),
		"dry run: campaign survey-ivr would be unchanged; nothing was written")
	contains(t, c.ok("calendar", "apply", "--dry-run", "-f", "../../testdata/calendars/office-hours.yaml"),
		"dry run: calendar office-hours would be unchanged")

	before = fileBytes(t, c.db)
	shown := c.ok("campaign", "show", "survey-ivr", "-o", "json")
	changed := strings.Replace(string(fileBytes(t, "../../testdata/campaigns/ivr.yaml")), "ring_timeout: 25s", "ring_timeout: 30s", 1)
	out, err := c.run(changed, "campaign", "apply", "--dry-run", "-f", "-")
	if err != nil {
		t.Fatal(err)
	}
	contains(t, out, "dry run: campaign survey-ivr would be updated; nothing was written")
	if after := c.ok("campaign", "show", "survey-ivr", "-o", "json"); after != shown {
		t.Errorf("campaign apply --dry-run changed the campaign:\n%s\n%s", shown, after)
	}

	contains(t, c.ok("agent", "apply", "--dry-run", "-f", "../../testdata/agents/agents.yaml"), "dry run: agent ", " would be created; nothing was written")
	if out := c.ok("agent", "list"); strings.Contains(out, "alice") {
		t.Errorf("agent apply --dry-run created agents:\n%s", out)
	}
	if after := fileBytes(t, c.db); !bytes.Equal(before, after) {
		t.Fatal("a dry run changed the database file")
	}
	c.ok("agent", "apply", "-f", "../../testdata/agents/agents.yaml")
	contains(t, c.ok("agent", "apply", "--dry-run", "-f", "../../testdata/agents/agents.yaml"), " would be unchanged")
}
