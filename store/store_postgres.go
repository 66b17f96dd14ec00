package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
)

// postgresDriverName is the name sqlx knows PostgreSQL connections by. It
// binds ? placeholders as they are: the connector rewrites them (see
// rebindPostgres), so that every query text is written once for both
// dialects.
const postgresDriverName = "pgx_dialer"

func init() { sqlx.BindDriver(postgresDriverName, sqlx.QUESTION) }

// postgresConns is the most connections a PostgreSQL store keeps open.
const postgresConns = 8

// openPostgres opens the PostgreSQL database the URL names and, unless
// readOnly, applies pending migrations. Read-only, every transaction is a
// read-only one (default_transaction_read_only), and the schema must hold
// every migration of this binary.
func openPostgres(ctx context.Context, dsn string, readOnly bool, opts []Option) (*DB, error) {
	name := redactURL(dsn)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", name, err)
	}
	if readOnly {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	// PostgreSQL's equivalent of the +? hints of SQLite's hot statements
	// (see dataSource): a prepared statement keeps one plan whatever its
	// values, instead of being planned again for each (custom plans cost
	// the due query more than running it). The store's statements are
	// written for plans that do not depend on their values. A URL may say
	// otherwise (plan_cache_mode=auto).
	if _, set := cfg.RuntimeParams["plan_cache_mode"]; !set {
		cfg.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	}
	d := &DB{dialect: postgresDialect, file: name, readOnly: readOnly, now: time.Now, corrupted: make(chan struct{})}
	for _, o := range opts {
		o(d)
	}
	c := &pgConnector{inner: stdlib.GetConnector(*cfg), name: name, onCorrupt: d.setCorrupt}
	d.db = sqlx.NewDb(sql.OpenDB(c), postgresDriverName)
	d.db.SetMaxOpenConns(postgresConns)
	d.db.SetMaxIdleConns(postgresConns)
	d.db.SetConnMaxIdleTime(5 * time.Minute)
	if err := d.db.PingContext(ctx); err != nil {
		d.db.Close()
		return nil, fmt.Errorf("open store %s: %w", name, err)
	}
	if readOnly {
		err = d.checkSchema(ctx)
	} else if err = d.migrate(ctx); err != nil {
		err = fmt.Errorf("open store %s: %w", name, err)
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

// redactURL is the URL without its password, to name the database in
// messages and logs.
func redactURL(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "the PostgreSQL database"
	}
	return u.Redacted()
}

// migrationLock is the advisory lock under which a PostgreSQL store
// migrates, so that two processes opening one database at once apply each
// migration once.
const migrationLock = 0x6469616c6572 // "dialer"

// migratePostgres applies the pending migrations as migrate does, each in
// a transaction that holds the migration lock and checks again that the
// migration is still to do.
func (d *DB) migratePostgres(ctx context.Context) error {
	err := d.tx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(migrationLock)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at BIGINT NOT NULL)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	todo, err := d.pending(ctx)
	if err != nil {
		return err
	}
	for _, m := range todo {
		body, err := fs.ReadFile(postgresMigrations, m.path)
		if err != nil {
			return err
		}
		err = d.tx(ctx, func(tx *sqlx.Tx) error {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(migrationLock)); err != nil {
				return err
			}
			var done int
			if err := tx.GetContext(ctx, &done, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version); err != nil || done > 0 {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, toMS(d.now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("apply migration %s: %w", m.name, err)
		}
	}
	return nil
}

// pgCode is the SQLSTATE of a PostgreSQL error, "" for any other error.
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
