// Package config holds the daemon's and the CLI's configuration and loads
// it from defaults, a file, DIALER_* environment variables and flags (in
// rising precedence). Viper is used here and in cmd only.
package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Config is the effective configuration.
type Config struct {
	// Database is the SQLite file, or a postgres:// (postgresql://) URL
	// naming a PostgreSQL database.
	Database string   `mapstructure:"database" yaml:"database" json:"database"`
	ESL      ESL      `mapstructure:"esl" yaml:"esl" json:"esl"`
	Log      Log      `mapstructure:"log" yaml:"log" json:"log"`
	HTTP     HTTP     `mapstructure:"http" yaml:"http" json:"http"`
	Limits   Limits   `mapstructure:"limits" yaml:"limits" json:"limits"`
	Manual   Manual   `mapstructure:"manual" yaml:"manual" json:"manual"`
	Webhooks Webhooks `mapstructure:"webhooks" yaml:"webhooks" json:"webhooks"`
	Cluster  Cluster  `mapstructure:"cluster" yaml:"cluster" json:"cluster"`
	// Priority is how running campaigns of different priorities share the
	// lines: PriorityShare or PriorityStrict.
	Priority string `mapstructure:"priority" yaml:"priority" json:"priority"`
}

// Priority modes.
const (
	// PriorityShare serves higher-priority campaigns first and gives
	// lower ones the lines left over.
	PriorityShare = "share"
	// PriorityStrict lets a campaign dial nothing while a running
	// campaign of higher priority has a member due now.
	PriorityStrict = "strict"
)

// ESL is how to reach FreeSWITCH's event socket.
type ESL struct {
	Address          string        `mapstructure:"address" yaml:"address" json:"address"`
	Password         string        `mapstructure:"password" yaml:"password" json:"password"`
	DialTimeout      time.Duration `mapstructure:"dial_timeout" yaml:"dial_timeout" json:"dial_timeout"`
	CommandTimeout   time.Duration `mapstructure:"command_timeout" yaml:"command_timeout" json:"command_timeout"`
	HeartbeatTimeout time.Duration `mapstructure:"heartbeat_timeout" yaml:"heartbeat_timeout" json:"heartbeat_timeout"`
	// Nodes, when set, are several switches the daemon places calls on
	// (Address is then unused): each call goes to the connected node with
	// the most free lines.
	Nodes []Node `mapstructure:"nodes" yaml:"nodes,omitempty" json:"nodes,omitempty"`
	// NodeGrace is how long the calls of a node the daemon lost are
	// awaited before their attempts end DIALER_LOST.
	NodeGrace time.Duration `mapstructure:"node_grace" yaml:"node_grace" json:"node_grace"`
}

// Node is one FreeSWITCH of several.
type Node struct {
	// Name identifies the node in attempts, agents (agent.node), status
	// and metrics.
	Name    string `mapstructure:"name" yaml:"name" json:"name"`
	Address string `mapstructure:"address" yaml:"address" json:"address"`
	// Password defaults to esl.password.
	Password string `mapstructure:"password" yaml:"password,omitempty" json:"password,omitempty"`
	// MaxCalls is the most calls in progress on the node (an agent call
	// and its agent's leg count as one); MaxCPS the most originates per
	// second to it.
	MaxCalls int     `mapstructure:"max_calls" yaml:"max_calls" json:"max_calls"`
	MaxCPS   float64 `mapstructure:"max_cps" yaml:"max_cps" json:"max_cps"`
}

// Switches are the nodes the daemon works with: esl.nodes, or the one
// switch at esl.address (named "", with the global limits).
func (e ESL) Switches() []Node {
	if len(e.Nodes) == 0 {
		return []Node{{Address: e.Address, Password: e.Password}}
	}
	out := make([]Node, len(e.Nodes))
	for i, n := range e.Nodes {
		if n.Password == "" {
			n.Password = e.Password
		}
		out[i] = n
	}
	return out
}

// Log configures structured logging.
type Log struct {
	Level  string `mapstructure:"level" yaml:"level" json:"level"`
	Format string `mapstructure:"format" yaml:"format" json:"format"`
}

