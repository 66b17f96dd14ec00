package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"reflect"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// connector opens the store's connections: go-sqlite3 connections whose
// errors pass through corrupt, so that SQLite finding the file damaged
// (SQLITE_CORRUPT, SQLITE_NOTADB) in any call, on any connection, comes
// back as ErrCorrupt naming the file, and is reported once to onCorrupt.
type connector struct {
	dsn       string
	file      string
	onCorrupt func(error)
}

func (c *connector) Connect(context.Context) (driver.Conn, error) {
	raw, err := sqliteDriver.Open(c.dsn)
	if err != nil {
		return nil, c.corrupt(err)
	}
	return &conn{SQLiteConn: raw.(*sqlite3.SQLiteConn), c: c}, nil
}

func (c *connector) Driver() driver.Driver { return sqliteDriver }

// corrupt turns SQLite's damaged-file errors into a *CorruptError and
// reports the first; any other error is returned as it is.
func (c *connector) corrupt(err error) error {
	if err == nil || errors.Is(err, ErrCorrupt) || !isCorrupt(err) {
		return err
	}
	ce := &CorruptError{File: c.file, Detail: err.Error(), err: err}
	if c.onCorrupt != nil {
		c.onCorrupt(ce)
	}
	return ce
}

func isCorrupt(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrCorrupt || se.Code == sqlite3.ErrNotADB)
}

// conn is a go-sqlite3 connection whose calls report corruption. The
// methods database/sql calls are overridden; the embedded connection is
// there for Backup.
type conn struct {
	*sqlite3.SQLiteConn
	c *connector
}

func (w *conn) Prepare(query string) (driver.Stmt, error) {
	return w.PrepareContext(context.Background(), query)
}

func (w *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := w.SQLiteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, w.c.corrupt(err)
	}
	return &stmt{Stmt: s, c: w.c}, nil
}

func (w *conn) Begin() (driver.Tx, error) {
	return w.BeginTx(context.Background(), driver.TxOptions{})
}

func (w *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	t, err := w.SQLiteConn.BeginTx(ctx, opts)
	if err != nil {
		return nil, w.c.corrupt(err)
	}
	return &tx{Tx: t, c: w.c}, nil
}

func (w *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	r, err := w.SQLiteConn.ExecContext(ctx, query, args)
	return r, w.c.corrupt(err)
}

func (w *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	r, err := w.SQLiteConn.QueryContext(ctx, query, args)
	if err != nil {
		return nil, w.c.corrupt(err)
	}
	return &rows{Rows: r, c: w.c}, nil
}

func (w *conn) Ping(ctx context.Context) error { return w.c.corrupt(w.SQLiteConn.Ping(ctx)) }

type stmt struct {
	driver.Stmt
	c *connector
}

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	r, err := s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
	return r, s.c.corrupt(err)
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	r, err := s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, s.c.corrupt(err)
	}
	return &rows{Rows: r, c: s.c}, nil
}

type tx struct {
	driver.Tx
	c *connector
}

func (t *tx) Commit() error { return t.c.corrupt(t.Tx.Commit()) }

// rows reports corruption met while stepping through results, and keeps
// the column type information of go-sqlite3's rows.
type rows struct {
	driver.Rows
	c *connector
}

func (r *rows) Next(dest []driver.Value) error { return r.c.corrupt(r.Rows.Next(dest)) }

func (r *rows) ColumnTypeDatabaseTypeName(i int) string {
	return r.Rows.(driver.RowsColumnTypeDatabaseTypeName).ColumnTypeDatabaseTypeName(i)
}

func (r *rows) ColumnTypeNullable(i int) (nullable, ok bool) {
	return r.Rows.(driver.RowsColumnTypeNullable).ColumnTypeNullable(i)
}

func (r *rows) ColumnTypeScanType(i int) reflect.Type {
	return r.Rows.(driver.RowsColumnTypeScanType).ColumnTypeScanType(i)
}
