package store

import (
	"context"
	"strings"
	"testing"

	"github.com/fsdialer/dialer/store/pgtest"
)

// TestDueQuery_PostgresIndexOrder: on PostgreSQL too the due query reads
// members_claimable in claim order, one range scan per priority, each cut
// at the limit: the index sorts a NULL sort key first as the query asks
// (and as SQLite does). The tables
// of a test are small, so sequential scans are turned off for the plan
// to show what the index allows.
func TestDueQuery_PostgresIndexOrder(t *testing.T) {
	if !pgtest.Postgres() {
		t.Skip("a PostgreSQL plan (TestDueQuery_UsesClaimableIndex is SQLite's)")
	}
	ctx := context.Background()
	d, err := Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	conn, err := d.db.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), `RESET enable_seqscan`)
	var plan []string
	if err := conn.SelectContext(ctx, &plan, "EXPLAIN "+dueQueryPostgres, int64(1), int64(1795446060000), 10); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(plan, "\n")
	// Each priority's scan stops at the limit; only those rows, at most
	// five times the limit, are sorted into priority order.
	if strings.Count(got, "using members_claimable") != 5 || strings.Count(got, "->  Limit") != 5 {
		t.Fatalf("due query plan:\n%s\nwant a limited scan of members_claimable per priority", got)
	}
}
