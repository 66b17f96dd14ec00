package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/fsdialer/dialer/store"
)

func TestExportMembers_Rows(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	id := seedResults(t, db)
	// Another campaign's member must not leak into the export.
	applyCalendar(t, db)
	if _, err := db.ApplyCampaign(ctx, readCampaign(t, "../testdata/campaigns/ivr.yaml")); err != nil {
		t.Fatal(err)
	}
	importMembers(t, db, mustID(t, db, "survey-ivr"), member(2, 1, "other", "+12125550101"))
	due := t0.Add(90 * time.Minute)
	if err := db.ExecForTest(ctx, `UPDATE members SET due_at = ?, last_cause = 'NORMAL_TEMPORARY_FAILURE' WHERE id = 5`, due.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	var got []store.ExportMember
	if err := db.ExportMembers(ctx, id, func(m store.ExportMember) error {
		got = append(got, m)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 9 {
		t.Fatalf("exported %d members, want 9", len(got))
	}
	for i, m := range got {
		if m.ID != int64(i+1) {
			t.Fatalf("row %d has id %d: not in id order", i, m.ID)
		}
	}
	tests := []struct {
		name string
		got  store.ExportMember
		want store.ExportMember
	}{
		{"two numbers in order, due at once", got[0], store.ExportMember{ID: 1, ExternalKey: "a", Name: "a", State: "done",
			Priority: 3, Numbers: []string{"+442071230001", "+442071230099"}, Variables: json.RawMessage(`{"k":"a"}`)}},
		{"waiting with a due time", got[4], store.ExportMember{ID: 5, ExternalKey: "e", Name: "e", State: "waiting",
			Priority: 3, LastCause: "NORMAL_TEMPORARY_FAILURE", DueAt: due, Numbers: []string{"+442071230005"},
			Variables: json.RawMessage(`{"k":"e"}`)}},
		{"failed with end cause", got[7], store.ExportMember{ID: 8, ExternalKey: "h", Name: "h", State: "failed",
			Priority: 3, EndCause: "BLOCKED", Numbers: []string{"+442071230008"}, Variables: json.RawMessage(`{"k":"h"}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Fatalf("member = %+v\nwant     %+v", tt.got, tt.want)
			}
		})
	}
}

func TestExportAttempts_Rows(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	id := seedResults(t, db)
	var got []store.ExportAttempt
	if err := db.ExportAttempts(ctx, id, func(a store.ExportAttempt) error {
		got = append(got, a)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 {
		t.Fatalf("exported %d attempts, want 10", len(got))
	}
	tests := []struct {
		name string
		got  store.ExportAttempt
		want store.ExportAttempt
	}{
		{"answered, bridged to alice", got[1], store.ExportAttempt{ID: 2, MemberID: 1, ExternalKey: "a",
			Number: "+442071230001", UUID: "00000000-0000-4000-8000-000000000002", Final: true,
			CreatedAt: attemptStart(2), AnsweredAt: attemptStart(2).Add(2 * time.Second),
			EndedAt: attemptStart(2).Add(32 * time.Second), Cause: "NORMAL_CLEARING", Q850: 16,
			Billsec: 30 * time.Second, Class: "ok", Counted: true, BusinessResult: "renewed", Agent: "alice"}},
		{"busy, no agent", got[2], store.ExportAttempt{ID: 3, MemberID: 2, ExternalKey: "b",
			Number: "+442071230002", UUID: "00000000-0000-4000-8000-000000000003", Final: true,
			CreatedAt: attemptStart(3), EndedAt: attemptStart(3).Add(20 * time.Second), Cause: "USER_BUSY", Q850: 17,
			Class: "retry", Counted: true}},
		{"in progress", got[5], store.ExportAttempt{ID: 6, MemberID: 4, ExternalKey: "d",
			Number: "+442071230004", UUID: "00000000-0000-4000-8000-000000000006", CreatedAt: attemptStart(6), Agent: "bob"}},
		{"minus is not counted", got[6], store.ExportAttempt{ID: 7, MemberID: 5, ExternalKey: "e",
			Number: "+442071230005", UUID: "00000000-0000-4000-8000-000000000007", Final: true,
			CreatedAt: attemptStart(7), EndedAt: attemptStart(7).Add(20 * time.Second),
			Cause: "NORMAL_TEMPORARY_FAILURE", Q850: 41, Class: "minus"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Fatalf("attempt = %+v\nwant      %+v", tt.got, tt.want)
			}
		})
	}
}

func TestExport_StopsOnError(t *testing.T) {
	db, _ := openDB(t)
	id := seedResults(t, db)
	stop := errors.New("disk full")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		export  func(ctx context.Context, fn func() error) error
		calls   int
		wantErr error
	}{
		{"members: callback error", context.Background(), func(ctx context.Context, fn func() error) error {
			return db.ExportMembers(ctx, id, func(store.ExportMember) error { return fn() })
		}, 3, stop},
		{"attempts: callback error", context.Background(), func(ctx context.Context, fn func() error) error {
			return db.ExportAttempts(ctx, id, func(store.ExportAttempt) error { return fn() })
		}, 3, stop},
		{"attempts: cancelled", cancelled, func(ctx context.Context, fn func() error) error {
			return db.ExportAttempts(ctx, id, func(store.ExportAttempt) error { return fn() })
		}, 0, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := tt.export(tt.ctx, func() error {
				calls++
				if calls == 3 {
					return stop
				}
				return nil
			})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if calls != tt.calls {
				t.Fatalf("callback ran %d times, want %d", calls, tt.calls)
			}
		})
	}
}

// seedBenchAttempts fills a fresh store with one campaign of members and
// n final attempts (a third answered) and returns the campaign id.
func seedBenchAttempts(b *testing.B, db *store.DB, members, n int) int64 {
	b.Helper()
	ctx := context.Background()
	if _, err := db.ApplyCampaign(ctx, readCampaignFile(b, "../testdata/campaigns/progressive.yaml")); err != nil {
		b.Fatal(err)
	}
	c, err := db.Campaign(ctx, "renewals-progressive")
	if err != nil {
		b.Fatal(err)
	}
	imp, err := db.BeginImport(ctx, c.ID)
	if err != nil {
		b.Fatal(err)
	}
	batch := make([]memberfile.Member, 0, 1000)
	for i := range members {
		batch = append(batch, member(i+2, 3, "k"+strconv.Itoa(i), "+4420"+strconv.Itoa(70000000+i)))
		if len(batch) == cap(batch) || i == members-1 {
			if _, err := imp.Add(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if _, _, err := imp.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	err = db.ExecForTest(ctx, `
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
		INSERT INTO attempts (campaign_id, member_id, number, uuid, final, created_at, answered_at, ended_at,
		                      cause, q850, billsec_ms, class, counted)
		SELECT ?1, i % ?3 + 1, '+4420' || (70000000 + i % ?3), printf('00000000-0000-4000-8000-%012d', i), 1,
		       ?4 + i * 1000,
		       CASE WHEN i % 3 = 0 THEN ?4 + i * 1000 + 2000 END,
		       ?4 + i * 1000 + 20000,
		       CASE WHEN i % 3 = 0 THEN 'NORMAL_CLEARING' ELSE 'NO_ANSWER' END,
		       CASE WHEN i % 3 = 0 THEN 16 ELSE 19 END,
		       CASE WHEN i % 3 = 0 THEN 12345 ELSE 0 END,
		       CASE WHEN i % 3 = 0 THEN 'ok' ELSE 'retry' END, 1
		FROM n`, c.ID, n, members, t0.UnixMilli())
	if err != nil {
		b.Fatal(err)
	}
	return c.ID
}

// BenchmarkExportAttempts streams 200,000 attempts (joined with their
// members) through ExportAttempts and reports rows per second.
func BenchmarkExportAttempts(b *testing.B) {
	const n = 200000
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	id := seedBenchAttempts(b, db, 50000, n)
	rows := 0
	for b.Loop() {
		got := 0
		if err := db.ExportAttempts(ctx, id, func(store.ExportAttempt) error {
			got++
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if got != n {
			b.Fatalf("exported %d attempts, want %d", got, n)
		}
		rows += got
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
