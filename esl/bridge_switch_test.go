package esl_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fsdialer/dialer/esl"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
)

// TestCall_BridgedAtAnswerTalksOn bridges customers to agents the moment
// each customer's CHANNEL_ANSWER arrives, as the preemptive dialer does.
// On FreeSWITCH the bridge often reaches the channel before its originate
// returned, and the job then answers -ERR ORIGINATOR_CANCEL (always on the
// simulator, whose originate returns 20 ms of its time after the answer).
// Whatever the job says, no call is final until its channel hangs up, and
// each ends answered, bridged, with its callee's whole talk time.
func TestCall_BridgedAtAnswerTalksOn(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 1}, func(t *testing.T, b switchtest.Backend) {
		cfg := testConfig(b.Addr())
		cfg.Password = b.Password()
		cl := connected(t, cfg)
		ctx := ctxFor(t, 30*time.Second)
		const pairs = 6
		agents := make([]string, pairs)
		for i := range agents {
			// A fixed endpoint, as the dialer dials agents: the number is unused.
			o := esl.Originate{DialTemplate: "loopback/agent-1/dialer_lab", Number: "0", UUID: uuid.NewString(),
				Dest: esl.Destination{App: "park"}}
			if _, err := cl.Originate(ctx, o); err != nil {
				t.Fatalf("originate agent: %v", err)
			}
			agents[i] = o.UUID
		}
		waitAnswered(t, ctx, cl, agents)
		calls := map[*esl.Call]string{}
		for _, agent := range agents {
			// 15550030 answers after 1 s and talks 1 s.
			o := originate("15550030", nil)
			o.IgnoreEarlyMedia = true
			job, err := cl.Originate(ctx, o)
			if err != nil {
				t.Fatalf("originate customer: %v", err)
			}
			calls[esl.NewCall(o.UUID, job.ID)] = agent
		}
		taken := followBridgedAtAnswer(t, ctx, cl, b, calls)
		t.Logf("%d of %d jobs answered -ERR ORIGINATOR_CANCEL", taken, pairs)
		if !b.Real() && taken != pairs {
			t.Errorf("%d of %d jobs were taken by the bridge on the simulator, want all", taken, pairs)
		}
	})
}

// waitAnswered reads events until every channel of ids answered.
func waitAnswered(t *testing.T, ctx context.Context, cl *esl.Client, ids []string) {
	t.Helper()
	left := map[string]bool{}
	for _, id := range ids {
		left[id] = true
	}
	for len(left) > 0 {
		e, err := cl.Next(ctx)
		if err != nil {
			t.Fatalf("events: %v (%d agents not answered)", err, len(left))
		}
		if e.Name == "CHANNEL_ANSWER" {
			delete(left, e.UniqueID)
		}
	}
}

// followBridgedAtAnswer bridges each customer call to its agent when it
// answers and follows it to its end; it returns how many jobs answered
// -ERR ORIGINATOR_CANCEL.
func followBridgedAtAnswer(t *testing.T, ctx context.Context, cl *esl.Client, b switchtest.Backend, calls map[*esl.Call]string) int {
	t.Helper()
	bridged := map[*esl.Call]bool{}
	taken, done := 0, 0
	for done < len(calls) {
		e, err := cl.Next(ctx)
		if err != nil {
			t.Fatalf("events: %v (%d of %d calls ended)", err, done, len(calls))
		}
		for c, agent := range calls {
			before := c.Record()
			if before.Complete || !c.Apply(e) {
				continue
			}
			r := c.Record()
			if r.Answered && !bridged[c] {
				bridged[c] = true
				if err := cl.Bridge(ctx, r.UUID, agent); err != nil {
					t.Fatalf("uuid_bridge: %v", err)
				}
			}
			switch {
			case r.Final && !r.Complete:
				t.Fatalf("customer final on %s %q before its channel hung up: %+v", e.Name, e.Body, r)
			case r.Complete:
				done++
				checkTalkedOn(t, b, r, agent)
				if r.JobDone && !r.JobOK {
					taken++
				}
			}
		}
	}
	return taken
}

// checkTalkedOn: the customer ended answered, bridged to its agent, after
// its callee's 1 s of talk.
func checkTalkedOn(t *testing.T, b switchtest.Backend, r esl.CallRecord, agent string) {
	t.Helper()
	if !r.Answered || !r.Bridged || r.BridgedTo != agent || r.Cause != "NORMAL_CLEARING" {
		t.Errorf("customer: %+v, want answered, bridged to %s, NORMAL_CLEARING", r, agent)
	}
	if d := r.Billsec - 1; d < -1 || d > 1 || !b.Real() && d != 0 {
		t.Errorf("customer billsec %d, want the callee's 1 s", r.Billsec)
	}
}
