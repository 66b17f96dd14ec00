package calendar_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer/calendar"
)

func TestCalendar_Validate(t *testing.T) {
	p := func(s, e calendar.Clock) calendar.Period { return calendar.Period{Start: s, End: e} }
	cases := []struct {
		name string
		cal  calendar.Calendar
		want []string // one line per field error, in order
	}{
		{name: "empty", cal: calendar.Calendar{}},
		{
			name: "unsorted touching periods are fine",
			cal: calendar.Calendar{Weekly: weekly(t, map[string]string{
				"mon": "14:00-18:00,09:00-11:30,11:30-12:00",
				"sun": "22:00-24:00,00:00-02:00",
			})},
		},
		{
			name: "overlap within a weekday",
			cal:  calendar.Calendar{Weekly: weekly(t, map[string]string{"mon": "09:00-11:30,11:00-12:00"})},
			want: []string{"weekly.mon[1]: overlaps 09:00-11:30"},
		},
		{
			name: "overlap reported against the earlier period, given in any order",
			cal:  calendar.Calendar{Weekly: weekly(t, map[string]string{"wed": "14:00-18:00,09:00-11:30,08:00-10:00,17:00-19:00"})},
			want: []string{"weekly.wed[2]: overlaps 09:00-11:30", "weekly.wed[3]: overlaps 14:00-18:00"},
		},
		{
			name: "a period inside another",
			cal:  calendar.Calendar{Weekly: weekly(t, map[string]string{"sun": "00:00-24:00,12:00-13:00"})},
			want: []string{"weekly.sun[1]: overlaps 00:00-24:00"},
		},
		{
			name: "bad period values built by hand",
			cal: calendar.Calendar{Weekly: [7][]calendar.Period{
				time.Tuesday:  {p(840, 690), p(540, 540)},
				time.Saturday: {p(-5, 60), p(0, 1500)},
			}},
			want: []string{
				"weekly.tue[0]: end 11:30 is before start 14:00",
				"weekly.tue[1]: end 09:00 is not after start 09:00",
				"weekly.sat[0]: start Clock(-5) is out of range 00:00..24:00",
				"weekly.sat[1]: end Clock(1500) is out of range 00:00..24:00",
			},
		},
		{
			name: "special dates",
			cal: calendar.Calendar{Special: []calendar.Special{
				{From: date(t, "2026-12-24"), To: date(t, "2026-12-26"), Name: "Christmas"},
				{From: date(t, "2026-12-31"), To: date(t, "2026-12-30")},
				{From: date(t, "2026-05-01"), To: date(t, "2026-05-01"), Periods: periods(t, "10:00-12:00,08:00-09:00,11:00-13:00")},
				{From: calendar.Date{Year: 2026, Month: 2, Day: 30}, To: calendar.Date{Year: 2026, Month: 13, Day: 1}},
			}},
			want: []string{
				"special[1]: from 2026-12-31 is after to 2026-12-30",
				"special[2].periods[2]: overlaps 10:00-12:00",
				"special[3].from: 2026-02-30 is not a valid date: day 30 is out of range 1..28 for 2026-02",
				"special[3].to: 2026-13-01 is not a valid date: month 13 is out of range 1..12",
			},
		},
		{
			name: "validity range",
			cal: calendar.Calendar{
				ValidFrom:  ts(t, "2026-06-01T00:00:00Z"),
				ValidUntil: ts(t, "2026-06-01T00:00:00Z"),
			},
			want: []string{"valid_until: 2026-06-01T00:00:00Z is not after valid_from 2026-06-01T00:00:00Z"},
		},
		{
			name: "only one bound is fine",
			cal:  calendar.Calendar{ValidUntil: ts(t, "2026-06-01T00:00:00Z")},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cal.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tc.want)
			}
			if got, want := err.Error(), strings.Join(tc.want, "\n"); got != want {
				t.Errorf("Validate() =\n%s\nwant\n%s", got, want)
			}
			var fe *calendar.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() error %T does not hold a *FieldError", err)
			}
			if got, want := fe.Field+": "+fe.Reason, tc.want[0]; got != want {
				t.Errorf("first FieldError = %q, want %q", got, want)
			}
			if len(tc.want) == 1 {
				if _, ok := err.(*calendar.FieldError); !ok {
					t.Errorf("a single error is a %T, want *calendar.FieldError", err)
				}
			}
		})
	}
}

