package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/fsdialer/dialer/store"
	"github.com/spf13/cobra"
)

func newMemberCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "member",
		Short: "Import, inspect and reset campaign members",
		Example: `  dialer member import --campaign survey-ivr testdata/members/members.csv
  dialer member list --campaign survey-ivr --state waiting
  dialer member explain 42`,
	}
	cmd.AddCommand(newMemberImportCmd(a), newMemberListCmd(a), newMemberShowCmd(a),
		newMemberResetCmd(a), newMemberDeleteCmd(a), newMemberExplainCmd(a))
	return cmd
}

func newMemberImportCmd(a *app) *cobra.Command {
	var campaign, format, mapping, region, rejects string
	var skipBad, noProgress bool
	cmd := &cobra.Command{
		Use:   "import --campaign NAME FILE",
		Short: "Import members from CSV or JSON lines",
		Long: `Import members into a campaign from a CSV file (with a header row) or a
JSON-lines file ("-" reads standard input).

CSV columns are mapped by --map, else by the campaign file's import section:
which columns hold numbers (and their types), name, priority, timezone,
expiry and external key. Every other column becomes a member variable.
Numbers are normalised to E.164 with the campaign's default_region (or
--region).

By default the import is all-or-nothing: one bad row (invalid number,
unknown timezone, bad date, duplicate number) imports nothing and names the
line and column. With --skip-bad the good rows are imported and each bad
row is written with its reason to the --rejects file.`,
		Example: `  dialer member import --campaign survey-ivr members.csv
  dialer member import --campaign survey-ivr members.csv \
      --map "numbers=mobile:mobile,home:home;name=name;key=crm_id"
  dialer member import --campaign survey-ivr members.csv --skip-bad --rejects rejected.csv
  dialer member import --campaign survey-ivr --format jsonl members.jsonl`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			c, err := findCampaign(ctx, db, campaign, "--campaign")
			if err != nil {
				return err
			}
			f := memberfile.Format(format)
			if f == "" {
				f = memberfile.CSV
				if ext := strings.ToLower(filepath.Ext(args[0])); ext == ".jsonl" || ext == ".ndjson" {
					f = memberfile.JSONL
				}
			}
			if f != memberfile.CSV && f != memberfile.JSONL {
				return fmt.Errorf("--format %q: must be csv or jsonl", format)
			}
			var m memberfile.Mapping
			if mapping != "" {
				if m, err = memberfile.ParseMapping(mapping); err != nil {
					return fmt.Errorf("--map: %w", err)
				}
			} else {
				m = mappingFromCampaign(c.Import)
			}
			if f == memberfile.CSV && len(m.Numbers) == 0 {
				return fmt.Errorf("no number columns: give --map \"numbers=COLUMN:TYPE,...\" or an import section in campaign %s", c.Name)
			}
			if region == "" {
				region = c.DefaultRegion
			}
			if skipBad && rejects == "" {
				return errors.New("--skip-bad needs --rejects FILE to record the rows it skips")
			}
			cal, err := db.CampaignCalendar(ctx, c.ID)
			if err != nil {
				return err
			}
			in, source, err := openInput(cmd, args[0])
			if err != nil {
				return err
			}
			defer in.Close()
			var size int64
			if fi, err := os.Stat(args[0]); err == nil && args[0] != "-" {
				size = fi.Size()
			}
			known := map[string]struct{}{}
			if err := db.CampaignNumbers(ctx, c.ID, func(n string) { known[n] = struct{}{} }); err != nil {
				return err
			}
			var rej *rejectWriter
			if skipBad {
				if rej, err = newRejectWriter(rejects); err != nil {
					return err
				}
				defer rej.abort()
			}
			// A large import allocates at a high rate while keeping a big
			// live set (the numbers seen): collect garbage less often.
			defer debug.SetGCPercent(debug.SetGCPercent(200))
			progress := newProgress(cmd.ErrOrStderr(), size, !noProgress)
			started := time.Now()
			imp, err := db.BeginImport(ctx, c.ID)
			if err != nil {
				return err
			}
			defer imp.Rollback()
			onReject := func(e memberfile.RowError) error {
				if !skipBad {
					return fmt.Errorf("%s: %w (nothing was imported; --skip-bad imports the other rows)", source, e)
				}
				return rej.write(e)
			}
			stats, err := memberfile.Decode(ctx, in, f, m, memberfile.Options{
				DefaultRegion: region,
				Location:      cal.Calendar.Location,
				Known: func(n string) bool {
					_, ok := known[n]
					return ok
				},
				OnProgress: progress.update,
			}, func(batch []memberfile.Member) error {
				bad, err := imp.Add(ctx, batch)
				if err != nil {
					return err
				}
				for _, e := range bad {
					if err := onReject(e); err != nil {
						return err
					}
				}
				return nil
			}, onReject)
			progress.done()
			if err != nil {
				return err
			}
			members, numbers, err := imp.Commit(ctx)
			if err != nil {
				return err
			}
			rejected := stats.Rows - members
			if rej != nil {
				if err := rej.commit(); err != nil {
					return err
				}
			}
			elapsed := time.Since(started)
			fmt.Fprintf(cmd.OutOrStdout(), "imported %d members (%d numbers) into %s from %s: %d rejected (%d duplicates) in %s (%.0f rows/s)\n",
				members, numbers, c.Name, source, rejected, stats.Duplicates, elapsed.Round(time.Millisecond),
				float64(stats.Rows)/max(elapsed.Seconds(), 1e-9))
			if rejected > 0 && rej != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "rejected rows and reasons: %s\n", rejects)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&campaign, "campaign", "", "campaign to import into (required)")
	fl.StringVar(&format, "format", "", "csv or jsonl (default: from the file extension, else csv)")
	fl.StringVar(&mapping, "map", "", `column mapping, e.g. "numbers=phone1:mobile,phone2:home;name=full_name;priority=prio;timezone=tz;expiry=expires;key=crm_id"`)
	fl.StringVar(&region, "region", "", "region for national numbers (default: the campaign's default_region)")
	fl.BoolVar(&skipBad, "skip-bad", false, "import the good rows and write bad ones to --rejects")
	fl.StringVar(&rejects, "rejects", "", "file for rejected rows with their reasons (CSV)")
	fl.BoolVar(&noProgress, "no-progress", false, "no progress bar even on a terminal")
	cmd.MarkFlagRequired("campaign")
	return cmd
}

