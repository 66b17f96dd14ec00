package store_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/fsdialer/dialer/store"
	"github.com/fsdialer/dialer/store/pgtest"
)

// benchDialects runs a benchmark as sub-benchmarks sqlite and postgres.
func benchDialects(b *testing.B, run func(b *testing.B, postgres bool)) {
	b.Run("sqlite", func(b *testing.B) { run(b, false) })
	b.Run("postgres", func(b *testing.B) { run(b, true) })
}

// benchFileDB is the database a *File benchmark reads, built by
// scripts/bench-import.sh: BENCH_DB (a SQLite file) or, for postgres,
// BENCH_PG_DB (a postgres:// URL; scripts/bench-postgres.sh builds both).
func benchFileDB(b *testing.B, postgres bool) string {
	env, script := "BENCH_DB", "scripts/bench-import.sh"
	if postgres {
		env, script = "BENCH_PG_DB", "scripts/bench-postgres.sh"
	}
	dsn := os.Getenv(env)
	if dsn == "" {
		b.Skipf("%s not set: run %s", env, script)
	}
	return dsn
}

// reportLatency runs query b.N times and reports p50 and p99 in µs.
func reportLatency(b *testing.B, query func() error) {
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if err := query(); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkDueMembersFile measures the "next due members" query on a
// database built by scripts/bench-import.sh (see benchFileDB).
func BenchmarkDueMembersFile(b *testing.B) { benchDialects(b, benchDueMembersFile) }

func benchDueMembersFile(b *testing.B, postgres bool) {
	path := benchFileDB(b, postgres)
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	c, err := db.Campaign(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	reportLatency(b, func() error {
		due, err := db.DueMembers(ctx, c.ID, now, 50)
		if err == nil && len(due) != 50 {
			err = fmt.Errorf("got %d due members", len(due))
		}
		return err
	})
}

// BenchmarkImport imports 100,000 decoded members (two numbers, three
// variables) into a fresh campaign per iteration: a new SQLite file, or a
// new database on the tests' PostgreSQL server (store/pgtest).
func BenchmarkImport(b *testing.B) { benchDialects(b, benchImport) }

func benchImport(b *testing.B, postgres bool) {
	const n = 100000
	batch := make([]memberfile.Member, n)
	for i := range batch {
		batch[i] = memberfile.Member{Line: i + 2, Priority: 3, Name: fmt.Sprintf("m%d", i), ExternalKey: fmt.Sprintf("k%d", i),
			Variables: map[string]string{"a": "x", "b": "y", "c": fmt.Sprint(i)},
			Numbers: []memberfile.Number{{Number: fmt.Sprintf("+1212%07d", 2000000+i), Type: "mobile", Position: 1},
				{Number: fmt.Sprintf("+1646%07d", 2000000+i), Type: "home", Position: 2}}}
	}
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db, _ := openBenchDB(b, postgres)
		id := mustBenchID(b, db)
		b.StartTimer()
		imp, err := db.BeginImport(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		for off := 0; off < n; off += 1000 {
			if _, err := imp.Add(ctx, batch[off:off+1000]); err != nil {
				b.Fatal(err)
			}
		}
		if _, _, err := imp.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		db.Close()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func openBenchDB(b *testing.B, postgres bool) (*store.DB, string) {
	path := b.TempDir() + "/bench.db"
	if postgres {
		path = pgtest.NewDatabase(b)
	}
	db, err := store.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	return db, path
}

func mustBenchID(b *testing.B, db *store.DB) int64 {
	ctx := context.Background()
	f, err := os.Open("../testdata/campaigns/progressive.yaml")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	c, err := readCampaignFrom(f)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.ApplyCampaign(ctx, c); err != nil {
		b.Fatal(err)
	}
	got, err := db.Campaign(ctx, c.Name)
	if err != nil {
		b.Fatal(err)
	}
	return got.ID
}

// BenchmarkClaimFile measures one claim on the 1M-member campaign of a
// database built by scripts/bench-import.sh (see benchFileDB), which also
// loads 19 more running campaigns: the due query, loading the member with
// its numbers and the blocklist check, and the transaction that claims it
// and records its attempt.
func BenchmarkClaimFile(b *testing.B) { benchDialects(b, benchClaimFile) }

func benchClaimFile(b *testing.B, postgres bool) {
	path := benchFileDB(b, postgres)
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	c, err := db.Campaign(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	running, err := db.CountCampaigns(ctx, dialer.StateRunning)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(running), "running-campaigns")
	now := time.Now()
	n := 0
	reportLatency(b, func() error {
		ids, err := db.DueMemberIDs(ctx, c.ID, now, 1)
		if err != nil || len(ids) != 1 {
			return fmt.Errorf("due: %v %v", ids, err)
		}
		ms, err := db.MembersByID(ctx, ids)
		if err != nil {
			return err
		}
		m := ms[0]
		if _, err := db.BlockedSet(ctx, c.ID, []string{m.Communications[0].Number}); err != nil {
			return err
		}
		n++
		got, err := db.StartAttempts(ctx, []dialer.NewAttempt{{CampaignID: c.ID, MemberID: m.ID,
			CommunicationID: m.Communications[0].ID, Number: m.Communications[0].Number,
			UUID: fmt.Sprintf("claim-%d-%d", now.UnixNano(), n), At: now}})
		if err == nil && got[0] == 0 {
			err = fmt.Errorf("member %d not claimed", m.ID)
		}
		return err
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "claims/s")
}
