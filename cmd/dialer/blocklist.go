package main

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/fsdialer/dialer/dialer/phone"
	"github.com/fsdialer/dialer/store"
	"github.com/spf13/cobra"
)

func newBlocklistCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "blocklist",
		Short: "Manage the do-not-call list (global or per campaign)",
		Long: `Numbers on the blocklist are never dialed. Entries are global unless
--campaign names a campaign. Numbers are normalised to E.164 like members.`,
		Example: `  dialer blocklist add +14155550123 --reason "asked not to be called"
  dialer blocklist add 4155550124 --region US --campaign survey-ivr
  dialer blocklist import testdata/blocklist/dnc.txt --region US
  dialer blocklist list --all`,
	}
	var campaign, region string
	cmd.PersistentFlags().StringVar(&campaign, "campaign", "", "campaign scope (default: global)")
	cmd.PersistentFlags().StringVar(&region, "region", "", "region for national numbers (default: the campaign's default_region)")

	resolveRegion := func(cmd *cobra.Command) (string, error) {
		if region != "" || campaign == "" {
			return region, nil
		}
		db, err := a.openStore(cmd.Context())
		if err != nil {
			return "", err
		}
		defer db.Close()
		c, err := db.Campaign(cmd.Context(), campaign)
		if err != nil {
			return "", err
		}
		return c.DefaultRegion, nil
	}
	normalize := func(cmd *cobra.Command, raw []string, where func(i int) string) ([]string, error) {
		reg, err := resolveRegion(cmd)
		if err != nil {
			return nil, err
		}
		if reg != "" && !phone.ValidRegion(reg) {
			return nil, fmt.Errorf("--region %q: not a region code (e.g. US, GB)", reg)
		}
		var errs []error
		out := make([]string, 0, len(raw))
		for i, r := range raw {
			n, err := phone.Normalize(r, reg)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", where(i), err))
				continue
			}
			out = append(out, n)
		}
		if len(errs) > 0 {
			return nil, fmt.Errorf("nothing was added:\n%w", errors.Join(errs...))
		}
		return out, nil
	}

	var reason string
	add := &cobra.Command{
		Use:     "add NUMBER...",
		Short:   "Block numbers",
		Example: `  dialer blocklist add +14155550123 +442071234567 --reason complaint`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			nums, err := normalize(cmd, args, func(i int) string { return fmt.Sprintf("argument %d", i+1) })
			if err != nil {
				return err
			}
			db, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			added, err := db.BlockNumbers(cmd.Context(), campaign, nums, reason)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "blocked %d number(s) (%d already blocked) in %s\n", added, len(nums)-added, scopeName(campaign))
			return nil
		},
	}
	add.Flags().StringVar(&reason, "reason", "", "why the numbers are blocked")

	var delimiter, encoding string
	imp := &cobra.Command{
		Use:   "import FILE",
		Short: "Block every number in a file (one per line, or the first CSV column)",
		Long: `Block every number in a text file: one number per line, or the first
column of a CSV file (separated by --delimiter, a comma by default). Blank
lines and lines starting with # are skipped, and a first line without
digits is taken for a header. Text is UTF-8 unless --encoding names the
file's encoding; a UTF-8 byte order mark is ignored. A file with any
invalid number adds nothing and names each bad line.`,
		Example: `  dialer blocklist import testdata/blocklist/dnc.txt --region US --reason national-dnc
  dialer blocklist import testdata/blocklist/dnc-latin1.csv --delimiter ';' --encoding latin1 --region US`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			comma, err := memberfile.ParseDelimiter(delimiter)
			if err != nil {
				return fmt.Errorf("--delimiter: %w", err)
			}
			in, source, err := openInput(cmd, args[0])
			if err != nil {
				return err
			}
			defer in.Close()
			text, err := memberfile.NewTextReader(in, encoding)
			if err != nil {
				return fmt.Errorf("--encoding: %w", err)
			}
			var raw []string
			var lines []int
			sc := bufio.NewScanner(text)
			line := 0
			for sc.Scan() {
				line++
				text := strings.TrimSpace(sc.Text())
				if text == "" || strings.HasPrefix(text, "#") {
					continue
				}
				first, _, _ := strings.Cut(text, string(comma))
				first = strings.Trim(strings.TrimSpace(first), `"`)
				if line == 1 && !strings.ContainsAny(first, "0123456789") {
					continue // a header row
				}
				raw = append(raw, first)
				lines = append(lines, line)
			}
			if err := sc.Err(); err != nil {
				return fmt.Errorf("read %s: %w", source, err)
			}
			nums, err := normalize(cmd, raw, func(i int) string { return fmt.Sprintf("%s: line %d", source, lines[i]) })
			if err != nil {
				return err
			}
			db, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			added, err := db.BlockNumbers(cmd.Context(), campaign, nums, reason)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "blocked %d number(s) from %s (%d already blocked) in %s\n", added, source, len(nums)-added, scopeName(campaign))
			return nil
		},
	}
	imp.Flags().StringVar(&reason, "reason", "", "why the numbers are blocked")
	imp.Flags().StringVar(&delimiter, "delimiter", ",", `CSV field delimiter: one character, or "tab"`)
	imp.Flags().StringVar(&encoding, "encoding", "utf-8", "the file's text encoding: utf-8, latin1 (iso-8859-1), windows-1252 or utf-16 (with a byte order mark)")

	var all bool
	list := &cobra.Command{
		Use:     "list",
		Short:   "List blocked numbers",
		Example: "  dialer blocklist list\n  dialer blocklist list --campaign survey-ivr\n  dialer blocklist list --all -o json",
		Args:    cobra.NoArgs,
	}
	out := addOutputFlag(list, "table", "json", "yaml")
	list.Flags().BoolVar(&all, "all", false, "every scope (global and all campaigns)")
	list.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := checkFormat(*out, "table", "json", "yaml"); err != nil {
			return err
		}
		db, err := a.openStoreRead(cmd.Context())
		if err != nil {
			return err
		}
		defer db.Close()
		entries, err := db.Blocklist(cmd.Context(), campaign, all)
		if err != nil {
			return err
		}
		if entries == nil {
			entries = []store.BlockEntry{}
		}
		if ok, err := writeStructured(cmd.OutOrStdout(), *out, entries); ok {
			return err
		}
		w := table(cmd.OutOrStdout())
		fmt.Fprintln(w, "NUMBER\tSCOPE\tREASON\tADDED")
		for _, e := range entries {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", e.Number, scopeName(e.Campaign), e.Reason, tableTime(e.CreatedAt))
		}
		return w.Flush()
	}

	var removeAll, yes bool
	remove := &cobra.Command{
		Use:   "remove (NUMBER... | --all)",
		Short: "Unblock numbers",
		Long: `Unblock the numbers given, or with --all every number of the scope (the
global list, or with --campaign that campaign's). Unblocked numbers can be
dialed again, so removing more than one number asks first on a terminal,
and is refused without --yes when standard input is not a terminal.`,
		Example: `  dialer blocklist add +14155550123 +14155550124 +14155550125
  dialer blocklist remove +14155550123
  dialer blocklist remove +14155550124 +14155550125 --yes
  dialer blocklist remove --all --campaign survey-ivr --yes`,
		Args: func(_ *cobra.Command, args []string) error {
			switch {
			case removeAll && len(args) > 0:
				return errors.New("give numbers or --all, not both")
			case !removeAll && len(args) == 0:
				return errors.New("give the numbers to unblock, or --all")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			nums, err := normalize(cmd, args, func(i int) string { return fmt.Sprintf("argument %d", i+1) })
			if err != nil {
				return err
			}
			db, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if removeAll {
				entries, err := db.Blocklist(cmd.Context(), campaign, false)
				if err != nil {
					return err
				}
				for _, e := range entries {
					nums = append(nums, e.Number)
				}
			}
			if len(nums) > 1 || (removeAll && len(nums) > 0) {
				if err := confirm(cmd, yes, fmt.Sprintf("unblock %s in %s", plural(len(nums), "number", "numbers"), scopeName(campaign))); err != nil {
					return err
				}
			}
			removed, err := db.UnblockNumbers(cmd.Context(), campaign, nums)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "unblocked %d number(s) in %s (%d were not blocked there)\n", removed, scopeName(campaign), len(nums)-removed)
			return nil
		},
	}
	remove.Flags().BoolVar(&removeAll, "all", false, "every number of the scope")
	addYesFlag(remove, &yes)
	cmd.AddCommand(add, imp, list, remove)
	return cmd
}

func scopeName(campaign string) string {
	if campaign == "" {
		return "global"
	}
	return "campaign " + campaign
}
