// Package store keeps campaigns, calendars, members, attempts, agents and
// the blocklist in SQLite, the embedded default, or in PostgreSQL. It owns
// the schema (embedded migrations, one set per dialect with the same
// versions) and the SQL, written once for both where a portable form
// exists; callers see the domain types of package dialer.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	sqlite3 "github.com/mattn/go-sqlite3"
)

//go:embed migrations/*.sql
var migrations embed.FS

// postgresMigrations are the same migrations written for PostgreSQL.
//
//go:embed migrations_postgres/*.sql
var postgresMigrations embed.FS

// sqliteDriver is go-sqlite3 with a connect hook that turns off automatic
// WAL checkpoints: SQLite would otherwise run one inside whichever commit
// crosses the threshold, and that commit (a claim, say) would pay for
// copying the log back. Checkpoint does it instead, off the hot path, and
// Close runs a last one.
var sqliteDriver = &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
	_, err := c.Exec("PRAGMA wal_autocheckpoint = 0", nil)
	return err
}}

// driverName is the name sqlx knows the store's connections by.
const driverName = "sqlite3_dialer"

// ErrNotFound is returned when a named or numbered row does not exist.
var ErrNotFound = errors.New("not found")

// DB is the store. Its methods are safe for concurrent use.
type DB struct {
	db        *sqlx.DB
	dialect   dialect
	connector *connector // SQLite's; nil on PostgreSQL
	file      string     // the SQLite file, or the PostgreSQL URL without its password
	readOnly  bool
	fullCheck bool
	dryRun    bool // transactions roll back instead of committing (SetDryRun)
	now       func() time.Time
	// due is the hot "next due members" query, prepared once.
	due *sqlx.Stmt
	// cluster is this daemon's membership of the daemons sharing a
	// PostgreSQL database (cluster.go); unset on SQLite.
	cluster cluster

	corruptOnce sync.Once
	corrupted   chan struct{} // closed when a call first finds the file damaged
	corruptErr  error         // that call's error, set before corrupted is closed
}

// Option changes how Open builds a DB.
type Option func(*DB)

// WithClock sets the clock used for created/updated stamps.
func WithClock(now func() time.Time) Option { return func(d *DB) { d.now = now } }

// WithFullCheck makes Open check the whole file (PRAGMA quick_check)
// whatever its size, as the daemon does when it starts.
func WithFullCheck() Option { return func(d *DB) { d.fullCheck = true } }

// quickCheckLimit is the largest file Open checks (PRAGMA quick_check)
// unless asked to with WithFullCheck. The check reads every page: about
// 0.35 s for 64 MB (some 190,000 members), 1.9 s for the 335 MB of a
// 1,000,000-member campaign, which a command such as campaign pause should
// not cost. A larger file is checked by the daemon when it starts and by
// `dialer db check`; a damaged page met by any call is ErrCorrupt.
const quickCheckLimit = 64 << 20

// Open opens (creating if needed) the SQLite file at path for reading and
// writing, sets WAL, foreign keys and a busy timeout, checks the file if
// it is small (see quickCheckLimit) and applies pending migrations. A file
// or directory that cannot be written is refused, saying which. A
// postgres:// or postgresql:// URL opens that PostgreSQL database instead
// (see openPostgres).
func Open(ctx context.Context, file string, opts ...Option) (*DB, error) {
	if file == "" {
		return nil, errNoPath
	}
	if isPostgresDSN(file) {
		return openPostgres(ctx, file, false, opts)
	}
	if err := CheckWritable(file); err != nil {
		return nil, err
	}
	d := newDB(file, dataSource(file), false, opts)
	if err := d.checkOnOpen(ctx); err != nil {
		d.db.Close()
		return nil, err
	}
	if err := d.migrate(ctx); err != nil {
		d.db.Close()
		return nil, fmt.Errorf("open store %s: %w", file, err)
	}
	if err := d.prepare(ctx); err != nil {
		d.db.Close()
		return nil, err
	}
	return d, nil
}

var errNoPath = errors.New("open store: no database path (set --db, DIALER_DATABASE or database in the config file)")

// newDB builds a DB on the data source; nothing is opened until the
// first call.
func newDB(file, source string, readOnly bool, opts []Option) *DB {
	d := &DB{file: file, readOnly: readOnly, now: time.Now, corrupted: make(chan struct{})}
	for _, o := range opts {
		o(d)
	}
	d.connector = &connector{dsn: source, file: file, onCorrupt: d.setCorrupt}
	db := sqlx.NewDb(sql.OpenDB(d.connector), driverName)
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(0)
	d.db = db
	return d
}

func (d *DB) prepare(ctx context.Context) error {
	var err error
	if d.due, err = d.db.PreparexContext(ctx, d.dialect.pick(dueQuery, dueQueryPostgres)); err != nil {
		return fmt.Errorf("open store %s: prepare: %w", d.file, err)
	}
	return nil
}

// dataSource is the driver's data source name for the file: WAL, foreign
// keys, a busy timeout, and a cache of compiled statements per connection.
// Compiling the same statements again on every call cost the daemon about
// a third of its CPU under load (recording a call's end runs five).
//
// A cached statement is still compiled again whenever the query planner
// looked at one of its bound values (for example to weigh a partial or expression
// index such as members_external_key or blocklist_scope, or a LIMIT):
// SQLite then marks it stale each time that value is bound. Hot
// statements therefore write such values as "+?", an expression the
// planner does not look into: the plan stays the same and the compiled
// statement is reused. TestStatements_CompiledOnce pins them.
func dataSource(file string) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	q.Set("_synchronous", "NORMAL")
	q.Set("_txlock", "immediate")
	q.Set("_cache_size", "-65536")
	q.Set("_mutex", "no")
	q.Set("_stmt_cache_size", "64")
	return "file:" + file + "?" + q.Encode()
}

