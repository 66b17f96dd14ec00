package esl

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fsdialer/dialer/esl/fsparse"
)

// ErrUnsafe is wrapped by every refusal of Originate.Args and Command: a
// value that is not on the whitelist for its field, or that could change the
// command's meaning (add a variable or a leg, shift an argument, start another
// ESL command, reach ${...} expansion). The error text names the field, e.g.
// `originate: variable "note": value contains '\n'`.
var ErrUnsafe = errors.New("originate: unsafe value")

// Destination is where an answered originated leg goes: either App (with
// AppArgs) runs on it, rendered as "&app(args)", or it is transferred to
// Extension in Dialplan and Context (FreeSWITCH's defaults "XML" and
// "default" apply when those are empty).
type Destination struct {
	App, AppArgs                 string
	Extension, Dialplan, Context string
}

// Originate is one originate request. Args renders it as the text after
// "originate " with every value validated and escaped; see Args for the rules.
type Originate struct {
	// DialTemplate is the endpoint with {placeholders}, e.g.
	// "sofia/gateway/{gateway}/{number}" or "loopback/{number}/dialer_lab".
	// It must start with sofia/, user/, loopback/ or error/.
	DialTemplate string
	// TemplateVars gives the values of placeholders other than {number}.
	TemplateVars map[string]string
	// Number is the number to dial: ^\+?[0-9*#]{1,32}$.
	Number string
	// UUID becomes origination_uuid (the a-leg's Unique-ID); empty lets
	// FreeSWITCH choose.
	UUID string
	// CallerIDNumber and CallerIDName become origination_caller_id_number and
	// origination_caller_id_name; empty leaves FreeSWITCH's default.
	CallerIDNumber, CallerIDName string
	// RingTimeout becomes originate_timeout, rounded up to whole seconds;
	// zero leaves FreeSWITCH's default (60 s).
	RingTimeout time.Duration
	// IgnoreEarlyMedia sets ignore_early_media=true, so that originate waits
	// for answer instead of succeeding on 183 early media.
	IgnoreEarlyMedia bool
	// Vars are further channel variables, rendered in sorted key order.
	Vars map[string]string
	// Dest is where the answered leg goes.
	Dest Destination
}

// Limits on what Args accepts.
const (
	origMaxVars     = 256  // FreeSWITCH splits a block into at most 1024 parts
	origMaxValueLen = 1024 // bytes, per variable value (after validation)
	origMaxIDLen    = 128
	origMaxArgsLen  = 256 // destination app arguments
	origMaxEndpoint = 512
	origMaxTimeout  = 24 * time.Hour
)

var (
	origNumberRe = regexp.MustCompile(`^\+?[0-9*#]{1,32}$`)
	origNameRe   = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)
	origIDRe     = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	// Characters the dial template may contain outside its placeholders.
	origEndpointRe = regexp.MustCompile(`^(sofia|user|loopback|error)/[A-Za-z0-9._@:/+=;*#-]+$`)
)

// origReserved are variables the builder sets from its own fields, or that
// would weaken FreeSWITCH's own checks; Vars may not set them.
var origReserved = map[string]string{
	"origination_uuid":             "set it with the UUID field",
	"origination_caller_id_number": "set it with the CallerIDNumber field",
	"origination_caller_id_name":   "set it with the CallerIDName field",
	"originate_timeout":            "set it with the RingTimeout field",
	"ignore_early_media":           "set it with the IgnoreEarlyMedia field",
	"origination_nested_vars":      "it disables FreeSWITCH's ${...} check on variable values",
}

// origError is a refusal naming the field; it wraps ErrUnsafe.
type origError struct{ field, reason string }

func (e *origError) Error() string { return "originate: " + e.field + ": " + e.reason }
func (e *origError) Unwrap() error { return ErrUnsafe }

func origRefuse(field, format string, a ...any) error {
	return &origError{field: field, reason: fmt.Sprintf(format, a...)}
}

// Command returns "originate " followed by Args, ready to send as
// "api <command>" or "bgapi <command>".
func (o Originate) Command() (string, error) {
	args, err := o.Args()
	if err != nil {
		return "", err
	}
	return "originate " + args, nil
}

