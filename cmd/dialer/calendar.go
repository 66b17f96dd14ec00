package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/jsontime"
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
		Example: "  dialer calendar list\n  dialer calendar list -o yaml",
		Args:    cobra.NoArgs,
	}
	out := addOutputFlag(cmd, "table", "json", "yaml")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := checkFormat(*out, "table", "json", "yaml"); err != nil {
			return err
		}
		db, err := a.openStoreRead(cmd.Context())
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
		Use:   "show NAME",
		Short: "Show a calendar in its file form",
		Long: `Show a calendar in its file form (YAML or JSON), weekly days in week
order, which calendar apply -f takes back unchanged.`,
		Example: "  dialer calendar show office-hours\n  dialer calendar show office-hours -o json\n  dialer calendar show office-hours | dialer calendar apply -f -",
		Args:    cobra.ExactArgs(1),
	}
	out := addOutputFlag(cmd, "yaml", "json")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkFormat(*out, "yaml", "json"); err != nil {
			return err
		}
		db, err := a.openStoreRead(cmd.Context())
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
timezone); -o json and -o yaml give them in UTC with the zone's name.`,
		Example: `  dialer calendar next office-hours
  dialer calendar next office-hours --from 2026-03-07T00:00:00-05:00 -n 10
  dialer calendar next office-hours --zone Europe/London
  dialer calendar next office-hours -n 3 -o json`,
		Args: cobra.ExactArgs(1),
	}
	out := addOutputFlag(cmd, viewFormats...)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkFormat(*out, viewFormats...); err != nil {
			return err
		}
		if n < 1 {
			return fmt.Errorf("-n %d: must be at least 1", n)
		}
		db, err := a.openStoreRead(cmd.Context())
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
		v := calendarOpenings{Calendar: info.Name, Zone: cal.Location.String(), From: start, Windows: []openWindow{}}
		for _, win := range cal.Openings(start, n) {
			ow := openWindow{Opens: win.Start, Closes: win.End}
			if !win.End.IsZero() {
				d := win.End.Sub(win.Start)
				ow.Length = &d
			}
			v.Windows = append(v.Windows, ow)
		}
		if ok, err := writeStructured(cmd.OutOrStdout(), *out, v); ok {
			return err
		}
		return printOpenings(cmd.OutOrStdout(), v, cal.Location)
	}
	cmd.Flags().StringVar(&from, "from", "", "start time (RFC 3339; default now)")
	cmd.Flags().IntVarP(&n, "count", "n", 10, "how many windows")
	cmd.Flags().StringVar(&zone, "zone", "", "read the calendar in this IANA zone")
	return cmd
}

// calendarOpenings is what calendar next prints.
type calendarOpenings struct {
	Calendar string       `json:"calendar"`
	Zone     string       `json:"zone"`
	From     time.Time    `json:"from"`
	Windows  []openWindow `json:"windows"`
}

func (v calendarOpenings) MarshalJSON() ([]byte, error) { return jsontime.Struct(v) }

// openWindow is one open window; Closes is unset (and Length nil) for a
// window that never closes.
type openWindow struct {
	Opens  time.Time      `json:"opens"`
	Closes time.Time      `json:"closes"`
	Length *time.Duration `json:"length"`
}

func (w openWindow) MarshalJSON() ([]byte, error) { return jsontime.Struct(w) }

func printOpenings(w io.Writer, v calendarOpenings, loc *time.Location) error {
	if len(v.Windows) == 0 {
		_, err := fmt.Fprintf(w, "calendar %s does not open after %s\n", v.Calendar, tableTimeIn(v.From, loc))
		return err
	}
	tw := table(w)
	fmt.Fprintf(tw, "DAY\tOPENS\tCLOSES\tLENGTH\t(%s)\n", v.Zone)
	for _, win := range v.Windows {
		closes, length := "never", "-"
		if win.Length != nil {
			closes, length = tableTimeIn(win.Closes, loc), tableDuration(*win.Length)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", win.Opens.In(loc).Format("Mon"), tableTimeIn(win.Opens, loc), closes, length)
	}
	return tw.Flush()
}
