package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
)

// cli runs dialer commands against one temporary database.
type cli struct {
	t   *testing.T
	db  string
	env []string
	now time.Time
}

func newCLI(t *testing.T) *cli {
	dir := t.TempDir()
	return &cli{t: t, db: filepath.Join(dir, "t.db"), now: time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)}
}

func (c *cli) run(stdin string, args ...string) (string, error) {
	root := newRootCmd(append([]string{"DIALER_DATABASE=" + c.db}, c.env...))
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func (c *cli) ok(args ...string) string {
	c.t.Helper()
	out, err := c.run("", args...)
	if err != nil {
		c.t.Fatalf("dialer %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (c *cli) fails(want string, args ...string) {
	c.t.Helper()
	out, err := c.run("", args...)
	if err == nil {
		c.t.Fatalf("dialer %s succeeded; want error %q\n%s", strings.Join(args, " "), want, out)
	}
	if !strings.Contains(err.Error(), want) {
		c.t.Fatalf("dialer %s: error %q lacks %q", strings.Join(args, " "), err, want)
	}
}

func contains(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Fatalf("output lacks %q:\n%s", w, out)
		}
	}
}

func setup(t *testing.T) *cli {
	c := newCLI(t)
	c.ok("calendar", "apply", "-f", "../../testdata/calendars/office-hours.yaml")
	return c
}

func TestCampaignApply_ExamplesAreIdempotent(t *testing.T) {
	c := setup(t)
	for _, f := range []string{"ivr", "progressive", "preemptive"} {
		path := "../../testdata/campaigns/" + f + ".yaml"
		contains(t, c.ok("campaign", "apply", "-f", path), "created")
		contains(t, c.ok("campaign", "apply", "-f", path), "unchanged")
	}
	contains(t, c.ok("campaign", "list"), "survey-ivr", "renewals-progressive", "collections-preemptive")
	contains(t, c.ok("campaign", "show", "survey-ivr", "-o", "json"), `"ring_timeout": "25s"`)
	contains(t, c.ok("campaign", "show", "survey-ivr", "-o", "yaml"), "calendar: office-hours")
}

func TestCampaignApply_BrokenFileChangesNothing(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
	before := c.ok("campaign", "show", "survey-ivr", "-o", "json")
	src, _ := os.ReadFile("../../testdata/campaigns/ivr.yaml")
	broken := strings.Replace(string(src), `calendar: office-hours`, `calendar:
  timezone: America/New_York
  weekly:
    mon: ["09:00-10:00", "14:00-11:30"]`, 1)
	broken = strings.Replace(broken, "ring_timeout: 25s", "ring_timeout: 3s", 1)
	_, err := c.run(broken, "campaign", "apply", "-f", "-")
	if err == nil {
		t.Fatal("broken campaign applied")
	}
	for _, want := range []string{"-: calendar.weekly.mon[1]: end 11:30 is before start 14:00", "limits.ring_timeout: 3s"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if after := c.ok("campaign", "show", "survey-ivr", "-o", "json"); after != before {
		t.Fatalf("a rejected apply changed the campaign:\n%s\n%s", before, after)
	}
}

func TestCampaignDelete_RefusesRunning(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
	c.ok("campaign", "start", "survey-ivr")
	c.fails("campaign is running", "campaign", "delete", "survey-ivr", "--yes")
	c.ok("campaign", "pause", "survey-ivr")
	contains(t, c.ok("campaign", "resume", "survey-ivr"), "running (was paused)")
	contains(t, c.ok("campaign", "delete", "survey-ivr", "--force", "--yes"), "deleted")
}

func TestMemberImport_AllOrNothing(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
	c.fails("line 3", "member", "import", "--campaign", "survey-ivr", "../../testdata/members/bad-row.csv")
	if out := c.ok("member", "list", "--campaign", "survey-ivr"); strings.Count(out, "\n") != 1 {
		t.Fatalf("members imported from a file with a bad row:\n%s", out)
	}
	rejects := filepath.Join(t.TempDir(), "rejects.csv")
	out := c.ok("member", "import", "--campaign", "survey-ivr", "--skip-bad", "--rejects", rejects, "../../testdata/members/bad-row.csv")
	contains(t, out, "imported 2 members", "1 rejected")
	rej, err := os.ReadFile(rejects)
	if err != nil {
		t.Fatal(err)
	}
	contains(t, string(rej), "3,mobile,", "not a valid phone number", "Bad Number")
	contains(t, c.ok("member", "list", "--campaign", "survey-ivr"), "+12125550101", "+12125550103")
}

func TestMemberImport_DuplicatesAcrossImports(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
	contains(t, c.ok("member", "import", "--campaign", "survey-ivr", "../../testdata/members/members.csv"), "imported 3 members (5 numbers)")
	c.fails("already", "member", "import", "--campaign", "survey-ivr", "../../testdata/members/members.csv")
	contains(t, c.ok("member", "import", "--campaign", "survey-ivr", "../../testdata/members/members.jsonl"), "imported 2 members")
}

func TestMemberExplain_FixedClock(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
	c.ok("member", "import", "--campaign", "survey-ivr", "../../testdata/members/members.csv")
	out := c.ok("member", "explain", "1", "--at", "2026-11-24T15:00:00Z")
	contains(t, out, "campaign survey-ivr is stopped")
	c.ok("campaign", "start", "survey-ivr")
	contains(t, c.ok("member", "explain", "1", "--at", "2026-11-24T15:00:00Z"), "callable now on +12125550142")
	// Thanksgiving is a closed special date in office-hours.
	contains(t, c.ok("member", "explain", "1", "--at", "2026-11-26T15:00:00Z"),
		"calendar closed until 2026-11-27T09:00:00-05:00 in America/New_York", "next possible call: 2026-11-27T14:00:00Z")
	// Member 2 lives in Los Angeles and the policy is "member".
	contains(t, c.ok("member", "explain", "2", "--at", "2026-11-24T15:00:00Z"), "closed until 2026-11-24T09:00:00-08:00 in America/Los_Angeles")
}

func TestCalendarNext_AcrossDST(t *testing.T) {
	c := newCLI(t)
	cal := `name: nights
timezone: America/New_York
weekly: {sun: ["01:00-02:00"]}
`
	if _, err := c.run(cal, "calendar", "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	out := c.ok("calendar", "next", "nights", "--from", "2026-10-31T00:00:00-04:00", "-n", "2")
	// Fall back: 01:00-02:00 happens twice, a two-hour window.
	contains(t, out, "Sun  2026-11-01 01:00:00 EDT  2026-11-01 02:00:00 EST  2h0m0s", "Sun  2026-11-08 01:00:00 EST")
	c.fails("must be at least 1", "calendar", "next", "nights", "-n", "0")
}

func TestCauseList_All82(t *testing.T) {
	c := setup(t)
	out := c.ok("cause", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	numbered := 0
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) > 2 && f[1] != "-" {
			numbered++
		}
	}
	if numbered != 82 {
		t.Fatalf("%d FreeSWITCH causes listed, want 82", numbered)
	}
	contains(t, out, "USER_BUSY", "MAX_TRY_COUNT", "ABANDONED")
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/preemptive.yaml")
	contains(t, c.ok("cause", "list", "--campaign", "collections-preemptive"), "retry *")
}

func TestBlocklist_Commands(t *testing.T) {
	c := setup(t)
	contains(t, c.ok("blocklist", "add", "2125550101", "--region", "US", "--reason", "asked"), "blocked 1")
	c.fails("argument 1", "blocklist", "add", "12", "--region", "US")
	dnc := filepath.Join(t.TempDir(), "dnc.txt")
	os.WriteFile(dnc, []byte("number\n+14155550150\n# comment\n\n+12125550101\n"), 0o644)
	contains(t, c.ok("blocklist", "import", dnc), "blocked 1 number(s)", "1 already blocked")
	contains(t, c.ok("blocklist", "list"), "+14155550150", "+12125550101")
	contains(t, c.ok("blocklist", "remove", "+14155550150"), "unblocked 1")
}

func TestConfigShow_MasksSecrets(t *testing.T) {
	c := newCLI(t)
	c.env = []string{"DIALER_ESL_PASSWORD=s3cret", "DIALER_LOG_LEVEL=debug"}
	out := c.ok("config", "show")
	contains(t, out, "level: debug", "password: '********'")
	if strings.Contains(out, "s3cret") {
		t.Fatal("password printed")
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("log:\n  levle: debug\n"), 0o644)
	c.fails("levle", "--config", bad, "config", "show")
	c.fails("no such file", "--config", filepath.Join(t.TempDir(), "missing.yaml"), "config", "show")
}

func TestMemberExplain_LiveCall(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
	c.ok("member", "import", "--campaign", "survey-ivr", "../../testdata/members/members.csv")
	c.ok("campaign", "start", "survey-ivr")
	db, err := store.Open(context.Background(), c.db)
	if err != nil {
		t.Fatal(err)
	}
	m, err := db.Member(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	if _, err := db.StartAttempts(context.Background(), []dialer.NewAttempt{{CampaignID: m.CampaignID, MemberID: 1,
		CommunicationID: m.Communications[0].ID, Number: m.Communications[0].Number, UUID: "live-uuid", At: at}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	contains(t, c.ok("member", "explain", "1", "--at", "2026-11-24T15:00:05Z"),
		"state calling", "in a call now", "live call: attempt 1 to +12125550142 since 2026-11-24T15:00:00Z, ringing (call uuid live-uuid)")
}
