package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
	"github.com/spf13/cobra"
)

func newCampaignCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "campaign",
		Short: "Create, inspect and control campaigns",
		Example: `  dialer campaign apply -f testdata/campaigns/ivr.yaml
  dialer campaign list
  dialer campaign show survey-ivr -o yaml
  dialer campaign start survey-ivr`,
	}
	cmd.AddCommand(newCampaignApplyCmd(a), newCampaignListCmd(a), newCampaignShowCmd(a), newCampaignDeleteCmd(a),
		newCampaignScheduleCmd(a))
	for _, s := range []struct {
		verb  string
		state dialer.State
		short string
	}{
		{"start", dialer.StateRunning, "Start (or restart) a campaign's run"},
		{"pause", dialer.StatePaused, "Pause a running campaign; its members keep their state"},
		{"resume", dialer.StateRunning, "Resume a paused campaign"},
		{"stop", dialer.StateStopped, "Stop a campaign; calls in progress finish"},
	} {
		cmd.AddCommand(newCampaignStateCmd(a, s.verb, s.state, s.short))
	}
	return cmd
}

func newCampaignApplyCmd(a *app) *cobra.Command {
	return newApplyCmd(a, applySpec[*dialer.Campaign]{
		kind:  "campaign",
		short: "Create or update a campaign from a YAML or JSON file",
		long: `Create or update a campaign by name from a YAML or JSON file ("-" reads
standard input). Applying the same file twice changes nothing and says so.
A file with errors is rejected as a whole, naming each bad field, and
nothing is written.`,
		example: `  dialer campaign apply -f testdata/campaigns/ivr.yaml --dry-run
  dialer campaign apply -f testdata/campaigns/ivr.yaml
  cat testdata/campaigns/progressive.yaml | dialer campaign apply -f -`,
		read: dialer.ReadCampaign,
		apply: func(ctx context.Context, db *store.DB, c *dialer.Campaign) (string, store.Change, error) {
			change, err := db.ApplyCampaign(ctx, c)
			return c.Name, change, err
		},
	})
}

func newCampaignListCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List campaigns with their state and member counts",
		Example: "  dialer campaign list\n  dialer campaign list -o json",
		Args:    cobra.NoArgs,
	}
	out := addOutputFlag(cmd, viewFormats...)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		load := func(ctx context.Context, db *store.DB) ([]store.CampaignSummary, error) {
			list, err := db.Campaigns(ctx)
			if list == nil {
				list = []store.CampaignSummary{}
			}
			return list, err
		}
		return runView(a, cmd, *out, viewFormats, load, printCampaigns)
	}
	return cmd
}

func printCampaigns(out io.Writer, list []store.CampaignSummary) error {
	w := table(out)
	fmt.Fprintln(w, "NAME\tMODE\tSTATE\tPRIORITY\tCALENDAR\tMEMBERS\tWAITING\tDONE\tFAILED")
	for _, c := range list {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%d\t%d\t%d\t%d\n", c.Name, c.Mode, c.State, c.Priority, c.Calendar,
			c.Members, c.Waiting, c.Done, c.Failed)
	}
	return w.Flush()
}

func newCampaignShowCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a campaign as stored (defaults filled in)",
		Long: `Show a campaign as stored, with its defaults filled in. -o yaml and
-o json print it as a campaign file that campaign apply -f takes back
unchanged.`,
		Example: "  dialer campaign show survey-ivr\n  dialer campaign show survey-ivr -o json\n  dialer campaign show survey-ivr -o yaml | dialer campaign apply -f -",
		Args:    cobra.ExactArgs(1),
	}
	out := addOutputFlag(cmd, viewFormats...)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		load := func(ctx context.Context, db *store.DB) (*dialer.Campaign, error) { return db.Campaign(ctx, args[0]) }
		return runView(a, cmd, *out, viewFormats, load, printCampaign)
	}
	return cmd
}

