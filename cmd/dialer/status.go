package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
	"github.com/spf13/cobra"
)

// statusFresh is the age at which the daemon's status row is no longer read
// as live: the daemon rewrites it about once a second.
const statusFresh = 5 * time.Second

// statusView is what `dialer status` shows.
type statusView struct {
	At        time.Time            `json:"at"`
	Daemon    daemonView           `json:"daemon"`
	Campaigns []campaignStatusView `json:"campaigns"`
	// Webhooks is the callback outbox: events still owed and dead ones.
	Webhooks dialer.CallbackCounts `json:"webhooks"`
	// Daemons are the daemons holding a lease on a PostgreSQL database
	// several share (daemon is then the last of them to write its status).
	Daemons []store.Daemon `json:"daemons,omitempty"`
}

// daemonView is the daemon's own figures. When it is not running they
// are those of its last status (none when it never ran): live figures
// (calls, rates, ESL) are then left out.
type daemonView struct {
	Running bool `json:"running"`
	// State is running, stopped (it shut down and said so, cleanly or on
	// an error), not_responding (its status stopped coming without a
	// shutdown: it was killed, crashed or hangs) or never_started.
	State            string          `json:"state"`
	LastSeen         *time.Time      `json:"last_seen"`
	StoppedAt        *time.Time      `json:"stopped_at"`
	StopError        string          `json:"stop_error,omitempty"`
	PID              int             `json:"pid,omitempty"`
	Host             string          `json:"host,omitempty"`
	Version          string          `json:"version,omitempty"`
	StartedAt        *time.Time      `json:"started_at,omitempty"`
	ESLState         string          `json:"esl_state"`
	ESLSince         *time.Time      `json:"esl_since,omitempty"`
	ESLError         string          `json:"esl_error,omitempty"`
	ESLRetry         dialer.Duration `json:"esl_retry,omitempty"`
	ESLReconnects    int             `json:"esl_reconnects"`
	CallsInProgress  int             `json:"calls_in_progress"`
	OriginatesPerSec float64         `json:"originates_per_sec"`
	// Nodes are the switch nodes of a running daemon working several
	// (esl.nodes).
	Nodes []store.NodeLive `json:"nodes,omitempty"`
}

// Daemon states of daemonView.State.
const (
	daemonRunning       = "running"
	daemonStopped       = "stopped"
	daemonNotResponding = "not_responding"
	daemonNeverStarted  = "never_started"
)

// campaignStatusView is a running or paused campaign; the live figures
// are null when the daemon is not running or does not report the campaign.
type campaignStatusView struct {
	store.CampaignActivity
	LinesInUse  *int     `json:"lines_in_use"`
	CallsPerSec *float64 `json:"calls_per_sec"`
}

func newStatusCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the daemon, the ESL connection and the running campaigns",
		Long: `Show whether the daemon is running (it writes its status to the database
about once a second; a status older than 5s means it is not running), its
event socket state, and each running or paused campaign with its lines in
use, calls per second and attempts so far (over the campaign's life) by
class; IN PROGRESS counts attempts not final yet. The webhooks line counts
callback events still to deliver and dead ones (dialer webhook).

A daemon that is not running shows when it stopped and whether it shut
down cleanly, or when it was last seen if it did not say goodbye (killed,
crashed, or hung). While the event socket is down the ESL line says since
when and why (a refused password, a refused connection) and how often the
daemon retries.

With --watch the status is shown again every --interval until Ctrl-C: on
a terminal the screen is redrawn, otherwise one block is printed per
interval, blocks separated by a blank line.`,
		Example: "  dialer status\n  dialer status -o json\n  dialer status --watch --interval 2s",
		Args:    cobra.NoArgs,
	}
	out := addOutputFlag(cmd, viewFormats...)
	watch := cmd.Flags().Bool("watch", false, "show the status again every --interval until interrupted")
	interval := cmd.Flags().Duration("interval", time.Second, "with --watch: how often the status is shown")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := checkFormat(*out, viewFormats...); err != nil {
			return err
		}
		if *watch && *interval <= 0 {
			return fmt.Errorf("--interval %s: must be positive", *interval)
		}
		ctx := cmd.Context()
		db, err := a.openStoreRead(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		show := func(w io.Writer) error {
			v, err := loadStatus(ctx, db, a.now())
			if err != nil {
				return err
			}
			if ok, err := writeStructured(w, *out, v); ok {
				return err
			}
			if *watch {
				fmt.Fprintf(w, "status at %s (every %s; Ctrl-C to stop)\n\n", statusTime(v.At), *interval)
			}
			return writeStatusTable(w, v)
		}
		if !*watch {
			return show(cmd.OutOrStdout())
		}
		return watchStatus(ctx, cmd.OutOrStdout(), *interval, show)
	}
	return cmd
}

