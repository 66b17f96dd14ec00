package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func demoCLI(t *testing.T) *cli {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/demo-ivr.yaml")
	c.ok("member", "import", "--campaign", "demo-ivr", "../../testdata/members/demo-200.csv")
	return c
}

func TestMemberList_SaysWhenRowsAreLeftOut(t *testing.T) {
	c := demoCLI(t)
	out := c.ok("member", "list")
	if n := strings.Count(out, "\n"); n != 52 {
		t.Fatalf("%d lines, want a header, 50 members and a last line:\n%s", n, out)
	}
	contains(t, out, "showing 50 of 200; use --limit 0 for all or --after 50 for the next page")
	contains(t, c.ok("member", "list", "--after", "50", "--limit", "100"),
		"showing 100 of 150; use --limit 0 for all or --after 150 for the next page")
	if out := c.ok("member", "list", "--after", "150", "--limit", "100"); strings.Contains(out, "showing") {
		t.Errorf("the last page says rows were left out:\n%s", out)
	}
	if out := c.ok("member", "list", "--limit", "0"); strings.Count(out, "\n") != 201 || strings.Contains(out, "showing") {
		t.Errorf("--limit 0 does not list all 200 members alone:\n%s", out)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(c.ok("member", "list", "-o", "json")), &list); err != nil || len(list) != 50 {
		t.Errorf("json output: %d members, %v", len(list), err)
	}
	c.fails("--limit -5: must be 0 (all) or more", "member", "list", "--limit", "-5")
	c.fails("--after -1: must be a member id (0 = from the start)", "member", "list", "--after", "-1")
}

func TestWebhookList_SaysWhenRowsAreLeftOut(t *testing.T) {
	c := ivrWithCallbacks(t)
	contains(t, c.ok("webhook", "list", "--limit", "1"), "showing 1 of 2; use --limit 0 for all")
	if out := c.ok("webhook", "list", "--limit", "2"); strings.Contains(out, "showing") {
		t.Errorf("a complete list says rows were left out:\n%s", out)
	}
	if out := c.ok("webhook", "list", "--limit", "1", "-o", "json"); strings.Contains(out, "showing") {
		t.Errorf("json output has the table's last line:\n%s", out)
	}
	c.fails("--limit -5: must be 0 (all) or more", "webhook", "list", "--limit", "-5")
}

func TestWebhookRedrive_UnknownEvent(t *testing.T) {
	c := ivrWithCallbacks(t)
	c.fails("webhook event 999999 does not exist (dialer webhook list shows the events); nothing was redriven",
		"webhook", "redrive", "999999")
	c.fails("webhook events 999998, 999999 do not exist", "webhook", "redrive", "1", "999998", "999999")
	if out := c.ok("webhook", "list", "--state", "dead"); !strings.Contains(out, "connect") {
		t.Fatalf("a redrive that named unknown events redrove the others:\n%s", out)
	}
	contains(t, c.ok("webhook", "redrive", "1"), "1 dead callback event(s) pending again")
}
