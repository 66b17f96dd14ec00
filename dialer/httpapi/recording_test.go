package httpapi_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/httpapi"
)

// An attempt object carries its recording path (null when the call was
// not recorded) and its captured variables ({} when none).
func TestListAttempts_RecordingAndCaptured(t *testing.T) {
	f := newFixture(t, httpapi.Options{})
	m1 := f.addMember(`{"communications":[{"number":"+12125550101"}]}`)
	m2 := f.addMember(`{"communications":[{"number":"+12125550102"}]}`)
	recorded := f.attempt(m1, "+12125550101", f.now.Add(time.Minute), "NORMAL_CLEARING", "ok")
	f.attempt(m2, "+12125550102", f.now.Add(2*time.Minute), "USER_BUSY", "retry")
	if err := f.db.MarkRecording(f.ctx, recorded, "/rec/sales/1.wav"); err != nil {
		t.Fatal(err)
	}
	started, err := f.db.StartAttempts(f.ctx, []dialer.NewAttempt{{CampaignID: f.cid, MemberID: m2, Number: "+12125550102",
		CommunicationID: f.comm(m2, "+12125550102"), UUID: "uuid-captured", At: f.now.Add(2 * time.Hour)}})
	if err != nil || started[0] == 0 {
		t.Fatalf("start attempt: %v %v", started, err)
	}
	if err := f.db.FinishAttempts(f.ctx, []dialer.AttemptEnd{{AttemptID: started[0], MemberID: m2, Cause: "NORMAL_CLEARING",
		Class: "ok", Counted: true, AnsweredAt: f.now.Add(2*time.Hour + time.Second), EndedAt: f.now.Add(2*time.Hour + 9*time.Second),
		Captured: map[string]string{"survey_q1": "3"}, MemberState: dialer.MemberDone, Attempts: 2}}); err != nil {
		t.Fatal(err)
	}
	st, out := f.do("GET", "/v1/campaigns/sales/attempts", "")
	if st != 200 {
		t.Fatalf("%d %v", st, out)
	}
	items := out["items"].([]any)
	if len(items) != 3 {
		t.Fatalf("items = %v", items)
	}
	wants := []struct {
		path     any
		captured map[string]any
	}{
		{"/rec/sales/1.wav", map[string]any{}},
		{nil, map[string]any{}},
		{nil, map[string]any{"survey_q1": "3"}},
	}
	for i, w := range wants {
		item := items[i].(map[string]any)
		path, ok := item["recording_path"]
		if !ok || path != w.path || !reflect.DeepEqual(item["captured"], any(w.captured)) {
			t.Errorf("attempt %d: recording_path %#v (present %v) captured %#v, want %#v %#v", i, path, ok, item["captured"], w.path, w.captured)
		}
	}
}