// loadStatus reads what `dialer status` shows at now.
func loadStatus(ctx context.Context, db *store.DB, now time.Time) (statusView, error) {
	ds, err := db.DaemonStatus(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return statusView{}, err
	}
	active, err := db.ActiveCampaigns(ctx)
	if err != nil {
		return statusView{}, err
	}
	hooks, err := db.CallbackCounts(ctx)
	if err != nil {
		return statusView{}, err
	}
	v := buildStatus(now, ds, active)
	v.Webhooks = hooks
	if db.Shared() {
		ds, err := db.Daemons(ctx, 50)
		if err != nil {
			return statusView{}, err
		}
		for _, d := range ds {
			if d.StoppedAt.IsZero() && !d.LeaseUntil.Before(now) {
				v.Daemons = append(v.Daemons, d)
			}
		}
	}
	return v, nil
}

// watchStatus shows the status every interval until ctx ends. A terminal
// is redrawn in place; anything else gets one block per interval,
// separated by a blank line, so that a log of it reads back.
func watchStatus(ctx context.Context, out io.Writer, every time.Duration, show func(io.Writer) error) error {
	redraw := isTerminal(out)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for n := 0; ; n++ {
		var b bytes.Buffer
		if err := show(&b); err != nil {
			return err
		}
		switch {
		case redraw:
			io.WriteString(out, "\x1b[H\x1b[2J")
		case n > 0:
			fmt.Fprintln(out)
		}
		if _, err := out.Write(b.Bytes()); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// statusTime is how status shows a time: the one table format, with the
// zone named (the daemon may run on another machine than the one asking).
func statusTime(t time.Time) string { return tableTime(t) }

// buildStatus joins the daemon's status (nil when none is stored) with the
// active campaigns; a status statusFresh old or older at now, or one
// marked stopped, is not live.
func buildStatus(now time.Time, ds *store.DaemonStatus, active []store.CampaignActivity) statusView {
	v := statusView{At: now.UTC(), Daemon: daemonView{State: daemonNeverStarted, ESLState: "unknown"},
		Campaigns: []campaignStatusView{}}
	live := map[string]store.CampaignLive{}
	if ds != nil {
		seen, started := ds.UpdatedAt, ds.StartedAt
		v.Daemon = daemonView{State: daemonNotResponding, LastSeen: &seen, PID: ds.PID, Host: ds.Host,
			Version: ds.Version, StartedAt: &started, ESLState: "unknown"}
		switch {
		case !ds.StoppedAt.IsZero():
			stopped := ds.StoppedAt
			v.Daemon.State, v.Daemon.StoppedAt, v.Daemon.StopError = daemonStopped, &stopped, ds.StopError
		case now.Sub(ds.UpdatedAt) < statusFresh:
			v.Daemon.Running, v.Daemon.State = true, daemonRunning
			v.Daemon.ESLState, v.Daemon.ESLError, v.Daemon.ESLRetry = ds.ESLState, ds.ESLError, ds.ESLRetry
			if !ds.ESLSince.IsZero() {
				since := ds.ESLSince
				v.Daemon.ESLSince = &since
			}
			v.Daemon.ESLReconnects, v.Daemon.CallsInProgress = ds.ESLReconnects, ds.CallsInProgress
			v.Daemon.OriginatesPerSec = ds.OriginatesPerSec
			v.Daemon.Nodes = ds.Nodes
			for _, l := range ds.Campaigns {
				live[l.Name] = l
			}
		}
	}
	for _, c := range active {
		cv := campaignStatusView{CampaignActivity: c}
		if l, ok := live[c.Name]; ok {
			cv.LinesInUse, cv.CallsPerSec = &l.LinesInUse, &l.CallsPerSec
			if l.MaxLines > 0 {
				cv.MaxLines = l.MaxLines
			}
		}
		v.Campaigns = append(v.Campaigns, cv)
	}
	return v
}

// eslLine is the ESL state of a running daemon: since when and why it is
// down, or how often it reconnected.
func eslLine(d daemonView) string {
	if d.ESLState == "connected" || d.ESLSince == nil {
		return fmt.Sprintf("%s (%d reconnects)", d.ESLState, d.ESLReconnects)
	}
	line := fmt.Sprintf("%s since %s", d.ESLState, statusTime(*d.ESLSince))
	if d.ESLError != "" {
		line += ": " + d.ESLError
	}
	if d.ESLRetry > 0 {
		line += fmt.Sprintf(" (retrying every %s; %d reconnects)", roundRetry(d.ESLRetry.D()), d.ESLReconnects)
	}
	return line
}

// roundRetry rounds a reconnect delay as people read it.
func roundRetry(d time.Duration) time.Duration {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}

func writeStatusTable(out io.Writer, v statusView) error {
	w := table(out)
	d := v.Daemon
	switch d.State {
	case daemonRunning:
		fmt.Fprintf(w, "daemon:\trunning, pid %d on %s, version %s, up %s (status %s old)\n", d.PID, d.Host, d.Version,
			tableDuration(v.At.Sub(*d.StartedAt)), tableDuration(v.At.Sub(*d.LastSeen)))
		fmt.Fprintf(w, "ESL:\t%s\n", eslLine(d))
		for _, n := range d.Nodes {
			fmt.Fprintf(w, "node %s:\t%s since %s, %s, %d/%d calls\n", n.Name, n.State, statusTime(n.Since), n.Address,
				n.Calls, n.MaxCalls)
		}
		fmt.Fprintf(w, "calls:\t%d in progress, %.1f originates/s\n", d.CallsInProgress, d.OriginatesPerSec)
	case daemonStopped:
		how := "clean shutdown"
		if d.StopError != "" {
			how = "exited on an error: " + d.StopError
		}
		fmt.Fprintf(w, "daemon:\tstopped at %s (pid %d on %s, %s)\n", statusTime(*d.StoppedAt), d.PID, d.Host, how)
		fmt.Fprintf(w, "ESL:\t%s (the daemon is not running)\n", d.ESLState)
	case daemonNotResponding:
		fmt.Fprintf(w, "daemon:\tnot running (last seen %s, pid %d on %s, did not shut down cleanly: killed, crashed or hung)\n",
			statusTime(*d.LastSeen), d.PID, d.Host)
		fmt.Fprintf(w, "ESL:\t%s (the daemon is not running)\n", d.ESLState)
	default:
		fmt.Fprintln(w, "daemon:\tnot running (no daemon has run on this database; start one with dialer serve)")
		fmt.Fprintf(w, "ESL:\t%s (the daemon is not running)\n", d.ESLState)
	}
	fmt.Fprintf(w, "webhooks:\t%s\n", webhookStatus(v.Webhooks, v.At))
	for _, d := range v.Daemons {
		fmt.Fprintf(w, "daemon %d:\tpid %d on %s, up since %s, lease until %s\n", d.ID, d.PID, d.Host,
			statusTime(d.StartedAt), statusTime(d.LeaseUntil))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out)
	if len(v.Campaigns) == 0 {
		_, err := fmt.Fprintln(out, "no running or paused campaigns")
		return err
	}
	w = table(out)
	fmt.Fprintln(w, "CAMPAIGN\tSTATE\tLINES\tCALLS/S\tATTEMPTS\tIN PROGRESS\tOK\tRETRY\tERROR\tMINUS")
	for _, c := range v.Campaigns {
		lines, cps := "-", "-"
		if c.LinesInUse != nil {
			lines = strconv.Itoa(*c.LinesInUse)
		}
		if c.CallsPerSec != nil {
			cps = strconv.FormatFloat(*c.CallsPerSec, 'f', 2, 64)
		}
		fmt.Fprintf(w, "%s\t%s\t%s/%d\t%s\t%d\t%d\t%d\t%d\t%d\t%d\n", c.Name, c.State, lines, c.MaxLines, cps,
			c.Attempts, c.InProgress, c.OK, c.Retry, c.Error, c.Minus)
	}
	return w.Flush()
}