// Args renders the originate arguments: a dial string
// "{var=value,...}endpoint" followed by "&app(args)" or
// "extension [dialplan [context]]". Every field is checked against a
// whitelist, and everything that is not provably inert in all three layers
// FreeSWITCH parses (ESL line framing, the API's space/quote/backslash split,
// the dial-string parser; see package fsparse) is refused with an error
// wrapping ErrUnsafe:
//
//   - Number: ^\+?[0-9*#]{1,32}$. CallerIDNumber: the same.
//   - Variable names: ^[a-z0-9_]{1,64}$, and not one the builder sets itself.
//   - Ids (UUID, TemplateVars values, App, Extension, Dialplan, Context):
//     ^[A-Za-z0-9._-]+$, at most 128 bytes; "undef" is refused where it is a
//     positional argument, since FreeSWITCH reads it as "absent".
//   - Variable values and CallerIDName: valid UTF-8, 1 to 1024 bytes. Letters,
//     digits and !#$%&()*+-./:;=?@_`~ pass as they are; ',' is written "\,"
//     (the block parser's escape, which survives the API split untouched); a
//     space is written "\s" (the API split's escape, turned into a space
//     before the block parser sees it), but not at either end, where
//     FreeSWITCH would trim it. Non-ASCII printable characters (unicode
//     letters, marks, symbols, punctuation, spaces) pass: UTF-8 never encodes
//     them with ASCII bytes, so no parser byte test can match them. Refused:
//     control characters (CR and LF above all: a LF ends the ESL command),
//     ' " \ (API split quoting/escaping), | { } [ ] < > ^ (leg, block and
//     separator syntax), the text ":_:" (enterprise split, matched anywhere
//     in the dial string) and "mod_event_socket" (mod_event_socket rewrites
//     any command naming it together with "unload"/"reload" into unloading
//     itself). Since '{' is refused, "${" (variable and API expansion) can
//     never appear; the whole command is checked for it again anyway.
//     Empty values are refused: FreeSWITCH silently drops "name=".
//   - AppArgs: printable ASCII letters, digits, ._-/:@+=,*#%!~;? and spaces
//     other than at either end (written "\s"), at most 256 bytes; no parentheses (the
//     arguments end at the first ')') and no '$' (applications expand their
//     arguments).
//   - DialTemplate: sofia/, user/, loopback/ or error/ followed by
//     letters, digits and ._@:/+=;*#- once the placeholders are substituted.
//
// As a last line of defence the rendered arguments are parsed back with
// fsparse, and anything that does not yield exactly the intended variables,
// one leg with the intended endpoint and the intended destination is refused.
func (o Originate) Args() (string, error) {
	endpoint, err := o.origEndpoint()
	if err != nil {
		return "", err
	}
	vars, want, err := o.origVars()
	if err != nil {
		return "", err
	}
	dest, err := o.Dest.origRender()
	if err != nil {
		return "", err
	}

	var b strings.Builder
	if len(vars) > 0 {
		b.WriteByte('{')
		for i, kv := range vars {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(kv[0])
			b.WriteByte('=')
			b.WriteString(kv[1])
		}
		b.WriteByte('}')
	}
	b.WriteString(endpoint)
	b.WriteByte(' ')
	b.WriteString(dest)
	args := b.String()

	if err := origCheckWhole(args); err != nil {
		return "", err
	}
	if err := o.origVerify(args, want, endpoint); err != nil {
		return "", err
	}
	return args, nil
}

