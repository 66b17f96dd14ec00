package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/jmoiron/sqlx"
)

// importChunk is how many members one multi-row INSERT carries: large
// enough to amortise the cgo call, small enough for SQLite's limits.
const importChunk = 256

// importQueue is how many chunks may wait for the writer: Add prepares
// the next chunks while SQLite inserts the previous ones.
const importQueue = 8

// Import is an all-or-nothing member import into one campaign: one write
// transaction from BeginImport to Commit. Nothing is visible to others
// until Commit, and Rollback (or an error) leaves the store unchanged.
//
// Add prepares rows and hands them to a writer goroutine that owns the
// transaction until Commit or Rollback, so decoding the next rows and
// inserting the previous ones run at the same time. Add, Commit and
// Rollback must be called from one goroutine.
//
// On SQLite the writer inserts into the tables with multi-row INSERTs, the
// ids given here. On PostgreSQL it streams the rows with COPY into a
// temporary staging table, and Commit moves them into the tables with one
// INSERT ... SELECT per table (see import_postgres.go).
type Import struct {
	d          *DB
	conn       *sqlx.Conn
	tx         *sqlx.Tx
	campaignID int64
	sort       dialer.SortSpec
	firstID    int64
	nextMember int64
	nextComm   int64
	keys       map[string]bool // external keys in the campaign, including this import's
	now        int64
	members    int
	numbers    int
	// added are the numbers inserted so far, recorded in campaign_numbers
	// at Commit, sorted: in that order the inserts append to its b-tree.
	added []addedNumber

	chunks    chan importRows // to the writer; closed by finish
	writerErr chan error      // the writer's result, once chunks is closed
	finished  bool            // true once the writer was stopped, and before it started
	failMu    sync.Mutex
	failed    error // the writer's first error, seen by Add before it is done
}

// importRows is one chunk of members and their numbers, as statement
// arguments (SQLite) or as staging rows for COPY (PostgreSQL).
type importRows struct {
	members, numbers    int
	memberArgs, numArgs []any
	staged              [][]any
	firstLine, lastLine int
}

// Columns the import binds; the campaign and the times are the same for
// every row and are written into the statement.
var (
	importMemberColumns = []string{"id", "priority", "name", "timezone", "expires_at", "external_key", "variables", "not_before"}
	importCommColumns   = []string{"id", "member_id", "number", "type", "position"}
)

// addedNumber is a number of the import, packed for a fast sort: the
// E.164 text (at most 16 bytes) as two big-endian words, zero-padded, so
// that comparing the words compares the text as SQLite does.
type addedNumber struct {
	hi, lo uint64
	commID int64
	line   int
}

func packNumber(e164 string) (hi, lo uint64, ok bool) {
	if len(e164) > 16 {
		return 0, 0, false
	}
	var b [16]byte
	copy(b[:], e164)
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:]), true
}

func (a addedNumber) number() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], a.hi)
	binary.BigEndian.PutUint64(b[8:], a.lo)
	return strings.TrimRight(string(b[:]), "\x00")
}

