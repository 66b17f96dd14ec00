package dialer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
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
//
// The document is first read as a node tree and checked against v's type
// (nodeChecker), so that a misspelt key or a value of the wrong kind is
// reported as the file names it, with its line: "line 7: limits.lines:
// "ten" is not a whole number", "line 5: limts: unknown field (did you
// mean limits?)", every one of them at once, as a *ValidationError.
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
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("%s: %s", source, yamlMessage(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: holds more than one document", source)
	}
	var p problems
	c := nodeChecker{p: &p, budget: maxCheckedNodes}
	c.check(&doc, reflect.TypeOf(v).Elem(), "")
	if err := p.err(); err != nil {
		err.(*ValidationError).Source = source
		return err
	}
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(v); err != nil {
		return fmt.Errorf("%s: %s", source, yamlMessage(err))
	}
	return nil
}

// maxCheckedNodes bounds the nodes a nodeChecker visits, aliases followed:
// a few aliases of aliases can stand for billions of nodes.
const maxCheckedNodes = 1 << 20

var (
	durationType    = reflect.TypeOf(Duration(0))
	ratioType       = reflect.TypeOf(Ratio(0))
	calendarRefType = reflect.TypeOf(CalendarRef{})
	calendarType    = reflect.TypeOf(CalendarSpec{})
)

// nodeChecker walks a YAML node tree against the Go type it will be
// decoded into and adds a problem, with the file's line and field path,
// for each key the type does not have and each value it cannot hold.
type nodeChecker struct {
	p      *problems
	budget int
}

// maxDecodeProblems bounds the problems one document reports: past them
// the file is likely not what the command expects at all.
const maxDecodeProblems = 50

// add adds a problem, and stops the walk once there are too many.
func (c *nodeChecker) add(line int, path, format string, args ...any) {
	if c.budget <= 0 {
		return
	}
	c.p.addAt(line, path, format, args...)
	if len(c.p.list) == maxDecodeProblems {
		c.p.addAt(line, "", "more problems follow; fix these first")
		c.budget = 0
	}
}

func (c *nodeChecker) check(n *yaml.Node, t reflect.Type, path string) {
	if c.budget <= 0 {
		return
	}
	c.budget--
	if c.budget == 0 {
		c.p.addAt(n.Line, path, "too many nodes or aliases to check")
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			c.check(n.Content[0], t, path)
		}
		return
	case yaml.AliasNode:
		c.check(n.Alias, t, path)
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // the zero value
	}
	switch t {
	case durationType:
		if n.Kind != yaml.ScalarNode {
			c.add(n.Line, path, "expected a duration, found %s", describeNode(n))
		} else if _, err := parseDuration(n.Value); err != nil {
			c.add(n.Line, path, "%v", err)
		}
		return
	case ratioType:
		if n.Kind != yaml.ScalarNode {
			c.add(n.Line, path, "expected a share (3%% or 0.03), found %s", describeNode(n))
		} else if _, err := parseRatio(n.Value); err != nil {
			c.add(n.Line, path, "%v", err)
		}
		return
	case calendarRefType:
		switch n.Kind {
		case yaml.ScalarNode:
		case yaml.MappingNode:
			c.check(n, calendarType, path)
		default:
			c.add(n.Line, path, "expected a calendar name or a mapping, found %s", describeNode(n))
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		c.check(n, t.Elem(), path)
	case reflect.Struct:
		if c.expect(n, yaml.MappingNode, path) {
			c.checkStruct(n, t, path)
		}
	case reflect.Map:
		if c.expect(n, yaml.MappingNode, path) {
			c.checkMap(n, t, path)
		}
	case reflect.Slice, reflect.Array:
		if c.expect(n, yaml.SequenceNode, path) {
			for i, item := range n.Content {
				c.check(item, t.Elem(), index(path, i))
			}
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			c.add(n.Line, path, "expected text, found %s", describeNode(n))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		c.checkScalar(n, t, path, "!!int", "a whole number", "the number")
	case reflect.Float32, reflect.Float64:
		if n.ShortTag() == "!!int" {
			return
		}
		c.checkScalar(n, t, path, "!!float", "a number", "the number")
	case reflect.Bool:
		c.checkScalar(n, t, path, "!!bool", "true or false", "true or false")
	}
}

// expect adds a problem unless n is of kind want.
func (c *nodeChecker) expect(n *yaml.Node, want yaml.Kind, path string) bool {
	if n.Kind == want {
		return true
	}
	what := "a mapping (key: value)"
	if want == yaml.SequenceNode {
		what = "a list"
	}
	c.add(n.Line, path, "expected %s, found %s", what, describeNode(n))
	return false
}

// checkScalar checks a number or boolean: a scalar YAML resolves to tag,
// that fits t. what names the kind in messages ("a whole number"), bare
// how to write it instead of quoted text ("the number").
func (c *nodeChecker) checkScalar(n *yaml.Node, t reflect.Type, path, tag, what, bare string) {
	switch {
	case n.Kind != yaml.ScalarNode:
		c.add(n.Line, path, "expected %s, found %s", what, describeNode(n))
	case n.ShortTag() == tag:
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			c.add(n.Line, path, "%s is out of range", n.Value)
		}
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 && resolvesTo(n.Value, tag):
		c.add(n.Line, path, "%q is quoted text: write %s without quotes", n.Value, bare)
	default:
		c.add(n.Line, path, "%s is not %s", describeNode(n), what)
	}
}

