package phone_test

import (
	"errors"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/fsdialer/dialer/dialer/phone"
	"github.com/nyaruka/phonenumbers"
)

// library is the reference: the slow path the fast one must equal.
func library(raw, region string) (e164 string, ok bool) {
	defer func() {
		if recover() != nil {
			e164, ok = "", false
		}
	}()
	num, err := phonenumbers.Parse(raw, region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", false
	}
	return phonenumbers.Format(num, phonenumbers.E164), true
}

// checkSame fails t unless Normalize, the fast path (when it handles the
// input) and the library agree on raw in region. It reports whether the fast
// path handled the input.
func checkSame(t testing.TB, raw, region string) bool {
	t.Helper()
	want, wantOK := library(raw, region)
	got, err := phone.Normalize(raw, region)
	if (err == nil) != wantOK || got != want {
		t.Fatalf("Normalize(%q, %q) = %q, %v; library: %q, valid %v", raw, region, got, err, want, wantOK)
	}
	if err != nil {
		_, slowErr := phone.NormalizeSlow(raw, region)
		if slowErr == nil || err.Error() != slowErr.Error() {
			t.Fatalf("Normalize(%q, %q) error %q, slow path error %v", raw, region, err, slowErr)
		}
		var pe *phone.Error
		if !errors.As(err, &pe) || pe.Input != raw {
			t.Fatalf("Normalize(%q, %q) error %#v is not a *phone.Error for the input", raw, region, err)
		}
	}
	fast, handled, fastErr := phone.NormalizeFast(raw, region)
	if !handled {
		return false
	}
	if (fastErr == nil) != wantOK || fast != want {
		t.Fatalf("fast path (%q, %q) = %q, %v; library: %q, valid %v", raw, region, fast, fastErr, want, wantOK)
	}
	return true
}

func TestNormalize_Examples(t *testing.T) {
	tests := []struct {
		raw, region string
		want        string
		wantErr     string
	}{
		{raw: "+14155550123", region: "US", want: "+14155550123"},
		{raw: "+1 415-555-0123", region: "US", want: "+14155550123"},
		{raw: "(415) 555-0123", region: "US", want: "+14155550123"},
		{raw: "1 (415) 555-0123", region: "US", want: "+14155550123"},
		{raw: "415.555.0123", region: "US", want: "+14155550123"},
		{raw: "0044 20 7123 4567", region: "GB", want: "+442071234567"},
		{raw: "0044 20 7123 4567", region: "DE", want: "+442071234567"},
		{raw: "011 44 20 7123 4567", region: "US", want: "+442071234567"},
		{raw: "020 7123 4567", region: "GB", want: "+442071234567"},
		{raw: "+44 (0)20 7123 4567", region: "US", want: "+442071234567"},
		{raw: "+39 06 1234 5678", region: "US", want: "+390612345678"},
		{raw: "06 1234 5678", region: "IT", want: "+390612345678"},
		{raw: "+1 415 555 0123 ext. 12", region: "US", want: "+14155550123"},
		{raw: "tel:+1-415-555-0123", region: "", want: "+14155550123"},
		{raw: "+14155550123", region: "", want: "+14155550123"},
		{raw: "12", region: "US", wantErr: `"12": not a valid phone number for region US`},
		{raw: "abc", region: "US", wantErr: `"abc": not a phone number`},
		{raw: "", region: "US", wantErr: `"": not a phone number`},
		{raw: "+44 20 7123", region: "US", wantErr: `"+44 20 7123": not a valid phone number for region GB`},
		{raw: "+800 1234 5678", region: "US", want: "+80012345678"},
		{raw: "+800 1234 567", region: "US", wantErr: `"+800 1234 567": not a valid phone number for country calling code +800`},
		{raw: "+999 1234 5678", region: "US", wantErr: `"+999 1234 5678": invalid country calling code`},
		{raw: "4155550123", region: "XX", wantErr: `"4155550123": invalid country calling code (national numbers need a valid default region, not "XX")`},
		{raw: "+1", region: "US", wantErr: `"+1": not a phone number`},
		{raw: "+999 1234 5678", region: "XX", wantErr: `"+999 1234 5678": invalid country calling code`},
		{raw: "+1 613 555 0123", region: "XX", want: "+16135550123"},
		{raw: "(613) 555-0123", region: "CA", want: "+16135550123"},
		{raw: "876 555 0123", region: "JM", want: "+18765550123"},
		{raw: strings.Repeat("1", 300), region: "US", wantErr: `"` + strings.Repeat("1", 300) + `": too long to be a phone number`},
	}
	for _, tt := range tests {
		t.Run(tt.raw+"/"+tt.region, func(t *testing.T) {
			got, err := phone.Normalize(tt.raw, tt.region)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if got != tt.want || gotErr != tt.wantErr {
				t.Errorf("Normalize(%q, %q) = %q, %q; want %q, %q", tt.raw, tt.region, got, gotErr, tt.want, tt.wantErr)
			}
			checkSame(t, tt.raw, tt.region)
		})
	}
}