func mappingFromCampaign(s dialer.ImportSpec) memberfile.Mapping {
	m := memberfile.Mapping{Name: s.Name, Priority: s.Priority, Timezone: s.Timezone, Expiry: s.Expiry, ExternalKey: s.ExternalKey}
	for _, n := range s.Numbers {
		m.Numbers = append(m.Numbers, memberfile.NumberColumn{Column: n.Column, Type: n.Type})
	}
	return m
}

// rejectWriter writes rejected rows to a temporary file that becomes the
// rejects file only when the import commits, so a failed import leaves no
// half-written rejects behind.
type rejectWriter struct {
	path string
	f    *os.File
	w    *csv.Writer
}

func newRejectWriter(path string) (*rejectWriter, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, fmt.Errorf("--rejects: %w", err)
	}
	w := csv.NewWriter(f)
	if err := w.Write([]string{"line", "field", "reason", "row"}); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &rejectWriter{path: path, f: f, w: w}, nil
}

func (r *rejectWriter) write(e memberfile.RowError) error {
	return r.w.Write([]string{strconv.Itoa(e.Line), e.Field, e.Reason, e.Raw})
}

func (r *rejectWriter) commit() error {
	r.w.Flush()
	if err := r.w.Error(); err != nil {
		return fmt.Errorf("write rejects: %w", err)
	}
	if err := r.f.Close(); err != nil {
		return fmt.Errorf("write rejects: %w", err)
	}
	if err := os.Rename(r.f.Name(), r.path); err != nil {
		return fmt.Errorf("write rejects: %w", err)
	}
	r.f = nil
	return nil
}

func (r *rejectWriter) abort() {
	if r.f != nil {
		r.f.Close()
		os.Remove(r.f.Name())
	}
}

// progress draws a progress bar on a terminal; elsewhere it is silent.
type progress struct {
	w       io.Writer
	size    int64
	on      bool
	started time.Time
	last    time.Time
}

func newProgress(w io.Writer, size int64, want bool) *progress {
	on := false
	if f, ok := w.(*os.File); ok && want && size > 0 {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			on = true
		}
	}
	return &progress{w: w, size: size, on: on, started: time.Now()}
}

func (p *progress) update(read int64) {
	if !p.on || time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	frac := min(float64(read)/float64(p.size), 1)
	const width = 30
	bar := strings.Repeat("#", int(frac*width)) + strings.Repeat(".", width-int(frac*width))
	fmt.Fprintf(p.w, "\r[%s] %3.0f%%  %s", bar, frac*100, time.Since(p.started).Round(time.Second))
}

func (p *progress) done() {
	if p.on && !p.last.IsZero() {
		fmt.Fprint(p.w, "\r"+strings.Repeat(" ", 50)+"\r")
	}
}

// memberSelection reads the shared selection flags of reset and delete.
type memberSelection struct {
	campaign string
	state    string
	all      bool
}

