package fsparse

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUsage is returned when FreeSWITCH would answer "-USAGE: ..." (no
// arguments, or fewer than 2 or more than 7 of them).
var ErrUsage = errors.New("fsparse: originate usage error")

// ErrMalformed is returned when FreeSWITCH would reject the dial string
// ("Parse Error!", "No origination URL specified!") or would crash on it (an
// "undef" dial string or destination).
var ErrMalformed = errors.New("fsparse: malformed originate")

// Leg is one channel FreeSWITCH would create: the endpoint (the text after the
// per-leg [] blocks, e.g. "sofia/gateway/gw/100") and the variables of its []
// blocks. FreeSWITCH applies the {} variables to every leg as well; by default
// they are set after the [] ones (so {} wins) unless local_var_clobber=true.
type Leg struct {
	Vars     map[string]string
	Endpoint string
}

// Branch is one ":_:" part of an enterprise dial string: FreeSWITCH runs each
// branch as its own originate in parallel, with the outer <> variables plus
// ignore_early_media=true plus the branch's own <> and {} variables.
type Branch struct {
	Vars map[string]string
	Legs [][]Leg
}

// Originate is what FreeSWITCH reads from "originate <args>".
type Originate struct {
	// Vars holds the variables of the <> and {} blocks, merged in order. The
	// originate event has unique headers, so a later duplicate (compared
	// case-insensitively) replaces an earlier one; an empty value deletes.
	// For an enterprise dial string these are the outer <> variables plus
	// ignore_early_media=true; each branch's own are in Enterprise.
	Vars map[string]string
	// Legs holds the failover groups ('|'), each a list of parallel legs
	// (','). For an enterprise dial string (":_:") it is a single group with
	// every leg of every branch, in order; Enterprise keeps the structure.
	Legs [][]Leg
	// Enterprise is non-nil when the dial string contains ":_:".
	Enterprise []Branch
	// Dest is the second argument: an extension, or "&app(args)".
	Dest string
	// App and AppArgs are set when Dest is "&app(args)": App runs to the
	// first '(' (after cutting at the first ')'), AppArgs is what lies
	// between. HasApp tells "&park()" (AppArgs "") from an extension.
	App, AppArgs string
	HasApp       bool
	// Dialplan and Context are the third and fourth arguments, with
	// FreeSWITCH's defaults "XML" and "default" when absent or "undef".
	Dialplan, Context string
	// CIDName and CIDNum are the fifth and sixth arguments ("" when absent).
	CIDName, CIDNum string
	// Timeout is atoi of the seventh argument, 0 when absent. FreeSWITCH uses
	// 60 s when it is 0, and originate_timeout (if > 0) overrides it.
	Timeout int
	// Args are the API arguments as switch_separate_string produced them,
	// before "undef" handling.
	Args []string
}

const (
	maxPeers         = 128 // MAX_PEERS in switch_ivr_originate.c
	quotedEscComma   = 1   // QUOTED_ESC_COMMA
	unquotedEscComma = 2   // UNQUOTED_ESC_COMMA
	entDelim         = ":_:"
)

// SplitArgs splits s the way FreeSWITCH splits API arguments
// (switch_separate_string with a ' ' delimiter): runs of spaces separate, a
// single quote toggles grouping, a backslash protects the next byte, and then
// quotes and escapes are removed from each token (\s is a space, \n \r \t are
// control characters, \' \" \\ stand for themselves, any other \x stays "\x").
// A leading "^^X" makes X the delimiter instead. There is no token limit;
// originate itself keeps at most 10 tokens (the 10th holds the rest).
func SplitArgs(s string) []string {
	return separateString(s, ' ', len(s)+1)
}

// stripWhitespace ports switch_strip_whitespace, which switch_api_execute
// applies to the argument string.
func stripWhitespace(s string) string {
	isWS := func(c byte) bool { return c == 13 || c == 10 || c == 9 || c == 32 || c == 11 }
	i, j := 0, len(s)
	for i < j && isWS(s[i]) {
		i++
	}
	for j > i && isWS(s[j-1]) {
		j--
	}
	return s[i:j]
}

// atoi ports C atoi (strtol base 10, clamped to the int32 range).
func atoi(s string) int {
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var n int64
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if n < 1<<40 {
			n = n*10 + int64(s[i]-'0')
		}
	}
	if neg {
		n = -n
	}
	if n > 1<<31-1 {
		n = 1<<31 - 1
	}
	if n < -1<<31 {
		n = -1 << 31
	}
	return int(n)
}

