package store_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
	"github.com/fsdialer/dialer/store/pgtest"
	"github.com/jmoiron/sqlx"
)

// oldPostgres is a database of the PostgreSQL pass emptied and built again
// by the PostgreSQL migrations before version upTo, as an older dialer
// left it, and a raw connection to it.
func oldPostgres(t *testing.T, upTo string) (string, *sqlx.DB) {
	t.Helper()
	dsn := testDSN(t)
	raw, err := sqlx.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	if _, err := raw.Exec(`DROP SCHEMA public CASCADE; CREATE SCHEMA public;
		CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	names, err := filepath.Glob("migrations_postgres/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	for _, name := range names {
		base := filepath.Base(name)
		if base >= upTo {
			break
		}
		body, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", base, err)
		}
		if _, err := raw.Exec(`INSERT INTO schema_migrations VALUES ($1, $2, 0)`, strings.SplitN(base, "_", 2)[0], base); err != nil {
			t.Fatal(err)
		}
	}
	return dsn, raw
}

// TestPostgresMigration_IDsNeverReused is TestMigration_IDsNeverReused on
// PostgreSQL: a database as migrations 0001-0008 left it, with rows given
// their ids and ids that outlived their rows in the outbox, is opened;
// every row keeps its id and references, and new ids continue above the
// old ones, the outbox's included.
func TestPostgresMigration_IDsNeverReused(t *testing.T) {
	if !pgtest.Postgres() {
		t.Skip("a PostgreSQL database (TestMigration_IDsNeverReused is SQLite's)")
	}
	dsn, raw := oldPostgres(t, "0009")
	mustExec := func(q string) {
		t.Helper()
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	mustExec(`INSERT INTO calendars (id, name, timezone, updated_at) VALUES (3, 'c', 'UTC', 0)`)
	mustExec(`INSERT INTO campaigns (id, name, mode, calendar_id, timezone_policy, dial_template, max_lines, ring_timeout_ms,
	          default_class, callback_url, created_at, updated_at, state_changed_at)
	          VALUES (7, 'old', 'ivr', 3, 'calendar', 'loopback/{number}', 1, 20000, 'retry', 'http://r.test/', 0, 0, 0)`)
	mustExec(`INSERT INTO members (id, campaign_id, name, created_at, updated_at, next_comm_id) VALUES (11, 7, 'kept', 0, 0, 205)`)
	mustExec(`INSERT INTO communications (id, member_id, campaign_id, number, type, position, attempts, last_cause)
	          VALUES (205, 11, 7, '+12125550190', 'mobile', 1, 2, 'NO_ANSWER'), (204, 11, 7, '+12125550101', 'home', 2, 0, '')`)
	mustExec(`INSERT INTO campaign_numbers (campaign_id, number, communication_id)
	          VALUES (7, '+12125550101', 204), (7, '+12125550190', 205)`)
	mustExec(`INSERT INTO agents (id, name, endpoint, call_timeout_ms, state_changed_at, updated_at, requested_state, requested_at)
	          VALUES (5, 'alice', 'user/1001', 20000, 0, 0, 'break', 9)`)
	mustExec(`INSERT INTO attempts (id, campaign_id, member_id, communication_id, number, uuid, agent_id, created_at, agent_uuid, comment)
	          VALUES (31, 7, 11, 205, '+12125550190', 'u-1', 5, 0, 'leg-1', 'kept')`)
	mustExec(`INSERT INTO blocklist (id, campaign_id, number, created_at) VALUES (8, 7, '+12125550199', 0)`)
	mustExec(`INSERT INTO call_requests (id, campaign_id, agent_id, member_id, number, attempt_id, created_at)
	          VALUES (4, 7, 5, 11, '+12125550190', 31, 0)`)
	// An event still owed to a receiver for a deleted campaign 9, member 50,
	// attempt 40 and agent 6.
	mustExec(`INSERT INTO webhook_outbox (id, campaign_id, attempt_id, event, url, idempotency_key, payload, next_at, created_at)
	          VALUES (21, 9, 40, 'release', 'http://r.test/', 'u-0:release',
	                  '{"campaign_id": 9, "member_id": 50, "attempt_id": 40, "agent_id": 6}', 0, 0)`)

	ctx := context.Background()
	db, err := store.Open(ctx, dsn, store.WithClock(func() time.Time { return t0 }))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got struct {
		Member  string `db:"member"`
		Next    int64  `db:"next_comm_id"`
		Comm    int64  `db:"communication_id"`
		Agent   string `db:"agent"`
		Request int64  `db:"request"`
		Block   int64  `db:"block"`
	}
	if err := raw.Get(&got, `
		SELECT m.name AS member, m.next_comm_id, a.communication_id, g.name AS agent, r.id AS request, b.id AS block
		FROM attempts a
		JOIN members m ON m.id = a.member_id
		JOIN agents g ON g.id = a.agent_id
		JOIN call_requests r ON r.attempt_id = a.id
		JOIN blocklist b ON b.campaign_id = a.campaign_id
		WHERE a.id = 31 AND m.id = 11 AND g.id = 5`); err != nil {
		t.Fatalf("rows after the migration: %v", err)
	}
	if got.Member != "kept" || got.Next != 205 || got.Comm != 205 || got.Agent != "alice" || got.Request != 4 || got.Block != 8 {
		t.Fatalf("after the migration: %+v", got)
	}
	for table, want := range map[string]int64{"calendars": 3, "campaigns": 9, "members": 50, "communications": 205,
		"agents": 6, "attempts": 40, "blocklist": 8, "webhook_outbox": 21, "call_requests": 4} {
		var last int64
		if err := raw.Get(&last, `SELECT last_value FROM pg_sequences WHERE sequencename = split_part(pg_get_serial_sequence($1, 'id'), '.', 2)`,
			table); err != nil {
			t.Fatalf("sequence of %s: %v", table, err)
		}
		if last != want {
			t.Errorf("sequence of %s at %d, want %d", table, last, want)
		}
	}

	applyCalendar(t, db)
	prog := readCampaign(t, "../testdata/campaigns/progressive.yaml")
	prog.CallbackURL = hookURL
	if _, err := db.ApplyCampaign(ctx, prog); err != nil {
		t.Fatal(err)
	}
	if id := mustID(t, db, prog.Name); id <= 9 {
		t.Errorf("new campaign id %d, want above 9", id)
	}
	n := callbackLife(t, db, true)
	if n.member <= 50 || n.attempt <= 40 || n.callback <= 21 {
		t.Errorf("new member %d, attempt %d, callback %d: want above 50, 40, 21", n.member, n.attempt, n.callback)
	}
	if ms, err := db.MembersByID(ctx, []int64{n.member}); err != nil || ms[0].Communications[0].ID <= 205 {
		t.Errorf("new number id: %v %v, want above 205", ms, err)
	}
	applyAgents(t, db, []dialer.Agent{{Name: "bob", Endpoint: "user/1002", CallTimeout: dialer.Duration(20 * time.Second)}})
	if id := mustAgent(t, db, "bob").ID; id <= 6 {
		t.Errorf("new agent id %d, want above 6", id)
	}

	// Deletes cascade, and the numbers follow through the trigger.
	mustExec(`DELETE FROM members WHERE id = 11`)
	var left int
	if err := raw.Get(&left, `
		SELECT (SELECT count(*) FROM communications WHERE member_id = 11)
		     + (SELECT count(*) FROM campaign_numbers WHERE campaign_id = 7)
		     + (SELECT count(*) FROM attempts WHERE id = 31)
		     + (SELECT count(*) FROM call_requests WHERE id = 4)`); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Fatalf("%d numbers, attempts or call requests left after their member was deleted", left)
	}
}

// TestPostgresMigration_ChangedConstraints: the migrations that SQLite
// runs as a table rebuild change PostgreSQL's table in place. A number is
// unique per campaign through campaign_numbers (0008), not through
// communications; an outbox event may be member_failed with no attempt
// (0016); a campaign may be predictive (0017). The rows written before
// each keep their ids and values, and the old rules still refuse what
// they refused.
func TestPostgresMigration_ChangedConstraints(t *testing.T) {
	if !pgtest.Postgres() {
		t.Skip("a PostgreSQL database")
	}
	dsn, raw := oldPostgres(t, "0008")
	mustExec := func(q string) {
		t.Helper()
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	mustExec(`INSERT INTO calendars (id, name, timezone, updated_at) VALUES (3, 'c', 'UTC', 0)`)
	mustExec(`INSERT INTO campaigns (id, name, mode, calendar_id, timezone_policy, dial_template, max_lines, ring_timeout_ms,
	          default_class, created_at, updated_at, state_changed_at)
	          VALUES (7, 'old', 'progressive', 3, 'calendar', 'loopback/{number}', 1, 20000, 'retry', 0, 0, 0)`)
	mustExec(`INSERT INTO members (id, campaign_id, created_at, updated_at) VALUES (11, 7, 0, 0), (12, 7, 0, 0)`)
	mustExec(`INSERT INTO communications (id, member_id, campaign_id, number, position) VALUES (205, 11, 7, '+12125550190', 1)`)
	if _, err := raw.Exec(`INSERT INTO communications (member_id, campaign_id, number, position) VALUES (12, 7, '+12125550190', 1)`); err == nil {
		t.Fatal("0001 took a number twice in a campaign")
	}

	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := raw.Get(&n, `SELECT count(*) FROM campaign_numbers WHERE campaign_id = 7 AND number = '+12125550190' AND communication_id = 205`); err != nil || n != 1 {
		t.Fatalf("campaign_numbers after 0008: %d %v, want the number of communication 205", n, err)
	}
	if _, err := raw.Exec(`INSERT INTO campaign_numbers (campaign_id, number, communication_id) VALUES (7, '+12125550190', 206)`); err == nil {
		t.Fatal("campaign_numbers took a number twice in a campaign")
	}
	mustExec(`INSERT INTO webhook_outbox (campaign_id, event, url, idempotency_key, payload, next_at, created_at)
	          VALUES (7, 'member_failed', 'http://r.test/', 'member-12:failed', '{"member_id": 12}', 0, 0)`)
	if _, err := raw.Exec(`INSERT INTO webhook_outbox (campaign_id, event, url, idempotency_key, payload, next_at, created_at)
	          VALUES (7, 'hangup', 'http://r.test/', 'k', '{}', 0, 0)`); err == nil {
		t.Fatal("the outbox took an event it does not know")
	}
	if _, err := raw.Exec(`INSERT INTO webhook_outbox (campaign_id, event, url, idempotency_key, payload, next_at, created_at)
	          VALUES (7, 'release', 'http://r.test/', 'k2', 'not json', 0, 0)`); err == nil {
		t.Fatal("the outbox took a payload that is not JSON")
	}
	mustExec(`UPDATE campaigns SET mode = 'predictive' WHERE id = 7`)
	if _, err := raw.Exec(`UPDATE campaigns SET mode = 'robocall' WHERE id = 7`); err == nil {
		t.Fatal("a campaign took a mode that does not exist")
	}
	mustExec(`DELETE FROM communications WHERE id = 205`)
	if err := raw.Get(&n, `SELECT count(*) FROM campaign_numbers WHERE campaign_id = 7`); err != nil || n != 0 {
		t.Fatalf("campaign_numbers after the number was deleted: %d %v, want none", n, err)
	}
}
