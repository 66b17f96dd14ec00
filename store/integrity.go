package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// ErrCorrupt is what errors.Is finds in an error when SQLite found the
// database file damaged (SQLITE_CORRUPT or SQLITE_NOTADB), in any call, or
// when a check of the file found problems. The error is a *CorruptError.
var ErrCorrupt = errors.New("database file is damaged")

// CorruptError says which database file is damaged, what SQLite found,
// and what the operator can do.
type CorruptError struct {
	File string
	// Detail is SQLite's message, or the first problem a check found.
	Detail string
	err    error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("database %s is damaged (%s): run `dialer db check` to see what is wrong, and restore it from a backup",
		e.File, e.Detail)
}

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// Unwrap is SQLite's own error, when there is one.
func (e *CorruptError) Unwrap() error { return e.err }

func (d *DB) setCorrupt(err error) {
	d.corruptOnce.Do(func() {
		d.corruptErr = err
		close(d.corrupted)
	})
}

// Corrupted is closed when a store call first finds the database file
// damaged; CorruptErr is then that call's error. The daemon watches it to
// stop dialing.
func (d *DB) Corrupted() <-chan struct{} { return d.corrupted }

// CorruptErr is the first ErrCorrupt a store call returned, or nil.
func (d *DB) CorruptErr() error {
	select {
	case <-d.corrupted:
		return d.corruptErr
	default:
		return nil
	}
}

// checkOnOpen runs the quick check when Open should (see quickCheckLimit).
func (d *DB) checkOnOpen(ctx context.Context) error {
	if !d.fullCheck {
		fi, err := os.Stat(d.file)
		if err != nil || fi.Size() > quickCheckLimit {
			return nil
		}
	}
	return d.QuickCheck(ctx)
}

// QuickCheck runs PRAGMA quick_check over the whole file: every page and
// b-tree, without comparing indexes with their tables. A problem is a
// *CorruptError naming the first one found.
func (d *DB) QuickCheck(ctx context.Context) error {
	if d.pg() {
		return errSQLiteOnly("the quick check (PRAGMA quick_check)")
	}
	var found []string
	if err := d.db.SelectContext(ctx, &found, `PRAGMA quick_check`); err != nil {
		if errors.Is(err, ErrCorrupt) {
			return err
		}
		return fmt.Errorf("check database %s: %w", d.file, err)
	}
	if len(found) == 1 && found[0] == "ok" {
		return nil
	}
	return &CorruptError{File: d.file, Detail: "quick_check: " + summarize(found)}
}

// summarize is the first of a check's findings, on one line, and how many
// more there are.
func summarize(found []string) string {
	if len(found) == 0 {
		return "no answer"
	}
	s := strings.Join(strings.Fields(found[0]), " ")
	if len(found) > 1 {
		s += fmt.Sprintf(", and %d more", len(found)-1)
	}
	return s
}

// IntegrityCheck runs SQLite's full check (PRAGMA integrity_check: pages,
// b-trees, and every index against its table) and the foreign key check
// on the database file, opened read-only, and returns the problems found:
// none when the file is sound. A file too damaged to be read at all is one
// problem. The error is for a check that could not run (no such file, or
// a PostgreSQL database: the server checks its own pages, see
// data_checksums and pg_amcheck).
func IntegrityCheck(ctx context.Context, file string) ([]string, error) {
	if isPostgresDSN(file) {
		return nil, errSQLiteOnly("dialer db check")
	}
	d, err := openReadOnly(ctx, file, nil, false)
	if err != nil {
		var ce *CorruptError
		if errors.As(err, &ce) {
			return []string{ce.Detail}, nil
		}
		return nil, err
	}
	defer d.Close()
	var found []string
	if err := d.db.SelectContext(ctx, &found, `PRAGMA integrity_check`); err != nil {
		var ce *CorruptError
		if errors.As(err, &ce) {
			return []string{ce.Detail}, nil
		}
		return nil, fmt.Errorf("check database %s: %w", file, err)
	}
	if len(found) == 1 && found[0] == "ok" {
		found = nil
	}
	var broken []struct {
		Table  string `db:"table"`
		RowID  *int64 `db:"rowid"`
		Parent string `db:"parent"`
		FKID   int    `db:"fkid"`
	}
	if err := d.db.SelectContext(ctx, &broken, `PRAGMA foreign_key_check`); err != nil {
		var ce *CorruptError
		if errors.As(err, &ce) {
			return append(found, ce.Detail), nil
		}
		return nil, fmt.Errorf("check foreign keys of %s: %w", file, err)
	}
	for _, b := range broken {
		row := "a row"
		if b.RowID != nil {
			row = fmt.Sprintf("row %d", *b.RowID)
		}
		found = append(found, fmt.Sprintf("%s %s refers to a missing %s row", b.Table, row, b.Parent))
	}
	return found, nil
}