// Close checkpoints the write-ahead log into the database and closes it.
func (d *DB) Close() error {
	if d.due != nil {
		d.due.Close()
	}
	if d.readOnly || d.pg() {
		return d.db.Close()
	}
	_, cerr := d.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	if err := d.db.Close(); err != nil {
		return err
	}
	if cerr != nil && !isBusy(cerr) {
		return fmt.Errorf("checkpoint on close: %w", cerr)
	}
	return nil
}

// Checkpoint copies the write-ahead log back into the database without
// waiting for readers or writers (a passive checkpoint); the daemon calls
// it periodically. PostgreSQL checkpoints by itself: there it does nothing.
func (d *DB) Checkpoint(ctx context.Context) error {
	if d.pg() {
		return nil
	}
	if _, err := d.db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// RunCheckpoints checkpoints every interval until ctx ends.
func (d *DB) RunCheckpoints(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			// A damaged file is the daemon's to act on (see Corrupted).
			if err := d.Checkpoint(ctx); err != nil && ctx.Err() == nil && !isBusy(err) && !errors.Is(err, ErrCorrupt) {
				return err
			}
		}
	}
}

// migration is one embedded schema migration.
type migration struct {
	version int
	name    string // the file's name, 0001_init.sql
	path    string
}

// embeddedMigrations lists the dialect's migrations built in, oldest
// first.
func embeddedMigrations(x dialect) ([]migration, error) {
	names, err := fs.Glob(x.migrations(), x.pick("migrations", "migrations_postgres")+"/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]migration, 0, len(names))
	for _, name := range names {
		base := path.Base(name)
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", base)
		}
		out = append(out, migration{version: version, name: base, path: name})
	}
	return out, nil
}

// pending lists the embedded migrations the database has not applied.
func (d *DB) pending(ctx context.Context) ([]migration, error) {
	all, err := embeddedMigrations(d.dialect)
	if err != nil {
		return nil, err
	}
	var applied []int
	if err := d.db.SelectContext(ctx, &applied, `SELECT version FROM schema_migrations`); err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	done := map[int]bool{}
	for _, v := range applied {
		done[v] = true
	}
	var out []migration
	for _, m := range all {
		if !done[m.version] {
			out = append(out, m)
		}
	}
	return out, nil
}

// migrate applies every embedded migration not yet recorded, each in its
// own transaction together with its record.
func (d *DB) migrate(ctx context.Context) error {
	if d.pg() {
		return d.migratePostgres(ctx)
	}
	if _, err := d.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	todo, err := d.pending(ctx)
	if err != nil {
		return err
	}
	for _, m := range todo {
		body, err := fs.ReadFile(d.dialect.migrations(), m.path)
		if err != nil {
			return err
		}
		apply := func(tx *sqlx.Tx) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, toMS(d.now()))
			return err
		}
		if strings.HasPrefix(string(body), foreignKeysOff) {
			err = d.txNoForeignKeys(ctx, apply)
		} else {
			err = d.tx(ctx, apply)
		}
		if err != nil {
			return fmt.Errorf("apply migration %s: %w", m.name, err)
		}
	}
	return nil
}

// foreignKeysOff, as a migration's first line, runs it with foreign keys
// off, as SQLite's procedure for rebuilding a table requires; the keys
// are checked before the migration commits.
const foreignKeysOff = "-- foreign_keys: off\n"

// txNoForeignKeys runs fn in a write transaction on a connection with
// foreign key enforcement off, and commits only if no foreign key is
// broken when fn returns.
func (d *DB) txNoForeignKeys(ctx context.Context, fn func(*sqlx.Tx) error) error {
	conn, err := d.db.Connx(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return err
	}
	defer conn.ExecContext(context.Background(), `PRAGMA foreign_keys = ON`)
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	var broken []struct {
		Table  string        `db:"table"`
		RowID  sql.NullInt64 `db:"rowid"`
		Parent string        `db:"parent"`
		FKID   int           `db:"fkid"`
	}
	if err := tx.SelectContext(ctx, &broken, `PRAGMA foreign_key_check`); err != nil {
		return fmt.Errorf("check foreign keys: %w", err)
	}
	if len(broken) > 0 {
		b := broken[0]
		return fmt.Errorf("%d rows break a foreign key, e.g. %s row %d (parent %s)", len(broken), b.Table, b.RowID.Int64, b.Parent)
	}
	return tx.Commit()
}

// Migrations lists the applied migrations, oldest first.
func (d *DB) Migrations(ctx context.Context) ([]string, error) {
	var names []string
	err := d.db.SelectContext(ctx, &names, `SELECT name FROM schema_migrations ORDER BY version`)
	return names, err
}

// tx runs fn in a write transaction, committing if it returns nil.
func (d *DB) tx(ctx context.Context, fn func(*sqlx.Tx) error) error {
	tx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil || d.dryRun {
		return err
	}
	return tx.Commit()
}

// toMS stores a time as UTC milliseconds; the zero time is 0.
func toMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// nullMS stores an optional time: the zero time is NULL.
func nullMS(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// fromMS reads a stored time in UTC; 0 is the zero time.
func fromMS(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func fromNullMS(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromMS(n.Int64)
}

// isBusy is a write that met another: SQLite's busy or locked database,
// PostgreSQL's serialization failure, deadlock or lock not available.
func isBusy(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked
	}
	switch pgCode(err) {
	case "40001", "40P01", "55P03":
		return true
	}
	return false
}

// isUnique is a unique or primary key constraint refusing a row.
func isUnique(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	return pgCode(err) == "23505"
}
