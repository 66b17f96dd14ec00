package httpapi

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

// TestOpenAPI_MatchesRoutes keeps openapi.json and the routes in step:
// every route is documented with its method, and every documented /v1
// operation is served.
func TestOpenAPI_MatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var o struct {
				OperationID string         `json:"operationId"`
				Responses   map[string]any `json:"responses"`
			}
			if err := json.Unmarshal(raw, &o); err != nil || o.OperationID == "" || len(o.Responses) == 0 {
				t.Errorf("%s %s: no operationId or responses", method, path)
			}
			if strings.HasPrefix(path, "/v1/") {
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	served := map[string]bool{}
	for _, r := range (&Server{}).routes() {
		served[r.pattern] = true
		if !documented[r.pattern] {
			t.Errorf("route %s is not in openapi.json", r.pattern)
		}
	}
	var extra []string
	for p := range documented {
		if !served[p] {
			extra = append(extra, p)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("openapi.json documents routes that are not served: %v", extra)
	}
}
