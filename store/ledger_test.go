package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
	"github.com/fsdialer/dialer/store/pgtest"
)

// ledgerDB is a store with the example progressive and IVR campaigns and
// four members in each.
type ledgerDB struct {
	db         *store.DB
	path       string
	prog, ivr  int64
	progMember []dialer.Member
	ivrMember  []dialer.Member
}

func newLedgerDB(t *testing.T) *ledgerDB {
	t.Helper()
	db, path := openDB(t)
	applyCalendar(t, db)
	ctx := context.Background()
	l := &ledgerDB{db: db, path: path}
	for _, f := range []string{"progressive.yaml", "ivr.yaml"} {
		if _, err := db.ApplyCampaign(ctx, readCampaign(t, "../testdata/campaigns/"+f)); err != nil {
			t.Fatal(err)
		}
	}
	l.prog, l.ivr = mustID(t, db, "renewals-progressive"), mustID(t, db, "survey-ivr")
	importMembers(t, db, l.prog, member(2, 3, "a", "+442071230001"), member(3, 3, "b", "+442071230002"),
		member(4, 3, "c", "+442071230003"), member(5, 3, "d", "+442071230004"))
	importMembers(t, db, l.ivr, member(2, 3, "a", "+442071230001"), member(3, 3, "b", "+442071230002"))
	var err error
	if l.progMember, err = db.Members(ctx, store.MemberFilter{CampaignID: l.prog}); err != nil {
		t.Fatal(err)
	}
	if l.ivrMember, err = db.Members(ctx, store.MemberFilter{CampaignID: l.ivr}); err != nil {
		t.Fatal(err)
	}
	return l
}

// call records one attempt of m begun at at, and ends it with cause,
// answered after 10 s when answered is set.
func (l *ledgerDB) call(t *testing.T, campaignID int64, m dialer.Member, uuid, cause string, answered bool, at time.Time) dialer.AttemptEnd {
	t.Helper()
	ctx := context.Background()
	ids, err := l.db.StartAttempts(ctx, []dialer.NewAttempt{{CampaignID: campaignID, MemberID: m.ID,
		CommunicationID: m.Communications[0].ID, Number: m.Communications[0].Number, UUID: uuid, At: at}})
	if err != nil || ids[0] == 0 {
		t.Fatalf("start attempt %s: %v %v", uuid, ids, err)
	}
	end := dialer.AttemptEnd{AttemptID: ids[0], Cause: cause, EndedAt: at.Add(40 * time.Second), Class: "retry",
		Counted: true, MemberID: m.ID, MemberState: dialer.MemberWaiting, DueAt: at.Add(time.Minute), Attempts: 1}
	if answered {
		end.AnsweredAt = at.Add(10 * time.Second)
		end.Billsec = 30 * time.Second
		if cause == "NORMAL_CLEARING" {
			end.BridgedAt = at.Add(11 * time.Second)
		}
	}
	if err := l.db.FinishAttempts(ctx, []dialer.AttemptEnd{end}); err != nil {
		t.Fatal(err)
	}
	return end
}

