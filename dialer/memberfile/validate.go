package memberfile

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fsdialer/dialer/dialer/phone"
)

// maxValueLen bounds every text value of a member.
const maxValueLen = 1024

// defaultPriority is the priority of a member that gives none.
const defaultPriority = 3

// validator checks field values. Each worker has its own, so its caches need
// no lock.
type validator struct {
	o        Options
	timezone map[string]string // zone name -> "" or the reason it is refused
}

func newValidator(o Options) *validator {
	return &validator{o: o, timezone: map[string]string{}}
}

// addNumber normalises raw and appends it to the record's numbers, or fails
// the record. It reports whether the record is still good.
func (v *validator) addNumber(rec *record, field, raw, typ string, position int) bool {
	e164, err := phone.Normalize(raw, v.o.DefaultRegion)
	if err != nil {
		rec.fail(field, err.Error())
		return false
	}
	for i, n := range rec.member.Numbers {
		if n.Number == e164 {
			rec.fail(field, fmt.Sprintf("duplicate number %s: already in %s of this row", e164, rec.numberFields[i]))
			return false
		}
	}
	rec.member.Numbers = append(rec.member.Numbers, Number{Number: e164, Type: typ, Position: position})
	rec.numberFields = append(rec.numberFields, field)
	return true
}

// priorityText parses a priority given as text; "" means the default.
func priorityText(s string) (int, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return defaultPriority, ""
	}
	p, err := strconv.Atoi(s)
	if err != nil || p < 1 || p > 5 {
		return 0, fmt.Sprintf("priority %q: want a whole number from 1 (highest) to 5", s)
	}
	return p, ""
}

// checkPriority checks a priority given as a number.
func checkPriority(p int) string {
	if p < 1 || p > 5 {
		return fmt.Sprintf("priority %d: want a whole number from 1 (highest) to 5", p)
	}
	return ""
}

// zone checks an IANA time zone name; "" is no zone.
func (v *validator) zone(name string) (string, string) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", ""
	}
	reason, ok := v.timezone[name]
	if !ok {
		if name == "Local" {
			reason = `timezone "Local": want an IANA name such as "Europe/London"`
		} else if _, err := time.LoadLocation(name); err != nil {
			reason = fmt.Sprintf("timezone %q: not a known IANA time zone", name)
		}
		v.timezone[name] = reason
	}
	if reason != "" {
		return "", reason
	}
	return name, ""
}

// expiry parses an expiry: RFC 3339, or a local "2006-01-02 15:04" or
// "2006-01-02" (start of that day) in the configured location; "" is none.
func (v *validator) expiry(s string) (time.Time, string) { return v.instant("expiry", s) }

// notBefore reads a not_before value, as expiry reads an expiry.
func (v *validator) notBefore(s string) (time.Time, string) { return v.instant("not_before", s) }

// window says why a member's call window is empty, or "".
func window(notBefore, notAfter time.Time) string {
	if notBefore.IsZero() || notAfter.IsZero() || notBefore.Before(notAfter) {
		return ""
	}
	return fmt.Sprintf("not_before %s is not before the expiry (not_after) %s", notBefore.Format(time.RFC3339), notAfter.Format(time.RFC3339))
}

func (v *validator) instant(what, s string) (time.Time, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, ""
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), ""
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, v.o.Location); err == nil {
			return t.UTC(), ""
		}
	}
	return time.Time{}, fmt.Sprintf(`%s %q: want RFC 3339 ("2026-12-31T18:00:00Z"), "2006-01-02 15:04" or "2006-01-02"`, what, s)
}

// notUTF8 is checkValue's reason for text that is not UTF-8.
const notUTF8 = "value is not valid UTF-8"

// checkValue says why s cannot be a member's text value, or "".
func checkValue(s string) string {
	if len(s) > maxValueLen {
		return fmt.Sprintf("value is %d bytes long, more than %d", len(s), maxValueLen)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return fmt.Sprintf("value has control character 0x%02X at byte %d", c, i+1)
		}
	}
	if !utf8.ValidString(s) {
		return notUTF8
	}
	return ""
}

// encodeCSV re-encodes a record as one CSV line (without the line break).
func encodeCSV(fields []string) string {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(fields); err != nil {
		return strings.Join(fields, ",")
	}
	w.Flush()
	return strings.TrimSuffix(buf.String(), "\n")
}
