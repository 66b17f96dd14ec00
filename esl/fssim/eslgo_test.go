package fssim_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/percipia/eslgo"
	"github.com/percipia/eslgo/command"
)

// TestServer_EslgoClient drives the simulator with eslgo v1.5.0, the
// client library the dialer's ESL layer wraps, to show they understand
// each other: auth, plain events, api and bgapi.
func TestServer_EslgoClient(t *testing.T) {
	if raceEnabled {
		t.Skip("eslgo v1.5.0 has data races of its own on close (ESL.md section 5, finding 13)")
	}
	srv := start(t, fssim.Options{Speed: 50})
	conn, err := eslgo.Dial(srv.Addr(), "ClueCon", func() {})
	if err != nil {
		t.Fatalf("eslgo dial: %v", err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	hangups := make(chan *eslgo.Event, 16)
	conn.RegisterEventListener(eslgo.EventListenAll, func(e *eslgo.Event) {
		if e.GetName() == "CHANNEL_HANGUP_COMPLETE" {
			hangups <- e
		}
	})
	if err := conn.EnableEvents(ctx); err != nil {
		t.Fatalf("enable events: %v", err)
	}
	id := newUUID()
	resp, err := conn.SendCommand(ctx, command.API{Command: "originate",
		Arguments: "{origination_uuid=" + id + ",dialer_campaign_id=3}sofia/gateway/gw/15550001 &park()"})
	if err != nil || resp.GetReply() != "+OK "+id+"\n" {
		t.Fatalf("originate: %v %q", err, resp.GetReply())
	}
	select {
	case e := <-hangups:
		if e.GetHeader("Unique-ID") != id || e.GetHeader("variable_billsec") != "2" ||
			e.GetHeader("variable_dialer_campaign_id") != "3" || e.GetHeader("Event-Date-Local") == "" ||
			!strings.Contains(e.GetHeader("Caller-Channel-Name"), "15550001") {
			t.Errorf("hangup event as eslgo sees it: %v", e)
		}
	case <-ctx.Done():
		t.Fatal("no CHANNEL_HANGUP_COMPLETE through eslgo")
	}
	resp, err = conn.SendCommand(ctx, command.API{Command: "status", Background: true})
	if err != nil || !resp.IsOk() || resp.GetHeader("Job-UUID") == "" {
		t.Fatalf("bgapi: %v %v", err, resp)
	}
}
