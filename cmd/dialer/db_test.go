package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsdialer/dialer/store/storetest"
)

// loaded is a CLI on a database holding survey-ivr with n members (long
// enough rows that the middle of the file is member pages).
func loaded(t *testing.T, n int) *cli {
	t.Helper()
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
	var b strings.Builder
	b.WriteString("crm_id,name,mobile,home,priority,timezone,expires,segment,score\n")
	for i := range n {
		fmt.Fprintf(&b, "c-%d,Member %d %s,+1212%07d,,3,America/New_York,,retail,%d\n", i, i, strings.Repeat("x", 80), 2000000+i, i%100)
	}
	csv := filepath.Join(t.TempDir(), "members.csv")
	if err := os.WriteFile(csv, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	contains(t, c.ok("member", "import", "--campaign", "survey-ivr", csv), fmt.Sprintf("imported %d members", n))
	return c
}

// TestCLI_DamagedDatabase: with 64 KB of the file overwritten, the daemon
// refuses to start, a write command refuses to write, and db check names
// the problems; each says which file and what to do.
func TestCLI_DamagedDatabase(t *testing.T) {
	c := loaded(t, 3000)
	storetest.DamageMiddle(t, c.db)
	hint := []string{"database " + c.db + " is damaged", "dialer db check", "restore it from a backup"}
	check := func(args ...string) {
		t.Helper()
		out, err := c.run("", args...)
		if err == nil {
			t.Fatalf("dialer %s succeeded on a damaged database:\n%s", strings.Join(args, " "), out)
		}
		for _, w := range hint {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("dialer %s: error lacks %q: %v", strings.Join(args, " "), w, err)
			}
		}
	}
	check("campaign", "start", "survey-ivr")
	check("serve", "--sim", "--until-done", "--http-listen", "127.0.0.1:0")

	out, err := c.run("", "db", "check")
	if err == nil || !strings.Contains(err.Error(), "database "+c.db+" is damaged") {
		t.Fatalf("db check on a damaged file: %v\n%s", err, out)
	}
	contains(t, out, c.db+": ", "problem(s):")
	out, err = c.run("", "db", "check", "-o", "json")
	var v struct {
		Database string   `json:"database"`
		OK       bool     `json:"ok"`
		Problems []string `json:"problems"`
	}
	if jerr := json.Unmarshal([]byte(out), &v); err == nil || jerr != nil || v.OK || len(v.Problems) == 0 || v.Database != c.db {
		t.Fatalf("db check -o json: %v %v %+v\n%s", err, jerr, v, out)
	}
}

// TestCLI_DBBackup: the backup passes db check and holds what the database
// held; an existing file is replaced only with --force.
func TestCLI_DBBackup(t *testing.T) {
	c := loaded(t, 500)
	c.ok("member", "import", "--campaign", "survey-ivr", "../../testdata/members/members.csv")
	contains(t, c.ok("db", "check"), c.db+": ok")
	dst := filepath.Join(t.TempDir(), "backup.db")
	contains(t, c.ok("db", "backup", dst), "backed up "+c.db+" to "+dst+": ", " KiB in ")
	copyCLI := &cli{t: t, db: dst, now: c.now}
	contains(t, copyCLI.ok("db", "check"), dst+": ok")
	for _, args := range [][]string{
		{"campaign", "list", "-o", "json"},
		{"member", "list", "--campaign", "survey-ivr", "-o", "json"},
		{"calendar", "list"},
	} {
		if got, want := copyCLI.ok(args...), c.ok(args...); got != want {
			t.Errorf("dialer %s: the backup shows\n%s\nthe database\n%s", strings.Join(args, " "), got, want)
		}
	}
	c.fails("use --force to replace it", "db", "backup", dst)
	c.ok("db", "backup", dst, "--force")
	c.fails("that is the database itself", "db", "backup", c.db, "--force")
}