// HTTP configures the API and metrics listener.
type HTTP struct {
	Listen string `mapstructure:"listen" yaml:"listen" json:"listen"`
	Token  string `mapstructure:"token" yaml:"token" json:"token"`
	// MaxBody bounds an API request body, in bytes.
	MaxBody int64 `mapstructure:"max_body" yaml:"max_body" json:"max_body"`
}

// Manual configures click-to-call outside a campaign (manual calls).
type Manual struct {
	// DialTemplate dials the number, e.g. sofia/gateway/gw/{number}; empty
	// refuses manual calls.
	DialTemplate string `mapstructure:"dial_template" yaml:"dial_template" json:"dial_template"`
	// CallerID is the caller ID number the called party sees.
	CallerID string `mapstructure:"caller_id" yaml:"caller_id" json:"caller_id"`
	// RingTimeout is how long the number rings.
	RingTimeout time.Duration `mapstructure:"ring_timeout" yaml:"ring_timeout" json:"ring_timeout"`
}

// Webhooks configures the delivery of campaigns' callback events.
type Webhooks struct {
	// Workers is how many deliveries run at once.
	Workers int `mapstructure:"workers" yaml:"workers" json:"workers"`
	// Timeout bounds one delivery try.
	Timeout time.Duration `mapstructure:"timeout" yaml:"timeout" json:"timeout"`
	// MaxTries is the number of tries after which an event is dead.
	MaxTries int `mapstructure:"max_tries" yaml:"max_tries" json:"max_tries"`
	// Backoff is the wait after the first failed try, doubled after each
	// further one up to MaxBackoff.
	Backoff    time.Duration `mapstructure:"backoff" yaml:"backoff" json:"backoff"`
	MaxBackoff time.Duration `mapstructure:"max_backoff" yaml:"max_backoff" json:"max_backoff"`
}

// Cluster configures a daemon sharing a PostgreSQL database with others.
type Cluster struct {
	// Lease is how long the daemon's lease lasts unrenewed (it renews it
	// every third of it): once it ran out the daemon is taken for dead
	// and another adopts its calls.
	Lease time.Duration `mapstructure:"lease" yaml:"lease" json:"lease"`
}

// Limits are the global pacing limits toward FreeSWITCH.
type Limits struct {
	// MaxCalls is the most simultaneous calls over all campaigns.
	MaxCalls int `mapstructure:"max_calls" yaml:"max_calls" json:"max_calls"`
	// MaxCPS is the most originates per second; keep it under
	// FreeSWITCH's sessions-per-second.
	MaxCPS float64 `mapstructure:"max_cps" yaml:"max_cps" json:"max_cps"`
}

// Default returns the configuration used when nothing else is given.
func Default() Config {
	return Config{
		Database: "dialer.db",
		ESL: ESL{
			Address: "127.0.0.1:8021", Password: "ClueCon",
			DialTimeout: 5 * time.Second, CommandTimeout: 10 * time.Second, HeartbeatTimeout: 45 * time.Second,
			NodeGrace: 60 * time.Second,
		},
		Log:    Log{Level: "info", Format: "text"},
		HTTP:   HTTP{Listen: "127.0.0.1:8080", MaxBody: 1 << 20},
		Limits: Limits{MaxCalls: 200, MaxCPS: 20},
		Manual: Manual{RingTimeout: 30 * time.Second},
		Webhooks: Webhooks{Workers: 4, Timeout: 10 * time.Second, MaxTries: 10, Backoff: time.Second,
			MaxBackoff: 5 * time.Minute},
		Priority: PriorityShare,
		Cluster:  Cluster{Lease: 10 * time.Second},
	}
}