// BeginImport starts an import into a campaign. ctx bounds the whole
// import, including the writer's inserts; Commit or Rollback must follow,
// as they end the writer and give the connection back.
func (d *DB) BeginImport(ctx context.Context, campaignID int64) (*Import, error) {
	conn, err := d.db.Connx(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin import: %w", err)
	}
	// A large import fills several b-trees: a big page cache for this
	// connection alone keeps them in memory until the commit.
	if !d.pg() {
		if _, err := conn.ExecContext(ctx, `PRAGMA cache_size = -524288`); err != nil {
			conn.Close()
			return nil, fmt.Errorf("begin import: %w", err)
		}
	}
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("begin import: %w", err)
	}
	imp := &Import{d: d, conn: conn, tx: tx, campaignID: campaignID, keys: map[string]bool{}, now: toMS(d.now()), finished: true}
	fail := func(err error) (*Import, error) {
		imp.release()
		return nil, fmt.Errorf("begin import: %w", err)
	}
	var sortVar, sortOrder string
	row := tx.QueryRowxContext(ctx, `SELECT sort_variable, sort_order FROM campaigns WHERE id = ?`, campaignID)
	if err := row.Scan(&sortVar, &sortOrder); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fail(fmt.Errorf("campaign %d: %w", campaignID, ErrNotFound))
		}
		return fail(err)
	}
	imp.sort = dialer.SortSpec{Variable: sortVar, Order: sortOrder}
	if d.pg() {
		// The rows are numbered in the staging table; Commit gives them
		// their ids.
		imp.nextMember, imp.nextComm = 1, 1
		if err := imp.createStaging(ctx); err != nil {
			return fail(err)
		}
	} else {
		if imp.nextMember, err = nextID(ctx, tx, "members"); err != nil {
			return fail(err)
		}
		if imp.nextComm, err = nextID(ctx, tx, "communications"); err != nil {
			return fail(err)
		}
	}
	imp.firstID = imp.nextMember
	rows, err := tx.QueryContext(ctx, `SELECT external_key FROM members WHERE campaign_id = ? AND external_key IS NOT NULL`, campaignID)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return fail(err)
		}
		imp.keys[k] = true
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	imp.chunks = make(chan importRows, importQueue)
	imp.writerErr = make(chan error, 1)
	imp.finished = false
	if d.pg() {
		go imp.copyRows(ctx)
	} else {
		go imp.write(ctx)
	}
	return imp, nil
}

// nextID is the first id the import may give a row of table: above every
// id the table ever had (its AUTOINCREMENT high-water mark), so that ids
// of deleted rows are not given out again. The import's explicit ids then
// move the mark past themselves, as SQLite keeps it at the largest id
// inserted.
func nextID(ctx context.Context, tx *sqlx.Tx, table string) (int64, error) {
	var id int64
	err := tx.GetContext(ctx, &id, `
		SELECT max((SELECT ifnull(max(id), 0) FROM `+table+`),
		           (SELECT ifnull(max(seq), 0) FROM sqlite_sequence WHERE name = ?)) + 1`, table)
	if err != nil {
		return 0, fmt.Errorf("next %s id: %w", table, err)
	}
	return id, nil
}