// ParseOriginate parses args (the text after "originate " on one ESL command
// line) as FreeSWITCH 1.10's originate_function and switch_ivr_originate do:
//
//  1. switch_api_execute strips surrounding whitespace; a NUL ends the string.
//  2. The arguments are split on spaces (see SplitArgs) into at most 10; fewer
//     than 2 or more than 7 is a usage error; "undef" (any case) means absent.
//  3. The dial string: if it contains ":_:" anywhere it is an enterprise
//     originate (<> blocks, then a plain split on ":_:", each branch parsed as
//     below). Otherwise: leading spaces are skipped, then any number of
//     <...> blocks, then any number of {...} blocks (block ends are found by
//     counting brackets, ignoring quotes and escapes), then the rest is split
//     on '|' into failover groups and each group on ',' into legs (commas
//     inside [...] do not split), and each leg may start with [...] blocks.
//     Every split is switch_separate_string, so quotes and backslash escapes
//     are honoured and removed again at each level.
//  4. Dest "&app(args)" is cut at the first ')' and then at the first '('.
//
// It never panics. An error wraps ErrUsage or ErrMalformed.
func ParseOriginate(args string) (*Originate, error) {
	cmd := stripWhitespace(cstr(args))
	if cmd == "" {
		return nil, fmt.Errorf("%w: no arguments", ErrUsage)
	}
	argv := separateString(cmd, ' ', 10)
	if len(argv) < 2 || len(argv) > 7 {
		return nil, fmt.Errorf("%w: %d arguments (want 2 to 7)", ErrUsage, len(argv))
	}
	o := &Originate{Args: argv}
	arg := func(i int) (string, bool) {
		if i >= len(argv) || strings.EqualFold(argv[i], "undef") {
			return "", false
		}
		return argv[i], true
	}
	aleg, ok := arg(0)
	if !ok {
		return nil, fmt.Errorf("%w: dial string is undef (FreeSWITCH dereferences NULL)", ErrMalformed)
	}
	exten, ok := arg(1)
	if !ok {
		return nil, fmt.Errorf("%w: destination is undef (FreeSWITCH asserts)", ErrMalformed)
	}
	o.Dialplan, o.Context = "XML", "default"
	if v, ok := arg(2); ok {
		o.Dialplan = v
	}
	if v, ok := arg(3); ok {
		o.Context = v
	}
	o.CIDName, _ = arg(4)
	o.CIDNum, _ = arg(5)
	if v, ok := arg(6); ok {
		o.Timeout = atoi(v)
	}

	if err := o.parseDialString(aleg); err != nil {
		return nil, err
	}

	o.Dest = exten
	if len(exten) > 1 && exten[0] == '&' {
		app := exten[1:]
		if i := strings.IndexByte(app, ')'); i >= 0 {
			app = app[:i]
		}
		if i := strings.IndexByte(app, '('); i >= 0 {
			o.AppArgs = app[i+1:]
			app = app[:i]
		}
		o.App, o.HasApp = app, true
	}
	return o, nil
}

// parseDialString dispatches between switch_ivr_originate and
// switch_ivr_enterprise_originate.
func (o *Originate) parseDialString(aleg string) error {
	if !strings.Contains(aleg, entDelim) {
		ev := &varEvent{}
		legs, err := parseLegs(aleg, ev)
		if err != nil {
			return err
		}
		o.Vars, o.Legs = ev.asMap(), legs
		return nil
	}

	c := newCbuf(aleg)
	data := 0
	for c.at(data) == ' ' {
		data++
	}
	ev := &varEvent{}
	for c.at(data) == '<' {
		next, ok := createBrackets(c, data, '<', '>', ',', ev)
		if !ok {
			return fmt.Errorf("%w: unterminated <...> block", ErrMalformed)
		}
		data = next
	}
	for c.at(data) == ' ' {
		data++
	}
	ev.add("ignore_early_media", "true")
	o.Vars = ev.asMap()
	var all []Leg
	for i, part := range separateStringString(c.str(data), entDelim, maxPeers) {
		bev := ev.dup()
		legs, err := parseLegs(part, bev)
		if err != nil {
			return fmt.Errorf("enterprise branch %d: %w", i, err)
		}
		o.Enterprise = append(o.Enterprise, Branch{Vars: bev.asMap(), Legs: legs})
		for _, g := range legs {
			all = append(all, g...)
		}
	}
	o.Legs = [][]Leg{all}
	return nil
}

