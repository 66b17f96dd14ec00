package main

import (
	"context"
	"regexp"
	"sort"
	"strings"

	"github.com/fsdialer/dialer/config"
	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
	"github.com/spf13/cobra"
)

// Shell completion of what the store holds: campaign, agent and calendar
// names as arguments and flag values, and the fixed values of -o and
// --state. installCompletions reads each command's Use line ("start NAME",
// "export CAMPAIGN ...", "login NAME...") to know what its arguments name,
// so a new command gets completion by naming its arguments that way.

// nameKinds maps a parent command to what its NAME arguments name.
var nameKinds = map[string]string{"campaign": "campaign", "agent": "agent", "calendar": "calendar"}

// stateValues are the --state values per command path.
var stateValues = map[string][]string{
	"dialer member list":  {string(dialer.MemberWaiting), string(dialer.MemberCalling), string(dialer.MemberDone), string(dialer.MemberFailed)},
	"dialer member reset": {string(dialer.MemberWaiting), string(dialer.MemberDone), string(dialer.MemberFailed)},
	"dialer webhook list": {string(dialer.CallbackPending), string(dialer.CallbackDelivered), string(dialer.CallbackDead)},
}

var useArg = regexp.MustCompile(`^\S+\s+(NAME|CAMPAIGN)(\.\.\.)?`)

func installCompletions(a *app, root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if m := useArg.FindStringSubmatch(c.Use); m != nil && c.ValidArgsFunction == nil {
			kind := "campaign"
			if m[1] == "NAME" && c.HasParent() {
				kind = nameKinds[c.Parent().Name()]
			}
			if kind != "" {
				c.ValidArgsFunction = a.completeNames(kind, m[2] != "")
			}
		}
		if f := c.Flags().Lookup("campaign"); f != nil {
			_ = c.RegisterFlagCompletionFunc("campaign", a.completeNames("campaign", true))
		}
		if f := c.Flags().Lookup("calendar"); f != nil {
			_ = c.RegisterFlagCompletionFunc("calendar", a.completeNames("calendar", true))
		}
		if f := c.Flags().Lookup("output"); f != nil {
			_ = c.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(outputValues(f.Usage), cobra.ShellCompDirectiveNoFileComp))
		}
		if vs, ok := stateValues[c.CommandPath()]; ok && c.Flags().Lookup("state") != nil {
			_ = c.RegisterFlagCompletionFunc("state", cobra.FixedCompletions(vs, cobra.ShellCompDirectiveNoFileComp))
		}
	}
	walk(root)
}

// outputValues reads the formats from addOutputFlag's usage line
// ("output format: table, json or yaml").
func outputValues(usage string) []string {
	_, list, ok := strings.Cut(usage, ":")
	if !ok {
		return nil
	}
	var out []string
	for _, f := range strings.FieldsFunc(strings.ReplaceAll(list, " or ", ","), func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, f)
	}
	return out
}

// completeNames lists the stored names of kind, leaving out those already
// on the line when the command takes several. A store that cannot be read
// completes nothing: completion must never fail loudly in a shell.
func (a *app) completeNames(kind string, many bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if !many && len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names, err := a.storedNames(cmd, kind)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
		}
		taken := map[string]bool{}
		for _, s := range args {
			taken[s] = true
		}
		var out []cobra.Completion
		for _, n := range names {
			if !taken[n] && strings.HasPrefix(n, toComplete) {
				out = append(out, n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

func (a *app) storedNames(cmd *cobra.Command, kind string) ([]string, error) {
	cfg, _, err := config.Load(a.cfgFile, cmd.Flags(), a.environ)
	if err != nil {
		return nil, err
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	db, err := store.OpenReadOnly(ctx, cfg.Database, store.WithClock(a.now))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var names []string
	switch kind {
	case "campaign":
		cs, err := db.Campaigns(ctx)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			names = append(names, c.Name)
		}
	case "agent":
		as, err := db.Agents(ctx)
		if err != nil {
			return nil, err
		}
		for _, ag := range as {
			names = append(names, ag.Name)
		}
	case "calendar":
		cs, err := db.Calendars(ctx)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			names = append(names, c.Name)
		}
	}
	sort.Strings(names)
	return names, nil
}
