package fsparse

import (
	"bytes"
	"strings"
)

// This file ports FreeSWITCH 1.10's string primitives from src/switch_utils.c,
// src/switch_event.c and src/include/switch_utils.h. The C code works on
// NUL-terminated buffers it edits in place; cbuf mirrors that: reading past the
// end yields 0 (the terminator), so pointer walks translate line by line. Where
// the C code would read past the terminator (undefined behaviour), the port
// reads zeros, which ends every scan.

// cbuf is a NUL-terminated byte buffer with C-like reads.
type cbuf struct{ b []byte }

// newCbuf copies s into a buffer followed by a NUL. A NUL inside s ends the C
// string there, exactly as it would in FreeSWITCH.
func newCbuf(s string) *cbuf {
	b := make([]byte, len(s)+1)
	copy(b, s)
	return &cbuf{b: b}
}

func (c *cbuf) at(i int) byte {
	if i < 0 || i >= len(c.b) {
		return 0
	}
	return c.b[i]
}

func (c *cbuf) set(i int, v byte) {
	if i >= 0 && i < len(c.b) {
		c.b[i] = v
	}
}

// str returns the C string starting at i.
func (c *cbuf) str(i int) string {
	if i < 0 || i >= len(c.b) {
		return ""
	}
	rest := c.b[i:]
	for j, ch := range rest {
		if ch == 0 {
			return string(rest[:j])
		}
	}
	return string(rest)
}

// cstr truncates s at its first NUL, as C sees it.
func cstr(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

const escapeMeta = '\\'

// unescapeChar ports unescape_char: \n \r \t \s have meanings, anything else
// stands for itself.
func unescapeChar(e byte) byte {
	switch e {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 's':
		return ' '
	}
	return e
}

// cleanup ports cleanup_separated_string: skip leading spaces, resolve
// backslash escapes, drop paired single quotes, trim trailing unquoted spaces.
// delim is the separator the token was split on (0 for the blank split).
func cleanup(tk []byte, delim byte) string {
	p := 0
	for p < len(tk) && tk[p] == ' ' {
		p++
	}
	dest := make([]byte, 0, len(tk)-p)
	end := -1
	inQuotes := false
	for ; p < len(tk); p++ {
		esc := false
		if tk[p] == escapeMeta {
			var e byte
			if p+1 < len(tk) {
				e = tk[p+1]
			}
			val, ok := byte(0), false
			switch {
			case e == '\'' || e == '"' || (delim != 0 && e == delim) || e == escapeMeta:
				val, ok = e, true
			case unescapeChar(e) != e:
				val, ok = unescapeChar(e), true
			}
			if ok {
				p++
				dest = append(dest, val)
				end = len(dest)
				esc = true
			}
		}
		if esc {
			continue
		}
		if tk[p] == '\'' && (inQuotes || bytes.IndexByte(tk[p+1:], '\'') >= 0) {
			inQuotes = !inQuotes
			if inQuotes {
				end = len(dest)
			}
			continue
		}
		dest = append(dest, tk[p])
		if tk[p] != ' ' || inQuotes {
			end = len(dest)
		}
	}
	if end >= 0 {
		dest = dest[:end]
	}
	return string(dest)
}

// span is a token of a separated string: [start, end) in the buffer.
type span struct{ start, end int }

// separateCharDelim ports separate_string_char_delim.
func separateCharDelim(b []byte, delim byte, arraylen int) []string {
	var toks []span
	inQuotes := false
	started := false
	for ptr := 0; ptr < len(b) && len(toks) < arraylen; {
		if !started { // START: the token begins here; the byte is examined next round
			toks = append(toks, span{ptr, len(b)})
			started = true
			continue
		}
		switch {
		case b[ptr] == escapeMeta:
			ptr++ // the escaped byte is skipped below
		case b[ptr] == '\'' && (inQuotes || bytes.IndexByte(b[ptr+1:], '\'') >= 0):
			inQuotes = !inQuotes
		case b[ptr] == delim && !inQuotes:
			toks[len(toks)-1].end = ptr
			started = false
		}
		ptr++
	}
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = cleanup(b[t.start:t.end], delim)
	}
	return out
}

// separateBlankDelim ports separate_string_blank_delim: runs of spaces
// separate, a single quote toggles grouping with no lookahead, a backslash
// protects the next byte; quotes and escapes are then removed by cleanup.
func separateBlankDelim(b []byte, arraylen int) []string {
	const (
		stStart = iota
		stSkipInitial
		stFindDelim
		stSkipEnding
	)
	var toks []span
	state := stStart
	inQuotes := false
	for ptr := 0; ptr < len(b) && len(toks) < arraylen; {
		switch state {
		case stStart:
			toks = append(toks, span{ptr, len(b)})
			state = stSkipInitial
		case stSkipInitial:
			if b[ptr] == ' ' {
				ptr++
			} else {
				state = stFindDelim
			}
		case stFindDelim:
			switch {
			case b[ptr] == escapeMeta:
				ptr++
			case b[ptr] == '\'':
				inQuotes = !inQuotes
			case b[ptr] == ' ' && !inQuotes:
				toks[len(toks)-1].end = ptr
				state = stSkipEnding
			}
			ptr++
		case stSkipEnding:
			if b[ptr] == ' ' {
				ptr++
			} else {
				state = stStart
			}
		}
	}
	out := make([]string, len(toks))
	for i, t := range toks {
		if t.end > len(b) {
			t.end = len(b)
		}
		out[i] = cleanup(b[t.start:t.end], 0)
	}
	return out
}

