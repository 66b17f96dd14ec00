package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// addYesFlag gives a command that deletes or resets in bulk its --yes.
func addYesFlag(cmd *cobra.Command, yes *bool) {
	cmd.Flags().BoolVarP(yes, "yes", "y", false, "do it without asking")
}

// errNotConfirmed is the answer no (or no answer) to a confirmation.
var errNotConfirmed = errors.New("not confirmed: nothing was changed")

// confirm asks before a destructive or bulk change, phrased as action
// ("reset 1234 members of survey-ivr"). With yes it does not ask. On a
// terminal it asks and goes on only on y or yes; when standard input is
// not a terminal (a script, cron) nobody can answer, so it refuses.
func confirm(cmd *cobra.Command, yes bool, action string) error {
	if yes {
		return nil
	}
	in := cmd.InOrStdin()
	if !readsTerminal(in) {
		return fmt.Errorf("refusing to %s without --yes (standard input is not a terminal to ask on)", action)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%s? [y/N] ", action)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(cmd.ErrOrStderr())
		return errNotConfirmed
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return errNotConfirmed
}

// readsTerminal reports whether r is a terminal the operator types on.
func readsTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// plural is "1 member" or "3 members".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
