package main

import (
	"strings"
	"testing"
)

func TestCLI_UnknownSubcommandFails(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    string
		suggest string
	}{
		{[]string{"campaign", "strat", "X"}, `unknown command "strat" for "dialer campaign"`, "start"},
		{[]string{"agent", "lgin", "alice"}, `unknown command "lgin" for "dialer agent"`, "login"},
		{[]string{"member", "imprt", "--campaign", "c", "f.csv"}, `unknown command "imprt" for "dialer member"`, "import"},
		{[]string{"campagn", "list"}, `unknown command "campagn" for "dialer"`, "campaign"},
		{[]string{"blocklist", "ad", "+12125550101"}, `unknown command "ad" for "dialer blocklist"`, "add"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			c := newCLI(t)
			out, err := c.run("", tc.args...)
			if err == nil {
				t.Fatalf("succeeded; want %q\n%s", tc.want, out)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q lacks %q", err, tc.want)
			}
			if want := "Did you mean this?\n\t" + tc.suggest + "\n"; !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q lacks the suggestion %q", err, want)
			}
		})
	}
}

func TestCLI_GroupWithoutSubcommandPrintsHelp(t *testing.T) {
	c := newCLI(t)
	for _, group := range []string{"campaign", "agent", "member", "calendar", "blocklist", "webhook"} {
		out := c.ok(group)
		contains(t, out, "Available Commands:", "dialer "+group+" [command]")
	}
}

func TestCLI_UnknownFlagOfAKnownSubcommand(t *testing.T) {
	c := setup(t)
	c.fails("unknown flag: --campain", "member", "import", "--campain", "survey-ivr", "../../testdata/members/members.csv")
	c.fails("unknown flag: --bogus", "campaign", "--bogus")
}

func TestCLI_AgentStateAllOrNothing(t *testing.T) {
	c := agentSetup(t)
	c.ok("agent", "apply", "-f", agentsFile)
	c.fails(`no agent named "nobody", "zed"; nothing was changed`, "agent", "login", "alice", "nobody", "bob", "zed")
	out := c.ok("agent", "list")
	if strings.Contains(out, "available") {
		t.Fatalf("a refused login changed agents:\n%s", out)
	}
	contains(t, c.ok("agent", "login", "alice", "bob"), "agent alice available (was logged_out)", "agent bob available (was logged_out)")
}

func TestCLI_BlocklistAllOrNothing(t *testing.T) {
	c := setup(t)
	out, err := c.run("", "blocklist", "add", "+12125550101", "12", "+14155550150", "34")
	if err == nil {
		t.Fatalf("blocklist add with bad numbers succeeded:\n%s", out)
	}
	contains(t, err.Error(), "nothing was added", "argument 2", "argument 4")
	if out := c.ok("blocklist", "list", "--all"); strings.Count(out, "\n") != 1 {
		t.Fatalf("a refused add blocked numbers:\n%s", out)
	}
	c.ok("blocklist", "add", "+12125550101", "+14155550150")
	c.fails("argument 2", "blocklist", "remove", "+12125550101", "12")
	contains(t, c.ok("blocklist", "list"), "+12125550101", "+14155550150")
}

func TestCLI_MemberResetDeleteAllOrNothing(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
	c.ok("member", "import", "--campaign", "survey-ivr", "../../testdata/members/members.csv")
	c.fails("no member with id 998, 999; nothing was changed", "member", "delete", "1", "998", "2", "999", "--yes")
	c.fails("no member with id 998; nothing was changed", "member", "reset", "1", "998")
	contains(t, c.ok("member", "list", "--campaign", "survey-ivr"), "Ann Lee")
	contains(t, c.ok("member", "delete", "1", "2", "--yes"), "deleted 2 member(s)")
}

func TestCLI_CampaignStateTakesOneName(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
	c.fails("accepts 1 arg(s), received 2", "campaign", "start", "survey-ivr", "nobody")
	contains(t, c.ok("campaign", "show", "survey-ivr"), "stopped")
}
