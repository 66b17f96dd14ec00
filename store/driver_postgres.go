package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"reflect"

	"github.com/jackc/pgx/v5/stdlib"
)

// pgConnector opens the store's PostgreSQL connections: pgx's, with each
// query text rebound from SQLite's placeholders (rebindPostgres), Go bools
// sent as the integers 0 and 1 the schema keeps flags in, and a damaged
// relation or index reported as ErrCorrupt, as the SQLite connector does.
type pgConnector struct {
	inner     driver.Connector
	name      string
	onCorrupt func(error)
}

func (c *pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	raw, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{Conn: raw.(*stdlib.Conn), c: c}, nil
}

func (c *pgConnector) Driver() driver.Driver { return c.inner.Driver() }

// corrupt turns PostgreSQL's data_corrupted and index_corrupted errors
// into a *CorruptError and reports the first.
func (c *pgConnector) corrupt(err error) error {
	if err == nil || errors.Is(err, ErrCorrupt) {
		return err
	}
	if code := pgCode(err); code != "XX001" && code != "XX002" {
		return err
	}
	ce := &CorruptError{File: c.name, Detail: err.Error(), err: err}
	if c.onCorrupt != nil {
		c.onCorrupt(ce)
	}
	return ce
}

// pgConn is a pgx connection that takes the store's query texts. The
// embedded connection is there for the rest of database/sql's interfaces
// and for COPY (see Raw in import).
type pgConn struct {
	*stdlib.Conn
	c *pgConnector
}

func (w *pgConn) Prepare(query string) (driver.Stmt, error) {
	return w.PrepareContext(context.Background(), query)
}

func (w *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := w.Conn.PrepareContext(ctx, rebindPostgres(query))
	return s, w.c.corrupt(err)
}

func (w *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	r, err := w.Conn.ExecContext(ctx, rebindPostgres(query), args)
	return r, w.c.corrupt(err)
}

func (w *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	r, err := w.Conn.QueryContext(ctx, rebindPostgres(query), args)
	return r, w.c.corrupt(err)
}

// CheckNamedValue sends a bool (or a type whose kind is bool) as 0 or 1;
// everything else goes to pgx as it is.
func (w *pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	if nv.Value == nil {
		return nil
	}
	if b, ok := nv.Value.(bool); ok {
		nv.Value = boolInt(b)
		return nil
	}
	if v := reflect.ValueOf(nv.Value); v.Kind() == reflect.Bool {
		nv.Value = boolInt(v.Bool())
	}
	return nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
