package dialer_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
)

const predictiveBase = `name: p
mode: predictive
dial: {template: "loopback/{number}/dialer_lab"}
calendar: cal
`

func TestReadCampaign_ComplianceContradictions(t *testing.T) {
	fcc := predictiveBase + "compliance: us-fcc\n"
	msg := "abandon: {message: /var/sounds/acme-safe-harbor.wav}\n"
	cases := []struct {
		name, doc, want string
	}{
		{"target", fcc + "abandon: {message: acme.wav, target: 5%}\n", "c.yaml: abandon.target: 5% is above us-fcc's 3%"},
		{"ring", fcc + msg + "limits: {ring_timeout: 10s}\n", "c.yaml: limits.ring_timeout: 10s is below us-fcc's 15 s minimum ring"},
		{"ring in ivr", strings.Replace(base, "calendar: cal", "calendar: cal\ncompliance: uk-ofcom\nlimits: {ring_timeout: 12s}", 1),
			"limits.ring_timeout: 12s is below uk-ofcom's 15 s minimum ring"},
		{"after", fcc + "abandon: {message: acme.wav, after: 3s}\n", "abandon.after: 3s is above us-fcc's 2 s"},
		{"no message", fcc, `abandon.message: us-fcc requires a recorded safe-harbor message naming the caller (a sound file), not "tone_stream://`},
		{"tone", fcc + "abandon: {message: \"tone_stream://%(400,200,400)\"}\n", "abandon.message: us-fcc requires a recorded"},
		{"window", fcc + "abandon: {message: acme.wav, window: 1440h}\n", "abandon.window: 1440h0m0s is longer than us-fcc's 720h0m0s (30 days)"},
		{"uk window", strings.Replace(fcc, "us-fcc", "uk-ofcom", 1) + "abandon: {message: acme.wav, window: 48h}\n",
			"abandon.window: 48h0m0s is longer than uk-ofcom's 24h0m0s (24 hours)"},
		{"fallback", fcc + msg + "timezone_policy: number\ntimezone_fallback: calendar\n",
			"timezone_fallback: calendar contradicts us-fcc: a number whose zone cannot be told is not called (08:00-21:00 in the callee's zone)"},
		{"unknown", predictiveBase + "compliance: eu\n", `compliance: "eu": must be uk-ofcom, us-fcc or none`},
		{"progressive hold", strings.Replace(fcc, "mode: predictive", "mode: progressive", 1) + msg + "agents: {hold_time: 20s}\n",
			"agents.hold_time: 20s is above us-fcc's 2 s"},
		{"progressive message", strings.Replace(fcc, "mode: predictive", "mode: progressive", 1),
			`abandon.message: us-fcc requires a recorded safe-harbor message naming the caller (a sound file), not ""`},
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
		})
	}
}

