package store_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/fsdialer/dialer/store"
	"github.com/fsdialer/dialer/store/pgtest"
)

// newest is what the newest rows of a campaign's life got: the campaign,
// its member, the member's attempt and the attempt's connect callback.
type newest struct {
	campaign, member, attempt, callback int64
	payloadMember, payloadAttempt       float64
}

// callbackLife applies renewals-progressive (with a callback URL) as the
// newest campaign, imports one member (through the import, or the API's
// add), starts an attempt and answers it, which records a connect
// callback, and returns their ids.
func callbackLife(t *testing.T, db *store.DB, viaAPI bool) newest {
	t.Helper()
	ctx := context.Background()
	prog := readCampaign(t, "../testdata/campaigns/progressive.yaml")
	prog.CallbackURL = hookURL
	if _, err := db.ApplyCampaign(ctx, prog); err != nil {
		t.Fatal(err)
	}
	var n newest
	n.campaign = mustID(t, db, prog.Name)
	m := member(2, 3, "acct-1", "+442071230001")
	if viaAPI {
		if _, err := db.AddMembers(ctx, n.campaign, []memberfile.Member{m}); err != nil {
			t.Fatal(err)
		}
	} else {
		importMembers(t, db, n.campaign, m)
	}
	ms, err := db.Members(ctx, store.MemberFilter{CampaignID: n.campaign})
	if err != nil || len(ms) != 1 {
		t.Fatalf("members: %v %v", ms, err)
	}
	full, err := db.MembersByID(ctx, []int64{ms[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	n.member = full[0].ID
	o := &outboxDB{db: db}
	n.attempt = o.start(t, full[0], "uuid-"+time.Now().Format("150405.000000000"), 0, t0)
	if err := db.MarkAnswered(ctx, n.attempt, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	cbs := o.all(t)
	cb := cbs[len(cbs)-1]
	n.callback = cb.ID
	p := payload(t, cb)
	n.payloadMember, _ = p["member_id"].(float64)
	n.payloadAttempt, _ = p["attempt_id"].(float64)
	return n
}

// TestIDs_NotReusedAfterDelete: a campaign deleted with everything it had,
// and its delivered callback purged, leave no id behind for the next
// campaign, member, attempt or callback, whether members come through the
// import or the API.
func TestIDs_NotReusedAfterDelete(t *testing.T) {
	for _, viaAPI := range []bool{false, true} {
		name := "import"
		if viaAPI {
			name = "api"
		}
		t.Run(name, func(t *testing.T) {
			db, _ := openDB(t)
			applyCalendar(t, db)
			ctx := context.Background()
			if _, err := db.ApplyCampaign(ctx, readCampaign(t, "../testdata/campaigns/ivr.yaml")); err != nil {
				t.Fatal(err)
			}
			first := callbackLife(t, db, viaAPI)
			if err := db.FinishAttempts(ctx, []dialer.AttemptEnd{{AttemptID: first.attempt, Cause: "NORMAL_CLEARING", Q850: 16,
				AnsweredAt: t0.Add(time.Second), EndedAt: t0.Add(5 * time.Second), Billsec: 4 * time.Second, Class: "ok",
				Counted: true, MemberID: first.member, MemberState: dialer.MemberDone, Attempts: 1}}); err != nil {
				t.Fatal(err)
			}
			cbs, err := db.Callbacks(ctx, store.CallbackFilter{})
			if err != nil || len(cbs) != 2 {
				t.Fatalf("callbacks: %v %v", cbs, err)
			}
			for _, cb := range cbs {
				first.callback = max(first.callback, cb.ID)
				if err := db.CallbackDelivered(ctx, cb.ID, 200, t0.Add(6*time.Second)); err != nil {
					t.Fatal(err)
				}
			}
			if n, err := db.PurgeCallbacks(ctx, t0.Add(time.Hour)); err != nil || n != 2 {
				t.Fatalf("purge: %d %v", n, err)
			}
			if err := db.DeleteCampaign(ctx, "renewals-progressive", true); err != nil {
				t.Fatal(err)
			}
			second := callbackLife(t, db, viaAPI)
			for _, c := range []struct {
				what          string
				before, after int64
			}{
				{"campaign", first.campaign, second.campaign},
				{"member", first.member, second.member},
				{"attempt", first.attempt, second.attempt},
				{"callback", first.callback, second.callback},
				{"callback's member_id", int64(first.payloadMember), int64(second.payloadMember)},
				{"callback's attempt_id", int64(first.payloadAttempt), int64(second.payloadAttempt)},
			} {
				if c.after <= c.before {
					t.Errorf("%s id %d after deleting %d: ids must never be reused", c.what, c.after, c.before)
				}
			}
		})
	}
}

// TestIDs_AgentsAndBlocklistNotReused: a deleted agent's or unblocked
// number's id is not given to the next one.
func TestIDs_AgentsAndBlocklistNotReused(t *testing.T) {
	db, _ := openDB(t)
	applyCalendar(t, db)
	ctx := context.Background()
	for _, f := range []string{"progressive", "preemptive"} {
		if _, err := db.ApplyCampaign(ctx, readCampaign(t, "../testdata/campaigns/"+f+".yaml")); err != nil {
			t.Fatal(err)
		}
	}
	agents := readAgents(t, "../testdata/agents/agents.yaml")
	last := agents[len(agents)-1]
	applyAgents(t, db, agents)
	before := mustAgent(t, db, last.Name).ID
	if err := db.DeleteAgent(ctx, last.Name, false); err != nil {
		t.Fatal(err)
	}
	applyAgents(t, db, []dialer.Agent{last})
	if after := mustAgent(t, db, last.Name).ID; after <= before {
		t.Errorf("agent %s re-created with id %d after deleting %d", last.Name, after, before)
	}

	blockedID := func(number string) int64 {
		t.Helper()
		if _, err := db.BlockNumbers(ctx, "", []string{number}, "test"); err != nil {
			t.Fatal(err)
		}
		list, err := db.Blocklist(ctx, "", false)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range list {
			if e.Number == number {
				return e.ID
			}
		}
		t.Fatalf("%s not in the blocklist", number)
		return 0
	}
	first := blockedID("+12125550101")
	if _, err := db.UnblockNumbers(ctx, "", []string{"+12125550101"}); err != nil {
		t.Fatal(err)
	}
	if again := blockedID("+12125550101"); again <= first {
		t.Errorf("blocklist entry re-created with id %d after deleting %d", again, first)
	}
}

// schemaObjects lists the store's indexes and triggers by table, the
// automatic ones aside.
func schemaObjects(t *testing.T, path string) []string {
	t.Helper()
	raw := openRaw(t, path)
	var objs []string
	if err := raw.Select(&objs, `
		SELECT type || ' ' || name || ' on ' || tbl_name FROM sqlite_master
		WHERE type IN ('index', 'trigger') AND name NOT LIKE 'sqlite_autoindex_%'`); err != nil {
		t.Fatal(err)
	}
	sort.Strings(objs)
	return objs
}

// TestMigration_IDsNeverReused builds a database as migrations 0001-0008
// left it, with rows and ids that outlived their rows in the outbox, then
// opens it: every row keeps its id and references, deletes still cascade,
// indexes and triggers are all there, and new ids continue above the old
// ones, the outbox's included.
func TestMigration_IDsNeverReused(t *testing.T) {
	pgtest.SQLiteOnly(t, "builds a SQLite file as older migrations left it")
	path := filepath.Join(t.TempDir(), "old.db")
	raw := openRaw(t, path)
	names, err := filepath.Glob("migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	mustExec := func(q string, args ...any) {
		t.Helper()
		if _, err := raw.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	mustExec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`)
	for _, name := range names {
		base := filepath.Base(name)
		if base >= "0009" {
			break
		}
		body, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		mustExec(string(body))
		mustExec(`INSERT INTO schema_migrations VALUES (?, ?, 0)`, strings.SplitN(base, "_", 2)[0], base)
	}
	mustExec(`PRAGMA foreign_keys = ON`)
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
	before := schemaObjects(t, path)
	raw.Close()

	ctx := context.Background()
	db, err := store.Open(ctx, path, store.WithClock(func() time.Time { return t0 }))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	after := schemaObjects(t, path)
	for _, o := range before {
		if !slices.Contains(after, o) {
			t.Errorf("%s is gone after the migration", o)
		}
	}
	raw = openRaw(t, path)
	var got struct {
		Member   string `db:"member"`
		Next     int64  `db:"next_comm_id"`
		Comm     int64  `db:"communication_id"`
		Tries    int    `db:"tries"`
		Agent    string `db:"agent"`
		Leg      string `db:"agent_uuid"`
		Comment  string `db:"comment"`
		Request  int64  `db:"request"`
		Block    int64  `db:"block"`
		Calendar string `db:"calendar"`
		Wanted   string `db:"requested_state"`
	}
	if err := raw.Get(&got, `
		SELECT m.name AS member, m.next_comm_id, a.communication_id, c.attempts AS tries, g.name AS agent,
		       a.agent_uuid, a.comment, r.id AS request, b.id AS block, k.name AS calendar, g.requested_state
		FROM attempts a
		JOIN members m ON m.id = a.member_id
		JOIN communications c ON c.id = a.communication_id
		JOIN agents g ON g.id = a.agent_id
		JOIN campaigns p ON p.id = a.campaign_id
		JOIN calendars k ON k.id = p.calendar_id
		JOIN call_requests r ON r.attempt_id = a.id
		JOIN blocklist b ON b.campaign_id = p.id
		WHERE a.id = 31 AND p.id = 7 AND m.id = 11 AND g.id = 5`); err != nil {
		t.Fatalf("rows after the migration: %v", err)
	}
	if got.Member != "kept" || got.Next != 205 || got.Comm != 205 || got.Tries != 2 || got.Agent != "alice" ||
		got.Leg != "leg-1" || got.Comment != "kept" || got.Request != 4 || got.Block != 8 || got.Calendar != "c" ||
		got.Wanted != "break" {
		t.Fatalf("after the migration: %+v", got)
	}
	seqs := map[string]int64{}
	rows, err := raw.Query(`SELECT name, seq FROM sqlite_sequence`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		var seq int64
		if err := rows.Scan(&name, &seq); err != nil {
			t.Fatal(err)
		}
		seqs[name] = seq
	}
	rows.Close()
	for table, want := range map[string]int64{"calendars": 3, "campaigns": 9, "members": 50, "communications": 205,
		"agents": 6, "attempts": 40, "blocklist": 8, "webhook_outbox": 21, "call_requests": 4} {
		if seqs[table] != want {
			t.Errorf("sqlite_sequence %s = %d, want %d", table, seqs[table], want)
		}
	}

	// New ids continue above the old ones, the outbox's included.
	applyCalendar(t, db)
	prog := readCampaign(t, "../testdata/campaigns/progressive.yaml")
	prog.CallbackURL = hookURL
	if _, err := db.ApplyCampaign(ctx, prog); err != nil {
		t.Fatal(err)
	}
	if id := mustID(t, db, prog.Name); id <= 9 {
		t.Errorf("new campaign id %d, want above 9", id)
	}
	n := callbackLife(t, db, false)
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

	// The rebuilt tables still cascade, and the numbers follow through the
	// trigger.
	mustExec = func(q string, args ...any) {
		t.Helper()
		if _, err := raw.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	mustExec(`PRAGMA foreign_keys = ON`)
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
	mustExec(`DELETE FROM campaigns WHERE id = 7`)
	if err := raw.Get(&left, `SELECT (SELECT count(*) FROM blocklist WHERE id = 8)`); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Fatalf("the blocklist entry of a deleted campaign is left")
	}
}
