package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

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
