package main

import (
	"fmt"

	"github.com/fsdialer/dialer/store"
	"github.com/spf13/cobra"
)

func newMemberHoldCmd(a *app) *cobra.Command {
	return newMemberBulkCmd(a, "hold [ID...]", "Keep members from being dialed until released",
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
		"hold", false, (*store.DB).HoldMembers, func(n, inCall int) string {
			s := fmt.Sprintf("held %d member(s)", n)
			if inCall > 0 {
				s += fmt.Sprintf("; %d in a call now: the call goes on, the hold applies to the next attempt", inCall)
			}
			return s
		})
}

func newMemberReleaseCmd(a *app) *cobra.Command {
	return newMemberBulkCmd(a, "release [ID...]", "Release held members so they are dialed again",
		`Release held members: each is due again at its own due time (at once
when that has passed), within its calendar and its own call window.

Ids are all-or-nothing: an id that names no member releases none. A
release by filters (--all with --campaign or --state) asks first on a
terminal, and is refused without --yes when standard input is not a
terminal.`,
		"  dialer member release 42 43\n  dialer member release --all --campaign demo-ivr --yes",
		"release", false, (*store.DB).ReleaseMembers, func(n, _ int) string {
			return fmt.Sprintf("released %d member(s)", n)
		})
}
