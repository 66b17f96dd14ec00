package main

import "github.com/fsdialer/dialer/dialer/jsontime"

// The status views write their times as RFC 3339 in UTC with milliseconds
// (null when unset), as every JSON and YAML output does.

func (v statusView) MarshalJSON() ([]byte, error) { return jsontime.Struct(v) }

func (d daemonView) MarshalJSON() ([]byte, error) { return jsontime.Struct(d) }
