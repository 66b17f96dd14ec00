package httpapi_test

import (
	"strings"
	"testing"

	"github.com/fsdialer/dialer/dialer/httpapi"
)

func TestCheckListen(t *testing.T) {
	tests := []struct {
		listen, token string
		wantErr       bool
	}{
		{"127.0.0.1:8080", "", false},
		{"127.0.0.2:8080", "", false},
		{"[::1]:8080", "", false},
		{"localhost:8080", "", false},
		{"127.0.0.1:0", "", false},
		{"0.0.0.0:8080", "", true},
		{":8080", "", true},
		{"[::]:8080", "", true},
		{"10.0.0.5:8080", "", true},
		{"dialer.example.com:8080", "", true},
		{"0.0.0.0:8080", "tok", false},
		{":8080", "tok", false},
		{"10.0.0.5:8080", "tok", false},
	}
	for _, tt := range tests {
		t.Run(tt.listen+" token="+tt.token, func(t *testing.T) {
			err := httpapi.CheckListen(tt.listen, tt.token)
			if (err != nil) != tt.wantErr {
				t.Fatalf("CheckListen(%q, %q) = %v, want error %v", tt.listen, tt.token, err, tt.wantErr)
			}
			if err == nil {
				return
			}
			want := "http.listen " + tt.listen + " is reachable from other hosts; set http.token (or DIALER_HTTP_TOKEN) or listen on 127.0.0.1"
			if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "/metrics") {
				t.Fatalf("error %q lacks %q and what is refused", err, want)
			}
		})
	}
}
