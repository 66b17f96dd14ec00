package main

import (
	"strings"
	"testing"
)

func TestConfirm_BulkAndDestructiveCommands(t *testing.T) {
	c := setup(t)
	for _, f := range []string{"ivr", "progressive", "preemptive"} {
		c.ok("campaign", "apply", "-f", "../../testdata/campaigns/"+f+".yaml")
	}
	c.ok("agent", "apply", "-f", "../../testdata/agents/agents.yaml")
	c.ok("member", "import", "--campaign", "survey-ivr", "../../testdata/members/members.csv")
	c.ok("blocklist", "add", "+14155550123", "+14155550124", "+14155550125")

	// Standard input is not a terminal in tests: without --yes nothing is
	// asked and nothing is done.
	refused := []struct {
		args []string
		want string
	}{
		{[]string{"member", "reset", "--all", "--campaign", "survey-ivr"}, "refusing to reset 3 members of survey-ivr without --yes"},
		{[]string{"member", "reset", "--all", "--campaign", "survey-ivr", "--state", "waiting"}, "refusing to reset 3 waiting members of survey-ivr without --yes"},
		{[]string{"member", "delete", "2"}, "refusing to delete member 2 without --yes"},
		{[]string{"member", "delete", "--all", "--campaign", "survey-ivr"}, "refusing to delete 3 members of survey-ivr without --yes"},
		{[]string{"agent", "delete", "bob"}, "refusing to delete agent bob without --yes"},
		{[]string{"blocklist", "remove", "+14155550123", "+14155550124"}, "refusing to unblock 2 numbers in global without --yes"},
		{[]string{"blocklist", "remove", "--all"}, "refusing to unblock 3 numbers in global without --yes"},
	}
	for _, tt := range refused {
		c.fails(tt.want, tt.args...)
	}
	if out := c.ok("member", "list", "--campaign", "survey-ivr"); strings.Count(out, "\n") != 4 {
		t.Fatalf("members after refused commands:\n%s", out)
	}
	contains(t, c.ok("agent", "list"), "bob")
	contains(t, c.ok("blocklist", "list"), "+14155550123", "+14155550124", "+14155550125")

	// Single items that destroy nothing are not asked about.
	contains(t, c.ok("member", "reset", "1", "2"), "reset 2 member(s)")
	contains(t, c.ok("blocklist", "remove", "+14155550125"), "unblocked 1")
	contains(t, c.ok("member", "reset", "--all", "--campaign", "survey-ivr", "--state", "failed"), "reset 0 member(s)")

	// --yes does it.
	contains(t, c.ok("member", "reset", "--all", "--campaign", "survey-ivr", "--yes"), "reset 3 member(s)")
	contains(t, c.ok("member", "delete", "3", "-y"), "deleted 1 member(s)")
	contains(t, c.ok("blocklist", "remove", "--all", "--yes"), "unblocked 2 number(s)")
	contains(t, c.ok("agent", "delete", "bob", "--yes"), "agent bob deleted")
	c.fails(`no agent named "bob"`, "agent", "delete", "bob")
	c.fails("give numbers or --all, not both", "blocklist", "remove", "+14155550123", "--all")
	c.fails("give the numbers to unblock, or --all", "blocklist", "remove")
}
