package phone

import (
	"bytes"
	"encoding/binary"
	"regexp"
	"regexp/syntax"
	"slices"
	"sync"
)

// maxDFAStates bounds the deterministic automaton built for one pattern. The
// library's patterns stay far below it; a pattern that does not is matched
// with the regular expression instead.
const maxDFAStates = 1 << 14

// matcher answers the two questions the library asks of a metadata pattern P
// about a string of ASCII digits: does the whole string match (the library's
// "^(?:P)$") and does some prefix of it match ("^(?:P)" without an end
// anchor). It is built lazily, once, and is then read-only, so it is safe for
// concurrent use. (Inputs are cloned before reaching a regular expression so
// that callers' stack buffers do not escape to the heap.)
//
// The answers come from a DFA over the ten digits, obtained by subset
// construction from the same syntax.Prog the regexp package compiles, so the
// language is exactly that of the regular expression. Inputs holding any
// other byte, and patterns whose automaton would be too large or use an
// assertion other than end of text, fall back to the regular expressions.
type matcher struct {
	pattern string
	once    sync.Once
	d       *dfa

	reOnce sync.Once
	full   *regexp.Regexp // ^(?:P)$
	prefix *regexp.Regexp // ^(?:P)
}

func newMatcher(pattern string) *matcher {
	return &matcher{pattern: pattern}
}

func (m *matcher) init() {
	m.once.Do(func() { m.d = buildDFA(m.pattern) })
}

// regexpFull and regexpPrefix match s with the regular expressions, compiled
// on first use (the automata make them rarely needed).
func (m *matcher) regexpFull(s []byte) bool {
	m.compileRegexps()
	return m.full.Match(bytes.Clone(s))
}

func (m *matcher) regexpPrefix(s []byte) bool {
	m.compileRegexps()
	return m.prefix.Match(bytes.Clone(s))
}

func (m *matcher) compileRegexps() {
	m.reOnce.Do(func() {
		// MustCompile, as the library does: its patterns are known to compile.
		m.full = regexp.MustCompile("^(?:" + m.pattern + ")$")
		m.prefix = regexp.MustCompile("^(?:" + m.pattern + ")")
	})
}

// matchFull reports whether s as a whole matches the pattern.
func (m *matcher) matchFull(s []byte) bool {
	m.init()
	d := m.d
	if d == nil {
		return m.regexpFull(s)
	}
	st := int32(0)
	for _, c := range s {
		c -= '0'
		if c > 9 {
			return m.regexpFull(s)
		}
		st = d.next[int(st)*10+int(c)]
		if st < 0 {
			return false
		}
	}
	return d.accEnd[st]
}

// matchPrefix reports whether the pattern matches at the start of s, that is
// whether some prefix of s matches it (an end-of-text assertion inside the
// pattern holds only at the end of s).
func (m *matcher) matchPrefix(s []byte) bool {
	m.init()
	d := m.d
	if d == nil {
		return m.regexpPrefix(s)
	}
	for _, c := range s {
		if c-'0' > 9 {
			return m.regexpPrefix(s)
		}
	}
	st := int32(0)
	for _, c := range s {
		if d.accNow[st] {
			return true
		}
		st = d.next[int(st)*10+int(c-'0')]
		if st < 0 {
			return false
		}
	}
	return d.accEnd[st]
}

// prefixFree reports whether no string has two prefixes matching the pattern
// and the pattern has no end-of-text assertion, so that the prefix it
// matches, if any, is where its automaton first accepts (prefixEnd).
func (m *matcher) prefixFree() bool {
	m.init()
	d := m.d
	if d == nil || d.hasEnd {
		return false
	}
	for st, acc := range d.accNow {
		if !acc {
			continue
		}
		for _, next := range d.next[st*10 : st*10+10] {
			if next >= 0 {
				return false
			}
		}
	}
	return true
}

// prefixEnd returns the length of the prefix of the digit string s that a
// prefix-free pattern matches, or -1 when none does.
func (m *matcher) prefixEnd(s []byte) int {
	d := m.d
	st := int32(0)
	for i, c := range s {
		if d.accNow[st] {
			return i
		}
		st = d.next[int(st)*10+int(c-'0')]
		if st < 0 {
			return -1
		}
	}
	if d.accNow[st] {
		return len(s)
	}
	return -1
}

