package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestReport_SinceUntil(t *testing.T) {
	c := ivrWithResults(t)
	at := func(s string) string {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tableTime(v)
	}
	// Attempts began at 15:01 (answered), 15:02 (busy) and 15:03 (in a
	// call) UTC; the calendar's zone is America/New_York; now is 15:00 UTC.
	tests := []struct {
		name  string
		args  []string
		lines map[string]string
	}{
		{"no range", nil, map[string]string{
			"attempts:":     "attempts: 3 (in progress 1, final 2)",
			"abandon rate:": "abandon rate: 0.0% (0 of 1 answered calls)",
		}},
		{"since an RFC 3339 time", []string{"--since", "2026-11-23T15:01:30Z"}, map[string]string{
			"attempts begun:": "attempts begun: from " + at("2026-11-23T15:01:30Z") + " until now",
			"attempts:":       "attempts: 2 (in progress 1, final 1)",
			"members:":        "members: 3 (waiting 1, calling 1, done 1, failed 0)",
			"answer rate:":    "answer rate: 0.0% (0 of 1 final attempts)",
			"abandon rate:":   "abandon rate: - (no answered call yet)",
		}},
		{"until a zone-less time in the calendar's zone", []string{"--until", "2026-11-23T10:02"}, map[string]string{
			"attempts begun:": "attempts begun: from the first until " + at("2026-11-23T15:02:00Z"),
			"attempts:":       "attempts: 1 (in progress 0, final 1)",
		}},
		{"one whole day", []string{"--since", "2026-11-23", "--until", "2026-11-23"}, map[string]string{
			"attempts begun:": "attempts begun: from " + at("2026-11-23T05:00:00Z") + " until " + at("2026-11-24T05:00:00Z"),
			"attempts:":       "attempts: 3 (in progress 1, final 2)",
		}},
		{"the day before", []string{"--until", "2026-11-22"}, map[string]string{
			"attempts:":   "attempts: 0 (in progress 0, final 0)",
			"answer rate": "answer rate: - (no final attempt yet)",
		}},
		{"a duration back from now", []string{"--since", "24h"}, map[string]string{
			"attempts begun:": "attempts begun: from " + at("2026-11-22T15:00:00Z") + " until now",
			"attempts:":       "attempts: 3 (in progress 1, final 2)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := c.viewOK(append([]string{"report", "survey-ivr"}, tt.args...)...)
			for prefix, want := range tt.lines {
				if got := viewLine(t, out, prefix); got != want {
					t.Errorf("line %q, want %q", got, want)
				}
			}
			if tt.args == nil && strings.Contains(out, "attempts begun:") {
				t.Errorf("a range line without a range:\n%s", out)
			}
		})
	}

	var r struct {
		Since        *string `json:"since"`
		Until        *string `json:"until"`
		Attempts     struct{ Total int }
		Abandoned    *int     `json:"abandoned"`
		AnsweredLive *int     `json:"answered_live"`
		AbandonRate  *float64 `json:"abandon_rate"`
	}
	if err := json.Unmarshal([]byte(c.viewOK("report", "survey-ivr", "--since", "2026-11-23T15:01:30Z", "-o", "json")), &r); err != nil {
		t.Fatal(err)
	}
	if r.Since == nil || !strings.HasPrefix(*r.Since, "2026-11-23T15:01:30") || r.Until != nil || r.Attempts.Total != 2 ||
		r.Abandoned == nil || r.AnsweredLive == nil || r.AbandonRate == nil || *r.AnsweredLive != 0 {
		t.Errorf("json report = %+v", r)
	}

	c.viewFails(`--since "yesterday": want an RFC 3339 time`, "report", "survey-ivr", "--since", "yesterday")
	c.viewFails(`--until "-1h": a duration back from now must be positive`, "report", "survey-ivr", "--until", "-1h")
	c.viewFails("--since/--until: until 2026-11-23T00:00:00-05:00 is not after since", "report", "survey-ivr",
		"--since", "2026-11-23T12:00", "--until", "2026-11-23T00:00")
}

// In an agent mode an answered customer who was never bridged is an
// abandon, whatever the cause.
func TestReport_AbandonRate(t *testing.T) {
	c := newCLI(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/progressive.yaml")
	c.ok("member", "import", "--campaign", "renewals-progressive", "../../testdata/members/members.jsonl")
	c.seedSQL(
		`INSERT INTO attempts (id, campaign_id, member_id, number, uuid, final, created_at, answered_at,
		                       bridged_at, bridge_ended_at, ended_at, cause, q850, billsec_ms, class, counted)
		 VALUES (1, 1, 1, '+13125550111', 'u1', 1, 0, 1000, 2000, 65500, 65500, 'NORMAL_CLEARING', 16, 64500, 'ok', 1),
		        (2, 1, 2, '+12125550133', 'u2', 1, 70000, 71000, NULL, NULL, 91500, 'NORMAL_CLEARING', 16, 20500, 'retry', 1),
		        (3, 1, 2, '+12125550133', 'u3', 1, 95000, NULL, NULL, NULL, 96000, 'USER_BUSY', 17, 0, 'retry', 1)`,
	)
	out := c.viewOK("report", "renewals-progressive")
	if got, want := viewLine(t, out, "abandon rate:"), "abandon rate: 50.0% (1 of 2 answered calls)"; got != want {
		t.Fatalf("line %q, want %q\n%s", got, want, out)
	}
	contains(t, c.viewOK("report", "renewals-progressive", "-o", "yaml"), "abandoned: 1", "answered_live: 2", "abandon_rate: 0.5")
}
