package store

import (
	"io/fs"
	"strings"
)

// dialect is the SQL the store's database speaks. The zero value is
// SQLite, the embedded default.
type dialect int

const (
	sqliteDialect dialect = iota
	postgresDialect
)

func (x dialect) String() string {
	if x == postgresDialect {
		return "PostgreSQL"
	}
	return "SQLite"
}

// pick returns the fragment written for the dialect, for the few places
// where no text is valid in both.
func (x dialect) pick(sqlite, postgres string) string {
	if x == postgresDialect {
		return postgres
	}
	return sqlite
}

// pg reports whether the store runs on PostgreSQL.
func (d *DB) pg() bool { return d.dialect == postgresDialect }

// isPostgresDSN reports whether a database setting names a PostgreSQL
// server (a postgres:// or postgresql:// URL) rather than a SQLite file.
func isPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// IsPostgres reports whether a database setting (--db, DIALER_DATABASE,
// database in the config file) names a PostgreSQL server, for commands
// that work on a SQLite file only.
func IsPostgres(dsn string) bool { return isPostgresDSN(dsn) }

// errSQLiteOnly is what a SQLite-only operation returns on PostgreSQL.
func errSQLiteOnly(what string) error {
	return &sqliteOnlyError{what: what}
}

type sqliteOnlyError struct{ what string }

func (e *sqliteOnlyError) Error() string {
	return e.what + " works on a SQLite database file only, not on PostgreSQL"
}

// migrations is the dialect's embedded migration files.
func (x dialect) migrations() fs.FS {
	if x == postgresDialect {
		return postgresMigrations
	}
	return migrations
}

// jsonIDs is a subquery of the ids in the JSON array of integers that
// param (?, ?1) binds as text: "col IN (" + x.jsonIDs("?") + ")". One text
// serves any number of ids.
func (x dialect) jsonIDs(param string) string {
	return x.pick(`SELECT value FROM json_each(`+param+`)`,
		`SELECT CAST(value AS BIGINT) FROM jsonb_array_elements_text(CAST(`+param+` AS jsonb))`)
}
