package phone

import "bytes"

// outcome is what the fast path concluded about an input.
type outcome int

const (
	// unsure: the input is outside what the fast path reproduces exactly
	// (other characters, an extension, a parse error, ...); ask the library.
	unsure outcome = iota
	// accepted: the number is valid; the E.164 form is returned.
	accepted
	// rejected: the library would parse the number and find it invalid.
	rejected
)

// normalizeFast reproduces phonenumbers.Parse, IsValidNumber and Format(E164)
// for inputs made of ASCII digits, spaces, '-', '(', ')', '.' and at most one
// '+' before the first digit. For such inputs every step of the library's
// parser reduces to string operations on the digits (its extension, second
// number, alpha and RFC 3966 handling cannot apply), which are done here in
// the library's order with the library's metadata. It returns the E.164 form
// when accepted and the number's calling code when rejected.
func normalizeFast(raw, region string) (string, int, outcome) {
	if len(raw) == 0 || len(raw) > maxLen+20 {
		return "", 0, unsure
	}
	var buf [maxLen]byte
	n, start, plus := 0, -1, false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; c {
		case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			if n == len(buf) {
				return "", 0, unsure
			}
			if start < 0 {
				start = i
			}
			buf[n] = c
			n++
		case '+':
			if start >= 0 {
				return "", 0, unsure
			}
			start, plus = i, true
		case ' ', '-', '(', ')', '.':
		default:
			return "", 0, unsure
		}
	}
	// Viability (VALID_PHONE_NUMBER_PATTERN): three digits or more, or
	// exactly two digits and nothing else.
	if n < 3 && (plus || n < 2 || len(raw)-start != 2) {
		return "", 0, unsure
	}
	t := tables()
	digits := buf[:n]

	var def *regionInfo // the default region; needed for national forms only
	var cc *ccInfo
	var national []byte
	if plus {
		if cc, national = t.callingCode(digits); cc == nil {
			return "", 0, unsure
		}
	} else {
		if def = t.region(region); def == nil {
			return "", 0, unsure
		}
		def.compile()
		if def.idd.matchPrefix(digits) {
			if loc := def.iddRe.FindIndex(bytes.Clone(digits)); loc != nil && loc[0] == 0 {
				rest := digits[loc[1]:]
				if len(rest) == 0 || rest[0] != '0' {
					if len(rest) <= 2 {
						return "", 0, unsure
					}
					if cc, national = t.callingCode(rest); cc == nil {
						return "", 0, unsure
					}
				}
			}
		}
		if cc == nil && bytes.HasPrefix(digits, []byte(def.ccDigits)) {
			pot, _, ok := def.stripNationalPrefix(digits[len(def.ccDigits):])
			if !ok {
				return "", 0, unsure
			}
			fullValid := def.general.m.matchFull(digits)
			nationalValid := def.general.m.matchFull(pot)
			if (!fullValid && nationalValid) || (n < 64 && def.tooLong&(1<<n) != 0) {
				if cc = t.ccs[def.cc]; cc == nil {
					return "", 0, unsure
				}
				national = pot
			}
		}
	}
	meta := def
	if cc != nil {
		meta = cc.main
	} else {
		national = digits
		if cc = t.ccs[def.cc]; cc == nil {
			return "", 0, unsure
		}
	}
	if len(national) < 2 {
		return "", 0, unsure
	}
	meta.compile()
	pot, changed, ok := meta.stripNationalPrefix(national)
	if !ok {
		return "", 0, unsure
	}
	if changed && len(pot) < 64 && meta.stripOK&(1<<len(pot)) != 0 {
		if !allDigits(pot) {
			return "", 0, unsure
		}
		national = pot
	}
	if len(national) < 2 || len(national) > 17 {
		return "", 0, unsure
	}
	if !cc.valid(national) {
		return "", cc.cc, rejected
	}
	var out [1 + 3 + 17]byte
	out[0] = '+'
	k := 1 + copy(out[1:], cc.digits)
	k += copy(out[k:], national)
	return string(out[:k]), cc.cc, accepted
}

// stripNationalPrefix is the library's maybeStripNationalPrefixAndCarrierCode
// (the carrier code is not needed): it returns the number without its
// national prefix, whether it stripped one, and false in the one case it
// cannot decide (the automaton and the regular expression disagree, which
// would be a bug).
func (ri *regionInfo) stripNationalPrefix(number []byte) ([]byte, bool, bool) {
	if len(number) == 0 || ri.npfp == nil || !ri.npfp.matchPrefix(number) {
		return number, false, true
	}
	viable := ri.general.m.matchFull(number)
	if ri.npfpPlain {
		end := ri.npfp.prefixEnd(number)
		if end < 0 {
			return nil, false, false
		}
		if viable && !ri.general.m.matchFull(number[end:]) {
			return number, false, true
		}
		return number[end:], true, true
	}
	// A copy for the regular expression, so that number can stay on the
	// caller's stack.
	cp := bytes.Clone(number)
	groups := ri.npfpRe.FindSubmatchIndex(cp)
	if groups == nil {
		return nil, false, false
	}
	last := len(groups)/2 - 1
	if ri.transform == "" || groups[last*2] < 0 {
		if viable && !ri.general.m.matchFull(cp[groups[1]:]) {
			return number, false, true
		}
		return cp[groups[1]:], true, true
	}
	transformed := ri.npfpRe.ReplaceAll(cp, []byte(ri.transform))
	if viable && !ri.general.m.matchFull(transformed) {
		return number, false, true
	}
	return transformed, true, true
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
