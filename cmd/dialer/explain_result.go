package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/fsdialer/dialer/store"
)

// lastResultView is the business result of a member's latest attempt and
// the result_policies rule that decided what followed it.
type lastResultView struct {
	AttemptID int64  `json:"attempt_id"`
	Result    string `json:"result"`
	SubStatus string `json:"sub_status"`
	// Rule names the rule, e.g. `result "3"` or `default`; "" when no
	// rule applied (the results map or the cause classes did).
	Rule string `json:"rule"`
}

func lastResult(ctx context.Context, db *store.DB, memberID int64) (*lastResultView, error) {
	r, ok, err := db.LastAttemptResult(ctx, memberID)
	if err != nil || !ok {
		return nil, err
	}
	return &lastResultView{AttemptID: r.AttemptID, Result: r.Result, SubStatus: r.SubStatus, Rule: r.PolicyRule}, nil
}

// printHoldAndResult writes member explain's lines on the hold, the
// member's own call window and the rule its last attempt met.
func printHoldAndResult(w io.Writer, v explainView) {
	if v.Held {
		fmt.Fprintln(w, "held: not dialed until released (dialer member release)")
	}
	if !v.NotBefore.IsZero() || !v.NotAfter.IsZero() {
		from, until := "any time", "no end"
		if !v.NotBefore.IsZero() {
			from = v.NotBefore.UTC().Format(time.RFC3339)
		}
		if !v.NotAfter.IsZero() {
			until = v.NotAfter.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "own call window: not before %s, not after %s\n", from, until)
	}
	r := v.LastResult
	if r == nil {
		return
	}
	switch {
	case r.Rule != "":
		fmt.Fprintf(w, "last attempt %d: business result %s; rule %s of result_policies applied\n", r.AttemptID, describeResult(r), r.Rule)
	case r.Result != "":
		fmt.Fprintf(w, "last attempt %d: business result %s; no result_policies rule, classed by results and the cause\n", r.AttemptID, describeResult(r))
	}
}

func describeResult(r *lastResultView) string {
	s := fmt.Sprintf("%q", r.Result)
	if r.SubStatus != "" {
		s += fmt.Sprintf(" (sub-status %q)", r.SubStatus)
	}
	return s
}
