package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
)

// A recorded, capturing IVR campaign keeps its settings through the
// store, and an attempt's recording path and captured variables reach
// its list entry, its export row and its release callback.
func TestRecordingAndCapture_StoredExportedAndCalledBack(t *testing.T) {
	db, _ := openDB(t)
	applyCalendar(t, db)
	ctx := context.Background()
	c := readCampaign(t, "../testdata/campaigns/ivr.yaml")
	c.CallbackURL = hookURL
	c.Record = dialer.RecordSpec{When: dialer.RecordAnswer, Path: "{campaign}/{date}/{uuid}.wav", Stereo: true}
	c.IVR.Capture = []string{"survey_q1", "survey_q2"}
	if _, err := db.ApplyCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := db.Campaign(ctx, c.Name)
	if err != nil {
		t.Fatal(err)
	}
	if got.Record != c.Record || !reflect.DeepEqual(got.IVR.Capture, c.IVR.Capture) {
		t.Fatalf("stored record %+v capture %v, want %+v %v", got.Record, got.IVR.Capture, c.Record, c.IVR.Capture)
	}
	if ch, err := db.ApplyCampaign(ctx, c); err != nil || ch != store.Unchanged {
		t.Fatalf("apply again = %v, %v; want unchanged", ch, err)
	}
	id := got.ID
	importMembers(t, db, id, member(2, 3, "ivr-1", "+12125550101"), member(3, 3, "ivr-2", "+12125550102"))
	ms, err := db.Members(ctx, store.MemberFilter{CampaignID: id})
	if err != nil || len(ms) != 2 {
		t.Fatalf("members: %v %v", ms, err)
	}
	full, err := db.MembersByID(ctx, []int64{ms[0].ID, ms[1].ID})
	if err != nil {
		t.Fatal(err)
	}
	begin := t0.Add(-time.Minute)
	var ids []int64
	for i, m := range full {
		got, err := db.StartAttempts(ctx, []dialer.NewAttempt{{CampaignID: id, MemberID: m.ID,
			CommunicationID: m.Communications[0].ID, Number: m.Communications[0].Number,
			UUID: []string{"uuid-rec-1", "uuid-rec-2"}[i], At: begin}})
		if err != nil || got[0] == 0 {
			t.Fatalf("start attempt: %v %v", got, err)
		}
		ids = append(ids, got[0])
	}
	const path = "/var/lib/freeswitch/recordings/survey-ivr/2026-11-23/uuid-rec-1.wav"
	if err := db.MarkRecording(ctx, ids[0], path); err != nil {
		t.Fatal(err)
	}
	ends := []dialer.AttemptEnd{
		{AttemptID: ids[0], Cause: "NORMAL_CLEARING", Q850: 16, AnsweredAt: begin.Add(time.Second), EndedAt: begin.Add(6 * time.Second),
			Billsec: 5 * time.Second, BusinessResult: "4", Captured: map[string]string{"survey_q1": "4"}, Class: "ok",
			Counted: true, MemberID: full[0].ID, MemberState: dialer.MemberDone, Attempts: 1},
		{AttemptID: ids[1], Cause: "USER_BUSY", Q850: 17, EndedAt: begin.Add(2 * time.Second), Class: "retry",
			Counted: true, MemberID: full[1].ID, MemberState: dialer.MemberWaiting, DueAt: t0, Attempts: 1},
	}
	if err := db.FinishAttempts(ctx, ends); err != nil {
		t.Fatal(err)
	}

	list, err := db.Attempts(ctx, store.AttemptFilter{CampaignID: id})
	if err != nil || len(list) != 2 {
		t.Fatalf("attempts: %v %v", list, err)
	}
	if list[0].RecordingPath == nil || *list[0].RecordingPath != path || !reflect.DeepEqual(list[0].Captured, map[string]string{"survey_q1": "4"}) {
		t.Errorf("attempt 1 recording %v captured %v", list[0].RecordingPath, list[0].Captured)
	}
	if list[1].RecordingPath != nil || list[1].Captured == nil || len(list[1].Captured) != 0 {
		t.Errorf("attempt 2 recording %v captured %#v, want nil and {}", list[1].RecordingPath, list[1].Captured)
	}

	var rows []store.ExportAttempt
	if err := db.ExportAttempts(ctx, id, func(a store.ExportAttempt) error { rows = append(rows, a); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].RecordingPath != path || rows[0].Captured["survey_q1"] != "4" ||
		!reflect.DeepEqual(rows[1].CaptureNames, []string{"survey_q1", "survey_q2"}) || rows[1].RecordingPath != "" {
		t.Errorf("export rows = %+v", rows)
	}

	cbs, err := db.Callbacks(ctx, store.CallbackFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]dialer.Callback{}
	for _, cb := range cbs {
		byKey[cb.IdempotencyKey] = cb
	}
	for key, want := range map[string]struct {
		path     any
		captured any
	}{
		"uuid-rec-1:release": {path, map[string]any{"survey_q1": "4"}},
		"uuid-rec-2:release": {nil, map[string]any{}},
	} {
		p := payload(t, byKey[key])
		if !reflect.DeepEqual(p["recording_path"], want.path) || !reflect.DeepEqual(p["captured"], want.captured) {
			t.Errorf("%s: recording_path %#v captured %#v, want %#v %#v", key, p["recording_path"], p["captured"], want.path, want.captured)
		}
	}
}
