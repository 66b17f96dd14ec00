package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/fsdialer/dialer/store"
	"github.com/fsdialer/dialer/store/pgtest"
	"github.com/fsdialer/dialer/store/storetest"
)

// damagedMembers is how many members damagedDB imports: enough that the
// middle of the file is member pages.
const damagedMembers = 3000

// fullDB writes a closed database with survey-ivr and damagedMembers
// members, and returns its path.
func fullDB(t *testing.T) string {
	t.Helper()
	db, path := openDB(t)
	applyCalendar(t, db)
	ctx := context.Background()
	if _, err := db.ApplyCampaign(ctx, readCampaign(t, "../testdata/campaigns/ivr.yaml")); err != nil {
		t.Fatal(err)
	}
	ms := make([]memberfile.Member, damagedMembers)
	for i := range ms {
		ms[i] = member(i+2, 3, fmt.Sprintf("m-%d", i), fmt.Sprintf("+1212%07d", 2000000+i))
		ms[i].Variables["note"] = strings.Repeat("x", 100)
	}
	importMembers(t, db, mustID(t, db, "survey-ivr"), ms...)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOpen_RefusesDamagedFile(t *testing.T) {
	pgtest.SQLiteOnly(t, "damages the database file")
	path := fullDB(t)
	storetest.DamageMiddle(t, path)
	_, err := store.Open(context.Background(), path)
	if !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("open damaged file: %v, want ErrCorrupt", err)
	}
	for _, want := range []string{"database " + path + " is damaged", "dialer db check", "backup"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

// TestCorrupted_AnyCallReportsIt: a call that meets a damaged page returns
// ErrCorrupt, and the DB says so once through Corrupted.
func TestCorrupted_AnyCallReportsIt(t *testing.T) {
	pgtest.SQLiteOnly(t, "damages the database file")
	path := fullDB(t)
	storetest.DamageMiddle(t, path)
	ctx := context.Background()
	db, err := store.OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.CorruptErr() != nil {
		t.Fatalf("corrupt before any call met the damage: %v", db.CorruptErr())
	}
	var callErr error
	for i := 0; i < 2 && callErr == nil; i++ {
		_, callErr = db.Members(ctx, store.MemberFilter{CampaignID: mustID(t, db, "survey-ivr")})
		if callErr == nil {
			callErr = db.ExportMembers(ctx, mustID(t, db, "survey-ivr"), func(store.ExportMember) error { return nil })
		}
	}
	if !errors.Is(callErr, store.ErrCorrupt) {
		t.Fatalf("reading every member of a damaged file: %v, want ErrCorrupt", callErr)
	}
	select {
	case <-db.Corrupted():
	default:
		t.Fatal("Corrupted not closed after a call returned ErrCorrupt")
	}
	if !errors.Is(db.CorruptErr(), store.ErrCorrupt) || !strings.Contains(db.CorruptErr().Error(), "malformed") {
		t.Fatalf("CorruptErr = %v", db.CorruptErr())
	}
}

func TestIntegrityCheck(t *testing.T) {
	pgtest.SQLiteOnly(t, "SQLite's integrity check of a file")
	path := fullDB(t)
	ctx := context.Background()
	found, err := store.IntegrityCheck(ctx, path)
	if err != nil || len(found) != 0 {
		t.Fatalf("check of a sound file: %v %v", found, err)
	}
	storetest.DamageMiddle(t, path)
	found, err = store.IntegrityCheck(ctx, path)
	if err != nil || len(found) == 0 {
		t.Fatalf("check of a damaged file: %v %v, want problems", found, err)
	}
	if _, err := store.IntegrityCheck(ctx, filepath.Join(t.TempDir(), "none.db")); err == nil ||
		!strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("check of a missing file: %v", err)
	}
}

func TestBackup(t *testing.T) {
	pgtest.SQLiteOnly(t, "SQLite's online backup of a file")
	src := fullDB(t)
	ctx := context.Background()
	dir := t.TempDir()
	dst := filepath.Join(dir, "copy.db")
	res, err := store.Backup(ctx, src, dst, false)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dst)
	if err != nil || res.Size != fi.Size() || res.Pages == 0 {
		t.Fatalf("backup result %+v, file %v %v", res, fi, err)
	}
	if found, err := store.IntegrityCheck(ctx, dst); err != nil || len(found) != 0 {
		t.Fatalf("check of the backup: %v %v", found, err)
	}
	cp, err := store.OpenReadOnly(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	list, err := cp.Campaigns(ctx)
	cp.Close()
	if err != nil || len(list) != 1 || list[0].Name != "survey-ivr" || list[0].Members != damagedMembers {
		t.Fatalf("campaigns in the backup: %+v %v", list, err)
	}

	if _, err := store.Backup(ctx, src, dst, false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("backup over an existing file: %v, want a refusal naming --force", err)
	}
	if _, err := store.Backup(ctx, src, dst, true); err != nil {
		t.Fatalf("backup with overwrite: %v", err)
	}
	if _, err := store.Backup(ctx, src, src, true); err == nil {
		t.Fatal("backup onto the database itself succeeded")
	}

	storetest.DamageMiddle(t, src)
	bad := filepath.Join(dir, "bad.db")
	if _, err := store.Backup(ctx, src, bad, false); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("backup of a damaged file: %v, want ErrCorrupt", err)
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 1 || left[0].Name() != "copy.db" {
		names := []string{}
		for _, e := range left {
			names = append(names, e.Name())
		}
		t.Fatalf("files left beside the failed backup: %v, want only copy.db", names)
	}
}

// On PostgreSQL the file operations refuse, naming PostgreSQL, and a
// checkpoint is nothing to do.
func TestSQLiteOnlyOperations_OnPostgres(t *testing.T) {
	if !pgtest.Postgres() {
		t.Skip("PostgreSQL pass only")
	}
	db, dsn := openDB(t)
	ctx := context.Background()
	if err := db.Checkpoint(ctx); err != nil {
		t.Errorf("checkpoint: %v", err)
	}
	if err := store.CheckWritable(dsn); err != nil {
		t.Errorf("check writable: %v", err)
	}
	for what, err := range map[string]error{
		"quick check": db.QuickCheck(ctx),
		"integrity check": func() error {
			_, err := store.IntegrityCheck(ctx, dsn)
			return err
		}(),
		"backup": func() error {
			_, err := store.Backup(ctx, dsn, filepath.Join(t.TempDir(), "copy.db"), false)
			return err
		}(),
	} {
		if err == nil || !strings.Contains(err.Error(), "not on PostgreSQL") {
			t.Errorf("%s = %v, want a refusal naming PostgreSQL", what, err)
		}
	}
}
