package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
	"github.com/spf13/cobra"
)

func newCallCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "call",
		Short: "List the calls in progress and hang them up",
		Example: `  dialer call list
  dialer call hangup --campaign demo-ivr`,
	}
	cmd.AddCommand(newCallListCmd(a), newCallHangupCmd(a))
	return cmd
}

func newCallListCmd(a *app) *cobra.Command {
	var campaign string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the calls in progress",
		Long: `List the calls in progress as the store knows them: every attempt that is
not final yet, with its campaign, member, number, call uuid, state
(calling, agent_ringing, agent_answered, answered, bridged), start and
agent, and the manual calls (click-to-call outside a campaign) that have
not ended. When the daemon is not running these are the calls it left
open; it reconciles them with FreeSWITCH when it starts.`,
		Example: `  dialer call list
  dialer call list --campaign demo-ivr -o json`,
		Args: cobra.NoArgs,
	}
	cmd.Flags().StringVar(&campaign, "campaign", "", "only the calls of this campaign")
	out := addOutputFlag(cmd, viewFormats...)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := checkFormat(*out, viewFormats...); err != nil {
			return err
		}
		ctx := cmd.Context()
		return a.withStoreRead(ctx, func(db *store.DB) error {
			var id int64
			if campaign != "" {
				c, err := findCampaign(ctx, db, campaign, "--campaign")
				if err != nil {
					return err
				}
				id = c.ID
			}
			calls, err := db.LiveCalls(ctx, id)
			if err != nil {
				return err
			}
			if ok, err := writeStructured(cmd.OutOrStdout(), *out, calls); ok {
				return err
			}
			if len(calls) == 0 {
				_, err := fmt.Fprintln(cmd.OutOrStdout(), "no calls in progress")
				return err
			}
			if err := printCalls(cmd.OutOrStdout(), calls); err != nil {
				return err
			}
			if err := daemonLive(ctx, db, a.now()); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "%v: these calls are reconciled with FreeSWITCH when it starts (dialer serve)\n", err)
			}
			return nil
		})
	}
	return cmd
}

func printCalls(out io.Writer, calls []store.LiveCall) error {
	w := table(out)
	fmt.Fprintln(w, "ATTEMPT\tCAMPAIGN\tMEMBER\tNUMBER\tUUID\tSTATE\tSTARTED\tAGENT")
	for _, c := range calls {
		attempt, campaign, member := "-", "(manual)", "-"
		if c.AttemptID != 0 {
			attempt, campaign = strconv.FormatInt(c.AttemptID, 10), c.Campaign
			member = strconv.FormatInt(c.MemberID, 10)
			if c.Member != "" {
				member += " " + c.Member
			}
		}
		agent := c.Agent
		if agent == "" {
			agent = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", attempt, campaign, member, c.Number, c.UUID, c.State,
			tableTime(c.StartedAt), agent)
	}
	return w.Flush()
}

func newCallHangupCmd(a *app) *cobra.Command {
	var campaign string
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "hangup {UUID... | --campaign NAME}",
		Short: "Ask the running daemon to hang up calls in progress",
		Long: `Ask the running daemon to hang up calls in progress: the calls whose uuid
(customer or agent leg, as dialer call list shows them) is given, or with
--campaign every call of that campaign. The daemon takes the request within
a quarter of a second, hangs the channel up with cause MANAGER_REQUEST, and
records the call's end as any other (with its release callback); the
command waits up to --wait for the calls to end and says how each ended.

Every uuid must be a call in progress, else nothing is asked. The daemon
must be running: it owns the calls, and a call it does not record would
lose its result. A campaign without calls in progress is nothing to do.`,
		Example: `  dialer call hangup --campaign demo-ivr
  dialer call hangup --campaign demo-ivr --wait 30s`,
	}
	cmd.Flags().StringVar(&campaign, "campaign", "", "hang up every call of this campaign")
	cmd.Flags().DurationVar(&wait, "wait", 10*time.Second, "how long to wait for the calls to end")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if (campaign == "") == (len(args) == 0) {
			return errors.New("give the uuids of the calls to hang up (dialer call list shows them), or --campaign NAME")
		}
		if wait <= 0 {
			return fmt.Errorf("--wait %s: must be positive", wait)
		}
		ctx := cmd.Context()
		return a.withStore(ctx, func(db *store.DB) error {
			var id int64
			if campaign != "" {
				c, err := findCampaign(ctx, db, campaign, "--campaign")
				if err != nil {
					return err
				}
				id = c.ID
			}
			live, err := db.LiveCalls(ctx, id)
			if err != nil {
				return err
			}
			calls, err := pickCalls(live, args)
			if err != nil {
				return err
			}
			if len(calls) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "no calls in progress in campaign %s\n", campaign)
				return nil
			}
			if err := daemonLive(ctx, db, a.now()); err != nil {
				return fmt.Errorf("%w: only the daemon can hang up its calls; start it with dialer serve "+
					"(it reconciles the calls it left open with FreeSWITCH)", err)
			}
			return hangupCalls(ctx, cmd.OutOrStdout(), db, calls, time.Now().Add(wait))
		})
	}
	return cmd
}

