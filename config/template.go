package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/fsdialer/dialer/dialer/jsontime"
	"go.yaml.in/yaml/v3"
)

// MarshalJSON writes the durations as strings ("5s"), as in the file.
func (e ESL) MarshalJSON() ([]byte, error) { return jsontime.Struct(e) }

// MarshalJSON writes the durations as strings ("5s"), as in the file.
func (m Manual) MarshalJSON() ([]byte, error) { return jsontime.Struct(m) }

// MarshalJSON writes the durations as strings ("5s"), as in the file.
func (w Webhooks) MarshalJSON() ([]byte, error) { return jsontime.Struct(w) }

// MarshalJSON writes the durations as strings ("5s"), as in the file.
func (c Cluster) MarshalJSON() ([]byte, error) { return jsontime.Struct(c) }

const templateHeader = `# dialer configuration: every key with its default value.
#
# Keys left out keep their default. DIALER_* environment variables (the
# key in capitals, dots as underscores: DIALER_ESL_PASSWORD) and the flags
# named below override this file. Check what is in effect with
#   dialer --config FILE config show
# The file holds passwords: make it readable by the dialer's user only.
`

// Template is a commented starting config file: every key of Keys with
// its default value and a line on what it means. dialer config init
// writes it; freeswitch-conf/dialer.yaml is a copy.
func Template() []byte {
	values, err := flatValues(Default())
	if err != nil {
		panic(fmt.Sprintf("config template: %v", err))
	}
	var b bytes.Buffer
	b.WriteString(templateHeader)
	section := ""
	for _, k := range Keys {
		sec, name, nested := strings.Cut(k.Key, ".")
		if !nested {
			sec, name = "", k.Key
		}
		indent := ""
		if sec != "" {
			indent = "  "
		}
		if sec != section || sec == "" {
			b.WriteString("\n")
			if sec != "" {
				b.WriteString(sec + ":\n")
			}
			section = sec
		}
		where := "env " + k.Env
		if k.Flag != "" {
			where += ", flag " + k.Flag
		}
		fmt.Fprintf(&b, "%s# %s; %s\n%s%s: %s\n", indent, k.Help, where, indent, name, values[k.Key])
	}
	return b.Bytes()
}

// flatValues renders every key's value of c as a YAML scalar, by dotted key.
func flatValues(c Config) (map[string]string, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var tree map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	out := map[string]string{}
	var walk func(prefix string, m map[string]any) error
	walk = func(prefix string, m map[string]any) error {
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok {
				if err := walk(prefix+k+".", sub); err != nil {
					return err
				}
				continue
			}
			if n, ok := v.(json.Number); ok {
				out[prefix+k] = n.String()
				continue
			}
			y, err := yaml.Marshal(v)
			if err != nil {
				return err
			}
			out[prefix+k] = strings.TrimSuffix(string(y), "\n")
		}
		return nil
	}
	return out, walk("", tree)
}
