package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
)

// OpenReadOnly opens an existing database for reading only: nothing is
// created, migrated or written, so it works on a file or directory the
// caller may not write (mode 0444, another user's). A missing file, an
// empty one, or one whose schema is older than this binary's is an error
// that says what to do. A postgres:// or postgresql:// URL opens that
// database with read-only transactions, which must hold every migration
// of this binary as well.
func OpenReadOnly(ctx context.Context, file string, opts ...Option) (*DB, error) {
	if isPostgresDSN(file) {
		return openPostgres(ctx, file, true, opts)
	}
	return openReadOnly(ctx, file, opts, true)
}

// openReadOnly opens file read-only; with schema, it must hold every
// migration this binary has.
//
// How depends on what the caller may write. With the file and its
// directory writable, the connections are SQLite's usual ones with
// query_only set: no statement may change anything, and the last one to
// close removes the -wal and -shm files as a writer would (a read-only
// connection leaves them behind). Otherwise the file is opened read-only;
// a WAL database is then read through its -shm file, which SQLite creates
// when missing. When it cannot (the directory is not writable) and no
// -wal or -shm file says a writer has the database open, the file is
// opened immutable: read as it is on disk, without locks; a writer that
// starts meanwhile is not seen.
func openReadOnly(ctx context.Context, file string, opts []Option, schema bool) (*DB, error) {
	if file == "" {
		return nil, errNoPath
	}
	fi, err := os.Stat(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("database %s does not exist; create it with `dialer campaign apply` or check --db", file)
	case err != nil:
		return nil, fmt.Errorf("open store %s: %w", file, err)
	case fi.IsDir():
		return nil, fmt.Errorf("database %s is a directory; check --db", file)
	}
	how := readQueryOnly
	switch dir := filepath.Dir(file); {
	case !writable(dir) && !exists(file+"-shm") && !exists(file+"-wal"):
		how = readImmutable
	case !writable(dir) || !writable(file):
		how = readFileOnly
	}
	d := newDB(file, readOnlySource(file, how), true, opts)
	if schema {
		err = d.checkSchema(ctx)
	} else if err = d.db.PingContext(ctx); err != nil && !errors.Is(err, ErrCorrupt) {
		err = fmt.Errorf("open store %s read-only: %w", file, err)
	}
	if err == nil {
		err = d.prepare(ctx)
	}
	if err != nil {
		d.db.Close()
		return nil, err
	}
	return d, nil
}

// readMode is how openReadOnly opens a file.
type readMode int

const (
	readQueryOnly readMode = iota // read-write connections that refuse every change
	readFileOnly                  // the file opened read-only
	readImmutable                 // read-only, the file taken as unchanging: no locks, no -shm
)

// readOnlySource is dataSource for reading only: no journal mode to set,
// transactions that do not ask for the write lock.
func readOnlySource(file string, how readMode) string {
	q := url.Values{}
	switch how {
	case readQueryOnly:
		q.Set("_query_only", "true")
	case readFileOnly:
		q.Set("mode", "ro")
	case readImmutable:
		q.Set("mode", "ro")
		q.Set("immutable", "1")
	}
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "deferred")
	q.Set("_cache_size", "-65536")
	q.Set("_mutex", "no")
	q.Set("_stmt_cache_size", "64")
	return "file:" + file + "?" + q.Encode()
}

// errEmptyDatabase is a file with no dialer schema at all.
var errEmptyDatabase = errors.New("holds no dialer data")

// checkSchema says whether the database has every migration of this
// binary; reading an older schema could miss tables or columns.
func (d *DB) checkSchema(ctx context.Context) error {
	var n int
	if err := d.db.GetContext(ctx, &n, d.dialect.pick(
		`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`,
		`SELECT count(*) FROM information_schema.tables
		 WHERE table_schema = current_schema() AND table_name = 'schema_migrations'`)); err != nil {
		if errors.Is(err, ErrCorrupt) {
			return err
		}
		return fmt.Errorf("open store %s read-only: %w", d.file, err)
	}
	if n == 0 {
		return fmt.Errorf("database %s %w; create it with `dialer campaign apply` or check --db", d.file, errEmptyDatabase)
	}
	todo, err := d.pending(ctx)
	if err != nil {
		return fmt.Errorf("open store %s read-only: %w", d.file, err)
	}
	if len(todo) > 0 {
		return fmt.Errorf("database %s was written by an older dialer and lacks %d schema migration(s) of this one, from %s: "+
			"run a write command (such as `dialer campaign apply`) or `dialer serve` once to upgrade it", d.file, len(todo), todo[0].name)
	}
	return nil
}

// CheckWritable says why a database file could not be opened for writing,
// before SQLite tries: the file is read-only, or its directory (where
// SQLite keeps the -wal and -shm files, and creates a new database) is not
// writable or does not exist. nil when nothing stands in the way, and for
// a PostgreSQL URL, whose server decides.
func CheckWritable(file string) error {
	if isPostgresDSN(file) {
		return nil
	}
	dir := filepath.Dir(file)
	fi, err := os.Stat(file)
	switch {
	case err == nil && fi.IsDir():
		return fmt.Errorf("database %s is a directory; check --db", file)
	case err == nil:
		if !writable(file) {
			return fmt.Errorf("database file %s is read-only: a write needs write permission on it (or run as its owner)", file)
		}
	case errors.Is(err, fs.ErrNotExist):
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("database directory %s does not exist: create it, or check --db", dir)
		}
	default:
		return fmt.Errorf("open store %s: %w", file, err)
	}
	if !writable(dir) {
		return fmt.Errorf("database directory %s is not writable: SQLite keeps the database's -wal and -shm files "+
			"beside it, so a write needs write permission on the directory", dir)
	}
	return nil
}

// wOK is access(2)'s W_OK.
const wOK = 0x2

// writable is true when the user running the command may write path
// (access(2): root may write anything on a writable file system).
func writable(path string) bool { return syscall.Access(path, wOK) == nil }

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
