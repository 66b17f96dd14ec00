package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/mattn/go-runewidth"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
)

// populated is a database with every kind of row a command prints:
// calendars, every testdata campaign, agents (one with a pending request),
// members with attempts, callbacks and blocked numbers.
func populated(t *testing.T) *cli {
	c := ivrWithCallbacks(t)
	campaigns, _ := filepath.Glob("../../testdata/campaigns/*.yaml")
	for _, f := range campaigns {
		c.ok("campaign", "apply", "-f", f)
	}
	agents, _ := filepath.Glob("../../testdata/agents/*.yaml")
	for _, f := range agents {
		c.ok("agent", "apply", "-f", f)
	}
	c.ok("member", "import", "--campaign", "renewals-progressive", "../../testdata/members/members.jsonl")
	c.ok("blocklist", "add", "+14155550150", "--reason", "asked")
	c.ok("blocklist", "add", "+12125550101", "--campaign", "survey-ivr")
	c.seedSQL(`UPDATE agents SET state = 'talking', requested_state = 'break', requested_at = 1795446000000 WHERE name = 'alice'`)
	return c
}

// outputArgs are the arguments of the commands with -o that need some.
var outputArgs = map[string][]string{
	"dialer campaign show":     {"survey-ivr"},
	"dialer campaign schedule": {"survey-ivr"},
	"dialer calendar show":     {"office-hours"},
	"dialer calendar next":     {"office-hours", "-n", "3"},
	"dialer member show":       {"1"},
	"dialer member explain":    {"2", "--at", "2026-11-24T15:00:00Z"},
	"dialer agent show":        {"alice"},
	"dialer report":            {"survey-ivr"},
	"dialer export":            {"survey-ivr", "--attempts"},
	"dialer cause list":        {"--campaign", "survey-ivr"},
	"dialer blocklist list":    {"--all"},
}

// outputFormats reads the formats of a command's -o from its usage text.
func outputFormats(cmd *cobra.Command) []string {
	f := cmd.Flags().Lookup("output")
	if f == nil {
		return nil
	}
	usage := strings.TrimPrefix(f.Usage, "output format: ")
	return strings.FieldsFunc(strings.ReplaceAll(usage, " or ", ","), func(r rune) bool { return r == ',' || r == ' ' })
}

