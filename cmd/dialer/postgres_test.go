package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/config"
	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
	"github.com/fsdialer/dialer/store"
	"github.com/fsdialer/dialer/store/pgtest"
)

// startPostgres starts a PostgreSQL server for the test and returns the
// URL of a new database on it.
func startPostgres(t *testing.T, name string) string {
	t.Helper()
	ctx := context.Background()
	srv, err := pgtest.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
	if err := srv.CreateDatabase(ctx, name, ""); err != nil {
		t.Fatal(err)
	}
	return srv.DSN(name)
}

// The commands work on a PostgreSQL database named by a postgres:// URL
// (DIALER_DATABASE) as on a SQLite file, on a real server started for the
// test; the SQLite-only commands refuse, saying so.
func TestCLI_OnPostgres(t *testing.T) {
	c := newCLI(t)
	c.db = startPostgres(t, "cli")
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

// The daemon works a campaign kept in PostgreSQL (database: a postgres://
// URL) as it works one in SQLite: the numbering plan's campaign on the
// simulator, to its end, every member ending as the plan says, within the
// campaign's lines.
func TestServe_OnPostgres(t *testing.T) {
	sw := switchtest.Sim(t, fssim.Options{Speed: 20, HeartbeatInterval: time.Second})
	ctx := context.Background()
	cfg := config.Default()
	cfg.Database = startPostgres(t, "serve")
	cfg.ESL.Address, cfg.ESL.Password = sw.Addr(), sw.Password()
	cfg.ESL.HeartbeatTimeout = 5 * time.Second
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.Limits.MaxCalls, cfg.Limits.MaxCPS = 500, 500
	// The lease is stamped on the scenario's clock, 20 times faster than
	// the real time the daemon renews it on: an hour of it lasts the test.
	cfg.Cluster.Lease = time.Hour
	db, err := store.Open(ctx, cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &e2e{log: io.Discard, t: t, ctx: ctx, db: db, cfg: cfg, sw: sw, sim: sw.Server}
	c := e.load(labCampaign+alwaysOpen, labMembers("m", 0, 99))
	done := e.serve(ctx, serveOptions{untilDone: true, statusTick: 50 * time.Millisecond}, sw.Now)
	waitDaemon(t, done, 90*time.Second)
	checkNumberingPlan(t, e, c.ID)
	ss := spans(sw, time.Time{})
	if len(ss) < 100 {
		t.Errorf("the switch saw %d customer calls for 100 members", len(ss))
	}
	if got := maxConcurrentSpans(ss); got > 5 {
		t.Errorf("%d calls up at once, campaign lines 5", got)
	}
	checkNoOverlap(t, ss, 29*time.Second)
	if got, _ := db.Campaign(ctx, "lab"); got.State != dialer.StateFinished {
		t.Errorf("campaign %s, want finished", got.State)
	}
}
