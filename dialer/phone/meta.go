package phone

import (
	"regexp"
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// maxLen bounds the digit strings the fast path handles; longer inputs take
// the library's path. It covers the longest country code plus the longest
// national significant number with room for prefixes and typing errors.
const maxLen = 40

// regionInfo is one region's metadata prepared for the fast path: the
// library's patterns as lazily built matchers and its possible-length rules
// as bit sets indexed by length.
type regionInfo struct {
	meta      *phonenumbers.PhoneMetadata
	cc        int
	ccDigits  string
	general   desc
	types     []desc   // the number types, most common first
	leading   *matcher // nil when the region has no leading digits
	idd       *matcher
	iddRe     *regexp.Regexp // unanchored, as the library searches it
	npfp      *matcher       // nil when the region has no national prefix
	npfpRe    *regexp.Regexp // ^(?:npfp)
	transform string
	// npfpPlain: the national prefix has no capture group, no transform rule
	// and no two matching prefixes of one string, so the prefix to strip is
	// where the automaton first accepts.
	npfpPlain bool
	// stripOK has bit L set when testNumberLength of a length-L number is
	// not TOO_SHORT, IS_POSSIBLE_LOCAL_ONLY or INVALID_LENGTH (the library
	// keeps a national-prefix strip only then); tooLong when it is TOO_LONG.
	stripOK, tooLong uint64

	compileOnce sync.Once
}

// desc is a number description: a possible-length set (bit L set when a
// national number of length L passes the length check) and its pattern.
type desc struct {
	lengths uint64
	m       *matcher
}

func (d desc) match(nsn []byte) bool {
	return len(nsn) < 64 && d.lengths&(1<<len(nsn)) != 0 && d.m.matchFull(nsn)
}

// ccInfo is one country calling code: its main region's metadata (the one the
// library parses with) and the regions validation chooses among, in the
// library's order.
type ccInfo struct {
	cc      int
	digits  string
	nonGeo  bool
	main    *regionInfo
	regions []*regionInfo
}

type tableSet struct {
	regions map[string]*regionInfo // supported region codes
	known   [1000]bool             // calling codes the library knows
	ccs     [1000]*ccInfo          // those the fast path can handle
}

var (
	tablesOnce sync.Once
	tablesData *tableSet
)

// tables returns the prepared metadata, building it on first use. Only plain
// data is built here; every regular expression is compiled on its first use.
// A region or calling code whose metadata the fast path cannot represent is
// left out, so numbers for it take the library's path.
func tables() *tableSet {
	tablesOnce.Do(func() {
		t := &tableSet{regions: map[string]*regionInfo{}}
		coll, err := phonenumbers.MetadataCollection()
		if err != nil {
			tablesData = t
			return
		}
		byRegion := map[string]*phonenumbers.PhoneMetadata{}
		nonGeo := map[int]*phonenumbers.PhoneMetadata{}
		for _, m := range coll.GetMetadata() {
			if m.GetId() == "001" {
				nonGeo[int(m.GetCountryCode())] = m
			} else {
				byRegion[m.GetId()] = m
			}
		}
		infos := map[*phonenumbers.PhoneMetadata]*regionInfo{}
		info := func(m *phonenumbers.PhoneMetadata) *regionInfo {
			if m == nil {
				return nil
			}
			if ri, ok := infos[m]; ok {
				return ri
			}
			ri := newRegionInfo(m)
			infos[m] = ri
			return ri
		}
		for region := range phonenumbers.GetSupportedRegions() {
			if ri := info(byRegion[region]); ri != nil {
				t.regions[region] = ri
			}
		}
		for cc := range phonenumbers.GetSupportedCallingCodes() {
			if cc > 0 && cc < len(t.known) {
				t.known[cc] = true
			}
			codes := phonenumbers.GetRegionCodesForCountryCode(cc)
			if cc <= 0 || cc >= len(t.ccs) || len(codes) == 0 {
				continue
			}
			c := &ccInfo{cc: cc, digits: strconv.Itoa(cc)}
			complete := true
			if len(codes) == 1 && codes[0] == "001" {
				c.nonGeo = true
				c.main = info(nonGeo[cc])
				c.regions = []*regionInfo{c.main}
				complete = c.main != nil
			} else {
				for _, code := range codes {
					ri := info(byRegion[code])
					if ri == nil {
						complete = false
						break
					}
					c.regions = append(c.regions, ri)
				}
				if complete {
					c.main = c.regions[0]
				}
			}
			if complete {
				t.ccs[cc] = c
			}
		}
		tablesData = t
	})
	return tablesData
}

// region returns the prepared metadata of a supported region code, or nil.
func (t *tableSet) region(code string) *regionInfo {
	if len(code) != 2 {
		return nil
	}
	return t.regions[code]
}

// callingCode returns the calling code that digits start with, as the
// library's extractCountryCode finds it, and the digits after it.
func (t *tableSet) callingCode(digits []byte) (*ccInfo, []byte) {
	if len(digits) == 0 || digits[0] == '0' {
		return nil, nil
	}
	v := 0
	for i := 0; i < 3 && i < len(digits); i++ {
		v = v*10 + int(digits[i]-'0')
		if t.known[v] {
			return t.ccs[v], digits[i+1:]
		}
	}
	return nil, nil
}

func newRegionInfo(m *phonenumbers.PhoneMetadata) *regionInfo {
	cc := int(m.GetCountryCode())
	ri := &regionInfo{
		meta:      m,
		cc:        cc,
		ccDigits:  strconv.Itoa(cc),
		general:   newDesc(m.GetGeneralDesc()),
		idd:       newMatcher(m.GetInternationalPrefix()),
		transform: m.GetNationalPrefixTransformRule(),
	}
	// Same order of precedence as the library is irrelevant here: validity
	// only asks whether any type matches, so the likeliest types go first.
	candidates := []*phonenumbers.PhoneNumberDesc{m.GetFixedLine()}
	if !m.GetSameMobileAndFixedLinePattern() {
		candidates = append(candidates, m.GetMobile())
	}
	candidates = append(candidates, m.GetTollFree(), m.GetPremiumRate(), m.GetSharedCost(),
		m.GetVoip(), m.GetPersonalNumber(), m.GetPager(), m.GetUan(), m.GetVoicemail())
	for _, c := range candidates {
		if d := newDesc(c); d.lengths != 0 {
			ri.types = append(ri.types, d)
		}
	}
	if ld := m.GetLeadingDigits(); ld != "" {
		ri.leading = newMatcher(ld)
	}
	if np := m.GetNationalPrefixForParsing(); np != "" {
		ri.npfp = newMatcher(np)
	}
	pl := m.GetGeneralDesc().GetPossibleLength()
	local := m.GetGeneralDesc().GetPossibleLengthLocalOnly()
	for l := 0; l < 64; l++ {
		switch lengthResult(pl, local, int32(l)) {
		case lengthTooLong:
			ri.tooLong |= 1 << l
			ri.stripOK |= 1 << l
		case lengthPossible:
			ri.stripOK |= 1 << l
		}
	}
	return ri
}

// compile builds the regular expressions the fast path needs beside its
// automata. It runs once per region, on the region's first national-form
// number.
func (ri *regionInfo) compile() {
	ri.compileOnce.Do(func() {
		ri.iddRe = regexp.MustCompile(ri.meta.GetInternationalPrefix())
		if ri.npfp != nil {
			ri.npfpRe = regexp.MustCompile("^(?:" + ri.meta.GetNationalPrefixForParsing() + ")")
			ri.npfpPlain = ri.transform == "" && ri.npfpRe.NumSubexp() == 0 && ri.npfp.prefixFree()
		}
	})
}

func newDesc(d *phonenumbers.PhoneNumberDesc) desc {
	out := desc{m: newMatcher(d.GetNationalNumberPattern())}
	pl := d.GetPossibleLength()
	if len(pl) == 0 {
		out.lengths = ^uint64(0)
		return out
	}
	for _, l := range pl {
		if l >= 0 && l < 64 {
			out.lengths |= 1 << l
		}
	}
	return out
}

type lengthClass int

const (
	lengthPossible lengthClass = iota
	lengthTooShort
	lengthTooLong
	lengthLocalOnly
	lengthInvalid
)

// lengthResult classifies a length as the library's testNumberLength does
// for the general description (number type UNKNOWN).
func lengthResult(possible, localOnly []int32, n int32) lengthClass {
	if len(possible) == 0 || possible[0] == -1 {
		return lengthInvalid
	}
	for _, l := range localOnly {
		if l == n {
			return lengthLocalOnly
		}
	}
	switch {
	case possible[0] == n:
		return lengthPossible
	case possible[0] > n:
		return lengthTooShort
	case possible[len(possible)-1] < n:
		return lengthTooLong
	}
	for _, l := range possible[1:] {
		if l == n {
			return lengthPossible
		}
	}
	return lengthInvalid
}

// typeValid reports whether the national significant number has a known
// type in this region (the library's getNumberTypeHelper != UNKNOWN).
func (ri *regionInfo) typeValid(nsn []byte) bool {
	if !ri.general.match(nsn) {
		return false
	}
	for _, d := range ri.types {
		if d.match(nsn) {
			return true
		}
	}
	return false
}

// valid reports whether the library's IsValidNumber holds for a number with
// this calling code and national significant number: it picks the region as
// GetRegionCodeForNumber does (the first whose leading digits match, or
// without leading digits the first where the number has a type), then checks
// the number's type there.
func (c *ccInfo) valid(nsn []byte) bool {
	if len(c.regions) == 1 {
		return c.validIn(c.regions[0], nsn)
	}
	for _, r := range c.regions {
		if r.leading != nil {
			if r.leading.matchPrefix(nsn) {
				return c.validIn(r, nsn)
			}
		} else if r.typeValid(nsn) {
			return c.nonGeo || r.cc == c.cc
		}
	}
	return false
}

// validIn is the library's IsValidNumberForRegion.
func (c *ccInfo) validIn(r *regionInfo, nsn []byte) bool {
	return (c.nonGeo || r.cc == c.cc) && r.typeValid(nsn)
}