// resolvesTo reports whether s, written without quotes, would be read as
// a value of tag.
func resolvesTo(s, tag string) bool {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(s), &n); err != nil || len(n.Content) != 1 {
		return false
	}
	return n.Content[0].Kind == yaml.ScalarNode && n.Content[0].ShortTag() == tag
}

// checkStruct checks the keys of a mapping against the yaml names of t's
// fields, and each value against its field's type.
func (c *nodeChecker) checkStruct(n *yaml.Node, t reflect.Type, path string) {
	fields, names, kept := yamlFields(t)
	c.eachKey(n, path, t, func(key *yaml.Node, value *yaml.Node) {
		f, ok := fields[key.Value]
		if !ok && kept[key.Value] {
			c.add(key.Line, join(path, key.Value), "not read from a file: the dialer keeps it (change it with the CLI or the API)")
			return
		}
		if !ok {
			reason := "unknown field"
			if s := suggest(key.Value, names); s != "" {
				reason += " (did you mean " + s + "?)"
			}
			c.add(key.Line, join(path, key.Value), "%s", reason)
			return
		}
		c.check(value, f, join(path, key.Value))
	})
}

// checkMap checks each value of a mapping against the map's value type.
func (c *nodeChecker) checkMap(n *yaml.Node, t reflect.Type, path string) {
	c.eachKey(n, path, t, func(key *yaml.Node, value *yaml.Node) {
		c.check(value, t.Elem(), join(path, key.Value))
	})
}

// eachKey calls fn with each key and value of mapping n, once per key:
// merge keys (<<) are followed as the YAML merge rules say, and a key
// given twice is a problem.
func (c *nodeChecker) eachKey(n *yaml.Node, path string, t reflect.Type, fn func(key, value *yaml.Node)) {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		if key.Kind == yaml.ScalarNode && key.ShortTag() == "!!merge" {
			merged := []*yaml.Node{value}
			if value.Kind == yaml.SequenceNode {
				merged = value.Content
			}
			for _, m := range merged {
				c.check(m, t, path)
			}
			continue
		}
		if key.Kind != yaml.ScalarNode {
			c.add(key.Line, path, "a key must be text, found %s", describeNode(key))
			continue
		}
		if first, dup := seen[key.Value]; dup {
			c.add(key.Line, join(path, key.Value), "given twice (first at line %d)", first)
			continue
		}
		seen[key.Value] = key.Line
		fn(key, value)
	}
}

// yamlFields maps the keys a struct type takes in a file to their types,
// and lists them in field order for suggestions. Fields marked inline are
// flattened, as yaml.v3 does. kept holds the names of the fields files
// never carry (yaml:"-", such as an agent's live state), as the JSON
// output writes them.
func yamlFields(t reflect.Type) (fields map[string]reflect.Type, names []string, kept map[string]bool) {
	fields, kept = map[string]reflect.Type{}, map[string]bool{}
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() && !f.Anonymous {
				continue
			}
			tag := f.Tag.Get("yaml")
			if tag == "-" {
				name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				if name == "" || name == "-" {
					name = strings.ToLower(f.Name)
				}
				kept[name] = true
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if strings.Contains(","+opts+",", ",inline,") && f.Type.Kind() == reflect.Struct {
				add(f.Type)
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			fields[name] = f.Type
			names = append(names, name)
		}
	}
	add(t)
	return fields, names, kept
}

// suggest returns the name closest to a misspelt key, or "" when none is
// close: at most two edits away, and fewer edits than the key has letters.
func suggest(key string, names []string) string {
	best, bestDist := "", 3
	for _, name := range names {
		if d := editDistance(strings.ToLower(key), name); d < bestDist && d < len(key) {
			best, bestDist = name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// describeNode says what a node holds the way a message quotes it: a
// list, a mapping, text in quotes, a number or boolean as written.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return describeNode(n.Alias)
	}
	v := n.Value
	if r := []rune(v); len(r) > 40 {
		v = string(r[:39]) + "…"
	}
	if n.ShortTag() == "!!str" || n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		return strconv.Quote(v)
	}
	return v
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
