package store

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
)

// ExecForTest runs one statement on the store's database, so that black-box
// tests can seed rows (attempts, agents, member states) that no exported
// method writes yet.
func (d *DB) ExecForTest(ctx context.Context, query string, args ...any) error {
	_, err := d.db.ExecContext(ctx, query, args...)
	return err
}

// OpenRawForTest opens the database at dsn, a SQLite file or a
// PostgreSQL URL, with plain SQL through the store's own connections (on
// PostgreSQL, ? placeholders rebound), without migrating it, so that
// black-box tests can look at tables the store's API does not show.
func OpenRawForTest(dsn string) (*sqlx.DB, error) {
	if !isPostgresDSN(dsn) {
		return sqlx.Open("sqlite3", "file:"+dsn+"?_busy_timeout=10000")
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	c := &pgConnector{inner: stdlib.GetConnector(*cfg), name: redactURL(dsn)}
	return sqlx.NewDb(sql.OpenDB(c), postgresDriverName), nil
}
