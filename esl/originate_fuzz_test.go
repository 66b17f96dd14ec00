package esl_test

import (
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl"
	"github.com/fsdialer/dialer/esl/fsparse"
)

// FuzzOriginate renders originates with a fuzzed number, variable value,
// caller ID name and gateway. A refusal must wrap ErrUnsafe. An accepted
// request must reach FreeSWITCH (per the faithful parser in esl/fsparse) as
// exactly one ESL command meaning exactly the request: the intended
// variables, one failover group with one leg on the intended endpoint, and the
// intended destination. Seeds are in testdata/fuzz/FuzzOriginate.
func FuzzOriginate(f *testing.F) {
	f.Add("15551234567", "hello", "ACME", "carrier1")
	f.Add("+15551234567", "7,origination_caller_id_number=666", "Smith, John", "gw")
	f.Add("1555", "x}sofia/gateway/evil/1", "Иван Петров", "gw")
	f.Fuzz(func(t *testing.T, number, value, name, gateway string) {
		for _, dest := range []esl.Destination{
			{App: "park"},
			{Extension: "dialer_ivr_example", Dialplan: "XML", Context: "dialer_ivr"},
		} {
			o := esl.Originate{
				DialTemplate:     "sofia/gateway/{gateway}/{number}",
				TemplateVars:     map[string]string{"gateway": gateway},
				Number:           number,
				UUID:             "4756b7bf-f7d4-48e5-b0f4-073cf63eb991",
				CallerIDNumber:   "15550001111",
				CallerIDName:     name,
				RingTimeout:      20 * time.Second,
				IgnoreEarlyMedia: true,
				Vars:             map[string]string{"note": value, "dialer_campaign_id": "7"},
				Dest:             dest,
			}
			cmd, err := o.Command()
			if err != nil {
				if !errors.Is(err, esl.ErrUnsafe) {
					t.Fatalf("refusal %v does not wrap ErrUnsafe", err)
				}
				continue
			}
			checkAccepted(t, o, cmd)
		}
	})
}

func checkAccepted(t *testing.T, o esl.Originate, cmd string) {
	t.Helper()
	// What the rules promise never gets through, whatever the parser says.
	for field, v := range map[string]string{"number": o.Number, "note": o.Vars["note"],
		"caller ID name": o.CallerIDName, "gateway": o.TemplateVars["gateway"]} {
		if strings.ContainsAny(v, "\r\n\x00'\"\\|{}[]<>^") || strings.Contains(v, ":_:") {
			t.Fatalf("%s %q accepted", field, v)
		}
	}
	if strings.Contains(cmd, "${") {
		t.Fatalf("command %q contains ${", cmd)
	}

	wire := "bgapi " + cmd + "\r\n\r\n" // how eslgo frames a command
	if lines := fsparse.ParseCommandLine(wire); len(lines) != 1 || lines[0] != "bgapi "+cmd {
		t.Fatalf("ESL framing of %q = %q, want exactly one command", wire, lines)
	}
	args, ok := strings.CutPrefix(cmd, "originate ")
	if !ok {
		t.Fatalf("command %q does not start with originate", cmd)
	}
	p, err := fsparse.ParseOriginate(args)
	if err != nil {
		t.Fatalf("ParseOriginate(%q) = %v", args, err)
	}

	wantVars := map[string]string{
		"origination_uuid":             o.UUID,
		"origination_caller_id_number": o.CallerIDNumber,
		"originate_timeout":            "20",
		"ignore_early_media":           "true",
		"dialer_campaign_id":           "7",
		"note":                         o.Vars["note"],
	}
	if o.CallerIDName != "" {
		wantVars["origination_caller_id_name"] = o.CallerIDName
	}
	if !maps.Equal(p.Vars, wantVars) {
		t.Fatalf("FreeSWITCH reads vars %q from %q, want %q", p.Vars, args, wantVars)
	}
	if p.Enterprise != nil || len(p.Legs) != 1 || len(p.Legs[0]) != 1 {
		t.Fatalf("FreeSWITCH reads legs %+v from %q, want exactly one", p.Legs, args)
	}
	wantEndpoint := "sofia/gateway/" + o.TemplateVars["gateway"] + "/" + o.Number
	if leg := p.Legs[0][0]; leg.Endpoint != wantEndpoint || len(leg.Vars) != 0 {
		t.Fatalf("leg = %+v, want endpoint %q without leg vars", leg, wantEndpoint)
	}
	if o.Dest.App != "" {
		if !p.HasApp || p.App != o.Dest.App || p.AppArgs != o.Dest.AppArgs {
			t.Fatalf("destination %q, want &%s(%s)", p.Dest, o.Dest.App, o.Dest.AppArgs)
		}
	} else if p.HasApp || p.Dest != o.Dest.Extension || p.Dialplan != o.Dest.Dialplan || p.Context != o.Dest.Context {
		t.Fatalf("destination %q %q %q, want %+v", p.Dest, p.Dialplan, p.Context, o.Dest)
	}
	if p.CIDName != "" || p.CIDNum != "" || p.Timeout != 0 {
		t.Fatalf("extra positional arguments %q", p.Args)
	}
}