// corpus generates many inputs in many forms: every region's example numbers
// of every type, written internationally, nationally, with international
// prefixes and punctuation, and mutated into near misses; plus random digit
// strings. Each comes with a default region to parse it in.
func corpus(perNumber int, random int) [][2]string {
	rng := rand.New(rand.NewPCG(1, 2))
	regions := make([]string, 0, 256)
	for r := range phonenumbers.GetSupportedRegions() {
		regions = append(regions, r)
	}
	slices.Sort(regions)
	types := []phonenumbers.PhoneNumberType{
		phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE,
		phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST, phonenumbers.VOIP,
		phonenumbers.PERSONAL_NUMBER, phonenumbers.PAGER, phonenumbers.UAN,
		phonenumbers.VOICEMAIL,
	}
	var examples []*phonenumbers.PhoneNumber
	var homes []string
	for _, r := range regions {
		for _, typ := range types {
			if ex := phonenumbers.GetExampleNumberForType(r, typ); ex != nil {
				examples = append(examples, ex)
				homes = append(homes, r)
			}
		}
	}
	nonGeo := make([]int, 0, 16)
	for cc := range phonenumbers.GetSupportedGlobalNetworkCallingCodes() {
		nonGeo = append(nonGeo, cc)
	}
	slices.Sort(nonGeo)
	for _, cc := range nonGeo {
		if ex := phonenumbers.GetExampleNumberForNonGeoEntity(cc); ex != nil {
			examples = append(examples, ex)
			homes = append(homes, "US")
		}
	}

	punct := []string{"", " ", "-", ".", "(", ")", "  "}
	scatter := func(s string) string {
		var b strings.Builder
		for i := range len(s) {
			b.WriteByte(s[i])
			if rng.IntN(3) == 0 {
				b.WriteString(punct[rng.IntN(len(punct))])
			}
		}
		return b.String()
	}
	mutate := func(nsn string) string {
		d := []byte(nsn)
		switch rng.IntN(9) {
		case 0, 6, 7, 8: // change one of the last four digits: usually still valid
			i := max(0, len(d)-1-rng.IntN(4))
			d[i] = byte('0' + rng.IntN(10))
		case 1:
			i := rng.IntN(len(d))
			d = slices.Delete(d, i, i+1)
		case 2:
			d = slices.Insert(d, rng.IntN(len(d)+1), byte('0'+rng.IntN(10)))
		case 3:
			d[0] = byte('0' + rng.IntN(10))
		case 4:
			for i := range d {
				d[i] = byte('0' + rng.IntN(10))
			}
		case 5:
			for i := max(0, len(d)-4); i < len(d); i++ {
				d[i] = byte('0' + rng.IntN(10))
			}
		}
		return string(d)
	}
	pickRegion := func(home string) string {
		switch n := rng.IntN(10); {
		case n < 4:
			return home
		case n < 6:
			return []string{"US", "GB", "DE", "IT", "AR", "BR", "MX", "IN", "RU", "FR", "JP", "AU", "CA", "AG"}[rng.IntN(14)]
		case n < 9:
			return regions[rng.IntN(len(regions))]
		default:
			return []string{"", "XX", "001", "us"}[rng.IntN(4)]
		}
	}

	var out [][2]string
	for i, ex := range examples {
		cc := strconv.Itoa(int(ex.GetCountryCode()))
		home := homes[i]
		nsn := phonenumbers.GetNationalSignificantNumber(ex)
		forms := []func(string) string{
			func(n string) string { return "+" + cc + n },
			func(n string) string { return "+" + cc + " " + scatter(n) },
			func(n string) string { return scatter(n) },
			func(n string) string { return "(" + n[:min(3, len(n))] + ") " + n[min(3, len(n)):] },
			func(n string) string { return "0" + n },
			func(n string) string { return "1" + n },
			func(n string) string { return cc + n },
			func(n string) string { return "00" + cc + " " + n },
			func(n string) string { return "011 " + cc + " " + n },
			func(n string) string { return "+" + cc + "0" + n },
			func(n string) string { return "+" + n },
			// Subscriber numbers alone: exercises national prefix transform
			// rules (NANPA members) and local-only lengths.
			func(n string) string { return n[len(n)/3:] },
			func(n string) string { return n[max(0, len(n)-7):] },
		}
		for j := 0; j < perNumber; j++ {
			n := nsn
			if j > 0 {
				n = mutate(nsn)
			}
			if n == "" {
				continue
			}
			raw := forms[rng.IntN(len(forms))](n)
			out = append(out, [2]string{raw, pickRegion(home)})
		}
		for _, f := range []phonenumbers.PhoneNumberFormat{phonenumbers.INTERNATIONAL, phonenumbers.NATIONAL, phonenumbers.RFC3966} {
			out = append(out, [2]string{phonenumbers.Format(ex, f), pickRegion(home)})
		}
	}
	chars := "0123456789012345678901234567890123456789 -().+x#/,;*aA\u00a0\uff11"
	for range random {
		var b strings.Builder
		if rng.IntN(3) == 0 {
			b.WriteByte('+')
		}
		for range 1 + rng.IntN(18) {
			if rng.IntN(4) == 0 {
				r := []rune(chars)
				b.WriteRune(r[rng.IntN(len(r))])
			} else {
				b.WriteByte(byte('0' + rng.IntN(10)))
			}
		}
		out = append(out, [2]string{b.String(), regions[rng.IntN(len(regions))]})
	}
	return out
}

