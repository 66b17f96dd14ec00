package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/fsdialer/dialer/config"
	"github.com/spf13/cobra"
)

func newConfigCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "config",
		Short:   "Write a starting config file, or inspect the configuration",
		Example: "  dialer config init\n  dialer config show\n  DIALER_LOG_LEVEL=debug dialer config show -o json",
	}
	show := &cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration (secrets masked)",
		Long: `Print the configuration in effect after defaults, the config file,
DIALER_* environment variables and flags, with passwords and tokens masked.`,
		Example: "  dialer config show\n  dialer --config freeswitch-conf/dialer.yaml config show",
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
	cmd.AddCommand(show, newConfigInitCmd())
	return cmd
}

func newConfigInitCmd() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "init [FILE]",
		Short: "Write a commented starting config file with every key's default",
		Long: `Write a starting config file: every key with its default value and a
line on what it means, to edit from there. FILE is ./dialer.yaml unless
named ("-" writes to standard output). An existing file is left alone
unless --force is given. freeswitch-conf/dialer.yaml holds the same.`,
		Example: `  dialer config init
  dialer config init -
  dialer config init --force dialer.yaml`,
		Args: cobra.MaximumNArgs(1),
		// The file to be written may be the one that would be loaded.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite FILE if it exists")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		path := config.DefaultPaths[0]
		if len(args) == 1 {
			path = args[0]
		}
		if path == "-" {
			_, err := cmd.OutOrStdout().Write(config.Template())
			return err
		}
		flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
		if force {
			flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		}
		f, err := os.OpenFile(path, flags, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("config init: %s already exists: give --force to overwrite it, or name another file", path)
		}
		if err != nil {
			return fmt.Errorf("config init: %w", err)
		}
		if _, err := f.Write(config.Template()); err != nil {
			f.Close()
			return fmt.Errorf("config init: write %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("config init: write %s: %w", path, err)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: edit it, then check it with dialer --config %s config show\n", path, path)
		return nil
	}
	return cmd
}
