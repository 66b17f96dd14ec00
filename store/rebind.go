package store

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// rebound caches rebind's result per query text: the store's queries
// are mostly a fixed set, so each is rewritten once. Texts built with a
// count in them (n placeholders, a LIMIT) are many: past maxRebound
// entries a text is rewritten each time instead of kept.
var (
	rebound      sync.Map
	reboundCount atomic.Int64
)

const maxRebound = 4096

// rebindPostgres rewrites a query written with SQLite's placeholders for
// PostgreSQL: a bare ? becomes $n (numbered as SQLite numbers it, one past
// the largest so far), ?N becomes $N. The planner hint +? that hot SQLite
// queries carry (see dataSource) loses its + when it stands where a value
// starts, after an operator, a parenthesis, a comma or a keyword; an
// addition is written x + ?. Quoted text ('...', "...", $$...$$) and
// comments are left alone.
func rebindPostgres(q string) string {
	if v, ok := rebound.Load(q); ok {
		return v.(string)
	}
	out := rebind(q)
	if reboundCount.Load() < maxRebound {
		if _, loaded := rebound.LoadOrStore(q, out); !loaded {
			reboundCount.Add(1)
		}
	}
	return out
}

func rebind(q string) string {
	if !strings.ContainsRune(q, '?') {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	highest := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			end := strings.IndexByte(q[i+1:], c)
			if end < 0 {
				b.WriteString(q[i:])
				return b.String()
			}
			b.WriteString(q[i : i+end+2])
			i += end + 1
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			end := strings.IndexByte(q[i:], '\n')
			if end < 0 {
				b.WriteString(q[i:])
				return b.String()
			}
			b.WriteString(q[i : i+end+1])
			i += end
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				b.WriteString(q[i:])
				return b.String()
			}
			b.WriteString(q[i : i+end+4])
			i += end + 3
		case c == '$' && dollarTag(q[i:]) != "":
			tag := dollarTag(q[i:])
			end := strings.Index(q[i+len(tag):], tag)
			if end < 0 {
				b.WriteString(q[i:])
				return b.String()
			}
			b.WriteString(q[i : i+len(tag)+end+len(tag)])
			i += len(tag) + end + len(tag) - 1
		case c == '+' && i+1 < len(q) && q[i+1] == '?' && startsValue(q[:i]):
			// the hint: the ? that follows is written on the next round
		case c == '?':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			n := highest + 1
			if j > i+1 {
				n, _ = strconv.Atoi(q[i+1 : j])
			}
			highest = max(highest, n)
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// dollarTag is the opening of a dollar-quoted string that q starts with
// ($$ or $name$), "" if none.
func dollarTag(q string) string {
	for j := 1; j < len(q); j++ {
		switch c := q[j]; {
		case c == '$':
			return q[:j+1]
		case !isWordByte(c) || j == 1 && c >= '0' && c <= '9':
			return ""
		}
	}
	return ""
}

// valueKeywords are the words after which an expression starts, so that
// a + after them is a sign, not an addition.
var valueKeywords = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "IN": true, "IS": true, "LIKE": true,
	"BETWEEN": true, "LIMIT": true, "OFFSET": true, "WHEN": true, "THEN": true,
	"ELSE": true, "SELECT": true, "BY": true, "WHERE": true, "SET": true,
	"VALUES": true, "RETURN": true, "ON": true, "HAVING": true, "DISTINCT": true,
}

// startsValue reports whether what comes after before starts a value:
// before ends in an operator, an opening parenthesis, a comma or a
// keyword rather than in an operand.
func startsValue(before string) bool {
	s := strings.TrimRight(before, " \t\r\n")
	if s == "" {
		return true
	}
	last := s[len(s)-1]
	if last == ')' || last == '?' || last == '\'' || last == '"' || last == ']' {
		return false
	}
	if !isWordByte(last) {
		return true
	}
	start := len(s)
	for start > 0 && isWordByte(s[start-1]) {
		start--
	}
	word := s[start:]
	if word[0] >= '0' && word[0] <= '9' {
		// a number, or the digits of ?N
		return false
	}
	return valueKeywords[strings.ToUpper(word)]
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
