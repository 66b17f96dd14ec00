package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
	"github.com/spf13/cobra"
)

func newWebhookCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "webhook",
		Short: "Inspect campaigns' callback events and send dead ones again",
		Long: `A campaign with a callback_url gets an HTTP POST on connect (the customer
answered), on release (the attempt is final) and, once per member, on
member_failed (the member ended failed: its cause and numbers, for an SMS
gateway). Each event is recorded in the database with the change it
reports, and the running daemon delivers it, retrying with backoff until
the receiver answers 2xx. After webhooks.max_tries failed tries the event
is dead: it stays in the database until redriven. Receivers dedupe by the Idempotency-Key header: an event
can arrive more than once.`,
		Example: `  dialer webhook list --state dead
  dialer webhook redrive --all`,
	}
	cmd.AddCommand(newWebhookListCmd(a), newWebhookRedriveCmd(a))
	return cmd
}

func newWebhookListCmd(a *app) *cobra.Command {
	var state, campaign string
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List callback events, newest first",
		Long: `List callback events, newest first: the event, its campaign and attempt,
its state (pending, delivered or dead), the tries so far, when it is due
(pending) or was delivered (in the machine's zone), and the last try's HTTP
status or error. -o json and -o yaml add the URL, the idempotency key and
the payload.`,
		Example: `  dialer webhook list
  dialer webhook list --state dead --campaign survey-ivr
  dialer webhook list --state pending --limit 0 -o json`,
		Args: cobra.NoArgs,
	}
	out := addOutputFlag(cmd, viewFormats...)
	cmd.Flags().StringVar(&state, "state", "", "only events in this state: pending, delivered or dead")
	cmd.Flags().StringVar(&campaign, "campaign", "", "only this campaign's events")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many events (0 = all)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if state != "" && !validCallbackState(state) {
			return fmt.Errorf("--state %q: must be pending, delivered or dead", state)
		}
		if limit < 0 {
			return fmt.Errorf("--limit %d: must be 0 (all) or more", limit)
		}
		total := 0
		load := func(ctx context.Context, db *store.DB) ([]dialer.Callback, error) {
			f := store.CallbackFilter{State: dialer.CallbackState(state), Campaign: campaign, Limit: limit}
			cbs, err := db.Callbacks(ctx, f)
			if err == nil && limit > 0 && len(cbs) == limit {
				total, err = db.CountCallbacks(ctx, f)
			}
			if errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("--campaign: no campaign named %q", campaign)
			}
			if cbs == nil {
				cbs = []dialer.Callback{}
			}
			return cbs, err
		}
		if err := runView(a, cmd, *out, viewFormats, load, printCallbacks); err != nil {
			return err
		}
		if *out == "table" && total > limit {
			fmt.Fprintf(cmd.ErrOrStderr(), "showing %d of %d; use --limit 0 for all\n", limit, total)
		}
		return nil
	}
	return cmd
}

func validCallbackState(s string) bool {
	for _, st := range dialer.CallbackStates {
		if s == string(st) {
			return true
		}
	}
	return false
}

func printCallbacks(out io.Writer, cbs []dialer.Callback) error {
	if len(cbs) == 0 {
		_, err := fmt.Fprintln(out, "no callback events")
		return err
	}
	w := table(out)
	fmt.Fprintln(w, "ID\tEVENT\tCAMPAIGN\tATTEMPT\tSTATE\tTRIES\tDUE/DELIVERED\tLAST TRY")
	for _, c := range cbs {
		when := "-"
		switch c.State {
		case dialer.CallbackPending:
			when = tableTime(c.NextAt)
		case dialer.CallbackDelivered:
			when = tableTime(c.DeliveredAt)
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%s\t%d\t%s\t%s\n", c.ID, c.Event, c.Campaign, c.AttemptID, c.State, c.Tries,
			when, lastTry(c))
	}
	return w.Flush()
}

// lastTry says how a callback's last try went, shortened for a table.
func lastTry(c dialer.Callback) string {
	s := c.LastError
	if s == "" && c.LastStatus != 0 {
		s = "HTTP " + strconv.Itoa(c.LastStatus)
	}
	if s == "" {
		return "-"
	}
	if r := []rune(s); len(r) > 60 {
		s = string(r[:59]) + "…"
	}
	return s
}

func newWebhookRedriveCmd(a *app) *cobra.Command {
	var all bool
	var campaign string
	cmd := &cobra.Command{
		Use:   "redrive (ID... | --all)",
		Short: "Make dead callback events pending again",
		Long: `Make dead callback events pending again, due now with their tries reset:
the running daemon delivers them within a second (or when it next starts).
Name events by id (dialer webhook list --state dead), or give --all for
every dead event; --campaign keeps either to one campaign. Events that are
not dead are left as they are.`,
		Example: `  dialer webhook redrive 41 42
  dialer webhook redrive --all
  dialer webhook redrive --all --campaign survey-ivr`,
	}
	cmd.Flags().BoolVar(&all, "all", false, "every dead event")
	cmd.Flags().StringVar(&campaign, "campaign", "", "only this campaign's events")
	cmd.Args = func(_ *cobra.Command, args []string) error {
		switch {
		case all && len(args) > 0:
			return errors.New("give event ids or --all, not both")
		case !all && len(args) == 0:
			return errors.New("give the ids of dead events, or --all")
		}
		return nil
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ids := make([]int64, len(args))
		for i, s := range args {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || id < 1 {
				return fmt.Errorf("argument %d: %q is not an event id", i+1, s)
			}
			ids[i] = id
		}
		return a.withStore(cmd.Context(), func(db *store.DB) error {
			missing, err := db.MissingCallbacks(cmd.Context(), ids)
			if err != nil {
				return err
			}
			if err := missingEvents(missing); err != nil {
				return err
			}
			n, err := db.RedriveCallbacks(cmd.Context(), campaign, ids)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("--campaign: no campaign named %q", campaign)
			}
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%d dead callback event(s) pending again", n)
			if len(ids) > n {
				fmt.Fprintf(w, " (%d of the ids given were not dead ones%s)", len(ids)-n, inCampaign(campaign))
			}
			fmt.Fprintln(w)
			return nil
		})
	}
	return cmd
}

// missingEvents refuses a redrive that names events that do not exist:
// a mistyped id must not pass for done.
func missingEvents(ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if len(ids) == 1 {
		return fmt.Errorf("webhook event %d does not exist (dialer webhook list shows the events); nothing was redriven", ids[0])
	}
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = strconv.FormatInt(id, 10)
	}
	return fmt.Errorf("webhook events %s do not exist (dialer webhook list shows the events); nothing was redriven",
		strings.Join(names, ", "))
}

func inCampaign(campaign string) string {
	if campaign == "" {
		return ""
	}
	return " of campaign " + campaign
}

// webhookStatus is the outbox line of `dialer status`.
func webhookStatus(c dialer.CallbackCounts, now time.Time) string {
	var parts []string
	if c.Pending == 0 {
		parts = append(parts, "none pending")
	} else {
		parts = append(parts, fmt.Sprintf("%d pending (oldest %s ago)", c.Pending, tableDuration(now.Sub(c.OldestPending))))
	}
	if c.Dead == 0 {
		parts = append(parts, "none dead")
	} else {
		parts = append(parts, fmt.Sprintf("%d dead: send them again with dialer webhook redrive --all", c.Dead))
	}
	return strings.Join(parts, ", ")
}
