package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fsdialer/dialer/store/pgtest"
	sqlite3 "github.com/mattn/go-sqlite3"
)

// compilations counts SQLite's authorizer calls, which happen only while
// a statement is compiled (first prepared, or compiled again).
var (
	compilations     atomic.Int64
	registerCounting sync.Once
)

const countingDriver = "sqlite3_dialer_counting"

// openCounting opens a migrated store file through a driver that counts
// compilations, with the store's own data source settings.
func openCounting(t *testing.T) *sql.DB {
	t.Helper()
	registerCounting.Do(func() {
		sql.Register(countingDriver, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
			c.RegisterAuthorizer(func(int, string, string, string) int {
				compilations.Add(1)
				return sqlite3.SQLITE_OK
			})
			return nil
		}})
	})
	path := filepath.Join(t.TempDir(), "dialer.db")
	d, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open(countingDriver, dataSource(path))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// TestStatements_CompiledOnce: the statements the daemon runs for every
// call or dispatch are compiled once per connection, however their
// values change, so the statement cache is not defeated by the planner
// (see dataSource).
func TestStatements_CompiledOnce(t *testing.T) {
	pgtest.SQLiteOnly(t, "SQLite's compiled statement cache")
	now := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC).UnixMilli()
	tests := []struct {
		name  string
		query string
		args  func(i int) []any
	}{
		{"due members", dueQuery, func(i int) []any { return []any{int64(i + 1), i%5 + 1, now + int64(i), 10 + i} }},
		{"blocked numbers", blockedQuery(2), func(i int) []any {
			return []any{int64(i + 1), "+1555000000" + string(rune('0'+i)), "+1555000001" + string(rune('0'+i))}
		}},
		{"members by id", membersByIDQuery, func(i int) []any { return []any{"[" + strings.Repeat("1,", i) + "2]"} }},
		{"numbers by member", numbersByMemberQuery, func(i int) []any { return []any{"[" + strings.Repeat("1,", i) + "2]"} }},
		{"connect callback", recordCallbackSQL, func(i int) []any { return []any{"connect", int64(i + 1), now + int64(i)} }},
		{"release callback", recordCallbackSQL, func(i int) []any { return []any{"release", int64(i + 1), now + int64(i)} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openCounting(t)
			ctx := context.Background()
			run := func(i int) {
				rows, err := db.QueryContext(ctx, tt.query, tt.args(i)...)
				if err != nil {
					t.Fatalf("run %d: %v", i, err)
				}
				for rows.Next() {
				}
				if err := rows.Close(); err != nil {
					t.Fatalf("run %d: %v", i, err)
				}
			}
			run(0)
			before := compilations.Load()
			for i := 1; i <= 5; i++ {
				run(i)
			}
			if got := compilations.Load() - before; got != 0 {
				t.Errorf("five more runs with other values compiled the statement again (%d authorizer calls), want it reused", got)
			}
		})
	}
}
