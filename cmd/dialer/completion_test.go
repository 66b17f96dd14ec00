package main

import (
	"os"
	"strings"
	"testing"
)

// completions runs the shell's completion request and returns the
// candidates (cobra prints one per line, then ":directive").
func (c *cli) completions(args ...string) []string {
	c.t.Helper()
	out := c.ok(append([]string{"__complete"}, args...)...)
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" || strings.HasPrefix(l, ":") || strings.HasPrefix(l, "Completion ended") || strings.HasPrefix(l, "-") {
			continue
		}
		name, _, _ := strings.Cut(l, "\t")
		got = append(got, name)
	}
	return got
}

func TestCompletion_NamesFromTheStore(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/progressive.yaml")
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/preemptive.yaml")
	c.ok("agent", "apply", "-f", "../../testdata/agents/agents.yaml")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"campaign", "start", ""}, "collections-preemptive renewals-progressive survey-ivr"},
		{[]string{"campaign", "start", "sur"}, "survey-ivr"},
		{[]string{"campaign", "start", "survey-ivr", ""}, ""},
		{[]string{"report", ""}, "collections-preemptive renewals-progressive survey-ivr"},
		{[]string{"export", ""}, "collections-preemptive renewals-progressive survey-ivr"},
		{[]string{"agent", "login", ""}, "alice bob carol"},
		{[]string{"agent", "login", "alice", ""}, "bob carol"},
		{[]string{"calendar", "next", ""}, "campaign:renewals-progressive office-hours"},
		{[]string{"member", "list", "--campaign", ""}, "collections-preemptive renewals-progressive survey-ivr"},
		{[]string{"member", "list", "--state", ""}, "waiting calling done failed"},
		{[]string{"webhook", "list", "--state", ""}, "pending delivered dead"},
		{[]string{"campaign", "list", "-o", ""}, "table json yaml"},
	}
	for _, tc := range cases {
		got := strings.Join(c.completions(tc.args...), " ")
		if got != tc.want {
			t.Errorf("dialer %s<TAB>: got %q, want %q", strings.Join(tc.args, " "), got, tc.want)
		}
	}
}

// TestCompletion_MissingDatabaseIsNotCreated: completing in a shell whose
// --db names no file completes nothing and creates nothing.
func TestCompletion_MissingDatabaseIsNotCreated(t *testing.T) {
	c := newCLI(t)
	if got := c.completions("campaign", "start", ""); len(got) != 0 {
		t.Errorf("completions without a database: %q", got)
	}
	if _, err := os.Stat(c.db); !os.IsNotExist(err) {
		t.Errorf("completion created %s (stat: %v)", c.db, err)
	}
}
