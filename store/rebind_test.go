package store

import "testing"

func TestRebindPostgres(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`WHERE a = ? AND b = ?`, `WHERE a = $1 AND b = $2`},
		{`WHERE a = ?2 AND b = ?1 OR c = ?2`, `WHERE a = $2 AND b = $1 OR c = $2`},
		{`WHERE a = ?3 AND b = ?`, `WHERE a = $3 AND b = $4`},
		{`WHERE campaign_id = +?1 AND due_at <= +?3 LIMIT +?4`, `WHERE campaign_id = $1 AND due_at <= $3 LIMIT $4`},
		{`WHERE (campaign_id IS NULL OR campaign_id = +?) AND x IN (+?, +?)`, `WHERE (campaign_id IS NULL OR campaign_id = $1) AND x IN ($2, $3)`},
		{`SET n = n + ?, m = m +?`, `SET n = n + $1, m = m +$2`},
		{`SELECT 1 +?, ? +?`, `SELECT 1 +$1, $2 +$3`},
		{`WHERE a = '?' AND b = ? -- what?` + "\n" + `AND c = ? /* ? */`, `WHERE a = '?' AND b = $1 -- what?` + "\n" + `AND c = $2 /* ? */`},
		{`WHERE "we?rd" = ?`, `WHERE "we?rd" = $1`},
		{`VALUES (?, 'it''s', ?)`, `VALUES ($1, 'it''s', $2)`},
		{`AS $$ SELECT ? $$; SELECT ?`, `AS $$ SELECT ? $$; SELECT $1`},
		{`AS $body$ a ? $x$ b $body$ WHERE c = ?`, `AS $body$ a ? $x$ b $body$ WHERE c = $1`},
	} {
		if got := rebind(c.in); got != c.want {
			t.Errorf("rebind(%q)\n = %q\nwant %q", c.in, got, c.want)
		}
	}
}
