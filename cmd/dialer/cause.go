package main

import (
	"fmt"

	"github.com/fsdialer/dialer/dialer/cause"
	"github.com/spf13/cobra"
)

func newCauseCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "cause",
		Short:   "Hangup causes and their classes",
		Example: "  dialer cause list\n  dialer cause list --campaign survey-ivr",
	}
	var campaign string
	list := &cobra.Command{
		Use:   "list",
		Short: "List every hangup cause with its Q.850 code and class",
		Long: `List the 82 FreeSWITCH hangup causes and the dialer's own causes with
their Q.850 codes and classes (ok, retry, error, minus). With --campaign the
campaign's overrides are applied and marked.`,
		Example: "  dialer cause list\n  dialer cause list --campaign survey-ivr -o json",
		Args:    cobra.NoArgs,
	}
	out := addOutputFlag(list, "table", "json", "yaml")
	list.Flags().StringVar(&campaign, "campaign", "", "apply this campaign's overrides")
	list.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := checkFormat(*out, "table", "json", "yaml"); err != nil {
			return err
		}
		m := cause.Map{}
		if campaign != "" {
			db, err := a.openStoreRead(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			c, err := db.Campaign(cmd.Context(), campaign)
			if err != nil {
				return err
			}
			m = c.ClassMap()
		}
		type row struct {
			Name       string      `json:"name" yaml:"name"`
			Q850       int         `json:"q850" yaml:"q850"`
			Class      cause.Class `json:"class" yaml:"class"`
			Overridden bool        `json:"overridden,omitempty" yaml:"overridden,omitempty"`
			Dialer     bool        `json:"dialer,omitempty" yaml:"dialer,omitempty"`
			Meaning    string      `json:"description" yaml:"description"`
		}
		var rows []row
		for _, c := range cause.All() {
			_, over := m.Overrides[c.Name]
			rows = append(rows, row{Name: c.Name, Q850: c.Q850, Class: m.Class(c.Name), Overridden: over, Dialer: c.Dialer, Meaning: c.Description})
		}
		if ok, err := writeStructured(cmd.OutOrStdout(), *out, rows); ok {
			return err
		}
		w := table(cmd.OutOrStdout())
		fmt.Fprintln(w, "CAUSE\tQ850\tCLASS\tDESCRIPTION")
		for _, r := range rows {
			class := string(r.Class)
			if r.Overridden {
				class += " *"
			}
			q := fmt.Sprint(r.Q850)
			if r.Dialer {
				q = "-"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Name, q, class, r.Meaning)
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if campaign != "" {
			fmt.Fprintf(cmd.OutOrStdout(), "\n* overridden by campaign %s; unknown causes are %s\n", campaign, m.Class("NOT_A_CAUSE"))
		}
		return nil
	}
	cmd.AddCommand(list)
	return cmd
}
