package store_test

import (
	"context"
	"testing"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
)

// TestReport_ConnectTimes: an agent-mode report gives the customers'
// waits from their answer to the bridge, at their ranks; attempts never
// bridged do not count, and an IVR report has none.
func TestReport_ConnectTimes(t *testing.T) {
	db, _ := openDB(t)
	id := seedResults(t, db)
	ctx := context.Background()
	// The fixture's two bridged attempts waited 1 s; eight more wait 100
	// to 800 ms.
	for k := 1; k <= 8; k++ {
		n := 10 + k
		insertAttempt(t, db, id, n, attemptFixture{member: 7, cause: "NORMAL_CLEARING", class: "ok", q850: 16,
			answered: true, billsecMS: 5000, agent: 1, agentRang: true, agentAnswered: true, bridgeMS: 4000})
		if err := db.ExecForTest(ctx, `UPDATE attempts SET bridged_at = answered_at + ? WHERE id = ?`, k*100, n); err != nil {
			t.Fatal(err)
		}
	}
	insertAttempt(t, db, id, 30, attemptFixture{member: 7, cause: "ABANDONED", class: "retry", q850: 16, answered: true})
	got, err := db.Report(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := store.ConnectTimes{Bridged: 10, P50: 0.6, P95: 1, P99: 1, Max: 1}
	if got.Connect == nil || *got.Connect != want {
		t.Fatalf("connect = %+v, want %+v", got.Connect, want)
	}
	// The range counts only the attempts begun in it: the eight short ones.
	got, err = db.ReportRange(ctx, id, dialer.TimeRange{Since: attemptStart(11)})
	if err != nil {
		t.Fatal(err)
	}
	want = store.ConnectTimes{Bridged: 8, P50: 0.5, P95: 0.8, P99: 0.8, Max: 0.8}
	if got.Connect == nil || *got.Connect != want {
		t.Fatalf("connect since attempt 11 = %+v, want %+v", got.Connect, want)
	}
	applyCalendar(t, db)
	if _, err := db.ApplyCampaign(ctx, readCampaign(t, "../testdata/campaigns/ivr.yaml")); err != nil {
		t.Fatal(err)
	}
	if got, err = db.Report(ctx, mustID(t, db, "survey-ivr")); err != nil {
		t.Fatal(err)
	}
	if got.Connect != nil {
		t.Errorf("ivr connect = %+v, want none", got.Connect)
	}
}
