package main

import (
	"fmt"
	"time"

	"github.com/fsdialer/dialer/store"
	"github.com/spf13/cobra"
)

func newDBCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Check and back up the database file",
		Long: `Check the SQLite database file for damage, and copy it to a backup while
the daemon keeps running.

A damaged file (a disk error, a copy taken while it was written, a file
overwritten in place) makes the daemon refuse to start, or stop dialing
and exit when it runs into the damage; restore the last good backup.

Both work on a SQLite database file only: with a postgres:// URL they
refuse, saying so (PostgreSQL checks its own pages; back it up with
pg_dump).`,
		Example: `  dialer db check
  dialer db backup dialer-backup.db`,
	}
	cmd.AddCommand(newDBCheckCmd(a), newDBBackupCmd(a))
	return cmd
}

// dbCheck is what `dialer db check` reports.
type dbCheck struct {
	Database string   `json:"database"`
	OK       bool     `json:"ok"`
	Problems []string `json:"problems"`
}

func newDBCheckCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check the database file for damage (exit status 1 when damaged)",
		Long: `Run SQLite's full integrity check (PRAGMA integrity_check: every page,
b-tree and index) and its foreign key check on the database, read-only,
and print ok or each problem found. The exit status is 1 when there is a
problem. It reads the whole file: some seconds for a million members.`,
		Example: "  dialer db check\n  dialer db check -o json",
		Args:    cobra.NoArgs,
	}
	out := addOutputFlag(cmd, "text", "json", "yaml")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := checkFormat(*out, "text", "json", "yaml"); err != nil {
			return err
		}
		file := a.cfg.Database
		found, err := store.IntegrityCheck(cmd.Context(), file)
		if err != nil {
			return err
		}
		v := dbCheck{Database: file, OK: len(found) == 0, Problems: found}
		if v.Problems == nil {
			v.Problems = []string{}
		}
		w := cmd.OutOrStdout()
		if ok, err := writeStructured(w, *out, v); ok {
			if err != nil {
				return err
			}
		} else if v.OK {
			fmt.Fprintf(w, "%s: ok\n", file)
		} else {
			fmt.Fprintf(w, "%s: %d problem(s):\n", file, len(found))
			for _, p := range found {
				fmt.Fprintf(w, "  %s\n", p)
			}
		}
		if !v.OK {
			return fmt.Errorf("database %s is damaged (%d problem(s)): restore it from a backup", file, len(found))
		}
		return nil
	}
	return cmd
}

func newDBBackupCmd(a *app) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "backup FILE",
		Short: "Copy the database to FILE, consistent even while the daemon runs",
		Long: `Copy the database to FILE with SQLite's online backup API: one consistent
copy, taken while the daemon keeps dialing. The copy is written to a
temporary file beside FILE, checked (PRAGMA quick_check), and only then
renamed to FILE, so FILE is never left half-written. The copy is readable
by its owner only (mode 0600): it holds the members' numbers.

An existing FILE is refused unless --force is given. To restore, stop the
daemon and put the backup in the database's place.`,
		Example: `  dialer db backup dialer-backup.db
  dialer db backup dialer-backup.db --force`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := store.Backup(cmd.Context(), a.cfg.Database, args[0], force)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backed up %s to %s: %s in %s\n", a.cfg.Database, res.File,
				byteSize(res.Size), res.Took.Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace FILE if it exists")
	return cmd
}

// byteSize writes a size for people: 512 B, 1.5 MiB.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
