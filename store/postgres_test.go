package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
	"github.com/fsdialer/dialer/store/pgtest"
)

// Daemons and commands opening one new PostgreSQL database at once apply
// each migration once, and all open it.
func TestOpen_PostgresMigratesOnceWhenOpenedAtOnce(t *testing.T) {
	if !pgtest.Postgres() {
		t.Skip("PostgreSQL pass only")
	}
	dsn := pgtest.NewEmptyDatabase(t)
	ctx := context.Background()
	if _, err := store.OpenReadOnly(ctx, dsn); err == nil || !strings.Contains(err.Error(), "holds no dialer data") {
		t.Fatalf("read-only open of an empty database = %v, want it holds no dialer data", err)
	}
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	dbs := make([]*store.DB, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i], errs[i] = store.Open(ctx, dsn)
		}()
	}
	wg.Wait()
	var applied []string
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("open %d: %v", i, errs[i])
		}
		defer dbs[i].Close()
		got, err := dbs[i].Migrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && strings.Join(got, ",") != strings.Join(applied, ",") {
			t.Fatalf("open %d sees migrations %v, open 0 %v", i, got, applied)
		}
		applied = got
	}
	if len(applied) == 0 || applied[0] != "0001_init.sql" {
		t.Fatalf("migrations = %v", applied)
	}
}

// On PostgreSQL a claim skips a member whose row another transaction has
// locked (another daemon claiming it) at once, instead of waiting for it;
// once that transaction ends the member is claimed.
func TestStartAttempts_PostgresSkipsALockedMember(t *testing.T) {
	if !pgtest.Postgres() {
		t.Skip("PostgreSQL pass only: FOR UPDATE SKIP LOCKED")
	}
	db, dsn := openDB(t)
	ctx := context.Background()
	applyCalendar(t, db)
	if _, err := db.ApplyCampaign(ctx, readCampaign(t, "../testdata/campaigns/ivr.yaml")); err != nil {
		t.Fatal(err)
	}
	id := mustID(t, db, "survey-ivr")
	importMembers(t, db, id, member(2, 3, "a", "+12125550101"))
	ms, err := db.MembersByID(ctx, []int64{mustMemberByKey(t, db, id, "a")})
	if err != nil || len(ms) != 1 {
		t.Fatalf("member: %v %v", ms, err)
	}
	m := ms[0]
	claim := func(uuid string) int64 {
		t.Helper()
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		got, err := db.StartAttempts(cctx, []dialer.NewAttempt{{CampaignID: id, MemberID: m.ID,
			CommunicationID: m.Communications[0].ID, Number: m.Communications[0].Number, UUID: uuid, At: t0}})
		if err != nil {
			t.Fatalf("claim: %v", err)
		}
		return got[0]
	}

	raw := openRaw(t, dsn)
	tx, err := raw.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var locked int64
	if err := tx.GetContext(ctx, &locked, `SELECT id FROM members WHERE id = ? FOR UPDATE`, m.ID); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if got := claim("u-1"); got != 0 {
		t.Fatalf("claimed the locked member: attempt %d", got)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("the claim waited %s for the lock", took)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if got := claim("u-2"); got == 0 {
		t.Fatal("member not claimed once the lock was gone")
	}
}
