package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
	"github.com/spf13/cobra"
)

func newReportCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report CAMPAIGN",
		Short: "Summarise a campaign's results: members, causes, answer rate, agents",
		Long: `Summarise a campaign's results so far: members by state and failed
members by end cause; attempts by class and by cause; the answer rate
(answered final attempts over final attempts); the average billed time of
answered attempts; in the agent modes the connect time, how long bridged
customers waited from their answer to their agent (p50, p95, p99, max);
attempts per dialed member; and, when agents took part,
what each agent was offered, answered, missed, talked and spent in wrap-up,
and its occupancy: the share of its working span in the campaign (first
offer to the end of its last call's wrap-up) spent ringing, talking or in
wrap-up.

The abandon rate is abandons over answered calls: an abandon is an
attempt ended ABANDONED (an answered customer no agent took within the
hold time) or, in the agent modes, any answered call that was never
bridged (the customer hung up while the agent's phone rang). Calls an
answering machine took (MACHINE) are not live answers.

An agent-mode campaign also shows its abandon ledger, the figure the 3%
abandon rules limit: over the last 24 hours, 30 days and the campaign's
own abandon.window, all ending now whatever --since and --until say, its
live answered calls, the abandoned ones (ended ABANDONED) among them, the
rate, the target (abandon.target), whether the rate is at or over it, and
the window's peak: its highest rate at any position so far, and when.
The ledger counts each call at the minute of its answer, when the call
ends; it is kept when members and attempts are deleted or reset, so it is
the compliance record (dialer export --ledger gives its minutes). The
compliance: line names the campaign's profile (us-fcc, uk-ofcom), if any.

A daemon working several switches (esl.nodes) records the node of each
attempt: the report then counts the attempts by node (NODE table, "nodes"
in JSON and YAML), LOST being those ended DIALER_LOST, such as the calls
of a node the daemon lost.

--since and --until count only the attempts that began in that range
(members are always counted by their state now). Each takes an RFC 3339
time (2026-11-23T15:00:00Z), a date or a date and time without a zone
(2026-11-23, 2026-11-23T09:00), read in the campaign's calendar zone, or a
duration back from now (24h, 7d). A date in --until counts that whole day.`,
		Example: `  dialer report survey-ivr
  dialer report renewals-progressive -o json
  dialer report renewals-progressive --since 24h
  dialer report survey-ivr --since 2026-11-01 --until 2026-11-30 -o yaml
  dialer report collections-preemptive --since 2026-11-23T09:00 --until 2026-11-23T17:00`,
		Args: cobra.ExactArgs(1),
	}
	out := addOutputFlag(cmd, "table", "json", "yaml")
	var since, until string
	cmd.Flags().StringVar(&since, "since", "", "count attempts begun at or after this time, date or duration ago (24h)")
	cmd.Flags().StringVar(&until, "until", "", "count attempts begun before this time, date (inclusive) or duration ago")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkFormat(*out, "table", "json", "yaml"); err != nil {
			return err
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
		rng, err := reportRange(ctx, db, c.ID, since, until, a.now())
		if err != nil {
			return err
		}
		r, err := db.ReportRange(ctx, c.ID, rng)
		if err != nil {
			return err
		}
		nodes, err := db.NodeReport(ctx, c.ID, rng)
		if err != nil {
			return err
		}
		view := reportView{Report: r, Nodes: nodes}
		if ok, err := writeStructured(cmd.OutOrStdout(), *out, view); ok {
			return err
		}
		if err := writeReportTable(cmd.OutOrStdout(), r); err != nil {
			return err
		}
		return writeNodeTable(cmd.OutOrStdout(), nodes)
	}
	return cmd
}

