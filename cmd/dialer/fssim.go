package main

import (
	"fmt"

	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/spf13/cobra"
)

func newFSSimCmd(a *app) *cobra.Command {
	var listen, password, scenario string
	var speed float64
	var seed int64
	cmd := &cobra.Command{
		Use:   "fs-sim",
		Short: "Run the FreeSWITCH simulator (event socket wire protocol, test numbering plan)",
		Long: `Run a FreeSWITCH simulator that speaks mod_event_socket's wire protocol:
auth, api/bgapi with Job-UUID, events in plain or JSON, filters, originate,
uuid_bridge/transfer/kill/exists/setvar, show channels, hupall, status.
Calls follow the test numbering plan (last two digits of the number; 888
before them makes an answering machine that mod_avmd's avmd_start hears
beep) or a scenario file. Stop it with Ctrl-C.`,
		Example: `  dialer fs-sim --listen 127.0.0.1:8021 --password ClueCon
  dialer fs-sim --listen 127.0.0.1:8022 --scenario testdata/scenarios/campaign-mix.yaml --speed 10
  # then: nc 127.0.0.1 8021, type "auth ClueCon", a blank line,
  # "event plain ALL", a blank line, "bgapi originate loopback/1502/dialer_lab &park()"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if speed <= 0 {
				return fmt.Errorf("--speed %v: must be positive", speed)
			}
			opts := fssim.Options{Password: password, Speed: speed, Seed: seed, Logger: a.logger(cmd.ErrOrStderr())}
			if scenario != "" {
				sc, err := fssim.LoadScenario(scenario)
				if err != nil {
					return err
				}
				opts.Scenario = sc
			}
			sim := fssim.New(opts)
			if err := sim.Start(cmd.Context(), listen); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "fs-sim listening on %s (speed %v); Ctrl-C stops it\n", sim.Addr(), speed)
			<-cmd.Context().Done()
			return sim.Close()
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:8021", "address to listen on")
	f.StringVar(&password, "password", "ClueCon", "event socket password")
	f.StringVar(&scenario, "scenario", "", "scenario file (default: the test numbering plan)")
	f.Float64Var(&speed, "speed", 1, "simulated time runs this many times faster than wall time")
	f.Int64Var(&seed, "seed", 1, "seed of random outcome mixes")
	return cmd
}