// office is open Mon-Fri 09:00-11:30 and 14:00-18:00, Sat 10:00-12:00, in Berlin.
func office(t testing.TB) *calendar.Calendar {
	t.Helper()
	return &calendar.Calendar{
		Location: mustLoc(t, "Europe/Berlin"),
		Weekly: weekly(t, map[string]string{
			"mon": "09:00-11:30,14:00-18:00", "tue": "14:00-18:00,09:00-11:30", "wed": "09:00-11:30,14:00-18:00",
			"thu": "09:00-11:30,14:00-18:00", "fri": "09:00-11:30,14:00-18:00", "sat": "10:00-12:00",
		}),
		Special: []calendar.Special{
			{From: date(t, "2026-12-24"), To: date(t, "2026-12-26"), Name: "Christmas"},
			{From: date(t, "2026-12-31"), To: date(t, "2026-12-31"), Periods: periods(t, "09:00-12:00"), Name: "New Year's Eve"},
			{From: date(t, "2026-12-31"), To: date(t, "2027-01-01"), Name: "shadowed by the entry before"},
		},
	}
}

func TestCalendar_IsOpen(t *testing.T) {
	c := office(t)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		at   string
		want bool
	}{
		{"2026-06-01T08:59:59+02:00", false}, // Monday
		{"2026-06-01T09:00:00+02:00", true},
		{"2026-06-01T11:29:59.999+02:00", true},
		{"2026-06-01T11:30:00+02:00", false},
		{"2026-06-01T13:59:59+02:00", false},
		{"2026-06-01T14:00:00+02:00", true},
		{"2026-06-01T17:59:59+02:00", true},
		{"2026-06-01T18:00:00+02:00", false},
		{"2026-06-02T10:00:00+02:00", true},  // Tuesday, periods given out of order
		{"2026-06-01T07:30:00Z", true},       // 09:30 in Berlin
		{"2026-06-06T11:00:00+02:00", true},  // Saturday
		{"2026-06-06T14:00:00+02:00", false}, // Saturday afternoon
		{"2026-06-07T10:00:00+02:00", false}, // Sunday
		{"2026-12-23T10:00:00+01:00", true},  // Wednesday before Christmas
		{"2026-12-24T10:00:00+01:00", false}, // Christmas range, closed all day
		{"2026-12-25T10:00:00+01:00", false},
		{"2026-12-25T15:00:00+01:00", false},
		{"2026-12-26T10:30:00+01:00", false}, // a Saturday, but a special date
		{"2026-12-28T10:00:00+01:00", true},  // Monday after
		{"2026-12-31T11:45:00+01:00", true},  // replacement periods: 09:00-12:00
		{"2026-12-31T15:00:00+01:00", false}, // weekly afternoon replaced
		{"2027-01-01T10:00:00+01:00", false}, // Friday, second special (first covering wins only on 12-31)
	}
	for _, tc := range cases {
		if got := c.IsOpen(ts(t, tc.at)); got != tc.want {
			t.Errorf("IsOpen(%s) = %v, want %v", tc.at, got, tc.want)
		}
	}
}

func TestCalendar_NilLocationIsUTC(t *testing.T) {
	c := &calendar.Calendar{Weekly: weekly(t, map[string]string{"mon": "09:00-10:00"})}
	if !c.IsOpen(ts(t, "2026-06-01T09:30:00Z")) || c.IsOpen(ts(t, "2026-06-01T09:30:00+02:00")) {
		t.Error("a calendar without a location is not read in UTC")
	}
}

