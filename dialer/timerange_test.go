package dialer_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
)

func TestParseTimeBound(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 15, 0, 0, 123456789, time.UTC)
	tests := []struct {
		in      string
		end     bool
		want    time.Time
		wantErr string
	}{
		{in: "", want: time.Time{}},
		{in: "2026-11-20T10:00:00Z", want: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)},
		{in: "2026-11-20T10:00:00.5+01:00", want: time.Date(2026, 11, 20, 9, 0, 0, 5e8, time.UTC)},
		{in: "2026-11-20", want: time.Date(2026, 11, 20, 0, 0, 0, 0, ny)},
		{in: "2026-11-20", end: true, want: time.Date(2026, 11, 21, 0, 0, 0, 0, ny)},
		// The day DST ends in New York is 25 hours long.
		{in: "2026-11-01", end: true, want: time.Date(2026, 11, 2, 5, 0, 0, 0, time.UTC)},
		{in: "2026-11-20T09:30", want: time.Date(2026, 11, 20, 14, 30, 0, 0, time.UTC)},
		{in: "2026-11-20 09:30:15", want: time.Date(2026, 11, 20, 14, 30, 15, 0, time.UTC)},
		{in: "24h", want: time.Date(2026, 11, 22, 15, 0, 0, 123e6, time.UTC)},
		{in: "1h30m", want: time.Date(2026, 11, 23, 13, 30, 0, 123e6, time.UTC)},
		{in: "7d", want: time.Date(2026, 11, 16, 15, 0, 0, 123e6, time.UTC)},
		{in: "-24h", wantErr: "must be positive"},
		{in: "0d", wantErr: "must be positive"},
		{in: "yesterday", wantErr: "want an RFC 3339 time"},
		{in: "2026-13-01", wantErr: "America/New_York"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := dialer.ParseTimeBound(tt.in, now, ny, tt.end)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestTimeRange_Check(t *testing.T) {
	a := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		r    dialer.TimeRange
		okay bool
	}{
		{dialer.TimeRange{}, true},
		{dialer.TimeRange{Since: a}, true},
		{dialer.TimeRange{Until: a}, true},
		{dialer.TimeRange{Since: a, Until: a.Add(time.Hour)}, true},
		{dialer.TimeRange{Since: a, Until: a}, false},
		{dialer.TimeRange{Since: a.Add(time.Hour), Until: a}, false},
	}
	for _, tt := range tests {
		if err := tt.r.Check(); (err == nil) != tt.okay {
			t.Errorf("%+v: Check() = %v", tt.r, err)
		}
	}
}