// reportRange reads --since and --until in the campaign's calendar zone.
func reportRange(ctx context.Context, db *store.DB, campaignID int64, since, until string, now time.Time) (dialer.TimeRange, error) {
	var rng dialer.TimeRange
	if since == "" && until == "" {
		return rng, nil
	}
	cal, err := db.CampaignCalendar(ctx, campaignID)
	if err != nil {
		return rng, err
	}
	loc := cal.Calendar.Location
	if rng.Since, err = dialer.ParseTimeBound(since, now, loc, false); err != nil {
		return rng, fmt.Errorf("--since %w", err)
	}
	if rng.Until, err = dialer.ParseTimeBound(until, now, loc, true); err != nil {
		return rng, fmt.Errorf("--until %w", err)
	}
	if err := rng.Check(); err != nil {
		return rng, fmt.Errorf("--since/--until: %w", err)
	}
	return rng, nil
}

// reportDuration prints a number of seconds as a table duration.
func reportDuration(s float64) string {
	return tableDuration(time.Duration(s * float64(time.Second)))
}

// connectDuration shows a connect time to the 10 ms under 10 s: the
// 2-second rule is read in tenths.
func connectDuration(s float64) string {
	d := time.Duration(s * float64(time.Second))
	if d < 10*time.Second {
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func writeReportTable(out io.Writer, r *store.Report) error {
	m, at := r.Members, r.Attempts
	w := table(out)
	fmt.Fprintf(w, "campaign:\t%s (%s, %s)\n", r.Campaign, r.Mode, r.State)
	if r.Since != nil || r.Until != nil {
		from, to := "the first", "now"
		if r.Since != nil {
			from = tableTime(*r.Since)
		}
		if r.Until != nil {
			to = tableTime(*r.Until)
		}
		fmt.Fprintf(w, "attempts begun:\tfrom %s until %s\n", from, to)
	}
	held := ""
	if m.Held > 0 {
		held = fmt.Sprintf("; held %d", m.Held)
	}
	fmt.Fprintf(w, "members:\t%d (waiting %d, calling %d, done %d, failed %d%s)\n", m.Total, m.Waiting, m.Calling, m.Done, m.Failed, held)
	fmt.Fprintf(w, "attempts:\t%d (in progress %d, final %d)\n", at.Total, at.InProgress, at.Final)
	classes := fmt.Sprintf("ok %d, retry %d, error %d, minus %d", at.OK, at.Retry, at.Error, at.Minus)
	if at.Unclassified > 0 {
		classes += fmt.Sprintf(", unclassified %d", at.Unclassified)
	}
	fmt.Fprintf(w, "final by class:\t%s\n", classes)
	if at.Final > 0 {
		fmt.Fprintf(w, "answer rate:\t%.1f%% (%d of %d final attempts)\n", r.AnswerRate*100, at.Answered, at.Final)
	} else {
		fmt.Fprintln(w, "answer rate:\t- (no final attempt yet)")
	}
	if r.AnsweredLive > 0 {
		fmt.Fprintf(w, "abandon rate:\t%.1f%% (%d of %d answered calls)\n", r.AbandonRate*100, r.Abandoned, r.AnsweredLive)
	} else {
		fmt.Fprintln(w, "abandon rate:\t- (no answered call yet)")
	}
	if at.Answered > 0 {
		fmt.Fprintf(w, "avg billsec:\t%s\n", reportDuration(r.AvgBillsecSeconds))
	} else {
		fmt.Fprintln(w, "avg billsec:\t-")
	}
	if ct := r.Connect; ct != nil && ct.Bridged > 0 {
		fmt.Fprintf(w, "connect time:\tp50 %s, p95 %s, p99 %s, max %s (%d bridged, answer to agent)\n",
			connectDuration(ct.P50), connectDuration(ct.P95), connectDuration(ct.P99), connectDuration(ct.Max), ct.Bridged)
	}
	fmt.Fprintf(w, "attempts per member:\t%.2f (%d members dialed)\n", r.AttemptsPerMember, r.MembersDialed)
	if err := w.Flush(); err != nil {
		return err
	}
	if len(r.FailedByCause) > 0 {
		fmt.Fprintln(out)
		w = table(out)
		fmt.Fprintln(w, "FAILED BY CAUSE\tMEMBERS")
		for _, c := range r.FailedByCause {
			fmt.Fprintf(w, "%s\t%d\n", reportDash(c.Cause), c.Count)
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	if len(r.ByCause) > 0 {
		fmt.Fprintln(out)
		w = table(out)
		fmt.Fprintln(w, "CAUSE\tCLASS\tATTEMPTS")
		for _, c := range r.ByCause {
			fmt.Fprintf(w, "%s\t%s\t%d\n", reportDash(c.Cause), reportDash(c.Class), c.Count)
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	if len(r.Agents) > 0 {
		fmt.Fprintln(out)
		w = table(out)
		fmt.Fprintln(w, "AGENT\tOFFERED\tANSWERED\tNO ANSWER\tTALK TIME\tWRAP-UP\tOCCUPANCY")
		for _, g := range r.Agents {
			name := g.Name
			if name == "" {
				name = fmt.Sprintf("#%d", g.AgentID)
			}
			fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%s\t%s\t%.1f%%\n", name, g.Offered, g.Answered, g.NoAnswer,
				reportDuration(g.TalkSeconds), reportDuration(g.WrapUpSeconds), 100*g.Occupancy)
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return writeLedgerTable(out, r.Ledger)
}

// reportView is the report with the campaign's attempts by switch node,
// which a daemon working several switches (esl.nodes) records.
type reportView struct {
	*store.Report `yaml:",inline"`
	Nodes         []store.NodeFigures `json:"nodes,omitempty" yaml:"nodes,omitempty"`
}

// writeNodeTable prints the attempts by switch node, when there are any.
func writeNodeTable(out io.Writer, nodes []store.NodeFigures) error {
	if len(nodes) == 0 {
		return nil
	}
	fmt.Fprintln(out)
	w := table(out)
	fmt.Fprintln(w, "NODE\tATTEMPTS\tIN PROGRESS\tANSWERED\tOK\tRETRY\tERROR\tMINUS\tLOST")
	for _, n := range nodes {
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", n.Node, n.Attempts, n.InProgress, n.Answered,
			n.OK, n.Retry, n.Error, n.Minus, n.Lost)
	}
	return w.Flush()
}

// writeLedgerTable prints an agent-mode campaign's abandon ledger.
func writeLedgerTable(out io.Writer, lr *store.LedgerReport) error {
	if lr == nil {
		return nil
	}
	fmt.Fprintln(out)
	w := table(out)
	if lr.Compliance != "" && lr.Compliance != dialer.ComplianceNone {
		fmt.Fprintf(w, "compliance:\t%s\n", lr.Compliance)
	}
	fmt.Fprintln(w, "LEDGER WINDOW\tLIVE ANSWERED\tABANDONED\tRATE\tTARGET\tVERDICT\tPEAK")
	for _, lw := range lr.Windows {
		name := ledgerWindow(lw.Window.D())
		if lw.Window == lr.Window {
			name += " (abandon.window)"
		}
		verdict := "under target"
		if lw.AtTarget {
			verdict = "AT OR OVER TARGET"
		}
		peak := "-"
		if p := lw.Peak; p != nil {
			peak = fmt.Sprintf("%.2f%% (%d of %d) at %s", 100*p.Rate, p.Abandoned, p.LiveAnswered, tableTime(p.At))
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%.2f%%\t%s\t%s\t%s\n", name, lw.LiveAnswered, lw.Abandoned, 100*lw.Rate, lr.Target, verdict, peak)
	}
	return w.Flush()
}

// ledgerWindow writes a window in days when it is whole days over one,
// else in hours when whole hours.
func ledgerWindow(d time.Duration) string {
	switch {
	case d > 24*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return tableDuration(d)
}

func reportDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
