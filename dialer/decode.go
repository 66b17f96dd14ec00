package dialer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxDocumentSize bounds campaign, calendar and agent files.
const MaxDocumentSize = 4 << 20

// UnmarshalYAML reads a calendar name (string) or an inline calendar (mapping).
func (r *CalendarRef) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		r.Name = n.Value
		return nil
	case yaml.MappingNode:
		var spec CalendarSpec
		if err := decodeStrict(n, &spec); err != nil {
			return err
		}
		r.Inline = &spec
		return nil
	}
	return fmt.Errorf("line %d: calendar must be a name or a mapping", n.Line)
}

// MarshalYAML writes the name or the inline calendar.
func (r CalendarRef) MarshalYAML() (any, error) {
	if r.Inline != nil {
		return r.Inline, nil
	}
	return r.Name, nil
}

// MarshalJSON writes the name or the inline calendar.
func (r CalendarRef) MarshalJSON() ([]byte, error) {
	if r.Inline != nil {
		return json.Marshal(r.Inline)
	}
	return json.Marshal(r.Name)
}

// UnmarshalJSON reads a calendar name or an inline calendar.
func (r *CalendarRef) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err == nil {
		r.Name = name
		return nil
	}
	var spec CalendarSpec
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		return err
	}
	r.Inline = &spec
	return nil
}

// decodeStrict decodes a node refusing unknown keys, which are nearly
// always typos that would otherwise silently fall back to defaults.
func decodeStrict(n *yaml.Node, v any) error {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(n); err != nil {
		return err
	}
	dec := yaml.NewDecoder(&buf)
	dec.KnownFields(true)
	return dec.Decode(v)
}

// readDocument reads one YAML or JSON document (JSON is YAML) from r into
// v, refusing unknown fields, extra documents and oversized input. source
// names the file in errors.
func readDocument(r io.Reader, source string, v any) error {
	data, err := io.ReadAll(io.LimitReader(r, MaxDocumentSize+1))
	if err != nil {
		return fmt.Errorf("read %s: %w", source, err)
	}
	if len(data) > MaxDocumentSize {
		return fmt.Errorf("%s: larger than %d bytes", source, MaxDocumentSize)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return fmt.Errorf("%s: empty document", source)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %s", source, yamlMessage(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: holds more than one document", source)
	}
	return nil
}

// yamlMessage strips the library's "yaml: " prefixes so errors read as
// "line 4: field prioritee not found in type ...".
func yamlMessage(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return strings.Join(te.Errors, "; ")
	}
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

// ReadCampaign reads, normalises and validates a campaign file. source
// names the file in errors ("-" for standard input).
func ReadCampaign(r io.Reader, source string) (*Campaign, error) {
	var c Campaign
	if err := readDocument(r, source, &c); err != nil {
		return nil, err
	}
	c.Normalize()
	if err := c.Validate(); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			ve.Source = source
		}
		return nil, err
	}
	return &c, nil
}

// ReadCalendar reads and validates a calendar file.
func ReadCalendar(r io.Reader, source string) (*CalendarSpec, error) {
	var s CalendarSpec
	if err := readDocument(r, source, &s); err != nil {
		return nil, err
	}
	var p problems
	if s.Name == "" {
		p.add("name", "required")
	}
	s.build("", &p)
	if err := p.err(); err != nil {
		err.(*ValidationError).Source = source
		return nil, err
	}
	return &s, nil
}
