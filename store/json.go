package store

import "github.com/fsdialer/dialer/dialer/jsontime"

// MarshalJSON writes the entry with jsontime's times, as the dialer's
// other JSON output.
func (e BlockEntry) MarshalJSON() ([]byte, error) { return jsontime.Struct(e) }

// MarshalJSON writes the status with jsontime's times, as the dialer's
// other JSON output.
func (s DaemonStatus) MarshalJSON() ([]byte, error) { return jsontime.Struct(s) }

// MarshalJSON writes the report with jsontime's times, as the dialer's
// other JSON output.
func (r Report) MarshalJSON() ([]byte, error) { return jsontime.Struct(r) }
