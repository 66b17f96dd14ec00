package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// stagingColumns are the columns of import_members that COPY fills: one
// row per member, its numbers as three parallel arrays. The id column is
// not among them: its default takes the next member id as each row
// arrives, so the ids follow the file and are never given out again, as
// the sequence never goes back.
var stagingColumns = []string{"line_id", "line", "priority", "name", "timezone", "expires_at", "external_key",
	"variables", "not_before", "numbers", "types", "positions"}

// createStaging creates the import's staging table, dropped at the end of
// the transaction.
func (imp *Import) createStaging(ctx context.Context) error {
	var seq string
	if err := imp.tx.GetContext(ctx, &seq, `SELECT pg_get_serial_sequence('members', 'id')`); err != nil {
		return fmt.Errorf("find the member id sequence: %w", err)
	}
	_, err := imp.tx.ExecContext(ctx, `
		CREATE TEMPORARY TABLE import_members (
		    line_id      bigint NOT NULL,
		    id           bigint NOT NULL DEFAULT nextval('`+strings.ReplaceAll(seq, `'`, `''`)+`'),
		    line         bigint NOT NULL,
		    priority     bigint NOT NULL,
		    name         text NOT NULL,
		    timezone     text NOT NULL,
		    expires_at   bigint,
		    external_key text,
		    variables    text NOT NULL,
		    not_before   bigint NOT NULL,
		    numbers      text[] NOT NULL,
		    types        text[] NOT NULL,
		    positions    bigint[] NOT NULL
		) ON COMMIT DROP`)
	if err != nil {
		return fmt.Errorf("create staging table: %w", err)
	}
	return nil
}

// rowsFor turns a chunk of members into what the dialect's writer takes.
func (imp *Import) rowsFor(ms []memberfile.Member) (importRows, error) {
	if !imp.d.pg() {
		return imp.rows(ms)
	}
	r := importRows{members: len(ms), firstLine: ms[0].Line, lastLine: ms[len(ms)-1].Line,
		staged: make([][]any, 0, len(ms))}
	for _, m := range ms {
		vars, key, prio, err := memberColumnValues(m)
		if err != nil {
			return r, fmt.Errorf("line %d: %w", m.Line, err)
		}
		var expires any
		if e := nullMS(m.ExpiresAt); e.Valid {
			expires = e.Int64
		}
		numbers := make([]string, len(m.Numbers))
		types := make([]string, len(m.Numbers))
		positions := make([]int64, len(m.Numbers))
		for i, n := range m.Numbers {
			numbers[i], types[i], positions[i] = n.Number, n.Type, int64(n.Position)
		}
		r.staged = append(r.staged, []any{imp.nextMember, int64(m.Line), int64(prio), m.Name, m.Timezone, expires, key,
			vars, toMS(m.NotBefore), numbers, types, positions})
		imp.nextMember++
		r.numbers += len(m.Numbers)
	}
	imp.members += r.members
	imp.numbers += r.numbers
	return r, nil
}

// copyRows is the PostgreSQL writer: one COPY into the staging table that
// takes the chunks Add sends until the channel is closed. After an error
// it keeps receiving, so that Add never blocks.
func (imp *Import) copyRows(ctx context.Context) {
	src := &chunkSource{chunks: imp.chunks}
	err := imp.conn.Raw(func(dc any) error {
		pc, ok := dc.(*pgConn)
		if !ok {
			return fmt.Errorf("import: connection is %T, not PostgreSQL's", dc)
		}
		_, err := pc.Conn.Conn().CopyFrom(ctx, pgx.Identifier{"import_members"}, stagingColumns, src)
		return err
	})
	if err != nil {
		err = fmt.Errorf("copy members (after line %d): %w", src.lastLine, err)
		imp.failMu.Lock()
		imp.failed = err
		imp.failMu.Unlock()
	}
	for range imp.chunks {
	}
	imp.writerErr <- err
}

// chunkSource gives COPY the staged rows of the chunks as they come.
type chunkSource struct {
	chunks   <-chan importRows
	cur      [][]any
	next     int
	row      []any
	lastLine int
}

func (s *chunkSource) Next() bool {
	for s.next >= len(s.cur) {
		r, ok := <-s.chunks
		if !ok {
			return false
		}
		s.cur, s.next = r.staged, 0
		s.lastLine = r.firstLine
	}
	s.row = s.cur[s.next]
	s.next++
	return true
}

