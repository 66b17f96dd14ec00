package main

import (
	"os"
	"strings"
	"testing"
)

func TestMemberExplain_NumberWithoutOneZone(t *testing.T) {
	c := setup(t)
	src, err := os.ReadFile("../../testdata/campaigns/ivr.yaml")
	if err != nil {
		t.Fatal(err)
	}
	byNumber := strings.Replace(string(src), "timezone_policy: member", "timezone_policy: number", 1)
	if _, err := c.run(byNumber, "campaign", "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	members := writeFile(t, "members.csv", "crm_id,name,mobile,home,priority,timezone,expires,segment,score\n"+
		"t-1,Toll Free,+1 800 555 0100,,3,,,retail,1\n"+
		"t-2,Two Numbers,+1 888 555 0101,+1 212 555 0102,3,,,retail,2\n"+
		"t-3,Own Zone,+1 877 555 0103,,3,America/Chicago,,retail,3\n")
	c.ok("member", "import", "--campaign", "survey-ivr", members)
	c.ok("campaign", "start", "survey-ivr")
	at := "2026-11-24T16:00:00Z" // Tuesday 11:00 in New York, 10:00 in Chicago
	contains(t, c.ok("member", "explain", "1", "--at", at),
		"number +18005550100 has no single zone (42 candidates); set the member's timezone or timezone_fallback: calendar (ends as NO_TIMEZONE)")
	contains(t, c.ok("member", "explain", "2", "--at", at),
		"number passed over: number +18885550101 has no single zone (42 candidates)", "callable now on +12125550102 (zones: America/New_York)")
	contains(t, c.ok("member", "explain", "3", "--at", at), "callable now on +18775550103 (zones: America/Chicago)")

	bad := strings.Replace(byNumber, "timezone_policy: number", "timezone_policy: number\ntimezone_fallback: member", 1)
	if _, err := c.run(bad, "campaign", "apply", "-f", "-"); err == nil || !strings.Contains(err.Error(), `timezone_fallback: "member": must be calendar`) {
		t.Errorf("apply with timezone_fallback: member: %v", err)
	}
	lenient := strings.Replace(byNumber, "timezone_policy: number", "timezone_policy: number\ntimezone_fallback: calendar", 1)
	if out, err := c.run(lenient, "campaign", "apply", "-f", "-"); err != nil || !strings.Contains(out, "updated") {
		t.Fatalf("apply with timezone_fallback: %v\n%s", err, out)
	}
	contains(t, c.ok("campaign", "show", "survey-ivr", "-o", "yaml"), "timezone_fallback: calendar")
	contains(t, c.ok("member", "explain", "1", "--at", at),
		"calling window read in the calendar's zone (timezone_fallback: calendar): number +18005550100 has no single zone (42 candidates)",
		"callable now on +18005550100 (zones: America/New_York)")
	if out, err := c.run(lenient, "campaign", "apply", "-f", "-"); err != nil || !strings.Contains(out, "unchanged") {
		t.Fatalf("applying the same campaign again: %v\n%s", err, out)
	}
}
