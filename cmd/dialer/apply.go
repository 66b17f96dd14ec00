package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
	"github.com/spf13/cobra"
)

// findCampaign loads a campaign by name. An unknown name is an error that
// says where the name came from: "" for an argument, or a flag such as
// "--campaign".
func findCampaign(ctx context.Context, db *store.DB, name, flag string) (*dialer.Campaign, error) {
	c, err := db.Campaign(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		if flag != "" {
			return nil, fmt.Errorf("%s: no campaign named %q", flag, name)
		}
		return nil, fmt.Errorf("no campaign named %q", name)
	}
	return c, err
}

// withStore opens the configured database for the length of fn.
func (a *app) withStore(ctx context.Context, fn func(db *store.DB) error) error {
	db, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}

// applySpec describes an `apply -f FILE` command: how to read the file and
// how to store what it holds.
type applySpec[T any] struct {
	kind, short, long, example string
	read                       func(r io.Reader, source string) (T, error)
	apply                      func(ctx context.Context, db *store.DB, v T) (name string, change store.Change, err error)
}

// newApplyCmd builds an `apply -f FILE` command: read and validate the
// whole file first (nothing is written when it is bad), then apply it and
// say what changed, or with --dry-run what would change.
func newApplyCmd[T any](a *app, s applySpec[T]) *cobra.Command {
	var file string
	var dryRun bool
	cmd := &cobra.Command{
		Use:     "apply -f FILE",
		Short:   s.short,
		Long:    s.long + "\n\n" + dryRunHelp,
		Example: s.example,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, source, err := openInput(cmd, file)
			if err != nil {
				return err
			}
			defer in.Close()
			v, err := s.read(in, source)
			if err != nil {
				return err
			}
			return a.withApplyStore(cmd.Context(), dryRun, func(db *store.DB) error {
				name, change, err := s.apply(cmd.Context(), db, v)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), applied(s.kind, name, change, dryRun))
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", s.kind+" file (YAML or JSON; - for stdin)")
	addDryRunFlag(cmd, &dryRun)
	cmd.MarkFlagRequired("file")
	return cmd
}

// dryRunHelp is the apply commands' paragraph on --dry-run.
const dryRunHelp = `--dry-run checks the file against the database as an apply would (names
it refers to must exist) and says what would be created, updated or left
unchanged, and writes nothing.`

func addDryRunFlag(cmd *cobra.Command, dryRun *bool) {
	cmd.Flags().BoolVar(dryRun, "dry-run", false, "check and say what would change; write nothing")
}

// withApplyStore opens the database for an apply or an import for the
// length of fn. With dryRun every change is checked and rolled back, and a
// database that does not exist yet is not created: the dry run goes
// against an empty one that is thrown away.
func (a *app) withApplyStore(ctx context.Context, dryRun bool, fn func(db *store.DB) error) error {
	if !dryRun {
		return a.withStore(ctx, fn)
	}
	path := a.cfg.Database
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && !store.IsPostgres(path) {
		dir, err := os.MkdirTemp("", "dialer-dry-run-")
		if err != nil {
			return fmt.Errorf("dry run: %w", err)
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "empty.db")
	}
	db, err := store.Open(ctx, path, store.WithClock(a.now))
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetDryRun()
	return fn(db)
}

// applied says what an apply did to one named thing, or would do.
func applied(kind, name string, change store.Change, dryRun bool) string {
	if !dryRun {
		return fmt.Sprintf("%s %s %s", kind, name, change)
	}
	if change == store.Unchanged {
		return fmt.Sprintf("dry run: %s %s would be unchanged; nothing was written", kind, name)
	}
	return fmt.Sprintf("dry run: %s %s would be %s; nothing was written", kind, name, change)
}
