package esl_test

import (
	"bufio"
	"errors"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl"
	"github.com/fsdialer/dialer/esl/fsparse"
)

// baseOriginate is a valid request every case starts from.
func baseOriginate() esl.Originate {
	return esl.Originate{
		DialTemplate:     "sofia/gateway/{gateway}/{number}",
		TemplateVars:     map[string]string{"gateway": "carrier1"},
		Number:           "+15551234567",
		UUID:             "0a5e16f0-c95b-4fe1-a6c8-76bf799520ad",
		CallerIDNumber:   "15550001111",
		CallerIDName:     "ACME",
		RingTimeout:      20 * time.Second,
		IgnoreEarlyMedia: true,
		Vars:             map[string]string{"dialer_campaign_id": "7", "note": "hello"},
		Dest:             esl.Destination{App: "park"},
	}
}

// intended computes, independently of the builder, what FreeSWITCH must read.
func intended(o esl.Originate) (vars map[string]string, endpoint string) {
	vars = maps.Clone(o.Vars)
	if vars == nil {
		vars = map[string]string{}
	}
	if o.UUID != "" {
		vars["origination_uuid"] = o.UUID
	}
	if o.CallerIDNumber != "" {
		vars["origination_caller_id_number"] = o.CallerIDNumber
	}
	if o.CallerIDName != "" {
		vars["origination_caller_id_name"] = o.CallerIDName
	}
	if o.RingTimeout > 0 {
		vars["originate_timeout"] = strconv.Itoa(int((o.RingTimeout + time.Second - 1) / time.Second))
	}
	if o.IgnoreEarlyMedia {
		vars["ignore_early_media"] = "true"
	}
	endpoint = strings.ReplaceAll(o.DialTemplate, "{number}", o.Number)
	for k, v := range o.TemplateVars {
		endpoint = strings.ReplaceAll(endpoint, "{"+k+"}", v)
	}
	return vars, endpoint
}

// assertFaithful renders o and checks, with the FreeSWITCH-faithful parser,
// that the command is one ESL line meaning exactly what o asks for.
func assertFaithful(t *testing.T, o esl.Originate) {
	t.Helper()
	cmd, err := o.Command()
	if err != nil {
		t.Fatalf("Command() = %v, want success", err)
	}
	args, _ := strings.CutPrefix(cmd, "originate ")
	for _, wire := range []string{"bgapi " + cmd + "\r\n\r\n", "api " + cmd + "\n\n"} {
		lines := fsparse.ParseCommandLine(wire)
		if want := strings.TrimRight(wire, "\r\n"); len(lines) != 1 || lines[0] != want {
			t.Fatalf("ESL framing of %q = %q, want one command", wire, lines)
		}
	}
	p, err := fsparse.ParseOriginate(args)
	if err != nil {
		t.Fatalf("ParseOriginate(%q) = %v", args, err)
	}
	wantVars, wantEndpoint := intended(o)
	if !maps.Equal(p.Vars, wantVars) {
		t.Errorf("FreeSWITCH reads vars %q from %q, want %q", p.Vars, args, wantVars)
	}
	if p.Enterprise != nil || len(p.Legs) != 1 || len(p.Legs[0]) != 1 {
		t.Fatalf("FreeSWITCH reads legs %+v from %q, want one", p.Legs, args)
	}
	if leg := p.Legs[0][0]; leg.Endpoint != wantEndpoint || len(leg.Vars) != 0 {
		t.Errorf("leg = %+v, want endpoint %q and no leg vars", leg, wantEndpoint)
	}
	d := o.Dest
	if d.App != "" {
		if !p.HasApp || p.App != d.App || p.AppArgs != d.AppArgs {
			t.Errorf("dest = %q app=%q args=%q, want app %q args %q", p.Dest, p.App, p.AppArgs, d.App, d.AppArgs)
		}
	} else {
		dp, ctx := d.Dialplan, d.Context
		if dp == "" {
			dp = "XML"
		}
		if ctx == "" {
			ctx = "default"
		}
		if p.HasApp || p.Dest != d.Extension || p.Dialplan != dp || p.Context != ctx {
			t.Errorf("dest = %q %q %q, want %q %q %q", p.Dest, p.Dialplan, p.Context, d.Extension, dp, ctx)
		}
	}
	if p.CIDName != "" || p.CIDNum != "" || p.Timeout != 0 {
		t.Errorf("extra positional arguments: %q", p.Args)
	}
}