// dfa is a deterministic automaton over the digits '0'..'9'. State 0 is the
// start state; next[s*10+d] is the state after digit d, or -1 when no match
// is possible any more. accNow[s] is set when a match ends here whatever
// follows; accEnd[s] when a match ends here if the input ends here.
type dfa struct {
	hasEnd bool // the pattern asserts end of text somewhere
	next   []int32
	accNow []bool
	accEnd []bool
}

// buildDFA returns the automaton of pattern, or nil when the pattern cannot
// be handled (an unsupported assertion, or too many states).
func buildDFA(pattern string) *dfa {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil
	}
	b := dfaBuilder{prog: prog, ids: map[string]int32{}, seen: make([]bool, len(prog.Inst))}
	for _, in := range prog.Inst {
		if in.Op == syntax.InstEmptyWidth {
			if syntax.EmptyOp(in.Arg)&^(syntax.EmptyEndText|syntax.EmptyEndLine) != 0 {
				return nil
			}
			b.d.hasEnd = true
		}
	}
	b.add(b.closure([]uint32{uint32(prog.Start)}))
	for i := 0; i < len(b.states); i++ {
		if len(b.states) > maxDFAStates {
			return nil
		}
		set := b.states[i]
		for dgt := rune('0'); dgt <= '9'; dgt++ {
			var targets []uint32
			for _, pc := range set {
				in := &prog.Inst[pc]
				switch in.Op {
				case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
					if in.MatchRune(dgt) {
						targets = append(targets, in.Out)
					}
				}
			}
			next := b.closure(targets)
			id := int32(-1)
			if len(next) > 0 {
				id = b.add(next)
			}
			b.d.next[i*10+int(dgt-'0')] = id
		}
	}
	return &b.d
}

type dfaBuilder struct {
	prog   *syntax.Prog
	ids    map[string]int32
	states [][]uint32
	d      dfa
	seen   []bool
	stack  []uint32
}

// add registers the state for the instruction set and returns its id.
func (b *dfaBuilder) add(set []uint32) int32 {
	key := make([]byte, 0, 4*len(set))
	for _, pc := range set {
		key = binary.LittleEndian.AppendUint32(key, pc)
	}
	if id, ok := b.ids[string(key)]; ok {
		return id
	}
	id := int32(len(b.states))
	b.ids[string(key)] = id
	b.states = append(b.states, set)
	now, end := false, false
	for _, pc := range set {
		switch b.prog.Inst[pc].Op {
		case syntax.InstMatch:
			now = true
		case syntax.InstEmptyWidth:
			if b.reachesMatchAtEnd(pc) {
				end = true
			}
		}
	}
	b.d.accNow = append(b.d.accNow, now)
	b.d.accEnd = append(b.d.accEnd, now || end)
	b.d.next = append(b.d.next, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1)
	return id
}

// closure follows the empty transitions from pcs and returns the sorted set
// of instructions that consume a rune, match, or assert end of text (the only
// assertion buildDFA lets through).
func (b *dfaBuilder) closure(pcs []uint32) []uint32 {
	clear(b.seen)
	var out []uint32
	b.stack = append(b.stack[:0], pcs...)
	for len(b.stack) > 0 {
		pc := b.stack[len(b.stack)-1]
		b.stack = b.stack[:len(b.stack)-1]
		if b.seen[pc] {
			continue
		}
		b.seen[pc] = true
		in := &b.prog.Inst[pc]
		switch in.Op {
		case syntax.InstAlt, syntax.InstAltMatch:
			b.stack = append(b.stack, in.Out, in.Arg)
		case syntax.InstCapture, syntax.InstNop:
			b.stack = append(b.stack, in.Out)
		case syntax.InstFail:
		default:
			out = append(out, pc)
		}
	}
	slices.Sort(out)
	return out
}

// reachesMatchAtEnd reports whether a match is reachable from the end-of-text
// assertion at pc when the input ends (no rune consumed).
func (b *dfaBuilder) reachesMatchAtEnd(pc uint32) bool {
	seen := map[uint32]bool{}
	stack := []uint32{b.prog.Inst[pc].Out}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[p] {
			continue
		}
		seen[p] = true
		in := &b.prog.Inst[p]
		switch in.Op {
		case syntax.InstMatch:
			return true
		case syntax.InstAlt, syntax.InstAltMatch:
			stack = append(stack, in.Out, in.Arg)
		case syntax.InstCapture, syntax.InstNop, syntax.InstEmptyWidth:
			stack = append(stack, in.Out)
		}
	}
	return false
}
