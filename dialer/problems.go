package dialer

import (
	"fmt"
	"strings"
)

// FieldError is one problem with one field of a campaign, calendar or agent
// file. Path uses the file's own key names: "calendar.weekly.mon[1]"; it
// is empty for the document as a whole. Line is the line of the file the
// problem is on when it is known (problems found while decoding), else 0.
type FieldError struct {
	Path   string
	Reason string
	Line   int
}

// Error returns "line 7: limits.lines: reason", leaving out what is unknown.
func (e FieldError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// ValidationError lists every problem found in one document, so a user can
// fix a file in one pass instead of one error per run.
type ValidationError struct {
	Source   string // file name or "-" for stdin; may be empty
	Problems []FieldError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		if e.Source != "" {
			b.WriteString(e.Source)
			b.WriteString(": ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// problems collects field errors while a document is checked.
type problems struct {
	list []FieldError
}

func (p *problems) add(path, format string, args ...any) {
	p.list = append(p.list, FieldError{Path: path, Reason: fmt.Sprintf(format, args...)})
}

// addAt adds a problem found on a line of the file.
func (p *problems) addAt(line int, path, format string, args ...any) {
	p.list = append(p.list, FieldError{Path: path, Reason: fmt.Sprintf(format, args...), Line: line})
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &ValidationError{Problems: p.list}
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }
