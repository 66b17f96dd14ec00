package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsdialer/dialer/config"
	"go.yaml.in/yaml/v3"
)

func TestConfigInit_ShippedFileIsTheTemplate(t *testing.T) {
	c := newCLI(t)
	shipped, err := os.ReadFile("../../freeswitch-conf/dialer.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.ok("config", "init", "-"); got != string(shipped) {
		t.Fatalf("freeswitch-conf/dialer.yaml differs from dialer config init - (regenerate it with dialer config init - > freeswitch-conf/dialer.yaml):\n%s", got)
	}
	if _, _, err := config.Load("../../freeswitch-conf/dialer.yaml", nil, nil); err != nil {
		t.Fatalf("the shipped config does not load: %v", err)
	}
}

func TestConfigInit_RefusesToOverwrite(t *testing.T) {
	c := newCLI(t)
	path := filepath.Join(t.TempDir(), "dialer.yaml")
	contains(t, c.ok("config", "init", path), "wrote "+path)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600: the file holds passwords", fi.Mode().Perm())
	}
	if err := os.WriteFile(path, []byte("log:\n  level: debug\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.fails("already exists: give --force", "config", "init", path)
	if b, _ := os.ReadFile(path); string(b) != "log:\n  level: debug\n" {
		t.Fatalf("a refused init changed the file:\n%s", b)
	}
	c.ok("config", "init", "--force", path)
	if b, _ := os.ReadFile(path); string(b) != string(config.Template()) {
		t.Fatalf("--force did not write the template:\n%s", b)
	}
	contains(t, c.ok("--config", path, "config", "show"), "dial_timeout: 5s")
}

// TestConfigShow_FileKeys: config show -o json and -o yaml use the config
// file's own keys and write durations as strings.
func TestConfigShow_FileKeys(t *testing.T) {
	c := newCLI(t)
	var j map[string]any
	if err := json.Unmarshal([]byte(c.ok("config", "show", "-o", "json")), &j); err != nil {
		t.Fatal(err)
	}
	var y map[string]any
	if err := yaml.Unmarshal([]byte(c.ok("config", "show", "-o", "yaml")), &y); err != nil {
		t.Fatal(err)
	}
	for _, k := range config.Keys {
		for format, tree := range map[string]map[string]any{"json": j, "yaml": y} {
			v, ok := lookup(tree, k.Key)
			if !ok {
				t.Errorf("-o %s lacks %s", format, k.Key)
				continue
			}
			if strings.HasSuffix(k.Key, "timeout") || strings.HasSuffix(k.Key, "backoff") {
				if _, isString := v.(string); !isString {
					t.Errorf("-o %s: %s = %v, want a duration string", format, k.Key, v)
				}
			}
		}
	}
	if v, _ := lookup(j, "esl.dial_timeout"); v != "5s" {
		t.Errorf("esl.dial_timeout = %v, want 5s", v)
	}
}

// lookup finds a dotted key in a decoded tree.
func lookup(tree map[string]any, key string) (any, bool) {
	var v any = tree
	for _, part := range strings.Split(key, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[part]; !ok {
			return nil, false
		}
	}
	return v, true
}