// origEndpoint substitutes the template's placeholders and checks the result.
func (o Originate) origEndpoint() (string, error) {
	if err := origCheckNumber("number", o.Number); err != nil {
		return "", err
	}
	t := o.DialTemplate
	var b strings.Builder
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			b.WriteString(t)
			break
		}
		b.WriteString(t[:i])
		j := strings.IndexByte(t[i:], '}')
		if j < 0 {
			return "", origRefuse("dial template", "unterminated placeholder in %q", o.DialTemplate)
		}
		name := t[i+1 : i+j]
		if !origNameRe.MatchString(name) {
			return "", origRefuse("dial template", "invalid placeholder {%s}", name)
		}
		if name == "number" {
			b.WriteString(o.Number)
		} else {
			v, ok := o.TemplateVars[name]
			if !ok {
				return "", origRefuse("dial template", "no value for placeholder {%s}", name)
			}
			if err := origCheckID(fmt.Sprintf("template var %q", name), v); err != nil {
				return "", err
			}
			b.WriteString(v)
		}
		t = t[i+j+1:]
	}
	ep := b.String()
	switch {
	case len(ep) > origMaxEndpoint:
		return "", origRefuse("dial template", "endpoint is longer than %d bytes", origMaxEndpoint)
	case !origEndpointRe.MatchString(ep):
		if r, ok := origFirstOutside(ep, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@:/+=;*#-"); ok {
			return "", origRefuse("dial template", "endpoint %q contains %q", ep, r)
		}
		return "", origRefuse("dial template", "endpoint %q must start with sofia/, user/, loopback/ or error/", ep)
	case strings.Contains(ep, ":_:"):
		return "", origRefuse("dial template", "endpoint %q contains \":_:\" (enterprise leg separator)", ep)
	}
	return ep, nil
}

// origVars validates and escapes every variable. It returns the rendered
// name/value pairs in order and the values FreeSWITCH must read back.
func (o Originate) origVars() (rendered [][2]string, want map[string]string, err error) {
	want = make(map[string]string)
	add := func(field, name, value string) error {
		esc, err := origEscapeValue(field, value)
		if err != nil {
			return err
		}
		rendered = append(rendered, [2]string{name, esc})
		want[name] = value
		return nil
	}
	if o.UUID != "" {
		if err := origCheckID("uuid", o.UUID); err != nil {
			return nil, nil, err
		}
		if err := add("uuid", "origination_uuid", o.UUID); err != nil {
			return nil, nil, err
		}
	}
	if o.CallerIDNumber != "" {
		if err := origCheckNumber("caller ID number", o.CallerIDNumber); err != nil {
			return nil, nil, err
		}
		if err := add("caller ID number", "origination_caller_id_number", o.CallerIDNumber); err != nil {
			return nil, nil, err
		}
	}
	if o.CallerIDName != "" {
		if err := add("caller ID name", "origination_caller_id_name", o.CallerIDName); err != nil {
			return nil, nil, err
		}
	}
	switch {
	case o.RingTimeout < 0:
		return nil, nil, origRefuse("ring timeout", "negative duration %s", o.RingTimeout)
	case o.RingTimeout > origMaxTimeout:
		return nil, nil, origRefuse("ring timeout", "%s is longer than %s", o.RingTimeout, origMaxTimeout)
	case o.RingTimeout > 0:
		secs := (o.RingTimeout + time.Second - 1) / time.Second // round up: 0 would mean "default"
		rendered = append(rendered, [2]string{"originate_timeout", strconv.FormatInt(int64(secs), 10)})
		want["originate_timeout"] = rendered[len(rendered)-1][1]
	}
	if o.IgnoreEarlyMedia {
		rendered = append(rendered, [2]string{"ignore_early_media", "true"})
		want["ignore_early_media"] = "true"
	}

	if len(o.Vars) > origMaxVars {
		return nil, nil, origRefuse("variables", "%d variables (at most %d)", len(o.Vars), origMaxVars)
	}
	names := make([]string, 0, len(o.Vars))
	for name := range o.Vars {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		field := fmt.Sprintf("variable %q", name)
		if !origNameRe.MatchString(name) {
			return nil, nil, origRefuse(field, "name must match %s", origNameRe)
		}
		if why, ok := origReserved[name]; ok {
			return nil, nil, origRefuse(field, "reserved: %s", why)
		}
		if err := add(field, name, o.Vars[name]); err != nil {
			return nil, nil, err
		}
	}
	return rendered, want, nil
}

