package phone_test

import (
	"testing"

	"github.com/fsdialer/dialer/dialer/phone"
)

func TestGeographic(t *testing.T) {
	for _, tc := range []struct {
		number string
		want   bool
	}{
		{"+12125550101", true},   // New York, fixed line or mobile
		{"+442071234567", true},  // London fixed line
		{"+18005550100", false},  // toll-free
		{"+447911123456", false}, // UK mobile: anywhere in the country
		{"+80012345678", false},  // international freephone
		{"not a number", false},
	} {
		if got := phone.Geographic(tc.number); got != tc.want {
			t.Errorf("Geographic(%s) = %v, want %v", tc.number, got, tc.want)
		}
	}
}
