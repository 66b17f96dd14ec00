package fsparse_test

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/fsdialer/dialer/esl/fsparse"
)

type wantLeg struct {
	endpoint string
	vars     map[string]string
}

// TestParseOriginate_ProbeResults pins every case of
// ../shared/esl-probes/originate-parse-results.txt, which replayed
// FreeSWITCH's own C parse functions on these argument strings.
func TestParseOriginate_ProbeResults(t *testing.T) {
	tests := []struct {
		args    string
		aleg    string // first API argument after the split
		vars    map[string]string
		groups  [][]wantLeg
		wantErr bool
	}{
		{args: `{a='1,2',b=x}sofia/gateway/gw/100 &park()`, aleg: `{a=1,2,b=x}sofia/gateway/gw/100`,
			vars: map[string]string{"a": "1", "b": "x"}, groups: [][]wantLeg{{{endpoint: "sofia/gateway/gw/100"}}}},
		{args: `{a=1\,2,b=x}sofia/gateway/gw/100 &park()`, aleg: `{a=1\,2,b=x}sofia/gateway/gw/100`,
			vars: map[string]string{"a": "1,2", "b": "x"}, groups: [][]wantLeg{{{endpoint: "sofia/gateway/gw/100"}}}},
		{args: `{^^:a=1,2:b=x}sofia/gateway/gw/100 &park()`, aleg: `{^^:a=1,2:b=x}sofia/gateway/gw/100`,
			vars: map[string]string{"a": "1,2", "b": "x"}, groups: [][]wantLeg{{{endpoint: "sofia/gateway/gw/100"}}}},
		{args: `{a=\'1,2\'}sofia/gateway/gw/100 &park()`, aleg: `{a='1,2'}sofia/gateway/gw/100`,
			vars: map[string]string{"a": "1,2"}, groups: [][]wantLeg{{{endpoint: "sofia/gateway/gw/100"}}}},
		{args: `{n='O Brien Jr'}sofia/gateway/gw/100 &park()`, aleg: `{n=O Brien Jr}sofia/gateway/gw/100`,
			vars: map[string]string{"n": "O Brien Jr"}, groups: [][]wantLeg{{{endpoint: "sofia/gateway/gw/100"}}}},
		{args: `{n=O Brien}sofia/gateway/gw/100 &park()`, aleg: `{n=O`, wantErr: true},
		{args: `{dialer_campaign_id=7,origination_caller_id_number=666}sofia/gateway/gw/100 &park()`,
			aleg:   `{dialer_campaign_id=7,origination_caller_id_number=666}sofia/gateway/gw/100`,
			vars:   map[string]string{"dialer_campaign_id": "7", "origination_caller_id_number": "666"},
			groups: [][]wantLeg{{{endpoint: "sofia/gateway/gw/100"}}}},
		{args: `{campaign=7}[member=x]user/1000]sofia/gateway/gw/100 &park()`,
			aleg:   `{campaign=7}[member=x]user/1000]sofia/gateway/gw/100`,
			vars:   map[string]string{"campaign": "7"},
			groups: [][]wantLeg{{{endpoint: "user/1000]sofia/gateway/gw/100", vars: map[string]string{"member": "x"}}}}},
		{args: `{campaign=7}sofia/gateway/gw/15551234|sofia/gateway/evil/1900555 &park()`,
			aleg:   `{campaign=7}sofia/gateway/gw/15551234|sofia/gateway/evil/1900555`,
			vars:   map[string]string{"campaign": "7"},
			groups: [][]wantLeg{{{endpoint: "sofia/gateway/gw/15551234"}}, {{endpoint: "sofia/gateway/evil/1900555"}}}},
		{args: `{campaign=7}sofia/gateway/gw/155,user/1000 &park()`, aleg: `{campaign=7}sofia/gateway/gw/155,user/1000`,
			vars:   map[string]string{"campaign": "7"},
			groups: [][]wantLeg{{{endpoint: "sofia/gateway/gw/155"}, {endpoint: "user/1000"}}}},
		{args: `{a='x}y'}sofia/gateway/gw/100 &park()`, aleg: `{a=x}y}sofia/gateway/gw/100`,
			vars: map[string]string{"a": "x"}, groups: [][]wantLeg{{{endpoint: "y}sofia/gateway/gw/100"}}}},
		{args: `{campaign=7}[m='1,2',n=3]sofia/gateway/gw/100 &park()`, aleg: `{campaign=7}[m=1,2,n=3]sofia/gateway/gw/100`,
			vars:   map[string]string{"campaign": "7"},
			groups: [][]wantLeg{{{endpoint: "sofia/gateway/gw/100", vars: map[string]string{"m": "1", "n": "3"}}}}},
		{args: `{campaign=7}[m=1\,2,n=3]sofia/gateway/gw/100 &park()`, aleg: `{campaign=7}[m=1\,2,n=3]sofia/gateway/gw/100`,
			vars:   map[string]string{"campaign": "7"},
			groups: [][]wantLeg{{{endpoint: "sofia/gateway/gw/100", vars: map[string]string{"m": "1,2", "n": "3"}}}}},
		{args: `{origination_uuid=u1,x=1}sofia/gateway/gw/100 &park()`, aleg: `{origination_uuid=u1,x=1}sofia/gateway/gw/100`,
			vars: map[string]string{"origination_uuid": "u1", "x": "1"}, groups: [][]wantLeg{{{endpoint: "sofia/gateway/gw/100"}}}},
		{args: `[a=x|y]sofia/gateway/gw/100 &park()`, aleg: `[a=x|y]sofia/gateway/gw/100`, wantErr: true},
		{args: `{a=b=c,d=\\x}sofia/gateway/gw/100 &park()`, aleg: `{a=b=c,d=\x}sofia/gateway/gw/100`,
			vars: map[string]string{"a": "b=c", "d": `\x`}, groups: [][]wantLeg{{{endpoint: "sofia/gateway/gw/100"}}}},
		{args: `{a=x\sy}sofia/gateway/gw/100 &park()`, aleg: `{a=x y}sofia/gateway/gw/100`,
			vars: map[string]string{"a": "x y"}, groups: [][]wantLeg{{{endpoint: "sofia/gateway/gw/100"}}}},
		{args: `{a=1}[^^:m=1,2:n=3]sofia/gateway/gw/100 &park()`, aleg: `{a=1}[^^:m=1,2:n=3]sofia/gateway/gw/100`,
			vars:   map[string]string{"a": "1"},
			groups: [][]wantLeg{{{endpoint: "sofia/gateway/gw/100", vars: map[string]string{"m": "1,2", "n": "3"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			if got := fsparse.SplitArgs(tt.args)[0]; got != tt.aleg {
				t.Errorf("SplitArgs()[0] = %q, want %q", got, tt.aleg)
			}
			o, err := fsparse.ParseOriginate(tt.args)
			if tt.wantErr {
				if !errors.Is(err, fsparse.ErrMalformed) {
					t.Fatalf("err = %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseOriginate: %v", err)
			}
			if !maps.Equal(o.Vars, tt.vars) {
				t.Errorf("Vars = %q, want %q", o.Vars, tt.vars)
			}
			assertLegs(t, o.Legs, tt.groups)
			if !o.HasApp || o.App != "park" || o.AppArgs != "" || o.Dest != "&park()" {
				t.Errorf("dest = %q app=%q args=%q", o.Dest, o.App, o.AppArgs)
			}
		})
	}
}

func assertLegs(t *testing.T, got [][]fsparse.Leg, want [][]wantLeg) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d failover groups %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("group %d has %d legs %+v, want %d", i, len(got[i]), got[i], len(want[i]))
		}
		for j, w := range want[i] {
			g := got[i][j]
			if g.Endpoint != w.endpoint {
				t.Errorf("group %d leg %d endpoint = %q, want %q", i, j, g.Endpoint, w.endpoint)
			}
			if len(g.Vars) != len(w.vars) || !maps.Equal(g.Vars, w.vars) {
				t.Errorf("group %d leg %d vars = %q, want %q", i, j, g.Vars, w.vars)
			}
		}
	}
}

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`a b`, []string{"a", "b"}},
		{`  a   b  `, []string{"a", "b"}},
		{`a 'b c' d`, []string{"a", "b c", "d"}},
		{`a\sb c`, []string{"a b", "c"}},
		{`a\ b`, []string{`a\ b`}}, // "\ " is not an escape: the backslash stays
		{`\'x\' \"y\" \\z`, []string{"'x'", `"y"`, `\z`}},
		{`a\,b`, []string{`a\,b`}},           // not an escape at this level: kept for the block parser
		{`x\ny`, []string{"x\ny"}},           // \n is a LF after the split
		{`it's`, []string{"it's"}},           // a lone quote has no partner and stays
		{`'a b`, []string{"'a b"}},           // the split groups to the end; cleanup keeps the quote
		{`^^:a b:c`, []string{"a b", "c"}},   // ^^X picks the delimiter
		{`^^:`, []string{"^^:"}},             // needs a byte after X
		{"a\x00 b", []string{"a"}},           // a NUL ends the C string
		{`a\`, []string{`a\`}},               // trailing backslash
		{`'' x`, []string{"", "x"}},          // empty quoted token
		{`{a='x}y'}s`, []string{"{a=x}y}s"}}, // quotes vanish before the dial-string parser
	}
	for _, tt := range tests {
		if got := fsparse.SplitArgs(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("SplitArgs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseOriginate_Arguments(t *testing.T) {
	tests := []struct {
		args                        string
		dest, app, appArgs, dp, ctx string
		cidName, cidNum             string
		timeout                     int
		hasApp                      bool
	}{
		{args: "user/1 1000", dest: "1000", dp: "XML", ctx: "default"},
		{args: "user/1 1000 XML dialer_ivr", dest: "1000", dp: "XML", ctx: "dialer_ivr"},
		{args: "user/1 1000 undef dialer_ivr", dest: "1000", dp: "XML", ctx: "dialer_ivr"},
		{args: "user/1 1000 UNDEF undef Bob 555 30", dest: "1000", dp: "XML", ctx: "default", cidName: "Bob", cidNum: "555", timeout: 30},
		{args: "user/1 1000 XML default 'Bob Smith' 555 12abc", dest: "1000", dp: "XML", ctx: "default", cidName: "Bob Smith", cidNum: "555", timeout: 12},
		{args: "user/1 &park()", dest: "&park()", app: "park", hasApp: true, dp: "XML", ctx: "default"},
		{args: "user/1 &park", dest: "&park", app: "park", hasApp: true, dp: "XML", ctx: "default"},
		{args: `user/1 &transfer(1000\sXML\sdefault)`, dest: "&transfer(1000 XML default)", app: "transfer",
			appArgs: "1000 XML default", hasApp: true, dp: "XML", ctx: "default"},
		{args: "user/1 &bridge(a(b)c)", dest: "&bridge(a(b)c)", app: "bridge", appArgs: "a(b", hasApp: true, dp: "XML", ctx: "default"},
		{args: "user/1 &", dest: "&", dp: "XML", ctx: "default"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			o, err := fsparse.ParseOriginate(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			got := []any{o.Dest, o.App, o.AppArgs, o.HasApp, o.Dialplan, o.Context, o.CIDName, o.CIDNum, o.Timeout}
			want := []any{tt.dest, tt.app, tt.appArgs, tt.hasApp, tt.dp, tt.ctx, tt.cidName, tt.cidNum, tt.timeout}
			if !slices.Equal(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestParseOriginate_Errors(t *testing.T) {
	tests := []struct {
		args string
		want error
	}{
		{"", fsparse.ErrUsage},
		{"   ", fsparse.ErrUsage},
		{"user/1", fsparse.ErrUsage},
		{"user/1 a b c d e f g", fsparse.ErrUsage}, // 8 arguments
		{"undef &park()", fsparse.ErrMalformed},
		{"user/1 undef", fsparse.ErrMalformed},
		{"{a=1 &park()", fsparse.ErrMalformed},
		{"{a=1} &park()", fsparse.ErrMalformed},    // the space ends the dial string: nothing after the block
		{"'{a=1} ' &park()", fsparse.ErrMalformed}, // nothing after the block
		{"<a=1 &park()", fsparse.ErrMalformed},
		{"[a=1 &park()", fsparse.ErrMalformed},
		{"user/1:_: &park()", fsparse.ErrMalformed}, // empty enterprise branch
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			_, err := fsparse.ParseOriginate(tt.args)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseOriginate_DialStrings(t *testing.T) {
	tests := []struct {
		name   string
		aleg   string
		vars   map[string]string
		groups [][]wantLeg
	}{
		{"repeated global blocks merge", `{a=1}{b=2,a=3}user/1`,
			map[string]string{"a": "3", "b": "2"}, [][]wantLeg{{{endpoint: "user/1"}}}},
		{"later duplicate wins case-insensitively", `{A=1,a=2}user/1`,
			map[string]string{"a": "2"}, [][]wantLeg{{{endpoint: "user/1"}}}},
		{"trailing space is trimmed before the = split, so a=<space> is dropped", `{a=1}{a=\s}user/1`,
			map[string]string{"a": "1"}, [][]wantLeg{{{endpoint: "user/1"}}}},
		{"a value that cleans to empty deletes", `{a=1}{a=\\\'\\\'}user/1`,
			map[string]string{}, [][]wantLeg{{{endpoint: "user/1"}}}},
		{"variable without = is dropped", `{a,b=2}user/1`,
			map[string]string{"b": "2"}, [][]wantLeg{{{endpoint: "user/1"}}}},
		{"ultra-global then global", `<u=1>{g=2}user/1`,
			map[string]string{"u": "1", "g": "2"}, [][]wantLeg{{{endpoint: "user/1"}}}},
		{"spaces around variables are trimmed", `{a=\s1\s,\sb=2}user/1`,
			map[string]string{"a": "1", "b": "2"}, [][]wantLeg{{{endpoint: "user/1"}}}},
		{"pipe inside a global block is harmless", `{a=x|y}user/1`,
			map[string]string{"a": "x|y"}, [][]wantLeg{{{endpoint: "user/1"}}}},
		{"brace inside a value ends the block", `{a=x{y}z}user/1`,
			map[string]string{"a": "x{y}z"}, [][]wantLeg{{{endpoint: "user/1"}}}},
		{"escaped pipe", `user/1\|user/2`,
			map[string]string{}, [][]wantLeg{{{endpoint: "user/1|user/2"}}}},
		{"per-leg blocks on parallel legs", `[a=1,b=2]user/1,[c=3]user/2`,
			map[string]string{}, [][]wantLeg{{{endpoint: "user/1", vars: map[string]string{"a": "1", "b": "2"}},
				{endpoint: "user/2", vars: map[string]string{"c": "3"}}}}},
		{"quoted comma in a leg block", `[a='1,2',b=3]user/1`,
			map[string]string{}, [][]wantLeg{{{endpoint: "user/1", vars: map[string]string{"a": "1", "b": "3"}}}}},
		{"empty failover group", `user/1||user/2`,
			map[string]string{}, [][]wantLeg{{{endpoint: "user/1"}}, nil, {{endpoint: "user/2"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := fsparse.ParseOriginate(tt.aleg + " &park()")
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(o.Vars, tt.vars) {
				t.Errorf("Vars = %q, want %q", o.Vars, tt.vars)
			}
			assertLegs(t, o.Legs, tt.groups)
		})
	}
}

func TestParseOriginate_Enterprise(t *testing.T) {
	o, err := fsparse.ParseOriginate(`<u=1>{a=2}sofia/a:_:{b=3}user/1,user/2|error/USER_BUSY 1000 XML ctx`)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"u": "1", "ignore_early_media": "true"}; !maps.Equal(o.Vars, want) {
		t.Errorf("Vars = %q, want %q", o.Vars, want)
	}
	if len(o.Enterprise) != 2 {
		t.Fatalf("Enterprise = %+v, want 2 branches", o.Enterprise)
	}
	if want := map[string]string{"u": "1", "ignore_early_media": "true", "a": "2"}; !maps.Equal(o.Enterprise[0].Vars, want) {
		t.Errorf("branch 0 Vars = %q, want %q", o.Enterprise[0].Vars, want)
	}
	assertLegs(t, o.Enterprise[1].Legs, [][]wantLeg{{{endpoint: "user/1"}, {endpoint: "user/2"}}, {{endpoint: "error/USER_BUSY"}}})
	assertLegs(t, o.Legs, [][]wantLeg{{{endpoint: "sofia/a"}, {endpoint: "user/1"}, {endpoint: "user/2"}, {endpoint: "error/USER_BUSY"}}})

	// ":_:" anywhere, even inside a variable value, splits the dial string.
	o, err = fsparse.ParseOriginate(`{note=a:_:b}user/1 &park()`)
	if err == nil {
		t.Fatalf("{note=a:_:b}: got %+v, want a broken enterprise parse", o)
	}
}

