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

func TestDaemonStatus_WriteReadClear(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	if _, err := db.DaemonStatus(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("status before any write: %v, want ErrNotFound", err)
	}
	first := store.DaemonStatus{PID: 4242, Host: "fs1", Version: "v1.0.0",
		StartedAt: t0.Add(-time.Hour), UpdatedAt: t0.Add(-time.Second),
		ESLState: "connected", ESLReconnects: 1, CallsInProgress: 7, OriginatesPerSec: 2.5,
		Campaigns: []store.CampaignLive{{Name: "survey-ivr", LinesInUse: 7, MaxLines: 30, CallsPerSec: 2.5}}}
	second := store.DaemonStatus{PID: 4242, Host: "fs1", Version: "v1.0.0",
		StartedAt: t0.Add(-time.Hour), ESLState: "disconnected", ESLReconnects: 2}
	tests := []struct {
		name  string
		write store.DaemonStatus
		want  store.DaemonStatus
	}{
		{"first write", first, first},
		// The upsert replaces the row; a zero UpdatedAt takes the store's
		// clock and no campaigns reads back as an empty list.
		{"overwrite", second, func() store.DaemonStatus {
			s := second
			s.UpdatedAt, s.Campaigns = t0, []store.CampaignLive{}
			return s
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := db.WriteDaemonStatus(ctx, tt.write); err != nil {
				t.Fatal(err)
			}
			got, err := db.DaemonStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Fatalf("status = %+v, want %+v", *got, tt.want)
			}
		})
	}
	if err := db.ClearDaemonStatus(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DaemonStatus(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("status after clear: %v, want ErrNotFound", err)
	}
}

func TestActiveCampaigns_CountsByClass(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	id := seedResults(t, db)
	applyCalendar(t, db)
	if _, err := db.ApplyCampaign(ctx, readCampaign(t, "../testdata/campaigns/ivr.yaml")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		state dialer.State
		want  []store.CampaignActivity
	}{
		{"stopped is not active", dialer.StateStopped, []store.CampaignActivity{}},
		{"running", dialer.StateRunning, []store.CampaignActivity{{ID: id, Name: "renewals-progressive", State: "running",
			Priority: 3, MaxLines: 20, Attempts: 10, InProgress: 1, OK: 2, Retry: 5, Error: 1, Minus: 1}}},
		{"paused", dialer.StatePaused, []store.CampaignActivity{{ID: id, Name: "renewals-progressive", State: "paused",
			Priority: 3, MaxLines: 20, Attempts: 10, InProgress: 1, OK: 2, Retry: 5, Error: 1, Minus: 1}}},
		{"finished is not active", dialer.StateFinished, []store.CampaignActivity{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := db.SetCampaignState(ctx, "renewals-progressive", tt.state); err != nil {
				t.Fatal(err)
			}
			got, err := db.ActiveCampaigns(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("active = %+v, want %+v", got, tt.want)
			}
		})
	}
}