func TestNormalize_MatchesLibrary(t *testing.T) {
	perNumber, random := 24, 10000
	if raceEnabled || testing.Short() {
		// The race detector slows the library's regular expressions down
		// tenfold; the full set runs without it.
		perNumber, random = 2, 300
	}
	cases := corpus(perNumber, random)
	handled, valid := 0, 0
	for _, c := range cases {
		if checkSame(t, c[0], c[1]) {
			handled++
		}
		if _, err := phone.Normalize(c[0], c[1]); err == nil {
			valid++
		}
	}
	t.Logf("%d inputs, %d valid, %d decided by the fast path", len(cases), valid, handled)
	// The comparison means little if the fast path hands everything on.
	if handled < len(cases)*6/10 || valid < len(cases)/5 {
		t.Errorf("fast path decided %d and %d were valid, of %d inputs", handled, valid, len(cases))
	}
}

// TestMatcher_MatchesRegexp checks the automata against the regular
// expressions for every pattern of the metadata on digit strings built from
// the example numbers and at random.
func TestMatcher_MatchesRegexp(t *testing.T) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	perPattern := 40
	if raceEnabled {
		perPattern = 8
	}
	seen := map[string]bool{}
	checked, prefixFree := 0, 0
	// Patterns beyond the metadata: an automaton too large to build, other
	// assertions (both fall back to regexp), end of text inside alternation.
	extra := &phonenumbers.PhoneMetadata{NationalPrefixForParsing: ptr(`\d*5\d{14}`),
		InternationalPrefix: ptr(`1\b|2`), LeadingDigits: ptr(`(?m)1$|12$|(1)?0`)}
	for _, m := range append([]*phonenumbers.PhoneMetadata{extra}, coll.GetMetadata()...) {
		descs := []*phonenumbers.PhoneNumberDesc{m.GetGeneralDesc(), m.GetFixedLine(), m.GetMobile(),
			m.GetTollFree(), m.GetPremiumRate(), m.GetSharedCost(), m.GetPersonalNumber(),
			m.GetVoip(), m.GetPager(), m.GetUan(), m.GetVoicemail()}
		var samples []string
		patterns := []string{m.GetNationalPrefixForParsing(), m.GetInternationalPrefix(), m.GetLeadingDigits()}
		for _, d := range descs {
			patterns = append(patterns, d.GetNationalNumberPattern())
			if ex := d.GetExampleNumber(); ex != "" {
				samples = append(samples, ex, m.GetNationalPrefix()+ex, ex[:len(ex)/2])
			}
		}
		for _, p := range patterns {
			if seen[p] {
				continue
			}
			seen[p] = true
			full, prefix, isPrefixFree, prefixEnd := phone.PatternMatcher(p)
			reFull := regexp.MustCompile("^(?:" + p + ")$")
			rePrefix := regexp.MustCompile("^(?:" + p + ")")
			free := isPrefixFree()
			if free {
				prefixFree++
			}
			inputs := append([]string{""}, samples...)
			for range perPattern {
				n := 1 + rng.IntN(17)
				b := make([]byte, n)
				for i := range b {
					b[i] = byte('0' + rng.IntN(10))
				}
				inputs = append(inputs, string(b))
			}
			inputs = append(inputs, "12a4", "0x")
			for _, in := range inputs {
				b := []byte(in)
				if got, want := full(b), reFull.Match(b); got != want {
					t.Fatalf("pattern %q full match of %q = %v, regexp %v", p, in, got, want)
				}
				if got, want := prefix(b), rePrefix.Match(b); got != want {
					t.Fatalf("pattern %q prefix match of %q = %v, regexp %v", p, in, got, want)
				}
				if free && !strings.ContainsFunc(in, func(r rune) bool { return r < '0' || r > '9' }) {
					want := -1
					if loc := rePrefix.FindIndex(b); loc != nil {
						want = loc[1]
					}
					if got := prefixEnd(b); got != want {
						t.Fatalf("pattern %q prefix end in %q = %d, regexp %d", p, in, got, want)
					}
				}
				checked++
			}
		}
	}
	t.Logf("%d patterns (%d prefix-free), %d inputs", len(seen), prefixFree, checked)
	if prefixFree == 0 {
		t.Error("no pattern found prefix-free; the national prefix shortcut is never used")
	}
}