// assertRefused checks that rendering fails with ErrUnsafe naming field.
func assertRefused(t *testing.T, o esl.Originate, field string) {
	t.Helper()
	args, err := o.Args()
	if err == nil {
		t.Fatalf("Args() = %q, want refusal", args)
	}
	if !errors.Is(err, esl.ErrUnsafe) {
		t.Fatalf("Args() error %v does not wrap ErrUnsafe", err)
	}
	if !strings.Contains(err.Error(), field) {
		t.Errorf("error %q does not name the field %q", err, field)
	}
}

func TestOriginate_Render(t *testing.T) {
	tests := []struct {
		name string
		edit func(*esl.Originate)
		want string
	}{
		{"app", func(o *esl.Originate) {},
			`{origination_uuid=0a5e16f0-c95b-4fe1-a6c8-76bf799520ad,origination_caller_id_number=15550001111,` +
				`origination_caller_id_name=ACME,originate_timeout=20,ignore_early_media=true,dialer_campaign_id=7,note=hello}` +
				`sofia/gateway/carrier1/+15551234567 &park()`},
		{"extension only", func(o *esl.Originate) {
			*o = esl.Originate{DialTemplate: "loopback/{number}/dialer_lab", Number: "1503",
				Dest: esl.Destination{Extension: "dialer_ivr_example"}}
		}, `loopback/1503/dialer_lab dialer_ivr_example`},
		{"extension dialplan context", func(o *esl.Originate) {
			*o = esl.Originate{DialTemplate: "loopback/{number}/dialer_lab", Number: "1503",
				Dest: esl.Destination{Extension: "dialer_ivr_example", Dialplan: "XML", Context: "dialer_ivr"}}
		}, `loopback/1503/dialer_lab dialer_ivr_example XML dialer_ivr`},
		{"context without dialplan uses undef", func(o *esl.Originate) {
			*o = esl.Originate{DialTemplate: "loopback/{number}/dialer_lab", Number: "1503",
				Dest: esl.Destination{Extension: "dialer_ivr_example", Context: "dialer_ivr"}}
		}, `loopback/1503/dialer_lab dialer_ivr_example undef dialer_ivr`},
		{"dialplan without context", func(o *esl.Originate) {
			*o = esl.Originate{DialTemplate: "loopback/{number}", Number: "1503",
				Dest: esl.Destination{Extension: "1000", Dialplan: "XML"}}
		}, `loopback/1503 1000 XML`},
		{"app args with spaces", func(o *esl.Originate) {
			*o = esl.Originate{DialTemplate: "user/{number}", Number: "1001",
				Dest: esl.Destination{App: "transfer", AppArgs: "1000 XML default"}}
		}, `user/1001 &transfer(1000\sXML\sdefault)`},
		{"comma and space escaped", func(o *esl.Originate) {
			*o = esl.Originate{DialTemplate: "error/{cause}", TemplateVars: map[string]string{"cause": "USER_BUSY"},
				Number: "1", CallerIDName: "Smith, John", Dest: esl.Destination{App: "park"}}
		}, `{origination_caller_id_name=Smith\,\sJohn}error/USER_BUSY &park()`},
		{"timeout rounds up", func(o *esl.Originate) {
			*o = esl.Originate{DialTemplate: "loopback/{number}", Number: "1", RingTimeout: 1500 * time.Millisecond,
				Dest: esl.Destination{App: "park"}}
		}, `{originate_timeout=2}loopback/1 &park()`},
		{"sub-second timeout is one second, not the default", func(o *esl.Originate) {
			*o = esl.Originate{DialTemplate: "loopback/{number}", Number: "1", RingTimeout: time.Millisecond,
				Dest: esl.Destination{App: "park"}}
		}, `{originate_timeout=1}loopback/1 &park()`},
		{"unicode", func(o *esl.Originate) {
			*o = esl.Originate{DialTemplate: "loopback/{number}", Number: "1", CallerIDName: "Иван Петров",
				Dest: esl.Destination{App: "park"}}
		}, `{origination_caller_id_name=Иван\sПетров}loopback/1 &park()`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := baseOriginate()
			tt.edit(&o)
			got, err := o.Args()
			if err != nil {
				t.Fatalf("Args() = %v", err)
			}
			if got != tt.want {
				t.Errorf("Args() =\n  %s\nwant\n  %s", got, tt.want)
			}
			assertFaithful(t, o)
		})
	}
}

