package memberfile

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// csvDecoder reads a CSV member file after its header.
type csvDecoder struct {
	rec    *recorder
	cr     *csv.Reader
	header []string
	plan   csvPlan
}

// csvPlan is the mapping resolved against the header.
type csvPlan struct {
	numbers                                  []planNumber
	name, priority, timezone, expiry, extKey int // column index, -1 if absent
	notBefore                                int
	varIndex                                 []int
	varName                                  []string
}

type planNumber struct {
	index int
	NumberColumn
}

func newCSVDecoder(r io.Reader, m Mapping, comma rune) (*csvDecoder, error) {
	br := bufio.NewReader(r)
	if err := sniffCSV(br); err != nil {
		return nil, err
	}
	rec := &recorder{r: br}
	cr := csv.NewReader(rec)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("empty file, expected a header line")
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, fmt.Errorf("line %d: header: %s", pe.StartLine, describeParseError(pe))
	}
	if err != nil {
		return nil, fmt.Errorf("read the header: %w", err)
	}
	line, _ := cr.FieldPos(0)
	header[0] = strings.TrimPrefix(header[0], "\ufeff")
	index := make(map[string]int, len(header))
	for i, h := range header {
		if h == "" {
			return nil, fmt.Errorf("line %d: column %d has no name", line, i+1)
		}
		if _, dup := index[h]; dup {
			return nil, fmt.Errorf("line %d: column %q appears twice", line, h)
		}
		index[h] = i
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	for _, c := range m.columns() {
		if _, ok := index[c.column]; !ok {
			return nil, missingColumn(line, c.column, header, comma)
		}
	}
	if err := m.Validate(header); err != nil {
		return nil, err
	}
	plan := csvPlan{name: -1, priority: -1, timezone: -1, expiry: -1, extKey: -1, notBefore: -1}
	mapped := map[int]bool{}
	for _, n := range m.Numbers {
		plan.numbers = append(plan.numbers, planNumber{index: index[n.Column], NumberColumn: n})
		mapped[index[n.Column]] = true
	}
	for _, f := range []struct {
		column string
		dst    *int
	}{{m.Name, &plan.name}, {m.Priority, &plan.priority}, {m.Timezone, &plan.timezone}, {m.Expiry, &plan.expiry}, {m.ExternalKey, &plan.extKey}, {m.NotBefore, &plan.notBefore}} {
		if f.column != "" {
			*f.dst = index[f.column]
			mapped[index[f.column]] = true
		}
	}
	varCol := map[string]string{}
	for i, h := range header {
		if mapped[i] {
			continue
		}
		name := strings.ToLower(h)
		if !validName(name) {
			return nil, fmt.Errorf("line %d: column %q: not a variable name (want ^[a-z0-9_]{1,64}$ after lowercasing), or map it", line, h)
		}
		if prev, dup := varCol[name]; dup {
			return nil, fmt.Errorf("line %d: columns %q and %q are the same variable %q", line, prev, h, name)
		}
		varCol[name] = h
		plan.varIndex = append(plan.varIndex, i)
		plan.varName = append(plan.varName, name)
	}
	rec.discard(cr.InputOffset())
	return &csvDecoder{rec: rec, cr: cr, header: header, plan: plan}, nil
}

func (d *csvDecoder) fill(b *batch, n int) (bool, error) {
	defer func() { b.end = d.cr.InputOffset() }()
	for len(b.recs) < n {
		start := d.cr.InputOffset()
		fields, err := d.cr.Read()
		if errors.Is(err, io.EOF) {
			return true, nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			end := d.cr.InputOffset()
			if pe.Err == csv.ErrQuote && pe.Line > pe.StartLine && d.rec.eof && end == d.rec.total() {
				return true, fmt.Errorf("line %d: quoted field not closed before the end of the file", pe.StartLine)
			}
			rec := record{line: pe.StartLine, text: strings.Trim(string(d.rec.text(start, end)), "\r\n")}
			rec.fail("", describeParseError(pe))
			b.recs = append(b.recs, rec)
			d.rec.discard(end)
			continue
		}
		if err != nil {
			return true, fmt.Errorf("read line %d: %w", d.lineAfter(), err)
		}
		line, _ := d.cr.FieldPos(0)
		b.recs = append(b.recs, record{line: line, fields: fields})
		d.rec.discard(d.cr.InputOffset())
	}
	return false, nil
}

