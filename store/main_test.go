package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/fsdialer/dialer/store"
	"github.com/fsdialer/dialer/store/pgtest"
)

// TestMain runs every test on SQLite, then again on PostgreSQL (see
// pgtest.Main); DIALER_TEST_DB=sqlite or =postgres runs one pass.
func TestMain(m *testing.M) {
	pgtest.Main(m, func(ctx context.Context, dsn string) error {
		db, err := store.Open(ctx, dsn)
		if err != nil {
			return err
		}
		return db.Close()
	})
}

// testDSN is a new, empty store for the test: a SQLite file in its
// temporary directory, or on the PostgreSQL pass a fresh database with the
// schema applied.
func testDSN(t testing.TB) string {
	t.Helper()
	if pgtest.Postgres() {
		return pgtest.NewDatabase(t)
	}
	return filepath.Join(t.TempDir(), "dialer.db")
}

// openTestStore opens a new store for the test with opts, closed when the
// test ends; the string is its file (SQLite) or URL (PostgreSQL).
func openTestStore(t testing.TB, opts ...store.Option) (*store.DB, string) {
	t.Helper()
	dsn := testDSN(t)
	db, err := store.Open(context.Background(), dsn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dsn
}
