// Package cause is the table of hangup causes the dialer knows, FreeSWITCH's
// 82 (with their Q.850 codes) and the dialer's own, each with the class it
// takes by default when an unanswered call ends with it, and the per-campaign
// Map that overrides those defaults.
//
// The default classes follow one idea: a cause that says the number is alive
// but was not reached is retry (counted); a cause that says the number is bad
// or the callee refuses is error (stop); a cause that says our route, carrier,
// switch or configuration failed is minus (not counted, because a broken
// gateway must not use up members; the retry policy bounds minus outcomes so
// it cannot loop either). Only NORMAL_CLEARING and SUCCESS are ok, and the
// retry decision counts them as ok only for answered calls.
package cause

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Cause is one hangup cause and its default class.
type Cause struct {
	// Name is the FreeSWITCH name, e.g. "USER_BUSY", or the dialer's own.
	Name string
	// Q850 is the Q.850 code, which is FreeSWITCH's enum value (above 127 for
	// FreeSWITCH's own causes); 0 for NONE and for the dialer's causes.
	Q850 int
	// Class is the default class of an unanswered call ending with this cause.
	Class Class
	// Dialer is true for the dialer's own causes.
	Dialer bool
	// Description says in one line what the cause means and why its class.
	Description string
}

// byName indexes table by name.
var byName = func() map[string]int {
	m := make(map[string]int, len(table))
	for i, c := range table {
		m[c.Name] = i
	}
	return m
}()

// All returns every known cause: FreeSWITCH's 82 in enum order, then the
// dialer's own. The slice is a copy the caller may keep or change.
func All() []Cause { return slices.Clone(table) }

// FreeSWITCH returns FreeSWITCH's 82 causes in enum order, as a copy.
func FreeSWITCH() []Cause { return slices.Clone(table[:freeswitchCount]) }

// Lookup finds a cause by its exact (upper-case) name.
func Lookup(name string) (Cause, bool) {
	i, ok := byName[name]
	if !ok {
		return Cause{}, false
	}
	return table[i], true
}

// IsKnown reports whether name is a cause in the table.
func IsKnown(name string) bool {
	_, ok := byName[name]
	return ok
}

// Map is a campaign's cause classes: its overrides on top of the table's
// defaults, and a class for causes the table does not know.
type Map struct {
	// Overrides sets the class of a cause by name, beating the table.
	Overrides map[string]Class
	// Default is the class of a cause that is neither overridden nor in the
	// table; empty means Retry, which counts the attempt, so an unknown cause
	// neither stops a member nor loops it.
	Default Class
}

// Class returns the class of the named cause: the campaign's override, else
// the table's default, else m.Default (Retry when empty).
func (m Map) Class(name string) Class {
	if c, ok := m.Overrides[name]; ok {
		return c
	}
	if i, ok := byName[name]; ok {
		return table[i].Class
	}
	if m.Default == "" {
		return Retry
	}
	return m.Default
}

// Validate checks that every override names a known cause and a valid class
// and that the default class is valid. Each problem is one error naming the
// cause, e.g. "USER_BUZY: unknown cause"; they are joined in name order.
func (m Map) Validate() error {
	var errs []error
	if m.Default != "" && !m.Default.Valid() {
		errs = append(errs, fmt.Errorf("default: unknown class %q (want ok, retry, error or minus)", m.Default))
	}
	names := make([]string, 0, len(m.Overrides))
	for name := range m.Overrides {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		switch {
		case IsKnown(name):
		case IsKnown(strings.ToUpper(strings.TrimSpace(name))):
			errs = append(errs, fmt.Errorf("%s: unknown cause (cause names are upper case: %s)", name, strings.ToUpper(strings.TrimSpace(name))))
			continue
		default:
			errs = append(errs, fmt.Errorf("%s: unknown cause", name))
			continue
		}
		if c := m.Overrides[name]; !c.Valid() {
			errs = append(errs, fmt.Errorf("%s: unknown class %q (want ok, retry, error or minus)", name, c))
		}
	}
	return errors.Join(errs...)
}
