package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestFlags_UsageHasNoBackQuotes: pflag takes a back-quoted word of a usage
// string for the value's name, so "for `dialer status`" shows as
// "--status-interval dialer status" in --help.
func TestFlags_UsageHasNoBackQuotes(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		check := func(f *pflag.Flag) {
			if strings.Contains(f.Usage, "`") {
				t.Errorf("%s --%s: usage %q has a back quote", c.CommandPath(), f.Name, f.Usage)
			}
		}
		c.LocalFlags().VisitAll(check)
		c.PersistentFlags().VisitAll(check)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(nil))
}

func TestServeHelp_StatusInterval(t *testing.T) {
	c := newCLI(t)
	out := c.ok("serve", "--help")
	contains(t, out, "--status-interval duration")
}

// TestExamples_NameFilesThatExist: every testdata file an Example names is
// in the repository, and every fs-sim scenario it names loads.
func TestExamples_NameFilesThatExist(t *testing.T) {
	for _, e := range helpExamples() {
		for _, line := range e.lines {
			fields := strings.Fields(line)
			for i, f := range fields {
				f = strings.Trim(f, `"'`)
				if !strings.HasPrefix(f, "testdata/") {
					continue
				}
				if _, err := os.Stat(filepath.Join(repoRoot, f)); err != nil {
					t.Errorf("%s: %q names a missing file: %v", e.where, line, err)
					continue
				}
				if i > 0 && fields[i-1] == "--scenario" {
					if _, err := fssim.LoadScenario(filepath.Join(repoRoot, f)); err != nil {
						t.Errorf("%s: %q: %v", e.where, line, err)
					}
				}
			}
		}
	}
}