// Validate checks every field and names the first bad one by its key.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.Database == "" {
		bad("database", "required")
	}
	if _, _, err := net.SplitHostPort(c.ESL.Address); err != nil && len(c.ESL.Nodes) == 0 {
		bad("esl.address", "%q is not host:port", c.ESL.Address)
	}
	names := map[string]bool{}
	for i, n := range c.ESL.Nodes {
		key := fmt.Sprintf("esl.nodes[%d]", i)
		if !nodeName.MatchString(n.Name) {
			bad(key+".name", "%q: letters, digits, '-', '_' or '.' (1 to 64)", n.Name)
		} else if names[n.Name] {
			bad(key+".name", "%q: named twice", n.Name)
		}
		names[n.Name] = true
		if _, _, err := net.SplitHostPort(n.Address); err != nil {
			bad(key+".address", "%q is not host:port", n.Address)
		}
		if n.MaxCalls < 1 {
			bad(key+".max_calls", "must be at least 1")
		}
		if n.MaxCPS <= 0 {
			bad(key+".max_cps", "must be positive")
		}
	}
	if c.Cluster.Lease < 3*time.Second {
		bad("cluster.lease", "%s: must be at least 3s", c.Cluster.Lease)
	}
	if c.ESL.NodeGrace <= 0 {
		bad("esl.node_grace", "must be positive")
	}
	for key, d := range map[string]time.Duration{
		"esl.dial_timeout": c.ESL.DialTimeout, "esl.command_timeout": c.ESL.CommandTimeout,
		"esl.heartbeat_timeout": c.ESL.HeartbeatTimeout,
	} {
		if d <= 0 {
			bad(key, "must be positive")
		}
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q: must be debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", "%q: must be text or json", c.Log.Format)
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		bad("http.listen", "%q is not host:port", c.HTTP.Listen)
	}
	if c.HTTP.MaxBody < 1024 {
		bad("http.max_body", "%d: must be at least 1024 bytes", c.HTTP.MaxBody)
	}
	if t := c.Manual.DialTemplate; t != "" && !strings.Contains(t, "{number}") {
		bad("manual.dial_template", "%q: must contain {number}", t)
	}
	if r := c.Manual.RingTimeout; r < 5*time.Second || r > 120*time.Second {
		bad("manual.ring_timeout", "%s: must be 5s..120s", r)
	}
	if c.Limits.MaxCalls < 1 {
		bad("limits.max_calls", "must be at least 1")
	}
	if c.Limits.MaxCPS <= 0 {
		bad("limits.max_cps", "must be positive")
	}
	if c.Priority != PriorityShare && c.Priority != PriorityStrict {
		bad("priority", "%q: must be share or strict", c.Priority)
	}
	if w := c.Webhooks.Workers; w < 1 || w > 64 {
		bad("webhooks.workers", "%d: must be 1..64", w)
	}
	if c.Webhooks.Timeout <= 0 {
		bad("webhooks.timeout", "must be positive")
	}
	if c.Webhooks.MaxTries < 1 {
		bad("webhooks.max_tries", "must be at least 1")
	}
	if c.Webhooks.Backoff <= 0 {
		bad("webhooks.backoff", "must be positive")
	}
	if c.Webhooks.MaxBackoff < c.Webhooks.Backoff {
		bad("webhooks.max_backoff", "%s: must be at least webhooks.backoff (%s)", c.Webhooks.MaxBackoff, c.Webhooks.Backoff)
	}
	return errors.Join(errs...)
}

// nodeName is the form of a node's name.
var nodeName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Masked returns a copy with secrets replaced, for printing.
func (c Config) Masked() Config {
	if c.ESL.Password != "" {
		c.ESL.Password = "********"
	}
	c.ESL.Nodes = append([]Node(nil), c.ESL.Nodes...)
	for i := range c.ESL.Nodes {
		if c.ESL.Nodes[i].Password != "" {
			c.ESL.Nodes[i].Password = "********"
		}
	}
	if c.HTTP.Token != "" {
		c.HTTP.Token = "********"
	}
	return c
}

// DefaultPaths are the config files tried, in order, when none is named.
var DefaultPaths = []string{"dialer.yaml", "/etc/dialer/dialer.yaml"}

// flagKeys binds command-line flags (when the command has them) to keys.
var flagKeys = map[string]string{
	"db":           "database",
	"esl-address":  "esl.address",
	"esl-password": "esl.password",
	"log-level":    "log.level",
	"log-format":   "log.format",
	"http-listen":  "http.listen",
}