func printCampaign(out io.Writer, c *dialer.Campaign) error {
	cal := c.Calendar.Name
	if c.Calendar.Inline != nil {
		cal = "inline (" + c.Calendar.Inline.Timezone + ")"
	}
	w := table(out)
	for _, row := range [][2]string{
		{"name", c.Name}, {"state", string(c.State)}, {"mode", string(c.Mode)},
		{"priority", fmt.Sprint(c.Priority)}, {"calendar", cal}, {"timezone policy", string(c.TimezonePolicy)},
		{"dial", c.Dial.Template}, {"lines", fmt.Sprint(c.Limits.Lines)},
		{"calls per interval", fmt.Sprintf("%d / %s", c.Limits.Calls, tableDuration(c.Limits.Interval.D()))},
		{"ring timeout", tableDuration(c.Limits.RingTimeout.D())}, {"min success", tableDuration(c.MinSuccess.D())},
		{"retry", fmt.Sprintf("max %d attempts, every %s, %d/day, %d days, minus bound %d",
			c.Retry.MaxAttempts, tableDuration(c.Retry.Interval.D()), c.Retry.MaxPerDay, c.Retry.MaxDays, c.Retry.MaxMinus)},
		{"default class", c.Causes.Default}, {"numbers", c.Numbers.Order},
		{"schedule", fmt.Sprintf("start %q stop %q", c.Schedule.Start, c.Schedule.Stop)},
		{"callback", c.CallbackURL},
	} {
		fmt.Fprintf(w, "%s:\t%s\n", row[0], row[1])
	}
	return w.Flush()
}

func newCampaignDeleteCmd(a *app) *cobra.Command {
	var force, hangup, yes bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a campaign with its members and attempts",
		Long: `Delete a campaign with its members, attempts and inline calendar.
A running campaign is refused unless --force is given.

A campaign with calls in progress is always refused, --force or not: their
ends and release callbacks would be lost. Stop it and wait for the calls
to end (dialer campaign stop NAME; dialer call list shows them), or give
--hangup: the campaign is stopped, the running daemon hangs up its calls
(cause MANAGER_REQUEST) and records their ends, and the campaign is
deleted once every call ended, within --timeout. Callback events already
recorded are still delivered after the campaign is gone.

The delete asks first on a terminal, and is refused without --yes when
standard input is not a terminal.`,
		Example: `  dialer campaign delete survey-ivr --yes
  dialer campaign delete renewals-progressive --force --yes
  dialer campaign delete demo-ivr --hangup --timeout 1m --yes`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if timeout <= 0 {
				return fmt.Errorf("--timeout %s: must be positive", timeout)
			}
			return a.withStore(cmd.Context(), func(db *store.DB) error {
				if err := confirmCampaignDelete(cmd, db, args[0], yes); err != nil {
					return err
				}
				return deleteCampaign(cmd.Context(), cmd.OutOrStdout(), db, a.now, args[0], force, hangup, timeout)
			})
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "delete even while running (never while calls are in progress)")
	cmd.Flags().BoolVar(&hangup, "hangup", false, "stop the campaign and have the daemon hang up its calls first")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "with --hangup: how long the calls may take to end")
	addYesFlag(cmd, &yes)
	return cmd
}

// confirmCampaignDelete asks before a campaign is deleted, saying how many
// members go with it. An unknown name is left to the delete to report.
func confirmCampaignDelete(cmd *cobra.Command, db *store.DB, name string, yes bool) error {
	if yes {
		return nil
	}
	c, err := db.Campaign(cmd.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	n, err := db.CountMembers(cmd.Context(), store.MemberFilter{CampaignID: c.ID}, nil)
	if err != nil {
		return err
	}
	return confirm(cmd, yes, fmt.Sprintf("delete campaign %s with its %s and their attempts", name, plural(n, "member", "members")))
}

func newCampaignStateCmd(a *app, verb string, state dialer.State, short string) *cobra.Command {
	example := fmt.Sprintf("  dialer campaign %s survey-ivr", verb)
	if verb == "resume" {
		example = "  dialer campaign resume collections-preemptive   # a paused campaign"
	}
	return &cobra.Command{
		Use:     verb + " NAME",
		Short:   short,
		Example: example,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if verb == "resume" {
				c, err := db.Campaign(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if c.State != dialer.StatePaused {
					return fmt.Errorf("campaign %s is %s, not paused (use start)", c.Name, c.State)
				}
			}
			prev, err := db.SetCampaignState(cmd.Context(), args[0], state)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no campaign named %q", args[0])
			}
			if err != nil {
				return err
			}
			if prev == state {
				fmt.Fprintf(cmd.OutOrStdout(), "campaign %s already %s\n", args[0], state)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "campaign %s %s (was %s)\n", args[0], state, prev)
			return nil
		},
	}
}