func TestReadCampaign_ComplianceFillsItsValues(t *testing.T) {
	msg := "abandon: {message: acme-safe-harbor.wav}\n"
	cases := []struct {
		name, doc string
		window    time.Duration
		target    dialer.Ratio
		after     time.Duration
	}{
		{"us-fcc", predictiveBase + "compliance: us-fcc\n" + msg, 30 * 24 * time.Hour, 0.03, dialer.DefaultAbandonAfter},
		{"uk-ofcom", predictiveBase + "compliance: uk-ofcom\n" + msg, 24 * time.Hour, 0.03, dialer.DefaultAbandonAfter},
		{"stricter values stay", predictiveBase + "compliance: us-fcc\nabandon: {message: a.wav, target: 2%, window: 24h, after: 1s}\n",
			24 * time.Hour, 0.02, time.Second},
		{"none", predictiveBase + "compliance: none\n", 30 * 24 * time.Hour, 0.03, dialer.DefaultAbandonAfter},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := dialer.ReadCampaign(strings.NewReader(tc.doc), "c.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Abandon.Window.D(); got != tc.window {
				t.Errorf("abandon.window = %s, want %s", got, tc.window)
			}
			if c.Abandon.Target != tc.target {
				t.Errorf("abandon.target = %s, want %s", c.Abandon.Target, tc.target)
			}
			if got := c.Abandon.After.D(); got != tc.after {
				t.Errorf("abandon.after = %s, want %s", got, tc.after)
			}
		})
	}
	c, err := dialer.ReadCampaign(strings.NewReader(strings.Replace(predictiveBase, "mode: predictive", "mode: progressive", 1)+
		"compliance: uk-ofcom\n"+msg), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Agents.HoldTime.D() != dialer.DefaultAbandonAfter || c.Abandon.Window.D() != 24*time.Hour {
		t.Errorf("progressive under uk-ofcom: hold %s, window %s; want %s and 24h", c.Agents.HoldTime, c.Abandon.Window, dialer.DefaultAbandonAfter)
	}
	// A profile's window only applies where abandons can happen.
	c, err = dialer.ReadCampaign(strings.NewReader(strings.Replace(base, "calendar: cal", "calendar: cal\ncompliance: us-fcc", 1)), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Abandon != (dialer.AbandonSpec{}) {
		t.Errorf("ivr campaign got abandon settings %+v", c.Abandon)
	}
}

func TestExplain_CalleeLocalHours(t *testing.T) {
	always, err := (&dialer.CalendarSpec{Timezone: "UTC", Weekly: map[string][]string{
		"mon": {"00:00-24:00"}, "tue": {"00:00-24:00"}, "wed": {"00:00-24:00"}, "thu": {"00:00-24:00"},
		"fri": {"00:00-24:00"}, "sat": {"00:00-24:00"}, "sun": {"00:00-24:00"}}}).Build("calendar")
	if err != nil {
		t.Fatal(err)
	}
	noon, err := (&dialer.CalendarSpec{Timezone: "UTC", Weekly: map[string][]string{
		"mon": {"12:00-14:00"}, "tue": {"12:00-14:00"}, "wed": {"12:00-14:00"}}}).Build("calendar")
	if err != nil {
		t.Fatal(err)
	}
	// Monday 2026-11-23 21:30 in New York (EST, UTC-5).
	late := time.Date(2026, 11, 24, 2, 30, 0, 0, time.UTC)
	campaign := func(profile string, mod func(*dialer.Campaign)) *dialer.Campaign {
		c := &dialer.Campaign{Name: "c", Mode: dialer.ModeIVR, State: dialer.StateRunning, Compliance: profile}
		if mod != nil {
			mod(c)
		}
		c.Normalize()
		return c
	}
	member := func(tz string, nums ...string) *dialer.Member {
		m := &dialer.Member{ID: 7, State: dialer.MemberWaiting, Timezone: tz}
		for i, n := range nums {
			m.Communications = append(m.Communications, dialer.Communication{ID: int64(i + 1), Number: n, Position: i + 1, State: dialer.CommActive})
		}
		return m
	}
	cases := []struct {
		name     string
		now      time.Time
		campaign *dialer.Campaign
		cal      string
		member   *dialer.Member
		callable bool
		number   string
		nextAt   time.Time
		reason   string
		end      string
	}{
		{name: "a US number at 21:30 its time is not called", now: late, campaign: campaign("us-fcc", nil),
			member: member("", "+12125550101"), number: "+12125550101",
			nextAt: time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC),
			reason: "outside the callee's calling hours (08:00-21:00 America/New_York, us-fcc) until 2026-11-24T08:00:00-05:00"},
		{name: "without a profile it is", now: late, campaign: campaign("", nil), member: member("", "+12125550101"),
			callable: true, number: "+12125550101", nextAt: late},
		{name: "none is no profile", now: late, campaign: campaign("none", nil), member: member("", "+12125550101"),
			callable: true, number: "+12125550101", nextAt: late},
		{name: "at 08:00 its time it is", now: time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC), campaign: campaign("us-fcc", nil),
			member: member("", "+12125550101"), callable: true, number: "+12125550101", nextAt: time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)},
		{name: "20:59 in Los Angeles is still in hours", now: time.Date(2026, 11, 24, 4, 59, 0, 0, time.UTC), campaign: campaign("uk-ofcom", nil),
			member: member("", "+14155550150"), callable: true, number: "+14155550150", nextAt: time.Date(2026, 11, 24, 4, 59, 0, 0, time.UTC)},
		{name: "a number with no zone is never called", now: late, campaign: campaign("us-fcc", nil), member: member("", "+80012345678"),
			reason: "no timezone is known for +80012345678, and us-fcc calls only within 08:00-21:00 of the callee's zone; set the member's timezone (ends as NO_TIMEZONE)",
			end:    "NO_TIMEZONE"},
		// From Guam (UTC+10) to Pago Pago (UTC-11), +1 800 is in hours
		// from 08:00 in Guam to 21:00 in St John's: 22:00-00:30 UTC.
		{name: "a toll-free number waits for its hours in every zone", now: late, campaign: campaign("us-fcc", nil),
			member: member("", "+18005550100"), number: "+18005550100", nextAt: time.Date(2026, 11, 24, 22, 0, 0, 0, time.UTC),
			reason: "outside the callee's calling hours (08:00-21:00 in all 42 zones of +18005550100, us-fcc) until 2026-11-25T08:00:00+10:00"},
		{name: "a toll-free number is called when in hours everywhere", now: time.Date(2026, 11, 24, 23, 0, 0, 0, time.UTC),
			campaign: campaign("us-fcc", nil), member: member("", "+18005550100"), callable: true, number: "+18005550100",
			nextAt: time.Date(2026, 11, 24, 23, 0, 0, 0, time.UTC)},
		{name: "the next number with a zone is called", now: time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC), campaign: campaign("us-fcc", nil),
			member: member("", "+80012345678", "+12125550101"), callable: true, number: "+12125550101",
			nextAt: time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)},
		{name: "the member's zone tells a number's", now: time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC), campaign: campaign("us-fcc", nil),
			member: member("America/Chicago", "+80012345678"), callable: true, number: "+80012345678",
			nextAt: time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)},
		{name: "the member's zone is read, not the number's", now: time.Date(2026, 11, 24, 13, 30, 0, 0, time.UTC), campaign: campaign("us-fcc", nil),
			member: member("America/Los_Angeles", "+12125550101"), number: "+12125550101",
			nextAt: time.Date(2026, 11, 24, 16, 0, 0, 0, time.UTC), reason: "08:00-21:00 America/Los_Angeles, us-fcc"},
		{name: "the next time open in both the calendar and the hours", now: late, campaign: campaign("us-fcc", nil), cal: "noon",
			member: member("", "+12125550101"), number: "+12125550101",
			// The calendar opens at 12:00 UTC, 07:00 in New York: the call waits for 08:00 there.
			nextAt: time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC), reason: "outside the callee's calling hours"},
		{name: "the hours apply under policy number too", now: late, cal: "",
			campaign: campaign("us-fcc", func(c *dialer.Campaign) { c.TimezonePolicy = dialer.TZNumber }),
			member:   member("", "+12125550101"), number: "+12125550101", nextAt: time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC),
			reason: "outside the callee's calling hours"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cal := always
			if tc.cal == "noon" {
				cal = noon
			}
			v := dialer.Explain(dialer.CallableInput{Now: tc.now, Campaign: tc.campaign, Calendar: cal, Member: tc.member})
			if v.Callable != tc.callable {
				t.Fatalf("callable = %v, want %v (reasons %v)", v.Callable, tc.callable, v.Reasons)
			}
			if v.End != tc.end {
				t.Errorf("end = %q, want %q (reasons %v)", v.End, tc.end, v.Reasons)
			}
			if tc.number != "" && v.Number.Number != tc.number {
				t.Errorf("number = %s, want %s", v.Number.Number, tc.number)
			}
			if !v.NextAt.Equal(tc.nextAt) {
				t.Errorf("next at = %s, want %s", v.NextAt, tc.nextAt)
			}
			reasons := strings.Join(v.Reasons, "\n")
			if tc.reason != "" && !strings.Contains(reasons, tc.reason) {
				t.Errorf("reasons %q do not contain %q", reasons, tc.reason)
			}
			if tc.reason == "" && len(v.Reasons) > 0 {
				t.Errorf("reasons %q, want none", reasons)
			}
		})
	}
}
