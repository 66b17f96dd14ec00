package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
)

func TestRequestAgentStates_AllOrNothing(t *testing.T) {
	ctx := context.Background()
	db := agentDB(t)
	applyAgents(t, db, readAgents(t, "../testdata/agents/agents.yaml"))

	_, err := db.RequestAgentStates(ctx, []string{"alice", "nobody", "bob", "zed"}, dialer.AgentAvailable)
	var unknown *store.UnknownError
	if !errors.As(err, &unknown) {
		t.Fatalf("err = %v, want an *UnknownError", err)
	}
	if got, want := unknown.Error(), `no agent named "nobody", "zed"; nothing was changed`; got != want {
		t.Fatalf("error = %q, want %q", got, want)
	}
	for _, name := range []string{"alice", "bob"} {
		if s := mustAgent(t, db, name).State; s != dialer.AgentLoggedOut {
			t.Errorf("%s is %s after a refused request, want logged_out", name, s)
		}
	}
	if pending, _ := db.PendingAgentRequests(ctx); len(pending) != 0 {
		t.Fatalf("refused request recorded: %+v", pending)
	}

	chs, err := db.RequestAgentStates(ctx, []string{"alice", "bob"}, dialer.AgentBreak)
	if err != nil {
		t.Fatal(err)
	}
	if len(chs) != 2 || chs[0].Agent != "alice" || chs[1].Agent != "bob" || !chs[0].Applied || !chs[1].Applied {
		t.Fatalf("changes = %+v, want alice and bob applied in order", chs)
	}
	for _, name := range []string{"alice", "bob"} {
		if s := mustAgent(t, db, name).State; s != dialer.AgentBreak {
			t.Errorf("%s is %s, want break", name, s)
		}
	}
}

func TestRequestAgentStates_RefusesStateBeforeWriting(t *testing.T) {
	ctx := context.Background()
	db := agentDB(t)
	applyAgents(t, db, readAgents(t, "../testdata/agents/agents.yaml"))
	if _, err := db.RequestAgentStates(ctx, []string{"alice", "bob"}, dialer.AgentTalking); err == nil {
		t.Fatal("talking requested")
	}
	if pending, _ := db.PendingAgentRequests(ctx); len(pending) != 0 {
		t.Fatalf("refused request recorded: %+v", pending)
	}
}
