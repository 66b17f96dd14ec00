package dialer_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsdialer/dialer/dialer"
)

func TestReadCampaign_Examples(t *testing.T) {
	files, _ := filepath.Glob("../testdata/campaigns/*.yaml")
	if len(files) < 3 {
		t.Fatalf("want one example per mode, found %v", files)
	}
	modes := map[dialer.Mode]bool{}
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		c, err := dialer.ReadCampaign(r, f)
		r.Close()
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		modes[c.Mode] = true
	}
	for _, m := range []dialer.Mode{dialer.ModeIVR, dialer.ModeProgressive, dialer.ModePreemptive} {
		if !modes[m] {
			t.Errorf("no example campaign in mode %s", m)
		}
	}
}

const base = `
name: t
mode: ivr
dial: {template: "sofia/gateway/{gw}/{number}", vars: {gw: a}}
ivr: {extension: e}
calendar: cal
`

func TestReadCampaign_FieldErrors(t *testing.T) {
	cases := []struct {
		name, doc, want string
	}{
		{"weekly order", base + "x: 1", "line 7: x: unknown field"},
		{"period reversed", strings.Replace(base, "calendar: cal", "calendar: {timezone: UTC, weekly: {mon: [\"09:00-10:00\", \"14:00-11:30\"]}}", 1),
			"calendar.weekly.mon[1]: end 11:30 is before start 14:00"},
		{"overlap", strings.Replace(base, "calendar: cal", "calendar: {timezone: UTC, weekly: {tue: [\"09:00-12:00\", \"11:00-13:00\"]}}", 1),
			"calendar.weekly.tue[1]: overlaps 09:00-12:00"},
		{"bad zone", strings.Replace(base, "calendar: cal", "calendar: {timezone: Mars/Olympus}", 1), "calendar.timezone: unknown timezone"},
		{"bad weekday", strings.Replace(base, "calendar: cal", "calendar: {timezone: UTC, weekly: {mun: [\"09:00-10:00\"]}}", 1), "calendar.weekly.mun: unknown weekday"},
		{"special", strings.Replace(base, "calendar: cal", "calendar: {timezone: UTC, special: [{date: 2026-02-30, periods: []}]}", 1), "calendar.special[0].date"},
		{"mode", strings.Replace(base, "mode: ivr", "mode: robot", 1), "mode: \"robot\": must be ivr, progressive, preemptive or predictive"},
		{"ring low", base + "limits: {ring_timeout: 3s}", "limits.ring_timeout: 3s: must be between 5s and 120s"},
		{"ring high", base + "limits: {ring_timeout: 121}", "limits.ring_timeout"},
		{"priority", base + "priority: 9", "priority: 9: must be 1"},
		{"template", strings.Replace(base, "{gw}/{number}", "{gw}/{number},user/1000", 1), "dial.template"},
		{"template var", strings.Replace(base, "vars: {gw: a}", "vars: {}", 1), "dial.vars.gw"},
		{"template value", strings.Replace(base, "vars: {gw: a}", "vars: {gw: \"a|b\"}", 1), "dial.vars.gw"},
		{"cause", base + "causes: {overrides: {USER_BUZY: ok}}", "causes.overrides.USER_BUZY: unknown cause"},
		{"class", base + "causes: {default: maybe}", "causes.default"},
		{"per cause", base + "retry: {per_cause: {NO_SUCH: {retries: 1}}}", "retry.per_cause.NO_SUCH"},
		{"non retry", base + "retry: {non_retry: [NOPE]}", "retry.non_retry[0]"},
		{"cron", base + "schedule: {start: \"61 * * * *\"}", "schedule.start"},
		{"cron zone", base + "schedule: {stop: \"TZ=UTC\"}", "schedule.stop: \"TZ=UTC\": no zone prefix"},
		{"cron tz", base + "schedule: {start: \"CRON_TZ=Asia/Tokyo 0 9 * * *\"}", "no zone prefix"},
		{"tz policy", base + "timezone_policy: moon", "timezone_policy"},
		{"variable name", base + "variables: {Bad-Name: x}", "variables.Bad-Name"},
		{"callback", base + "callback_url: ftp://x", "callback_url"},
		{"region", base + "default_region: XX", "default_region"},
		{"number order", base + "numbers: {order: type}", "numbers.types"},
		{"ivr extension", strings.Replace(base, "ivr: {extension: e}", "ivr: {}", 1), "ivr.extension: required"},
		{"duration", base + "retry: {interval: soon}", "not a duration"},
		{"two docs", base + "---\nname: other\n", "more than one document"},
		{"empty", "", "empty document"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dialer.ReadCampaign(strings.NewReader(tc.doc), "c.yaml")
			if err == nil {
				t.Fatalf("accepted; want error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "c.yaml") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestReadCampaign_ListsEveryProblem(t *testing.T) {
	_, err := dialer.ReadCampaign(strings.NewReader(base+"priority: 0\nlimits: {lines: -1}\n"), "c.yaml")
	var ve *dialer.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	paths := map[string]bool{}
	for _, p := range ve.Problems {
		paths[p.Path] = true
	}
	if !paths["limits.lines"] {
		t.Errorf("problems %v miss limits.lines", ve.Problems)
	}
}

func TestReadCampaign_JSONAndDefaults(t *testing.T) {
	doc := `{"name":"j","mode":"ivr","dial":{"template":"loopback/{number}/dialer_lab"},"ivr":{"extension":"x"},"calendar":"c"}`
	c, err := dialer.ReadCampaign(strings.NewReader(doc), "c.json")
	if err != nil {
		t.Fatal(err)
	}
	if c.Priority != 3 || c.Limits.RingTimeout.D().Seconds() != 20 || c.IVR.ResultVariable != "dialer_result" ||
		c.TimezonePolicy != dialer.TZCalendar || c.Retry.MaxAttempts != 3 || c.Causes.Default != "retry" {
		t.Fatalf("defaults not applied: %+v", c)
	}
}

func TestReadCalendar_NeedsName(t *testing.T) {
	_, err := dialer.ReadCalendar(strings.NewReader("timezone: UTC\n"), "cal.yaml")
	if err == nil || !strings.Contains(err.Error(), "cal.yaml: name: required") {
		t.Fatalf("err = %v", err)
	}
}

func FuzzReadCampaign(f *testing.F) {
	files, _ := filepath.Glob("../testdata/campaigns/*.yaml")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(string(b))
		}
	}
	f.Add(base)
	f.Fuzz(func(t *testing.T, doc string) {
		c, err := dialer.ReadCampaign(strings.NewReader(doc), "f.yaml")
		if err != nil {
			return
		}
		// Anything accepted is valid and stable under a second normalisation.
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted campaign fails Validate: %v", err)
		}
		if c.Limits.RingTimeout.D() < dialer.MinRingTimeout || c.Limits.RingTimeout.D() > dialer.MaxRingTimeout {
			t.Fatalf("ring timeout %s accepted", c.Limits.RingTimeout)
		}
	})
}

func FuzzReadCalendar(f *testing.F) {
	b, _ := os.ReadFile("../testdata/calendars/office-hours.yaml")
	f.Add(string(b))
	f.Add("name: x\ntimezone: UTC\nweekly: {mon: [\"00:00-24:00\"]}\n")
	f.Fuzz(func(t *testing.T, doc string) {
		s, err := dialer.ReadCalendar(strings.NewReader(doc), "f.yaml")
		if err != nil {
			return
		}
		if _, err := s.Build(""); err != nil {
			t.Fatalf("accepted calendar does not build: %v", err)
		}
	})
}
