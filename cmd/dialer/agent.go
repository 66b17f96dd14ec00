package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/fsdialer/dialer/config"
	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/jsontime"
	"github.com/fsdialer/dialer/store"
	"github.com/spf13/cobra"
)

func newAgentCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Define agents and put them available, on break or logged out",
		Long: `Agents take the calls of progressive and preemptive campaigns. Their
settings and campaigns (tiers) come from an agents file; their live state
(logged_out, available, reserved, ringing, talking, wrap_up, break) is kept
by the running daemon.

login, ready, break and logout ask for a state. An agent who is not in a
call changes at once; one in a call (reserved, ringing, talking, wrap_up)
changes when the call and its wrap-up end.`,
		Example: `  dialer agent apply -f testdata/agents/agents.yaml
  dialer agent list
  dialer agent login alice
  dialer agent break alice
  dialer agent logout alice`,
	}
	cmd.AddCommand(newAgentApplyCmd(a), newAgentListCmd(a), newAgentShowCmd(a), newAgentDeleteCmd(a))
	for _, s := range []struct {
		verb  string
		state dialer.AgentState
		short string
		long  string
	}{
		{"login", dialer.AgentAvailable, "Log agents in: make them available for calls",
			"Log agents in: they become available and are offered calls of their campaigns."},
		{"ready", dialer.AgentAvailable, "Make agents available again, e.g. after a break",
			"Make agents available again, after a break or a forced break for unanswered offers.\nThe count of unanswered offers starts again from zero."},
		{"break", dialer.AgentBreak, "Put agents on break: logged in but offered no calls",
			"Put agents on break: they stay logged in but are offered no calls until ready."},
		{"logout", dialer.AgentLoggedOut, "Log agents out",
			"Log agents out: they are offered no calls until they log in again."},
	} {
		cmd.AddCommand(newAgentStateCmd(a, s.verb, s.state, s.short, s.long))
	}
	return cmd
}