// origEscapeValue checks a variable value and writes it so that it survives
// the API split and the block parser unchanged.
func origEscapeValue(field, v string) (string, error) {
	switch {
	case v == "":
		return "", origRefuse(field, "value is empty (FreeSWITCH drops empty variables)")
	case len(v) > origMaxValueLen:
		return "", origRefuse(field, "value is longer than %d bytes", origMaxValueLen)
	case !utf8.ValidString(v):
		return "", origRefuse(field, "value is not valid UTF-8")
	case v[0] == ' ' || v[len(v)-1] == ' ':
		return "", origRefuse(field, "value starts or ends with a space (FreeSWITCH trims it)")
	case strings.Contains(v, ":_:"):
		return "", origRefuse(field, "value contains \":_:\" (enterprise leg separator)")
	case strings.Contains(strings.ToLower(v), "mod_event_socket"):
		return "", origRefuse(field, "value contains \"mod_event_socket\" (the event socket rewrites such commands)")
	}
	var b strings.Builder
	for _, r := range v {
		switch {
		case r == ' ':
			b.WriteString(`\s`)
		case r == ',':
			b.WriteString(`\,`)
		case r < utf8.RuneSelf:
			if !origValueASCII(byte(r)) {
				return "", origRefuse(field, "value contains %q", r)
			}
			b.WriteRune(r)
		default:
			if !unicode.IsGraphic(r) {
				return "", origRefuse(field, "value contains %q (not a printable character)", r)
			}
			b.WriteRune(r)
		}
	}
	return b.String(), nil
}