// Load builds the configuration: defaults, then the file (explicit path,
// or the first of DefaultPaths that exists), then DIALER_* variables from
// environ, then flags that were set. It returns the file used ("" when
// none). A named file that is missing, or any file that does not parse or
// has unknown keys, is an error.
func Load(path string, flags *pflag.FlagSet, environ []string) (Config, string, error) {
	v := viper.New()
	def := Default()
	setDefaults(v, def)
	used := ""
	switch {
	case path != "":
		used = path
	default:
		for _, p := range DefaultPaths {
			if _, err := os.Stat(p); err == nil {
				used = p
				break
			}
		}
	}
	if used != "" {
		v.SetConfigFile(used)
		if strings.HasSuffix(used, ".yml") {
			v.SetConfigType("yaml")
		}
		if err := v.ReadInConfig(); err != nil {
			return Config{}, used, fmt.Errorf("config file %s: %w", used, err)
		}
	}
	var fromEnv []envSetting
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, "DIALER_") {
			continue
		}
		key, known := envKey(v, name)
		if !known {
			continue
		}
		v.Set(key, val)
		fromEnv = append(fromEnv, envSetting{name: name, key: key, value: val})
	}
	if flags != nil {
		for flag, key := range flagKeys {
			if f := flags.Lookup(flag); f != nil && f.Changed {
				v.Set(key, f.Value.String())
			}
		}
	}
	var c Config
	if err := v.UnmarshalExact(&c); err != nil {
		if err := badEnv(def, fromEnv); err != nil {
			return Config{}, used, err
		}
		where := "configuration"
		if used != "" {
			where = "config file " + used
		}
		return Config{}, used, fmt.Errorf("%s: %w", where, err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, used, fmt.Errorf("configuration: %w", err)
	}
	return c, used, nil
}

// envSetting is a key set by a DIALER_* variable.
type envSetting struct {
	name, key, value string
}

// badEnv finds the variable whose value does not decode, when one does, so
// that the error blames the environment rather than the config file.
func badEnv(def Config, settings []envSetting) error {
	for _, s := range settings {
		v := viper.New()
		setDefaults(v, def)
		v.Set(s.key, s.value)
		var probe Config
		if err := v.UnmarshalExact(&probe); err != nil {
			return fmt.Errorf("environment %s=%s: %s", s.name, s.value, valueReason(err))
		}
	}
	return nil
}

// valueReason says in a few words why a value did not decode.
func valueReason(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "invalid duration"), strings.Contains(msg, "time: unknown unit"), strings.Contains(msg, "time: missing unit"):
		return "invalid duration (want e.g. 5s, 1m30s)"
	case strings.Contains(msg, "ParseInt"), strings.Contains(msg, "ParseUint"), strings.Contains(msg, "as 'int"), strings.Contains(msg, "as 'uint"):
		return "not a whole number"
	case strings.Contains(msg, "ParseFloat"), strings.Contains(msg, "as 'float"):
		return "not a number"
	case strings.Contains(msg, "ParseBool"), strings.Contains(msg, "as 'bool"):
		return "want true or false"
	}
	msg = strings.TrimSpace(strings.TrimPrefix(msg, "decoding failed due to the following error(s):"))
	return strings.Join(strings.Fields(msg), " ")
}

// envKey maps DIALER_ESL_PASSWORD to esl.password for the known keys.
func envKey(v *viper.Viper, env string) (string, bool) {
	want := strings.ToLower(strings.TrimPrefix(env, "DIALER_"))
	for _, k := range v.AllKeys() {
		if strings.ReplaceAll(k, ".", "_") == want {
			return k, true
		}
	}
	return "", false
}

func setDefaults(v *viper.Viper, d Config) {
	v.SetDefault("database", d.Database)
	v.SetDefault("esl.address", d.ESL.Address)
	v.SetDefault("esl.password", d.ESL.Password)
	v.SetDefault("esl.dial_timeout", d.ESL.DialTimeout)
	v.SetDefault("esl.command_timeout", d.ESL.CommandTimeout)
	v.SetDefault("esl.heartbeat_timeout", d.ESL.HeartbeatTimeout)
	v.SetDefault("esl.node_grace", d.ESL.NodeGrace)
	v.SetDefault("log.level", d.Log.Level)
	v.SetDefault("log.format", d.Log.Format)
	v.SetDefault("http.listen", d.HTTP.Listen)
	v.SetDefault("http.token", d.HTTP.Token)
	v.SetDefault("http.max_body", d.HTTP.MaxBody)
	v.SetDefault("limits.max_calls", d.Limits.MaxCalls)
	v.SetDefault("limits.max_cps", d.Limits.MaxCPS)
	v.SetDefault("priority", d.Priority)
	v.SetDefault("manual.dial_template", d.Manual.DialTemplate)
	v.SetDefault("manual.caller_id", d.Manual.CallerID)
	v.SetDefault("manual.ring_timeout", d.Manual.RingTimeout)
	v.SetDefault("webhooks.workers", d.Webhooks.Workers)
	v.SetDefault("webhooks.timeout", d.Webhooks.Timeout)
	v.SetDefault("webhooks.max_tries", d.Webhooks.MaxTries)
	v.SetDefault("webhooks.backoff", d.Webhooks.Backoff)
	v.SetDefault("webhooks.max_backoff", d.Webhooks.MaxBackoff)
	v.SetDefault("cluster.lease", d.Cluster.Lease)
}

