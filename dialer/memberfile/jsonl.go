package memberfile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// maxLineLen bounds a JSON line; a longer line is a row error.
const maxLineLen = 1 << 20

// jsonDecoder reads a JSON lines member file.
type jsonDecoder struct {
	br     *bufio.Reader
	line   int
	offset int64
	long   []byte
}

func newJSONDecoder(r io.Reader) *jsonDecoder {
	return &jsonDecoder{br: bufio.NewReaderSize(r, 64<<10)}
}

// jsonMember is the shape of one line.
type jsonMember struct {
	Name           string            `json:"name"`
	Priority       *int              `json:"priority"`
	Timezone       string            `json:"timezone"`
	ExpiresAt      string            `json:"expires_at"`
	NotAfter       string            `json:"not_after"`
	NotBefore      string            `json:"not_before"`
	ExternalKey    string            `json:"external_key"`
	Communications []json.RawMessage `json:"communications"`
	Variables      map[string]string `json:"variables"`
}

type jsonNumber struct {
	Number   string `json:"number"`
	Type     string `json:"type"`
	Position *int   `json:"position"`
}

func (d *jsonDecoder) fill(b *batch, n int) (bool, error) {
	defer func() { b.end = d.offset }()
	for len(b.recs) < n {
		text, tooLong, ok, err := d.readLine()
		if err != nil {
			return true, fmt.Errorf("read line %d: %w", d.line+1, err)
		}
		if !ok {
			return true, nil
		}
		d.line++
		switch {
		case tooLong:
			rec := record{line: d.line}
			rec.fail("", fmt.Sprintf("line longer than %d bytes", maxLineLen))
			b.recs = append(b.recs, rec)
		case len(bytes.TrimSpace(text)) > 0:
			b.recs = append(b.recs, record{line: d.line, text: string(text)})
		}
	}
	return false, nil
}