// Add inserts a batch of decoded members. Members whose external key is
// already in the campaign (or earlier in this import) are not inserted and
// come back as row errors; what to do with them is the caller's choice.
// An insert error may come back from a later Add, or from Commit.
func (imp *Import) Add(ctx context.Context, batch []memberfile.Member) ([]memberfile.RowError, error) {
	if err := imp.writerFailed(); err != nil {
		return nil, err
	}
	if imp.finished {
		return nil, errors.New("import: add after commit or rollback")
	}
	var rejected []memberfile.RowError
	good := batch[:0:0]
	for _, m := range batch {
		if m.ExternalKey != "" {
			if imp.keys[m.ExternalKey] {
				rejected = append(rejected, memberfile.RowError{Line: m.Line, Field: "external_key",
					Reason: fmt.Sprintf("external key %q is already in the campaign", m.ExternalKey)})
				continue
			}
			imp.keys[m.ExternalKey] = true
		}
		good = append(good, m)
	}
	for len(good) > 0 {
		n := min(len(good), importChunk)
		rows, err := imp.rowsFor(good[:n])
		if err != nil {
			return nil, err
		}
		select {
		case imp.chunks <- rows:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		good = good[n:]
	}
	return rejected, nil
}

// rows numbers members and their numbers and turns them into arguments.
func (imp *Import) rows(ms []memberfile.Member) (importRows, error) {
	r := importRows{members: len(ms), firstLine: ms[0].Line, lastLine: ms[len(ms)-1].Line,
		memberArgs: make([]any, 0, len(ms)*len(importMemberColumns))}
	for _, m := range ms {
		id := imp.nextMember
		imp.nextMember++
		vars, key, prio, err := memberColumnValues(m)
		if err != nil {
			return r, fmt.Errorf("line %d: %w", m.Line, err)
		}
		r.memberArgs = append(r.memberArgs, id, prio, m.Name, m.Timezone, nullMS(m.ExpiresAt), key, vars, toMS(m.NotBefore))
		for _, n := range m.Numbers {
			hi, lo, ok := packNumber(n.Number)
			if !ok {
				return r, fmt.Errorf("line %d: %q is not an E.164 number", m.Line, n.Number)
			}
			imp.added = append(imp.added, addedNumber{hi: hi, lo: lo, commID: imp.nextComm, line: m.Line})
			r.numArgs = append(r.numArgs, imp.nextComm, id, n.Number, n.Type, n.Position)
			imp.nextComm++
			r.numbers++
		}
	}
	imp.members += r.members
	imp.numbers += r.numbers
	return r, nil
}

// write inserts the chunks Add sends until the channel is closed. After an
// error it keeps receiving, so that Add never blocks, and inserts nothing.
func (imp *Import) write(ctx context.Context) {
	members := newMultiInsert(imp.tx, "members", importMemberColumns,
		[]string{"campaign_id", "created_at", "updated_at"}, imp.campaignID, imp.now, imp.now)
	defer members.close()
	numbers := newMultiInsert(imp.tx, "communications", importCommColumns, []string{"campaign_id"}, imp.campaignID)
	defer numbers.close()
	var err error
	for r := range imp.chunks {
		if err != nil {
			continue
		}
		if err = members.exec(ctx, r.memberArgs); err != nil {
			err = fmt.Errorf("insert members (lines %d-%d): %w", r.firstLine, r.lastLine, err)
		} else if err = numbers.exec(ctx, r.numArgs); err != nil {
			err = fmt.Errorf("insert numbers (lines %d-%d): %w", r.firstLine, r.lastLine, err)
		}
		if err != nil {
			imp.failMu.Lock()
			imp.failed = err
			imp.failMu.Unlock()
		}
	}
	imp.writerErr <- err
}

// multiInsert inserts rows into a table with multi-row INSERTs of up to
// importChunk*2 rows, each statement prepared once per row count. Columns
// with one value for every row are written into the statement.
type multiInsert struct {
	tx    *sqlx.Tx
	head  string // INSERT INTO table (columns) VALUES
	row   string // (?, ?, 7, 1732000000000)
	cols  int    // bound values per row
	stmts map[int]*sql.Stmt
}

func newMultiInsert(tx *sqlx.Tx, table string, bound, fixed []string, values ...int64) *multiInsert {
	row := make([]string, 0, len(bound)+len(values))
	for range bound {
		row = append(row, "?")
	}
	for _, v := range values {
		row = append(row, strconv.FormatInt(v, 10))
	}
	return &multiInsert{tx: tx, cols: len(bound), stmts: map[int]*sql.Stmt{},
		head: "INSERT INTO " + table + " (" + strings.Join(append(slices.Clip(bound), fixed...), ", ") + ") VALUES ",
		row:  "(" + strings.Join(row, ", ") + ")"}
}

// exec inserts the rows whose bound values args holds, in order.
func (m *multiInsert) exec(ctx context.Context, args []any) error {
	for len(args) > 0 {
		n := min(len(args)/m.cols, importChunk*2)
		s, ok := m.stmts[n]
		if !ok {
			var err error
			if s, err = m.tx.PrepareContext(ctx, m.head+strings.TrimSuffix(strings.Repeat(m.row+", ", n), ", ")); err != nil {
				return fmt.Errorf("prepare: %w", err)
			}
			m.stmts[n] = s
		}
		if _, err := s.ExecContext(ctx, args[:n*m.cols]...); err != nil {
			return err
		}
		args = args[n*m.cols:]
	}
	return nil
}

func (m *multiInsert) close() {
	for _, s := range m.stmts {
		s.Close()
	}
}

func (imp *Import) writerFailed() error {
	imp.failMu.Lock()
	defer imp.failMu.Unlock()
	return imp.failed
}

// finish stops the writer and returns its error.
func (imp *Import) finish() error {
	if imp.finished {
		return nil
	}
	imp.finished = true
	close(imp.chunks)
	return <-imp.writerErr
}

// memberColumnValues are a decoded member's stored variables (JSON),
// external key (NULL when empty) and priority (3 when unset).
func memberColumnValues(m memberfile.Member) (vars string, key any, prio int, err error) {
	vars = "{}"
	if len(m.Variables) > 0 {
		b, err := json.Marshal(m.Variables)
		if err != nil {
			return "", nil, 0, fmt.Errorf("variables: %w", err)
		}
		vars = string(b)
	}
	if m.ExternalKey != "" {
		key = m.ExternalKey
	}
	prio = m.Priority
	if prio == 0 {
		prio = 3
	}
	return vars, key, prio, nil
}

// Commit makes the import visible and returns how many members and
// numbers it added.
func (imp *Import) Commit(ctx context.Context) (members, numbers int, err error) {
	defer imp.release()
	if err := imp.finish(); err != nil {
		return 0, 0, err
	}
	if imp.d.pg() {
		if err := imp.applyStaging(ctx); err != nil {
			return 0, 0, err
		}
	} else if err := imp.recordNumbers(ctx); err != nil {
		return 0, 0, err
	}
	if imp.sort.Variable != "" && imp.members > 0 {
		if err := imp.d.resortMembers(ctx, imp.tx, imp.campaignID, imp.firstID, imp.sort); err != nil {
			return 0, 0, err
		}
	}
	if err := imp.tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("commit import: %w", err)
	}
	return imp.members, imp.numbers, nil
}

