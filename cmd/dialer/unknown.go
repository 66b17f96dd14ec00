package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// refuseUnknownSubcommands makes every command group below root (a command
// with subcommands and nothing of its own to run) fail on a word that is
// not one of its subcommands, with cobra's suggestions, instead of printing
// its help and exiting 0: a cron job must not read "dialer campaign strat"
// as done. The group alone still prints its help. Root is left to cobra,
// which already refuses unknown commands there.
//
// The flag error function set on root applies to every command: an unknown
// flag after an unknown subcommand ("dialer member imprt --campaign c")
// reports the subcommand, the real mistake, not the flag.
func refuseUnknownSubcommands(root *cobra.Command) {
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
		if cmd.SuggestionsMinimumDistance <= 0 {
			// cobra's distance, which it sets only when it suggests itself.
			cmd.SuggestionsMinimumDistance = 2
		}
		if cmd == root || !cmd.HasSubCommands() || cmd.Runnable() {
			return
		}
		cmd.Args = func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return unknownCommand(cmd, args[0])
			}
			return nil
		}
		cmd.RunE = func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		}
	}
	walk(root)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		if !cmd.HasSubCommands() {
			return err
		}
		if args := cmd.Flags().Args(); len(args) > 0 {
			return unknownCommand(cmd, args[0])
		}
		return fmt.Errorf("%w (%q takes a subcommand first, its flags after it; see %s --help)",
			err, cmd.CommandPath(), cmd.CommandPath())
	})
}

// unknownCommand is cobra's own error for a word that names no subcommand
// of cmd, with the subcommands it is close to.
func unknownCommand(cmd *cobra.Command, word string) error {
	msg := fmt.Sprintf("unknown command %q for %q", word, cmd.CommandPath())
	if suggestions := cmd.SuggestionsFor(word); len(suggestions) > 0 {
		msg += "\n\nDid you mean this?\n"
		for _, s := range suggestions {
			msg += "\t" + s + "\n"
		}
	}
	return fmt.Errorf("%s\nRun '%s --help' for the list of subcommands", msg, cmd.CommandPath())
}