func (l *ledgerDB) figures(t *testing.T, campaignID int64, window time.Duration, now time.Time) dialer.AbandonFigures {
	t.Helper()
	f, err := l.db.AbandonLedger(context.Background(), campaignID, window, now)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func checkFigures(t *testing.T, what string, got dialer.AbandonFigures, live, abandoned int) {
	t.Helper()
	if got.LiveAnswered != live || got.Abandoned != abandoned {
		t.Errorf("%s: %d live answered, %d abandoned; want %d, %d", what, got.LiveAnswered, got.Abandoned, live, abandoned)
	}
	want := 0.0
	if live > 0 {
		want = float64(abandoned) / float64(live)
	}
	if got.Rate != want {
		t.Errorf("%s: rate %v, want %v", what, got.Rate, want)
	}
}

// The ledger counts, at the minute of the answer, the answered calls of
// agent-mode campaigns that a person took and the abandoned ones; not
// answering machines, unanswered calls or IVR calls; a replayed end
// counts once.
func TestAbandonLedger_CountsLiveAnswersAndAbandons(t *testing.T) {
	l := newLedgerDB(t)
	ctx := context.Background()
	p := l.progMember
	l.call(t, l.prog, p[0], "u-1", "NORMAL_CLEARING", true, t0)
	abandoned := l.call(t, l.prog, p[1], "u-2", "ABANDONED", true, t0)
	l.call(t, l.prog, p[2], "u-3", "MACHINE", true, t0)
	l.call(t, l.prog, p[3], "u-4", "NO_ANSWER", false, t0)
	l.call(t, l.ivr, l.ivrMember[0], "u-5", "NORMAL_CLEARING", true, t0)
	// A replayed end (after an ESL reconnect) changes nothing.
	if err := l.db.FinishAttempts(ctx, []dialer.AttemptEnd{abandoned}); err != nil {
		t.Fatal(err)
	}
	// Two hours later: one more abandon.
	later := t0.Add(2 * time.Hour)
	l.call(t, l.prog, p[0], "u-6", "ABANDONED", true, later)

	answer := t0.Add(10 * time.Second) // 15:00:10, minute 15:00
	checkFigures(t, "1h after the answers", l.figures(t, l.prog, time.Hour, answer.Add(time.Hour-11*time.Second)), 2, 1)
	// The oldest minute drops out once the window no longer holds it whole.
	checkFigures(t, "1h at 16:00", l.figures(t, l.prog, time.Hour, t0.Add(time.Hour)), 0, 0)
	checkFigures(t, "at the answer minute", l.figures(t, l.prog, time.Hour, t0), 2, 1)
	checkFigures(t, "before any answer", l.figures(t, l.prog, time.Hour, t0.Add(-time.Second)), 0, 0)
	checkFigures(t, "24h", l.figures(t, l.prog, 24*time.Hour, later.Add(time.Minute)), 3, 2)
	checkFigures(t, "30m after the last", l.figures(t, l.prog, 30*time.Minute, later.Add(time.Minute)), 1, 1)
	checkFigures(t, "ivr", l.figures(t, l.ivr, 24*time.Hour, later), 0, 0)
	if f := l.figures(t, l.prog, 24*time.Hour, later.Add(time.Minute)); f.Window.D() != 24*time.Hour {
		t.Errorf("window = %s", f.Window)
	}

	var buckets []store.LedgerBucket
	if err := l.db.ExportLedger(ctx, l.prog, dialer.TimeRange{}, func(b store.LedgerBucket) error {
		buckets = append(buckets, b)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []store.LedgerBucket{{Minute: t0, LiveAnswered: 2, Abandoned: 1}, {Minute: later, LiveAnswered: 1, Abandoned: 1}}
	if len(buckets) != 2 || buckets[0] != want[0] || buckets[1] != want[1] {
		t.Errorf("buckets = %+v, want %+v", buckets, want)
	}
	buckets = nil
	if err := l.db.ExportLedger(ctx, l.prog, dialer.TimeRange{Since: t0.Add(time.Second)}, func(b store.LedgerBucket) error {
		buckets = append(buckets, b)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(buckets) != 1 || buckets[0] != want[1] {
		t.Errorf("buckets since 15:00:01 = %+v, want %+v", buckets, want[1:])
	}
	stop := errors.New("stop")
	if err := l.db.ExportLedger(ctx, l.prog, dialer.TimeRange{}, func(store.LedgerBucket) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("export stopped by its writer = %v", err)
	}
}

// The report's ledger shows 24 hours, 30 days and the campaign's own
// window, each with its target verdict; an IVR campaign has none.
func TestLedger_ReportWindows(t *testing.T) {
	l := newLedgerDB(t)
	ctx := context.Background()
	for i := range 3 {
		l.call(t, l.prog, l.progMember[i], "u-"+string(rune('a'+i)), "NORMAL_CLEARING", true, t0.Add(-40*24*time.Hour))
	}
	l.call(t, l.prog, l.progMember[3], "u-d", "ABANDONED", true, t0.Add(-2*time.Hour))
	for i := range 3 {
		l.call(t, l.prog, l.progMember[i], "u-e"+string(rune('a'+i)), "NORMAL_CLEARING", true, t0.Add(-3*24*time.Hour))
	}
	lr, err := l.db.Ledger(ctx, l.prog, t0)
	if err != nil {
		t.Fatal(err)
	}
	if lr.Target != dialer.DefaultAbandonTarget || lr.Window.D() != dialer.DefaultAbandonWindow || lr.Compliance != "" || !lr.At.Equal(t0) {
		t.Errorf("ledger = %+v", lr)
	}
	got := map[time.Duration]store.LedgerWindow{}
	for _, w := range lr.Windows {
		got[w.Window.D()] = w
	}
	if len(lr.Windows) != 2 {
		t.Fatalf("windows = %+v, want 24h and 30d", lr.Windows)
	}
	day, month := got[24*time.Hour], got[30*24*time.Hour]
	checkFigures(t, "24h", day.AbandonFigures, 1, 1)
	checkFigures(t, "30d", month.AbandonFigures, 4, 1)
	if !day.AtTarget || !month.AtTarget {
		t.Errorf("at target: 24h %v, 30d %v; want both (100%%, 25%% over 3%%)", day.AtTarget, month.AtTarget)
	}
	checkPeak(t, "24h", day.Peak, t0.Add(-2*time.Hour), 1, 1)
	checkPeak(t, "30d", month.Peak, t0.Add(-2*time.Hour), 4, 1)
	if lr, err := l.db.Ledger(ctx, l.ivr, t0); err != nil || lr != nil {
		t.Errorf("ivr ledger = %+v, %v; want none", lr, err)
	}
	if _, err := l.db.Ledger(ctx, 999, t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing campaign = %v, want ErrNotFound", err)
	}
	// A campaign with its own window gets a third.
	c := readCampaign(t, "../testdata/campaigns/progressive.yaml")
	c.Abandon.Window = dialer.Duration(7 * 24 * time.Hour)
	if _, err := l.db.ApplyCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	if lr, err = l.db.Ledger(ctx, l.prog, t0); err != nil {
		t.Fatal(err)
	}
	if len(lr.Windows) != 3 || lr.Windows[2].Window.D() != 7*24*time.Hour || lr.Window.D() != 7*24*time.Hour {
		t.Fatalf("windows = %+v, want 24h, 30d and 168h", lr.Windows)
	}
	checkFigures(t, "7d", lr.Windows[2].AbandonFigures, 4, 1)
}

func checkPeak(t *testing.T, what string, got *store.LedgerPeak, at time.Time, live, abandoned int) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: no peak", what)
		return
	}
	if !got.At.Equal(at) || got.LiveAnswered != live || got.Abandoned != abandoned ||
		got.Rate != float64(abandoned)/float64(live) || got.OverTarget != (got.Rate > 0.03) {
		t.Errorf("%s: peak %+v, want %d of %d at %s", what, got, abandoned, live, at)
	}
}

// A window's peak is its highest rate at any position, also where the
// rate rose because live answered calls left the window.
func TestLedger_Peak(t *testing.T) {
	l := newLedgerDB(t)
	ctx := context.Background()
	c := readCampaign(t, "../testdata/campaigns/progressive.yaml")
	c.Abandon.Window = dialer.Duration(time.Hour)
	if _, err := l.db.ApplyCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	start := t0.Add(-3 * time.Hour)
	for i := range 10 {
		l.call(t, l.prog, l.progMember[i%4], "u-live-"+string(rune('a'+i)), "NORMAL_CLEARING", true, start.Add(time.Duration(i/4)*2*time.Minute))
	}
	l.call(t, l.prog, l.progMember[0], "u-abandoned", "ABANDONED", true, t0.Add(-150*time.Minute))
	lr, err := l.db.Ledger(ctx, l.prog, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(lr.Windows) != 3 {
		t.Fatalf("windows = %+v", lr.Windows)
	}
	checkPeak(t, "24h", lr.Windows[0].Peak, t0.Add(-150*time.Minute), 11, 1)
	checkPeak(t, "30d", lr.Windows[1].Peak, t0.Add(-150*time.Minute), 11, 1)
	// The last live minute (-2h56m) leaves the hour at -1h56m: the abandon
	// is alone in it until it leaves too.
	checkPeak(t, "1h", lr.Windows[2].Peak, t0.Add(-116*time.Minute), 1, 1)
	checkFigures(t, "1h now", lr.Windows[2].AbandonFigures, 0, 0)
	if lr.Windows[2].AtTarget {
		t.Error("an empty hour is at target")
	}
	// Positions after now do not count.
	if lr, err = l.db.Ledger(ctx, l.prog, t0.Add(-140*time.Minute)); err != nil {
		t.Fatal(err)
	}
	checkPeak(t, "1h, earlier", lr.Windows[2].Peak, t0.Add(-150*time.Minute), 11, 1)
}

// The ledger is the compliance record: deleting and resetting members,
// which deletes their attempts, leaves it as it was; deleting the
// campaign deletes it.
func TestAbandonLedger_OutlivesMembersGoesWithCampaign(t *testing.T) {
	l := newLedgerDB(t)
	ctx := context.Background()
	l.call(t, l.prog, l.progMember[0], "u-1", "NORMAL_CLEARING", true, t0)
	l.call(t, l.prog, l.progMember[1], "u-2", "ABANDONED", true, t0)
	if _, _, err := l.db.ResetMembers(ctx, store.MemberFilter{CampaignID: l.prog}, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.db.DeleteMembers(ctx, store.MemberFilter{}, []int64{l.progMember[0].ID, l.progMember[1].ID}); err != nil {
		t.Fatal(err)
	}
	raw := openRaw(t, l.path)
	var attempts int
	if err := raw.Get(&attempts, `SELECT count(*) FROM attempts WHERE campaign_id = ?`, l.prog); err != nil {
		t.Fatal(err)
	}
	if attempts != 0 {
		t.Fatalf("%d attempts left after deleting their members; the test needs none", attempts)
	}
	checkFigures(t, "after deleting the members", l.figures(t, l.prog, time.Hour, t0.Add(time.Minute)), 2, 1)

	if err := l.db.DeleteCampaign(ctx, "renewals-progressive", false); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := raw.Get(&rows, `SELECT count(*) FROM abandon_ledger`); err != nil {
		t.Fatal(err)
	}
	if rows != 0 {
		t.Errorf("%d ledger rows left after deleting the campaign", rows)
	}
}

// The pacer's read is one range of the ledger's primary key.
func TestAbandonLedger_ReadsTheKeyRange(t *testing.T) {
	pgtest.SQLiteOnly(t, "a SQLite query plan")
	_, path := openDB(t)
	raw := openRaw(t, path)
	var plan []struct {
		ID     int    `db:"id"`
		Parent int    `db:"parent"`
		NotUse int    `db:"notused"`
		Detail string `db:"detail"`
	}
	if err := raw.Select(&plan, `EXPLAIN QUERY PLAN
		SELECT ifnull(sum(live_answered), 0), ifnull(sum(abandoned), 0)
		FROM abandon_ledger WHERE campaign_id = 1 AND minute BETWEEN 10 AND 20`); err != nil {
		t.Fatal(err)
	}
	if len(plan) != 1 || !strings.Contains(plan[0].Detail, "SEARCH abandon_ledger USING PRIMARY KEY (campaign_id=? AND minute>? AND minute<?)") {
		t.Errorf("plan = %+v", plan)
	}
}

// A database made before the ledger gets one counting the attempts it
// already holds, and the compliance column.
func TestMigration_LedgerFromOlderAttempts(t *testing.T) {
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
		if base >= "0018" {
			break
		}
		body, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		mustExec(string(body))
		mustExec(`INSERT INTO schema_migrations VALUES (?, ?, 0)`, strings.SplitN(base, "_", 2)[0], base)
	}
	mustExec(`INSERT INTO calendars (id, name, timezone, updated_at) VALUES (3, 'c', 'UTC', 0)`)
	mustExec(`INSERT INTO campaigns (id, name, mode, calendar_id, timezone_policy, dial_template, max_lines, ring_timeout_ms,
	          default_class, created_at, updated_at, state_changed_at)
	          VALUES (7, 'prog', 'progressive', 3, 'calendar', 'loopback/{number}', 1, 20000, 'retry', 0, 0, 0),
	                 (8, 'ivr', 'ivr', 3, 'calendar', 'loopback/{number}', 1, 20000, 'retry', 0, 0, 0)`)
	mustExec(`INSERT INTO members (id, campaign_id, name, created_at, updated_at) VALUES (11, 7, 'm', 0, 0), (12, 8, 'n', 0, 0)`)
	mustExec(`INSERT INTO communications (id, member_id, campaign_id, number, type, position)
	          VALUES (21, 11, 7, '+12125550101', 'mobile', 1), (22, 12, 8, '+12125550102', 'mobile', 1)`)
	at := t0.UnixMilli()
	for i, a := range []struct {
		campaign, member, comm int
		final                  int
		cause                  string
		answered               any
	}{
		{7, 11, 21, 1, "NORMAL_CLEARING", at},
		{7, 11, 21, 1, "ABANDONED", at + 5000},
		{7, 11, 21, 1, "ABANDONED", at + 3600000},
		{7, 11, 21, 1, "MACHINE", at},
		{7, 11, 21, 1, "NO_ANSWER", nil},
		{7, 11, 21, 0, "", at},
		{8, 12, 22, 1, "NORMAL_CLEARING", at},
	} {
		mustExec(`INSERT INTO attempts (campaign_id, member_id, communication_id, number, uuid, created_at, final, cause, answered_at, ended_at)
		          VALUES (?, ?, ?, '+1', ?, ?, ?, ?, ?, ?)`, a.campaign, a.member, a.comm, "u-"+string(rune('a'+i)), at, a.final, a.cause, a.answered, at+60000)
	}
	raw.Close()

	db, err := store.Open(context.Background(), path, store.WithClock(func() time.Time { return t0 }))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l := &ledgerDB{db: db}
	checkFigures(t, "the first minute", l.figures(t, 7, time.Minute, t0.Add(59*time.Second)), 2, 1)
	checkFigures(t, "a day", l.figures(t, 7, 24*time.Hour, t0.Add(2*time.Hour)), 3, 2)
	checkFigures(t, "ivr", l.figures(t, 8, 24*time.Hour, t0.Add(2*time.Hour)), 0, 0)
	var compliance string
	if err := openRaw(t, path).Get(&compliance, `SELECT compliance FROM campaigns WHERE id = 7`); err != nil || compliance != "" {
		t.Errorf("compliance = %q, %v; want none", compliance, err)
	}
}

// The compliance profile is stored with the campaign.
func TestApplyCampaign_StoresCompliance(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	c := readCampaign(t, "../testdata/campaigns/predictive-us.yaml")
	if _, err := db.ApplyCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := db.Campaign(ctx, "sales-predictive-us")
	if err != nil {
		t.Fatal(err)
	}
	if got.Compliance != dialer.ComplianceUSFCC || got.Abandon.Window.D() != 30*24*time.Hour || got.Abandon.After.D() != dialer.DefaultAbandonAfter {
		t.Errorf("stored = compliance %q, abandon %+v", got.Compliance, got.Abandon)
	}
	c.Compliance = dialer.ComplianceUKOfcom
	c.Abandon.Window = dialer.Duration(24 * time.Hour)
	if ch, err := db.ApplyCampaign(ctx, c); err != nil || ch == store.Unchanged {
		t.Fatalf("apply changed profile = %v, %v", ch, err)
	}
	if got, err = db.Campaign(ctx, "sales-predictive-us"); err != nil || got.Compliance != dialer.ComplianceUKOfcom {
		t.Errorf("after the change = %q, %v", got.Compliance, err)
	}
}

// BenchmarkAbandonLedger_30Days reads a 30-day window whose every minute
// counted calls: the pacer's worst case, once a second per campaign.
func BenchmarkAbandonLedger_30Days(b *testing.B) {
	path := filepath.Join(b.TempDir(), "dialer.db")
	db, err := store.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := db.ExecForTest(ctx, `INSERT INTO calendars (id, name, timezone, updated_at) VALUES (3, 'c', 'UTC', 0)`); err != nil {
		b.Fatal(err)
	}
	if err := db.ExecForTest(ctx, `INSERT INTO campaigns (id, name, mode, calendar_id, timezone_policy, dial_template, max_lines,
		ring_timeout_ms, default_class, created_at, updated_at, state_changed_at)
		VALUES (7, 'p', 'predictive', 3, 'calendar', 'loopback/{number}', 1, 20000, 'retry', 0, 0, 0)`); err != nil {
		b.Fatal(err)
	}
	const minutes = 30 * 24 * 60
	end := t0.UnixMilli() / 60000
	if err := db.ExecForTest(ctx, `
		WITH RECURSIVE m(x) AS (SELECT ? UNION ALL SELECT x + 1 FROM m WHERE x < ?)
		INSERT INTO abandon_ledger (campaign_id, minute, live_answered, abandoned) SELECT 7, x, 20, x % 2 FROM m`,
		end-minutes+1, end); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		f, err := db.AbandonLedger(ctx, 7, 30*24*time.Hour, t0)
		if err != nil || f.LiveAnswered != 20*minutes {
			b.Fatalf("figures %+v, %v", f, err)
		}
	}
}
