package config_test

import (
	"strings"
	"testing"

	"github.com/fsdialer/dialer/config"
)

func TestLoad_EnvironmentErrorsNameTheVariable(t *testing.T) {
	file := write(t, "esl:\n  address: 10.0.0.5:8021\n")
	tests := []struct {
		name, path string
		env        []string
		want       string
	}{
		{"duration with a file", file, []string{"DIALER_ESL_DIAL_TIMEOUT=abc"},
			`environment DIALER_ESL_DIAL_TIMEOUT=abc: invalid duration (want e.g. 5s, 1m30s)`},
		{"duration without a file", "", []string{"DIALER_ESL_DIAL_TIMEOUT=abc"},
			`environment DIALER_ESL_DIAL_TIMEOUT=abc: invalid duration (want e.g. 5s, 1m30s)`},
		{"number", file, []string{"DIALER_LOG_LEVEL=debug", "DIALER_LIMITS_MAX_CALLS=lots"},
			`environment DIALER_LIMITS_MAX_CALLS=lots: not a whole number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := config.Load(tt.path, nil, tt.env)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Load error = %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestLoad_FileErrorsStillNameTheFile(t *testing.T) {
	file := write(t, "esl:\n  dial_timeout: abc\n")
	_, _, err := config.Load(file, nil, []string{"DIALER_LOG_LEVEL=debug"})
	if err == nil || !strings.HasPrefix(err.Error(), "config file "+file+": ") || strings.Contains(err.Error(), "environment") {
		t.Fatalf("Load error = %v, want the config file blamed", err)
	}
}
