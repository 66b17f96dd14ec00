package store_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
	"github.com/fsdialer/dialer/store/permtest"
	"github.com/fsdialer/dialer/store/pgtest"
	"github.com/jmoiron/sqlx"
)

func wantErr(t *testing.T, err error, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one saying %q", wants)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
}

func TestOpenReadOnly_MissingFileIsNotCreated(t *testing.T) {
	pgtest.SQLiteOnly(t, "a database file")
	pgtest.SQLiteOnly(t, "a database file")
	path := filepath.Join(t.TempDir(), "typo.db")
	_, err := store.OpenReadOnly(context.Background(), path)
	wantErr(t, err, "database "+path+" does not exist", "dialer campaign apply", "--db")
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a read created %s: %v", path, err)
	}
}

func TestOpenReadOnly_EmptyFile(t *testing.T) {
	pgtest.SQLiteOnly(t, "a database file")
	pgtest.SQLiteOnly(t, "a database file (TestOpenReadOnly_PostgresSchema is PostgreSQL's)")
	path := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := store.OpenReadOnly(context.Background(), path)
	wantErr(t, err, "database "+path+" holds no dialer data", "dialer campaign apply")
}

// TestOpenReadOnly_OlderSchema: a read neither migrates nor reads an old
// schema; it says to run a write command or the daemon once.
func TestOpenReadOnly_OlderSchema(t *testing.T) {
	pgtest.SQLiteOnly(t, "builds a SQLite file as older migrations left it")
	pgtest.SQLiteOnly(t, "a database file built by hand (TestOpenReadOnly_PostgresSchema is PostgreSQL's)")
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
	for _, name := range names[:3] {
		body, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Base(name)
		if _, err := raw.Exec(string(body)); err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(`INSERT INTO schema_migrations VALUES (?, ?, 0)`, strings.SplitN(base, "_", 2)[0], base); err != nil {
			t.Fatal(err)
		}
	}
	_, err = store.OpenReadOnly(context.Background(), path)
	wantErr(t, err, "database "+path+" was written by an older dialer", filepath.Base(names[3]),
		"run a write command", "dialer serve")
	var n int
	if err := raw.Get(&n, `SELECT count(*) FROM schema_migrations`); err != nil || n != 3 {
		t.Fatalf("migrations after a read: %d %v, want the 3 there were", n, err)
	}
}

func TestOpenReadOnly_ReadsButNeverWrites(t *testing.T) {
	path := fullDB(t)
	ctx := context.Background()
	db, err := store.OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if list, err := db.Campaigns(ctx); err != nil || len(list) != 1 {
		t.Fatalf("campaigns: %v %v", list, err)
	}
	// SQLite says "readonly", PostgreSQL "read-only transaction".
	if _, err := db.SetCampaignState(ctx, "survey-ivr", dialer.StateRunning); err == nil ||
		!strings.Contains(err.Error(), "readonly") && !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("a write through a read-only store: %v, want it refused", err)
	}
}

func TestOpen_MissingDirectory(t *testing.T) {
	pgtest.SQLiteOnly(t, "a database file and its directory")
	pgtest.SQLiteOnly(t, "a database file")
	dir := filepath.Join(t.TempDir(), "nowhere")
	_, err := store.Open(context.Background(), filepath.Join(dir, "d.db"))
	wantErr(t, err, "database directory "+dir+" does not exist")
}

// TestPermissions: a database the user may not write (file 0444 in a
// directory 0555) is read, and a write says which of the file or the
// directory is in the way. Root may write anything, so the test needs
// another user.
func TestPermissions(t *testing.T) {
	pgtest.SQLiteOnly(t, "file modes")
	pgtest.SQLiteOnly(t, "file modes")
	if permtest.AsUnprivileged(t) {
		return
	}
	path := fullDB(t)
	dir := filepath.Dir(path)
	ctx := context.Background()
	t.Cleanup(func() { os.Chmod(dir, 0o755); os.Chmod(path, 0o644) })
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}

	t.Run("read in a read-only directory", func(t *testing.T) {
		if err := os.Chmod(path, 0o444); err != nil {
			t.Fatal(err)
		}
		db, err := store.OpenReadOnly(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if list, err := db.Campaigns(ctx); err != nil || len(list) != 1 || list[0].Members != damagedMembers {
			t.Fatalf("campaigns: %+v %v", list, err)
		}
		if found, err := store.IntegrityCheck(ctx, path); err != nil || len(found) != 0 {
			t.Fatalf("check: %v %v", found, err)
		}
	})
	t.Run("write to a read-only file", func(t *testing.T) {
		if err := os.Chmod(path, 0o444); err != nil {
			t.Fatal(err)
		}
		_, err := store.Open(ctx, path)
		wantErr(t, err, "database file "+path+" is read-only")
	})
	t.Run("write in a read-only directory", func(t *testing.T) {
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := store.Open(ctx, path)
		wantErr(t, err, "database directory "+dir+" is not writable")
		_, err = store.Open(ctx, filepath.Join(dir, "new.db"))
		wantErr(t, err, "database directory "+dir+" is not writable")
	})
	left, _ := os.ReadDir(dir)
	if len(left) != 1 {
		t.Errorf("%d files in the database's directory, want only the database", len(left))
	}
}

// TestOpenReadOnly_PostgresSchema: on PostgreSQL too a read neither
// migrates nor reads a database without the dialer's schema or with an
// older one, and says what to do.
func TestOpenReadOnly_PostgresSchema(t *testing.T) {
	if !pgtest.Postgres() {
		t.Skip("a PostgreSQL database (the SQLite files are TestOpenReadOnly_EmptyFile and _OlderSchema)")
	}
	ctx := context.Background()
	dsn := testDSN(t)
	raw, err := sqlx.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	name := redacted(t, dsn)

	if _, err := raw.Exec(`DELETE FROM schema_migrations WHERE version > 3`); err != nil {
		t.Fatal(err)
	}
	_, err = store.OpenReadOnly(ctx, dsn)
	wantErr(t, err, "database "+name+" was written by an older dialer", "0004_agent_leg.sql",
		"run a write command", "dialer serve")
	var n int
	if err := raw.Get(&n, `SELECT count(*) FROM schema_migrations`); err != nil || n != 3 {
		t.Fatalf("migrations after a read: %d %v, want the 3 there were", n, err)
	}

	if _, err := raw.Exec(`DROP SCHEMA public CASCADE; CREATE SCHEMA public`); err != nil {
		t.Fatal(err)
	}
	_, err = store.OpenReadOnly(ctx, dsn)
	wantErr(t, err, "database "+name+" holds no dialer data", "dialer campaign apply")
	if err := raw.Get(&n, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`); err != nil || n != 0 {
		t.Fatalf("tables after a read: %d %v, want none", n, err)
	}
}

// redacted is how the store names a PostgreSQL URL in its messages.
func redacted(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return u.Redacted()
}
