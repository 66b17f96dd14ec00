package dialer_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/calendar"
)

func TestExplain_NumberZones(t *testing.T) {
	mon10 := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC) // Monday 10:00 in New York
	cal := officeHours(t)
	short, err := (&dialer.CalendarSpec{Timezone: "America/New_York",
		Weekly: map[string][]string{"mon": {"09:00-09:30"}}}).Build("calendar")
	if err != nil {
		t.Fatal(err)
	}
	byNumber := func(fallback string) *dialer.Campaign {
		c := &dialer.Campaign{Name: "c", State: dialer.StateRunning, TimezonePolicy: dialer.TZNumber, TimezoneFallback: fallback}
		c.Normalize()
		return c
	}
	numbers := func(nums ...string) *dialer.Member {
		m := &dialer.Member{ID: 7, State: dialer.MemberWaiting}
		for i, n := range nums {
			m.Communications = append(m.Communications, dialer.Communication{ID: int64(i + 1), Number: n, Position: i + 1, State: dialer.CommActive})
		}
		return m
	}
	withZone := func(m *dialer.Member, tz string) *dialer.Member { m.Timezone = tz; return m }
	cases := []struct {
		name     string
		now      time.Time
		cal      *calendar.Calendar
		campaign *dialer.Campaign
		member   *dialer.Member
		callable bool
		number   string
		zones    string
		reason   string
		end      string
		fallback string
		skipped  string
	}{
		{name: "toll-free is skipped", now: mon10, cal: cal, campaign: byNumber(""), member: numbers("+18005550100"),
			reason: "number +18005550100 has no single zone (42 candidates); set the member's timezone or timezone_fallback: calendar",
			end:    "NO_TIMEZONE"},
		{name: "toll-free in the calendar's zone when the campaign says so", now: mon10, cal: cal, campaign: byNumber("calendar"),
			member: numbers("+18005550100"), callable: true, number: "+18005550100", zones: "America/New_York",
			fallback: "number +18005550100 has no single zone (42 candidates)"},
		{name: "toll-free out of the calendar's hours with the fallback", now: mon10.Add(-2 * time.Hour), cal: cal, campaign: byNumber("calendar"),
			member: numbers("+18005550100"), number: "+18005550100", zones: "America/New_York",
			reason: "calendar closed until 2026-11-23T09:00:00-05:00 in America/New_York", fallback: "has no single zone"},
		{name: "the member's own zone wins over the number's", now: mon10, cal: cal, campaign: byNumber(""),
			member: withZone(numbers("+18005550100"), "America/Los_Angeles"), number: "+18005550100", zones: "America/Los_Angeles",
			reason: "closed until 2026-11-23T09:00:00-08:00 in America/Los_Angeles"},
		{name: "a number with no known zone is skipped", now: mon10, cal: cal, campaign: byNumber(""), member: numbers("+80012345678"),
			reason: "no timezone is known for +80012345678; set the member's timezone or timezone_fallback: calendar", end: "NO_TIMEZONE"},
		{name: "zones that agree are one", now: mon10, cal: cal, campaign: byNumber(""), member: numbers("+447911123456"),
			callable: true, number: "+447911123456", zones: "Europe/Guernsey, Europe/Isle_of_Man, Europe/London"},
		{name: "an area over two zones is called when open in both", now: time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC), cal: cal,
			campaign: byNumber(""), member: numbers("+16055550100"), callable: true, number: "+16055550100",
			zones: "America/Denver, America/North_Dakota/Center"},
		{name: "an area over two zones waits for both to be open", now: mon10, cal: cal,
			campaign: byNumber(""), member: numbers("+16055550100"), number: "+16055550100",
			zones: "America/Denver, America/North_Dakota/Center", reason: "calendar closed until"},
		{name: "an area whose zones are never open at once is skipped", now: mon10, cal: short,
			campaign: byNumber(""), member: numbers("+16055550100"),
			reason: "number +16055550100 spans 2 zones (America/Denver, America/North_Dakota/Center) that are never open at once", end: "NO_TIMEZONE"},
		{name: "the next number is used when one has no zone", now: mon10, cal: cal, campaign: byNumber(""),
			member: numbers("+18005550100", "+12125550101"), callable: true, number: "+12125550101", zones: "America/New_York",
			skipped: "number +18005550100 has no single zone (42 candidates)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := dialer.Explain(dialer.CallableInput{Now: tc.now, Campaign: tc.campaign, Calendar: tc.cal, Member: tc.member})
			if v.Callable != tc.callable {
				t.Fatalf("callable = %v, want %v (reasons %v)", v.Callable, tc.callable, v.Reasons)
			}
			if tc.reason != "" && !strings.Contains(strings.Join(v.Reasons, "; "), tc.reason) {
				t.Errorf("reasons %q lack %q", v.Reasons, tc.reason)
			}
			if v.End != tc.end {
				t.Errorf("end = %q, want %q", v.End, tc.end)
			}
			if tc.number != "" && v.Number.Number != tc.number {
				t.Errorf("number = %q, want %q", v.Number.Number, tc.number)
			}
			if got := strings.Join(v.Zones, ", "); tc.zones != "" && got != tc.zones {
				t.Errorf("zones = %q, want %q", got, tc.zones)
			}
			if !strings.Contains(v.Fallback, tc.fallback) || (tc.fallback == "") != (v.Fallback == "") {
				t.Errorf("fallback = %q, want %q", v.Fallback, tc.fallback)
			}
			if got := strings.Join(v.Skipped, "; "); !strings.Contains(got, tc.skipped) || (tc.skipped == "") != (got == "") {
				t.Errorf("skipped = %q, want %q", got, tc.skipped)
			}
		})
	}
}

func TestCampaign_TimezoneFallback(t *testing.T) {
	for _, tc := range []struct {
		policy   dialer.TimezonePolicy
		fallback string
		want     string
	}{
		{dialer.TZNumber, "calendar", ""},
		{dialer.TZNumber, "", ""},
		{dialer.TZNumber, "member", `timezone_fallback: "member": must be calendar, or left out to skip members whose number's zone cannot be told`},
		{dialer.TZCalendar, "calendar", "timezone_fallback: only with timezone_policy: number"},
	} {
		c := &dialer.Campaign{Name: "c", Mode: dialer.ModeIVR, Dial: dialer.DialSpec{Template: "loopback/{number}/dialer_lab"},
			IVR: dialer.IVRTarget{Extension: "x"}, Calendar: dialer.CalendarRef{Name: "office-hours"},
			TimezonePolicy: tc.policy, TimezoneFallback: tc.fallback}
		c.Normalize()
		err := c.Validate()
		got := ""
		if err != nil {
			got = err.Error()
		}
		if (tc.want == "" && strings.Contains(got, "timezone_fallback")) || !strings.Contains(got, tc.want) {
			t.Errorf("policy %s, fallback %q: Validate = %v, want %q", tc.policy, tc.fallback, err, tc.want)
		}
	}
}