func ptr(s string) *string { return &s }

func TestTimezones_Lookup(t *testing.T) {
	tests := []struct {
		e164    string
		want    []string
		wantErr bool
	}{
		{e164: "+442071234567", want: []string{"Europe/London"}},
		{e164: "+14155550123", want: []string{"America/Los_Angeles"}},
		{e164: "+390612345678", want: []string{"Europe/Rome"}},
		{e164: "+80012345678", want: nil},
		{e164: "not a number", wantErr: true},
		{e164: "4155550123", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.e164, func(t *testing.T) {
			got, err := phone.Timezones(tt.e164)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Timezones(%q) error = %v, want error %v", tt.e164, err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Timezones(%q) = %q, want %q", tt.e164, got, tt.want)
			}
		})
	}
}

func TestTimezones_CallerCannotCorruptTable(t *testing.T) {
	got, err := phone.Timezones("+442071234567")
	if err != nil || len(got) == 0 {
		t.Fatalf("Timezones = %q, %v", got, err)
	}
	got[0] = "Mars/Olympus"
	again, _ := phone.Timezones("+442071234567")
	if again[0] != "Europe/London" {
		t.Errorf("after the caller changed its slice, Timezones = %q", again)
	}
}

func TestValidRegion_Codes(t *testing.T) {
	for region, want := range map[string]bool{"US": true, "GB": true, "DE": true, "AG": true, "us": false, "": false, "XX": false, "001": false, "ZZ": false} {
		if got := phone.ValidRegion(region); got != want {
			t.Errorf("ValidRegion(%q) = %v, want %v", region, got, want)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, c := range corpus(1, 50)[:400] {
		f.Add(c[0], c[1])
	}
	f.Add("+1 415-555-0123", "US")
	f.Add("(415) 555-0123", "US")
	f.Add("0044 20 7123 4567", "GB")
	f.Add("+54 9 11 1234 5678", "AR")
	f.Add("011 54 9 11 1234 5678", "US")
	f.Add("268 464 1234", "AG")
	f.Add("464 1234", "AG")
	f.Fuzz(func(t *testing.T, raw, region string) {
		checkSame(t, raw, region)
	})
}

func BenchmarkNormalize(b *testing.B) {
	inputs := []struct{ name, raw, region string }{
		{"e164", "+14155550123", "US"},
		{"national", "(415) 555-0123", "US"},
		{"e164_gb", "+442071234567", "US"},
		{"national_gb", "020 7123 4567", "GB"},
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := phone.Normalize(in.raw, in.region); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(in.name+"/library", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := phone.NormalizeSlow(in.raw, in.region); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
