package jsontime_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer/jsontime"
)

type inner struct {
	Kind string `json:"kind"`
}

type sample struct {
	inner
	Name     string         `json:"name"`
	At       time.Time      `json:"at"`
	Unset    time.Time      `json:"unset,omitzero"`
	Seen     *time.Time     `json:"seen"`
	Timeout  time.Duration  `json:"timeout"`
	Billsec  time.Duration  `json:"billsec,seconds"`
	Length   *time.Duration `json:"length"`
	Note     string         `json:"note,omitempty"`
	Count    int            `json:"count,omitempty"`
	Hidden   string         `json:"-"`
	Untagged bool
	private  int
}

func (s sample) MarshalJSON() ([]byte, error) { return jsontime.Struct(s) }

func TestStruct_WritesTimesAndDurations(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 5, 123456789, time.FixedZone("EST", -5*3600))
	got, err := json.Marshal(sample{inner: inner{Kind: "k"}, Name: "x", At: at, Timeout: 90 * time.Second,
		Billsec: 12345678901 * time.Nanosecond, Hidden: "h", private: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"kind":"k","name":"x","at":"2026-11-23T15:00:05.123Z","seen":null,"timeout":"1m30s","billsec":12.346,"length":null,"Untagged":false}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestStruct_PointerAndNil(t *testing.T) {
	seen := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	length := 2 * time.Hour
	got, err := jsontime.Struct(&sample{Seen: &seen, Length: &length})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(got, &m); err != nil {
		t.Fatal(err)
	}
	if m["seen"] != "2026-01-02T03:04:05.000Z" || m["at"] != nil || m["length"] != "2h0m0s" {
		t.Fatalf("got %s", got)
	}
	if b, err := jsontime.Struct((*sample)(nil)); err != nil || string(b) != "null" {
		t.Fatalf("nil pointer: %s %v", b, err)
	}
	if _, err := jsontime.Struct(3); err == nil {
		t.Fatal("a number encoded as a struct")
	}
}

func TestTime_RoundTrip(t *testing.T) {
	var got struct {
		A jsontime.Time `json:"a"`
		B jsontime.Time `json:"b"`
	}
	if err := json.Unmarshal([]byte(`{"a":"2026-11-23T15:00:05.123Z","b":null}`), &got); err != nil {
		t.Fatal(err)
	}
	if !time.Time(got.A).Equal(time.Date(2026, 11, 23, 15, 0, 5, 123e6, time.UTC)) || !time.Time(got.B).IsZero() {
		t.Fatalf("got %v", got)
	}
	var d jsontime.Duration
	if err := json.Unmarshal([]byte(`"1h30m"`), &d); err != nil || time.Duration(d) != 90*time.Minute {
		t.Fatalf("duration %v %v", d, err)
	}
	if err := json.Unmarshal([]byte(`5000000000`), &d); err == nil {
		t.Fatal("a number of nanoseconds read as a duration")
	}
}
