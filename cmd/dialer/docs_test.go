package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// The docs tests run every example the operator is shown, as written: the
// Example of every command's --help and every sh block of README.md. Each
// runs under bash -e in a sandbox directory that holds the repository's
// testdata/ and freeswitch-conf/, with the built binary as bin/dialer and
// on PATH as dialer, against a copy of a database that holds every testdata
// fixture and a finished demo run (attempts, webhook events).
//
// A daemon that runs until it is stopped (serve without --until-done,
// fs-sim, status --watch) runs for a few seconds and must then still be
// running and stop cleanly on SIGTERM. The sandbox links every top-level
// entry of the repository, so make targets run as written (make demo,
// make build, make lint); not run are the test and benchmark commands
// (the suite itself; benchmarks take minutes) and the system installation
// lines, which need root.

var repoRoot = func() string {
	dir, err := filepath.Abs("../..")
	if err != nil {
		panic(err)
	}
	return dir
}()

// notRun says why a README line is not run by the docs test.
var notRun = []struct {
	re  *regexp.Regexp
	why string
}{
	{regexp.MustCompile(`^make test\b`), "the test suite itself"},
	{regexp.MustCompile(`^make lint\b`), "it checks the repository's own files (git ls-files); make test runs it first"},
	{regexp.MustCompile(`^make bench`), "benchmarks take minutes: BENCHMARKS.md"},
	{regexp.MustCompile(`^(\w+=\S+ )*go test\b`), "test commands: the test suite itself"},
	{regexp.MustCompile(`^(useradd|install|systemctl|journalctl)\b`), "system installation needs root"},
	{regexp.MustCompile(`^cp freeswitch-conf/dialer\.service /etc/`), "system installation needs root"},
}

// longRunning matches commands that run until they are stopped.
var longRunning = regexp.MustCompile(`^((bin/)?dialer\s+(serve|fs-sim)\b|(bin/)?dialer\s+status\s.*--watch)`)

// example is one runnable example: where it is shown and its shell lines.
type example struct {
	where string
	lines []string
}

