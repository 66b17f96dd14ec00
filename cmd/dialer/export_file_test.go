package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// umask returns the process's file mode creation mask.
func umask() os.FileMode {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return os.FileMode(m)
}

func TestExport_FileModeAndErrorNames(t *testing.T) {
	c := ivrWithResults(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "members.json")
	c.viewOK("export", "survey-ivr", "--members", "-o", "json", "--file", file)
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fi.Mode().Perm(), 0o666&^umask(); got != want {
		t.Errorf("export file mode %v, want %v (0666 less the umask, like any file the operator writes)", got, want)
	}

	// Exporting again over a file keeps that file's mode.
	if err := os.Chmod(file, 0o640); err != nil {
		t.Fatal(err)
	}
	c.viewOK("export", "survey-ivr", "--members", "-o", "json", "--file", file)
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("export over a 0640 file: mode %v, %v", fi.Mode().Perm(), err)
	}

	tests := []struct {
		name, file, want string
	}{
		{"missing directory", filepath.Join(dir, "no", "x.csv"), "--file " + filepath.Join(dir, "no", "x.csv") + ": "},
		{"a directory", dir, "--file " + dir + ": "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.run("", "export", "survey-ivr", "--members", "--file", tt.file)
			if err == nil {
				t.Fatal("export succeeded")
			}
			if !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), ".tmp") {
				t.Errorf("error %q: want it to start with %q and not to name the temporary file", err, tt.want)
			}
		})
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left after failed exports: %v", entries)
	}
}