// separateString ports switch_separate_string: a leading "^^X" (X followed by
// at least one more byte) makes X the delimiter; a space delimiter uses the
// blank splitter. At most arraylen tokens are produced; the last one then holds
// the rest of the string.
func separateString(s string, delim byte, arraylen int) []string {
	s = cstr(s)
	if arraylen <= 0 {
		return nil
	}
	if len(s) >= 4 && s[0] == '^' && s[1] == '^' {
		delim = s[2]
		s = s[3:]
	}
	if delim == ' ' {
		return separateBlankDelim([]byte(s), arraylen)
	}
	return separateCharDelim([]byte(s), delim, arraylen)
}

// separateStringString ports switch_separate_string_string: a plain split on a
// multi-byte delimiter with no escapes or quotes.
func separateStringString(s, delim string, arraylen int) []string {
	s = cstr(s)
	out := []string{s}
	for len(out) < arraylen {
		last := out[len(out)-1]
		i := strings.Index(last, delim)
		if i < 0 {
			break
		}
		out[len(out)-1] = last[:i]
		out = append(out, last[i+len(delim):])
	}
	return out
}

// findEndParen ports switch_find_end_paren: skip spaces, require the open
// character, and return the index of the matching close character counting
// nesting but not quotes or escapes; -1 when there is none.
func findEndParen(c *cbuf, s int, open, close byte) int {
	for c.at(s) == ' ' {
		s++
	}
	e := -1
	if c.at(s) == open {
		depth := 1
		for e = s + 1; c.at(e) != 0; e++ {
			if c.at(e) == open && open != close {
				depth++
			} else if c.at(e) == close {
				depth--
				if depth == 0 {
					break
				}
			}
		}
	}
	if e >= 0 && c.at(e) == close {
		return e
	}
	return -1
}

// strchrStrict ports switch_strchr_strict: find `find` from in, allowing only
// bytes of allowed before it. Like the C code it returns the terminator's
// index when it runs off the end having seen only allowed bytes.
func strchrStrict(c *cbuf, in int, find byte, allowed string) int {
	p := in
	if c.at(p) == 0 {
		return -1
	}
	for c.at(p) != 0 {
		if c.at(p) == find {
			break
		}
		if strings.IndexByte(allowed, c.at(p)) < 0 {
			return -1
		}
		p++
	}
	return p
}

// varEvent models a CHANNEL_DATA switch_event_t built with
// switch_event_create_plain: it has EF_UNIQ_HEADERS, so adding a header first
// deletes any header of the same name (names compare case-insensitively), and
// adding an empty value only deletes.
type varEvent struct{ vars []Var }

// Var is one channel variable as FreeSWITCH stores it in the originate event.
type Var struct{ Name, Value string }

func (e *varEvent) del(name string) {
	kept := e.vars[:0]
	for _, v := range e.vars {
		if !strings.EqualFold(v.Name, name) {
			kept = append(kept, v)
		}
	}
	e.vars = kept
}

func (e *varEvent) add(name, value string) {
	e.del(name)
	if value != "" {
		e.vars = append(e.vars, Var{Name: name, Value: value})
	}
}

func (e *varEvent) dup() *varEvent {
	return &varEvent{vars: append([]Var(nil), e.vars...)}
}

func (e *varEvent) asMap() map[string]string {
	m := make(map[string]string, len(e.vars))
	for _, v := range e.vars {
		m[v.Name] = v.Value
	}
	return m
}

// createBrackets ports switch_event_create_brackets(data, a, b, c, &event,
// &new_data, SWITCH_FALSE) for a block starting at data (c.at(data) == a). It
// returns the index just after the block, or ok == false for FreeSWITCH's
// "Parse Error!". Inside the block, a leading "^^X" picks X as the separator,
// variables are split with switch_separate_string on the separator and then on
// '=' (two tokens at most, so the value keeps any further '='); a variable
// without '=' or with an empty value is not added.
func createBrackets(c *cbuf, data int, a, b, sep byte, ev *varEvent) (newData int, ok bool) {
	vdata := data
	end := findEndParen(c, vdata, a, b)

	// The C code then looks for further blocks directly after this one. Its
	// start index points at the close character, which is neither `a` nor a
	// space, so the search never succeeds; the loop is kept for fidelity and
	// bounded so that it cannot spin.
	checkA := end
	for guard := 0; checkA >= 0 && guard < len(c.b); guard++ {
		checkB := strchrStrict(c, checkA, a, " ")
		if checkB < 0 {
			break
		}
		next := findEndParen(c, checkB, a, b)
		if next < 0 || next == checkA {
			break // C would loop forever here; unreachable, see above
		}
		checkA = next
	}
	if checkA >= 0 {
		end = checkA
	}
	if end < 0 {
		return 0, false
	}
	next := end
	vdata++
	c.set(end, 0)
	end++

	vnext := -1
	for {
		if next >= 0 {
			c.set(next, 0)
			next++
			if pnext := strchrStrict(c, next, a, " "); pnext >= 0 {
				next = pnext + 1
			}
			vnext = findEndParen(c, next, a, b)
			next = -1
		}
		if c.at(vdata) == '^' && c.at(vdata+1) == '^' {
			vdata += 2
			sep = c.at(vdata)
			vdata++
		}
		for _, v := range separateString(c.str(vdata), sep, 1024) {
			if kv := separateString(v, '=', 2); len(kv) == 2 {
				ev.add(kv[0], kv[1])
			}
		}
		if vnext < 0 {
			break
		}
		vdata = vnext
		vnext = -1
	}
	return end, true
}
