package main

import (
	"os"
	"strings"
	"testing"
)

// TestMemberImport_IntoAFinishedCampaign: members imported into a
// finished campaign are stored and the import says they will not be
// dialed and what to run; with autostart the campaign is started instead.
func TestMemberImport_IntoAFinishedCampaign(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
	c.ok("campaign", "start", "survey-ivr")
	c.seedSQL(`UPDATE campaigns SET state = 'finished' WHERE name = 'survey-ivr'`)
	out := c.ok("member", "import", "--campaign", "survey-ivr", "../../testdata/members/members.csv")
	contains(t, out, "imported 3 members",
		"warning: campaign survey-ivr is finished: these members will not be dialed until you run: dialer campaign start survey-ivr")
	contains(t, c.ok("campaign", "list"), "finished")

	src, err := os.ReadFile("../../testdata/campaigns/ivr.yaml")
	if err != nil {
		t.Fatal(err)
	}
	auto := string(src) + "autostart: true\n"
	if out, err := c.run(auto, "campaign", "apply", "-f", "-"); err != nil || !strings.Contains(out, "updated") {
		t.Fatalf("apply with autostart: %v\n%s", err, out)
	}
	if out, err := c.run(auto, "campaign", "apply", "-f", "-"); err != nil || !strings.Contains(out, "unchanged") {
		t.Fatalf("apply with autostart again: %v\n%s", err, out)
	}
	contains(t, c.ok("campaign", "show", "survey-ivr", "-o", "yaml"), "autostart: true")
	out = c.ok("member", "import", "--campaign", "survey-ivr", "../../testdata/members/members.jsonl")
	contains(t, out, "imported 2 members", "campaign survey-ivr was finished and has been started (autostart)")
	if strings.Contains(out, "warning:") {
		t.Fatalf("import into an autostarted campaign warned:\n%s", out)
	}
	if got := viewLine(t, c.ok("campaign", "list"), "survey-ivr"); !strings.Contains(got, " running ") {
		t.Fatalf("campaign after the import = %q, want running", got)
	}
}