func (s *memberSelection) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&s.campaign, "campaign", "", "only members of this campaign")
	cmd.Flags().StringVar(&s.state, "state", "", "only members in this state: waiting, done or failed")
	cmd.Flags().BoolVar(&s.all, "all", false, "select by filters alone (no ids given)")
}

func (s *memberSelection) resolve(cmd *cobra.Command, db *store.DB, args []string) (store.MemberFilter, []int64, error) {
	var f store.MemberFilter
	if s.campaign != "" {
		c, err := db.Campaign(cmd.Context(), s.campaign)
		if err != nil {
			return f, nil, err
		}
		f.CampaignID = c.ID
	}
	if s.state != "" {
		switch dialer.MemberState(s.state) {
		case dialer.MemberWaiting, dialer.MemberDone, dialer.MemberFailed, dialer.MemberCalling:
			f.State = dialer.MemberState(s.state)
		default:
			return f, nil, fmt.Errorf("--state %q: must be waiting, calling, done or failed", s.state)
		}
	}
	ids, err := parseIDs(args)
	if err != nil {
		return f, nil, err
	}
	if len(ids) == 0 && !s.all {
		return f, nil, errors.New("give member ids, or --all with --campaign/--state filters")
	}
	if len(ids) == 0 && s.campaign == "" && s.state == "" {
		return f, nil, errors.New("--all needs --campaign or --state, so a typo cannot touch every member")
	}
	return f, ids, nil
}

func parseIDs(args []string) ([]int64, error) {
	ids := make([]int64, 0, len(args))
	for _, s := range args {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id < 1 {
			return nil, fmt.Errorf("%q is not a member id", s)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// newMemberBulkCmd builds reset and delete: they select members by ids or
// filters, act on those not in a call, and say how many.
func newMemberBulkCmd(a *app, use, short, long, example, done string,
	act func(db *store.DB, ctx context.Context, f store.MemberFilter, ids []int64) (int, int, error)) *cobra.Command {
	var sel memberSelection
	cmd := &cobra.Command{
		Use: use, Short: short, Long: long, Example: example,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd.Context(), func(db *store.DB) error {
				f, ids, err := sel.resolve(cmd, db, args)
				if err != nil {
					return err
				}
				n, skipped, err := act(db, cmd.Context(), f, ids)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s %d member(s); %d in a call left alone\n", done, n, skipped)
				return nil
			})
		},
	}
	sel.flags(cmd)
	return cmd
}

func newMemberResetCmd(a *app) *cobra.Command {
	return newMemberBulkCmd(a, "reset [ID...]", "Make members due now with fresh attempt counters",
		`Reset members: state waiting, due now, attempt counters cleared, every
number active again. Members in a call are left alone.`,
		"  dialer member reset 42 43\n  dialer member reset --all --campaign survey-ivr --state failed",
		"reset", (*store.DB).ResetMembers)
}

func newMemberDeleteCmd(a *app) *cobra.Command {
	return newMemberBulkCmd(a, "delete [ID...]", "Delete members with their numbers and attempts",
		"Delete members with their numbers and attempts. Members in a call are left alone.",
		"  dialer member delete 42\n  dialer member delete --all --campaign survey-ivr --state done",
		"deleted", (*store.DB).DeleteMembers)
}

func newMemberListCmd(a *app) *cobra.Command {
	var campaign, state string
	var limit int
	var after int64
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List members with their state and numbers",
		Example: "  dialer member list --campaign survey-ivr --state failed\n  dialer member list --limit 100 --after 500 -o json",
		Args:    cobra.NoArgs,
	}
	out := addOutputFlag(cmd, "table", "json", "yaml")
	cmd.Flags().StringVar(&campaign, "campaign", "", "only this campaign")
	cmd.Flags().StringVar(&state, "state", "", "only this state: waiting, calling, done or failed")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many (0 = all)")
	cmd.Flags().Int64Var(&after, "after", 0, "only ids after this one (paging)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := checkFormat(*out, "table", "json", "yaml"); err != nil {
			return err
		}
		db, err := a.openStore(cmd.Context())
		if err != nil {
			return err
		}
		defer db.Close()
		sel := memberSelection{campaign: campaign, state: state, all: true}
		f, _, err := sel.resolve(cmd, db, nil)
		if err != nil && (campaign != "" || state != "") {
			return err
		}
		f.AfterID, f.Limit = after, limit
		list, err := db.Members(cmd.Context(), f)
		if err != nil {
			return err
		}
		if ok, err := writeStructured(cmd.OutOrStdout(), *out, list); ok {
			return err
		}
		w := table(cmd.OutOrStdout())
		fmt.Fprintln(w, "ID\tSTATE\tPRIO\tATTEMPTS\tDUE\tNAME\tNUMBERS\tEND")
		for _, m := range list {
			due := "now"
			if !m.DueAt.IsZero() {
				due = m.DueAt.Format(time.RFC3339)
			}
			var nums []string
			for _, c := range m.Communications {
				nums = append(nums, c.Number)
			}
			fmt.Fprintf(w, "%d\t%s\t%d\t%d\t%s\t%s\t%s\t%s\n", m.ID, m.State, m.Priority, m.Attempts, due, m.Name,
				strings.Join(nums, ","), m.EndCause)
		}
		return w.Flush()
	}
	return cmd
}

func newMemberShowCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "show ID",
		Short:   "Show one member with its numbers and attempts",
		Example: "  dialer member show 42 -o json",
		Args:    cobra.ExactArgs(1),
	}
	out := addOutputFlag(cmd, "yaml", "json")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkFormat(*out, "yaml", "json"); err != nil {
			return err
		}
		ids, err := parseIDs(args)
		if err != nil {
			return err
		}
		db, err := a.openStore(cmd.Context())
		if err != nil {
			return err
		}
		defer db.Close()
		m, err := db.Member(cmd.Context(), ids[0])
		if err != nil {
			return err
		}
		attempts, err := db.MemberAttempts(cmd.Context(), m.ID)
		if err != nil {
			return err
		}
		_, err = writeStructured(cmd.OutOrStdout(), *out, struct {
			Member   *dialer.Member   `json:"member" yaml:"member"`
			Attempts []dialer.Attempt `json:"attempts" yaml:"attempts"`
		}{m, attempts})
		return err
	}
	return cmd
}

func newMemberExplainCmd(a *app) *cobra.Command {
	var at string
	cmd := &cobra.Command{
		Use:   "explain ID",
		Short: "Say whether a member is callable now, and if not why and when",
		Long: `Explain whether a member would be dialed now: campaign state, calendar
window in the zone its timezone policy gives, retry wait, daily cap,
expiry, blocklist, attribute filter, and when it could next be called.`,
		Example: "  dialer member explain 42\n  dialer member explain 42 --at 2026-12-24T20:00:00Z",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := parseIDs(args)
			if err != nil {
				return err
			}
			now := a.now()
			if at != "" {
				if now, err = time.Parse(time.RFC3339, at); err != nil {
					return fmt.Errorf("--at %q: use RFC 3339", at)
				}
			}
			ctx := cmd.Context()
			db, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			m, err := db.Member(ctx, ids[0])
			if err != nil {
				return err
			}
			c, err := db.CampaignByID(ctx, m.CampaignID)
			if err != nil {
				return err
			}
			cal, err := db.CampaignCalendar(ctx, c.ID)
			if err != nil {
				return err
			}
			nums := make([]string, len(m.Communications))
			for i, cm := range m.Communications {
				nums[i] = cm.Number
			}
			blocked, err := db.BlockedNumbers(ctx, c.ID, nums)
			if err != nil {
				return err
			}
			attempts, err := db.MemberAttempts(ctx, m.ID)
			if err != nil {
				return err
			}
			var live *dialer.Attempt
			for i := range attempts {
				if !attempts[i].Final {
					live = &attempts[i]
				}
			}
			v := dialer.Explain(dialer.CallableInput{Now: now, Campaign: c, Calendar: cal.Calendar, Member: m,
				Blocked: func(n string) bool { return blocked[n] }, InCall: live != nil})
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "member %d (%s) of campaign %s at %s\n", m.ID, m.Name, c.Name, now.UTC().Format(time.RFC3339))
			fmt.Fprintf(w, "state %s, %d attempt(s) counted, %d minus", m.State, m.Attempts, m.Minus)
			if m.LastCause != "" {
				fmt.Fprintf(w, ", last cause %s", m.LastCause)
			}
			fmt.Fprintln(w)
			if live != nil {
				answered := "ringing"
				if !live.AnsweredAt.IsZero() {
					answered = "answered at " + live.AnsweredAt.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(w, "live call: attempt %d to %s since %s, %s (call uuid %s)\n", live.ID, live.Number,
					live.CreatedAt.UTC().Format(time.RFC3339), answered, live.UUID)
			}
			if v.Callable {
				fmt.Fprintf(w, "callable now on %s (zones: %s)\n", v.Number.Number, strings.Join(v.Zones, ", "))
				return nil
			}
			fmt.Fprintln(w, "not callable now:")
			for _, r := range v.Reasons {
				fmt.Fprintf(w, "  - %s\n", r)
			}
			if !v.NextAt.IsZero() {
				fmt.Fprintf(w, "next possible call: %s on %s\n", v.NextAt.UTC().Format(time.RFC3339), v.Number.Number)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "explain at this time instead of now (RFC 3339)")
	return cmd
}
