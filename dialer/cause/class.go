package cause

import (
	"fmt"
	"strings"
)

// Class is what an attempt's ending means for the member: done, try again
// (counted), stop, or try again without counting.
type Class string

// The four classes a cause maps to.
const (
	// OK is success: the member is done. Only an answered call can be OK.
	OK Class = "ok"
	// Retry counts the attempt; the member is due again after the interval
	// unless its attempts are used up.
	Retry Class = "retry"
	// Error stops calling the member at once; it ends with the cause.
	Error Class = "error"
	// Minus does not count the attempt; the member is due again after the
	// interval. The retry policy bounds how many minus outcomes in a row are
	// free, so a dead gateway cannot loop a member forever.
	Minus Class = "minus"
)

// Valid reports whether c is one of the four classes.
func (c Class) Valid() bool {
	switch c {
	case OK, Retry, Error, Minus:
		return true
	}
	return false
}

// ParseClass reads a class name as written in campaign files. Case and
// surrounding spaces are ignored so that "OK" and " retry" are accepted.
func ParseClass(s string) (Class, error) {
	c := Class(strings.ToLower(strings.TrimSpace(s)))
	if !c.Valid() {
		return "", fmt.Errorf("unknown class %q (want ok, retry, error or minus)", s)
	}
	return c, nil
}
