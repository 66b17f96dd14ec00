// Package jsontime writes times and durations the way every JSON output of
// the dialer does (the CLI's -o json and -o yaml, the HTTP API, exports):
// times as RFC 3339 in UTC with milliseconds (2026-11-23T15:00:00.000Z),
// null when unset, and durations as strings ("5s", "1h30m0s").
package jsontime

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Layout is RFC 3339 with milliseconds; times are written in UTC.
const Layout = "2006-01-02T15:04:05.000Z07:00"

// Format writes t in Layout, in UTC.
func Format(t time.Time) string { return t.UTC().Format(Layout) }

// Time is a time.Time that encodes as Layout in UTC, or null when zero.
type Time time.Time

// MarshalJSON writes the time in Layout, or null for the zero time.
func (t Time) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + Format(time.Time(t)) + `"`), nil
}

// UnmarshalJSON reads an RFC 3339 time, or null as the zero time.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = Time{}
		return nil
	}
	var v time.Time
	if err := v.UnmarshalJSON(b); err != nil {
		return err
	}
	*t = Time(v)
	return nil
}

// Duration is a time.Duration that encodes as a string: "1m30s".
type Duration time.Duration

// MarshalJSON writes the duration as time.Duration.String does.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string such as "1m30s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration must be a string such as \"1m30s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Seconds is a time.Duration that encodes as a number of seconds with
// millisecond precision (12.345), the way billed time is written.
type Seconds time.Duration

// MarshalJSON writes the seconds with three decimals at most.
func (s Seconds) MarshalJSON() ([]byte, error) {
	ms := time.Duration(s).Round(time.Millisecond).Milliseconds()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	durationType = reflect.TypeFor[time.Duration]()
)

// Struct encodes a struct as encoding/json does, fields in order with their
// json tags (omitempty and omitzero honoured, embedded structs flattened),
// except that time.Time and *time.Time fields are written as Time (null
// when unset; left out instead when tagged omitempty or omitzero) and
// time.Duration and *time.Duration fields as Duration, or as Seconds when
// the tag has the option "seconds". A type with such fields gives it its MarshalJSON:
//
//	func (m Member) MarshalJSON() ([]byte, error) { return jsontime.Struct(m) }
func Struct(v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return []byte("null"), nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil, fmt.Errorf("jsontime.Struct: %s is not a struct", rv.Type())
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	first := true
	if err := writeFields(&buf, rv, &first); err != nil {
		return nil, err
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func writeFields(buf *bytes.Buffer, rv reflect.Value, first *bool) error {
	t := rv.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		fv := rv.Field(i)
		if f.Anonymous && name == "" {
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				fv = fv.Elem()
			}
			if fv.Kind() == reflect.Struct {
				if err := writeFields(buf, fv, first); err != nil {
					return err
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		val, skip := fieldValue(fv, opts)
		if skip {
			continue
		}
		b, err := json.Marshal(val)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", t.Name(), f.Name, err)
		}
		if !*first {
			buf.WriteByte(',')
		}
		*first = false
		key, _ := json.Marshal(name)
		buf.Write(key)
		buf.WriteByte(':')
		buf.Write(b)
	}
	return nil
}

// fieldValue is what a field is encoded as, or skip for an omitted one.
func fieldValue(fv reflect.Value, opts string) (any, bool) {
	has := func(o string) bool {
		for _, x := range strings.Split(opts, ",") {
			if x == o {
				return true
			}
		}
		return false
	}
	omit := has("omitempty") || has("omitzero")
	switch {
	case fv.Type() == timeType:
		t := fv.Interface().(time.Time)
		return Time(t), omit && t.IsZero()
	case fv.Kind() == reflect.Pointer && fv.Type().Elem() == timeType:
		if fv.IsNil() || fv.Elem().Interface().(time.Time).IsZero() {
			return nil, omit
		}
		return Time(*fv.Interface().(*time.Time)), false
	}
	if has("omitempty") && emptyValue(fv) || has("omitzero") && zeroValue(fv) {
		return nil, true
	}
	if fv.Kind() == reflect.Pointer && fv.Type().Elem() == durationType {
		if fv.IsNil() {
			return nil, false
		}
		fv = fv.Elem()
	}
	if fv.Type() == durationType {
		d := fv.Interface().(time.Duration)
		if has("seconds") {
			return Seconds(d), false
		}
		return Duration(d), false
	}
	return fv.Interface(), false
}

// emptyValue is encoding/json's test for omitempty.
func emptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// zeroValue is encoding/json's test for omitzero.
func zeroValue(v reflect.Value) bool {
	if z, ok := v.Interface().(interface{ IsZero() bool }); ok {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return true
		}
		return z.IsZero()
	}
	return v.IsZero()
}