func (s *chunkSource) Values() ([]any, error) { return s.row, nil }

func (s *chunkSource) Err() error { return nil }

// applyStaging moves the staged members and their numbers into the
// tables, under the rules of the SQLite path: the ids in the file's
// order, every number recorded in campaign_numbers, and a number the
// campaign already has (added since the import began, as the importer
// checked the campaign's numbers before) failing the import, naming its
// line.
func (imp *Import) applyStaging(ctx context.Context) error {
	if imp.members == 0 {
		return nil
	}
	if _, err := imp.tx.ExecContext(ctx, `SAVEPOINT import_members`); err != nil {
		return fmt.Errorf("insert members: %w", err)
	}
	if _, err := imp.tx.ExecContext(ctx, `
		INSERT INTO members (id, campaign_id, priority, name, timezone, expires_at, external_key, variables, not_before,
		                     created_at, updated_at)
		SELECT id, ?1, priority, name, timezone, expires_at, external_key, variables, not_before, ?2, ?2
		FROM import_members ORDER BY id`, imp.campaignID, imp.now); err != nil {
		if line := imp.failingLine(ctx, err); line > 0 {
			return fmt.Errorf("insert members (line %d): %w", line, err)
		}
		return fmt.Errorf("insert members: %w", err)
	}
	if err := imp.tx.GetContext(ctx, &imp.firstID, `SELECT min(id) FROM import_members`); err != nil {
		return fmt.Errorf("insert members: %w", err)
	}
	if _, err := imp.tx.ExecContext(ctx, `SAVEPOINT import_numbers`); err != nil {
		return fmt.Errorf("insert numbers: %w", err)
	}
	_, err := imp.tx.ExecContext(ctx, `
		WITH added AS (
		    INSERT INTO communications (member_id, campaign_id, number, type, position)
		    SELECT s.id, ?1, u.number, u.type, u.position
		    FROM import_members s
		    CROSS JOIN LATERAL unnest(s.numbers, s.types, s.positions) WITH ORDINALITY AS u(number, type, position, k)
		    ORDER BY s.id, u.k
		    RETURNING id, number)
		INSERT INTO campaign_numbers (campaign_id, number, communication_id)
		SELECT ?1, number, id FROM added ORDER BY number`, imp.campaignID)
	if err == nil {
		return nil
	}
	if !isUnique(err) {
		return fmt.Errorf("insert numbers: %w", err)
	}
	if _, rerr := imp.tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT import_numbers`); rerr != nil {
		return fmt.Errorf("record numbers: %w", err)
	}
	var dup struct {
		Line   int    `db:"line"`
		Number string `db:"number"`
	}
	qerr := imp.tx.GetContext(ctx, &dup, `
		SELECT s.line, u.number
		FROM import_members s CROSS JOIN LATERAL unnest(s.numbers) AS u(number)
		WHERE EXISTS (SELECT 1 FROM campaign_numbers n WHERE n.campaign_id = ? AND n.number = u.number)
		ORDER BY s.line_id LIMIT 1`, imp.campaignID)
	if qerr == nil {
		return fmt.Errorf("line %d: %s is already a number of the campaign (added while the import ran)", dup.Line, dup.Number)
	}
	if !errors.Is(qerr, sql.ErrNoRows) {
		return fmt.Errorf("record numbers: %w", qerr)
	}
	return fmt.Errorf("record numbers: a number is twice in the import: %w", err)
}

// failingLine is the file line of the member row that a constraint
// refused, from the row PostgreSQL quotes ("Failing row contains (id,
// ..."); 0 when the error quotes none. It rolls back to the savepoint
// import_members to read the staging table.
func (imp *Import) failingLine(ctx context.Context, err error) int {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || !strings.HasPrefix(pe.Detail, "Failing row contains (") {
		return 0
	}
	id, _, _ := strings.Cut(strings.TrimPrefix(pe.Detail, "Failing row contains ("), ",")
	if _, err := imp.tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT import_members`); err != nil {
		return 0
	}
	var line int
	if err := imp.tx.GetContext(ctx, &line, `SELECT line FROM import_members WHERE id = CAST(? AS BIGINT)`, id); err != nil {
		return 0
	}
	return line
}
