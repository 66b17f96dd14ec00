package main

import (
	"context"
	"fmt"

	"github.com/fsdialer/dialer/store"
	"github.com/spf13/cobra"
)

func newMemberHoldCmd(a *app) *cobra.Command {
	return newMemberHoldingCmd(a, "hold [ID...]", "Keep members from being dialed until released",
		`Put members on hold: a held member keeps its state, counters and due
time, and is never dialed (nor by click-to-call) until it is released. A
member in a call keeps its call; the hold applies to its next attempt.
member list shows HOLD, member explain says "held", report counts held
members and export --members has a held column. A held member is still
waiting: its campaign does not finish while it is held (unless its
calendar's validity ends), and member reset keeps the hold.

Ids are all-or-nothing: an id that names no member holds none. A hold by
filters (--all with --campaign or --state) asks first on a terminal, and
is refused without --yes when standard input is not a terminal.`,
		"  dialer member hold 42 43\n  dialer member hold --all --campaign demo-ivr --yes",
		"hold", "held", (*store.DB).HoldMembers)
}

func newMemberReleaseCmd(a *app) *cobra.Command {
	return newMemberHoldingCmd(a, "release [ID...]", "Release held members so they are dialed again",
		`Release held members: each is due again at its own due time (at once
when that has passed), within its calendar and its own call window.

Ids are all-or-nothing: an id that names no member releases none. A
release by filters (--all with --campaign or --state) asks first on a
terminal, and is refused without --yes when standard input is not a
terminal.`,
		"  dialer member release 42 43\n  dialer member release --all --campaign demo-ivr --yes",
		"release", "released", (*store.DB).ReleaseMembers)
}

// newMemberHoldingCmd builds hold and release: members by ids or by
// filters (confirmed first), and how many changed.
func newMemberHoldingCmd(a *app, use, short, long, example, verb, done string,
	act func(db *store.DB, ctx context.Context, f store.MemberFilter, ids []int64) (int, int, error)) *cobra.Command {
	var sel memberSelection
	var yes bool
	cmd := &cobra.Command{
		Use: use, Short: short, Long: long, Example: example,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd.Context(), func(db *store.DB) error {
				f, ids, err := sel.resolve(cmd, db, args)
				if err != nil {
					return err
				}
				if len(ids) == 0 {
					if err := sel.confirm(cmd, db, f, ids, verb, yes); err != nil {
						return err
					}
				}
				n, inCall, err := act(db, cmd.Context(), f, ids)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s %d member(s)", done, n)
				if inCall > 0 && verb == "hold" {
					fmt.Fprintf(cmd.OutOrStdout(), "; %d in a call now: the call goes on, the hold applies to the next attempt", inCall)
				}
				fmt.Fprintln(cmd.OutOrStdout())
				return nil
			})
		},
	}
	sel.flags(cmd)
	addYesFlag(cmd, &yes)
	return cmd
}