var (
	timeLike = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d`)
	// fraction is the fractional seconds of an RFC 3339 time, if any.
	fraction = regexp.MustCompile(`:\d\d\.(\d+)`)
)

// checkTree checks a decoded JSON or YAML document against the output
// rules and returns the dotted paths of its keys.
func checkTree(t *testing.T, where, path string, v any, keys map[string]bool) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		for k, sub := range x {
			p := path + "." + k
			if strings.HasSuffix(path, ".variables") || strings.HasSuffix(path, ".results") ||
				strings.HasSuffix(path, ".cause_counts") || strings.HasSuffix(path, ".filter") ||
				strings.HasSuffix(path, ".vars") || strings.HasSuffix(path, ".overrides") ||
				strings.HasSuffix(path, ".per_cause") {
				p = path + ".*" // keys that are data, not field names
			} else if strings.ToLower(k) != k {
				t.Errorf("%s: key %s has an uppercase letter", where, p)
			}
			keys[p] = true
			lk := strings.ToLower(k)
			if strings.Contains(lk, "timeout") || strings.Contains(lk, "interval") || strings.Contains(lk, "delay") {
				switch sub.(type) {
				case string, nil:
				default:
					t.Errorf("%s: %s = %v, want a duration string", where, p, sub)
				}
			}
			checkTree(t, where, p, sub, keys)
		}
	case []any:
		for _, sub := range x {
			checkTree(t, where, path+"[]", sub, keys)
		}
	case string:
		if strings.Contains(x, "0001-01-01") {
			t.Errorf("%s: %s = %q: an unset time must be null", where, path, x)
		}
		if timeLike.MatchString(x) {
			if _, err := time.Parse(time.RFC3339, x); err != nil {
				t.Errorf("%s: %s = %q is not RFC 3339", where, path, x)
			} else if m := fraction.FindStringSubmatch(x); m != nil && len(m[1]) > 3 {
				t.Errorf("%s: %s = %q has more than milliseconds", where, path, x)
			}
		}
	case time.Time:
		t.Errorf("%s: %s is a YAML timestamp %v, want an RFC 3339 string", where, path, x)
	}
}

// decodeYAML decodes a YAML document into the types JSON decodes to.
func decodeYAML(b []byte) (any, error) {
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	return out, json.Unmarshal(j, &out)
}

func decodeOutput(format string, b []byte) (any, error) {
	var v any
	switch format {
	case "json":
		return v, json.Unmarshal(b, &v)
	case "jsonl":
		var rows []any
		for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
			var r any
			if err := json.Unmarshal(l, &r); err != nil {
				return nil, err
			}
			rows = append(rows, r)
		}
		return rows, nil
	}
	return decodeYAML(b)
}

// TestOutput_EveryCommandJSONAndYAML runs every command that has -o with
// each of its structured formats against a populated database and checks
// one schema: snake_case keys, the same keys in JSON and YAML, unset times
// null, times RFC 3339 with at most milliseconds, durations as strings.
func TestOutput_EveryCommandJSONAndYAML(t *testing.T) {
	c := populated(t)
	var walk func(cmd *cobra.Command)
	var seen []string
	walk = func(cmd *cobra.Command) {
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
		formats := outputFormats(cmd)
		if formats == nil {
			return
		}
		path := cmd.CommandPath()
		seen = append(seen, path)
		args, ok := outputArgs[path]
		if !ok && cmd.Args != nil && cmd.Args(cmd, nil) != nil {
			t.Errorf("%s needs arguments: add them to outputArgs", path)
			return
		}
		if !contains1(formats, "json") {
			t.Errorf("%s: -o %v has no json", path, formats)
		}
		if !contains1(formats, "yaml") && contains1(yamlCommands, path) {
			t.Errorf("%s: -o %v has no yaml", path, formats)
		}
		keysOf := map[string]map[string]bool{}
		for _, f := range formats {
			if f != "json" && f != "yaml" && f != "jsonl" {
				continue
			}
			argv := append(append(strings.Fields(strings.TrimPrefix(path, "dialer ")), args...), "-o", f)
			out, err := c.run("", argv...)
			if err != nil {
				t.Errorf("dialer %s: %v\n%s", strings.Join(argv, " "), err, out)
				continue
			}
			if path == "dialer config show" && f == "yaml" {
				out = out[strings.Index(out, "\n")+1:]
			}
			v, err := decodeOutput(f, []byte(out))
			if err != nil {
				t.Errorf("dialer %s: not %s: %v\n%s", strings.Join(argv, " "), f, err, out)
				continue
			}
			if v == nil {
				t.Errorf("dialer %s printed null\n%s", strings.Join(argv, " "), out)
			}
			keys := map[string]bool{}
			checkTree(t, "dialer "+strings.Join(argv, " "), "", v, keys)
			keysOf[f] = keys
		}
		if j, y := keysOf["json"], keysOf["yaml"]; j != nil && y != nil && !sameKeys(j, y) {
			t.Errorf("%s: JSON keys %v\nYAML keys %v", path, sorted(j), sorted(y))
		}
	}
	walk(newRootCmd(nil))
	for _, want := range yamlCommands {
		if !contains1(seen, want) {
			t.Errorf("%s has no -o", want)
		}
	}
}

// yamlCommands are the commands that print something an operator or a
// script reads back: each has -o json and -o yaml.
var yamlCommands = []string{"dialer member explain", "dialer calendar next", "dialer version", "dialer status",
	"dialer webhook list", "dialer campaign schedule", "dialer cause list", "dialer report", "dialer agent show",
	"dialer agent list", "dialer member list", "dialer member show", "dialer blocklist list", "dialer config show",
	"dialer campaign list", "dialer campaign show", "dialer calendar list", "dialer calendar show"}

func contains1(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sameKeys(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func sorted(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestOutput_TimesAndDurations pins the encodings a script reads.
func TestOutput_TimesAndDurations(t *testing.T) {
	c := populated(t)
	var show struct {
		Member   map[string]any   `json:"member"`
		Attempts []map[string]any `json:"attempts"`
	}
	if err := json.Unmarshal([]byte(c.ok("member", "show", "1", "-o", "json")), &show); err != nil {
		t.Fatal(err)
	}
	if got := show.Member["expires_at"]; got != "2026-12-31T05:00:00.000Z" {
		t.Errorf("expires_at = %v", got)
	}
	if got := show.Member["due_at"]; got != nil {
		t.Errorf("unset due_at = %v, want null", got)
	}
	if a := show.Attempts[0]; a["created_at"] != "2026-11-23T15:01:00.000Z" || a["billsec"] != 12.345 {
		t.Errorf("attempt = %v, want created_at 2026-11-23T15:01:00.000Z and billsec 12.345", a)
	}
	out := c.ok("calendar", "show", "office-hours", "-o", "json")
	last := -1
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat"} {
		i := strings.Index(out, `"`+d+`"`)
		if i < last {
			t.Fatalf("weekly days out of week order:\n%s", out)
		}
		last = i
	}
	contains(t, c.ok("agent", "list", "-o", "yaml"), "requested_state: break", "reject_delay: 1m0s")
	contains(t, c.ok("version", "-o", "json"), `"version": "dev"`)
}

// TestShow_AppliesUnchanged: every testdata campaign, calendar and agent
// shown as YAML or JSON applies back unchanged.
func TestShow_AppliesUnchanged(t *testing.T) {
	c := populated(t)
	apply := func(kind, doc string) string {
		t.Helper()
		out, err := c.run(doc, kind, "apply", "-f", "-")
		if err != nil {
			t.Fatalf("%s apply of the shown document: %v\n%s", kind, err, doc)
		}
		return out
	}
	files, _ := filepath.Glob("../../testdata/campaigns/*.yaml")
	for _, f := range files {
		c2, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		camp, err := dialer.ReadCampaign(c2, f)
		c2.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, format := range []string{"yaml", "json"} {
			if out := apply("campaign", c.ok("campaign", "show", camp.Name, "-o", format)); !strings.Contains(out, "unchanged") {
				t.Errorf("campaign %s shown as %s applies as %q", camp.Name, format, out)
			}
		}
	}
	for _, format := range []string{"yaml", "json"} {
		if out := apply("calendar", c.ok("calendar", "show", "office-hours", "-o", format)); !strings.Contains(out, "unchanged") {
			t.Errorf("calendar office-hours shown as %s applies as %q", format, out)
		}
	}
	files, _ = filepath.Glob("../../testdata/agents/*.yaml")
	for _, f := range files {
		in, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		agents, err := dialer.ReadAgents(in, f)
		in.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, ag := range agents {
			for _, format := range []string{"yaml", "json"} {
				if out := apply("agent", c.ok("agent", "show", ag.Name, "-o", format)); out != "agent "+ag.Name+" unchanged\n" {
					t.Errorf("agent %s shown as %s applies as %q", ag.Name, format, out)
				}
			}
		}
	}
}

// columnStarts returns the display column at which each of a line's
// space-separated words starts.
func columnStarts(line string) map[int]string {
	starts := map[int]string{}
	col, prevSpace := 0, true
	g := []rune(line)
	for i := 0; i < len(g); i++ {
		r := g[i]
		if r != ' ' && prevSpace {
			starts[col] = string(g[i:])
		}
		prevSpace = r == ' '
		col += runewidth.RuneWidth(r)
	}
	return starts
}

func TestTable_AlignsWideAndCombiningNames(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
	csv := filepath.Join(t.TempDir(), "names.csv")
	names := []string{"张伟", "Zoe\u0308", "Ann"}
	rows := "name,phone\n"
	for i, n := range names {
		rows += fmt.Sprintf("%s,+1212555011%d\n", n, i)
	}
	if err := os.WriteFile(csv, []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	c.ok("member", "import", "--campaign", "survey-ivr", "--map", "numbers=phone:mobile;name=name", csv)
	lines := strings.Split(strings.TrimRight(c.ok("member", "list"), "\n"), "\n")
	header := columnStarts(lines[0])
	var nameCol, numbersCol = -1, -1
	for col, rest := range header {
		switch {
		case strings.HasPrefix(rest, "NAME"):
			nameCol = col
		case strings.HasPrefix(rest, "NUMBERS"):
			numbersCol = col
		}
	}
	if nameCol < 0 || numbersCol < 0 || len(lines) != 4 {
		t.Fatalf("no NAME and NUMBERS columns, or not 3 members:\n%s", strings.Join(lines, "\n"))
	}
	for i, l := range lines[1:] {
		starts := columnStarts(l)
		if !strings.HasPrefix(starts[nameCol], names[i]) {
			t.Errorf("row %d: %q not at NAME's column %d:\n%s", i+1, names[i], nameCol, strings.Join(lines, "\n"))
		}
		if !strings.HasPrefix(starts[numbersCol], "+1212555011") {
			t.Errorf("row %d: numbers not at NUMBERS' column %d:\n%s", i+1, numbersCol, strings.Join(lines, "\n"))
		}
	}
}

func TestTableDuration_RoundsToTheSecond(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{time.Hour + 36*time.Minute + 36*time.Second + 690814407, "1h36m37s"},
		{2 * time.Hour, "2h0m0s"},
		{690814407, "691ms"},
		{0, "0s"},
		{-1500 * time.Millisecond, "-2s"},
	} {
		if got := tableDuration(tt.d); got != tt.want {
			t.Errorf("tableDuration(%s) = %s, want %s", tt.d, got, tt.want)
		}
	}
}

// TestTable_TimesShowTheirZone: agent, webhook and blocklist tables show
// every time with its zone, in the one table format.
func TestTable_TimesShowTheirZone(t *testing.T) {
	c := populated(t)
	stamp := regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [A-Za-z0-9+\-]+`)
	for _, args := range [][]string{{"agent", "list"}, {"webhook", "list"}, {"blocklist", "list", "--all"}, {"agent", "show", "alice"}} {
		out := c.ok(args...)
		if !stamp.MatchString(out) {
			t.Errorf("dialer %s: no time with a zone:\n%s", strings.Join(args, " "), out)
		}
		if bare := regexp.MustCompile(`\d\d:\d\d`); bare.MatchString(stamp.ReplaceAllString(out, "")) {
			t.Errorf("dialer %s: a time without its zone:\n%s", strings.Join(args, " "), out)
		}
	}
	contains(t, c.ok("webhook", "list"), tableTime(time.Date(2026, 11, 23, 14, 57, 0, 0, time.UTC)))
}
