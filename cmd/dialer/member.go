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
	"github.com/fsdialer/dialer/dialer/jsontime"
	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/fsdialer/dialer/store"
	"github.com/spf13/cobra"
)

func newMemberCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "member",
		Short: "Import, inspect, reset and hold campaign members",
		Example: `  dialer member import --campaign survey-ivr --format jsonl testdata/members/members.jsonl
  dialer member list --campaign survey-ivr --state waiting
  dialer member explain 42`,
	}
	cmd.AddCommand(newMemberImportCmd(a), newMemberListCmd(a), newMemberShowCmd(a),
		newMemberResetCmd(a), newMemberDeleteCmd(a), newMemberExplainCmd(a),
		newMemberHoldCmd(a), newMemberReleaseCmd(a))
	return cmd
}

func newMemberImportCmd(a *app) *cobra.Command {
	var campaign, format, mapping, region, rejects, delimiter, encoding string
	var skipBad, noProgress, dryRun bool
	cmd := &cobra.Command{
		Use:   "import --campaign NAME FILE",
		Short: "Import members from CSV or JSON lines",
		Long: `Import members into a campaign from a CSV file (with a header row) or a
JSON-lines file ("-" reads standard input).

CSV columns are mapped by --map, else by the campaign file's import section:
which columns hold numbers (and their types), name, priority, timezone,
expiry and external key, and the member's own call window: not_before and
not_after (another name for expiry). Every other column becomes a member
variable.
Numbers are normalised to E.164 with the campaign's default_region (or
--region). Fields are separated by commas unless --delimiter says
otherwise; text is UTF-8 unless --encoding names the file's encoding
(latin1, windows-1252, utf-16). A UTF-8 byte order mark is ignored.

By default the import is all-or-nothing: one bad row (invalid number,
unknown timezone, bad date, duplicate number) imports nothing and names the
line and column. With --skip-bad the good rows are imported and each bad
row is written with its reason to the --rejects file.

--dry-run reads and checks the whole file against the campaign and says
how many members would be imported and rejected, and writes nothing.`,
		Example: `  dialer member import --campaign survey-ivr --dry-run testdata/members/latin1-semicolon.csv \
      --delimiter ';' --encoding latin1
  dialer member import --campaign survey-ivr testdata/members/latin1-semicolon.csv --delimiter ';' --encoding latin1
  dialer member import --campaign survey-ivr testdata/members/bom-utf8.csv \
      --map "numbers=mobile:mobile,home:home;name=name;key=crm_id"
  dialer member import --campaign survey-ivr testdata/members/bad-row.csv --skip-bad --rejects rejected.csv
  dialer member import --campaign survey-ivr --format jsonl testdata/members/members.jsonl
  dialer member import --campaign results-ivr testdata/members/windows.csv
  dialer member import --campaign survey-ivr testdata/members/windows.csv \
      --map "numbers=phone;name=name;key=ref;not_before=call_from;not_after=call_until"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if _, err := os.Stat(a.cfg.Database); dryRun && errors.Is(err, os.ErrNotExist) && !store.IsPostgres(a.cfg.Database) {
				return fmt.Errorf("--campaign: no campaign named %q: database %s does not exist", campaign, a.cfg.Database)
			}
			db, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			if dryRun {
				db.SetDryRun()
			}
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
			if skipBad && rejects == "" && !dryRun {
				return errors.New("--skip-bad needs --rejects FILE to record the rows it skips")
			}
			comma, err := memberfile.ParseDelimiter(delimiter)
			if err != nil {
				return fmt.Errorf("--delimiter: %w", err)
			}
			if _, err := memberfile.NewTextReader(strings.NewReader(""), encoding); err != nil {
				return fmt.Errorf("--encoding: %w", err)
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
			var dryRejects []memberfile.RowError
			var dryMembers, dryNumbers int
			if skipBad && !dryRun {
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
				switch {
				case !skipBad && dryRun:
					return fmt.Errorf("%w (nothing would be imported; --skip-bad imports the other rows)", e)
				case !skipBad:
					return fmt.Errorf("%w (nothing was imported; --skip-bad imports the other rows)", e)
				case dryRun:
					dryRejects = append(dryRejects, e)
					return nil
				}
				return rej.write(e)
			}
			stats, err := memberfile.Decode(ctx, in, f, m, memberfile.Options{
				DefaultRegion: region,
				Location:      cal.Calendar.Location,
				Comma:         comma,
				Encoding:      encoding,
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
				dryMembers += len(batch) - len(bad)
				refused := make(map[int]bool, len(bad))
				for _, e := range bad {
					refused[e.Line] = true
				}
				for _, m := range batch {
					if !refused[m.Line] {
						dryNumbers += len(m.Numbers)
					}
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
				return fmt.Errorf("%s: %w", source, err)
			}
			if stats.Rows == 0 {
				if f == memberfile.CSV {
					return fmt.Errorf("%s: no members after the header", source)
				}
				return fmt.Errorf("%s: no members in the file", source)
			}
			if dryRun {
				members, numbers := dryMembers, dryNumbers
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "dry run: %d members (%d numbers) would be imported into %s from %s, %d rejected (%d duplicates); nothing was written\n",
					members, numbers, c.Name, source, stats.Rows-members, stats.Duplicates)
				const shown = 20
				for _, e := range dryRejects[:min(len(dryRejects), shown)] {
					fmt.Fprintf(w, "  would reject %v\n", e)
				}
				if len(dryRejects) > shown {
					fmt.Fprintf(w, "  ... and %d more rejected rows\n", len(dryRejects)-shown)
				}
				return nil
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
			if members == 0 {
				return nil
			}
			run, err := db.MembersAdded(ctx, c.ID)
			if err != nil {
				return err
			}
			if run.Started() {
				fmt.Fprintln(cmd.OutOrStdout(), run.Notice())
			} else if w := run.Warning(); w != "" {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning: "+w)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&campaign, "campaign", "", "campaign to import into (required)")
	fl.StringVar(&format, "format", "", "csv or jsonl (default: from the file extension, else csv)")
	fl.StringVar(&mapping, "map", "", `column mapping, e.g. "numbers=phone1:mobile,phone2:home;name=full_name;priority=prio;timezone=tz;expiry=expires;key=crm_id;not_before=from" (not_after= is another name for expiry=)`)
	fl.StringVar(&region, "region", "", "region for national numbers (default: the campaign's default_region)")
	fl.BoolVar(&skipBad, "skip-bad", false, "import the good rows and write bad ones to --rejects")
	fl.StringVar(&rejects, "rejects", "", "file for rejected rows with their reasons (CSV)")
	fl.BoolVar(&noProgress, "no-progress", false, "no progress bar even on a terminal")
	fl.StringVar(&delimiter, "delimiter", ",", `CSV field delimiter: one character, or "tab"`)
	fl.StringVar(&encoding, "encoding", "utf-8", "the file's text encoding: utf-8, latin1 (iso-8859-1), windows-1252 or utf-16 (with a byte order mark)")
	fl.BoolVar(&dryRun, "dry-run", false, "check the file and say what would be imported; write nothing")
	cmd.MarkFlagRequired("campaign")
	return cmd
}

func mappingFromCampaign(s dialer.ImportSpec) memberfile.Mapping {
	m := memberfile.Mapping{Name: s.Name, Priority: s.Priority, Timezone: s.Timezone, Expiry: s.Expiry, ExternalKey: s.ExternalKey,
		NotBefore: s.NotBefore}
	if s.NotAfter != "" {
		m.Expiry = s.NotAfter
	}
	for _, n := range s.Numbers {
		m.Numbers = append(m.Numbers, memberfile.NumberColumn{Column: n.Column, Type: n.Type})
	}
	return m
}

// rejectWriter writes rejected rows to a temporary file that becomes the
// rejects file only when the import commits, so a failed import leaves no
// half-written rejects behind.
type rejectWriter struct {
	f *atomicFile
	w *csv.Writer
}

func newRejectWriter(path string) (*rejectWriter, error) {
	f, err := createAtomic(path)
	if err != nil {
		return nil, fmt.Errorf("--rejects %s: %w", path, err)
	}
	w := csv.NewWriter(f)
	if err := w.Write([]string{"line", "field", "reason", "row"}); err != nil {
		f.abort()
		return nil, fmt.Errorf("--rejects %s: %w", path, err)
	}
	return &rejectWriter{f: f, w: w}, nil
}

func (r *rejectWriter) write(e memberfile.RowError) error {
	if err := r.w.Write([]string{strconv.Itoa(e.Line), e.Field, e.Reason, e.Raw}); err != nil {
		return fmt.Errorf("--rejects %s: %w", r.f.path, err)
	}
	return nil
}

func (r *rejectWriter) commit() error {
	r.w.Flush()
	err := r.w.Error()
	if err == nil {
		err = r.f.commit()
	}
	if err != nil {
		return fmt.Errorf("--rejects %s: %w", r.f.path, err)
	}
	return nil
}

func (r *rejectWriter) abort() {
	r.f.abort()
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

// newMemberBulkCmd builds reset, delete, hold and release: they select
// members by ids or filters, act on them, and say how many (summary gets
// how many changed and how many were in a call). A selection by filters
// (--all) is confirmed first, and so is any selection when askIDs is set;
// --yes skips the question.
func newMemberBulkCmd(a *app, use, short, long, example, verb string, askIDs bool,
	act func(db *store.DB, ctx context.Context, f store.MemberFilter, ids []int64) (int, int, error),
	summary func(n, inCall int) string) *cobra.Command {
	var sel memberSelection
	var yes bool
	cmd := &cobra.Command{
		Use: use, Short: short, Long: long, Example: example,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd.Context(), func(db *store.DB) error {
				f, ids, err := sel.resolve(cmd, db, args)
				if err != nil {
					return err
				}
				if len(ids) == 0 || askIDs {
					if err := sel.confirm(cmd, db, f, ids, verb, yes); err != nil {
						return err
					}
				}
				n, inCall, err := act(db, cmd.Context(), f, ids)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(cmd.OutOrStdout(), summary(n, inCall))
				return err
			})
		},
	}
	sel.flags(cmd)
	addYesFlag(cmd, &yes)
	return cmd
}

// leftAlone is the summary of a change that skips members in a call.
func leftAlone(done string) func(n, inCall int) string {
	return func(n, inCall int) string {
		return fmt.Sprintf("%s %d member(s); %d in a call left alone", done, n, inCall)
	}
}

// confirm asks before acting on the selected members, saying how many.
func (s *memberSelection) confirm(cmd *cobra.Command, db *store.DB, f store.MemberFilter, ids []int64, verb string, yes bool) error {
	n, err := db.CountMembers(cmd.Context(), f, ids)
	if err != nil || n == 0 {
		return err
	}
	what := plural(n, "member", "members")
	if len(ids) == 1 {
		what = fmt.Sprintf("member %d", ids[0])
	}
	if s.state != "" {
		what = strings.Replace(what, "member", s.state+" member", 1)
	}
	if s.campaign != "" {
		what += " of " + s.campaign
	}
	return confirm(cmd, yes, verb+" "+what)
}

func newMemberResetCmd(a *app) *cobra.Command {
	return newMemberBulkCmd(a, "reset [ID...]", "Make members due now with fresh attempt counters",
		`Reset members: state waiting, due now, attempt counters cleared, every
number active again. Members in a call are left alone.

A reset by filters (--all) asks first on a terminal, and is refused
without --yes when standard input is not a terminal.`,
		"  dialer member reset 42 43\n  dialer member reset --all --campaign survey-ivr --state failed --yes",
		"reset", false, (*store.DB).ResetMembers, leftAlone("reset"))
}

func newMemberDeleteCmd(a *app) *cobra.Command {
	return newMemberBulkCmd(a, "delete [ID...]", "Delete members with their numbers and attempts",
		`Delete members with their numbers and attempts. Members in a call are left alone.

A delete asks first on a terminal, and is refused without --yes when
standard input is not a terminal.`,
		"  dialer member delete 42 --yes\n  dialer member delete --all --campaign survey-ivr --state done --yes",
		"delete", true, (*store.DB).DeleteMembers, leftAlone("deleted"))
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
		if limit < 0 {
			return fmt.Errorf("--limit %d: must be 0 (all) or more", limit)
		}
		if after < 0 {
			return fmt.Errorf("--after %d: must be a member id (0 = from the start)", after)
		}
		db, err := a.openStoreRead(cmd.Context())
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
		if list == nil {
			list = []dialer.Member{}
		}
		if ok, err := writeStructured(cmd.OutOrStdout(), *out, list); ok {
			return err
		}
		w := table(cmd.OutOrStdout())
		fmt.Fprintln(w, "ID\tSTATE\tHOLD\tPRIO\tATTEMPTS\tDUE\tNAME\tNUMBERS\tEND")
		for _, m := range list {
			due := "now"
			if !m.DueAt.IsZero() {
				due = tableTime(m.DueAt)
			}
			var nums []string
			for _, c := range m.Communications {
				nums = append(nums, c.Number)
			}
			hold := ""
			if m.Held {
				hold = "held"
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\n", m.ID, m.State, hold, m.Priority, m.Attempts, due, m.Name,
				strings.Join(nums, ","), m.EndCause)
		}
		if err := w.Flush(); err != nil {
			return err
		}
		return moreMembers(cmd, db, f, list)
	}
	return cmd
}

// moreMembers ends a limited table with a line on stderr when the filter
// selects more members than it shows, saying how to see the rest.
func moreMembers(cmd *cobra.Command, db *store.DB, f store.MemberFilter, list []dialer.Member) error {
	if f.Limit == 0 || len(list) < f.Limit {
		return nil
	}
	total, err := db.CountMembers(cmd.Context(), f, nil)
	if err != nil {
		return err
	}
	if total > len(list) {
		fmt.Fprintf(cmd.ErrOrStderr(), "showing %d of %d; use --limit 0 for all or --after %d for the next page\n",
			len(list), total, list[len(list)-1].ID)
	}
	return nil
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
		db, err := a.openStoreRead(cmd.Context())
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
		if attempts == nil {
			attempts = []dialer.Attempt{}
		}
		_, err = writeStructured(cmd.OutOrStdout(), *out, struct {
			Member   *dialer.Member   `json:"member"`
			Attempts []dialer.Attempt `json:"attempts"`
		}{m, attempts})
		return err
	}
	return cmd
}

func newMemberExplainCmd(a *app) *cobra.Command {
	var at string
	var out *string
	cmd := &cobra.Command{
		Use:   "explain ID",
		Short: "Say whether a member is callable now, and if not why and when",
		Long: `Explain whether a member would be dialed now: campaign state, calendar
window in the zone its timezone policy gives, retry wait, daily cap,
expiry, blocklist, attribute filter, the callee's local calling hours
under a compliance profile (us-fcc, uk-ofcom), and when it could next be
called.`,
		Example: "  dialer member explain 42\n  dialer member explain 42 --at 2026-12-24T20:00:00Z\n  dialer member explain 42 -o json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(*out, "text", "json", "yaml"); err != nil {
				return err
			}
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
			db, err := a.openStoreRead(ctx)
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
			ev := explainView{MemberID: m.ID, Name: m.Name, Campaign: c.Name, At: now, State: m.State,
				Attempts: m.Attempts, Minus: m.Minus, LastCause: m.LastCause, Callable: v.Callable,
				Number: v.Number.Number, Zones: v.Zones, Reasons: v.Reasons, NextAt: v.NextAt,
				ZoneFallback: v.Fallback, PassedOver: v.Skipped}
			if ev.PassedOver == nil {
				ev.PassedOver = []string{}
			}
			if ev.Zones == nil {
				ev.Zones = []string{}
			}
			if ev.Reasons == nil {
				ev.Reasons = []string{}
			}
			ev.Held, ev.NotBefore, ev.NotAfter = m.Held, m.NotBefore, m.ExpiresAt
			if ev.LastResult, err = lastResult(ctx, db, m.ID); err != nil {
				return err
			}
			if live != nil {
				ev.LiveCall = &liveCallView{AttemptID: live.ID, Number: live.Number, UUID: live.UUID,
					CreatedAt: live.CreatedAt, AnsweredAt: live.AnsweredAt}
			}
			if ok, err := writeStructured(cmd.OutOrStdout(), *out, ev); ok {
				return err
			}
			printExplain(cmd.OutOrStdout(), ev)
			return nil
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "explain at this time instead of now (RFC 3339)")
	out = addOutputFlag(cmd, "text", "json", "yaml")
	return cmd
}

// explainView is what member explain says about a member.
type explainView struct {
	MemberID  int64              `json:"member_id"`
	Name      string             `json:"name"`
	Campaign  string             `json:"campaign"`
	At        time.Time          `json:"at"`
	State     dialer.MemberState `json:"state"`
	Attempts  int                `json:"attempts"`
	Minus     int                `json:"minus"`
	LastCause string             `json:"last_cause"`
	// LiveCall is the member's attempt that is not final, if any.
	LiveCall *liveCallView `json:"live_call"`
	Callable bool          `json:"callable"`
	// Number is the number the next attempt would use.
	Number string `json:"number"`
	// Zones are the zones whose calling windows apply.
	Zones []string `json:"zones"`
	// Reasons are the rules that stop the call now.
	Reasons []string `json:"reasons"`
	// NextAt is the earliest time the member could be called, when known.
	NextAt time.Time `json:"next_at"`
	// ZoneFallback says why Zones is the calendar's zone and not the
	// number's (timezone_fallback: calendar), or is "".
	ZoneFallback string `json:"zone_fallback"`
	// PassedOver are the member's numbers not called for want of a zone.
	PassedOver []string `json:"numbers_passed_over"`
	// Held, NotBefore and NotAfter are the member's hold and own call
	// window (NotAfter is its expiry).
	Held      bool      `json:"held"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// LastResult is the business result of the latest attempt and the
	// result_policies rule that applied to it; nil before any attempt.
	LastResult *lastResultView `json:"last_result"`
}

func (v explainView) MarshalJSON() ([]byte, error) { return jsontime.Struct(v) }

// liveCallView is a member's call in progress.
type liveCallView struct {
	AttemptID  int64     `json:"attempt_id"`
	Number     string    `json:"number"`
	UUID       string    `json:"uuid"`
	CreatedAt  time.Time `json:"created_at"`
	AnsweredAt time.Time `json:"answered_at"`
}

func (v liveCallView) MarshalJSON() ([]byte, error) { return jsontime.Struct(v) }

func printExplain(w io.Writer, v explainView) {
	fmt.Fprintf(w, "member %d (%s) of campaign %s at %s\n", v.MemberID, v.Name, v.Campaign, v.At.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "state %s, %d attempt(s) counted, %d minus", v.State, v.Attempts, v.Minus)
	if v.LastCause != "" {
		fmt.Fprintf(w, ", last cause %s", v.LastCause)
	}
	fmt.Fprintln(w)
	if l := v.LiveCall; l != nil {
		answered := "ringing"
		if !l.AnsweredAt.IsZero() {
			answered = "answered at " + l.AnsweredAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "live call: attempt %d to %s since %s, %s (call uuid %s)\n", l.AttemptID, l.Number,
			l.CreatedAt.UTC().Format(time.RFC3339), answered, l.UUID)
	}
	printHoldAndResult(w, v)
	for _, p := range v.PassedOver {
		fmt.Fprintf(w, "number passed over: %s\n", p)
	}
	if v.ZoneFallback != "" {
		fmt.Fprintf(w, "calling window read in the calendar's zone (timezone_fallback: calendar): %s\n", v.ZoneFallback)
	}
	if v.Callable {
		fmt.Fprintf(w, "callable now on %s (zones: %s)\n", v.Number, strings.Join(v.Zones, ", "))
		return
	}
	fmt.Fprintln(w, "not callable now:")
	for _, r := range v.Reasons {
		fmt.Fprintf(w, "  - %s\n", r)
	}
	if !v.NextAt.IsZero() {
		fmt.Fprintf(w, "next possible call: %s on %s\n", v.NextAt.UTC().Format(time.RFC3339), v.Number)
	}
}
