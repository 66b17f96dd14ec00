package httpapi_test

import (
	"regexp"
	"testing"

	"github.com/fsdialer/dialer/dialer/httpapi"
)

// TestMember_TimesInMillisecondsOrNull: the API writes times as the CLI's
// -o json does: RFC 3339 in UTC with milliseconds, null when unset.
func TestMember_TimesInMillisecondsOrNull(t *testing.T) {
	f := newFixture(t, httpapi.Options{})
	id := f.addMember(`{"name":"Ann","communications":[{"number":"2125550101"}]}`)
	st, out := f.do("GET", "/v1/members/"+itoa(id), "")
	if st != 200 {
		t.Fatalf("get: %d %v", st, out)
	}
	ms := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	for _, k := range []string{"created_at", "updated_at"} {
		if s, _ := out[k].(string); !ms.MatchString(s) {
			t.Errorf("%s = %v, want RFC 3339 UTC with milliseconds", k, out[k])
		}
	}
	if v, ok := out["expires_at"]; !ok || v != nil {
		t.Errorf("expires_at of a member without expiry = %v (present %v), want null", v, ok)
	}
}
