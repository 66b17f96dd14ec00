package config_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/config"
	"github.com/spf13/pflag"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "dialer.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func flags(args ...string) *pflag.FlagSet {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("db", "", "")
	fs.String("log-level", "", "")
	fs.String("esl-address", "", "")
	fs.Parse(args)
	return fs
}

func TestLoad_Precedence(t *testing.T) {
	file := write(t, "database: file.db\nlog: {level: warn, format: json}\nesl: {address: 10.0.0.1:8021, command_timeout: 3s}\n")
	cases := []struct {
		name    string
		env     []string
		args    []string
		db      string
		level   string
		address string
	}{
		{"file", nil, nil, "file.db", "warn", "10.0.0.1:8021"},
		{"env over file", []string{"DIALER_DATABASE=env.db", "DIALER_LOG_LEVEL=error", "HOME=/x"}, nil, "env.db", "error", "10.0.0.1:8021"},
		{"flag over env", []string{"DIALER_DATABASE=env.db"}, []string{"--db", "flag.db", "--esl-address", "127.0.0.1:9"}, "flag.db", "warn", "127.0.0.1:9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, used, err := config.Load(file, flags(tc.args...), tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if used != file || c.Database != tc.db || c.Log.Level != tc.level || c.ESL.Address != tc.address {
				t.Fatalf("got used=%s db=%s level=%s addr=%s", used, c.Database, c.Log.Level, c.ESL.Address)
			}
			if c.ESL.CommandTimeout != 3*time.Second || c.Log.Format != "json" {
				t.Fatalf("file values lost: %+v", c)
			}
		})
	}
}

func TestLoad_DefaultsWithoutFile(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	os.Chdir(dir)
	c, used, err := config.Load("", nil, []string{"DIALER_ESL_HEARTBEAT_TIMEOUT=90s"})
	if err != nil {
		t.Fatal(err)
	}
	want := config.Default()
	want.ESL.HeartbeatTimeout = 90 * time.Second
	if used != "" || !reflect.DeepEqual(c, want) {
		t.Fatalf("got %+v from %q, want defaults", c, used)
	}
}

func TestLoad_BadInput(t *testing.T) {
	cases := []struct{ name, file, want string }{
		{"unknown key", "log: {levle: debug}\n", "levle"},
		{"bad yaml", "log: [\n", "config file"},
		{"bad level", "log: {level: loud}\n", "log.level"},
		{"bad duration", "esl: {dial_timeout: soon}\n", "dial_timeout"},
		{"bad address", "esl: {address: nowhere}\n", "esl.address"},
		{"bad limits", "limits: {max_calls: 0}\n", "limits.max_calls"},
		{"no webhook workers", "webhooks: {workers: 0}\n", "webhooks.workers"},
		{"webhook backoff cap below the backoff", "webhooks: {backoff: 2s, max_backoff: 1s}\n", "webhooks.max_backoff"},
		{"bad webhook timeout", "webhooks: {timeout: soon}\n", "timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := config.Load(write(t, tc.file), nil, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	if _, _, err := config.Load(filepath.Join(t.TempDir(), "missing.yaml"), nil, nil); err == nil {
		t.Fatal("a named config file that is missing must be an error")
	}
}

func TestLoad_Webhooks(t *testing.T) {
	file := write(t, "webhooks: {workers: 8, timeout: 3s, backoff: 2s}\n")
	c, _, err := config.Load(file, nil, []string{"DIALER_WEBHOOKS_MAX_TRIES=3", "DIALER_WEBHOOKS_MAX_BACKOFF=1m"})
	if err != nil {
		t.Fatal(err)
	}
	want := config.Webhooks{Workers: 8, Timeout: 3 * time.Second, MaxTries: 3, Backoff: 2 * time.Second, MaxBackoff: time.Minute}
	if c.Webhooks != want {
		t.Fatalf("webhooks = %+v, want %+v", c.Webhooks, want)
	}
	if d := config.Default().Webhooks; d != (config.Webhooks{Workers: 4, Timeout: 10 * time.Second, MaxTries: 10,
		Backoff: time.Second, MaxBackoff: 5 * time.Minute}) {
		t.Fatalf("default webhooks = %+v", d)
	}
}

func TestMasked(t *testing.T) {
	c := config.Default()
	c.HTTP.Token = "t0k"
	m := c.Masked()
	if m.ESL.Password == c.ESL.Password || m.HTTP.Token == "t0k" || c.HTTP.Token != "t0k" {
		t.Fatalf("masking: %+v (original %+v)", m, c)
	}
}

func TestLoad_Nodes(t *testing.T) {
	file := write(t, `esl:
  password: secret
  node_grace: 30s
  nodes:
    - {name: fs-a, address: 10.0.0.1:8021, max_calls: 500, max_cps: 30}
    - {name: fs-b, address: 10.0.0.2:8021, password: other, max_calls: 300, max_cps: 20}
`)
	c, _, err := config.Load(file, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := c.ESL.Switches()
	want := []config.Node{
		{Name: "fs-a", Address: "10.0.0.1:8021", Password: "secret", MaxCalls: 500, MaxCPS: 30},
		{Name: "fs-b", Address: "10.0.0.2:8021", Password: "other", MaxCalls: 300, MaxCPS: 20},
	}
	if !reflect.DeepEqual(got, want) || c.ESL.NodeGrace != 30*time.Second {
		t.Fatalf("switches %+v grace %s, want %+v and 30s", got, c.ESL.NodeGrace, want)
	}
	if m := c.Masked(); m.ESL.Nodes[1].Password != "********" || c.ESL.Nodes[1].Password != "other" {
		t.Fatalf("masked %q, original %q", m.ESL.Nodes[1].Password, c.ESL.Nodes[1].Password)
	}
	if one := config.Default().ESL.Switches(); len(one) != 1 || one[0].Name != "" || one[0].Address != "127.0.0.1:8021" {
		t.Fatalf("without nodes: %+v, want the one esl.address", one)
	}
	bad := write(t, `esl:
  nodes:
    - {name: fs-a, address: 10.0.0.1:8021, max_calls: 500, max_cps: 30}
    - {name: fs-a, address: nowhere, max_calls: 0, max_cps: 0}
    - {name: "bad name", address: 10.0.0.3:8021, max_calls: 1, max_cps: 1}
`)
	_, _, err = config.Load(bad, nil, nil)
	for _, w := range []string{`esl.nodes[1].name: "fs-a": named twice`, `esl.nodes[1].address: "nowhere" is not host:port`,
		"esl.nodes[1].max_calls: must be at least 1", "esl.nodes[1].max_cps: must be positive", `esl.nodes[2].name: "bad name"`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v, want it to say %s", err, w)
		}
	}
}
