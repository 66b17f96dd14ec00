package fssim_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
)

// TestServer_FilterExpressions: regular expression filters are read as
// switch_regex_perform reads them (esl's TestFilters_SameOnBothSwitches
// checks the same against a real FreeSWITCH).
func TestServer_FilterExpressions(t *testing.T) {
	srv := start(t, fssim.Options{Speed: 50, Scenario: scenario(t, ivrScenario)})
	tests := []struct {
		name   string
		filter string
		want   int // CHANNEL_CREATE events of the call
	}{
		{"closed expression", "Unique-ID /^%s$/", 1},
		{"no closing slash matches nothing", "Unique-ID /^%s$", 0},
		{"flag i ignores case", "Unique-ID /^%S$/i", 1},
		{"without flag i case counts", "Unique-ID /^%S$/", 0},
		{"the expression runs to the last slash", "Channel-Name /^sofia/external/fail-", 1},
		{"a slash inside the expression", "Channel-Name /^sofia/external/fail-1@/", 1},
		{"a minus makes the expression literal text", "Unique-ID -/^%s$/", 0},
		{"an expression Go cannot compile matches nothing", "Unique-ID /(?<=x)/", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := connect(t, srv)
			id := newUUID()
			f := strings.NewReplacer("%s", id, "%S", strings.ToUpper(id)).Replace(tt.filter)
			if got := c.cmd("filter " + f); !strings.HasPrefix(got, "+OK filter added") {
				t.Fatalf("filter %s: %q", f, got)
			}
			c.cmd("event plain CHANNEL_CREATE")
			bgOriginate(t, c, "{origination_uuid="+id+"}sofia/gateway/gw/fail-1 &park()")
			time.Sleep(100 * time.Millisecond)
			if got := eventNames(c.snapshot())["CHANNEL_CREATE"]; got != tt.want {
				t.Errorf("filter %s: %d CHANNEL_CREATE, want %d", f, got, tt.want)
			}
		})
	}
}
