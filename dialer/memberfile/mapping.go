package memberfile

import (
	"errors"
	"fmt"
	"strings"
)

// NumberColumn is a CSV column holding a phone number, and the type given to
// the numbers found there (e.g. "mobile"; may be empty).
type NumberColumn struct {
	Column string
	Type   string
}

// Mapping says which CSV columns hold the member's fields. Every column it
// does not name becomes a member variable named after its header.
type Mapping struct {
	Numbers     []NumberColumn // at least one
	Name        string         // column names; "" = not present
	Priority    string
	Timezone    string
	Expiry      string // also given as not_after: the end of the member's call window
	ExternalKey string
	NotBefore   string
}

// mappingKeys are the keys of a mapping spec, in the order String writes them.
var mappingKeys = []string{"numbers", "name", "priority", "timezone", "expiry", "key", "not_before"}

// ParseMapping reads a mapping from a flag value such as
//
//	numbers=phone1:mobile,phone2:home;name=full_name;priority=prio;timezone=tz;expiry=expires;key=crm_id;not_before=from
//
// Parts are separated by ';', numbers by ','; a number's type after ':' is
// optional. Spaces around names are ignored. not_after is another name for
// expiry (the end of the member's call window); not_before its start.
func ParseMapping(spec string) (Mapping, error) {
	var m Mapping
	seen := map[string]bool{}
	for part := range strings.SplitSeq(spec, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, value, ok := strings.Cut(part, "=")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if !ok || value == "" {
			return Mapping{}, fmt.Errorf("mapping: %q: want key=column", part)
		}
		if seen[key] {
			return Mapping{}, fmt.Errorf("mapping: key %q given twice", key)
		}
		seen[key] = true
		switch key {
		case "numbers":
			for item := range strings.SplitSeq(value, ",") {
				col, typ, _ := strings.Cut(item, ":")
				col, typ = strings.TrimSpace(col), strings.TrimSpace(typ)
				if col == "" {
					return Mapping{}, fmt.Errorf("mapping: numbers: %q: empty column name", value)
				}
				m.Numbers = append(m.Numbers, NumberColumn{Column: col, Type: typ})
			}
		case "name":
			m.Name = value
		case "priority":
			m.Priority = value
		case "timezone":
			m.Timezone = value
		case "expiry", "not_after":
			if m.Expiry != "" {
				return Mapping{}, fmt.Errorf("mapping: %s: not_after and expiry are the same field (the member's expiry): give one", key)
			}
			m.Expiry = value
		case "not_before":
			m.NotBefore = value
		case "key":
			m.ExternalKey = value
		default:
			return Mapping{}, fmt.Errorf("mapping: unknown key %q (want one of %s or not_after)", key, strings.Join(mappingKeys, ", "))
		}
	}
	if err := m.check(); err != nil {
		return Mapping{}, err
	}
	return m, nil
}

// String returns the mapping in the form ParseMapping reads.
func (m Mapping) String() string {
	var parts []string
	nums := make([]string, len(m.Numbers))
	for i, n := range m.Numbers {
		nums[i] = n.Column
		if n.Type != "" {
			nums[i] += ":" + n.Type
		}
	}
	parts = append(parts, "numbers="+strings.Join(nums, ","))
	for i, col := range []string{m.Name, m.Priority, m.Timezone, m.Expiry, m.ExternalKey, m.NotBefore} {
		if col != "" {
			parts = append(parts, mappingKeys[i+1]+"="+col)
		}
	}
	return strings.Join(parts, ";")
}

// columns returns the mapped column names with the role of each.
func (m Mapping) columns() []struct{ role, column string } {
	var cols []struct{ role, column string }
	for _, n := range m.Numbers {
		cols = append(cols, struct{ role, column string }{"numbers", n.Column})
	}
	for i, col := range []string{m.Name, m.Priority, m.Timezone, m.Expiry, m.ExternalKey, m.NotBefore} {
		if col != "" {
			cols = append(cols, struct{ role, column string }{mappingKeys[i+1], col})
		}
	}
	return cols
}

// check validates the mapping on its own: at least one number column, no
// column used twice, number types that are plain names.
func (m Mapping) check() error {
	if len(m.Numbers) == 0 {
		return errors.New("mapping: no number column (want numbers=column[:type],...)")
	}
	used := map[string]string{}
	for _, c := range m.columns() {
		if c.column == "" {
			return fmt.Errorf("mapping: %s: empty column name", c.role)
		}
		if prev, ok := used[c.column]; ok {
			return fmt.Errorf("mapping: column %q used for both %s and %s", c.column, prev, c.role)
		}
		used[c.column] = c.role
	}
	for _, n := range m.Numbers {
		if n.Type != "" && !validName(n.Type) {
			return fmt.Errorf("mapping: number type %q: want lowercase letters, digits and _, at most 64", n.Type)
		}
	}
	return nil
}

// Validate checks the mapping against a CSV header: every mapped column must
// be in it.
func (m Mapping) Validate(header []string) error {
	if err := m.check(); err != nil {
		return err
	}
	have := make(map[string]bool, len(header))
	for _, h := range header {
		have[h] = true
	}
	for _, c := range m.columns() {
		if !have[c.column] {
			return fmt.Errorf("mapping: column %q not in header (have: %s)", c.column, strings.Join(header, ", "))
		}
	}
	return nil
}

// validName reports whether s is a variable name: ^[a-z0-9_]{1,64}$.
func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}
