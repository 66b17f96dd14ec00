package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
)

// UnknownError is returned by a method that changes several named things
// at once when some of the names (or ids) given name nothing. It lists
// every one of them, and nothing was changed.
type UnknownError struct {
	// What was looked for, as in "no agent named": "agent named",
	// "member with id".
	What string
	// Names are those that named nothing, as the error prints them
	// (names quoted, ids bare), in the order given.
	Names []string
}

func (e *UnknownError) Error() string {
	return fmt.Sprintf("no %s %s; nothing was changed", e.What, strings.Join(e.Names, ", "))
}

// unknownNames lists the names not in found, quoted, once each, in the
// order given; nil when every name was found.
func unknownNames(names []string, found map[string]bool) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		if !found[n] && !seen[n] {
			seen[n] = true
			out = append(out, strconv.Quote(n))
		}
	}
	return out
}

// requireIDs returns an *UnknownError naming the ids that are not in
// table, for a method that must change all of ids or none.
func requireIDs(ctx context.Context, q sqlx.QueryerContext, what, table string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	var present []int64
	if err := sqlx.SelectContext(ctx, q, &present, `SELECT id FROM `+table+
		` WHERE id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+`)`, args...); err != nil {
		return fmt.Errorf("look up %s ids: %w", table, err)
	}
	found := map[int64]bool{}
	for _, id := range present {
		found[id] = true
	}
	var missing []string
	for _, id := range ids {
		if !found[id] {
			found[id] = true
			missing = append(missing, strconv.FormatInt(id, 10))
		}
	}
	if len(missing) > 0 {
		return &UnknownError{What: what, Names: missing}
	}
	return nil
}
