package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsdialer/dialer/store/permtest"
	_ "github.com/mattn/go-sqlite3"
)

// readCommands are the commands that only read the database.
var readCommands = [][]string{
	{"campaign", "list"},
	{"campaign", "show", "survey-ivr"},
	{"campaign", "schedule", "survey-ivr"},
	{"calendar", "list"},
	{"calendar", "show", "office-hours"},
	{"calendar", "next", "office-hours"},
	{"member", "list", "--campaign", "survey-ivr"},
	{"member", "show", "1"},
	{"member", "explain", "1"},
	{"agent", "list"},
	{"agent", "show", "alice"},
	{"blocklist", "list"},
	{"cause", "list", "--campaign", "survey-ivr"},
	{"report", "survey-ivr"},
	{"export", "survey-ivr", "--members"},
	{"status"},
	{"webhook", "list"},
}

// withFixtures is a CLI on a database with the example campaigns, agents
// and members.
func withFixtures(t *testing.T) *cli {
	t.Helper()
	c := setup(t)
	for _, f := range []string{"ivr", "progressive", "preemptive"} {
		c.ok("campaign", "apply", "-f", "../../testdata/campaigns/"+f+".yaml")
	}
	c.ok("agent", "apply", "-f", "../../testdata/agents/agents.yaml")
	c.ok("member", "import", "--campaign", "survey-ivr", "../../testdata/members/members.csv")
	c.ok("blocklist", "add", "+12125550199", "--reason", "asked")
	return c
}

// TestCLI_ReadsDoNotCreateTheDatabase: a read on a mistyped path fails
// naming it, and leaves no file behind.
func TestCLI_ReadsDoNotCreateTheDatabase(t *testing.T) {
	c := newCLI(t)
	for _, args := range readCommands {
		c.fails("database "+c.db+" does not exist; create it with `dialer campaign apply` or check --db", args...)
	}
	if _, err := os.Stat(c.db); !os.IsNotExist(err) {
		t.Fatalf("reads created %s: %v", c.db, err)
	}
}

// TestCLI_ReadsNeverWrite: every read command works on a store opened
// read-only, so none writes (a write would be refused).
func TestCLI_ReadsNeverWrite(t *testing.T) {
	c := withFixtures(t)
	for _, args := range readCommands {
		c.ok(args...)
	}
}

// TestCLI_ReadOfAnOlderSchema: a read does not upgrade the file; it says
// how to.
func TestCLI_ReadOfAnOlderSchema(t *testing.T) {
	c := newCLI(t)
	raw, err := sql.Open("sqlite3", "file:"+c.db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	body, err := os.ReadFile("../../store/migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
		string(body),
		`INSERT INTO schema_migrations VALUES (1, '0001_init.sql', 0)`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	c.fails("database "+c.db+" was written by an older dialer", "campaign", "list")
	c.fails("run a write command (such as `dialer campaign apply`) or `dialer serve` once", "campaign", "list")
	c.ok("calendar", "apply", "-f", "../../testdata/calendars/office-hours.yaml")
	contains(t, c.ok("calendar", "list"), "office-hours")
}

// TestCLI_ReadOnlyDatabase: a database the user may not write (file 0444
// in a directory 0555) can be read with every read command; a write says
// whether the file or the directory is in the way. Root may write
// anything, so this needs another user.
func TestCLI_ReadOnlyDatabase(t *testing.T) {
	if permtest.AsUnprivileged(t) {
		return
	}
	c := withFixtures(t)
	dir := filepath.Dir(c.db)
	t.Cleanup(func() { os.Chmod(dir, 0o755); os.Chmod(c.db, 0o644) })
	if err := os.Chmod(c.db, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	for _, args := range readCommands {
		c.ok(args...)
	}
	c.fails("database file "+c.db+" is read-only", "campaign", "start", "survey-ivr")
	if err := os.Chmod(c.db, 0o644); err != nil {
		t.Fatal(err)
	}
	c.fails("database directory "+dir+" is not writable", "campaign", "start", "survey-ivr")
	c.fails("database directory "+dir+" is not writable", "serve", "--sim", "--until-done", "--http-listen", "127.0.0.1:0")
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 {
		t.Errorf("files beside the database after reads: %s", strings.Join(names, " "))
	}
}
