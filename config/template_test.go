package config_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/fsdialer/dialer/config"
	"go.yaml.in/yaml/v3"
)

// flatKeys lists the dotted keys of a decoded JSON or YAML tree.
func flatKeys(prefix string, m map[string]any, out map[string]any) {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			flatKeys(prefix+k+".", sub, out)
			continue
		}
		out[prefix+k] = v
	}
}

func TestTemplate_LoadsAsTheDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dialer.yaml")
	if err := os.WriteFile(path, config.Template(), 0o600); err != nil {
		t.Fatal(err)
	}
	got, used, err := config.Load(path, nil, nil)
	if err != nil || used != path {
		t.Fatalf("Load(template) = %v (used %q)", err, used)
	}
	if want := config.Default(); !reflect.DeepEqual(got, want) {
		t.Fatalf("the template loads as\n%+v\nwant the defaults\n%+v", got, want)
	}
}

func TestTemplate_EveryKeyOnceWithAComment(t *testing.T) {
	var tree map[string]any
	if err := yaml.Unmarshal(config.Template(), &tree); err != nil {
		t.Fatal(err)
	}
	inFile := map[string]any{}
	flatKeys("", tree, inFile)
	var want []string
	for _, k := range config.Keys {
		want = append(want, k.Key)
	}
	var got []string
	for k := range inFile {
		got = append(got, k)
	}
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("template keys %v\nwant config.Keys %v", got, want)
	}
	lines := strings.Split(string(config.Template()), "\n")
	for i, l := range lines {
		s := strings.TrimSpace(l)
		if s == "" || strings.HasPrefix(s, "#") || strings.HasSuffix(s, ":") {
			continue
		}
		if i == 0 || !strings.HasPrefix(strings.TrimSpace(lines[i-1]), "# ") {
			t.Errorf("line %d %q has no comment above it", i+1, l)
		}
	}
}

// TestConfig_JSONMatchesTheFile: config show -o json has the file's keys,
// in snake_case, and durations as strings.
func TestConfig_JSONMatchesTheFile(t *testing.T) {
	raw, err := json.Marshal(config.Default())
	if err != nil {
		t.Fatal(err)
	}
	var tree map[string]any
	if err := json.Unmarshal(raw, &tree); err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	flatKeys("", tree, got)
	for _, k := range config.Keys {
		if _, ok := got[k.Key]; !ok {
			t.Errorf("JSON lacks key %s: %s", k.Key, raw)
		}
	}
	if len(got) != len(config.Keys) {
		t.Errorf("JSON has %d keys, config.Keys %d: %s", len(got), len(config.Keys), raw)
	}
	for k, want := range map[string]any{"esl.dial_timeout": "5s", "webhooks.max_backoff": "5m0s", "manual.ring_timeout": "30s"} {
		if got[k] != want {
			t.Errorf("%s = %v, want %q", k, got[k], want)
		}
	}
}
