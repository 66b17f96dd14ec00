package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fsdialer/dialer/store"
	"github.com/mattn/go-runewidth"
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
// YAML is made from the JSON encoding, key order kept, so both formats
// have one schema: the json tags' snake_case names, times in RFC 3339 UTC
// with milliseconds or null, durations as strings.
func writeStructured(w io.Writer, format string, v any) (bool, error) {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return true, enc.Encode(v)
	case "yaml":
		b, err := json.Marshal(v)
		if err != nil {
			return true, err
		}
		n, err := yamlFromJSON(b)
		if err != nil {
			return true, err
		}
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		if err := enc.Encode(n); err != nil {
			return true, err
		}
		return true, enc.Close()
	}
	return false, nil
}

// yamlFromJSON turns a JSON document into a YAML node tree with the same
// keys in the same order.
func yamlFromJSON(b []byte) (*yaml.Node, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return yamlValue(dec)
}

func yamlValue(dec *json.Decoder) (*yaml.Node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if t == '{' {
			n.Kind, n.Tag = yaml.MappingNode, "!!map"
		}
		for dec.More() {
			if n.Kind == yaml.MappingNode {
				key, err := dec.Token()
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, yamlScalar("!!str", key.(string)))
			}
			v, err := yamlValue(dec)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, v)
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		return n, nil
	case string:
		return yamlScalar("!!str", t), nil
	case json.Number:
		if strings.ContainsAny(t.String(), ".eE") {
			return yamlScalar("!!float", t.String()), nil
		}
		return yamlScalar("!!int", t.String()), nil
	case bool:
		return yamlScalar("!!bool", fmt.Sprint(t)), nil
	}
	return yamlScalar("!!null", "null"), nil
}

func yamlScalar(tag, value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
}

func checkFormat(format string, allowed ...string) error {
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	return fmt.Errorf("--output %q: must be %s", format, joinOr(allowed))
}

// columns lays out tab-separated cells in aligned columns, padded by the
// width the text takes on a terminal: text/tabwriter counts runes, so a
// name in Chinese (two columns a character) or with a combining accent
// (none) pushed the next columns out of line. A cell ends with a tab; the
// text after a line's last tab is not aligned. Write everything, then
// Flush.
type columns struct {
	out io.Writer
	buf bytes.Buffer
}

// table returns a column writer for w; call Flush when done.
func table(w io.Writer) *columns { return &columns{out: w} }

func (c *columns) Write(p []byte) (int, error) { return c.buf.Write(p) }

// columnGap is the space between two columns.
const columnGap = 2

// Flush writes the buffered lines with their columns aligned.
func (c *columns) Flush() error {
	text := c.buf.String()
	c.buf.Reset()
	if text == "" {
		return nil
	}
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	rows := make([][]string, len(lines))
	var widths []int
	for i, l := range lines {
		rows[i] = strings.Split(strings.TrimSuffix(l, "\n"), "\t")
		for k, cell := range rows[i][:len(rows[i])-1] {
			if k == len(widths) {
				widths = append(widths, 0)
			}
			widths[k] = max(widths[k], runewidth.StringWidth(cell))
		}
	}
	var out strings.Builder
	for i, cells := range rows {
		var line strings.Builder
		for k, cell := range cells[:len(cells)-1] {
			line.WriteString(cell)
			line.WriteString(strings.Repeat(" ", widths[k]-runewidth.StringWidth(cell)+columnGap))
		}
		line.WriteString(cells[len(cells)-1])
		out.WriteString(strings.TrimRight(line.String(), " "))
		if strings.HasSuffix(lines[i], "\n") {
			out.WriteByte('\n')
		}
	}
	_, err := io.WriteString(c.out, out.String())
	return err
}

// tableTimeLayout is how every table shows a time: to the second, with
// its zone.
const tableTimeLayout = "2006-01-02 15:04:05 MST"

// tableTime shows t in a table in the machine's local zone (set TZ to
// read another), "-" when unset.
func tableTime(t time.Time) string { return tableTimeIn(t, time.Local) }

// tableTimeIn shows t in a table in loc, "-" when unset.
func tableTimeIn(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(loc).Format(tableTimeLayout)
}

// tableDuration shows d in a table: rounded to the second, or to the
// millisecond under a second.
func tableDuration(d time.Duration) string {
	if d > -time.Second && d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// runView is the body of a read-only command with -o: check the format,
// load the value from the store, then print it as JSON or YAML, or for
// people with table.
func runView[T any](a *app, cmd *cobra.Command, format string, allowed []string,
	load func(ctx context.Context, db *store.DB) (T, error), table func(w io.Writer, v T) error) error {
	if err := checkFormat(format, allowed...); err != nil {
		return err
	}
	return a.withStoreRead(cmd.Context(), func(db *store.DB) error {
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

// structuredFormats are the formats of commands that print one document.
var structuredFormats = []string{"yaml", "json"}