// parseLegs ports the dial-string part of switch_ivr_originate: <> and {}
// blocks into ev, then '|' groups of ',' legs with optional [] blocks.
func parseLegs(dial string, ev *varEvent) ([][]Leg, error) {
	c := newCbuf(dial)
	data := 0
	for c.at(data) == ' ' {
		data++
	}
	for c.at(data) == '<' {
		next, ok := createBrackets(c, data, '<', '>', ',', ev)
		if !ok {
			return nil, fmt.Errorf("%w: unterminated <...> block", ErrMalformed)
		}
		data = next
	}
	for c.at(data) == '{' {
		next, ok := createBrackets(c, data, '{', '}', ',', ev)
		if !ok {
			return nil, fmt.Errorf("%w: unterminated {...} block", ErrMalformed)
		}
		data = next
	}
	for c.at(data) == ' ' {
		data++
	}
	rest := c.str(data)
	if rest == "" {
		return nil, fmt.Errorf("%w: no origination URL after the variable blocks", ErrMalformed)
	}

	var groups [][]Leg
	for _, group := range separateString(rest, '|', maxPeers) {
		g := newCbuf(group)
		markBracketCommas(g)
		var legs []Leg
		for _, peer := range separateString(g.str(0), ',', maxPeers) {
			leg, err := parseLeg(peer)
			if err != nil {
				return nil, err
			}
			legs = append(legs, leg)
		}
		groups = append(groups, legs)
	}
	return groups, nil
}

// markBracketCommas ports the loop before the ',' split: a comma inside a [...]
// block (not preceded by a backslash) becomes QUOTED_ESC_COMMA when inside
// single quotes or a "[^^" block, otherwise UNQUOTED_ESC_COMMA.
func markBracketCommas(g *cbuf) {
	end := -1
	q, alt := false, false
	for p := 0; g.at(p) != 0; p++ {
		if g.at(p) == '[' {
			end = findEndParen(g, p, '[', ']')
			alt = g.at(p+1) == '^' && g.at(p+2) == '^'
			q = false
		}
		if g.at(p) == '\'' {
			q = !q
		}
		if end >= 0 && p < end && g.at(p) == ',' && g.at(p-1) != '\\' {
			if q || alt {
				g.set(p, quotedEscComma)
			} else {
				g.set(p, unquotedEscComma)
			}
		}
		if p == end {
			end = strchrStrict(g, p, '[', " ")
		}
	}
}

// parseLeg ports the per-leg part: leading spaces, then [] blocks split on
// UNQUOTED_ESC_COMMA (QUOTED_ESC_COMMA turned back into ','), then the
// endpoint.
func parseLeg(peer string) (Leg, error) {
	c := newCbuf(peer)
	ct := 0
	for c.at(ct) == ' ' {
		ct++
	}
	var local *varEvent
	if c.at(ct) == '[' {
		local = &varEvent{}
	}
	for c.at(ct) == '[' {
		bend := findEndParen(c, ct, '[', ']')
		for p := ct + 1; bend >= 0 && p < bend && c.at(p) != 0; p++ {
			if c.at(p) == quotedEscComma {
				c.set(p, ',')
			}
		}
		next, ok := createBrackets(c, ct, '[', ']', unquotedEscComma, local)
		if !ok || next == ct {
			return Leg{}, fmt.Errorf("%w: unterminated [...] block", ErrMalformed)
		}
		ct = next
	}
	for c.at(ct) == ' ' {
		ct++
	}
	leg := Leg{Endpoint: c.str(ct)}
	if local != nil {
		leg.Vars = local.asMap()
	}
	return leg, nil
}
