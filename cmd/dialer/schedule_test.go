package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/config"
	"github.com/spf13/cobra"
)

// runSchedule runs `campaign schedule` under a root of its own, built the
// way newRootCmd builds one, with the clock fixed at c.now.
func (c *cli) runSchedule(args ...string) (string, error) {
	a := &app{environ: append([]string{"DIALER_DATABASE=" + c.db}, c.env...), now: func() time.Time { return c.now }}
	root := &cobra.Command{
		Use:           "dialer",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			cfg, used, err := config.Load(a.cfgFile, cmd.Flags(), a.environ)
			if err != nil {
				return err
			}
			a.cfg, a.used = cfg, used
			return nil
		},
	}
	campaign := &cobra.Command{Use: "campaign"}
	campaign.AddCommand(newCampaignScheduleCmd(a))
	root.AddCommand(campaign)
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"campaign", "schedule"}, args...))
	err := root.Execute()
	return out.String(), err
}

func TestCampaignSchedule_PrintsStartsAndStops(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")         // weekdays 09:00-18:00, New York
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/progressive.yaml") // no schedule

	t.Run("merged in time order across the spring-forward change", func(t *testing.T) {
		out, err := c.runSchedule("survey-ivr", "-n", "4", "--from", "2026-03-06T12:00:00-05:00")
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Split(strings.TrimSpace(out), "\n")
		want := []string{
			`campaign survey-ivr is stopped; start "0 9 * * 1-5", stop "0 18 * * 1-5", in America/New_York`,
			"EVENT  DAY  America/New_York         UTC",
			"stop   Fri  2026-03-06 18:00:00 EST  2026-03-06 23:00:00 UTC",
			"start  Mon  2026-03-09 09:00:00 EDT  2026-03-09 13:00:00 UTC",
			"stop   Mon  2026-03-09 18:00:00 EDT  2026-03-09 22:00:00 UTC",
			"start  Tue  2026-03-10 09:00:00 EDT  2026-03-10 13:00:00 UTC",
		}
		if len(got) != len(want) {
			t.Fatalf("got %d lines, want %d:\n%s", len(got), len(want), out)
		}
		for i := range want {
			if strings.TrimRight(got[i], " ") != want[i] {
				t.Errorf("line %d:\n got %q\nwant %q", i, got[i], want[i])
			}
		}
	})
	t.Run("from now by default", func(t *testing.T) {
		out, err := c.runSchedule("survey-ivr", "-n", "2") // now: Mon 2026-11-23 10:00 EST
		if err != nil {
			t.Fatal(err)
		}
		contains(t, out, "stop   Mon  2026-11-23 18:00:00 EST", "start  Tue  2026-11-24 09:00:00 EST")
		if strings.Count(out, "\n") != 4 {
			t.Fatalf("want a header, a title and 2 times:\n%s", out)
		}
	})
	t.Run("json", func(t *testing.T) {
		out, err := c.runSchedule("survey-ivr", "-n", "3", "--from", "2026-11-23T15:00:00Z", "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		var got campaignSchedule
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if got.Zone != "America/New_York" || got.State != "stopped" || len(got.Runs) != 3 {
			t.Fatalf("got %+v", got)
		}
		if r := got.Runs[1]; r.Event != "start" || !r.At.Equal(time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC)) {
			t.Fatalf("second run %+v, want start at 2026-11-24T14:00:00Z", r)
		}
		contains(t, out, `"at": "2026-11-23T23:00:00.000Z"`, `"zone": "America/New_York"`)
	})
	t.Run("a paused campaign is said to stay paused at a start", func(t *testing.T) {
		c.ok("campaign", "start", "survey-ivr")
		c.ok("campaign", "pause", "survey-ivr")
		out, err := c.runSchedule("survey-ivr", "-n", "1")
		if err != nil {
			t.Fatal(err)
		}
		contains(t, out, "is paused;", "a scheduled start leaves it paused")
		c.ok("campaign", "stop", "survey-ivr")
	})
	t.Run("no schedule", func(t *testing.T) {
		out, err := c.runSchedule("renewals-progressive")
		if err != nil {
			t.Fatal(err)
		}
		contains(t, out, "campaign renewals-progressive has no schedule")
	})
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown campaign", []string{"nope"}, `no campaign named "nope"`},
		{"count below one", []string{"survey-ivr", "-n", "0"}, "-n 0: must be at least 1"},
		{"bad --from", []string{"survey-ivr", "--from", "tomorrow"}, `--from "tomorrow"`},
		{"bad output", []string{"survey-ivr", "-o", "csv"}, `--output "csv"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := c.runSchedule(tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCampaignSchedule_RefusesAZonePrefix(t *testing.T) {
	c := setup(t)
	src, err := os.ReadFile("../../testdata/campaigns/ivr.yaml")
	if err != nil {
		t.Fatal(err)
	}
	own := strings.Replace(string(src), `start: "0 9 * * 1-5"`, `start: "CRON_TZ=Asia/Tokyo 0 9 * * 1-5"`, 1)
	_, err = c.run(own, "campaign", "apply", "-f", "-")
	if err == nil || !strings.Contains(err.Error(), `schedule.start: "CRON_TZ=Asia/Tokyo 0 9 * * 1-5": no zone prefix`) {
		t.Fatalf("a schedule with its own zone was accepted: %v", err)
	}
}
