package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
)

func TestApplyCampaign_AMDSettingsRoundTrip(t *testing.T) {
	db, _ := openDB(t)
	applyCalendar(t, db)
	ctx := context.Background()
	c := readCampaign(t, "../testdata/campaigns/ivr.yaml")
	c.AMD = dialer.AMDSpec{Engine: dialer.AMDVariable, Timeout: dialer.Duration(2 * time.Second), Variable: "AMD_STATUS",
		MachineValues: []string{"MACHINE"}, HumanValues: []string{"HUMAN", "NOTSURE"}, OnMachine: "message", Message: "tone_stream://%(300,0,800)"}
	if _, err := db.ApplyCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	stored, err := db.Campaign(ctx, "survey-ivr")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(stored.AMD, c.AMD) {
		t.Errorf("stored amd = %+v, want %+v", stored.AMD, c.AMD)
	}
	if got, err := db.ApplyCampaign(ctx, stored); err != nil || got != store.Unchanged {
		t.Errorf("apply stored = %v, %v; want unchanged", got, err)
	}
	changed := *stored
	changed.AMD.Timeout = dialer.Duration(time.Second)
	if got, err := db.ApplyCampaign(ctx, &changed); err != nil || got != store.Updated {
		t.Errorf("apply with another timeout = %v, %v; want updated", got, err)
	}
	off := *stored
	off.AMD = dialer.AMDSpec{}
	if _, err := db.ApplyCampaign(ctx, &off); err != nil {
		t.Fatal(err)
	}
	if again, err := db.Campaign(ctx, "survey-ivr"); err != nil || again.AMD.Enabled() {
		t.Errorf("amd after turning it off = %+v, %v", again.AMD, err)
	}
}

func TestMarkAMD_RecordsTheFirstVerdict(t *testing.T) {
	o := newOutboxDB(t)
	ctx := context.Background()
	id := o.start(t, o.ivrMemb, "uuid-amd", 0, t0)
	if got, took, err := o.db.AMDResult(ctx, id); err != nil || got != "" || took != 0 {
		t.Fatalf("before detection: %q %v %v", got, took, err)
	}
	if err := o.db.MarkAMD(ctx, id, dialer.AMDMachine, 930*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := o.db.MarkAMD(ctx, id, dialer.AMDHuman, 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	got, took, err := o.db.AMDResult(ctx, id)
	if err != nil || got != dialer.AMDMachine || took != 930*time.Millisecond {
		t.Errorf("verdict = %q after %v (%v), want machine after 930ms", got, took, err)
	}
	if err := o.db.MarkAMD(ctx, id, "voicemail", 0); err == nil {
		t.Error("MarkAMD took a verdict that is none")
	}
	if _, _, err := o.db.AMDResult(ctx, id+1000); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown attempt: %v, want ErrNotFound", err)
	}
}
