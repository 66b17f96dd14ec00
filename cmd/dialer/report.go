package main

import (
	"fmt"
	"io"
	"time"

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
answered attempts; attempts per dialed member; and, when agents took part,
what each agent was offered, answered, missed, talked and spent in wrap-up,
and its occupancy: the share of its working span in the campaign (first
offer to the end of its last call's wrap-up) spent ringing, talking or in
wrap-up.`,
		Example: "  dialer report survey-ivr\n  dialer report renewals-progressive -o json",
		Args:    cobra.ExactArgs(1),
	}
	out := addOutputFlag(cmd, "table", "json", "yaml")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkFormat(*out, "table", "json", "yaml"); err != nil {
			return err
		}
		ctx := cmd.Context()
		db, err := a.openStore(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		c, err := findCampaign(ctx, db, args[0], "")
		if err != nil {
			return err
		}
		r, err := db.Report(ctx, c.ID)
		if err != nil {
			return err
		}
		if ok, err := writeStructured(cmd.OutOrStdout(), *out, r); ok {
			return err
		}
		return writeReportTable(cmd.OutOrStdout(), r)
	}
	return cmd
}

// reportDuration prints a number of seconds as a duration rounded to the millisecond.
func reportDuration(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond).String()
}

func writeReportTable(out io.Writer, r *store.Report) error {
	m, at := r.Members, r.Attempts
	w := table(out)
	fmt.Fprintf(w, "campaign:\t%s (%s, %s)\n", r.Campaign, r.Mode, r.State)
	fmt.Fprintf(w, "members:\t%d (waiting %d, calling %d, done %d, failed %d)\n", m.Total, m.Waiting, m.Calling, m.Done, m.Failed)
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
	if at.Answered > 0 {
		fmt.Fprintf(w, "avg billsec:\t%s\n", reportDuration(r.AvgBillsecSeconds))
	} else {
		fmt.Fprintln(w, "avg billsec:\t-")
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
	return nil
}

func reportDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
