package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/fsdialer/dialer/store"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
)

// addOutputFlag adds -o/--output with the formats a command supports.
func addOutputFlag(cmd *cobra.Command, formats ...string) *string {
	return cmd.Flags().StringP("output", "o", formats[0], "output format: "+joinOr(formats))
}

func joinOr(s []string) string {
	out := ""
	for i, f := range s {
		switch {
		case i == 0:
		case i == len(s)-1:
			out += " or "
		default:
			out += ", "
		}
		out += f
	}
	return out
}

// writeStructured prints v as JSON or YAML; ok is false for other formats.
func writeStructured(w io.Writer, format string, v any) (bool, error) {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return true, enc.Encode(v)
	case "yaml":
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		if err := enc.Encode(v); err != nil {
			return true, err
		}
		return true, enc.Close()
	}
	return false, nil
}

func checkFormat(format string, allowed ...string) error {
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	return fmt.Errorf("--output %q: must be %s", format, joinOr(allowed))
}

// table returns a tab writer for aligned columns; call Flush when done.
func table(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// runView is the body of a read-only command with -o: check the format,
// load the value from the store, then print it as JSON or YAML, or for
// people with table.
func runView[T any](a *app, cmd *cobra.Command, format string, allowed []string,
	load func(ctx context.Context, db *store.DB) (T, error), table func(w io.Writer, v T) error) error {
	if err := checkFormat(format, allowed...); err != nil {
		return err
	}
	return a.withStore(cmd.Context(), func(db *store.DB) error {
		v, err := load(cmd.Context(), db)
		if err != nil {
			return err
		}
		if ok, err := writeStructured(cmd.OutOrStdout(), format, v); ok {
			return err
		}
		return table(cmd.OutOrStdout(), v)
	})
}

// viewFormats are the formats of list and show commands.
var viewFormats = []string{"table", "json", "yaml"}