// origValueASCII reports whether an ASCII byte may appear as it is in a
// variable value. Space and comma are escaped by the caller.
func origValueASCII(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&()*+-./:;=?@_`~", c) >= 0
}

// origRender renders the destination arguments.
func (d Destination) origRender() (string, error) {
	if d.App != "" {
		if d.Extension != "" || d.Dialplan != "" || d.Context != "" {
			return "", origRefuse("destination", "set either App or Extension (with Dialplan and Context), not both")
		}
		if err := origCheckID("destination app", d.App); err != nil {
			return "", err
		}
		args, err := origEscapeAppArgs(d.AppArgs)
		if err != nil {
			return "", err
		}
		return "&" + d.App + "(" + args + ")", nil
	}
	if d.AppArgs != "" {
		return "", origRefuse("destination app args", "set without an App")
	}
	if d.Extension == "" {
		return "", origRefuse("destination", "neither App nor Extension is set")
	}
	parts := []string{d.Extension}
	for _, p := range []struct{ field, v string }{
		{"destination extension", d.Extension},
		{"destination dialplan", d.Dialplan},
		{"destination context", d.Context},
	} {
		if p.v == "" {
			continue
		}
		if err := origCheckID(p.field, p.v); err != nil {
			return "", err
		}
		if strings.EqualFold(p.v, "undef") {
			return "", origRefuse(p.field, "\"undef\" means an absent argument to originate")
		}
	}
	switch {
	case d.Context != "":
		dp := d.Dialplan
		if dp == "" {
			dp = "undef" // keeps FreeSWITCH's default dialplan ("XML")
		}
		parts = append(parts, dp, d.Context)
	case d.Dialplan != "":
		parts = append(parts, d.Dialplan)
	}
	return strings.Join(parts, " "), nil
}

// origEscapeAppArgs checks the arguments of "&app(args)".
func origEscapeAppArgs(a string) (string, error) {
	const field = "destination app args"
	switch {
	case a == "":
		return "", nil
	case len(a) > origMaxArgsLen:
		return "", origRefuse(field, "longer than %d bytes", origMaxArgsLen)
	case a[0] == ' ' || a[len(a)-1] == ' ':
		return "", origRefuse(field, "starts or ends with a space")
	case strings.Contains(strings.ToLower(a), "mod_event_socket"):
		return "", origRefuse(field, "contains \"mod_event_socket\" (the event socket rewrites such commands)")
	}
	var b strings.Builder
	for _, r := range a {
		switch {
		case r == ' ':
			b.WriteString(`\s`)
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			strings.ContainsRune("._-/:@+=,*#%!~;?", r)):
			b.WriteRune(r)
		default:
			return "", origRefuse(field, "contains %q", r)
		}
	}
	return b.String(), nil
}

func origCheckNumber(field, s string) error {
	if !origNumberRe.MatchString(s) {
		if s == "" {
			return origRefuse(field, "empty")
		}
		if len(s) > 33 {
			return origRefuse(field, "longer than 32 digits")
		}
		if r, ok := origFirstOutside(s, "+0123456789*#"); ok {
			return origRefuse(field, "contains %q (want %s)", r, origNumberRe)
		}
		return origRefuse(field, "%q does not match %s", s, origNumberRe)
	}
	return nil
}

func origCheckID(field, s string) error {
	switch {
	case s == "":
		return origRefuse(field, "empty")
	case len(s) > origMaxIDLen:
		return origRefuse(field, "longer than %d bytes", origMaxIDLen)
	case !origIDRe.MatchString(s):
		r, _ := origFirstOutside(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
		return origRefuse(field, "contains %q (want %s)", r, origIDRe)
	}
	return nil
}

// origFirstOutside returns the first rune of s that is not in allowed.
func origFirstOutside(s, allowed string) (rune, bool) {
	for _, r := range s {
		if !strings.ContainsRune(allowed, r) {
			return r, true
		}
	}
	return 0, false
}

// origCheckWhole re-checks the complete arguments for what must never appear,
// whichever field it came from.
func origCheckWhole(args string) error {
	cmd := "originate " + args
	switch {
	case strings.ContainsAny(cmd, "\r\n\x00"):
		return origRefuse("command", "contains a line break or NUL")
	case strings.Contains(cmd, "${"):
		return origRefuse("command", "contains \"${\" (variable expansion)")
	case strings.Contains(strings.ToLower(cmd), "mod_event_socket"):
		return origRefuse("command", "contains \"mod_event_socket\" (the event socket rewrites such commands)")
	case strings.Contains(strings.SplitN(args, " ", 2)[0], ":_:"):
		return origRefuse("command", "dial string contains \":_:\" (enterprise leg separator)")
	}
	return nil
}

// origVerify parses the rendered arguments as FreeSWITCH would and refuses
// them unless they mean exactly what was asked for.
func (o Originate) origVerify(args string, want map[string]string, endpoint string) error {
	lines := fsparse.ParseCommandLine("bgapi originate " + args + "\n\n")
	if len(lines) != 1 || lines[0] != "bgapi originate "+args {
		return origRefuse("command", "would not reach FreeSWITCH as one ESL command")
	}
	p, err := fsparse.ParseOriginate(args)
	if err != nil {
		return origRefuse("command", "FreeSWITCH would not parse it: %v", err)
	}
	if p.Enterprise != nil || len(p.Legs) != 1 || len(p.Legs[0]) != 1 ||
		p.Legs[0][0].Endpoint != endpoint || len(p.Legs[0][0].Vars) != 0 {
		return origRefuse("command", "FreeSWITCH would not dial exactly %q", endpoint)
	}
	if len(p.Vars) != len(want) {
		return origRefuse("command", "FreeSWITCH would read %d variables, not %d", len(p.Vars), len(want))
	}
	for name, v := range want {
		if got, ok := p.Vars[name]; !ok || got != v {
			return origRefuse(fmt.Sprintf("variable %q", name), "FreeSWITCH would read %q", got)
		}
	}
	if p.CIDName != "" || p.CIDNum != "" || p.Timeout != 0 {
		return origRefuse("command", "FreeSWITCH would read extra positional arguments %q", p.Args)
	}
	d := o.Dest
	if d.App != "" {
		if !p.HasApp || p.App != d.App || p.AppArgs != d.AppArgs {
			return origRefuse("destination", "FreeSWITCH would run %q", p.Dest)
		}
		return nil
	}
	wantDP, wantCtx := d.Dialplan, d.Context
	if wantDP == "" {
		wantDP = "XML"
	}
	if wantCtx == "" {
		wantCtx = "default"
	}
	if p.HasApp || p.Dest != d.Extension || p.Dialplan != wantDP || p.Context != wantCtx {
		return origRefuse("destination", "FreeSWITCH would transfer to %q %q %q", p.Dest, p.Dialplan, p.Context)
	}
	return nil
}
