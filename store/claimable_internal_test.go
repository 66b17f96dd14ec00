package store

import (
	"context"
	"github.com/fsdialer/dialer/store/pgtest"
	"path/filepath"
	"strings"
	"testing"
)

// TestDueQuery_UsesClaimableIndex: the engine's due query is one range
// scan of members_claimable, the partial index without held members that
// carries not_before, so holds and call windows cost no row reads.
func TestDueQuery_UsesClaimableIndex(t *testing.T) {
	pgtest.SQLiteOnly(t, "a SQLite query plan")
	ctx := context.Background()
	d, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rows, err := d.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+dueQuery, int64(1), 3, int64(1795446060000), 10)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	got := strings.Join(plan, "; ")
	if !strings.Contains(got, "INDEX members_claimable") || strings.Contains(got, "TEMP B-TREE") {
		t.Fatalf("due query plan = %q, want a range scan of members_claimable with no sort", got)
	}
}
