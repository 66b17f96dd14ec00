package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/fsdialer/dialer/dialer/export"
	"github.com/spf13/cobra"
)

func newExportCmd(a *app) *cobra.Command {
	var members, attempts, ledger bool
	var file string
	cmd := &cobra.Command{
		Use:   "export CAMPAIGN (--members | --attempts | --ledger)",
		Short: "Export a campaign's members, attempts or abandon ledger as CSV, JSON or JSON lines",
		Long: `Export a campaign's members (one row each, with their numbers and
variables) or attempts (one row per call, with cause, Q.850 code, billed
seconds, class and agent) as CSV with a header row, a JSON array, or JSON
lines. Rows are streamed from the database, so memory stays flat however
large the campaign. The HTTP API's GET /v1/campaigns/{name}/export gives
the same bytes.

Times are RFC 3339 in UTC, empty (CSV) or null (JSON) when unset. In CSV a
member's numbers are joined with ";" and its variables are a JSON object;
in JSON they are an array and an object.

An attempt carries its recording_path (the call's recording file when the
campaign has record:, empty or null otherwise) and the variables its IVR
set that the campaign lists in ivr.capture: in CSV one capture_<name>
column per listed variable, in JSON an object "captured".

--ledger exports the abandon ledger of an agent-mode campaign: one row
per minute (by the customers' answer) that counted a live answered call,
with its live answered calls and the abandoned ones among them (see
dialer report). The ledger is kept when members and attempts are deleted
or reset; it goes only with the campaign.

With --file the export is written to a temporary file next to FILE and
renamed to FILE only when complete: an interrupted or failed export leaves
no partial file behind.`,
		Example: `  dialer export survey-ivr --attempts > attempts.csv
  dialer export survey-ivr --members -o json --file members.json
  dialer export survey-ivr --attempts -o jsonl | jq -c 'select(.class == "ok")'
  dialer export survey-recorded --attempts -o json
  dialer export renewals-progressive --ledger -o json`,
		Args: cobra.ExactArgs(1),
	}
	out := addOutputFlag(cmd, "csv", "json", "jsonl")
	cmd.Flags().BoolVar(&members, "members", false, "export members")
	cmd.Flags().BoolVar(&attempts, "attempts", false, "export attempts")
	cmd.Flags().BoolVar(&ledger, "ledger", false, "export the abandon ledger, a row per minute")
	cmd.Flags().StringVar(&file, "file", "", "write to this file instead of standard output")
	cmd.MarkFlagsMutuallyExclusive("members", "attempts", "ledger")
	cmd.MarkFlagsOneRequired("members", "attempts", "ledger")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkFormat(*out, export.Formats...); err != nil {
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
		var dest io.Writer = cmd.OutOrStdout()
		var af *atomicFile
		if file != "" && file != "-" {
			if af, err = createAtomic(file); err != nil {
				return fmt.Errorf("--file %s: %w", file, err)
			}
			defer af.abort()
			dest = af
		}
		what, rowName := "members", "members"
		if attempts {
			what, rowName = "attempts", "attempts"
		}
		if ledger {
			what, rowName = "ledger", "ledger minutes"
		}
		started := time.Now()
		rows, err := export.Write(ctx, dest, db, c.ID, what, *out)
		if err != nil {
			var we *export.WriteError
			if af != nil && errors.As(err, &we) {
				return fmt.Errorf("--file %s: %w", file, err)
			}
			return err
		}
		if af == nil {
			return nil
		}
		if err := af.commit(); err != nil {
			return fmt.Errorf("--file %s: %w", file, err)
		}
		elapsed := time.Since(started)
		fmt.Fprintf(cmd.OutOrStdout(), "exported %d %s of %s to %s in %s (%.0f rows/s)\n", rows, rowName, c.Name, file,
			elapsed.Round(time.Millisecond), float64(rows)/max(elapsed.Seconds(), 1e-9))
		return nil
	}
	return cmd
}