// pickCalls returns the calls named by uuids (either leg's), all of
// them, or every call when uuids is empty.
func pickCalls(live []store.LiveCall, uuids []string) ([]store.LiveCall, error) {
	if len(uuids) == 0 {
		return live, nil
	}
	byUUID := map[string]store.LiveCall{}
	for _, c := range live {
		byUUID[c.UUID] = c
		if c.AgentUUID != "" {
			byUUID[c.AgentUUID] = c
		}
	}
	var out []store.LiveCall
	var unknown []string
	for _, u := range uuids {
		c, ok := byUUID[u]
		if !ok {
			unknown = append(unknown, u)
			continue
		}
		out = append(out, c)
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("not a call in progress: %s (dialer call list shows the calls in progress); nothing was hung up",
			strings.Join(unknown, ", "))
	}
	return out, nil
}

// daemonLive returns nil when a daemon runs on the database, else why
// not, as dialer status would say it.
func daemonLive(ctx context.Context, db *store.DB, now time.Time) error {
	ds, err := db.DaemonStatus(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	d := buildStatus(now, ds, nil).Daemon
	switch d.State {
	case daemonRunning:
		return nil
	case daemonStopped:
		return fmt.Errorf("the daemon is not running (stopped at %s)", tableTime(*d.StoppedAt))
	case daemonNotResponding:
		return fmt.Errorf("the daemon is not running (last seen %s, did not shut down cleanly)", tableTime(*d.LastSeen))
	}
	return errors.New("the daemon is not running (no daemon has run on this database)")
}

// hangupPoll is how often a hang-up's progress is looked at.
const hangupPoll = 50 * time.Millisecond

// hangupCalls asks the daemon to hang up calls and waits until each has
// ended, or until deadline. It prints a line per call as it ends or fails,
// and fails unless every call ended.
func hangupCalls(ctx context.Context, out io.Writer, db *store.DB, calls []store.LiveCall, deadline time.Time) error {
	uuids := make([]string, len(calls))
	for i, c := range calls {
		uuids[i] = c.UUID
	}
	ids, err := db.RequestHangups(ctx, uuids, dialer.HangupCause)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "hanging up %d call(s)\n", len(calls))
	pending := map[int]bool{}
	for i := range calls {
		pending[i] = true
	}
	failed := 0
	for len(pending) > 0 {
		live, err := db.LiveCalls(ctx, 0)
		if err != nil {
			return err
		}
		up := map[string]bool{}
		for _, c := range live {
			up[c.UUID] = true
		}
		for _, i := range sortedKeys(pending) {
			c := calls[i]
			if !up[c.UUID] {
				fmt.Fprintf(out, "%s: ended%s\n", describeCall(c), endCause(ctx, db, c))
				delete(pending, i)
				continue
			}
			r, err := db.HangupRequest(ctx, ids[i])
			if err != nil {
				return err
			}
			if r.State == dialer.HangupFailed {
				fmt.Fprintf(out, "%s: not hung up: %s\n", describeCall(c), r.Reason)
				delete(pending, i)
				failed++
			}
		}
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			for _, i := range sortedKeys(pending) {
				fmt.Fprintf(out, "%s: asked, still up\n", describeCall(calls[i]))
			}
			withdraw(db, ids, pending)
			return fmt.Errorf("%d of %d call(s) had not ended in time; see dialer call list and dialer status",
				len(pending)+failed, len(calls))
		}
		select {
		case <-ctx.Done():
			withdraw(db, ids, pending)
			return ctx.Err()
		case <-time.After(hangupPoll):
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d call(s) were not hung up", failed, len(calls))
	}
	return nil
}

// withdraw answers the requests nobody waits for any more, so that the
// daemon does not hang their calls up later, when it is no longer asked.
// A request the daemon took meanwhile keeps the daemon's answer.
func withdraw(db *store.DB, ids []int64, pending map[int]bool) {
	for i := range pending {
		_ = db.AnswerHangup(context.Background(), ids[i], dialer.HangupFailed, "withdrawn: the command stopped waiting")
	}
}

func sortedKeys(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

// describeCall names a call for people: its uuid and what it is.
func describeCall(c store.LiveCall) string {
	if c.AttemptID == 0 {
		return fmt.Sprintf("call %s (manual call to %s)", c.UUID, c.Number)
	}
	return fmt.Sprintf("call %s (attempt %d of campaign %s to %s)", c.UUID, c.AttemptID, c.Campaign, c.Number)
}

// endCause is ", cause X" for an attempt's recorded end, "" when unknown.
func endCause(ctx context.Context, db *store.DB, c store.LiveCall) string {
	if c.AttemptID == 0 {
		return ""
	}
	as, err := db.MemberAttempts(ctx, c.MemberID)
	if err != nil {
		return ""
	}
	for _, a := range as {
		if a.ID == c.AttemptID && a.Final {
			return ", cause " + a.Cause
		}
	}
	return ""
}
