package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/fsdialer/dialer/store"
	"github.com/fsdialer/dialer/store/pgtest"
)

// clusterDBs are n handles on one PostgreSQL database, each a daemon of
// its own, on a shared clock; members m00.. are imported into the
// survey-ivr campaign with the given limits.
func clusterDBs(t *testing.T, n, members int, limits dialer.Limits, lease time.Duration, shared store.SharedLimits) ([]*store.DB, int64, *clusterClock, string) {
	t.Helper()
	if !pgtest.Postgres() {
		t.Skip("several daemons share a PostgreSQL database: the PostgreSQL pass tests it")
	}
	clk := &clusterClock{at: t0}
	first, dsn := openTestStore(t, store.WithClock(clk.now))
	applyCalendar(t, first)
	c := readCampaign(t, "../testdata/campaigns/ivr.yaml")
	limits.RingTimeout = c.Limits.RingTimeout
	c.Limits = limits
	ctx := context.Background()
	if _, err := first.ApplyCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	id := mustID(t, first, "survey-ivr")
	var ms []memberfile.Member
	for i := range members {
		ms = append(ms, member(i+2, 3, fmt.Sprintf("m%02d", i), fmt.Sprintf("+1212555%04d", 100+i)))
	}
	importMembers(t, first, id, ms...)
	dbs := []*store.DB{first}
	for len(dbs) < n {
		db, err := store.Open(ctx, dsn, store.WithClock(clk.now))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	for i, db := range dbs {
		if _, err := db.JoinCluster(ctx, "host", 100+i, lease, shared); err != nil {
			t.Fatal(err)
		}
	}
	return dbs, id, clk, dsn
}

type clusterClock struct {
	mu sync.Mutex
	at time.Time
}

func (c *clusterClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.at }
func (c *clusterClock) advance(d time.Duration) {
	c.mu.Lock()
	c.at = c.at.Add(d)
	c.mu.Unlock()
}

// claimAll has db claim every due member it is given, up to n, at now.
func claimAll(t *testing.T, db *store.DB, campaignID int64, n int, now time.Time) []int64 {
	t.Helper()
	ctx := context.Background()
	ids, err := db.DueMemberIDs(ctx, campaignID, now, n)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := db.MembersByID(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	var as []dialer.NewAttempt
	for _, m := range ms {
		as = append(as, dialer.NewAttempt{CampaignID: campaignID, MemberID: m.ID, CommunicationID: m.Communications[0].ID,
			Number: m.Communications[0].Number, UUID: fmt.Sprintf("u-%d-%d", m.ID, now.UnixNano()), At: now})
	}
	got, err := db.StartAttempts(ctx, as)
	if err != nil {
		t.Fatal(err)
	}
	var started []int64
	for _, id := range got {
		if id != 0 {
			started = append(started, id)
		}
	}
	return started
}

func TestCluster_SharedLinesLeasesAndAdoption(t *testing.T) {
	dbs, cid, clk, dsn := clusterDBs(t, 2, 10, dialer.Limits{Lines: 3}, 10*time.Second, store.SharedLimits{MaxCalls: 100, MaxCPS: 100})
	ctx := context.Background()
	a, b := dbs[0], dbs[1]
	if got := claimAll(t, a, cid, 2, clk.now()); len(got) != 2 {
		t.Fatalf("daemon a started %d attempts, want 2", len(got))
	}
	if got := claimAll(t, b, cid, 3, clk.now()); len(got) != 1 {
		t.Fatalf("daemon b started %d attempts beside a's 2 on 3 lines, want 1", len(got))
	}
	openA, _ := a.OpenAttempts(ctx)
	openB, _ := b.OpenAttempts(ctx)
	if len(openA) != 2 || len(openB) != 1 {
		t.Fatalf("open attempts: a follows %d, b %d; want each its own (2 and 1)", len(openA), len(openB))
	}
	// a stops renewing: past its lease b adopts its attempts, and a finds
	// its lease lost.
	clk.advance(5 * time.Second)
	if err := b.RenewLease(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if n, err := b.AdoptOrphans(ctx, clk.now()); err != nil || n != 0 {
		t.Fatalf("adopted %d (%v) while a's lease runs", n, err)
	}
	clk.advance(6 * time.Second)
	if n, err := b.AdoptOrphans(ctx, clk.now()); err != nil || n != 2 {
		t.Fatalf("adopted %d (%v) after a's lease ran out, want its 2 attempts", n, err)
	}
	if openB, _ = b.OpenAttempts(ctx); len(openB) != 3 {
		t.Fatalf("b follows %d attempts after adopting, want 3", len(openB))
	}
	if err := a.RenewLease(ctx, 10*time.Second); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("renewing a lease that ran out: %v, want ErrLeaseLost", err)
	}
	if got := claimAll(t, b, cid, 3, clk.now()); len(got) != 0 {
		t.Fatalf("started %d attempts with the 3 lines taken", len(got))
	}
	// A clean shutdown hands its attempts over at once.
	if err := b.LeaveCluster(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := store.Open(ctx, dsn, store.WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.JoinCluster(ctx, "host", 200, 10*time.Second, store.SharedLimits{}); err != nil {
		t.Fatal(err)
	}
	if n, err := c.AdoptOrphans(ctx, clk.now()); err != nil || n != 3 {
		t.Fatalf("adopted %d (%v) from a daemon that left, want 3", n, err)
	}
	ds, err := c.Daemons(ctx, 10)
	if err != nil || len(ds) != 3 || ds[1].StoppedAt.IsZero() || !ds[0].StoppedAt.IsZero() {
		t.Fatalf("daemons %+v %v, want 3, the one that left marked stopped", ds, err)
	}
}

// TestCluster_ConcurrentClaimsHoldTheLimits: daemons claiming at the same
// time never start more attempts than the campaign's lines or its calls
// per interval, and never start a member twice.
func TestCluster_ConcurrentClaimsHoldTheLimits(t *testing.T) {
	dbs, cid, clk, _ := clusterDBs(t, 3, 60, dialer.Limits{Lines: 5, Calls: 4, Interval: dialer.Duration(time.Second)}, time.Minute, store.SharedLimits{MaxCalls: 100, MaxCPS: 100})
	ctx := context.Background()
	var mu sync.Mutex
	total := 0
	var wg sync.WaitGroup
	for _, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				got := claimAll(t, db, cid, 3, clk.now())
				mu.Lock()
				total += len(got)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if total != 4 {
		t.Fatalf("%d attempts started at one instant, campaign rate 4 per second and 5 lines", total)
	}
	clk.advance(time.Second)
	if got := claimAll(t, dbs[0], cid, 5, clk.now()); len(got) != 1 {
		t.Fatalf("a second later %d more started, want 1 (5 lines, 4 taken)", len(got))
	}
	seen := map[int64]bool{}
	for _, db := range dbs {
		open, err := db.OpenAttempts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range open {
			if seen[a.MemberID] {
				t.Fatalf("member %d in two attempts", a.MemberID)
			}
			seen[a.MemberID] = true
		}
	}
	if len(seen) != 5 {
		t.Fatalf("%d members in calls, want the 5 lines", len(seen))
	}
}

// TestCluster_GlobalMaxCalls: the daemons' calls together stay within
// the global max_calls, whatever the campaigns' lines.
func TestCluster_GlobalMaxCalls(t *testing.T) {
	dbs, cid, clk, _ := clusterDBs(t, 2, 20, dialer.Limits{Lines: 20}, time.Minute, store.SharedLimits{MaxCalls: 6, MaxCPS: 100})
	n := len(claimAll(t, dbs[0], cid, 4, clk.now())) + len(claimAll(t, dbs[1], cid, 4, clk.now()))
	if n != 6 {
		t.Fatalf("%d attempts started, global max_calls 6", n)
	}
}

func TestCluster_NotOnSQLite(t *testing.T) {
	pgtest.SQLiteOnly(t, "PostgreSQL is shared")
	db, _ := openDB(t)
	if _, err := db.JoinCluster(context.Background(), "h", 1, time.Second, store.SharedLimits{}); !errors.Is(err, store.ErrNotShared) {
		t.Fatalf("join on SQLite: %v, want ErrNotShared", err)
	}
	if db.Shared() {
		t.Fatal("a SQLite store says it is shared")
	}
}

// TestCluster_AgentsWorkedByOneDaemon: an agent is worked by the first
// daemon to take it while that daemon lives; another sees neither the
// agent nor its session leg nor its click-to-call requests, and takes
// them over once the first leaves.
func TestCluster_AgentsWorkedByOneDaemon(t *testing.T) {
	dbs, _, _, _ := clusterDBs(t, 2, 0, dialer.Limits{Lines: 3}, time.Minute, store.SharedLimits{MaxCalls: 10, MaxCPS: 10})
	ctx := context.Background()
	a, b := dbs[0], dbs[1]
	if _, err := a.ApplyAgents(ctx, []dialer.Agent{{Name: "alice", Endpoint: "user/1001", CallTimeout: dialer.Duration(20 * time.Second)},
		{Name: "bob", Endpoint: "user/1002", CallTimeout: dialer.Duration(20 * time.Second)}}); err != nil {
		t.Fatal(err)
	}
	got, err := a.AgentsToWork(ctx)
	if err != nil || len(got) != 2 {
		t.Fatalf("daemon a works %d agents (%v), want both", len(got), err)
	}
	if err := a.SetAgentSessionLeg(ctx, got[0].ID, "leg-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.RequestCall(ctx, dialer.CallRequest{AgentID: got[1].ID, Number: "+12125550199"}); err != nil {
		t.Fatal(err)
	}
	if other, err := b.AgentsToWork(ctx); err != nil || len(other) != 0 {
		t.Fatalf("daemon b works %d agents (%v) while a holds them", len(other), err)
	}
	if legs, _ := b.AgentSessionLegs(ctx); len(legs) != 0 {
		t.Fatalf("daemon b sees a's session legs %v", legs)
	}
	if reqs, _ := b.PendingCallRequests(ctx); len(reqs) != 0 {
		t.Fatalf("daemon b takes the call requests of a's agents: %v", reqs)
	}
	if reqs, _ := a.PendingCallRequests(ctx); len(reqs) != 1 {
		t.Fatalf("daemon a sees %d call requests of its agents, want 1", len(reqs))
	}
	if err := a.LeaveCluster(ctx); err != nil {
		t.Fatal(err)
	}
	if taken, err := b.AgentsToWork(ctx); err != nil || len(taken) != 2 {
		t.Fatalf("daemon b works %d agents (%v) after a left, want both", len(taken), err)
	}
	if legs, _ := b.AgentSessionLegs(ctx); len(legs) != 1 {
		t.Fatalf("daemon b sees %v session legs after a left, want alice's", legs)
	}
}
