package main

import (
	"context"
	"errors"
	"fmt"
	"io"

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
	var force bool
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a campaign with its members and attempts",
		Long: `Delete a campaign with its members, attempts and inline calendar.
A running campaign is refused unless --force is given.`,
		Example: "  dialer campaign delete survey-ivr\n  dialer campaign delete survey-ivr --force",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.DeleteCampaign(cmd.Context(), args[0], force); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "campaign %s deleted\n", args[0])
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "delete even while running")
	return cmd
}

func newCampaignStateCmd(a *app, verb string, state dialer.State, short string) *cobra.Command {
	return &cobra.Command{
		Use:     verb + " NAME",
		Short:   short,
		Example: fmt.Sprintf("  dialer campaign %s survey-ivr", verb),
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
