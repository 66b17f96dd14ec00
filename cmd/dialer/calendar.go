package main

import (
	"context"
	"fmt"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
	"github.com/spf13/cobra"
)

func newCalendarCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "calendar",
		Short: "Create and check calling calendars",
		Example: `  dialer calendar apply -f testdata/calendars/office-hours.yaml
  dialer calendar next office-hours -n 5`,
	}
	cmd.AddCommand(newCalendarApplyCmd(a), newCalendarListCmd(a), newCalendarShowCmd(a), newCalendarNextCmd(a))
	return cmd
}

func newCalendarApplyCmd(a *app) *cobra.Command {
	return newApplyCmd(a, applySpec[*dialer.CalendarSpec]{
		kind:  "calendar",
		short: "Create or update a shared calendar from a YAML or JSON file",
		long: `Create or update a calendar by name. Weekly periods are HH:MM-HH:MM in the
calendar's timezone; special dates replace the weekly periods of their days
(no periods = closed all day). Applying the same file twice changes nothing.`,
		example: "  dialer calendar apply -f testdata/calendars/office-hours.yaml --dry-run\n  dialer calendar apply -f testdata/calendars/office-hours.yaml",
		read:    dialer.ReadCalendar,
		apply: func(ctx context.Context, db *store.DB, spec *dialer.CalendarSpec) (string, store.Change, error) {
			change, err := db.ApplyCalendar(ctx, spec)
			return spec.Name, change, err
		},
	})
}

func newCalendarListCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List calendars (inline calendars show their campaign)",
		Example: "  dialer calendar list",
		Args:    cobra.NoArgs,
	}
	out := addOutputFlag(cmd, "table", "json", "yaml")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := checkFormat(*out, "table", "json", "yaml"); err != nil {
			return err
		}
		db, err := a.openStore(cmd.Context())
		if err != nil {
			return err
		}
		defer db.Close()
		list, err := db.Calendars(cmd.Context())
		if err != nil {
			return err
		}
		specs := make([]dialer.CalendarSpec, len(list))
		for i, c := range list {
			specs[i] = c.Spec()
		}
		if ok, err := writeStructured(cmd.OutOrStdout(), *out, specs); ok {
			return err
		}
		w := table(cmd.OutOrStdout())
		fmt.Fprintln(w, "NAME\tTIMEZONE\tOWNER\tOPEN NOW")
		now := a.now()
		for _, c := range list {
			owner := c.Owner
			if owner == "" {
				owner = "-"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%v\n", c.Name, c.Calendar.Location, owner, c.Calendar.IsOpen(now))
		}
		return w.Flush()
	}
	return cmd
}

func newCalendarShowCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "show NAME",
		Short:   "Show a calendar in its file form",
		Example: "  dialer calendar show office-hours -o json",
		Args:    cobra.ExactArgs(1),
	}
	out := addOutputFlag(cmd, "yaml", "json")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkFormat(*out, "yaml", "json"); err != nil {
			return err
		}
		db, err := a.openStore(cmd.Context())
		if err != nil {
			return err
		}
		defer db.Close()
		c, err := db.Calendar(cmd.Context(), args[0])
		if err != nil {
			return err
		}
		_, err = writeStructured(cmd.OutOrStdout(), *out, c.Spec())
		return err
	}
	return cmd
}

func newCalendarNextCmd(a *app) *cobra.Command {
	var from string
	var n int
	var zone string
	cmd := &cobra.Command{
		Use:   "next NAME",
		Short: "Print a calendar's next open windows",
		Long: `Print the next open windows of a calendar, so a calendar can be checked
before it is trusted. Times are printed in the calendar's zone, or in
--zone (the calendar read in another zone, as for a member with its own
timezone).`,
		Example: `  dialer calendar next office-hours
  dialer calendar next office-hours --from 2026-03-07T00:00:00-05:00 -n 10
  dialer calendar next office-hours --zone Europe/London`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if n < 1 {
				return fmt.Errorf("-n %d: must be at least 1", n)
			}
			db, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			info, err := db.Calendar(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			cal := info.Calendar
			if zone != "" {
				loc, err := dialer.LoadLocation(zone)
				if err != nil {
					return fmt.Errorf("--zone: %w", err)
				}
				cal = cal.In(loc)
			}
			start := a.now()
			if from != "" {
				if start, err = time.Parse(time.RFC3339, from); err != nil {
					return fmt.Errorf("--from %q: use RFC 3339, e.g. 2026-03-07T09:00:00-05:00", from)
				}
			}
			windows := cal.Openings(start, n)
			w := cmd.OutOrStdout()
			if len(windows) == 0 {
				fmt.Fprintf(w, "calendar %s does not open after %s\n", info.Name, start.Format(time.RFC3339))
				return nil
			}
			tw := table(w)
			fmt.Fprintf(tw, "OPENS\tCLOSES\tLENGTH\t(%s)\n", cal.Location)
			for _, win := range windows {
				closes, length := "never", "-"
				if !win.End.IsZero() {
					closes = win.End.In(cal.Location).Format("Mon 2006-01-02 15:04 MST")
					length = win.End.Sub(win.Start).String()
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t\n", win.Start.In(cal.Location).Format("Mon 2006-01-02 15:04 MST"), closes, length)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "start time (RFC 3339; default now)")
	cmd.Flags().IntVarP(&n, "count", "n", 10, "how many windows")
	cmd.Flags().StringVar(&zone, "zone", "", "read the calendar in this IANA zone")
	return cmd
}
