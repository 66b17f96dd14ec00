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

const campaignDoc = `
name: sales
mode: ivr
default_region: US
dial: {template: "loopback/{number}/dialer_lab"}
ivr: {extension: survey, capture: [q1, q2]}
record: {when: answer, path: "{campaign}/{uuid}.wav"}
calendar: {timezone: UTC, weekly: {mon: ["00:00-24:00"]}}
`

// seed stores a campaign with two members, the first with two numbers
// and a finished attempt, the second never dialed.
func seed(t *testing.T) (*store.DB, int64) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "export.db"), store.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c, err := dialer.ReadCampaign(strings.NewReader(campaignDoc), "test")
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
		{Line: 1, Name: "Ann, \"the\" first", Priority: 2, ExternalKey: "crm-1", Variables: map[string]string{"plan": "gold"},
			Numbers: []memberfile.Number{{Number: "+12125550101", Position: 1}, {Number: "+12125550102", Position: 2}}},
		{Line: 2, Name: "Bob", Priority: 3, Numbers: []memberfile.Number{{Number: "+12125550150", Position: 1}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := db.Member(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	started, err := db.StartAttempts(ctx, []dialer.NewAttempt{{CampaignID: stored.ID, MemberID: ids[0],
		CommunicationID: m.Communications[0].ID, Number: "+12125550101", UUID: "uuid-1", At: now}})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.FinishAttempts(ctx, []dialer.AttemptEnd{{AttemptID: started[0], MemberID: ids[0], Cause: "NORMAL_CLEARING",
		Q850: 16, Class: "ok", Counted: true, AnsweredAt: now.Add(2 * time.Second), EndedAt: now.Add(14345 * time.Millisecond),
		Billsec: 12345 * time.Millisecond, BusinessResult: "5", Captured: map[string]string{"q1": "yes, \"very\""},
		MemberState: dialer.MemberDone, Attempts: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkRecording(ctx, started[0], "/rec/sales/uuid-1.wav"); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkAMD(ctx, started[0], dialer.AMDHuman, 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	return db, stored.ID
}

func TestWrite(t *testing.T) {
	db, id := seed(t)
	tests := []struct {
		kind, format, want string
	}{
		{"attempts", "csv", `id,member_id,external_key,number,uuid,created_at,answered_at,ended_at,cause,q850,billsec,class,counted,business_result,agent,recording_path,amd_result,amd_ms,capture_q1,capture_q2
1,1,crm-1,+12125550101,uuid-1,2026-11-23T15:00:00.000Z,2026-11-23T15:00:02.000Z,2026-11-23T15:00:14.345Z,NORMAL_CLEARING,16,12.345,ok,true,5,,/rec/sales/uuid-1.wav,human,1500,"yes, ""very""",
`},
		{"attempts", "jsonl", `{"id":1,"member_id":1,"external_key":"crm-1","number":"+12125550101","uuid":"uuid-1","created_at":"2026-11-23T15:00:00.000Z","answered_at":"2026-11-23T15:00:02.000Z","ended_at":"2026-11-23T15:00:14.345Z","cause":"NORMAL_CLEARING","q850":16,"billsec":12.345,"class":"ok","counted":true,"business_result":"5","agent":"","recording_path":"/rec/sales/uuid-1.wav","amd_result":"human","amd_ms":1500,"captured":{"q1":"yes, \"very\""}}
`},
		{"members", "csv", `id,external_key,name,state,priority,attempts,end_cause,last_cause,due_at,numbers,variables,held,not_before
1,crm-1,"Ann, ""the"" first",done,2,1,,NORMAL_CLEARING,,+12125550101;+12125550102,"{""plan"":""gold""}",false,
2,,Bob,waiting,3,0,,,,+12125550150,{},false,
`},
		{"members", "json", `[
{"id":1,"external_key":"crm-1","name":"Ann, \"the\" first","state":"done","priority":2,"attempts":1,"end_cause":"","last_cause":"NORMAL_CLEARING","due_at":null,"numbers":["+12125550101","+12125550102"],"variables":{"plan":"gold"},"held":false,"not_before":null},
{"id":2,"external_key":"","name":"Bob","state":"waiting","priority":3,"attempts":0,"end_cause":"","last_cause":"","due_at":null,"numbers":["+12125550150"],"variables":{},"held":false,"not_before":null}
]
`},
	}
	for _, tt := range tests {
		t.Run(tt.kind+" "+tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			n, err := export.Write(context.Background(), &buf, db, id, tt.kind, tt.format)
			if err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tt.want {
				t.Fatalf("got:\n%s\nwant:\n%s", got, tt.want)
			}
			if want := strings.Count(tt.want, "\n") - map[string]int{"csv": 1, "json": 2, "jsonl": 0}[tt.format]; n != want {
				t.Fatalf("%d rows, want %d", n, want)
			}
		})
	}
}

func TestWrite_Empty(t *testing.T) {
	db, id := seed(t)
	tests := []struct{ format, want string }{
		{"csv", strings.Join(export.AttemptHeader, ",") + "\n"},
		{"json", "[]\n"},
		{"jsonl", ""},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			n, err := export.Write(context.Background(), &buf, db, id+1, "attempts", tt.format)
			if err != nil || n != 0 || buf.String() != tt.want {
				t.Fatalf("got %q, %d rows, %v; want %q", buf.String(), n, err, tt.want)
			}
		})
	}
}

func TestWrite_Refuses(t *testing.T) {
	db, id := seed(t)
	tests := []struct{ kind, format, want string }{
		{"members", "xml", `format "xml": must be csv, json or jsonl`},
		{"calls", "csv", `"calls": export members or attempts`},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if _, err := export.Write(context.Background(), &buf, db, id, tt.kind, tt.format); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %s: err = %v, want %q", tt.kind, tt.format, err, tt.want)
		}
		if buf.Len() != 0 {
			t.Errorf("%s %s: wrote %q", tt.kind, tt.format, buf.String())
		}
	}
}
