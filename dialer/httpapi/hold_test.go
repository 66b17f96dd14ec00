package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/httpapi"
)

func TestMemberHoldAndRelease(t *testing.T) {
	f := newFixture(t, httpapi.Options{})
	id := f.addMember(`{"communications":[{"number":"2125550101","position":1}],
		"not_before":"2026-11-23T11:00:00Z","not_after":"2026-11-30"}`)
	st, out := f.do("POST", "/v1/members/"+itoa(id)+"/hold", "")
	if st != http.StatusOK || out["held"] != true || out["not_before"] != "2026-11-23T11:00:00.000Z" ||
		out["expires_at"] != "2026-11-30T00:00:00.000Z" {
		t.Fatalf("hold: %d %v", st, out)
	}
	if due, err := f.db.DueMemberIDs(f.ctx, f.cid, f.now.Add(2*time.Hour), 10); err != nil || len(due) != 0 {
		t.Fatalf("due while held = %v, %v", due, err)
	}
	st, out = f.do("POST", "/v1/members/"+itoa(id)+"/release", "")
	if st != http.StatusOK || out["held"] != false {
		t.Fatalf("release: %d %v", st, out)
	}
	if due, _ := f.db.DueMemberIDs(f.ctx, f.cid, f.now.Add(2*time.Hour), 10); len(due) != 1 {
		t.Fatalf("due after release = %v", due)
	}
	st, out = f.do("POST", "/v1/members/999/hold", "")
	wantError(t, st, out, http.StatusNotFound, "not_found", "-")
	st, out = f.do("GET", "/v1/members/999/release", "")
	wantError(t, st, out, http.StatusMethodNotAllowed, "method_not_allowed", "-")

	st, out = f.do("POST", "/v1/campaigns/sales/members", `{"communications":[{"number":"2125550102","position":1}],
		"not_before":"2026-12-01","not_after":"2026-11-30"}`)
	wantError(t, st, out, http.StatusUnprocessableEntity, "invalid", "not_before")
}

func TestMemberResult_ByRule(t *testing.T) {
	f := newFixture(t, httpapi.Options{CallWait: 100 * time.Millisecond})
	doc := campaignDoc + `result_policies:
  rules:
    - {result: sale, policy: ok}
    - {result: later, policy: retry, interval: 2h, counted: false}
    - {result: no, policy: stop, cause: NOT_INTERESTED}
    - {result: no, sub_status: wrong, policy: stop}
`
	c, err := dialer.ReadCampaign(strings.NewReader(doc), "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.ApplyCampaign(f.ctx, c); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body, state, end, rule string
		attempts                     float64
	}{
		{"ok without success", `{"result":"sale"}`, "done", "", `result "sale"`, 1},
		{"uncounted retry", `{"result":"later","comment":"after lunch"}`, "waiting", "", `result "later"`, 0},
		{"stop with the rule's cause", `{"result":"no","success":false}`, "failed", "NOT_INTERESTED", `result "no"`, 1},
		{"sub-status", `{"result":"no","sub_status":"wrong"}`, "failed", "RESULT_STOP", `result "no" sub_status "wrong"`, 1},
		{"no rule: success decides", `{"result":"maybe","success":true}`, "done", "", "", 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			number := "+1212555020" + itoa(int64(i))
			id := f.addMember(`{"communications":[{"number":"` + number + `","position":1}]}`)
			f.finishCall(id, number, "u-"+itoa(int64(i)))
			st, out := f.do("POST", "/v1/members/"+itoa(id)+"/result", tt.body)
			if st != http.StatusOK || out["state"] != tt.state || (tt.end != "" && out["end_cause"] != tt.end) {
				t.Fatalf("result: %d %v; want %s %q", st, out, tt.state, tt.end)
			}
			m, _ := f.db.Member(f.ctx, id)
			if float64(m.Attempts) != tt.attempts {
				t.Errorf("attempts = %d, want %v", m.Attempts, tt.attempts)
			}
			if tt.state == "waiting" && !m.DueAt.Equal(f.now.Add(2*time.Hour)) {
				t.Errorf("due at %s, want the rule's 2h", m.DueAt)
			}
			last, _, _ := f.db.LastAttemptResult(f.ctx, id)
			if last.PolicyRule != tt.rule {
				t.Errorf("attempt rule = %q, want %q", last.PolicyRule, tt.rule)
			}
		})
	}
	id := f.addMember(`{"communications":[{"number":"+12125550299","position":1}]}`)
	f.finishCall(id, "+12125550299", "u-x")
	st, out := f.do("POST", "/v1/members/"+itoa(id)+"/result", `{"result":"sale","success":false}`)
	wantError(t, st, out, http.StatusUnprocessableEntity, "invalid", "success")
	st, out = f.do("POST", "/v1/members/"+itoa(id)+"/result", `{"result":"maybe"}`)
	wantError(t, st, out, http.StatusUnprocessableEntity, "invalid", "success")
	st, out = f.do("POST", "/v1/members/"+itoa(id)+"/result", `{"success":true,"sub_status":"x"}`)
	wantError(t, st, out, http.StatusUnprocessableEntity, "invalid", "sub_status")
}
