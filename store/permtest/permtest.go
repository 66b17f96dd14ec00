// Package permtest runs a test as an unprivileged user, so that tests of
// file permissions (a read-only database, a directory that is not
// writable) mean something when the suite runs as root, as CI does: root
// ignores file modes.
package permtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/fsdialer/dialer/store/pgtest"
)

// nobody is the uid and gid the test runs as.
const nobody = 65534

// AsUnprivileged runs the calling test in a copy of the test binary as
// uid/gid 65534 when the suite runs as root, and reports true once that
// run passed (the caller then returns); as any other user it reports false
// and the test runs here. Without setpriv the test is skipped, saying why.
func AsUnprivileged(t *testing.T) bool {
	t.Helper()
	if os.Geteuid() != 0 {
		return false
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("running as root and setpriv is missing: root ignores file modes")
	}
	dir, err := os.MkdirTemp("", "permtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, d := range []string{dir, filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, 0o1777); err != nil {
			t.Fatal(err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, filepath.Base(self))
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	id := strconv.Itoa(nobody)
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	probe := exec.Command(setpriv, "--reuid="+id, "--regid="+id, "--clear-groups", "--", "test", "-r", wd+"/.", "-a", "-x", wd)
	if probe.Run() != nil {
		t.Skipf("running as root, and uid %d cannot read the checkout (%s) to run the test there: root ignores file modes", nobody, wd)
	}
	cmd := exec.Command(setpriv, "--reuid="+id, "--regid="+id, "--clear-groups", "--",
		bin, "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	// File modes are SQLite's: the copy runs the SQLite pass only.
	cmd.Env = append(os.Environ(), "TMPDIR="+filepath.Join(dir, "tmp"), "HOME="+dir, pgtest.EnvDialect+"=sqlite")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s as uid %d: %v\n%s", t.Name(), nobody, err, out)
	}
	t.Logf("ran as uid %d:\n%s", nobody, out)
	return true
}
