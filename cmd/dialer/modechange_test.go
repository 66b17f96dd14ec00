package main

import (
	"strings"
	"testing"
)

func TestCLI_CampaignModeChangeNeedsStop(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
	c.ok("campaign", "start", "survey-ivr")
	before := c.ok("campaign", "show", "survey-ivr", "-o", "json")
	ivr := readFixture(t, "../../testdata/campaigns/ivr.yaml")
	progressive := strings.Replace(ivr, "mode: ivr", "mode: progressive", 1)
	progressive = progressive[:strings.Index(progressive, "\nivr:")] + progressive[strings.Index(progressive, "\nlimits:"):]
	_, err := c.run(progressive, "campaign", "apply", "-f", "-")
	if err == nil {
		t.Fatal("a running ivr campaign was switched to progressive")
	}
	contains(t, err.Error(), "mode: cannot change ivr to progressive while the campaign is running; stop it first: dialer campaign stop survey-ivr")
	if after := c.ok("campaign", "show", "survey-ivr", "-o", "json"); after != before {
		t.Fatalf("a refused apply changed the campaign:\n%s\n%s", before, after)
	}
	c.ok("campaign", "stop", "survey-ivr")
	if _, err := c.run(progressive, "campaign", "apply", "-f", "-"); err != nil {
		t.Fatalf("mode change of a stopped campaign: %v", err)
	}
	contains(t, c.ok("campaign", "show", "survey-ivr", "-o", "yaml"), "mode: progressive")
}
