package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
)

// TestManualCalls: a manual call's record is written once; calls a run
// started and never saw end are ended as DIALER_LOST at the next start,
// and nothing else is touched.
func TestManualCalls(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	if _, err := db.ApplyAgents(ctx, []dialer.Agent{{Name: "alice", Endpoint: "user/1001", CallTimeout: dialer.Duration(10 * time.Second)}}); err != nil {
		t.Fatal(err)
	}
	a, _ := db.Agent(ctx, "alice")
	ids := map[string]int64{}
	for _, name := range []string{"finished", "open", "pending", "refused"} {
		id, err := db.RequestCall(ctx, dialer.CallRequest{AgentID: a.ID, Number: "+442071234567"})
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = id
	}
	for _, name := range []string{"finished", "open"} {
		if err := db.AnswerCallRequest(ctx, ids[name], dialer.CallStarted, "", 0, "uuid-"+name); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.AnswerCallRequest(ctx, ids["refused"], dialer.CallRefused, "agent alice is busy", 0, ""); err != nil {
		t.Fatal(err)
	}
	// A request is answered once.
	if err := db.AnswerCallRequest(ctx, ids["refused"], dialer.CallStarted, "", 0, "late"); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishManualCall(ctx, ids["finished"], t0.Add(2*time.Second), t0.Add(time.Minute), "NORMAL_CLEARING", 58*time.Second); err != nil {
		t.Fatal(err)
	}
	n, err := db.LoseManualCalls(ctx, t0.Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("lost %d (%v), want 1", n, err)
	}
	want := map[string]struct {
		state, cause string
		billsec      int64
	}{
		"finished": {dialer.CallStarted, "NORMAL_CLEARING", 58000},
		"open":     {dialer.CallStarted, "DIALER_LOST", 0},
		"pending":  {dialer.CallPending, "", 0},
		"refused":  {dialer.CallRefused, "", 0},
	}
	for name, w := range want {
		r, err := db.CallRequest(ctx, ids[name])
		if err != nil {
			t.Fatal(err)
		}
		if r.State != w.state || r.Cause != w.cause || r.BillsecMS != w.billsec {
			t.Errorf("%s: %+v, want %+v", name, r, w)
		}
	}
	if r, _ := db.CallRequest(ctx, ids["refused"]); r.Reason != "agent alice is busy" || r.CallUUID != "" {
		t.Errorf("refused request changed by a second answer: %+v", r)
	}
	pending, _ := db.PendingCallRequests(ctx)
	if len(pending) != 1 || pending[0].ID != ids["pending"] {
		t.Errorf("pending %+v", pending)
	}
}