// BackupResult is what Backup wrote.
type BackupResult struct {
	File  string
	Size  int64
	Pages int
	Took  time.Duration
}

// Backup copies the database file src to dst with SQLite's online backup
// API: one consistent copy, taken while the daemon keeps writing (in WAL
// mode a reader does not hold writers up). The copy goes to a temporary
// file beside dst, is checked (PRAGMA quick_check), and is renamed to dst
// only then, so dst is either a whole, sound copy or as it was. An
// existing dst is refused unless overwrite is set. A PostgreSQL database
// is refused: pg_dump backs it up.
func Backup(ctx context.Context, src, dst string, overwrite bool) (BackupResult, error) {
	if isPostgresDSN(src) {
		return BackupResult{}, fmt.Errorf("%w: back a PostgreSQL database up with pg_dump", errSQLiteOnly("dialer db backup"))
	}
	start := time.Now()
	res := BackupResult{File: dst}
	fail := func(err error) (BackupResult, error) {
		return res, fmt.Errorf("back up %s to %s: %w", src, dst, err)
	}
	if fi, err := os.Stat(dst); err == nil {
		if sfi, serr := os.Stat(src); serr == nil && os.SameFile(fi, sfi) {
			return fail(errors.New("that is the database itself"))
		}
		if !overwrite {
			return fail(errors.New("the file exists; use --force to replace it"))
		}
		if fi.IsDir() {
			return fail(errors.New("that is a directory; name the backup file"))
		}
	}
	s, err := openReadOnly(ctx, src, nil, false)
	if err != nil {
		return res, err
	}
	defer s.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return fail(err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	renamed := false
	defer func() {
		if !renamed {
			for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
				os.Remove(tmpName + suffix)
			}
		}
	}()
	if res.Pages, err = copyDatabase(ctx, s, tmpName); err != nil {
		return fail(err)
	}
	if err := checkCopy(ctx, tmpName, src); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmpName, dst); err != nil {
		return fail(err)
	}
	renamed = true
	if dir, err := os.Open(filepath.Dir(dst)); err == nil {
		dir.Sync()
		dir.Close()
	}
	fi, err := os.Stat(dst)
	if err != nil {
		return fail(err)
	}
	res.Size = fi.Size()
	res.Took = time.Since(start)
	return res, nil
}

// copyDatabase copies the source database into the (empty) file at dst in
// one backup step, under one read transaction of the source, and returns
// the number of pages copied.
func copyDatabase(ctx context.Context, s *DB, dst string) (int, error) {
	dc, err := (&sqlite3.SQLiteDriver{}).Open("file:" + dst + "?_busy_timeout=10000")
	if err != nil {
		return 0, err
	}
	dest := dc.(*sqlite3.SQLiteConn)
	defer dest.Close()
	sc, err := s.db.Conn(ctx)
	if err != nil {
		return 0, s.connector.corrupt(err)
	}
	defer sc.Close()
	pages := 0
	err = sc.Raw(func(raw any) error {
		b, err := dest.Backup("main", raw.(*conn).SQLiteConn, "main")
		if err != nil {
			return err
		}
		if _, err := b.Step(-1); err != nil {
			b.Finish()
			return s.connector.corrupt(err)
		}
		pages = b.PageCount()
		return b.Finish()
	})
	if err != nil {
		return 0, err
	}
	return pages, dest.Close()
}

// checkCopy runs the quick check on a finished copy; a damaged copy means
// a damaged source.
func checkCopy(ctx context.Context, copyFile, src string) error {
	c := newDB(copyFile, readOnlySource(copyFile, readImmutable), true, nil)
	defer c.Close()
	if err := c.QuickCheck(ctx); err != nil {
		var ce *CorruptError
		if errors.As(err, &ce) {
			return &CorruptError{File: src, Detail: "its copy fails the quick check: " + ce.Detail}
		}
		return err
	}
	return nil
}
