package dialer

import (
	"encoding/json"
	"sort"

	"github.com/fsdialer/dialer/dialer/jsontime"
)

// The types below write their times as RFC 3339 in UTC with milliseconds
// (null when unset) and their durations as strings, through
// jsontime.Struct: the CLI's -o json and -o yaml, the HTTP API and the
// exports all read the same.

// MarshalJSON writes the member with jsontime's times.
func (m Member) MarshalJSON() ([]byte, error) { return jsontime.Struct(m) }

// MarshalJSON writes the attempt with jsontime's times and billsec in
// seconds.
func (a Attempt) MarshalJSON() ([]byte, error) { return jsontime.Struct(a) }

// MarshalJSON writes the callback with jsontime's times.
func (c Callback) MarshalJSON() ([]byte, error) { return jsontime.Struct(c) }

// MarshalJSON writes the counts with jsontime's times.
func (c CallbackCounts) MarshalJSON() ([]byte, error) { return jsontime.Struct(c) }

// MarshalJSON writes the agent with jsontime's times.
func (a Agent) MarshalJSON() ([]byte, error) { return jsontime.Struct(a) }

// MarshalJSON writes the outcome with jsontime's times.
func (o ResultOutcome) MarshalJSON() ([]byte, error) { return jsontime.Struct(o) }

// MarshalJSON writes the request with jsontime's times.
func (r CallRequest) MarshalJSON() ([]byte, error) { return jsontime.Struct(r) }

// weekDays are the day keys of a calendar's weekly periods in week order.
var weekDays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// Weekly is a calendar's weekly periods by day key (mon ... sun).
type Weekly map[string][]string

// MarshalJSON writes the days in week order, not encoding/json's
// alphabetical one; keys that are not days follow, sorted.
func (w Weekly) MarshalJSON() ([]byte, error) {
	if w == nil {
		return []byte("null"), nil
	}
	keys := make([]string, 0, len(w))
	known := map[string]bool{}
	for _, d := range weekDays {
		known[d] = true
		if _, ok := w[d]; ok {
			keys = append(keys, d)
		}
	}
	var other []string
	for k := range w {
		if !known[k] {
			other = append(other, k)
		}
	}
	sort.Strings(other)
	keys = append(keys, other...)
	out := []byte{'{'}
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		key, _ := json.Marshal(k)
		periods, err := json.Marshal(w[k])
		if err != nil {
			return nil, err
		}
		out = append(append(append(out, key...), ':'), periods...)
	}
	return append(out, '}'), nil
}
