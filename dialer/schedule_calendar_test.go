package dialer_test

import (
	"strings"
	"testing"

	"github.com/fsdialer/dialer/dialer"
)

func TestReadCampaign_ScheduleThatNeverOrAlwaysFires(t *testing.T) {
	for _, tc := range []struct {
		name, schedule, want string
	}{
		{"never", `{stop: "0 9 31 2 *"}`, `c.yaml: schedule.stop: "0 9 31 2 *": never fires`},
		{"april 31", `{start: "0 9 31 4 *"}`, `c.yaml: schedule.start: "0 9 31 4 *": never fires`},
		{"every 0s", `{start: "@every 0s"}`, `c.yaml: schedule.start: "@every 0s": interval must be at least 1m`},
		{"every 30s", `{stop: "@every 30s"}`, `c.yaml: schedule.stop: "@every 30s": interval must be at least 1m`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dialer.ReadCampaign(strings.NewReader(base+"schedule: "+tc.schedule+"\n"), "c.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	for _, ok := range []string{`{start: "@every 1m"}`, `{start: "0 9 29 2 *"}`, `{start: "0 9 * * 1-5", stop: "0 18 * * 1-5"}`} {
		if _, err := dialer.ReadCampaign(strings.NewReader(base+"schedule: "+ok+"\n"), "c.yaml"); err != nil {
			t.Errorf("schedule %s refused: %v", ok, err)
		}
	}
}

func TestReadCalendar_OverlappingSpecialDates(t *testing.T) {
	const head = "name: office-hours\ntimezone: America/New_York\nweekly: {mon: [\"09:00-17:00\"]}\nspecial:\n"
	for _, tc := range []struct {
		name, special string
		want          []string
	}{
		{"date inside a range", `
  - {name: Christmas week, from: 2026-12-24, to: 2026-12-31, periods: ["10:00-12:00"]}
  - {name: Boxing Day, date: 2026-12-26, periods: []}
  - {name: Christmas Eve, date: 2026-12-24, periods: []}
`, []string{
			"cal.yaml: special[1]: overlaps special[0] (2026-12-26)",
			"cal.yaml: special[2]: overlaps special[0] (2026-12-24)",
		}},
		{"two ranges", `
  - {from: 2026-12-20, to: 2026-12-27, periods: []}
  - {from: 2026-12-24, to: 2027-01-02, periods: []}
`, []string{"cal.yaml: special[1]: overlaps special[0] (2026-12-24 to 2026-12-27)"}},
		{"same date twice", `
  - {date: 2026-11-26, periods: []}
  - {date: 2026-11-26, periods: ["10:00-12:00"]}
`, []string{"cal.yaml: special[1]: overlaps special[0] (2026-11-26)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dialer.ReadCalendar(strings.NewReader(head+tc.special), "cal.yaml")
			if err == nil {
				t.Fatal("overlapping special dates accepted")
			}
			if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("error:\n%s\nwant:\n%s", err, strings.Join(tc.want, "\n"))
			}
		})
	}
	adjacent := head + `
  - {from: 2026-12-24, to: 2026-12-26, periods: []}
  - {from: 2026-12-27, to: 2026-12-31, periods: ["10:00-12:00"]}
`
	if _, err := dialer.ReadCalendar(strings.NewReader(adjacent), "cal.yaml"); err != nil {
		t.Fatalf("adjacent special dates refused: %v", err)
	}
}

func TestReadCampaign_InlineCalendarOverlappingSpecialDates(t *testing.T) {
	doc := strings.Replace(base, "calendar: cal", `calendar:
  timezone: UTC
  special:
    - {date: 2026-12-25, periods: []}
    - {from: 2026-12-20, to: 2026-12-31, periods: []}`, 1)
	_, err := dialer.ReadCampaign(strings.NewReader(doc), "c.yaml")
	if want := "c.yaml: calendar.special[1]: overlaps calendar.special[0] (2026-12-25)"; err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}