// recordNumbers inserts the import's numbers into campaign_numbers in
// sorted order. A number already there (added since the import began,
// as the importer checked the campaign's numbers before) fails the import
// and names the line.
func (imp *Import) recordNumbers(ctx context.Context) error {
	slices.SortFunc(imp.added, func(a, b addedNumber) int {
		if c := cmp.Compare(a.hi, b.hi); c != 0 {
			return c
		}
		return cmp.Compare(a.lo, b.lo)
	})
	insert := newMultiInsert(imp.tx, "campaign_numbers", []string{"number", "communication_id"}, []string{"campaign_id"}, imp.campaignID)
	defer insert.close()
	args := make([]any, 0, importChunk*2*2)
	for rest := imp.added; len(rest) > 0; {
		chunk := rest[:min(len(rest), importChunk*2)]
		rest = rest[len(chunk):]
		args = args[:0]
		for _, a := range chunk {
			args = append(args, a.number(), a.commID)
		}
		if err := insert.exec(ctx, args); err != nil {
			if isUnique(err) {
				return imp.duplicateNumber(ctx, chunk, err)
			}
			return fmt.Errorf("record numbers: %w", err)
		}
	}
	imp.added = nil
	return nil
}

// duplicateNumber names the first number of a chunk that the campaign
// already has.
func (imp *Import) duplicateNumber(ctx context.Context, chunk []addedNumber, err error) error {
	for _, a := range chunk {
		var n int
		if qerr := imp.tx.GetContext(ctx, &n, `SELECT count(*) FROM campaign_numbers WHERE campaign_id = ? AND number = ?`,
			imp.campaignID, a.number()); qerr == nil && n > 0 {
			return fmt.Errorf("line %d: %s is already a number of the campaign (added while the import ran)", a.line, a.number())
		}
	}
	return fmt.Errorf("record numbers: a number is twice in the import: %w", err)
}

// release stops the writer, ends the transaction if still open and gives
// the connection back with its normal cache size.
func (imp *Import) release() {
	imp.finish()
	if imp.conn == nil {
		return
	}
	imp.tx.Rollback()
	if !imp.d.pg() {
		imp.conn.ExecContext(context.Background(), `PRAGMA cache_size = -65536`)
	}
	imp.conn.Close()
	imp.conn = nil
}

// Rollback abandons the import; nothing it added remains.
func (imp *Import) Rollback() error {
	imp.release()
	return nil
}
