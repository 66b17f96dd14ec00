package export_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/export"
	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/fsdialer/dialer/store"
)

// A ledger export has one row per minute that counted a live answered
// call, oldest first.
func TestWrite_Ledger(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "export.db"), store.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := dialer.ReadCampaign(strings.NewReader(`name: sales
mode: progressive
dial: {template: "loopback/{number}/dialer_lab"}
calendar: {timezone: UTC, weekly: {mon: ["00:00-24:00"]}}
`), "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ApplyCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	stored, err := db.Campaign(ctx, "sales")
	if err != nil {
		t.Fatal(err)
	}
	ids, err := db.AddMembers(ctx, stored.ID, []memberfile.Member{
		{Line: 1, Name: "a", Numbers: []memberfile.Number{{Number: "+12125550101", Position: 1}}},
		{Line: 2, Name: "b", Numbers: []memberfile.Number{{Number: "+12125550102", Position: 1}}},
		{Line: 3, Name: "c", Numbers: []memberfile.Number{{Number: "+12125550103", Position: 1}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, end := range []struct {
		cause    string
		answered time.Time
	}{
		{"NORMAL_CLEARING", now.Add(2 * time.Second)},
		{"ABANDONED", now.Add(3 * time.Second)},
		{"ABANDONED", now.Add(90 * time.Second)},
	} {
		m, err := db.Member(ctx, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		started, err := db.StartAttempts(ctx, []dialer.NewAttempt{{CampaignID: stored.ID, MemberID: ids[i],
			CommunicationID: m.Communications[0].ID, Number: m.Communications[0].Number, UUID: "uuid-" + m.Name, At: now}})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.FinishAttempts(ctx, []dialer.AttemptEnd{{AttemptID: started[0], MemberID: ids[i], Cause: end.cause,
			Class: "retry", AnsweredAt: end.answered, EndedAt: end.answered.Add(time.Second), MemberState: dialer.MemberWaiting,
			DueAt: now.Add(time.Hour), Attempts: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	for format, want := range map[string]string{
		"csv": "minute,live_answered,abandoned\n2026-11-23T15:00:00.000Z,2,1\n2026-11-23T15:01:00.000Z,1,1\n",
		"json": `[
{"minute":"2026-11-23T15:00:00.000Z","live_answered":2,"abandoned":1},
{"minute":"2026-11-23T15:01:00.000Z","live_answered":1,"abandoned":1}
]
`,
		"jsonl": `{"minute":"2026-11-23T15:00:00.000Z","live_answered":2,"abandoned":1}
{"minute":"2026-11-23T15:01:00.000Z","live_answered":1,"abandoned":1}
`,
	} {
		var buf bytes.Buffer
		n, err := export.Write(ctx, &buf, db, stored.ID, "ledger", format)
		if err != nil {
			t.Fatal(err)
		}
		if got := buf.String(); got != want || n != 2 {
			t.Errorf("%s: %d rows:\n%s\nwant 2:\n%s", format, n, got, want)
		}
	}
	var buf bytes.Buffer
	if n, err := export.Write(ctx, &buf, db, stored.ID+1, "ledger", "csv"); err != nil || n != 0 || buf.String() != "minute,live_answered,abandoned\n" {
		t.Errorf("empty ledger = %q, %d, %v", buf.String(), n, err)
	}
}