// charClasses are the hostile and ordinary character classes every field is
// tried with.
var charClasses = []struct{ name, v string }{
	{"digits", "15551234567"},
	{"plus digits", "+15551234567"},
	{"star hash", "*72#"},
	{"letters", "carrier1"},
	{"dot dash underscore", "a.b-c_d"},
	{"comma", "7,origination_caller_id_number=666"},
	{"pipe", "1555|sofia/gateway/evil/1900"},
	{"enterprise", "a:_:user/1000"},
	{"colon", "a:b"},
	{"open brace", "a{b"},
	{"close brace", "x}sofia/gateway/evil/1"},
	{"open bracket", "[a=b]"},
	{"close bracket", "x]user/1000"},
	{"angle", "<a=b>"},
	{"single quote", "O'Brien"},
	{"double quote", `say "hi"`},
	{"space", "O Brien"},
	{"leading space", " x"},
	{"trailing space", "x "},
	{"double space", "a  b"},
	{"CR", "a\rb"},
	{"LF", "a\nb"},
	{"ESL injection", "1\n\napi hupall"},
	{"CRLF", "a\r\nb"},
	{"tab", "a\tb"},
	{"NUL", "a\x00b"},
	{"dollar brace", "${system(id)}"},
	{"api expansion", "${api(hupall)}"},
	{"dollar", "$5 off"},
	{"caret", "^^:a=1:b=2"},
	{"backslash", `a\,b`},
	{"backslash s", `a\sb`},
	{"equals", "a=b"},
	{"unicode", "Иван"},
	{"unicode space", "Иван Петров"},
	{"emoji", "🙂"},
	{"zero width joiner", "a\u200db"},
	{"line separator", "a\u2028b"},
	{"invalid utf8", "a\xffb"},
	{"empty", ""},
	{"undef", "undef"},
	{"event socket", "reload mod_event_socket"},
	{"over-long", strings.Repeat("9", 2000)},
	{"long 129", strings.Repeat("a", 129)},
	{"punctuation", "!#$%&()*+-./:;=?@_`~"},
}

// fieldCases sets one field of a valid request to v; ok lists the classes the
// field accepts (everything else must be refused).
var fieldCases = []struct {
	field string
	set   func(o *esl.Originate, v string)
	ok    []string
}{
	{"number", func(o *esl.Originate, v string) { o.Number = v },
		[]string{"digits", "plus digits", "star hash"}},
	{"caller ID number", func(o *esl.Originate, v string) { o.CallerIDNumber = v },
		[]string{"digits", "plus digits", "star hash", "empty"}},
	{`template var "gateway"`, func(o *esl.Originate, v string) { o.TemplateVars = map[string]string{"gateway": v} },
		[]string{"digits", "letters", "dot dash underscore", "undef"}},
	{"uuid", func(o *esl.Originate, v string) { o.UUID = v },
		[]string{"digits", "letters", "dot dash underscore", "undef", "empty"}},
	{`variable "note"`, func(o *esl.Originate, v string) { o.Vars = map[string]string{"note": v} },
		[]string{"digits", "plus digits", "star hash", "letters", "dot dash underscore", "comma", "colon", "space",
			"double space", "dollar", "equals", "unicode", "unicode space", "emoji", "undef", "long 129", "punctuation"}},
	{"caller ID name", func(o *esl.Originate, v string) { o.CallerIDName = v },
		[]string{"digits", "plus digits", "star hash", "letters", "dot dash underscore", "comma", "colon", "space",
			"double space", "dollar", "equals", "unicode", "unicode space", "emoji", "undef", "long 129", "punctuation", "empty"}},
	{"destination extension", func(o *esl.Originate, v string) { o.Dest = esl.Destination{Extension: v} },
		[]string{"digits", "letters", "dot dash underscore"}},
	{"destination dialplan", func(o *esl.Originate, v string) { o.Dest = esl.Destination{Extension: "1000", Dialplan: v} },
		[]string{"digits", "letters", "dot dash underscore", "empty"}},
	{"destination context", func(o *esl.Originate, v string) { o.Dest = esl.Destination{Extension: "1000", Context: v} },
		[]string{"digits", "letters", "dot dash underscore", "empty"}},
	{"destination app", func(o *esl.Originate, v string) { o.Dest = esl.Destination{App: v} },
		[]string{"digits", "letters", "dot dash underscore", "undef"}},
	{"destination app args", func(o *esl.Originate, v string) { o.Dest = esl.Destination{App: "bridge", AppArgs: v} },
		[]string{"digits", "plus digits", "star hash", "letters", "dot dash underscore", "comma", "colon", "space",
			"double space", "equals", "undef", "long 129", "empty", "enterprise"}},
	{"dial template", func(o *esl.Originate, v string) { o.DialTemplate = "sofia/gateway/{gateway}/" + v },
		[]string{"digits", "plus digits", "star hash", "letters", "dot dash underscore", "colon", "equals", "undef", "long 129", "empty"}},
}

