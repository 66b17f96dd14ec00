package main

import (
	"errors"
	"fmt"
	"io"
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
}

// daemonView is the daemon's own figures; only Running, LastSeen and
// ESLState are filled when the daemon is not running.
type daemonView struct {
	Running          bool       `json:"running"`
	LastSeen         *time.Time `json:"last_seen"`
	PID              int        `json:"pid,omitempty"`
	Host             string     `json:"host,omitempty"`
	Version          string     `json:"version,omitempty"`
	StartedAt        *time.Time `json:"started_at,omitempty"`
	ESLState         string     `json:"esl_state"`
	ESLReconnects    int        `json:"esl_reconnects"`
	CallsInProgress  int        `json:"calls_in_progress"`
	OriginatesPerSec float64    `json:"originates_per_sec"`
}

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
callback events still to deliver and dead ones (dialer webhook).`,
		Example: "  dialer status\n  dialer status -o json",
		Args:    cobra.NoArgs,
	}
	out := addOutputFlag(cmd, viewFormats...)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := checkFormat(*out, viewFormats...); err != nil {
			return err
		}
		ctx := cmd.Context()
		db, err := a.openStoreRead(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		ds, err := db.DaemonStatus(ctx)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		active, err := db.ActiveCampaigns(ctx)
		if err != nil {
			return err
		}
		hooks, err := db.CallbackCounts(ctx)
		if err != nil {
			return err
		}
		v := buildStatus(a.now(), ds, active)
		v.Webhooks = hooks
		if ok, err := writeStructured(cmd.OutOrStdout(), *out, v); ok {
			return err
		}
		return writeStatusTable(cmd.OutOrStdout(), v)
	}
	return cmd
}

// buildStatus joins the daemon's status (nil when none is stored) with the
// active campaigns; a status statusFresh old or older at now is not live.
func buildStatus(now time.Time, ds *store.DaemonStatus, active []store.CampaignActivity) statusView {
	v := statusView{At: now.UTC(), Daemon: daemonView{ESLState: "unknown"}, Campaigns: []campaignStatusView{}}
	live := map[string]store.CampaignLive{}
	if ds != nil {
		seen := ds.UpdatedAt
		v.Daemon.LastSeen = &seen
		if now.Sub(ds.UpdatedAt) < statusFresh {
			started := ds.StartedAt
			v.Daemon = daemonView{
				Running: true, LastSeen: &seen, PID: ds.PID, Host: ds.Host, Version: ds.Version, StartedAt: &started,
				ESLState: ds.ESLState, ESLReconnects: ds.ESLReconnects, CallsInProgress: ds.CallsInProgress,
				OriginatesPerSec: ds.OriginatesPerSec,
			}
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

func writeStatusTable(out io.Writer, v statusView) error {
	w := table(out)
	d := v.Daemon
	switch {
	case d.Running:
		fmt.Fprintf(w, "daemon:\trunning, pid %d on %s, version %s, up %s (status %s old)\n", d.PID, d.Host, d.Version,
			tableDuration(v.At.Sub(*d.StartedAt)), tableDuration(v.At.Sub(*d.LastSeen)))
		fmt.Fprintf(w, "ESL:\t%s (%d reconnects)\n", d.ESLState, d.ESLReconnects)
		fmt.Fprintf(w, "calls:\t%d in progress, %.1f originates/s\n", d.CallsInProgress, d.OriginatesPerSec)
	case d.LastSeen != nil:
		fmt.Fprintf(w, "daemon:\tnot running (last seen %s)\n", tableTime(*d.LastSeen))
		fmt.Fprintf(w, "ESL:\t%s\n", d.ESLState)
	default:
		fmt.Fprintln(w, "daemon:\tnot running (never seen)")
		fmt.Fprintf(w, "ESL:\t%s\n", d.ESLState)
	}
	fmt.Fprintf(w, "webhooks:\t%s\n", webhookStatus(v.Webhooks, v.At))
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