// Keys describes every key for help text and the README.
var Keys = []struct{ Key, Env, Flag, Default, Help string }{
	{"database", "DIALER_DATABASE", "--db", "dialer.db", "SQLite file or postgres:// URL"},
	{"esl.address", "DIALER_ESL_ADDRESS", "--esl-address", "127.0.0.1:8021", "FreeSWITCH event socket"},
	{"esl.password", "DIALER_ESL_PASSWORD", "--esl-password", "ClueCon", "event socket password"},
	{"esl.dial_timeout", "DIALER_ESL_DIAL_TIMEOUT", "", "5s", "connect and auth deadline"},
	{"esl.command_timeout", "DIALER_ESL_COMMAND_TIMEOUT", "", "10s", "deadline of one ESL command"},
	{"esl.heartbeat_timeout", "DIALER_ESL_HEARTBEAT_TIMEOUT", "", "45s", "silence that counts as a dead connection"},
	{"esl.node_grace", "DIALER_ESL_NODE_GRACE", "", "1m", "with esl.nodes: how long a lost node's calls are awaited before they end DIALER_LOST"},
	{"log.level", "DIALER_LOG_LEVEL", "--log-level", "info", "debug, info, warn, error"},
	{"log.format", "DIALER_LOG_FORMAT", "--log-format", "text", "text or json"},
	{"http.listen", "DIALER_HTTP_LISTEN", "--http-listen", "127.0.0.1:8080", "API and metrics listener"},
	{"http.token", "DIALER_HTTP_TOKEN", "", "", "bearer token for the API (required off loopback)"},
	{"http.max_body", "DIALER_HTTP_MAX_BODY", "", "1048576", "largest API request body, bytes"},
	{"limits.max_calls", "DIALER_LIMITS_MAX_CALLS", "", "200", "simultaneous calls, all campaigns"},
	{"limits.max_cps", "DIALER_LIMITS_MAX_CPS", "", "20", "originates per second, all campaigns"},
	{"priority", "DIALER_PRIORITY", "", "share", "share or strict: strict holds a campaign back while one of higher priority has a member due"},
	{"manual.dial_template", "DIALER_MANUAL_DIAL_TEMPLATE", "", "", "dial string of manual calls (click-to-call without a campaign), with {number}"},
	{"manual.caller_id", "DIALER_MANUAL_CALLER_ID", "", "", "caller ID number of manual calls"},
	{"manual.ring_timeout", "DIALER_MANUAL_RING_TIMEOUT", "", "30s", "how long a manual call's number rings"},
	{"webhooks.workers", "DIALER_WEBHOOKS_WORKERS", "", "4", "callback deliveries at once"},
	{"webhooks.timeout", "DIALER_WEBHOOKS_TIMEOUT", "", "10s", "deadline of one callback delivery try"},
	{"webhooks.max_tries", "DIALER_WEBHOOKS_MAX_TRIES", "", "10", "tries before a callback is dead (dialer webhook redrive)"},
	{"webhooks.backoff", "DIALER_WEBHOOKS_BACKOFF", "", "1s", "wait after a callback's first failed try, doubled after each"},
	{"webhooks.max_backoff", "DIALER_WEBHOOKS_MAX_BACKOFF", "", "5m", "longest wait between callback tries"},
	{"cluster.lease", "DIALER_CLUSTER_LEASE", "", "10s", "with a postgres:// database shared by several daemons: a daemon not heard from for this long is dead, and another adopts its calls"},
}