func TestParseCommandLine(t *testing.T) {
	tests := []struct {
		raw  string
		want []string
	}{
		{"api status\n\n", []string{"api status"}},
		{"bgapi status\r\n\r\n", []string{"bgapi status"}},
		{"\r\n\n\napi status\n\n", []string{"api status"}},                               // leading blank lines skipped
		{"api uuid_kill abc\n\napi hupall", []string{"api uuid_kill abc", "api hupall"}}, // ESL.md's injection
		{"api a\nFoo: bar\n\napi b\n\n", []string{"api a", "api b"}},                     // header lines are not commands
		{"api a\nX\nY\n\n", []string{"api a"}},
		{"api a\n\r\napi b\n\n", []string{"api a\n", "api b"}}, // CR does not break the LF run; strip_cr cuts at the CR
		{"api a\r\rb\n\n", []string{"api a"}},
		{"sendmsg x\nContent-Length: 13\n\napi hupall\n\n\napi status\n\n", []string{"sendmsg x", "api status"}},
		{"api a\nX: y\r\n\n", []string{"api a\nX: y"}}, // strip_cr cuts at the first CR, not the first LF
		{"api a\x00b\n\n", []string{"api a"}},          // NUL ends the C string
		{"api originate x reload MOD_EVENT_SOCKET\n\n", []string{"api bgapi reload mod_event_socket"}},
		{"api x unload mod_event_socket\n\n", []string{"api bgapi unload mod_event_socket"}},
		{"", nil},
		{"\r\n\r\n", nil},
	}
	for _, tt := range tests {
		if got := fsparse.ParseCommandLine(tt.raw); !slices.Equal(got, tt.want) {
			t.Errorf("ParseCommandLine(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

// FuzzParseOriginate checks that the parsers never panic and keep their basic
// invariants on arbitrary input.
func FuzzParseOriginate(f *testing.F) {
	for _, s := range []string{
		`{a='1,2',b=x}sofia/gateway/gw/100 &park()`,
		`{a=1}[^^:m=1,2:n=3]sofia/gateway/gw/100 &park()`,
		`<u=1>{a=2}sofia/a:_:{b=3}user/1,user/2|error/X 1000 XML ctx`,
		`{a=1}{{b=2}}x &park()`,
		`{a=1} {{b=2}}x &park()`,
		"[a=1,[b=2]]x,y|z &park()",
		`^^,a,b`,
		"^^,0,,,", // "^^X" also applies to the API split; empty arguments are not "undef"
		"api a\nContent-Length: 3\n\nabcapi b\n\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := fsparse.ParseOriginate(s)
		if err == nil {
			if len(o.Legs) == 0 {
				t.Fatalf("ParseOriginate(%q) succeeded without legs", s)
			}
			if len(o.Args) < 2 || len(o.Args) > 7 {
				t.Fatalf("ParseOriginate(%q) succeeded with %d arguments", s, len(o.Args))
			}
		} else if !errors.Is(err, fsparse.ErrUsage) && !errors.Is(err, fsparse.ErrMalformed) {
			t.Fatalf("ParseOriginate(%q) error %v wraps neither sentinel", s, err)
		}
		for _, line := range fsparse.ParseCommandLine(s) {
			if strings.HasPrefix(line, "\n") || strings.HasPrefix(line, "\r") {
				t.Fatalf("ParseCommandLine(%q) returned a line starting with a line break: %q", s, line)
			}
		}
		_ = fsparse.SplitArgs(s)
	})
}