// logicalLines joins backslash continuations and lines inside an open
// quote (a JSON body in '...'), and drops blank and comment lines.
func logicalLines(text string) []string {
	var out []string
	var cur strings.Builder
	var quote rune
	for _, l := range strings.Split(text, "\n") {
		t := strings.TrimSpace(l)
		if quote != 0 {
			t = l
		}
		if cur.Len() == 0 && (t == "" || strings.HasPrefix(t, "#")) {
			continue
		}
		for _, r := range t {
			switch {
			case quote == 0 && (r == '\'' || r == '"'):
				quote = r
			case r == quote:
				quote = 0
			}
		}
		switch {
		case quote != 0:
			cur.WriteString(t + "\n")
		case strings.HasSuffix(t, `\`):
			cur.WriteString(strings.TrimSuffix(t, `\`) + " ")
		default:
			cur.WriteString(t)
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// helpExamples returns the Example of every command in the tree.
func helpExamples() []example {
	var out []example
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Example != "" {
			out = append(out, example{where: c.CommandPath() + " --help", lines: logicalLines(c.Example)})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(nil))
	return out
}

// readmeExamples returns README.md's sh blocks.
func readmeExamples(t *testing.T) []example {
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []example
	var block []string
	in, start := false, 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		switch {
		case !in && strings.TrimSpace(l) == "```sh":
			in, start, block = true, n, nil
		case in && strings.TrimSpace(l) == "```":
			in = false
			out = append(out, example{where: fmt.Sprintf("README.md:%d", start), lines: logicalLines(strings.Join(block, "\n"))})
		case in:
			block = append(block, l)
		}
	}
	return out
}

// sandbox is a directory laid out like the repository's root for examples.
type sandbox struct {
	dir string
	env []string
}

func newSandbox(t *testing.T, bin, fixture string) *sandbox {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if n := e.Name(); n != "bin" && !strings.HasPrefix(n, ".") {
			if err := os.Symlink(filepath.Join(repoRoot, n), filepath.Join(dir, n)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.Symlink(filepath.Join(repoRoot, "..", "shared"), filepath.Join(filepath.Dir(dir), "shared")); err != nil && !os.IsExist(err) {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(bin, filepath.Join(dir, "bin", "dialer")); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "dialer.db")
	if fixture != "" {
		copyFile(t, fixture, db)
	}
	env := append(goEnv(t),
		"PATH="+filepath.Join(dir, "bin")+":"+os.Getenv("PATH"),
		"HOME="+dir,
		"DIALER_DATABASE="+db,
		"DIALER_HTTP_LISTEN=127.0.0.1:0",
	)
	return &sandbox{dir: dir, env: env}
}

// goEnv keeps Go's caches where they are although HOME moves into the
// sandbox: make build there must not download and compile everything again.
func goEnv(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOPATH", "GOCACHE", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	v := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(v) != 3 {
		t.Fatalf("go env: %q", out)
	}
	return []string{"GOPATH=" + v[0], "GOCACHE=" + v[1], "GOMODCACHE=" + v[2]}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// script turns an example's lines into a bash script: long-running
// commands get a few seconds and SIGTERM, lines for other tools are left
// out with the reason, every line is echoed before it runs.
func (e example) script() (string, []string) {
	var b strings.Builder
	var skipped []string
	b.WriteString("set -eo pipefail\n")
	for _, l := range e.lines {
		why := ""
		for _, n := range notRun {
			if n.re.MatchString(l) {
				why = n.why
			}
		}
		if why != "" {
			skipped = append(skipped, fmt.Sprintf("%s (%s)", l, why))
			continue
		}
		fmt.Fprintf(&b, "printf '%%s\\n' %s >&2\n", shellQuote("$ "+l))
		if longRunning.MatchString(l) && !strings.Contains(l, "--until-done") {
			fmt.Fprintf(&b, "stillRunning %s\n", shellQuote(l))
			continue
		}
		b.WriteString(l + "\n")
	}
	return b.String(), skipped
}

// stillRunning runs a command that serves until stopped: it must be
// running after 4 s and then exit 0 on SIGTERM.
const stillRunning = `stillRunning() {
  bash -c "$1" & pid=$!
  sleep 4
  if ! kill -0 $pid 2>/dev/null; then wait $pid; echo "exited early: $1" >&2; return 1; fi
  kill -TERM $pid; wait $pid
}
`

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (s *sandbox) run(t *testing.T, e example) {
	t.Helper()
	body, skipped := e.script()
	for _, l := range skipped {
		t.Logf("not run: %s", l)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", stillRunning+body)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), s.env...)
	// A daemon an example starts (fs-lab's FreeSWITCH) keeps the output
	// pipe open: the example is over when bash is.
	cmd.WaitDelay = 5 * time.Second
	began := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("%s: %s", e.where, time.Since(began).Round(time.Millisecond))
	if err != nil {
		t.Errorf("%s: %v\n%s", e.where, err, out)
		return
	}
	t.Logf("%s\n%s", e.where, out)
}

// buildFixture loads every testdata fixture into one database and runs the
// demo campaign to its end on the simulator, so the examples have members,
// attempts and webhook events to look at. Member ids 1-200 are demo-ivr's;
// survey-ivr is left empty for the examples that import into it.
func buildFixture(t *testing.T, bin string) string {
	t.Helper()
	s := newSandbox(t, bin, "")
	hook := filepath.Join(s.dir, "demo-ivr-hooks.yaml")
	demo, err := os.ReadFile(filepath.Join(repoRoot, "testdata/campaigns/demo-ivr.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hook, append(demo, "callback_url: http://127.0.0.1:9/dialer/events\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	steps := []string{
		"dialer calendar apply -f testdata/calendars/office-hours.yaml",
		"for f in testdata/campaigns/*.yaml; do dialer campaign apply -f $f; done",
		"dialer campaign apply -f demo-ivr-hooks.yaml",
		"for f in testdata/agents/*.yaml; do dialer agent apply -f $f; done",
		"dialer member import --campaign demo-ivr testdata/members/demo-200.csv",
		"dialer member import --campaign renewals-progressive testdata/members/renewals.csv",
		"dialer member import --campaign collections-preemptive testdata/members/demo-200.csv",
		"dialer member import --campaign demo-progressive testdata/members/demo-200.csv",
		"dialer member import --campaign lab-ivr testdata/members/lab-plan.csv",
		"dialer campaign start demo-ivr",
		"dialer campaign pause collections-preemptive",
		"DIALER_WEBHOOKS_MAX_TRIES=1 dialer serve --sim --sim-speed 50 --until-done",
	}
	s.run(t, example{where: "fixture", lines: steps})
	return filepath.Join(s.dir, "dialer.db")
}

// docsBinary builds the binary the way the README does, with make build
// in a sandbox, so the README's own make build and make demo lines find
// Go's cache warm.
func docsBinary(t *testing.T) string {
	if testing.Short() {
		t.Skip("docs test: skipped with -short")
	}
	s := newSandbox(t, "/nonexistent", "")
	if err := os.Remove(filepath.Join(s.dir, "bin", "dialer")); err != nil {
		t.Fatal(err)
	}
	s.run(t, example{where: "build", lines: []string{"make build"}})
	return filepath.Join(s.dir, "bin", "dialer")
}

// TestDocs_HelpExamplesRun runs every line of the Example of every
// command's --help, each on its own against a fresh copy of the fixture:
// the lines of an Example are alternatives, not steps.
func TestDocs_HelpExamplesRun(t *testing.T) {
	bin := docsBinary(t)
	fixture := buildFixture(t, bin)
	for _, e := range helpExamples() {
		t.Run(strings.ReplaceAll(e.where, " ", "_"), func(t *testing.T) {
			for _, l := range e.lines {
				newSandbox(t, bin, fixture).run(t, example{where: e.where + ": " + l, lines: []string{l}})
			}
		})
	}
}

// TestDocs_READMEExamplesRun runs every sh block of README.md, each in a
// fresh sandbox. Blocks that use the HTTP API (curl) get a daemon on the
// simulator with the API on 127.0.0.1:8080; blocks that start a real
// FreeSWITCH with fs-lab run when ../shared/freeswitch is here.
func TestDocs_READMEExamplesRun(t *testing.T) {
	bin := docsBinary(t)
	fixture := buildFixture(t, bin)
	for _, e := range apiTogether(readmeExamples(t)) {
		t.Run(e.where, func(t *testing.T) {
			s := newSandbox(t, bin, fixture)
			text := strings.Join(e.lines, "\n")
			if strings.Contains(text, "fs-lab start") {
				s.realSwitch(t, e)
			}
			if strings.Contains(text, "curl ") {
				for _, tool := range []string{"curl", "jq"} {
					if _, err := exec.LookPath(tool); err != nil {
						t.Skipf("the README's API walk-through needs %s, which is not installed (.ci/run installs it)", tool)
					}
				}
				s.serveAPI(t)
			}
			s.run(t, e)
		})
	}
}

// apiTogether joins the README's API blocks into one example, in order:
// they are one walk through the API ($API, $AUTH and the member they add
// carry from one to the next).
func apiTogether(es []example) []example {
	var out []example
	api := -1
	for _, e := range es {
		if !strings.Contains(strings.Join(e.lines, "\n"), "curl ") {
			out = append(out, e)
			continue
		}
		if api < 0 {
			api = len(out)
			out = append(out, example{where: e.where})
		} else {
			out[api].where += "+" + strings.TrimPrefix(e.where, "README.md:")
		}
		out[api].lines = append(out[api].lines, e.lines...)
	}
	return out
}

// serveAPI runs a daemon on the simulator with the API on 127.0.0.1:8080
// and DIALER_HTTP_TOKEN set, as the README's API examples expect.
func (s *sandbox) serveAPI(t *testing.T) {
	t.Helper()
	const listen = "127.0.0.1:8080"
	if l, err := net.Listen("tcp", listen); err != nil {
		t.Skipf("the README's API examples need %s, which is in use: %v", listen, err)
	} else {
		l.Close()
	}
	s.env = append(s.env, "DIALER_HTTP_TOKEN=docs-token", "DIALER_HTTP_LISTEN="+listen,
		"DIALER_MANUAL_DIAL_TEMPLATE=loopback/{number}/dialer_lab")
	cmd := exec.Command(filepath.Join(s.dir, "bin", "dialer"), "serve", "--sim")
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), s.env...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		if err := cmd.Wait(); err != nil {
			t.Errorf("daemon for the API examples: %v\n%s", err, log.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + listen + "/healthz")
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon for the API examples never listened on %s: %v\n%s", listen, err, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// realSwitch checks that a block that starts FreeSWITCH with fs-lab can:
// fs-lab beside the checkout and the ports it names free. The switch is
// stopped after the block, whatever happened.
func (s *sandbox) realSwitch(t *testing.T, e example) {
	t.Helper()
	lab := filepath.Join(repoRoot, "../shared/freeswitch/fs-lab")
	if _, err := os.Stat(lab); err != nil {
		t.Skip("no ../shared/freeswitch/fs-lab here: the block needs a real FreeSWITCH")
	}
	for _, l := range e.lines {
		f := strings.Fields(l)
		if len(f) < 3 || !strings.HasSuffix(f[0], "fs-lab") || f[1] != "start" {
			continue
		}
		for i, a := range f {
			if a == "--esl-port" && i+1 < len(f) {
				if ln, err := net.Listen("tcp", "127.0.0.1:"+f[i+1]); err != nil {
					t.Skipf("the block starts FreeSWITCH on ESL port %s, which is in use", f[i+1])
				} else {
					ln.Close()
				}
			}
		}
		dir := f[2]
		t.Cleanup(func() { _ = exec.Command(lab, "stop", dir).Run() })
	}
}
