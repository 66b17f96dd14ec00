package dialer_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/calendar"
	_ "time/tzdata"
)

func officeHours(t *testing.T) *calendar.Calendar {
	t.Helper()
	spec := dialer.CalendarSpec{Timezone: "America/New_York", Weekly: map[string][]string{
		"mon": {"09:00-11:30", "14:00-18:00"}, "tue": {"09:00-11:30", "14:00-18:00"},
	}}
	c, err := spec.Build("calendar")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestExplain(t *testing.T) {
	mon10 := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC) // Monday 10:00 in New York
	cal := officeHours(t)
	running := func(mod func(*dialer.Campaign)) *dialer.Campaign {
		c := &dialer.Campaign{Name: "c", State: dialer.StateRunning, TimezonePolicy: dialer.TZCalendar}
		c.Normalize()
		c.Retry.MaxPerDay = 2
		if mod != nil {
			mod(c)
		}
		return c
	}
	mem := func(mod func(*dialer.Member)) *dialer.Member {
		m := &dialer.Member{ID: 7, State: dialer.MemberWaiting, Communications: []dialer.Communication{
			{ID: 1, Number: "+12125550101", Position: 1, State: dialer.CommActive},
			{ID: 2, Number: "+14155550150", Position: 2, State: dialer.CommActive},
		}}
		if mod != nil {
			mod(m)
		}
		return m
	}
	cases := []struct {
		name     string
		now      time.Time
		campaign *dialer.Campaign
		member   *dialer.Member
		blocked  map[string]bool
		callable bool
		reason   string
		next     time.Time
		end      string
	}{
		{name: "callable", now: mon10, campaign: running(nil), member: mem(nil), callable: true, next: mon10},
		{name: "stopped campaign", now: mon10, campaign: running(func(c *dialer.Campaign) { c.State = dialer.StateStopped }),
			member: mem(nil), reason: "campaign c is stopped", next: mon10},
		{name: "lunch break", now: mon10.Add(2 * time.Hour), campaign: running(nil), member: mem(nil),
			reason: "calendar closed until 2026-11-23T14:00:00-05:00 in America/New_York", next: time.Date(2026, 11, 23, 19, 0, 0, 0, time.UTC)},
		{name: "member zone", now: mon10, campaign: running(func(c *dialer.Campaign) { c.TimezonePolicy = dialer.TZMember }),
			member: mem(func(m *dialer.Member) { m.Timezone = "America/Los_Angeles" }),
			reason: "closed until 2026-11-23T09:00:00-08:00 in America/Los_Angeles", next: time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)},
		{name: "member zone unset falls back", now: mon10, campaign: running(func(c *dialer.Campaign) { c.TimezonePolicy = dialer.TZMember }),
			member: mem(nil), callable: true, next: mon10},
		{name: "number zone", now: mon10, campaign: running(func(c *dialer.Campaign) { c.TimezonePolicy = dialer.TZNumber }),
			member: mem(func(m *dialer.Member) { m.NextCommID = 2 }),
			reason: "in America/Los_Angeles", next: time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)},
		{name: "number zone unknown fails closed", now: mon10, campaign: running(func(c *dialer.Campaign) { c.TimezonePolicy = dialer.TZNumber }),
			member: mem(func(m *dialer.Member) {
				m.Communications = []dialer.Communication{{ID: 3, Number: "+80012345678", Position: 1, State: "active"}}
			}),
			reason: "no timezone is known for +80012345678", end: "NO_TIMEZONE"},
		{name: "retry wait", now: mon10, campaign: running(nil), member: mem(func(m *dialer.Member) { m.DueAt = mon10.Add(30 * time.Minute) }),
			reason: "waiting for retry until 2026-11-23T15:30:00Z", next: mon10.Add(30 * time.Minute)},
		{name: "retry wait into lunch", now: mon10, campaign: running(nil), member: mem(func(m *dialer.Member) { m.DueAt = mon10.Add(2 * time.Hour) }),
			reason: "waiting for retry", next: time.Date(2026, 11, 23, 19, 0, 0, 0, time.UTC)},
		{name: "daily cap", now: mon10, campaign: running(nil),
			member: mem(func(m *dialer.Member) { m.Day, m.DayAttempts = "2026-11-23", 2 }),
			reason: "daily cap reached (2 of 2 attempts today)", next: time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC)},
		{name: "cap of yesterday", now: mon10, campaign: running(nil),
			member: mem(func(m *dialer.Member) { m.Day, m.DayAttempts = "2026-11-22", 2 }), callable: true, next: mon10},
		{name: "expired", now: mon10, campaign: running(nil), member: mem(func(m *dialer.Member) { m.ExpiresAt = mon10.Add(-time.Minute) }),
			reason: "expired at 2026-11-23T14:59:00Z", end: "MEMBER_EXPIRED"},
		{name: "expires before window", now: mon10.Add(2 * time.Hour), campaign: running(nil),
			member: mem(func(m *dialer.Member) { m.ExpiresAt = mon10.Add(3 * time.Hour) }), reason: "expires at 2026-11-23T18:00:00Z before it can be called"},
		{name: "blocked", now: mon10, campaign: running(nil), member: mem(nil),
			blocked: map[string]bool{"+12125550101": true, "+14155550150": true}, reason: "every number is on the blocklist", end: "BLOCKED"},
		{name: "one blocked uses the other", now: mon10, campaign: running(nil), member: mem(nil),
			blocked: map[string]bool{"+12125550101": true}, callable: true, next: mon10},
		{name: "filter", now: mon10, campaign: running(func(c *dialer.Campaign) { c.Filter = map[string][]string{"segment": {"retail"}} }),
			member: mem(func(m *dialer.Member) { m.Variables = map[string]string{"segment": "gov"} }), reason: "attribute filter (segment in [retail])", next: mon10},
		{name: "in call", now: mon10, campaign: running(nil), member: mem(func(m *dialer.Member) { m.State = dialer.MemberCalling }), reason: "in a call now", next: mon10},
		{name: "done", now: mon10, campaign: running(nil), member: mem(func(m *dialer.Member) { m.State = dialer.MemberDone }), reason: "done"},
		{name: "failed", now: mon10, campaign: running(nil),
			member: mem(func(m *dialer.Member) { m.State, m.EndCause = dialer.MemberFailed, "MAX_TRY_COUNT" }), reason: "ended: MAX_TRY_COUNT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := dialer.Explain(dialer.CallableInput{Now: tc.now, Campaign: tc.campaign, Calendar: cal, Member: tc.member,
				Blocked: func(n string) bool { return tc.blocked[n] }})
			if v.Callable != tc.callable {
				t.Fatalf("callable = %v, want %v (reasons %v)", v.Callable, tc.callable, v.Reasons)
			}
			if tc.reason != "" && !strings.Contains(strings.Join(v.Reasons, "; "), tc.reason) {
				t.Errorf("reasons %q lack %q", v.Reasons, tc.reason)
			}
			if !v.NextAt.Equal(tc.next) {
				t.Errorf("next = %v, want %v", v.NextAt, tc.next)
			}
			if v.End != tc.end {
				t.Errorf("end = %q, want %q", v.End, tc.end)
			}
		})
	}
}

func TestNextOpenInAll_MustBeOpenEverywhere(t *testing.T) {
	cal := officeHours(t)
	ny, _ := time.LoadLocation("America/New_York")
	la, _ := time.LoadLocation("America/Los_Angeles")
	// Monday 08:00 New York: New York opens at 09:00 (14:00Z), Los Angeles
	// at 09:00 PST (17:00Z) when New York is closed for lunch; both are open
	// from 14:00 New York = 11:00 Los Angeles (19:00Z).
	from := time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)
	got, ok := dialer.NextOpenInAll(cal, []*time.Location{ny, la}, from)
	want := time.Date(2026, 11, 23, 19, 0, 0, 0, time.UTC)
	if !ok || !got.Equal(want) {
		t.Fatalf("NextOpenInAll = %v %v, want %v", got, ok, want)
	}
	if dialer.OpenInAll(cal, []*time.Location{ny, la}, want.Add(-time.Second)) {
		t.Fatal("open in all one second before the common window")
	}
	if dialer.OpenInAll(cal, nil, want) {
		t.Fatal("no zones must mean closed")
	}
}
