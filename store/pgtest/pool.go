package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
)

// Creating a database copies the template's catalogs, some 300 ms here,
// which a suite of a few hundred tests cannot pay each time. A test's
// database is therefore given back when the test ends: emptied to the
// template's state (every row deleted, every sequence where the template
// has it) and handed to the next test. A test that changes the schema
// itself asks for NewEmptyDatabase, which is never reused.
type pool struct {
	mu    sync.Mutex
	free  []*pooledDB
	reset string // the statements that bring a database back to the template's state; "" when none can
}

// pooledDB is a test database and the connection that resets it.
type pooledDB struct {
	name string
	conn *sql.DB
}

// resetScript builds the statements that bring a copy of the template
// back to the template's state, reading the template's tables and
// sequences. A template table that holds rows other than
// schema_migrations' makes reuse impossible: "".
func resetScript(ctx context.Context, template *sql.DB) (string, error) {
	rows, err := template.QueryContext(ctx, `
		SELECT format('%I.%I', n.nspname, c.relname), c.relkind
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		  AND n.nspname NOT LIKE 'pg_toast%'
		ORDER BY 1`)
	if err != nil {
		return "", err
	}
	var tables, seqs []string
	for rows.Next() {
		var name, kind string
		if err := rows.Scan(&name, &kind); err != nil {
			rows.Close()
			return "", err
		}
		if kind == "S" {
			seqs = append(seqs, name)
		} else if name != "public.schema_migrations" {
			tables = append(tables, name)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", err
	}
	var b strings.Builder
	// As superuser, with replication's role: no trigger fires, foreign
	// keys included, so the order of the deletes does not matter.
	b.WriteString("SET session_replication_role = replica;\n")
	for _, t := range tables {
		var any bool
		if err := template.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+t+`)`).Scan(&any); err != nil {
			return "", err
		}
		if any {
			return "", nil
		}
		b.WriteString("DELETE FROM " + t + ";\n")
	}
	for _, s := range seqs {
		var last int64
		var called bool
		if err := template.QueryRowContext(ctx, `SELECT last_value, is_called FROM `+s).Scan(&last, &called); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "SELECT setval('%s', %d, %t);\n", strings.ReplaceAll(s, "'", "''"), last, called)
	}
	b.WriteString("RESET session_replication_role;\n")
	return b.String(), nil
}

// take is a free database, or nil.
func (p *pool) take() *pooledDB {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) == 0 {
		return nil
	}
	db := p.free[len(p.free)-1]
	p.free = p.free[:len(p.free)-1]
	return db
}

// giveBack resets a test's database and makes it free; one that cannot be
// reset is dropped.
func (p *pool) giveBack(ctx context.Context, s *Server, db *pooledDB) error {
	err := p.resetDB(ctx, db)
	if err == nil {
		p.mu.Lock()
		p.free = append(p.free, db)
		p.mu.Unlock()
		return nil
	}
	db.conn.Close()
	if derr := s.DropDatabase(ctx, db.name); derr != nil {
		return derr
	}
	return nil
}

// resetDB ends every other session on the database (a connection the test
// left open) and runs the reset script.
func (p *pool) resetDB(ctx context.Context, db *pooledDB) error {
	if p.reset == "" {
		return fmt.Errorf("database %s cannot be reused", db.name)
	}
	if _, err := db.conn.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
		return err
	}
	_, err := db.conn.ExecContext(ctx, p.reset)
	return err
}

func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, db := range p.free {
		db.conn.Close()
	}
	p.free = nil
}
