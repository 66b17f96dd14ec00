package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/fsdialer/dialer/config"
	"github.com/fsdialer/dialer/store"
	"github.com/spf13/cobra"
)

// app is what every command shares: the loaded configuration and the clock.
type app struct {
	environ []string
	cfgFile string
	cfg     config.Config
	used    string
	now     func() time.Time
}

func newRootCmd(environ []string) *cobra.Command {
	a := &app{environ: environ, now: time.Now}
	root := &cobra.Command{
		Use:   "dialer",
		Short: "Outbound dialer for FreeSWITCH",
		Long: `dialer works outbound campaigns through FreeSWITCH's event socket.

Campaigns, calendars, members and the blocklist live in a SQLite file,
or in a PostgreSQL database named by a postgres:// URL (--db).
Load them with the commands below, then run the daemon beside FreeSWITCH.`,
		Example: `  dialer calendar apply -f testdata/calendars/office-hours.yaml
  dialer campaign apply -f testdata/campaigns/ivr.yaml
  dialer member import --campaign survey-ivr testdata/members/members.csv
  dialer member explain 1`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			cfg, used, err := config.Load(a.cfgFile, cmd.Flags(), a.environ)
			if err != nil {
				return err
			}
			a.cfg, a.used = cfg, used
			return nil
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.cfgFile, "config", "", "config file (default ./dialer.yaml, then /etc/dialer/dialer.yaml)")
	pf.String("db", "", "SQLite database file or postgres:// URL (config key database)")
	pf.String("log-level", "", "log level: debug, info, warn, error")
	pf.String("log-format", "", "log format: text or json")
	root.AddCommand(
		newCampaignCmd(a),
		newCalendarCmd(a),
		newMemberCmd(a),
		newBlocklistCmd(a),
		newAgentCmd(a),
		newCauseCmd(a),
		newConfigCmd(a),
		newServeCmd(a),
		newFSSimCmd(a),
		newStatusCmd(a),
		newReportCmd(a),
		newExportCmd(a),
		newWebhookCmd(a),
		newCallCmd(a),
		newDBCmd(a),
		newVersionCmd(),
	)
	refuseUnknownSubcommands(root)
	installCompletions(a, root)
	return root
}

// openStore opens the configured database for a command that writes:
// it is created and migrated if need be.
func (a *app) openStore(ctx context.Context) (*store.DB, error) {
	return store.Open(ctx, a.cfg.Database, store.WithClock(a.now))
}

// openStoreRead opens the configured database for a command that only
// reads: a missing file is an error, not a new empty database, and a file
// the user may not write can still be read.
func (a *app) openStoreRead(ctx context.Context) (*store.DB, error) {
	return store.OpenReadOnly(ctx, a.cfg.Database, store.WithClock(a.now))
}

// withStoreRead opens the configured database read-only for the length
// of fn.
func (a *app) withStoreRead(ctx context.Context, fn func(db *store.DB) error) error {
	db, err := a.openStoreRead(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}

// logger builds the configured slog logger writing to w.
func (a *app) logger(w io.Writer) *slog.Logger {
	var level slog.Level
	switch strings.ToLower(a.cfg.Log.Level) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	if a.cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openInput opens a file argument; "-" is the command's standard input.
func openInput(cmd *cobra.Command, path string) (io.ReadCloser, string, error) {
	if path == "-" {
		return io.NopCloser(cmd.InOrStdin()), "-", nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, path, err
	}
	return f, path, nil
}

func newVersionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print the version",
		Args:    cobra.NoArgs,
		Example: "  dialer version\n  dialer version -o json",
	}
	out := addOutputFlag(cmd, "text", "json", "yaml")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := checkFormat(*out, "text", "json", "yaml"); err != nil {
			return err
		}
		v := struct {
			Version string `json:"version"`
			Go      string `json:"go"`
		}{version, runtime.Version()}
		if ok, err := writeStructured(cmd.OutOrStdout(), *out, v); ok {
			return err
		}
		_, err := fmt.Fprintln(cmd.OutOrStdout(), "dialer", version)
		return err
	}
	return cmd
}
