package store_test

import (
	"context"
	"errors"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
)

// agentDB is a store holding the two example agent campaigns.
func agentDB(t *testing.T) *store.DB {
	t.Helper()
	db, _ := openDB(t)
	applyCalendar(t, db)
	for _, f := range []string{"progressive.yaml", "preemptive.yaml"} {
		if _, err := db.ApplyCampaign(context.Background(), readCampaign(t, "../testdata/campaigns/"+f)); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func readAgents(t *testing.T, path string) []dialer.Agent {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	agents, err := dialer.ReadAgents(f, path)
	if err != nil {
		t.Fatal(err)
	}
	return agents
}

func applyAgents(t *testing.T, db *store.DB, agents []dialer.Agent) map[string]store.Change {
	t.Helper()
	got, err := db.ApplyAgents(context.Background(), agents)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func mustAgent(t *testing.T, db *store.DB, name string) *dialer.Agent {
	t.Helper()
	a, err := db.Agent(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestOpen_AgentRequestsMigration(t *testing.T) {
	db, _ := openDB(t)
	got, err := db.Migrations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(got, "0003_agent_requests.sql") {
		t.Fatalf("migrations = %v, want 0003_agent_requests.sql applied", got)
	}
}

func TestApplyAgents_CreateUnchangedUpdate(t *testing.T) {
	ctx := context.Background()
	db := agentDB(t)
	file := "../testdata/agents/agents.yaml"
	all := func(c store.Change) map[string]store.Change {
		return map[string]store.Change{"alice": c, "bob": c, "carol": c}
	}
	if got, want := applyAgents(t, db, readAgents(t, file)), all(store.Created); !reflect.DeepEqual(got, want) {
		t.Fatalf("first apply = %v, want %v", got, want)
	}
	if got, want := applyAgents(t, db, readAgents(t, file)), all(store.Unchanged); !reflect.DeepEqual(got, want) {
		t.Fatalf("second apply = %v, want %v", got, want)
	}

	t.Run("stored agents re-apply unchanged", func(t *testing.T) {
		stored, err := db.Agents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := applyAgents(t, db, stored), all(store.Unchanged); !reflect.DeepEqual(got, want) {
			t.Fatalf("apply stored = %v, want %v", got, want)
		}
	})
	t.Run("tier order does not matter", func(t *testing.T) {
		agents := readAgents(t, file)
		slices.Reverse(agents[0].Tiers)
		if got := applyAgents(t, db, agents[:1]); got["alice"] != store.Unchanged {
			t.Fatalf("reordered tiers = %v, want unchanged", got)
		}
	})
	t.Run("setting changed", func(t *testing.T) {
		agents := readAgents(t, file)
		agents[1].WrapUp = dialer.Duration(42 * time.Second)
		got := applyAgents(t, db, agents)
		want := map[string]store.Change{"alice": store.Unchanged, "bob": store.Updated, "carol": store.Unchanged}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("apply = %v, want %v", got, want)
		}
		if got := mustAgent(t, db, "bob").WrapUp.D(); got != 42*time.Second {
			t.Fatalf("bob wrap-up = %s, want 42s", got)
		}
	})
	t.Run("tiers replaced", func(t *testing.T) {
		agents := readAgents(t, file)
		agents[0].Tiers = []dialer.Tier{{Campaign: "collections-preemptive", Level: 3}}
		if got := applyAgents(t, db, agents[:1]); got["alice"] != store.Updated {
			t.Fatalf("apply = %v, want alice updated", got)
		}
		want := []dialer.Tier{{Campaign: "collections-preemptive", Level: 3}}
		if got := mustAgent(t, db, "alice").Tiers; !reflect.DeepEqual(got, want) {
			t.Fatalf("alice tiers = %v, want %v", got, want)
		}
	})
}

func TestApplyAgents_StoresEveryField(t *testing.T) {
	db := agentDB(t)
	applyAgents(t, db, readAgents(t, "../testdata/agents/agents.yaml"))
	a := mustAgent(t, db, "alice")
	checks := []struct {
		name      string
		got, want any
	}{
		{"endpoint", a.Endpoint, "user/1001"},
		{"call timeout", a.CallTimeout.D(), 20 * time.Second},
		{"wrap-up", a.WrapUp.D(), 15 * time.Second},
		{"max no answer", a.MaxNoAnswer, 3},
		{"busy delay", a.BusyDelay.D(), 30 * time.Second},
		{"reject delay", a.RejectDelay.D(), time.Minute},
		{"no answer delay", a.NoAnswerDelay.D(), 45 * time.Second},
		{"tiers", a.Tiers, []dialer.Tier{{Campaign: "renewals-progressive", Level: 1}, {Campaign: "collections-preemptive", Level: 2}}},
		{"state", a.State, dialer.AgentLoggedOut},
		{"since", a.StateChangedAt, t0},
		{"no answer count", a.NoAnswerCount, 0},
		{"ready at", a.ReadyAt, time.Time{}},
		{"carol never on break", mustAgent(t, db, "carol").MaxNoAnswer, 0},
	}
	for _, ck := range checks {
		if !reflect.DeepEqual(ck.got, ck.want) {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
	if _, err := db.Agent(context.Background(), "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown agent: err = %v, want ErrNotFound", err)
	}
}

func TestApplyAgents_KeepsLiveState(t *testing.T) {
	ctx := context.Background()
	db := agentDB(t)
	agents := readAgents(t, "../testdata/agents/agents.yaml")
	applyAgents(t, db, agents)
	a := mustAgent(t, db, "alice")
	since, ready := t0.Add(time.Minute), t0.Add(2*time.Minute)
	if err := db.SetAgentLive(ctx, a.ID, dialer.AgentTalking, since, 2, ready); err != nil {
		t.Fatal(err)
	}
	agents[0].Endpoint = "user/2001"
	if got := applyAgents(t, db, agents); got["alice"] != store.Updated {
		t.Fatalf("apply = %v, want alice updated", got)
	}
	got := mustAgent(t, db, "alice")
	if got.Endpoint != "user/2001" || got.State != dialer.AgentTalking || !got.StateChangedAt.Equal(since) ||
		got.NoAnswerCount != 2 || !got.ReadyAt.Equal(ready) || got.ID != a.ID {
		t.Fatalf("after apply: %+v; want new endpoint and live state kept", got)
	}
}

func TestApplyAgents_UnknownCampaignWritesNothing(t *testing.T) {
	ctx := context.Background()
	db := agentDB(t)
	agents := readAgents(t, "../testdata/agents/agents.yaml")
	applyAgents(t, db, agents[:1])
	before := mustAgent(t, db, "alice")

	agents[0].Endpoint = "user/9999"
	agents[2].Tiers = append(agents[2].Tiers, dialer.Tier{Campaign: "no-such-campaign", Level: 1})
	_, err := db.ApplyAgents(ctx, agents)
	var ve *dialer.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a *dialer.ValidationError", err)
	}
	if got, want := ve.Problems[0].Path, "agents[2].campaigns[1].campaign"; len(ve.Problems) != 1 || got != want {
		t.Fatalf("problems = %v, want one at %s", ve.Problems, want)
	}
	list, err := db.Agents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || !reflect.DeepEqual(&list[0], before) {
		t.Fatalf("agents after a refused apply = %+v, want alice alone, untouched", list)
	}
}

func TestApplyAgents_RefusesInvalid(t *testing.T) {
	db := agentDB(t)
	agents := []dialer.Agent{
		{Name: "a", Endpoint: "user/1", CallTimeout: dialer.Duration(20 * time.Second)},
		{Name: "a", Endpoint: "user/2", CallTimeout: dialer.Duration(20 * time.Second)},
	}
	_, err := db.ApplyAgents(context.Background(), agents)
	var ve *dialer.ValidationError
	if !errors.As(err, &ve) || ve.Problems[0].Path != "agents[1].name" {
		t.Fatalf("err = %v, want a duplicate name at agents[1].name", err)
	}
}

func TestAgentsForCampaign_LevelThenIdle(t *testing.T) {
	ctx := context.Background()
	db := agentDB(t)
	applyAgents(t, db, readAgents(t, "../testdata/agents/agents.yaml"))
	ids := map[string]int64{}
	for _, name := range []string{"alice", "bob", "carol"} {
		ids[name] = mustAgent(t, db, name).ID
	}
	// bob has been available longer than alice: same level, bob first.
	if err := db.SetAgentLive(ctx, ids["alice"], dialer.AgentAvailable, t0.Add(time.Minute), 0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetAgentLive(ctx, ids["bob"], dialer.AgentAvailable, t0.Add(-time.Minute), 0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		campaign string
		want     []string
		levels   []int
	}{
		{"renewals-progressive", []string{"bob", "alice"}, []int{1, 1}},
		{"collections-preemptive", []string{"carol", "alice"}, []int{1, 2}},
	}
	for _, tc := range cases {
		t.Run(tc.campaign, func(t *testing.T) {
			list, err := db.AgentsForCampaign(ctx, mustID(t, db, tc.campaign))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			var levels []int
			for _, a := range list {
				if len(a.Tiers) != 1 || a.Tiers[0].Campaign != tc.campaign {
					t.Fatalf("%s tiers = %v, want only %s", a.Name, a.Tiers, tc.campaign)
				}
				names = append(names, a.Name)
				levels = append(levels, a.Tiers[0].Level)
			}
			if !reflect.DeepEqual(names, tc.want) || !reflect.DeepEqual(levels, tc.levels) {
				t.Fatalf("agents = %v levels %v, want %v levels %v", names, levels, tc.want, tc.levels)
			}
		})
	}
}

func TestDeleteAgent_RefusesInCall(t *testing.T) {
	ctx := context.Background()
	for _, state := range dialer.AgentStates {
		t.Run(string(state), func(t *testing.T) {
			db := agentDB(t)
			applyAgents(t, db, readAgents(t, "../testdata/agents/agents.yaml"))
			a := mustAgent(t, db, "alice")
			if err := db.SetAgentLive(ctx, a.ID, state, t0, 0, time.Time{}); err != nil {
				t.Fatal(err)
			}
			err := db.DeleteAgent(ctx, "alice", false)
			if state.InCall() {
				if !errors.Is(err, store.ErrAgentBusy) {
					t.Fatalf("delete while %s: err = %v, want ErrAgentBusy", state, err)
				}
				err = db.DeleteAgent(ctx, "alice", true)
			}
			if err != nil {
				t.Fatalf("delete: %v", err)
			}
			if _, err := db.Agent(ctx, "alice"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("alice after delete: err = %v", err)
			}
			list, err := db.AgentsForCampaign(ctx, mustID(t, db, "renewals-progressive"))
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 1 || list[0].Name != "bob" {
				t.Fatalf("renewals agents after delete = %v, want bob alone", list)
			}
		})
	}
	t.Run("unknown", func(t *testing.T) {
		db, _ := openDB(t)
		if err := db.DeleteAgent(ctx, "nobody", true); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
}

func TestRequestAgentState_AppliesUnlessInCall(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		from, to  dialer.AgentState
		applied   bool
		wantState dialer.AgentState
	}{
		{dialer.AgentLoggedOut, dialer.AgentAvailable, true, dialer.AgentAvailable},
		{dialer.AgentAvailable, dialer.AgentBreak, true, dialer.AgentBreak},
		{dialer.AgentBreak, dialer.AgentAvailable, true, dialer.AgentAvailable},
		{dialer.AgentBreak, dialer.AgentLoggedOut, true, dialer.AgentLoggedOut},
		{dialer.AgentAvailable, dialer.AgentAvailable, true, dialer.AgentAvailable},
		{dialer.AgentReserved, dialer.AgentBreak, false, dialer.AgentReserved},
		{dialer.AgentRinging, dialer.AgentLoggedOut, false, dialer.AgentRinging},
		{dialer.AgentTalking, dialer.AgentBreak, false, dialer.AgentTalking},
		{dialer.AgentWrapUp, dialer.AgentAvailable, false, dialer.AgentWrapUp},
	}
	for _, tc := range cases {
		t.Run(string(tc.from)+" to "+string(tc.to), func(t *testing.T) {
			db := agentDB(t)
			applyAgents(t, db, readAgents(t, "../testdata/agents/agents.yaml"))
			a := mustAgent(t, db, "alice")
			since, ready := t0.Add(-time.Hour), t0.Add(time.Minute)
			if err := db.SetAgentLive(ctx, a.ID, tc.from, since, 2, ready); err != nil {
				t.Fatal(err)
			}
			ch, err := db.RequestAgentState(ctx, "alice", tc.to)
			if err != nil {
				t.Fatal(err)
			}
			want := store.AgentStateChange{AgentID: a.ID, Agent: "alice", From: tc.from, To: tc.to, Applied: tc.applied, RequestedAt: t0}
			if ch != want {
				t.Fatalf("change = %+v, want %+v", ch, want)
			}
			got := mustAgent(t, db, "alice")
			if got.State != tc.wantState {
				t.Fatalf("state = %s, want %s", got.State, tc.wantState)
			}
			changed := tc.applied && tc.from != tc.to
			if changed && (!got.StateChangedAt.Equal(t0) || got.NoAnswerCount != 0 || !got.ReadyAt.IsZero()) {
				t.Errorf("direct change left since %s, no-answer %d, ready %s; want now, 0, zero",
					got.StateChangedAt, got.NoAnswerCount, got.ReadyAt)
			}
			if !changed && (!got.StateChangedAt.Equal(since) || got.NoAnswerCount != 2 || !got.ReadyAt.Equal(ready)) {
				t.Errorf("live state touched: since %s, no-answer %d, ready %s", got.StateChangedAt, got.NoAnswerCount, got.ReadyAt)
			}
			pending, err := db.PendingAgentRequests(ctx)
			if err != nil {
				t.Fatal(err)
			}
			wantReq := []store.AgentRequest{{AgentID: a.ID, Agent: "alice", State: tc.to, Current: tc.wantState, RequestedAt: t0}}
			if !reflect.DeepEqual(pending, wantReq) {
				t.Fatalf("pending = %+v, want %+v", pending, wantReq)
			}
		})
	}
}

func TestRequestAgentState_Refusals(t *testing.T) {
	ctx := context.Background()
	db := agentDB(t)
	applyAgents(t, db, readAgents(t, "../testdata/agents/agents.yaml"))
	for _, s := range []dialer.AgentState{dialer.AgentReserved, dialer.AgentRinging, dialer.AgentTalking, dialer.AgentWrapUp, "lunch"} {
		t.Run(string(s), func(t *testing.T) {
			if _, err := db.RequestAgentState(ctx, "alice", s); err == nil {
				t.Fatalf("request %s accepted", s)
			}
		})
	}
	t.Run("unknown agent", func(t *testing.T) {
		if _, err := db.RequestAgentState(ctx, "nobody", dialer.AgentAvailable); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
	if pending, _ := db.PendingAgentRequests(ctx); len(pending) != 0 {
		t.Fatalf("refused requests recorded: %v", pending)
	}
}

func TestClearAgentRequest_KeepsNewer(t *testing.T) {
	ctx := context.Background()
	db := agentDB(t)
	applyAgents(t, db, readAgents(t, "../testdata/agents/agents.yaml"))
	a := mustAgent(t, db, "alice")
	if err := db.SetAgentLive(ctx, a.ID, dialer.AgentTalking, t0, 0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	first, err := db.RequestAgentState(ctx, "alice", dialer.AgentBreak)
	if err != nil {
		t.Fatal(err)
	}
	// The clock stands still: the second request still gets a later stamp.
	second, err := db.RequestAgentState(ctx, "alice", dialer.AgentLoggedOut)
	if err != nil {
		t.Fatal(err)
	}
	if !second.RequestedAt.After(first.RequestedAt) {
		t.Fatalf("second request at %s, not after the first at %s", second.RequestedAt, first.RequestedAt)
	}
	if err := db.ClearAgentRequest(ctx, a.ID, first.RequestedAt); err != nil {
		t.Fatal(err)
	}
	pending, err := db.PendingAgentRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].State != dialer.AgentLoggedOut || !pending[0].RequestedAt.Equal(second.RequestedAt) {
		t.Fatalf("pending after clearing the older request = %+v, want the logout", pending)
	}
	if err := db.ClearAgentRequest(ctx, a.ID, second.RequestedAt); err != nil {
		t.Fatal(err)
	}
	if pending, _ := db.PendingAgentRequests(ctx); len(pending) != 0 {
		t.Fatalf("pending after clearing = %+v", pending)
	}
	if err := db.ClearAgentRequest(ctx, a.ID, second.RequestedAt); err != nil {
		t.Fatalf("clearing twice: %v", err)
	}
}

func TestSetAgentLive_WritesAndRefuses(t *testing.T) {
	ctx := context.Background()
	db := agentDB(t)
	applyAgents(t, db, readAgents(t, "../testdata/agents/agents.yaml"))
	a := mustAgent(t, db, "bob")
	since, ready := t0.Add(3*time.Second), t0.Add(33*time.Second)
	if err := db.SetAgentLive(ctx, a.ID, dialer.AgentBreak, since, 3, ready); err != nil {
		t.Fatal(err)
	}
	got := mustAgent(t, db, "bob")
	if got.State != dialer.AgentBreak || !got.StateChangedAt.Equal(since) || got.NoAnswerCount != 3 || !got.ReadyAt.Equal(ready) {
		t.Fatalf("live = %s since %s, %d no-answers, ready %s", got.State, got.StateChangedAt, got.NoAnswerCount, got.ReadyAt)
	}
	if err := db.SetAgentLive(ctx, a.ID, "lunch", since, 0, time.Time{}); err == nil {
		t.Error("unknown state accepted")
	}
	if err := db.SetAgentLive(ctx, 9999, dialer.AgentAvailable, since, 0, time.Time{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown agent: err = %v, want ErrNotFound", err)
	}
}