// lineAfter is the line of the last record read, for errors that have none.
func (d *csvDecoder) lineAfter() int {
	line, _ := d.cr.FieldPos(0)
	return line + 1
}

func describeParseError(pe *csv.ParseError) string {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return fmt.Sprintf(`bad CSV: a " in an unquoted field (line %d, column %d); double it inside a quoted field`, pe.Line, pe.Column)
	case errors.Is(pe.Err, csv.ErrQuote):
		return fmt.Sprintf(`bad CSV: extraneous or missing " in a quoted field (line %d, column %d)`, pe.Line, pe.Column)
	}
	return "bad CSV: " + pe.Err.Error()
}

func (d *csvDecoder) validate(v *validator, rec *record) {
	f := rec.fields
	if len(f) != len(d.header) {
		rec.fail("", fmt.Sprintf("%d fields, the header has %d", len(f), len(d.header)))
		return
	}
	rec.member = Member{Line: rec.line, Priority: defaultPriority}
	m := &rec.member
	m.Numbers = make([]Number, 0, len(d.plan.numbers))
	rec.numberFields = make([]string, 0, len(d.plan.numbers))
	for _, pn := range d.plan.numbers {
		raw := strings.TrimSpace(f[pn.index])
		if raw == "" {
			continue
		}
		if !v.addNumber(rec, pn.Column, raw, pn.Type, len(m.Numbers)+1) {
			return
		}
	}
	if len(m.Numbers) == 0 {
		rec.fail(d.plan.numbers[0].Column, "no phone number in "+numberColumns(d.plan.numbers))
		return
	}
	var reason string
	if i := d.plan.name; i >= 0 {
		m.Name = strings.TrimSpace(f[i])
		if reason = csvValue(m.Name); reason != "" {
			rec.fail(d.header[i], reason)
			return
		}
	}
	if i := d.plan.priority; i >= 0 {
		if m.Priority, reason = priorityText(f[i]); reason != "" {
			rec.fail(d.header[i], reason)
			return
		}
	}
	if i := d.plan.timezone; i >= 0 {
		if m.Timezone, reason = v.zone(f[i]); reason != "" {
			rec.fail(d.header[i], reason)
			return
		}
	}
	if i := d.plan.expiry; i >= 0 {
		if m.ExpiresAt, reason = v.expiry(f[i]); reason != "" {
			rec.fail(d.header[i], reason)
			return
		}
	}
	if i := d.plan.notBefore; i >= 0 {
		if m.NotBefore, reason = v.notBefore(f[i]); reason == "" {
			reason = window(m.NotBefore, m.ExpiresAt)
		}
		if reason != "" {
			rec.fail(d.header[i], reason)
			return
		}
	}
	if i := d.plan.extKey; i >= 0 {
		m.ExternalKey = strings.TrimSpace(f[i])
		if reason = csvValue(m.ExternalKey); reason != "" {
			rec.fail(d.header[i], reason)
			return
		}
	}
	if len(d.plan.varIndex) > 0 {
		m.Variables = make(map[string]string, len(d.plan.varIndex))
		for k, i := range d.plan.varIndex {
			if reason := csvValue(f[i]); reason != "" {
				rec.fail(d.header[i], reason)
				return
			}
			m.Variables[d.plan.varName[k]] = f[i]
		}
	}
}

