package cause_test

import (
	"strings"
	"testing"

	"github.com/fsdialer/dialer/dialer/cause"
)

func TestParseClass_Behaviour(t *testing.T) {
	tests := []struct {
		in      string
		want    cause.Class
		wantErr bool
	}{
		{"ok", cause.OK, false},
		{"retry", cause.Retry, false},
		{"error", cause.Error, false},
		{"minus", cause.Minus, false},
		{"OK", cause.OK, false},
		{" Minus\t", cause.Minus, false},
		{"", "", true},
		{"success", "", true},
		{"re try", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := cause.ParseClass(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseClass(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseClass(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), "want ok, retry, error or minus") {
				t.Errorf("error %q does not list the valid classes", err)
			}
		})
	}
}

func FuzzParseClass(f *testing.F) {
	for _, s := range []string{"ok", "RETRY", " error ", "minus", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := cause.ParseClass(s)
		if err != nil {
			if c != "" {
				t.Fatalf("ParseClass(%q) = %q with error %v", s, c, err)
			}
			return
		}
		if !c.Valid() {
			t.Fatalf("ParseClass(%q) = invalid %q", s, c)
		}
		if again, err := cause.ParseClass(string(c)); err != nil || again != c {
			t.Fatalf("ParseClass(%q) = %q, %v; not a round trip", c, again, err)
		}
	})
}