// readLine returns the next line without its line break and whether it was
// longer than maxLineLen (its text is then dropped); ok is false at the end
// of the input.
func (d *jsonDecoder) readLine() (line []byte, tooLong, ok bool, err error) {
	d.long = d.long[:0]
	read := 0
	for {
		chunk, err := d.br.ReadSlice('\n')
		d.offset += int64(len(chunk))
		read += len(chunk)
		if !tooLong {
			if len(d.long)+len(chunk) > maxLineLen+len("\r\n") {
				tooLong = true
				d.long = d.long[:0]
			} else {
				d.long = append(d.long, chunk...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if read == 0 {
				return nil, false, false, nil
			}
		case err != nil:
			return nil, false, false, err
		}
		line = bytes.TrimSuffix(bytes.TrimSuffix(d.long, []byte("\n")), []byte("\r"))
		return line, tooLong, true, nil
	}
}

func (d *jsonDecoder) validate(v *validator, rec *record) {
	var jm jsonMember
	dec := json.NewDecoder(strings.NewReader(rec.text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&jm); err != nil {
		field, reason := describeJSONError(err)
		rec.fail(field, reason)
		return
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		rec.fail("", "invalid JSON: more data after the object")
		return
	}
	comms := make([]jsonNumber, len(jm.Communications))
	for i, raw := range jm.Communications {
		// Decoded one by one so that errors name the element.
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&comms[i]); err != nil {
			field, reason := describeJSONError(err)
			path := "communications[" + strconv.Itoa(i) + "]"
			if field != "" {
				path += "." + field
			}
			rec.fail(path, reason)
			return
		}
	}
	rec.member = Member{Line: rec.line, Priority: defaultPriority}
	m := &rec.member
	if len(jm.Communications) == 0 {
		rec.fail("communications", "no phone number")
		return
	}
	positions := map[int]int{}
	for i, c := range comms {
		field := "communications[" + strconv.Itoa(i) + "]"
		pos := i + 1
		if c.Position != nil {
			pos = *c.Position
		}
		if pos < 1 {
			rec.fail(field+".position", fmt.Sprintf("position %d: want 1 or more", pos))
			return
		}
		if prev, dup := positions[pos]; dup {
			rec.fail(field+".position", fmt.Sprintf("position %d: already used by communications[%d]", pos, prev))
			return
		}
		positions[pos] = i
		if reason := checkValue(c.Type); reason != "" {
			rec.fail(field+".type", reason)
			return
		}
		if strings.TrimSpace(c.Number) == "" {
			rec.fail(field+".number", "no phone number")
			return
		}
		if !v.addNumber(rec, field+".number", c.Number, c.Type, pos) {
			return
		}
	}
	// Order the numbers, and where they came from, by position.
	idx := make([]int, len(m.Numbers))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return m.Numbers[idx[a]].Position < m.Numbers[idx[b]].Position })
	nums, fields := make([]Number, len(idx)), make([]string, len(idx))
	for i, j := range idx {
		nums[i], fields[i] = m.Numbers[j], rec.numberFields[j]
	}
	m.Numbers, rec.numberFields = nums, fields

	var reason string
	m.Name = strings.TrimSpace(jm.Name)
	if reason = checkValue(m.Name); reason != "" {
		rec.fail("name", reason)
		return
	}
	if jm.Priority != nil {
		if reason = checkPriority(*jm.Priority); reason != "" {
			rec.fail("priority", reason)
			return
		}
		m.Priority = *jm.Priority
	}
	if m.Timezone, reason = v.zone(jm.Timezone); reason != "" {
		rec.fail("timezone", reason)
		return
	}
	if m.ExpiresAt, reason = v.expiry(jm.ExpiresAt); reason != "" {
		rec.fail("expires_at", reason)
		return
	}
	if jm.NotAfter != "" {
		if jm.ExpiresAt != "" {
			rec.fail("not_after", "not_after and expires_at are the same field (the member's expiry): give one")
			return
		}
		if m.ExpiresAt, reason = v.instant("not_after", jm.NotAfter); reason != "" {
			rec.fail("not_after", reason)
			return
		}
	}
	if m.NotBefore, reason = v.notBefore(jm.NotBefore); reason == "" {
		reason = window(m.NotBefore, m.ExpiresAt)
	}
	if reason != "" {
		rec.fail("not_before", reason)
		return
	}
	m.ExternalKey = strings.TrimSpace(jm.ExternalKey)
	if reason = checkValue(m.ExternalKey); reason != "" {
		rec.fail("external_key", reason)
		return
	}
	if len(jm.Variables) > 0 {
		keys := make([]string, 0, len(jm.Variables))
		for k := range jm.Variables {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		m.Variables = make(map[string]string, len(keys))
		from := make(map[string]string, len(keys))
		for _, k := range keys {
			field := "variables." + k
			name := strings.ToLower(k)
			if !validName(name) {
				rec.fail(field, fmt.Sprintf("%q: not a variable name (want ^[a-z0-9_]{1,64}$ after lowercasing)", k))
				return
			}
			if prev, dup := from[name]; dup {
				rec.fail(field, fmt.Sprintf("%q: same variable as %q", k, prev))
				return
			}
			from[name] = k
			val := jm.Variables[k]
			if reason = checkValue(val); reason != "" {
				rec.fail(field, reason)
				return
			}
			m.Variables[name] = val
		}
	}
}

// describeJSONError turns a decoding error into a field and a reason.
func describeJSONError(err error) (string, string) {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return "", fmt.Sprintf("invalid JSON at byte %d: %s", syn.Offset, strings.TrimPrefix(syn.Error(), "json: "))
	case errors.As(err, &typ):
		if typ.Field == "" {
			return "", fmt.Sprintf("want an object, have %s", typ.Value)
		}
		return typ.Field, fmt.Sprintf("want %s, have %s", jsonKind(typ.Type.String()), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "", "invalid JSON: unexpected end of line"
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if unq, uerr := strconv.Unquote(name); uerr == nil {
			name = unq
		}
		return name, "unknown field"
	}
	return "", "invalid JSON: " + strings.TrimPrefix(err.Error(), "json: ")
}

// jsonKind names a Go type the way a JSON author would.
func jsonKind(goType string) string {
	switch {
	case strings.HasPrefix(goType, "*"):
		return jsonKind(goType[1:])
	case goType == "string":
		return "a string"
	case goType == "int":
		return "a whole number"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case strings.HasPrefix(goType, "map["), strings.HasPrefix(goType, "memberfile."):
		return "an object"
	}
	return goType
}
