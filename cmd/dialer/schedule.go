package main

import (
	"fmt"
	"sort"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/jsontime"
	"github.com/fsdialer/dialer/dialer/schedule"
	"github.com/spf13/cobra"
)

// scheduledRun is one upcoming scheduled start or stop.
type scheduledRun struct {
	Event string    `json:"event"`
	At    time.Time `json:"at"`
}

func (r scheduledRun) MarshalJSON() ([]byte, error) { return jsontime.Struct(r) }

// campaignSchedule is what `campaign schedule` prints.
type campaignSchedule struct {
	Campaign string         `json:"campaign"`
	State    dialer.State   `json:"state"`
	Zone     string         `json:"zone"`
	Start    string         `json:"start,omitempty"`
	Stop     string         `json:"stop,omitempty"`
	From     time.Time      `json:"from"`
	Runs     []scheduledRun `json:"runs"`
	loc      *time.Location
}

func (s campaignSchedule) MarshalJSON() ([]byte, error) { return jsontime.Struct(s) }

func newCampaignScheduleCmd(a *app) *cobra.Command {
	var from string
	var n int
	cmd := &cobra.Command{
		Use:   "schedule NAME",
		Short: "Print a campaign's next scheduled starts and stops",
		Long: `Print the next times the daemon will start and stop a campaign, from its
schedule.start and schedule.stop cron expressions read in its calendar's
timezone, merged in time order, in that zone and in UTC (-o json and
-o yaml give them in UTC, with the zone's name).

A scheduled start runs a stopped or finished campaign and leaves a paused
one paused; a scheduled stop stops a running or paused campaign. A start
outside the calendar's open periods is fine: no call is made before the
calendar opens. Times missed while the daemon was down are not replayed.`,
		Example: `  dialer campaign schedule survey-ivr
  dialer campaign schedule survey-ivr -n 4 --from 2026-03-06T12:00:00-05:00
  dialer campaign schedule survey-ivr -o json`,
		Args: cobra.ExactArgs(1),
	}
	out := addOutputFlag(cmd, "table", "json", "yaml")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkFormat(*out, "table", "json", "yaml"); err != nil {
			return err
		}
		if n < 1 {
			return fmt.Errorf("-n %d: must be at least 1", n)
		}
		start := a.now()
		if from != "" {
			var err error
			if start, err = time.Parse(time.RFC3339, from); err != nil {
				return fmt.Errorf("--from %q: use RFC 3339, e.g. 2026-03-07T09:00:00-05:00", from)
			}
		}
		ctx := cmd.Context()
		db, err := a.openStoreRead(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		c, err := findCampaign(ctx, db, args[0], "")
		if err != nil {
			return err
		}
		cal, err := db.CampaignCalendar(ctx, c.ID)
		if err != nil {
			return err
		}
		sc, err := upcomingRuns(c, cal.Calendar.Location, start, n)
		if err != nil {
			return err
		}
		if ok, err := writeStructured(cmd.OutOrStdout(), *out, sc); ok {
			return err
		}
		return printSchedule(cmd, sc)
	}
	cmd.Flags().StringVar(&from, "from", "", "list times after this one (RFC 3339; default now)")
	cmd.Flags().IntVarP(&n, "count", "n", 10, "how many start and stop times, in all")
	return cmd
}

// upcomingRuns merges the next n starts and stops of a campaign in time
// order; at the same instant the start comes first, as the daemon applies
// them.
func upcomingRuns(c *dialer.Campaign, loc *time.Location, from time.Time, n int) (campaignSchedule, error) {
	sc := campaignSchedule{Campaign: c.Name, State: c.State, Zone: loc.String(),
		Start: c.Schedule.Start, Stop: c.Schedule.Stop, From: from.In(loc), Runs: []scheduledRun{}, loc: loc}
	for _, e := range []struct{ event, field, expr string }{
		{"start", "schedule.start", c.Schedule.Start}, {"stop", "schedule.stop", c.Schedule.Stop},
	} {
		if e.expr == "" {
			continue
		}
		times, err := schedule.Next(e.expr, loc, from, n)
		if err != nil {
			return sc, fmt.Errorf("campaign %s %s: %w", c.Name, e.field, err)
		}
		for _, t := range times {
			sc.Runs = append(sc.Runs, scheduledRun{Event: e.event, At: t})
		}
	}
	sort.SliceStable(sc.Runs, func(i, j int) bool { return sc.Runs[i].At.Before(sc.Runs[j].At) })
	if len(sc.Runs) > n {
		sc.Runs = sc.Runs[:n]
	}
	return sc, nil
}

func printSchedule(cmd *cobra.Command, sc campaignSchedule) error {
	w := cmd.OutOrStdout()
	if sc.Start == "" && sc.Stop == "" {
		fmt.Fprintf(w, "campaign %s has no schedule: it starts and stops only by hand (set schedule.start and schedule.stop in its file)\n", sc.Campaign)
		return nil
	}
	expr := func(s string) string {
		if s == "" {
			return "none"
		}
		return fmt.Sprintf("%q", s)
	}
	fmt.Fprintf(w, "campaign %s is %s; start %s, stop %s, in %s\n", sc.Campaign, sc.State, expr(sc.Start), expr(sc.Stop), sc.Zone)
	if sc.State == dialer.StatePaused {
		fmt.Fprintln(w, "it is paused: a scheduled start leaves it paused (resume it by hand); a scheduled stop stops it")
	}
	if len(sc.Runs) == 0 {
		fmt.Fprintf(w, "no scheduled time after %s\n", tableTimeIn(sc.From, sc.loc))
		return nil
	}
	tw := table(w)
	fmt.Fprintf(tw, "EVENT\tDAY\t%s\tUTC\n", sc.Zone)
	for _, r := range sc.Runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Event, r.At.In(sc.loc).Format("Mon"), tableTimeIn(r.At, sc.loc), tableTimeIn(r.At, time.UTC))
	}
	return tw.Flush()
}