func TestCalendar_Validity(t *testing.T) {
	c := &calendar.Calendar{
		Location:   time.UTC,
		Weekly:     weekly(t, map[string]string{"mon": "09:00-17:00", "tue": "09:00-17:00"}),
		ValidFrom:  ts(t, "2026-06-01T10:00:00Z"), // a Monday
		ValidUntil: ts(t, "2026-06-09T12:00:00Z"), // the next Tuesday
	}
	cases := []struct {
		at   string
		want bool
	}{
		{"2026-05-25T10:00:00Z", false}, // a Monday before the range
		{"2026-06-01T09:59:59Z", false},
		{"2026-06-01T10:00:00Z", true},
		{"2026-06-09T11:59:59Z", true},
		{"2026-06-09T12:00:00Z", false},
		{"2026-06-15T10:00:00Z", false},
	}
	for _, tc := range cases {
		if got := c.IsOpen(ts(t, tc.at)); got != tc.want {
			t.Errorf("IsOpen(%s) = %v, want %v", tc.at, got, tc.want)
		}
	}

	next := []struct {
		name, from string
		open       string // "" = false
		close      string
	}{
		{"before the range", "2026-05-20T00:00:00Z", "2026-06-01T10:00:00Z", "2026-06-01T17:00:00Z"},
		{"inside", "2026-06-02T18:00:00Z", "2026-06-08T09:00:00Z", "2026-06-08T17:00:00Z"},
		{"last window cut by the end", "2026-06-09T08:00:00Z", "2026-06-09T09:00:00Z", "2026-06-09T12:00:00Z"},
		{"at the end", "2026-06-09T12:00:00Z", "", ""},
		{"after the end", "2026-07-01T00:00:00Z", "", ""},
	}
	for _, tc := range next {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := c.NextOpen(ts(t, tc.from))
			if tc.open == "" {
				if ok {
					t.Fatalf("NextOpen(%s) = %v, want false", tc.from, got)
				}
				if ws := c.Openings(ts(t, tc.from), 3); len(ws) != 0 {
					t.Errorf("Openings = %s, want none", fmtWindows(ws))
				}
				return
			}
			if want := ts(t, tc.open); !ok || !got.Equal(want) {
				t.Fatalf("NextOpen(%s) = %v, %v; want %v", tc.from, got, ok, want)
			}
			cl, ok := c.NextClose(got)
			if want := ts(t, tc.close); !ok || !cl.Equal(want) {
				t.Errorf("NextClose(%v) = %v, %v; want %v", got, cl, ok, want)
			}
		})
	}
}

func TestCalendar_NextOpen(t *testing.T) {
	c := office(t)
	cases := []struct{ from, want string }{
		{"2026-06-01T09:30:00+02:00", "2026-06-01T09:30:00+02:00"}, // open: t itself
		{"2026-06-01T08:59:59.5+02:00", "2026-06-01T09:00:00+02:00"},
		{"2026-06-01T11:30:00+02:00", "2026-06-01T14:00:00+02:00"},
		{"2026-06-05T18:00:00+02:00", "2026-06-06T10:00:00+02:00"}, // Friday evening -> Saturday
		{"2026-06-06T12:00:00+02:00", "2026-06-08T09:00:00+02:00"}, // Saturday noon -> Monday
		{"2026-12-23T18:00:00+01:00", "2026-12-28T09:00:00+01:00"}, // over Christmas
		{"2026-12-30T18:00:00+01:00", "2026-12-31T09:00:00+01:00"},
		{"2026-12-31T12:00:00+01:00", "2027-01-02T10:00:00+01:00"}, // New Year's Day closed, Saturday
	}
	for _, tc := range cases {
		got, ok := c.NextOpen(ts(t, tc.from))
		if want := ts(t, tc.want); !ok || !got.Equal(want) {
			t.Errorf("NextOpen(%s) = %v, %v; want %v", tc.from, got, ok, want)
		}
	}
}

func TestCalendar_NextOpenNever(t *testing.T) {
	never := &calendar.Calendar{Location: time.UTC}
	if got, ok := never.NextOpen(ts(t, "2026-01-01T00:00:00Z")); ok {
		t.Errorf("an empty calendar opens at %v", got)
	}
	// A single date beyond the horizon is not found; one within it is.
	far := &calendar.Calendar{Location: time.UTC, Special: []calendar.Special{
		{From: date(t, "2027-03-01"), To: date(t, "2027-03-01"), Periods: periods(t, "10:00-11:00")},
	}}
	if got, ok := far.NextOpen(ts(t, "2026-01-01T00:00:00Z")); ok {
		t.Errorf("a date 424 days ahead is found at %v, want false (horizon)", got)
	}
	if got, ok := far.NextOpen(ts(t, "2026-06-01T00:00:00Z")); !ok || !got.Equal(ts(t, "2027-03-01T10:00:00Z")) {
		t.Errorf("NextOpen = %v, %v; want 2027-03-01T10:00:00Z", got, ok)
	}
}

