package main

import (
	"fmt"

	"github.com/fsdialer/dialer/config"
	"github.com/spf13/cobra"
)

func newConfigCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "config",
		Short:   "Inspect the configuration",
		Example: "  dialer config show\n  DIALER_LOG_LEVEL=debug dialer config show -o json",
	}
	show := &cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration (secrets masked)",
		Long: `Print the configuration in effect after defaults, the config file,
DIALER_* environment variables and flags, with passwords and tokens masked.`,
		Example: "  dialer config show\n  dialer --config /etc/dialer/dialer.yaml config show",
		Args:    cobra.NoArgs,
	}
	out := addOutputFlag(show, "yaml", "json", "keys")
	show.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := checkFormat(*out, "yaml", "json", "keys"); err != nil {
			return err
		}
		w := cmd.OutOrStdout()
		if *out == "keys" {
			tw := table(w)
			fmt.Fprintln(tw, "KEY\tENV\tFLAG\tDEFAULT\tMEANING")
			for _, k := range config.Keys {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.Key, k.Env, k.Flag, k.Default, k.Help)
			}
			return tw.Flush()
		}
		if *out == "yaml" {
			if a.used != "" {
				fmt.Fprintf(w, "# from %s, environment and flags\n", a.used)
			} else {
				fmt.Fprintln(w, "# no config file: defaults, environment and flags")
			}
		}
		_, err := writeStructured(w, *out, a.cfg.Masked())
		return err
	}
	cmd.AddCommand(show)
	return cmd
}
