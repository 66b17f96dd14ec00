package main

import "testing"

func TestConfirm_CampaignDelete(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
	c.ok("member", "import", "--campaign", "survey-ivr", "../../testdata/members/members.csv")
	c.fails("refusing to delete campaign survey-ivr with its 3 members and their attempts without --yes",
		"campaign", "delete", "survey-ivr")
	contains(t, c.ok("campaign", "list"), "survey-ivr")
	contains(t, c.ok("campaign", "delete", "survey-ivr", "--yes"), "deleted")
	c.fails(`no campaign named "survey-ivr"`, "campaign", "delete", "survey-ivr")
}