func TestOriginate_CharacterClasses(t *testing.T) {
	for _, fc := range fieldCases {
		for _, cc := range charClasses {
			t.Run(fc.field+"/"+cc.name, func(t *testing.T) {
				o := baseOriginate()
				fc.set(&o, cc.v)
				if slices.Contains(fc.ok, cc.name) {
					assertFaithful(t, o)
					return
				}
				field := fc.field
				if cc.name == "empty" { // "no destination" rather than "destination app"
					field = strings.Fields(field)[0]
				}
				assertRefused(t, o, field)
			})
		}
	}
}

func TestOriginate_Refusals(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*esl.Originate)
		field string
	}{
		{"uppercase variable name", func(o *esl.Originate) { o.Vars = map[string]string{"Note": "x"} }, `variable "Note"`},
		{"variable name with dash", func(o *esl.Originate) { o.Vars = map[string]string{"a-b": "x"} }, `variable "a-b"`},
		{"variable name with equals", func(o *esl.Originate) { o.Vars = map[string]string{"a=b": "x"} }, `variable "a=b"`},
		{"variable name too long", func(o *esl.Originate) { o.Vars = map[string]string{strings.Repeat("a", 65): "x"} }, "variable"},
		{"reserved origination_uuid", func(o *esl.Originate) { o.Vars = map[string]string{"origination_uuid": "x"} }, `variable "origination_uuid"`},
		{"reserved nested vars", func(o *esl.Originate) { o.Vars = map[string]string{"origination_nested_vars": "true"} }, `variable "origination_nested_vars"`},
		{"variable named mod_event_socket", func(o *esl.Originate) { o.Vars = map[string]string{"mod_event_socket": "reload"} }, "command"},
		{"too many variables", func(o *esl.Originate) {
			o.Vars = map[string]string{}
			for i := range 300 {
				o.Vars["v"+strconv.Itoa(i)] = "x"
			}
		}, "variables"},
		{"template outside whitelist", func(o *esl.Originate) { o.DialTemplate = "verto/{number}" }, "dial template"},
		{"template with leading block", func(o *esl.Originate) { o.DialTemplate = "{a=b}sofia/gateway/{gateway}/{number}" }, "dial template"},
		{"template with second leg", func(o *esl.Originate) { o.DialTemplate = "sofia/gateway/{gateway}/{number},user/1000" }, "dial template"},
		{"template with failover", func(o *esl.Originate) { o.DialTemplate = "sofia/gateway/{gateway}/{number}|user/1000" }, "dial template"},
		{"template with enterprise", func(o *esl.Originate) { o.DialTemplate = "sofia/gateway/{gateway}/{number}:_:user/1000" }, "dial template"},
		{"template with space", func(o *esl.Originate) { o.DialTemplate = "sofia/gateway/{gateway}/{number} XML" }, "dial template"},
		{"template with expansion", func(o *esl.Originate) { o.DialTemplate = "sofia/gateway/${gw}/{number}" }, "dial template"},
		{"template unknown placeholder", func(o *esl.Originate) { o.DialTemplate = "sofia/gateway/{carrier}/{number}" }, "dial template"},
		{"template unterminated placeholder", func(o *esl.Originate) { o.DialTemplate = "sofia/gateway/{gateway/{number}" }, "dial template"},
		{"template bad placeholder", func(o *esl.Originate) { o.DialTemplate = "sofia/gateway/{Gateway}/{number}" }, "dial template"},
		{"template empty", func(o *esl.Originate) { o.DialTemplate = "" }, "dial template"},
		{"no destination", func(o *esl.Originate) { o.Dest = esl.Destination{} }, "destination"},
		{"app and extension", func(o *esl.Originate) { o.Dest = esl.Destination{App: "park", Extension: "1000"} }, "destination"},
		{"args without app", func(o *esl.Originate) { o.Dest = esl.Destination{Extension: "1000", AppArgs: "x"} }, "destination app args"},
		{"undef extension", func(o *esl.Originate) { o.Dest = esl.Destination{Extension: "UNDEF"} }, "destination extension"},
		{"undef context", func(o *esl.Originate) { o.Dest = esl.Destination{Extension: "1000", Context: "undef"} }, "destination context"},
		{"app args paren", func(o *esl.Originate) { o.Dest = esl.Destination{App: "a", AppArgs: "x)y"} }, "destination app args"},
		{"app args dollar", func(o *esl.Originate) { o.Dest = esl.Destination{App: "a", AppArgs: "$x"} }, "destination app args"},
		{"negative timeout", func(o *esl.Originate) { o.RingTimeout = -time.Second }, "ring timeout"},
		{"huge timeout", func(o *esl.Originate) { o.RingTimeout = 48 * time.Hour }, "ring timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := baseOriginate()
			tt.edit(&o)
			assertRefused(t, o, tt.field)
		})
	}
}