// csvValue is checkValue with a hint at --encoding for text that is not
// UTF-8: a CSV file saved by a spreadsheet is often Latin-1 or
// Windows-1252.
func csvValue(s string) string {
	reason := checkValue(s)
	if reason == notUTF8 {
		reason += "; if the file is not UTF-8, give its encoding: --encoding latin1, windows-1252 or utf-16"
	}
	return reason
}

// sniffCSV refuses a file that is plainly JSON before the CSV reader
// makes a one-column header of it.
func sniffCSV(br *bufio.Reader) error {
	for i := 0; ; i++ {
		b, err := br.Peek(i + 1)
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, bufio.ErrBufferFull):
			return nil
		case err != nil:
			return err
		}
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			return errors.New("looks like JSON; use --format jsonl")
		}
		return nil
	}
}

// missingColumn says that a mapped column is not in the header, what the
// header holds, and when the header is one column that looks like several
// joined by another delimiter, which --delimiter to give.
func missingColumn(line int, column string, header []string, comma rune) error {
	var b strings.Builder
	fmt.Fprintf(&b, "line %d: no '%s' column; the header has ", line, column)
	if len(header) == 1 {
		fmt.Fprintf(&b, "one column '%s'", header[0])
	} else {
		fmt.Fprintf(&b, "%d columns ", len(header))
		const most = 20
		for i, h := range header[:min(len(header), most)] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("'" + h + "'")
		}
		if len(header) > most {
			b.WriteString(", ...")
		}
	}
	for _, h := range header {
		if h != column && strings.EqualFold(h, column) {
			fmt.Fprintf(&b, " ('%s' differs in case: column names must match exactly)", h)
			break
		}
	}
	if len(header) == 1 {
		if d, ok := guessDelimiter(header[0], comma); ok {
			name, flag := delimiterName(d)
			fmt.Fprintf(&b, " — is the file separated by %s? use --delimiter %s", name, flag)
		}
	}
	return errors.New(b.String())
}

// guessDelimiter returns the usual delimiter, other than the one in use,
// that occurs most often in text.
func guessDelimiter(text string, comma rune) (rune, bool) {
	best, most := rune(0), 0
	for _, d := range []rune{';', '\t', '|', ','} {
		if d == comma {
			continue
		}
		if n := strings.Count(text, string(d)); n > most {
			best, most = d, n
		}
	}
	return best, most > 0
}

func numberColumns(ns []planNumber) string {
	cols := make([]string, len(ns))
	for i, n := range ns {
		cols[i] = n.Column
	}
	if len(cols) == 1 {
		return "column " + cols[0]
	}
	return "columns " + strings.Join(cols, ", ")
}

// recorder passes reads through and keeps the bytes from a given offset on,
// so that the text of a record the CSV reader rejects can be recovered.
type recorder struct {
	r    io.Reader
	buf  []byte
	base int64 // input offset of buf[0]
	eof  bool
}

func (c *recorder) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.buf = append(c.buf, p[:n]...)
	if errors.Is(err, io.EOF) {
		c.eof = true
	}
	return n, err
}

// total is the number of bytes read so far.
func (c *recorder) total() int64 {
	return c.base + int64(len(c.buf))
}

// discard forgets the bytes before offset.
func (c *recorder) discard(offset int64) {
	k := int(offset - c.base)
	if k <= 0 || k > len(c.buf) {
		return
	}
	// Compact only when at least half the buffer is dead, so each byte is
	// moved a bounded number of times.
	if k >= len(c.buf)/2 {
		c.buf = append(c.buf[:0], c.buf[k:]...)
		c.base = offset
	}
}

// text returns the bytes between two offsets still held.
func (c *recorder) text(from, to int64) []byte {
	i, j := int(from-c.base), int(to-c.base)
	if i < 0 {
		i = 0
	}
	if j > len(c.buf) {
		j = len(c.buf)
	}
	if i > j {
		return nil
	}
	return c.buf[i:j]
}
