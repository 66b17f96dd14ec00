package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/config"
	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
	"github.com/spf13/cobra"
)

// agentCLI runs dialer commands like cli, with the agent command group
// added to the root when root.go does not add it itself.
type agentCLI struct{ *cli }

func (c agentCLI) run(stdin string, args ...string) (string, error) {
	env := append([]string{"DIALER_DATABASE=" + c.db}, c.env...)
	root := newRootCmd(env)
	if cmd, _, err := root.Find([]string{"agent"}); err != nil || cmd == root {
		a := &app{environ: env, now: time.Now}
		agent := newAgentCmd(a)
		// What the root's PersistentPreRunE does for its own app.
		agent.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
			cfgFile, err := cmd.Flags().GetString("config")
			if err != nil {
				return err
			}
			a.cfg, a.used, err = config.Load(cfgFile, cmd.Flags(), a.environ)
			return err
		}
		root.AddCommand(agent)
	}
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func (c agentCLI) ok(args ...string) string {
	c.t.Helper()
	out, err := c.run("", args...)
	if err != nil {
		c.t.Fatalf("dialer %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (c agentCLI) fails(want string, args ...string) {
	c.t.Helper()
	out, err := c.run("", args...)
	if err == nil {
		c.t.Fatalf("dialer %s succeeded; want error %q\n%s", strings.Join(args, " "), want, out)
	}
	if !strings.Contains(err.Error(), want) {
		c.t.Fatalf("dialer %s: error %q lacks %q", strings.Join(args, " "), err, want)
	}
}

// agentSetup is a database with the two example agent campaigns.
func agentSetup(t *testing.T) agentCLI {
	c := agentCLI{setup(t)}
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/progressive.yaml")
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/preemptive.yaml")
	return c
}

const agentsFile = "../../testdata/agents/agents.yaml"

func TestAgentApply_TwiceAndList(t *testing.T) {
	c := agentSetup(t)
	if got, want := c.ok("agent", "apply", "-f", agentsFile), "agent alice created\nagent bob created\nagent carol created\n"; got != want {
		t.Fatalf("first apply:\n%s\nwant\n%s", got, want)
	}
	if got, want := c.ok("agent", "apply", "-f", agentsFile), "agent alice unchanged\nagent bob unchanged\nagent carol unchanged\n"; got != want {
		t.Fatalf("second apply:\n%s\nwant\n%s", got, want)
	}

	t.Run("table", func(t *testing.T) {
		out := c.ok("agent", "list")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 4 {
			t.Fatalf("list has %d lines, want a header and 3 agents:\n%s", len(lines), out)
		}
		contains(t, lines[0], "NAME", "STATE", "SINCE", "ENDPOINT", "CAMPAIGNS", "NO-ANSWER")
		contains(t, lines[1], "alice", "logged_out", "user/1001", "renewals-progressive:1,collections-preemptive:2", "0/3")
		contains(t, lines[3], "carol", "collections-preemptive:1", "0/0")
	})
	t.Run("campaign filter", func(t *testing.T) {
		out := c.ok("agent", "list", "--campaign", "renewals-progressive")
		contains(t, out, "alice", "bob")
		if strings.Contains(out, "carol") {
			t.Fatalf("carol listed for renewals-progressive:\n%s", out)
		}
		c.fails(`no campaign named "nope"`, "agent", "list", "--campaign", "nope")
	})
	t.Run("json", func(t *testing.T) {
		var got []struct {
			Name      string        `json:"name"`
			State     string        `json:"state"`
			Campaigns []dialer.Tier `json:"campaigns"`
			WrapUp    string        `json:"wrap_up"`
		}
		if err := json.Unmarshal([]byte(c.ok("agent", "list", "-o", "json")), &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0].Name != "alice" || got[0].State != "logged_out" || got[0].WrapUp != "15s" ||
			len(got[0].Campaigns) != 2 || got[0].Campaigns[1].Level != 2 {
			t.Fatalf("list -o json = %+v", got)
		}
	})
	t.Run("show", func(t *testing.T) {
		contains(t, c.ok("agent", "show", "carol"), "sofia/gateway/carrier-a/+442071230099", "never on break", "no-answer 2m0s")
		contains(t, c.ok("agent", "show", "alice", "-o", "yaml"), "agents:\n  - name: alice\n", "campaign: collections-preemptive")
		contains(t, c.ok("agent", "list", "-o", "yaml"), "state: logged_out")
		c.fails(`no agent named "dave"`, "agent", "show", "dave")
	})
	t.Run("update", func(t *testing.T) {
		src, err := os.ReadFile(agentsFile)
		if err != nil {
			t.Fatal(err)
		}
		changed := strings.Replace(string(src), "endpoint: user/1001", "endpoint: user/2001", 1)
		out, err := c.run(changed, "agent", "apply", "-f", "-")
		if err != nil {
			t.Fatal(err)
		}
		contains(t, out, "agent alice updated", "agent bob unchanged")
	})
}

func TestAgentApply_RefusedFilesWriteNothing(t *testing.T) {
	c := agentSetup(t)
	cases := []struct {
		name, doc string
		wants     []string
	}{
		{"unknown campaign", "agents:\n  - {name: a, endpoint: user/1}\n  - {name: b, endpoint: user/2, campaigns: [{campaign: nope}]}\n",
			[]string{`-: agents[1].campaigns[0].campaign: no campaign named "nope"`}},
		{"bad fields", "agents:\n  - {name: a, endpoint: 'user/1,user/2', call_timeout: 2s}\n",
			[]string{"-: agents[0].endpoint:", "-: agents[0].call_timeout: 2s"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.run(tc.doc, "agent", "apply", "-f", "-")
			if err == nil {
				t.Fatal("applied")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if out := c.ok("agent", "list"); strings.Count(out, "\n") != 1 {
				t.Fatalf("agents written by a refused apply:\n%s", out)
			}
		})
	}
}

func TestAgentState_Requests(t *testing.T) {
	c := agentSetup(t)
	c.ok("agent", "apply", "-f", agentsFile)
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"login", "alice", "bob"}, "agent alice available (was logged_out)\nagent bob available (was logged_out)\n"},
		{[]string{"ready", "alice"}, "agent alice already available\n"},
		{[]string{"break", "alice"}, "agent alice break (was available)\n"},
		{[]string{"ready", "alice"}, "agent alice available (was break)\n"},
		{[]string{"logout", "bob"}, "agent bob logged_out (was available)\n"},
	}
	for _, s := range steps {
		if got := c.ok(append([]string{"agent"}, s.args...)...); got != s.want {
			t.Fatalf("agent %s:\n%s\nwant\n%s", strings.Join(s.args, " "), got, s.want)
		}
	}
	c.fails(`no agent named "dave"`, "agent", "login", "dave")

	// The daemon puts alice in a call: requests now wait for it to end.
	ctx := context.Background()
	db, err := store.Open(ctx, c.db)
	if err != nil {
		t.Fatal(err)
	}
	alice, err := db.Agent(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetAgentLive(ctx, alice.ID, dialer.AgentTalking, time.Now(), 0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	contains(t, c.ok("agent", "break", "alice"), "agent alice: break requested, applies when the current call ends (talking)")
	contains(t, c.ok("agent", "show", "alice"), "talking since", "requested:", "break")
	list := c.ok("agent", "list")
	contains(t, list, "talking", "break")
	c.fails("agent is in a call", "agent", "delete", "alice", "--yes")
	contains(t, c.ok("agent", "delete", "bob", "--yes"), "agent bob deleted")
	contains(t, c.ok("agent", "delete", "alice", "--force", "--yes"), "agent alice deleted")
	if out := c.ok("agent", "list"); strings.Contains(out, "alice") || strings.Contains(out, "bob") {
		t.Fatalf("deleted agents listed:\n%s", out)
	}
}

func TestAgentApply_DemoAgents(t *testing.T) {
	c := agentCLI{newCLI(t)}
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/demo-progressive.yaml")
	out := c.ok("agent", "apply", "-f", "../../testdata/agents/demo-agents.yaml")
	if strings.Count(out, "created") != 5 {
		t.Fatalf("demo apply:\n%s", out)
	}
	contains(t, c.ok("agent", "list"), "agent-noanswer-5", "loopback/agent-noanswer-5/dialer_lab", "demo-progressive:2", "0/2")
}

// TestAgentApply_NodeMustBeKnown: with esl.nodes configured, an agent
// naming another node is refused with its field path; a known node is
// kept and shown.
func TestAgentApply_NodeMustBeKnown(t *testing.T) {
	c := agentSetup(t)
	conf := "--config=../../testdata/config/nodes.yaml"
	_, err := c.run("agents:\n  - {name: a, endpoint: user/1}\n  - {name: b, endpoint: user/2, node: fs-c}\n",
		"agent", "apply", "-f", "-", conf)
	if err == nil || !strings.Contains(err.Error(), `-: agents[1].node: "fs-c": not a node of esl.nodes (fs-a, fs-b)`) {
		t.Fatalf("apply with an unknown node: %v", err)
	}
	if out := c.ok("agent", "list"); strings.Count(out, "\n") != 1 {
		t.Fatalf("agents written by a refused apply:\n%s", out)
	}
	if _, err := c.run("agents:\n  - {name: b, endpoint: user/2, node: fs-b}\n", "agent", "apply", "-f", "-", conf); err != nil {
		t.Fatal(err)
	}
	contains(t, c.ok("agent", "show", "b"), "node:", "fs-b (its phone and its customers are called there)")
	contains(t, c.ok("agent", "show", "b", "-o", "yaml"), "node: fs-b")
}
