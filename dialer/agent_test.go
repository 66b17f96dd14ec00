package dialer_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"go.yaml.in/yaml/v3"
)

func readAgentsFile(t *testing.T, path string) []dialer.Agent {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	agents, err := dialer.ReadAgents(f, path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return agents
}

func TestReadAgents_Examples(t *testing.T) {
	t.Run("agents.yaml", func(t *testing.T) {
		agents := readAgentsFile(t, "../testdata/agents/agents.yaml")
		campaigns := map[string]bool{}
		for _, a := range agents {
			for _, tier := range a.Tiers {
				campaigns[tier.Campaign] = true
			}
		}
		for _, want := range []string{"renewals-progressive", "collections-preemptive"} {
			if !campaigns[want] {
				t.Errorf("no agent works %s", want)
			}
		}
	})
	t.Run("demo-agents.yaml", func(t *testing.T) {
		agents := readAgentsFile(t, "../testdata/agents/demo-agents.yaml")
		if got, want := len(agents), 5; got != want {
			t.Fatalf("%d agents, want %d", got, want)
		}
		for i, a := range agents {
			wantLevel := 1
			if i >= 3 {
				wantLevel = 2
			}
			got := []any{a.CallTimeout.D(), a.WrapUp.D(), a.MaxNoAnswer, a.BusyDelay.D(), a.RejectDelay.D(),
				a.NoAnswerDelay.D(), a.Tiers}
			want := []any{10 * time.Second, 5 * time.Second, 2, 10 * time.Second, 10 * time.Second,
				10 * time.Second, []dialer.Tier{{Campaign: "demo-progressive", Level: wantLevel}}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s = %v, want %v", a.Name, got, want)
			}
			if !strings.HasPrefix(a.Endpoint, "loopback/agent-") || !strings.HasSuffix(a.Endpoint, "/dialer_lab") {
				t.Errorf("%s endpoint %q is not a lab loopback", a.Name, a.Endpoint)
			}
		}
		if got := agents[4].Endpoint; got != "loopback/agent-noanswer-5/dialer_lab" {
			t.Errorf("fifth endpoint = %q, want the no-answer agent", got)
		}
	})
}

func TestReadAgents_Defaults(t *testing.T) {
	cases := []struct {
		name, doc string
		want      dialer.Agent
	}{
		{"yaml minimal", "agents:\n  - {name: a, endpoint: user/1001, campaigns: [{campaign: c}]}\n",
			dialer.Agent{Name: "a", Endpoint: "user/1001", CallTimeout: dialer.Duration(20 * time.Second),
				MaxNoAnswer: 3, Tiers: []dialer.Tier{{Campaign: "c", Level: 1}}}},
		{"explicit zero max_no_answer", "agents:\n  - {name: a, endpoint: user/1001, max_no_answer: 0}\n",
			dialer.Agent{Name: "a", Endpoint: "user/1001", CallTimeout: dialer.Duration(20 * time.Second)}},
		{"json", `{"agents": [{"name": "a", "endpoint": "error/USER_BUSY", "call_timeout": 7, "wrap_up": "1m",
			"campaigns": [{"campaign": "c", "level": 4}]}]}`,
			dialer.Agent{Name: "a", Endpoint: "error/USER_BUSY", CallTimeout: dialer.Duration(7 * time.Second),
				WrapUp: dialer.Duration(time.Minute), MaxNoAnswer: 3, Tiers: []dialer.Tier{{Campaign: "c", Level: 4}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := dialer.ReadAgents(strings.NewReader(tc.doc), "a.yaml")
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Session, tc.want.OnDrop = dialer.SessionPerCall, dialer.OnDropLogout
			if len(got) != 1 || !reflect.DeepEqual(got[0], tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

const agentBase = "agents:\n  - name: alice\n    endpoint: user/1001\n    campaigns: [{campaign: c1}, {campaign: c2, level: 2}]\n"

func TestReadAgents_FieldErrors(t *testing.T) {
	// second adds a second agent, bob on user/1002, with fields set or replaced.
	second := func(fields string) string {
		entry := fields
		if !strings.HasPrefix(fields, "endpoint:") {
			entry = "endpoint: user/1002, " + entry
		}
		if !strings.HasPrefix(fields, "name:") {
			entry = "name: bob, " + entry
		}
		return agentBase + "  - {" + entry + "}\n"
	}
	cases := []struct {
		name, doc, want string
	}{
		{"unknown key", agentBase + "    endpiont: x\n", "line 5: agents[0].endpiont: unknown field (did you mean endpoint?)"},
		{"live state in file", agentBase + "    state: available\n", "agents[0].state: not read from a file"},
		{"no agents", "agents: []\n", "a.yaml: agents: list at least one agent"},
		{"not a list", "name: alice\n", "line 1: name: unknown field"},
		{"name", second("name: 'b b'"), `agents[1].name: "b b": use letters`},
		{"duplicate name", second("name: alice"), `agents[1].name: "alice" is already defined at agents[0]`},
		{"endpoint missing", "agents: [{name: a}]\n", "agents[0].endpoint: required"},
		{"endpoint prefix", second("endpoint: 'sip:1002@pbx'"), "agents[1].endpoint: \"sip:1002@pbx\": must start with user/, sofia/, loopback/ or error/"},
		{"endpoint empty rest", second("endpoint: user/"), "agents[1].endpoint: \"user/\": nothing after user/"},
		{"endpoint comma", second("endpoint: 'user/1002,user/1003'"), "agents[1].endpoint"},
		{"endpoint pipe", second("endpoint: 'user/1002|user/1003'"), "agents[1].endpoint"},
		{"endpoint vars", second("endpoint: '{x=1}user/1002'"), "must start with"},
		{"endpoint brackets", second("endpoint: 'user/1002[x=1]'"), "agents[1].endpoint"},
		{"endpoint space", second("endpoint: 'user/1002 &park'"), "agents[1].endpoint"},
		{"endpoint dollar", second("endpoint: 'user/${x}'"), "agents[1].endpoint"},
		{"endpoint newline", second("endpoint: \"user/1002\\napi\""), "agents[1].endpoint"},
		{"endpoint tab", second("endpoint: \"user/1002\\tx\""), "agents[1].endpoint"},
		{"endpoint quote", second(`endpoint: "user/1002'"`), "agents[1].endpoint"},
		{"endpoint long", second("endpoint: user/" + strings.Repeat("1", 300)), "longer than 256"},
		{"call timeout low", second("call_timeout: 4s"), "agents[1].call_timeout: 4s: must be between 5s and 120s"},
		{"call timeout high", second("call_timeout: 121"), "agents[1].call_timeout"},
		{"call timeout fraction", second("call_timeout: 10.5s"), "whole seconds"},
		{"wrap up", second("wrap_up: -1s"), "agents[1].wrap_up: -1s: must not be negative"},
		{"busy delay", second("busy_delay: -1"), "agents[1].busy_delay"},
		{"reject delay", second("reject_delay: -1"), "agents[1].reject_delay"},
		{"no answer delay", second("no_answer_delay: -1"), "agents[1].no_answer_delay"},
		{"max no answer", second("max_no_answer: -2"), "agents[1].max_no_answer: -2"},
		{"tier campaign", second("campaigns: [{campaign: 'x y'}]"), `agents[1].campaigns[0].campaign: "x y": not a campaign name`},
		{"tier missing campaign", second("campaigns: [{level: 1}]"), "agents[1].campaigns[0].campaign"},
		{"tier duplicate", second("campaigns: [{campaign: c1}, {campaign: c2}, {campaign: c1, level: 3}]"),
			`agents[1].campaigns[2].campaign: "c1" is already listed at campaigns[0]`},
		{"tier level", second("campaigns: [{campaign: c1, level: -1}]"), "agents[1].campaigns[0].level: -1: must be at least 1"},
		{"tier unknown key", second("campaigns: [{campaign: c1, priority: 1}]"), "agents[1].campaigns[0].priority: unknown field"},
		{"duration", second("wrap_up: soon"), "not a duration"},
		{"two docs", agentBase + "---\nagents: []\n", "more than one document"},
		{"empty", "", "empty document"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dialer.ReadAgents(strings.NewReader(tc.doc), "a.yaml")
			if err == nil {
				t.Fatalf("accepted; want error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "a.yaml") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestReadAgents_ListsEveryProblem(t *testing.T) {
	doc := "agents:\n  - {name: a, endpoint: 'x/1', call_timeout: 1s}\n  - {name: a, endpoint: user/2, campaigns: [{campaign: c, level: -1}]}\n"
	_, err := dialer.ReadAgents(strings.NewReader(doc), "a.yaml")
	var ve *dialer.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a *ValidationError", err)
	}
	var got []string
	for _, p := range ve.Problems {
		got = append(got, p.Path)
	}
	want := []string{"agents[0].endpoint", "agents[0].call_timeout", "agents[1].campaigns[0].level", "agents[1].name"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("problem paths = %v, want %v", got, want)
	}
	if ve.Source != "a.yaml" {
		t.Errorf("source = %q, want a.yaml", ve.Source)
	}
}

func TestAgent_Validate(t *testing.T) {
	good := []string{
		"user/1001", "user/1001@example.com", "sofia/gateway/gw/15551230001", "sofia/gateway/gw/+442071230000",
		"sofia/internal/1002@10.0.0.5:5060", "loopback/agent-1/dialer_lab", "error/USER_BUSY",
	}
	bad := []string{
		"", "user", "sip:1001@pbx", "user/", "user/1001,user/1002", "user/1001|user/1002", "[x=1]user/1001",
		"<x=1>user/1001", "user/{x}", "user/1001 &park()", "user/1001'", `user/1001"`, `user/1001\x`,
		"user/^1001", "user/1001=2", "user/$1001", "user/1001\r\n", "user/1001\x00", "user/1001\x7f",
	}
	for _, e := range good {
		t.Run("good "+e, func(t *testing.T) {
			a := dialer.Agent{Name: "a", Endpoint: e}
			a.Normalize()
			if err := a.Validate(); err != nil {
				t.Fatalf("endpoint %q refused: %v", e, err)
			}
		})
	}
	for _, e := range bad {
		t.Run("bad "+e, func(t *testing.T) {
			a := dialer.Agent{Name: "a", Endpoint: e}
			a.Normalize()
			err := a.Validate()
			var ve *dialer.ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Path != "endpoint" {
				t.Fatalf("endpoint %q: err = %v, want one endpoint problem", e, err)
			}
		})
	}
}

func TestAgentState_Classes(t *testing.T) {
	cases := []struct {
		state                      dialer.AgentState
		valid, inCall, requestable bool
	}{
		{dialer.AgentLoggedOut, true, false, true},
		{dialer.AgentAvailable, true, false, true},
		{dialer.AgentReserved, true, true, false},
		{dialer.AgentRinging, true, true, false},
		{dialer.AgentTalking, true, true, false},
		{dialer.AgentWrapUp, true, true, false},
		{dialer.AgentBreak, true, false, true},
		{"lunch", false, false, false},
	}
	for _, tc := range cases {
		t.Run(string(tc.state), func(t *testing.T) {
			got := []bool{tc.state.Valid(), tc.state.InCall(), tc.state.Requestable()}
			want := []bool{tc.valid, tc.inCall, tc.requestable}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("valid, in call, requestable = %v, want %v", got, want)
			}
			_, err := dialer.ParseAgentState(string(tc.state))
			if (err == nil) != tc.valid {
				t.Fatalf("ParseAgentState(%q) err = %v", tc.state, err)
			}
		})
	}
}

func TestAgentFile_RoundTrip(t *testing.T) {
	for _, path := range []string{"../testdata/agents/agents.yaml", "../testdata/agents/demo-agents.yaml"} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			agents := readAgentsFile(t, path)
			out, err := yaml.Marshal(dialer.AgentFile{Agents: agents})
			if err != nil {
				t.Fatal(err)
			}
			again, err := dialer.ReadAgents(strings.NewReader(string(out)), "out.yaml")
			if err != nil {
				t.Fatalf("written file does not read back: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(again, agents) {
				t.Fatalf("round trip changed the agents:\n%+v\n%+v", agents, again)
			}
		})
	}
}

func FuzzReadAgents(f *testing.F) {
	files, _ := filepath.Glob("../testdata/agents/*.yaml")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(string(b))
		}
	}
	f.Add(agentBase)
	f.Fuzz(func(t *testing.T, doc string) {
		agents, err := dialer.ReadAgents(strings.NewReader(doc), "f.yaml")
		if err != nil {
			return
		}
		// Anything accepted is valid on its own, agent by agent.
		for i := range agents {
			if err := agents[i].Validate(); err != nil {
				t.Fatalf("accepted agent %d fails Validate: %v", i, err)
			}
			if strings.ContainsAny(agents[i].Endpoint, ",|{}[]<>'\" =$\\^\r\n") {
				t.Fatalf("endpoint %q accepted", agents[i].Endpoint)
			}
		}
	})
}
