package main

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
)

func TestMemberHold_ListExplainReportRelease(t *testing.T) {
	c := ivrWithResults(t)
	c.fails("member with id 99", "member", "hold", "2", "99")
	if out := c.ok("member", "list", "--campaign", "survey-ivr"); strings.Contains(out, "held") {
		t.Fatalf("an unknown id still held the known one:\n%s", out)
	}
	contains(t, c.ok("member", "hold", "2", "3"), "held 2 member(s); 1 in a call now: the call goes on")
	contains(t, c.ok("member", "hold", "2"), "held 0 member(s)")

	list := c.ok("member", "list", "--campaign", "survey-ivr")
	if got := viewLine(t, list, "ID"); !strings.HasPrefix(got, "ID STATE HOLD PRIO") {
		t.Fatalf("member list header = %q, want a HOLD column after STATE", got)
	}
	for id, want := range map[string]string{"1 ": "1 done 1", "2 ": "2 waiting held 3", "3 ": "3 calling held 2"} {
		if got := viewLine(t, list, id); !strings.HasPrefix(got, want) {
			t.Errorf("member list row %q, want it to start %q", got, want)
		}
	}
	var ms []struct {
		ID   int64 `json:"id"`
		Held bool  `json:"held"`
	}
	if err := json.Unmarshal([]byte(c.ok("member", "list", "--campaign", "survey-ivr", "-o", "json")), &ms); err != nil {
		t.Fatal(err)
	}
	if len(ms) != 3 || ms[0].Held || !ms[1].Held || !ms[2].Held {
		t.Fatalf("member list -o json held = %+v", ms)
	}
	contains(t, c.ok("member", "explain", "2", "--at", "2026-11-23T17:00:00Z"),
		"held: not dialed until released", "not callable now")
	if got := viewLine(t, c.viewOK("report", "survey-ivr"), "members:"); got != "members: 3 (waiting 1, calling 1, done 1, failed 0; held 2)" {
		t.Errorf("report members line = %q", got)
	}

	c.fails("--yes", "member", "release", "--all", "--campaign", "survey-ivr")
	contains(t, c.ok("member", "release", "--all", "--campaign", "survey-ivr", "--yes"), "released 2 member(s)")
	if out := c.ok("member", "list", "--campaign", "survey-ivr"); strings.Contains(out, "held") {
		t.Fatalf("members still held after release --all:\n%s", out)
	}
	contains(t, c.ok("member", "hold", "--all", "--campaign", "survey-ivr", "--state", "waiting", "--yes"), "held 1 member(s)")
	recs, err := csv.NewReader(strings.NewReader(c.viewOK("export", "survey-ivr", "--members"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range recs[0] {
		if h == "held" {
			col = i
		}
	}
	if col < 0 || recs[1][col] != "false" || recs[2][col] != "true" || recs[3][col] != "false" {
		t.Errorf("export --members held column = %d in %q", col, recs)
	}
}

func TestMemberImport_CallWindow(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/results-ivr.yaml")
	contains(t, c.ok("member", "import", "--campaign", "results-ivr", "../../testdata/members/windows.csv"), "3")
	var ms []struct {
		Name      string  `json:"name"`
		NotBefore *string `json:"not_before"`
		ExpiresAt *string `json:"expires_at"`
	}
	if err := json.Unmarshal([]byte(c.ok("member", "list", "--campaign", "results-ivr", "-o", "json")), &ms); err != nil {
		t.Fatal(err)
	}
	// office-hours is in America/New_York: local times are read there.
	if len(ms) != 3 || ms[0].NotBefore == nil || *ms[0].NotBefore != "2027-01-04T14:00:00.000Z" ||
		ms[0].ExpiresAt == nil || *ms[0].ExpiresAt != "2027-01-31T05:00:00.000Z" || ms[1].NotBefore != nil {
		t.Fatalf("imported windows = %+v", ms)
	}
	c.ok("campaign", "start", "results-ivr")
	out := c.ok("member", "explain", "1", "--at", "2027-01-04T13:00:00Z")
	contains(t, out, "not before 2027-01-04T14:00:00Z", "own call window: not before 2027-01-04T14:00:00Z, not after 2027-01-31T05:00:00Z",
		"next possible call: 2027-01-04T14:00:00Z")
	contains(t, c.ok("member", "explain", "1", "--at", "2027-02-01T15:00:00Z"), "expired at 2027-01-31T05:00:00Z (ends as MEMBER_EXPIRED)")

	c.fails("not_after and expiry are the same field", "member", "import", "--campaign", "results-ivr",
		"../../testdata/members/windows.csv", "--map", "numbers=phone;expiry=call_until;not_after=call_until")
	bad := writeFile(t, "bad.csv", "ref,name,phone,call_from,call_until\nw-9,X,+1 646 555 0199,2027-02-01,2027-01-31\n")
	c.fails("not_before 2027-02-01T05:00:00Z is not before the expiry", "member", "import", "--campaign", "results-ivr", bad)
}

func TestMemberExplain_ResultRule(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/results-ivr.yaml")
	c.ok("member", "import", "--campaign", "results-ivr", "../../testdata/members/windows.csv")
	c.seedSQL(
		`INSERT INTO attempts (id, campaign_id, member_id, number, uuid, final, created_at, answered_at, ended_at,
		                       cause, class, counted, business_result, sub_status, policy_rule)
		 VALUES (1, 1, 1, '+16465550191', 'uuid-1', 1, 1795446060000, 1795446062000, 1795446074345,
		         'NORMAL_CLEARING', 'minus', 0, '3', '', 'result "3"'),
		        (2, 1, 2, '+16465550192', 'uuid-2', 1, 1795446060000, 1795446062000, 1795446074345,
		         'NORMAL_CLEARING', 'error', 1, '9', 'x', '')`)
	contains(t, c.ok("member", "explain", "1"), `last attempt 1: business result "3"; rule result "3" of result_policies applied`)
	contains(t, c.ok("member", "explain", "2"), `last attempt 2: business result "9" (sub-status "x"); no result_policies rule`)
	var v struct {
		LastResult struct {
			Rule string `json:"rule"`
		} `json:"last_result"`
	}
	if err := json.Unmarshal([]byte(c.ok("member", "explain", "1", "-o", "json")), &v); err != nil {
		t.Fatal(err)
	}
	if v.LastResult.Rule != `result "3"` {
		t.Errorf("explain -o json last_result.rule = %q", v.LastResult.Rule)
	}
}