func newAgentApplyCmd(a *app) *cobra.Command {
	var file string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "apply -f FILE",
		Short: "Create or update agents from a YAML or JSON file",
		Long: `Create or update agents by name from an agents file (YAML or JSON; "-"
reads standard input) and report, for each, created, updated or unchanged.

An agent's campaigns are replaced by those in the file, and every campaign
named must exist. A file with errors is rejected as a whole, naming each
bad field (agents[2].endpoint, agents[0].campaigns[1].campaign), and
nothing is written. Agents missing from the file are kept; live states are
never changed by an apply, and new agents start logged out.

` + dryRunHelp,
		Example: `  dialer agent apply -f testdata/agents/agents.yaml --dry-run
  dialer agent apply -f testdata/agents/agents.yaml
  cat testdata/agents/demo-agents.yaml | dialer agent apply -f -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, source, err := openInput(cmd, file)
			if err != nil {
				return err
			}
			defer in.Close()
			agents, err := dialer.ReadAgents(in, source)
			if err != nil {
				return err
			}
			if err := checkAgentNodes(agents, a.cfg.ESL, source); err != nil {
				return err
			}
			return a.withApplyStore(cmd.Context(), dryRun, func(db *store.DB) error {
				changes, err := db.ApplyAgents(cmd.Context(), agents)
				// Unknown campaigns read like the file's other field errors.
				var ve *dialer.ValidationError
				if errors.As(err, &ve) {
					ve.Source = source
					return ve
				}
				if err != nil {
					return err
				}
				for _, ag := range agents {
					fmt.Fprintln(cmd.OutOrStdout(), applied("agent", ag.Name, changes[ag.Name], dryRun))
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "agents file (YAML or JSON; - for stdin)")
	addDryRunFlag(cmd, &dryRun)
	cmd.MarkFlagRequired("file")
	return cmd
}

// agentView is an agent as list prints it: the fields of dialer.Agent
// (the HTTP API's) and a state request still waiting for the daemon.
type agentView struct {
	dialer.Agent
	// RequestedState is a state asked for that applies when the agent's
	// call and wrap-up end.
	RequestedState dialer.AgentState `json:"requested_state,omitempty"`
}

func (v agentView) MarshalJSON() ([]byte, error) { return jsontime.Struct(v) }

// checkAgentNodes refuses, with their field paths, agents naming a node
// that is not in esl.nodes: the daemon would never find it to dial them.
// With one switch a node is only remembered for when there are several.
func checkAgentNodes(agents []dialer.Agent, cfg config.ESL, source string) error {
	if len(cfg.Nodes) == 0 {
		return nil
	}
	known := map[string]bool{}
	var names []string
	for _, n := range cfg.Nodes {
		known[n.Name] = true
		names = append(names, n.Name)
	}
	ve := &dialer.ValidationError{Source: source}
	for i, ag := range agents {
		if ag.Node != "" && !known[ag.Node] {
			ve.Problems = append(ve.Problems, dialer.FieldError{Path: fmt.Sprintf("agents[%d].node", i),
				Reason: fmt.Sprintf("%q: not a node of esl.nodes (%s)", ag.Node, strings.Join(names, ", "))})
		}
	}
	if len(ve.Problems) > 0 {
		return ve
	}
	return nil
}

// agentViews pairs agents with their pending requests; a request already
// in effect is not shown.
func agentViews(agents []dialer.Agent, pending []store.AgentRequest) []agentView {
	req := map[int64]dialer.AgentState{}
	for _, r := range pending {
		req[r.AgentID] = r.State
	}
	out := make([]agentView, len(agents))
	for i, ag := range agents {
		out[i] = agentView{Agent: ag}
		if r, ok := req[ag.ID]; ok && r != ag.State {
			out[i].RequestedState = r
		}
	}
	return out
}

// agentFileOf is an agent in the form of an agents file, without its live
// state: what agent show prints as JSON or YAML, which agent apply takes
// back unchanged.
func agentFileOf(ag dialer.Agent) dialer.AgentFile {
	settings := dialer.Agent{Name: ag.Name, Endpoint: ag.Endpoint, CallTimeout: ag.CallTimeout, WrapUp: ag.WrapUp,
		MaxNoAnswer: ag.MaxNoAnswer, BusyDelay: ag.BusyDelay, RejectDelay: ag.RejectDelay,
		NoAnswerDelay: ag.NoAnswerDelay, Tiers: ag.Tiers, Session: ag.Session, OnDrop: ag.OnDrop, Node: ag.Node}
	return dialer.AgentFile{Agents: []dialer.Agent{settings}}
}

// session says how the agent's phone is called.
func session(a dialer.Agent) string {
	if !a.Persistent() {
		return "per call (the phone rings for each call)"
	}
	return "persistent (one leg kept on the line; dropped: " + a.OnDrop + ")"
}

func tierList(tiers []dialer.Tier) string {
	if len(tiers) == 0 {
		return "-"
	}
	parts := make([]string, len(tiers))
	for i, t := range tiers {
		parts[i] = fmt.Sprintf("%s:%d", t.Campaign, t.Level)
	}
	return strings.Join(parts, ",")
}

func newAgentListCmd(a *app) *cobra.Command {
	var campaign string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List agents with their state and campaigns",
		Long: `List agents by name: state and since when, endpoint, campaigns with
their levels (campaign:level; level 1 is offered first), and unanswered
offers in a row. REQUEST shows a state asked for that waits for the
agent's call to end.`,
		Example: `  dialer agent list
  dialer agent list --campaign renewals-progressive
  dialer agent list -o json`,
		Args: cobra.NoArgs,
	}
	out := addOutputFlag(cmd, viewFormats...)
	cmd.Flags().StringVar(&campaign, "campaign", "", "only agents working this campaign")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		load := func(ctx context.Context, db *store.DB) ([]agentView, error) {
			if campaign != "" {
				if _, err := findCampaign(ctx, db, campaign, "--campaign"); err != nil {
					return nil, err
				}
			}
			agents, err := db.Agents(ctx)
			if err != nil {
				return nil, err
			}
			if campaign != "" {
				kept := agents[:0]
				for _, ag := range agents {
					for _, t := range ag.Tiers {
						if t.Campaign == campaign {
							kept = append(kept, ag)
							break
						}
					}
				}
				agents = kept
			}
			pending, err := db.PendingAgentRequests(ctx)
			if err != nil {
				return nil, err
			}
			return agentViews(agents, pending), nil
		}
		return runView(a, cmd, *out, viewFormats, load, printAgents)
	}
	return cmd
}

func printAgents(out io.Writer, views []agentView) error {
	w := table(out)
	fmt.Fprintln(w, "NAME\tSTATE\tSINCE\tREQUEST\tENDPOINT\tCAMPAIGNS\tNO-ANSWER")
	for _, v := range views {
		req := string(v.RequestedState)
		if req == "" {
			req = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\n", v.Name, v.State, tableTime(v.StateChangedAt), req,
			v.Endpoint, tierList(v.Tiers), v.NoAnswerCount, v.MaxNoAnswer)
	}
	return w.Flush()
}

func newAgentShowCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show an agent's settings, campaigns and live state",
		Long: `Show an agent's settings, campaigns and live state. -o yaml and -o json
print the agent as an agents file, settings only (live state is in agent
list), so that agent apply -f takes it back unchanged.`,
		Example: `  dialer agent show alice
  dialer agent show alice -o yaml
  dialer agent show alice -o yaml | dialer agent apply -f -`,
		Args: cobra.ExactArgs(1),
	}
	out := addOutputFlag(cmd, viewFormats...)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkFormat(*out, viewFormats...); err != nil {
			return err
		}
		return a.withStoreRead(cmd.Context(), func(db *store.DB) error {
			ctx := cmd.Context()
			ag, err := db.Agent(ctx, args[0])
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no agent named %q (see dialer agent list)", args[0])
			}
			if err != nil {
				return err
			}
			if ok, err := writeStructured(cmd.OutOrStdout(), *out, agentFileOf(*ag)); ok {
				return err
			}
			pending, err := db.PendingAgentRequests(ctx)
			if err != nil {
				return err
			}
			return printAgent(cmd.OutOrStdout(), agentViews([]dialer.Agent{*ag}, pending)[0])
		})
	}
	return cmd
}

func printAgent(out io.Writer, v agentView) error {
	maxNA := "never on break"
	if v.MaxNoAnswer > 0 {
		maxNA = fmt.Sprintf("%d in a row, then break", v.MaxNoAnswer)
	}
	ready := "at once"
	if !v.ReadyAt.IsZero() {
		ready = tableTime(v.ReadyAt)
	}
	req := string(v.RequestedState)
	if req == "" {
		req = "-"
	}
	w := table(out)
	rows := [][2]string{
		{"name", v.Name}, {"state", fmt.Sprintf("%s since %s", v.State, tableTime(v.StateChangedAt))},
		{"requested", req}, {"endpoint", v.Endpoint}, {"campaigns", tierList(v.Tiers)},
		{"call timeout", tableDuration(v.CallTimeout.D())}, {"wrap-up", tableDuration(v.WrapUp.D())},
		{"max no-answer", maxNA}, {"no-answer count", fmt.Sprint(v.NoAnswerCount)},
		{"delays", fmt.Sprintf("busy %s, reject %s, no-answer %s", tableDuration(v.BusyDelay.D()),
			tableDuration(v.RejectDelay.D()), tableDuration(v.NoAnswerDelay.D()))},
		{"session", session(v.Agent)},
		{"next offer", ready},
	}
	if v.Node != "" {
		rows = append(rows, [2]string{"node", v.Node + " (its phone and its customers are called there)"})
	}
	for _, row := range rows {
		fmt.Fprintf(w, "%s:\t%s\n", row[0], row[1])
	}
	return w.Flush()
}

func newAgentDeleteCmd(a *app) *cobra.Command {
	var force, yes bool
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete an agent and its campaign tiers",
		Long: `Delete an agent and its campaign tiers; past attempts keep their figures
without the agent. An agent in a call (reserved, ringing, talking,
wrap_up) is refused unless --force is given.

The delete asks first on a terminal, and is refused without --yes when
standard input is not a terminal.`,
		Example: "  dialer agent delete bob --yes\n  dialer agent delete alice --force --yes",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := db.Agent(cmd.Context(), args[0]); err == nil {
				if err := confirm(cmd, yes, "delete agent "+args[0]); err != nil {
					return err
				}
			}
			err = db.DeleteAgent(cmd.Context(), args[0], force)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no agent named %q", args[0])
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "agent %s deleted\n", args[0])
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "delete even while the agent is in a call")
	addYesFlag(cmd, &yes)
	return cmd
}

func newAgentStateCmd(a *app, verb string, state dialer.AgentState, short, long string) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " NAME...",
		Short: short,
		Long: long + `

An agent who is not in a call changes at once. One who is reserved,
ringing, talking or in wrap-up keeps the state until the call and its
wrap-up end; the running daemon then applies the request.

Several agents change together or not at all: if a name matches no
agent, every unknown name is reported and no agent is changed.`,
		Example: fmt.Sprintf("  dialer agent %s alice\n  dialer agent %s alice bob", verb, verb),
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			changes, err := db.RequestAgentStates(cmd.Context(), args, state)
			var unknown *store.UnknownError
			if errors.As(err, &unknown) {
				return fmt.Errorf("%w (see dialer agent list)", unknown)
			}
			if err != nil {
				return err
			}
			for _, ch := range changes {
				fmt.Fprintln(cmd.OutOrStdout(), describeStateChange(ch))
			}
			return nil
		},
	}
}

// describeStateChange says in one line what a state request did.
func describeStateChange(ch store.AgentStateChange) string {
	switch {
	case ch.Applied && ch.From == ch.To:
		return fmt.Sprintf("agent %s already %s", ch.Agent, ch.To)
	case ch.Applied:
		return fmt.Sprintf("agent %s %s (was %s)", ch.Agent, ch.To, ch.From)
	case ch.From == dialer.AgentWrapUp:
		return fmt.Sprintf("agent %s: %s requested, applies when wrap-up ends (%s)", ch.Agent, ch.To, ch.From)
	default:
		return fmt.Sprintf("agent %s: %s requested, applies when the current call ends (%s)", ch.Agent, ch.To, ch.From)
	}
}