func TestOriginate_ErrorText(t *testing.T) {
	o := baseOriginate()
	o.Vars = map[string]string{"note": "a\nb"}
	_, err := o.Args()
	if got, want := err.Error(), `originate: variable "note": value contains '\n'`; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

func TestOriginate_NoVariables(t *testing.T) {
	o := esl.Originate{DialTemplate: "loopback/{number}/dialer_lab", Number: "1500", Dest: esl.Destination{App: "park"}}
	assertFaithful(t, o)
	if got, _ := o.Args(); got != "loopback/1500/dialer_lab &park()" {
		t.Errorf("Args() = %q", got)
	}
}

// loadHostile reads the shared hostile corpus: one Go-quoted string a line,
// blank lines and lines starting with '#' skipped.
func loadHostile(t testing.TB) []string {
	t.Helper()
	f, err := os.Open("../testdata/originate-hostile.txt")
	if err != nil {
		t.Fatalf("open hostile corpus: %v", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		v, err := strconv.Unquote(line)
		if err != nil {
			t.Fatalf("hostile corpus line %d: %v", n, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOriginate_HostileCorpus tries every hostile value in every field: each
// must be refused or be inert (FreeSWITCH reads exactly what was meant).
func TestOriginate_HostileCorpus(t *testing.T) {
	hostile := loadHostile(t)
	if len(hostile) < 20 {
		t.Fatalf("hostile corpus has %d entries, want at least 20", len(hostile))
	}
	for i, v := range hostile {
		for _, fc := range fieldCases {
			t.Run(strconv.Itoa(i)+"/"+fc.field, func(t *testing.T) {
				o := baseOriginate()
				fc.set(&o, v)
				if _, err := o.Args(); err != nil {
					if !errors.Is(err, esl.ErrUnsafe) {
						t.Fatalf("error %v does not wrap ErrUnsafe", err)
					}
					return
				}
				assertFaithful(t, o)
			})
		}
	}
}
