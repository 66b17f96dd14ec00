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

func TestDaemonStatus_WriteReadStop(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	if _, err := db.DaemonStatus(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("status before any write: %v, want ErrNotFound", err)
	}
	first := store.DaemonStatus{PID: 4242, Host: "fs1", Version: "v1.0.0",
		StartedAt: t0.Add(-time.Hour), UpdatedAt: t0.Add(-time.Second),
		ESLState: "connected", ESLReconnects: 1, CallsInProgress: 7, OriginatesPerSec: 2.5, ESLSince: t0.Add(-time.Hour),
		Campaigns: []store.CampaignLive{{Name: "survey-ivr", LinesInUse: 7, MaxLines: 30, CallsPerSec: 2.5}}}
	second := store.DaemonStatus{PID: 4242, Host: "fs1", Version: "v1.0.0",
		StartedAt: t0.Add(-time.Hour), ESLState: "disconnected", ESLReconnects: 2, ESLSince: t0.Add(-10 * time.Second),
		ESLError: "authenticate with 127.0.0.1:8021: esl: auth: -ERR invalid", ESLRetry: dialer.Duration(1600 * time.Millisecond)}
	stopped := second
	stopped.UpdatedAt, stopped.Campaigns, stopped.StoppedAt = t0.Add(time.Minute), []store.CampaignLive{}, t0.Add(time.Minute)
	tests := []struct {
		name string
		do   func() error
		want store.DaemonStatus
	}{
		{"first write", func() error { return db.WriteDaemonStatus(ctx, first) }, first},
		// The upsert replaces the row; a zero UpdatedAt takes the store's
		// clock and no campaigns reads back as an empty list.
		{"overwrite", func() error { return db.WriteDaemonStatus(ctx, second) }, func() store.DaemonStatus {
			s := second
			s.UpdatedAt, s.Campaigns = t0, []store.CampaignLive{}
			return s
		}()},
		{"clean shutdown keeps the last figures", func() error { return db.MarkDaemonStopped(ctx, 4242, t0.Add(time.Minute), "") }, stopped},
		{"a new run clears the stop", func() error { return db.WriteDaemonStatus(ctx, first) }, first},
		{"exit on an error", func() error {
			return db.MarkDaemonStopped(ctx, 4242, t0.Add(2*time.Minute), "database disk image is malformed")
		}, func() store.DaemonStatus {
			s := first
			s.UpdatedAt, s.StoppedAt, s.StopError = t0.Add(2*time.Minute), t0.Add(2*time.Minute), "database disk image is malformed"
			return s
		}()},
		{"another process's stop is not this one's", func() error {
			if err := db.WriteDaemonStatus(ctx, first); err != nil {
				return err
			}
			return db.MarkDaemonStopped(ctx, 99, t0.Add(3*time.Minute), "")
		}, first},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); err != nil {
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