func TestCalendar_NextClose(t *testing.T) {
	always := &calendar.Calendar{Location: mustLoc(t, "America/New_York")}
	for d := range always.Weekly {
		always.Weekly[d] = periods(t, "00:00-24:00")
	}
	from := ts(t, "2026-01-01T00:00:00Z")
	if got, ok := always.NextClose(from); ok {
		t.Errorf("an always-open calendar closes at %v, want false", got)
	}
	if ws := always.Openings(from, 2); len(ws) != 1 || !ws[0].Start.Equal(from) || !ws[0].End.IsZero() {
		t.Errorf("Openings of an always-open calendar = %s, want one window with no end", fmtWindows(ws))
	}
	always.ValidUntil = ts(t, "2026-12-01T00:00:00Z")
	if got, ok := always.NextClose(from); !ok || !got.Equal(always.ValidUntil) {
		t.Errorf("NextClose = %v, %v; want the end of validity", got, ok)
	}

	c := office(t)
	closed := ts(t, "2026-06-01T12:00:00+02:00")
	if got, ok := c.NextClose(closed); !ok || !got.Equal(closed) {
		t.Errorf("NextClose of a closed instant = %v, %v; want it back", got, ok)
	}
}

func TestCalendar_Openings(t *testing.T) {
	utc := func(days map[string]string, specials ...calendar.Special) *calendar.Calendar {
		return &calendar.Calendar{Location: time.UTC, Weekly: weekly(t, days), Special: specials}
	}
	cases := []struct {
		name string
		cal  *calendar.Calendar
		from string
		n    int
		want string
	}{
		{
			name: "two periods a day",
			cal:  utc(map[string]string{"mon": "09:00-11:30,14:00-18:00"}),
			from: "2026-06-01T00:00:00Z", n: 3,
			want: "[2026-06-01T09:00:00Z/2026-06-01T11:30:00Z, 2026-06-01T14:00:00Z/2026-06-01T18:00:00Z, 2026-06-08T09:00:00Z/2026-06-08T11:30:00Z]",
		},
		{
			name: "already open starts at from",
			cal:  utc(map[string]string{"mon": "09:00-11:30,14:00-18:00"}),
			from: "2026-06-01T10:15:00Z", n: 2,
			want: "[2026-06-01T10:15:00Z/2026-06-01T11:30:00Z, 2026-06-01T14:00:00Z/2026-06-01T18:00:00Z]",
		},
		{
			name: "touching periods merge, in any order",
			cal:  utc(map[string]string{"mon": "12:00-13:00,09:00-11:30,11:30-12:00,14:00-15:00"}),
			from: "2026-06-01T00:00:00Z", n: 2,
			want: "[2026-06-01T09:00:00Z/2026-06-01T13:00:00Z, 2026-06-01T14:00:00Z/2026-06-01T15:00:00Z]",
		},
		{
			name: "across midnight",
			cal:  utc(map[string]string{"mon": "22:00-24:00", "tue": "00:00-02:00,03:00-04:00"}),
			from: "2026-06-01T00:00:00Z", n: 2,
			want: "[2026-06-01T22:00:00Z/2026-06-02T02:00:00Z, 2026-06-02T03:00:00Z/2026-06-02T04:00:00Z]",
		},
		{
			name: "across several whole days",
			cal:  utc(map[string]string{"fri": "18:00-24:00", "sat": "00:00-24:00", "sun": "00:00-24:00", "mon": "00:00-06:00"}),
			from: "2026-06-01T12:00:00Z", n: 1,
			want: "[2026-06-05T18:00:00Z/2026-06-08T06:00:00Z]",
		},
		{
			name: "a special date breaks a run",
			cal: utc(map[string]string{"mon": "22:00-24:00", "tue": "00:00-02:00"},
				calendar.Special{From: date(t, "2026-06-02"), To: date(t, "2026-06-02"), Periods: periods(t, "01:00-02:00")}),
			from: "2026-06-01T00:00:00Z", n: 2,
			want: "[2026-06-01T22:00:00Z/2026-06-02T00:00:00Z, 2026-06-02T01:00:00Z/2026-06-02T02:00:00Z]",
		},
		{
			name: "n of zero",
			cal:  utc(map[string]string{"mon": "09:00-10:00"}),
			from: "2026-06-01T00:00:00Z", n: 0,
			want: "[]",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ws := tc.cal.Openings(ts(t, tc.from), tc.n)
			if got := fmtWindows(ws); got != tc.want {
				t.Errorf("Openings(%s, %d) =\n%s\nwant\n%s", tc.from, tc.n, got, tc.want)
			}
			checkWindowEdges(t, tc.cal, ts(t, tc.from), ws)
		})
	}
}

