package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/fsdialer/dialer/store"
	"github.com/fsdialer/dialer/store/pgtest"
)

var t0 = time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)

// openDB opens a new store for the test (see openTestStore) on the
// clock t0.
func openDB(t *testing.T) (*store.DB, string) {
	t.Helper()
	return openTestStore(t, store.WithClock(func() time.Time { return t0 }))
}

func readCampaign(t *testing.T, path string) *dialer.Campaign {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := dialer.ReadCampaign(f, path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func applyCalendar(t *testing.T, db *store.DB) {
	t.Helper()
	f, err := os.Open("../testdata/calendars/office-hours.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	spec, err := dialer.ReadCalendar(f, "office-hours.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ApplyCalendar(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
}

func TestOpen_MigratesOnceAndReopens(t *testing.T) {
	db, path := openDB(t)
	ctx := context.Background()
	got, err := db.Migrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || got[0] != "0001_init.sql" {
		t.Fatalf("migrations = %v, want 0001_init.sql first", got)
	}
	db.Close()
	db2, err := store.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db2.Close()
	again, _ := db2.Migrations(ctx)
	if len(again) != len(got) {
		t.Fatalf("reopen applied migrations again: %v then %v", got, again)
	}
	if pgtest.Postgres() {
		return
	}
	for _, p := range []string{path + "-wal"} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("WAL file %s missing: journal mode is not WAL (%v)", p, err)
		}
	}
}

func TestApplyCampaign_CreateUnchangedUpdate(t *testing.T) {
	ctx := context.Background()
	for _, file := range []string{"ivr.yaml", "progressive.yaml", "preemptive.yaml"} {
		t.Run(file, func(t *testing.T) {
			db, _ := openDB(t)
			applyCalendar(t, db)
			c := readCampaign(t, "../testdata/campaigns/"+file)
			for i, want := range []store.Change{store.Created, store.Unchanged} {
				got, err := db.ApplyCampaign(ctx, readCampaign(t, "../testdata/campaigns/"+file))
				if err != nil {
					t.Fatalf("apply %d: %v", i, err)
				}
				if got != want {
					t.Fatalf("apply %d = %s, want %s", i, got, want)
				}
			}
			stored, err := db.Campaign(ctx, c.Name)
			if err != nil {
				t.Fatal(err)
			}
			if stored.State != dialer.StateStopped {
				t.Errorf("state = %s, want stopped", stored.State)
			}
			// What is stored reads back as the same campaign: applying it is a no-op.
			if got, err := db.ApplyCampaign(ctx, stored); err != nil || got != store.Unchanged {
				t.Fatalf("re-apply stored = %s, %v; want unchanged", got, err)
			}
			c.Priority = 5
			if got, err := db.ApplyCampaign(ctx, c); err != nil || got != store.Updated {
				t.Fatalf("apply changed = %s, %v; want updated", got, err)
			}
			stored, _ = db.Campaign(ctx, c.Name)
			if stored.Priority != 5 {
				t.Errorf("priority = %d after update, want 5", stored.Priority)
			}
		})
	}
}

func TestApplyCampaign_StoresEveryField(t *testing.T) {
	db, _ := openDB(t)
	applyCalendar(t, db)
	ctx := context.Background()
	c := readCampaign(t, "../testdata/campaigns/ivr.yaml")
	if _, err := db.ApplyCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := db.Campaign(ctx, "survey-ivr")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"ring timeout", got.Limits.RingTimeout.D(), 25 * time.Second},
		{"calls", got.Limits.Calls, 10},
		{"busy retries", *got.Retry.PerCause["USER_BUSY"].Retries, 3},
		{"no answer interval", got.Retry.PerCause["NO_ANSWER"].Interval.D(), time.Hour},
		{"no answer retries unset", got.Retry.PerCause["NO_ANSWER"].Retries == nil, true},
		{"non retry", strings.Join(got.Retry.NonRetry, ","), "CALL_REJECTED"},
		{"override", got.Causes.Overrides["NORMAL_TEMPORARY_FAILURE"], "retry"},
		{"result", got.Results["1"], "ok"},
		{"calendar", got.Calendar.Name, "office-hours"},
		{"caller ids", strings.Join(got.CallerID.Numbers, ","), "+14155550100,+14155550101"},
		{"dial var", got.Dial.Vars["gateway"], "carrier-a"},
		{"filter", strings.Join(got.Filter["segment"], ","), "retail,smb"},
		{"import", got.Import.Numbers[1].Column, "home"},
		{"cron", got.Schedule.Start, "0 9 * * 1-5"},
		{"tz policy", got.TimezonePolicy, dialer.TZMember},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
}

func TestApplyCampaign_InlineCalendarIsOwned(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	c := readCampaign(t, "../testdata/campaigns/progressive.yaml")
	if _, err := db.ApplyCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	cal, err := db.CampaignCalendar(ctx, mustID(t, db, c.Name))
	if err != nil {
		t.Fatal(err)
	}
	if cal.Owner != c.Name || cal.Calendar.Location.String() != "Europe/London" {
		t.Fatalf("inline calendar = owner %q zone %s", cal.Owner, cal.Calendar.Location)
	}
	if err := db.DeleteCampaign(ctx, c.Name, false); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Calendar(ctx, "campaign:"+c.Name); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("inline calendar survived its campaign: %v", err)
	}
}

