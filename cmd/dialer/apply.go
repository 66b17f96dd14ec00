package main

import (
	"context"
	"errors"
	"fmt"
	"io"

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
// say what changed.
func newApplyCmd[T any](a *app, s applySpec[T]) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:     "apply -f FILE",
		Short:   s.short,
		Long:    s.long,
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
			return a.withStore(cmd.Context(), func(db *store.DB) error {
				name, change, err := s.apply(cmd.Context(), db, v)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s %s\n", s.kind, name, change)
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", s.kind+" file (YAML or JSON; - for stdin)")
	cmd.MarkFlagRequired("file")
	return cmd
}
