package httpapi_test

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/fsdialer/dialer/dialer/httpapi"
)

// The bearer scheme is case-insensitive (RFC 7235 section 2.1); the token
// is not.
func TestAuth_BearerScheme(t *testing.T) {
	f := newFixture(t, httpapi.Options{Token: "s3cret"})
	tests := []struct {
		header string
		want   int
	}{
		{"Bearer s3cret", 200},
		{"bearer s3cret", 200},
		{"BEARER s3cret", 200},
		{"Bearer  s3cret", 200},
		{"bearer S3CRET", 401},
		{"Bearers3cret", 401},
		{"Bearer", 401},
		{"Basic s3cret", 401},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			st, out := f.do("GET", "/v1/campaigns", "", "Authorization", tt.header)
			if tt.want == 401 {
				wantError(t, st, out, 401, "unauthorized", "-")
				return
			}
			if st != tt.want {
				t.Fatalf("got %d %v, want %d", st, out, tt.want)
			}
		})
	}
}

// A known path asked with a method it does not serve is 405 with an Allow
// header and the API's JSON error; an unknown path stays 404.
func TestRouting_MethodNotAllowed(t *testing.T) {
	f := newFixture(t, httpapi.Options{})
	tests := []struct {
		method, path string
		allow        []string
	}{
		{"GET", "/v1/campaigns/sales/start", []string{"POST"}},
		{"DELETE", "/v1/campaigns", []string{"GET", "HEAD"}},
		{"PUT", "/v1/members/1", []string{"DELETE", "GET", "HEAD"}},
		{"GET", "/v1/members/1/result", []string{"POST"}},
		{"PATCH", "/v1/calls", []string{"POST"}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, f.srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatalf("body is not JSON: %v", err)
			}
			if resp.StatusCode != http.StatusMethodNotAllowed || body.Error.Code != "method_not_allowed" || body.Error.Message == "" {
				t.Fatalf("got %d %+v, want 405 method_not_allowed", resp.StatusCode, body)
			}
			allow := strings.Split(resp.Header.Get("Allow"), ", ")
			sort.Strings(allow)
			if strings.Join(allow, ",") != strings.Join(tt.allow, ",") {
				t.Fatalf("Allow = %q, want %v", resp.Header.Get("Allow"), tt.allow)
			}
		})
	}
	st, out := f.do("GET", "/v1/no-such-route", "")
	wantError(t, st, out, 404, "not_found", "-")
	st, out = f.do("GET", "/v1/campaigns/sales/nope", "")
	wantError(t, st, out, 404, "not_found", "-")
}
