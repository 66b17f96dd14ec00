package retry_test

import (
	"testing"

	"github.com/fsdialer/dialer/dialer/retry"
)

func TestNextNumber_Order(t *testing.T) {
	seq := retry.Policy{MaxAttempts: 1}
	byType := retry.Policy{MaxAttempts: 1, NumberOrder: retry.ByType, TypeOrder: []string{"mobile", "work", "home"}}
	// Listed out of position order on purpose: the order comes from
	// Position (and type), never from the slice.
	mixed := []retry.Number{
		{ID: 30, Type: "home", Position: 3},
		{ID: 10, Type: "work", Position: 1},
		{ID: 20, Type: "mobile", Position: 2},
		{ID: 40, Type: "fax", Position: 4},
		{ID: 50, Type: "mobile", Position: 5},
	}
	tests := []struct {
		name    string
		p       retry.Policy
		numbers []retry.Number
		current int64
		want    int64
		wantOK  bool
	}{
		{"sequence next", seq, mixed, 10, 20, true},
		{"sequence by position not slice order", seq, mixed, 20, 30, true},
		{"sequence wraps", seq, mixed, 50, 10, true},
		{"type order within a type by position", byType, mixed, 20, 50, true},
		{"type order to the next type", byType, mixed, 50, 10, true},
		{"type order to the last listed type", byType, mixed, 10, 30, true},
		{"unlisted types come last", byType, mixed, 30, 40, true},
		{"type order wraps from unlisted", byType, mixed, 40, 20, true},
		{"unknown current starts at the first", byType, mixed, 99, 20, true},
		{"skips stopped and blocked", seq, []retry.Number{
			{ID: 1, Position: 1}, {ID: 2, Position: 2, Stopped: true}, {ID: 3, Position: 3, Blocked: true}, {ID: 4, Position: 4},
		}, 1, 4, true},
		{"wrap skips unusable", seq, []retry.Number{
			{ID: 1, Position: 1, Blocked: true}, {ID: 2, Position: 2}, {ID: 3, Position: 3},
		}, 3, 2, true},
		{"current alone usable", seq, []retry.Number{
			{ID: 1, Position: 1, Blocked: true}, {ID: 2, Position: 2},
		}, 2, 2, true},
		{"current unusable, another usable", seq, []retry.Number{
			{ID: 1, Position: 1}, {ID: 2, Position: 2, Stopped: true},
		}, 2, 1, true},
		{"nothing usable", seq, []retry.Number{
			{ID: 1, Position: 1, Stopped: true}, {ID: 2, Position: 2, Blocked: true},
		}, 1, 0, false},
		{"no numbers", seq, nil, 1, 0, false},
		{"equal positions fall back to ID", seq, []retry.Number{
			{ID: 7, Position: 1}, {ID: 5, Position: 1}, {ID: 6, Position: 1},
		}, 5, 6, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := retry.NextNumber(tt.p, tt.numbers, tt.current)
			if ok != tt.wantOK || got.ID != tt.want {
				t.Errorf("NextNumber(after %d) = %d, %v; want %d, %v", tt.current, got.ID, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestNextNumber_VisitsEveryUsableNumber(t *testing.T) {
	p := retry.Policy{MaxAttempts: 1, NumberOrder: retry.ByType, TypeOrder: []string{"mobile", "home"}}
	numbers := []retry.Number{
		{ID: 1, Type: "home", Position: 1}, {ID: 2, Type: "mobile", Position: 2}, {ID: 3, Type: "home", Position: 2},
		{ID: 4, Type: "other", Position: 0}, {ID: 5, Type: "mobile", Position: 1, Blocked: true}, {ID: 6, Type: "mobile", Position: 2},
	}
	first, ok := retry.FirstNumber(p, numbers)
	if !ok || first.ID != 2 {
		t.Fatalf("FirstNumber = %d, %v; want 2, true", first.ID, ok)
	}
	var got []int64
	cur := first
	for range 10 {
		got = append(got, cur.ID)
		cur, _ = retry.NextNumber(p, numbers, cur.ID)
	}
	want := []int64{2, 6, 1, 3, 4, 2, 6, 1, 3, 4}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("rotation = %v, want %v", got, want)
		}
	}
}

func TestFirstNumber_Behaviour(t *testing.T) {
	tests := []struct {
		name    string
		p       retry.Policy
		numbers []retry.Number
		want    int64
		wantOK  bool
	}{
		{"lowest position", retry.Policy{}, []retry.Number{{ID: 2, Position: 2}, {ID: 1, Position: 1}}, 1, true},
		{"skips unusable", retry.Policy{}, []retry.Number{{ID: 1, Position: 1, Blocked: true}, {ID: 2, Position: 2, Stopped: true}, {ID: 3, Position: 3}}, 3, true},
		{"type first", retry.Policy{NumberOrder: retry.ByType, TypeOrder: []string{"work"}}, []retry.Number{{ID: 1, Type: "home", Position: 1}, {ID: 2, Type: "work", Position: 9}}, 2, true},
		{"type order ignored in sequence", retry.Policy{NumberOrder: retry.BySequence, TypeOrder: []string{"work"}}, []retry.Number{{ID: 1, Type: "home", Position: 1}, {ID: 2, Type: "work", Position: 9}}, 1, true},
		{"none usable", retry.Policy{}, []retry.Number{{ID: 1, Blocked: true}}, 0, false},
		{"empty", retry.Policy{}, nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := retry.FirstNumber(tt.p, tt.numbers)
			if ok != tt.wantOK || got.ID != tt.want {
				t.Errorf("FirstNumber = %d, %v; want %d, %v", got.ID, ok, tt.want, tt.wantOK)
			}
		})
	}
}
