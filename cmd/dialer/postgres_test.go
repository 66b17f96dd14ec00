package main

import (
	"context"
	"strings"
	"testing"

	"github.com/fsdialer/dialer/store/pgtest"
)

// The commands work on a PostgreSQL database named by a postgres:// URL
// (DIALER_DATABASE) as on a SQLite file, on a real server started for the
// test; the SQLite-only commands refuse, saying so.
func TestCLI_OnPostgres(t *testing.T) {
	ctx := context.Background()
	srv, err := pgtest.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	if err := srv.CreateDatabase(ctx, "cli", ""); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t)
	c.db = srv.DSN("cli")
	c.ok("calendar", "apply", "-f", "../../testdata/calendars/office-hours.yaml")
	contains(t, c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml"), "created")
	contains(t, c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml"), "unchanged")

	contains(t, c.ok("member", "import", "--campaign", "survey-ivr", "--dry-run", "../../testdata/members/members.csv"),
		"dry run: 3 members", "nothing was written")
	contains(t, c.ok("member", "import", "--campaign", "survey-ivr", "--no-progress", "../../testdata/members/members.csv"),
		"imported 3 members (5 numbers)")
	c.fails("already", "member", "import", "--campaign", "survey-ivr", "--no-progress", "../../testdata/members/members.csv")

	out := c.ok("campaign", "list")
	contains(t, out, "survey-ivr")
	if !strings.Contains(out, "3") {
		t.Fatalf("campaign list does not count the 3 members:\n%s", out)
	}
	contains(t, c.ok("member", "list", "--campaign", "survey-ivr"), "+12125550142", "+14155550150", "+13125550175")
	contains(t, c.ok("blocklist", "add", "+12125550142"), "1")
	contains(t, c.ok("blocklist", "list"), "+12125550142")

	c.fails("not on PostgreSQL", "db", "check")
	c.fails("not on PostgreSQL", "db", "backup", t.TempDir()+"/copy.db")
}
