package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
)

// ivrWithCallbacks is ivrWithResults where the call in progress (attempt
// 3, uuid-3) was answered and ended three minutes before c.now: its
// connect callback is dead (one try allowed, 503) and its release pending.
func ivrWithCallbacks(t *testing.T) *cli {
	c := ivrWithResults(t)
	ctx := context.Background()
	at := c.now.Add(-3 * time.Minute)
	db, err := store.Open(ctx, c.db, store.WithClock(func() time.Time { return at }))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.MarkAnswered(ctx, 3, at); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishAttempts(ctx, []dialer.AttemptEnd{{AttemptID: 3, Cause: "NORMAL_CLEARING", Q850: 16, AnsweredAt: at,
		EndedAt: at.Add(4 * time.Second), Billsec: 4 * time.Second, Class: "ok", Counted: true, MemberID: 3,
		MemberState: dialer.MemberDone, Attempts: 1}}); err != nil {
		t.Fatal(err)
	}
	if st, err := db.CallbackFailed(ctx, 1, dialer.CallbackFailure{Status: 503, Error: "HTTP 503: busy", NextAt: at, MaxTries: 1}); err != nil || st != dialer.CallbackDead {
		t.Fatalf("fail the connect: %s %v", st, err)
	}
	return c
}

func TestWebhook_ListRedriveAndStatus(t *testing.T) {
	c := ivrWithCallbacks(t)
	out := c.ok("webhook", "list")
	due := tableTime(time.Date(2026, 11, 23, 14, 57, 0, 0, time.UTC))
	if got := viewLine(t, out, "2 "); got != "2 release survey-ivr 3 pending 0 "+due+" -" {
		t.Errorf("release row = %q", got)
	}
	if got := viewLine(t, out, "1 "); got != "1 connect survey-ivr 3 dead 1 - HTTP 503: busy" {
		t.Errorf("connect row = %q", got)
	}
	if out := c.ok("webhook", "list", "--state", "dead"); strings.Contains(out, "release") {
		t.Errorf("--state dead lists the pending release:\n%s", out)
	}
	contains(t, c.ok("webhook", "list", "--state", "delivered"), "no callback events")

	var cbs []struct {
		ID             int64          `json:"id"`
		Event          string         `json:"event"`
		URL            string         `json:"url"`
		IdempotencyKey string         `json:"idempotency_key"`
		Payload        map[string]any `json:"payload"`
	}
	if err := json.Unmarshal([]byte(c.ok("webhook", "list", "--campaign", "survey-ivr", "-o", "json")), &cbs); err != nil {
		t.Fatal(err)
	}
	if len(cbs) != 2 || cbs[0].IdempotencyKey != "uuid-3:release" || cbs[0].URL != "https://crm.example.com/dialer/events" ||
		cbs[0].Payload["call_uuid"] != "uuid-3" || cbs[0].Payload["billsec"] != 4.0 || cbs[1].Payload["event"] != "connect" {
		t.Errorf("json = %+v", cbs)
	}

	status := c.viewOK("status")
	if got := viewLine(t, status, "webhooks:"); got != "webhooks: 1 pending (oldest 3m0s ago), 1 dead: send them again with dialer webhook redrive --all" {
		t.Errorf("status webhooks line = %q", got)
	}
	var v struct {
		Webhooks map[string]any `json:"webhooks"`
	}
	if err := json.Unmarshal([]byte(c.viewOK("status", "-o", "json")), &v); err != nil {
		t.Fatal(err)
	}
	if v.Webhooks["pending"] != 1.0 || v.Webhooks["dead"] != 1.0 || v.Webhooks["oldest_pending"] != "2026-11-23T14:57:00.000Z" {
		t.Errorf("status json webhooks = %v", v.Webhooks)
	}

	c.fails("--state \"lost\"", "webhook", "list", "--state", "lost")
	c.fails("no campaign named", "webhook", "list", "--campaign", "nope")
	contains(t, c.ok("webhook", "list", "--campaign", "survey-ivr", "-o", "yaml"), "idempotency_key: uuid-3:release", "call_uuid: uuid-3")
	c.fails("--output", "webhook", "list", "-o", "xml")
	c.fails("or --all", "webhook", "redrive")
	c.fails("not both", "webhook", "redrive", "1", "--all")
	c.fails("argument 1", "webhook", "redrive", "x")
	c.fails("no campaign named", "webhook", "redrive", "--all", "--campaign", "nope")
	contains(t, c.ok("webhook", "redrive", "1", "2"), "1 dead callback event(s) pending again (1 of the ids given were not dead ones)")
	contains(t, c.ok("webhook", "redrive", "--all"), "0 dead callback event(s) pending again")
	if got := viewLine(t, c.viewOK("status"), "webhooks:"); !strings.HasPrefix(got, "webhooks: 2 pending") || !strings.HasSuffix(got, "none dead") {
		t.Errorf("status after redrive = %q", got)
	}
}

func TestStatus_NoCallbacks(t *testing.T) {
	c := ivrWithResults(t)
	if got := viewLine(t, c.viewOK("status"), "webhooks:"); got != "webhooks: none pending, none dead" {
		t.Errorf("webhooks line = %q", got)
	}
}