func TestCalendar_In(t *testing.T) {
	// A Berlin campaign calling a New York member: the periods are read on
	// the member's clock.
	c := &calendar.Calendar{
		Location: mustLoc(t, "Europe/Berlin"),
		Weekly:   weekly(t, map[string]string{"mon": "09:00-17:00"}),
		Special:  []calendar.Special{{From: date(t, "2026-06-08"), To: date(t, "2026-06-08"), Name: "closed"}},
	}
	ny := mustLoc(t, "America/New_York")
	m := c.In(ny)
	if m.Location != ny || c.Location.String() != "Europe/Berlin" {
		t.Fatalf("In changed the original or did not set the location")
	}
	cases := []struct {
		at           string
		campaign, ny bool
	}{
		{"2026-06-01T09:00:00+02:00", true, false}, // 03:00 in New York
		{"2026-06-01T09:00:00-04:00", true, true},  // 15:00 in Berlin
		{"2026-06-01T16:59:00-04:00", false, true}, // 22:59 in Berlin
		{"2026-06-08T10:00:00-04:00", false, false},
	}
	for _, tc := range cases {
		at := ts(t, tc.at)
		if got := c.IsOpen(at); got != tc.campaign {
			t.Errorf("campaign IsOpen(%s) = %v, want %v", tc.at, got, tc.campaign)
		}
		if got := m.IsOpen(at); got != tc.ny {
			t.Errorf("member IsOpen(%s) = %v, want %v", tc.at, got, tc.ny)
		}
	}
	got, ok := m.NextOpen(ts(t, "2026-06-01T08:00:00Z"))
	if want := ts(t, "2026-06-01T09:00:00-04:00"); !ok || !got.Equal(want) {
		t.Errorf("member NextOpen = %v, %v; want %v", got, ok, want)
	}
	if name := got.Location().String(); name != "America/New_York" {
		t.Errorf("member NextOpen is in %s, want the member's zone", name)
	}
	if utc := c.In(nil); !utc.IsOpen(ts(t, "2026-06-01T09:00:00Z")) {
		t.Error("In(nil) is not read in UTC")
	}
}

func BenchmarkNextOpen(b *testing.B) {
	ny := mustLoc(b, "America/New_York")
	var holidays []calendar.Special
	for m := time.January; m <= time.December; m++ {
		d := calendar.Date{Year: 2026, Month: m, Day: 15}
		holidays = append(holidays, calendar.Special{From: d, To: d, Name: fmt.Sprint("holiday ", m)})
	}
	office := &calendar.Calendar{
		Location: ny,
		Weekly: weekly(b, map[string]string{
			"mon": "09:00-11:30,14:00-18:00", "tue": "09:00-11:30,14:00-18:00", "wed": "09:00-11:30,14:00-18:00",
			"thu": "09:00-11:30,14:00-18:00", "fri": "09:00-11:30,14:00-18:00",
		}),
		Special: holidays,
	}
	rare := &calendar.Calendar{Location: ny, Special: []calendar.Special{
		{From: date(b, "2027-01-04"), To: date(b, "2027-01-04"), Periods: periods(b, "09:00-10:00")},
	}}
	cases := []struct {
		name string
		cal  *calendar.Calendar
		from time.Time
	}{
		{"open", office, ts(b, "2026-06-01T10:00:00-04:00")},
		{"lunch", office, ts(b, "2026-06-01T12:00:00-04:00")},
		{"weekend", office, ts(b, "2026-06-05T19:00:00-04:00")},
		{"over_dst", office, ts(b, "2026-03-06T19:00:00-05:00")},
		{"months_ahead", rare, ts(b, "2026-02-01T00:00:00Z")},
		{"never", &calendar.Calendar{Location: ny}, ts(b, "2026-02-01T00:00:00Z")},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				tc.cal.NextOpen(tc.from)
			}
		})
	}
}
