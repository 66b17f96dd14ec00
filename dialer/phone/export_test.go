package phone

// NormalizeFast runs only the fast path. handled is false when it leaves the
// input to the library.
func NormalizeFast(raw, region string) (e164 string, handled bool, err error) {
	e164, cc, out := normalizeFast(raw, region)
	switch out {
	case accepted:
		return e164, true, nil
	case rejected:
		return "", true, invalidError(raw, cc)
	}
	return "", false, nil
}

// NormalizeSlow is Normalize done by the library alone.
var NormalizeSlow = normalizeSlow

// PatternMatcher returns the automaton-backed questions the fast path asks
// of a metadata pattern.
func PatternMatcher(pattern string) (full, prefix func([]byte) bool, prefixFree func() bool, prefixEnd func([]byte) int) {
	m := newMatcher(pattern)
	return m.matchFull, m.matchPrefix, m.prefixFree, m.prefixEnd
}