func TestApplyCampaign_UnknownCalendarWritesNothing(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	c := readCampaign(t, "../testdata/campaigns/ivr.yaml")
	_, err := db.ApplyCampaign(ctx, c)
	var ve *dialer.ValidationError
	if !errors.As(err, &ve) || ve.Problems[0].Path != "calendar" {
		t.Fatalf("err = %v, want a calendar field error", err)
	}
	if list, _ := db.Campaigns(ctx); len(list) != 0 {
		t.Fatalf("campaigns after failed apply: %v", list)
	}
}

// openIVR opens a new store holding the example IVR campaign and returns
// the campaign's id.
func openIVR(t *testing.T) (*store.DB, int64) {
	t.Helper()
	db, _ := openDB(t)
	applyCalendar(t, db)
	if _, err := db.ApplyCampaign(context.Background(), readCampaign(t, "../testdata/campaigns/ivr.yaml")); err != nil {
		t.Fatal(err)
	}
	return db, mustID(t, db, "survey-ivr")
}

func mustID(t *testing.T, db *store.DB, name string) int64 {
	t.Helper()
	c, err := db.Campaign(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func TestDeleteCampaign_RefusesRunningUnlessForced(t *testing.T) {
	db, _ := openDB(t)
	applyCalendar(t, db)
	ctx := context.Background()
	if _, err := db.ApplyCampaign(ctx, readCampaign(t, "../testdata/campaigns/ivr.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetCampaignState(ctx, "survey-ivr", dialer.StateRunning); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteCampaign(ctx, "survey-ivr", false); !errors.Is(err, store.ErrRunning) {
		t.Fatalf("delete running = %v, want ErrRunning", err)
	}
	if err := db.DeleteCampaign(ctx, "survey-ivr", true); err != nil {
		t.Fatalf("forced delete: %v", err)
	}
	if _, err := db.Campaign(ctx, "survey-ivr"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("campaign still there: %v", err)
	}
}

func member(line int, prio int, key string, numbers ...string) memberfile.Member {
	m := memberfile.Member{Line: line, Priority: prio, ExternalKey: key, Name: key, Variables: map[string]string{"k": key}}
	for i, n := range numbers {
		m.Numbers = append(m.Numbers, memberfile.Number{Number: n, Type: "mobile", Position: i + 1})
	}
	return m
}

func importMembers(t *testing.T, db *store.DB, campaignID int64, ms ...memberfile.Member) {
	t.Helper()
	ctx := context.Background()
	imp, err := db.BeginImport(ctx, campaignID)
	if err != nil {
		t.Fatal(err)
	}
	if bad, err := imp.Add(ctx, ms); err != nil || len(bad) > 0 {
		imp.Rollback()
		t.Fatalf("add: %v %v", bad, err)
	}
	if _, _, err := imp.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestImport_RollbackLeavesNothing(t *testing.T) {
	db, id := openIVR(t)
	ctx := context.Background()
	imp, err := db.BeginImport(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := imp.Add(ctx, []memberfile.Member{member(2, 3, "a", "+12125550101")}); err != nil {
		t.Fatal(err)
	}
	imp.Rollback()
	if ms, _ := db.Members(ctx, store.MemberFilter{CampaignID: id}); len(ms) != 0 {
		t.Fatalf("members after rollback: %d", len(ms))
	}
}

func TestImport_DuplicatesRefused(t *testing.T) {
	db, id := openIVR(t)
	ctx := context.Background()
	importMembers(t, db, id, member(2, 3, "a", "+12125550101", "+12125550102"))

	imp, _ := db.BeginImport(ctx, id)
	bad, err := imp.Add(ctx, []memberfile.Member{member(2, 3, "a", "+12125550109")})
	if err != nil || len(bad) != 1 || bad[0].Field != "external_key" || bad[0].Line != 2 {
		t.Fatalf("duplicate key: bad=%v err=%v", bad, err)
	}
	// Numbers are checked against the campaign when the import commits
	// (the importer checked them before it began).
	if _, err := imp.Add(ctx, []memberfile.Member{member(3, 3, "b", "+12125550102")}); err != nil {
		t.Fatal(err)
	}
	_, _, err = imp.Commit(ctx)
	if err == nil || !strings.Contains(err.Error(), "line 3: +12125550102 is already a number of the campaign") {
		t.Fatalf("commit with a number already in the campaign: %v", err)
	}
	if ms, _ := db.Members(ctx, store.MemberFilter{CampaignID: id}); len(ms) != 1 {
		t.Fatalf("members after the failed import: %d, want 1", len(ms))
	}
	var seen []string
	db.CampaignNumbers(ctx, id, func(n string) { seen = append(seen, n) })
	if len(seen) != 2 {
		t.Fatalf("numbers = %v, want the first import's two", seen)
	}
}

func TestDueMembers_ClaimOrder(t *testing.T) {
	db, _ := openDB(t)
	applyCalendar(t, db)
	ctx := context.Background()
	db.ApplyCampaign(ctx, readCampaign(t, "../testdata/campaigns/progressive.yaml"))
	id := mustID(t, db, "renewals-progressive")
	importMembers(t, db, id,
		member(2, 3, "p3-first", "+442071230001"),
		member(3, 1, "p1", "+442071230002"),
		member(4, 3, "p3-second", "+442071230003"),
		member(5, 5, "p5", "+442071230004"),
		member(6, 2, "p2", "+442071230005"),
	)
	due, err := db.DueMembers(ctx, id, t0, 10)
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := db.Members(ctx, store.MemberFilter{CampaignID: id})
	name := map[int64]string{}
	for _, m := range ms {
		name[m.ID] = m.Name
	}
	var got []string
	for _, d := range due {
		got = append(got, name[d.ID])
	}
	want := "p1 p2 p3-first p3-second p5"
	if strings.Join(got, " ") != want {
		t.Fatalf("claim order = %v, want %s", got, want)
	}
	if due, _ := db.DueMembers(ctx, id, t0, 2); len(due) != 2 {
		t.Fatalf("limit 2 gave %d", len(due))
	}
}

func TestDueMembers_SortVariable(t *testing.T) {
	db, _ := openDB(t)
	applyCalendar(t, db)
	ctx := context.Background()
	c := readCampaign(t, "../testdata/campaigns/ivr.yaml") // sort: score desc
	db.ApplyCampaign(ctx, c)
	id := mustID(t, db, c.Name)
	ms := []memberfile.Member{member(2, 3, "low", "+12125550101"), member(3, 3, "high", "+12125550102"), member(4, 3, "none", "+12125550103")}
	ms[0].Variables["score"] = "10"
	ms[1].Variables["score"] = "90"
	ms[2].Variables["score"] = "n/a"
	importMembers(t, db, id, ms...)
	due, _ := db.DueMembers(ctx, id, t0, 10)
	all, _ := db.Members(ctx, store.MemberFilter{CampaignID: id})
	name := map[int64]string{}
	for _, m := range all {
		name[m.ID] = m.Name
	}
	var got []string
	for _, d := range due {
		got = append(got, name[d.ID])
	}
	// SQLite sorts NULL first in ascending order: a member without a
	// numeric score is not starved behind scored ones.
	if want := "none high low"; strings.Join(got, " ") != want {
		t.Fatalf("order = %v, want %s", got, want)
	}
	c.Sort.Order = "asc"
	if _, err := db.ApplyCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	due, _ = db.DueMembers(ctx, id, t0, 10)
	got = got[:0]
	for _, d := range due {
		got = append(got, name[d.ID])
	}
	if want := "none low high"; strings.Join(got, " ") != want {
		t.Fatalf("order after re-sort = %v, want %s", got, want)
	}
}

func TestResetAndDeleteMembers(t *testing.T) {
	db, _ := openDB(t)
	applyCalendar(t, db)
	ctx := context.Background()
	db.ApplyCampaign(ctx, readCampaign(t, "../testdata/campaigns/progressive.yaml"))
	id := mustID(t, db, "renewals-progressive")
	importMembers(t, db, id, member(2, 3, "a", "+442071230001"), member(3, 3, "b", "+442071230002"))
	n, skipped, err := db.ResetMembers(ctx, store.MemberFilter{CampaignID: id}, nil)
	if err != nil || n != 2 || skipped != 0 {
		t.Fatalf("reset = %d, %d, %v", n, skipped, err)
	}
	ms, _ := db.Members(ctx, store.MemberFilter{CampaignID: id})
	n, _, err = db.DeleteMembers(ctx, store.MemberFilter{}, []int64{ms[0].ID})
	if err != nil || n != 1 {
		t.Fatalf("delete = %d, %v", n, err)
	}
	left, _ := db.Members(ctx, store.MemberFilter{CampaignID: id})
	if len(left) != 1 || left[0].Name != "b" || len(left[0].Communications) != 1 {
		t.Fatalf("left = %+v", left)
	}
}

func TestBlocklist_Scopes(t *testing.T) {
	db, id := openIVR(t)
	ctx := context.Background()
	if n, err := db.BlockNumbers(ctx, "", []string{"+12125550101", "+12125550101"}, "dnc"); err != nil || n != 1 {
		t.Fatalf("global add = %d, %v", n, err)
	}
	if n, err := db.BlockNumbers(ctx, "survey-ivr", []string{"+12125550102"}, ""); err != nil || n != 1 {
		t.Fatalf("campaign add = %d, %v", n, err)
	}
	if _, err := db.BlockNumbers(ctx, "nope", []string{"+12125550103"}, ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown campaign: %v", err)
	}
	got, err := db.BlockedNumbers(ctx, id, []string{"+12125550101", "+12125550102", "+12125550103"})
	if err != nil || !got["+12125550101"] || !got["+12125550102"] || got["+12125550103"] {
		t.Fatalf("blocked = %v, %v", got, err)
	}
	if list, _ := db.Blocklist(ctx, "", true); len(list) != 2 {
		t.Fatalf("list all = %v", list)
	}
	if n, _ := db.UnblockNumbers(ctx, "", []string{"+12125550101"}); n != 1 {
		t.Fatalf("unblock = %d", n)
	}
	if got, _ := db.BlockedNumbers(ctx, id, []string{"+12125550101"}); got["+12125550101"] {
		t.Fatal("still blocked after remove")
	}
}

func readCampaignFrom(r io.Reader) (*dialer.Campaign, error) {
	return dialer.ReadCampaign(r, "campaign")
}

// An insert the store refuses (here a CHECK constraint: the decoder never
// lets such a priority through) surfaces from Add or Commit with its lines,
// and nothing of the import remains.
func TestImport_WriterErrorFailsTheImport(t *testing.T) {
	db, id := openIVR(t)
	ctx := context.Background()
	imp, err := db.BeginImport(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Rollback()
	_, addErr := imp.Add(ctx, []memberfile.Member{member(2, 3, "a", "+12125550101"), member(3, 9, "b", "+12125550102")})
	for i := 0; addErr == nil && i < 100; i++ {
		_, addErr = imp.Add(ctx, []memberfile.Member{member(4+i, 3, fmt.Sprint("k", i), fmt.Sprintf("+1212555%04d", 200+i))})
	}
	_, _, commitErr := imp.Commit(ctx)
	if commitErr == nil {
		t.Fatal("import with a refused row committed")
	}
	// SQLite names the chunk of rows its INSERT carried; PostgreSQL, which
	// inserts the staged rows in one statement, names the refused row.
	want := "insert members (lines 2-3)"
	if pgtest.Postgres() {
		want = "insert members (line 3)"
	}
	for _, err := range []error{addErr, commitErr} {
		if err != nil && !strings.Contains(err.Error(), want) {
			t.Fatalf("error does not name the lines: %v", err)
		}
	}
	if ms, _ := db.Members(ctx, store.MemberFilter{CampaignID: id}); len(ms) != 0 {
		t.Fatalf("members after the failed import: %d", len(ms))
	}
}
