package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/fsdialer/dialer/store"
	"github.com/fsdialer/dialer/store/pgtest"
	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3"
)

// openRaw opens the store's database (its file, or on the PostgreSQL pass
// its URL) with plain SQL, to look at tables the store's API does not show.
func openRaw(t *testing.T, path string) *sqlx.DB {
	t.Helper()
	raw, err := store.OpenRawForTest(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

// checkCampaignNumbers asserts that campaign_numbers holds exactly one row
// per communication, with the same campaign, number and id.
func checkCampaignNumbers(t *testing.T, raw *sqlx.DB) {
	t.Helper()
	var missing, stray int
	if err := raw.Get(&missing, `
		SELECT count(*) FROM communications c
		WHERE NOT EXISTS (SELECT 1 FROM campaign_numbers n
		                  WHERE n.campaign_id = c.campaign_id AND n.number = c.number AND n.communication_id = c.id)`); err != nil {
		t.Fatal(err)
	}
	if err := raw.Get(&stray, `
		SELECT count(*) FROM campaign_numbers n
		WHERE NOT EXISTS (SELECT 1 FROM communications c
		                  WHERE c.id = n.communication_id AND c.campaign_id = n.campaign_id AND c.number = n.number)`); err != nil {
		t.Fatal(err)
	}
	if missing != 0 || stray != 0 {
		t.Fatalf("campaign_numbers out of step with communications: %d numbers missing, %d stray", missing, stray)
	}
}

func campaignNumbers(t *testing.T, db *store.DB, id int64) []string {
	t.Helper()
	var ns []string
	if err := db.CampaignNumbers(context.Background(), id, func(n string) { ns = append(ns, n) }); err != nil {
		t.Fatal(err)
	}
	sort.Strings(ns)
	return ns
}

func TestCampaignNumbers_FollowEveryPath(t *testing.T) {
	db, path := openDB(t)
	raw := openRaw(t, path)
	applyCalendar(t, db)
	ctx := context.Background()
	for _, f := range []string{"ivr", "progressive"} {
		if _, err := db.ApplyCampaign(ctx, readCampaign(t, "../testdata/campaigns/"+f+".yaml")); err != nil {
			t.Fatal(err)
		}
	}
	x := mustID(t, db, "survey-ivr")
	y := mustID(t, db, "renewals-progressive")

	// An import, unsorted numbers; a number may be in two campaigns.
	importMembers(t, db, x,
		member(2, 3, "a", "+12125550190", "+12125550101"),
		member(3, 3, "b", "+12125550150"),
		member(4, 3, "c", "+442071234567"))
	importMembers(t, db, y, member(2, 3, "a", "+12125550190"))
	checkCampaignNumbers(t, raw)
	want := []string{"+12125550101", "+12125550150", "+12125550190", "+442071234567"}
	if got := campaignNumbers(t, db, x); !slices.Equal(got, want) {
		t.Fatalf("numbers of x = %v, want %v", got, want)
	}

	// Members added through the API: a new number is recorded, one of
	// another member is a conflict that adds nothing.
	ids, err := db.AddMembers(ctx, x, []memberfile.Member{member(1, 3, "d", "+12125550160")})
	if err != nil {
		t.Fatal(err)
	}
	var fe *store.FieldError
	if _, err := db.AddMembers(ctx, x, []memberfile.Member{member(1, 3, "e", "+12125550170", "+12125550150")}); !errors.As(err, &fe) || !fe.Conflict {
		t.Fatalf("adding b's number: %v, want a conflict", err)
	}
	checkCampaignNumbers(t, raw)
	if got := campaignNumbers(t, db, x); len(got) != 5 || !slices.Contains(got, "+12125550160") || slices.Contains(got, "+12125550170") {
		t.Fatalf("numbers of x after the API adds = %v", got)
	}

	// A result's new number is recorded; another member's is a conflict.
	if _, err := db.ApplyMemberResult(ctx, ids[0], dialer.MemberResult{NextNumber: "+12125550180"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ApplyMemberResult(ctx, ids[0], dialer.MemberResult{NextNumber: "+442071234567"}); !errors.As(err, &fe) || !fe.Conflict {
		t.Fatalf("result giving c's number: %v, want a conflict", err)
	}
	checkCampaignNumbers(t, raw)

	// Deleting a member frees its numbers for others.
	ms, err := db.Members(ctx, store.MemberFilter{CampaignID: x})
	if err != nil {
		t.Fatal(err)
	}
	var b int64
	for _, m := range ms {
		if m.ExternalKey == "b" {
			b = m.ID
		}
	}
	if n, _, err := db.DeleteMembers(ctx, store.MemberFilter{}, []int64{b}); err != nil || n != 1 {
		t.Fatalf("delete b: %d %v", n, err)
	}
	checkCampaignNumbers(t, raw)
	if _, err := db.AddMembers(ctx, x, []memberfile.Member{member(1, 3, "f", "+12125550150")}); err != nil {
		t.Fatalf("b's number after b was deleted: %v", err)
	}

	// Deleting a campaign takes its numbers, not the other campaign's.
	if err := db.DeleteCampaign(ctx, "renewals-progressive", false); err != nil {
		t.Fatal(err)
	}
	checkCampaignNumbers(t, raw)
	if got := campaignNumbers(t, db, y); len(got) != 0 {
		t.Fatalf("numbers of the deleted campaign: %v", got)
	}
	if got := campaignNumbers(t, db, x); !slices.Contains(got, "+12125550190") || len(got) != 6 {
		t.Fatalf("numbers of x after deleting y = %v", got)
	}
}

// TestMigration_CampaignNumbers builds a database as the migrations before
// campaign_numbers left it, with members, numbers and attempts, then opens
// it: the rebuilt communications keep their ids and every reference to
// them, and each number is in campaign_numbers.
func TestMigration_CampaignNumbers(t *testing.T) {
	pgtest.SQLiteOnly(t, "builds a SQLite file as older migrations left it")
	path := filepath.Join(t.TempDir(), "old.db")
	raw := openRaw(t, path)
	names, err := filepath.Glob("migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	if _, err := raw.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		base := filepath.Base(name)
		if base >= "0008" {
			break
		}
		body, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", base, err)
		}
		if _, err := raw.Exec(`INSERT INTO schema_migrations VALUES (?, ?, 0)`, strings.SplitN(base, "_", 2)[0], base); err != nil {
			t.Fatal(err)
		}
	}
	mustExec := func(q string, args ...any) {
		t.Helper()
		if _, err := raw.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	mustExec(`PRAGMA foreign_keys = ON`)
	mustExec(`INSERT INTO calendars (id, name, timezone, updated_at) VALUES (1, 'c', 'UTC', 0)`)
	mustExec(`INSERT INTO campaigns (id, name, mode, calendar_id, timezone_policy, dial_template, max_lines, ring_timeout_ms,
	          default_class, created_at, updated_at, state_changed_at)
	          VALUES (7, 'old', 'ivr', 1, 'calendar', 'loopback/{number}', 1, 20000, 'retry', 0, 0, 0)`)
	mustExec(`INSERT INTO members (id, campaign_id, created_at, updated_at, next_comm_id) VALUES (11, 7, 0, 0, 205)`)
	mustExec(`INSERT INTO communications (id, member_id, campaign_id, number, type, position, attempts, last_cause)
	          VALUES (205, 11, 7, '+12125550190', 'mobile', 1, 2, 'NO_ANSWER'), (204, 11, 7, '+12125550101', 'home', 2, 0, '')`)
	mustExec(`INSERT INTO attempts (id, campaign_id, member_id, communication_id, number, uuid, created_at)
	          VALUES (31, 7, 11, 205, '+12125550190', 'u-1', 0)`)
	raw.Close()

	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw = openRaw(t, path)
	checkCampaignNumbers(t, raw)
	var got struct {
		CommID   int64  `db:"communication_id"`
		Attempts int    `db:"attempts"`
		Cause    string `db:"last_cause"`
		Next     int64  `db:"next_comm_id"`
	}
	if err := raw.Get(&got, `
		SELECT a.communication_id, c.attempts, c.last_cause, m.next_comm_id
		FROM attempts a JOIN communications c ON c.id = a.communication_id JOIN members m ON m.id = a.member_id
		WHERE a.id = 31`); err != nil {
		t.Fatal(err)
	}
	if got.CommID != 205 || got.Attempts != 2 || got.Cause != "NO_ANSWER" || got.Next != 205 {
		t.Fatalf("after the migration: %+v", got)
	}
	// The rebuilt table still cascades from its member, and the numbers
	// follow through the trigger.
	if _, err := raw.Exec(`PRAGMA foreign_keys = ON`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`DELETE FROM members WHERE id = 11`); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := raw.Get(&left, `SELECT (SELECT count(*) FROM communications) + (SELECT count(*) FROM campaign_numbers)`); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Fatalf("%d communications or numbers left after their member was deleted", left)
	}
}
