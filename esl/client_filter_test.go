package esl_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/prometheus/client_golang/prometheus"
)

func TestNew_Filters(t *testing.T) {
	tests := []struct {
		name    string
		filter  esl.Filter
		wantErr string
	}{
		{"regular expression", esl.Filter{Header: "variable_dialer_campaign_id", Value: "/^[0-9]+$/"}, ""},
		{"negative", esl.Filter{Header: "Call-Direction", Value: "-inbound"}, ""},
		{"expression with a space and flags", esl.Filter{Header: "Caller-Caller-ID-Name", Value: "/a b/i"}, ""},
		{"no header", esl.Filter{Value: "x"}, "not a header name"},
		{"header with a space", esl.Filter{Header: "Unique-ID x", Value: "y"}, "not a header name"},
		{"delete", esl.Filter{Header: "delete", Value: "all"}, "filter command"},
		{"add", esl.Filter{Header: "ADD", Value: "Unique-ID x"}, "filter command"},
		{"no value", esl.Filter{Header: "Unique-ID"}, "empty"},
		{"line feed in the value", esl.Filter{Header: "Unique-ID", Value: "a\nevent plain ALL"}, "control"},
		{"padded value", esl.Filter{Header: "Unique-ID", Value: " a"}, "padded"},
		{"only a sign", esl.Filter{Header: "Unique-ID", Value: "-"}, "nothing to compare"},
		{"negated expression", esl.Filter{Header: "Unique-ID", Value: "-/x/"}, "compares it as text"},
		{"plus before an expression", esl.Filter{Header: "Unique-ID", Value: "+/x/"}, "compares it as text"},
		{"no closing slash", esl.Filter{Header: "Unique-ID", Value: "/x"}, "closing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := esl.New(esl.Config{Addr: "x:1", Filters: []esl.Filter{tt.filter}})
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) ||
				!strings.Contains(err.Error(), "Filters")) {
				t.Errorf("New: %v, want error naming Filters and %q", err, tt.wantErr)
			}
		})
	}
}

// TestClient_FiltersKeepJobsAndHeartbeats: with a filter that matches
// none of the calls, jobs still resolve and heartbeats still arrive,
// since the client adds their Event-Name filters; the filters are timed
// under their own label, and what arrives is counted.
func TestClient_FiltersKeepJobsAndHeartbeats(t *testing.T) {
	srv := startSim(t, fssim.Options{HeartbeatInterval: 200 * time.Millisecond})
	cfg := testConfig(srv.Addr())
	cfg.Filters = []esl.Filter{{Header: "Unique-ID", Value: "no-such-channel"}}
	reg := prometheus.NewRegistry()
	cfg.Registerer = reg
	cfg.ProbeInterval = time.Hour
	cl := connected(t, cfg)
	nextMarker(t, cl, esl.KindConnected, 5*time.Second)

	job := originateOK(t, cl, originate("15551209", nil))
	ctx := ctxFor(t, 10*time.Second)
	names := map[string]int{}
	for names["HEARTBEAT"] == 0 || names["BACKGROUND_JOB"] == 0 {
		ev, err := cl.Next(ctx)
		if err != nil {
			t.Fatalf("Next: %v; got %v", err, names)
		}
		names[ev.Name]++
		if ev.Name == "BACKGROUND_JOB" && ev.JobUUID != job.JobUUID {
			t.Errorf("BACKGROUND_JOB for %s, want %s", ev.JobUUID, job.JobUUID)
		}
	}
	for name, n := range names {
		if name != "HEARTBEAT" && name != "BACKGROUND_JOB" {
			t.Errorf("%d %s passed the filter", n, name)
		}
	}
	if got := gatherHistograms(t, reg, "esl_command_seconds", "command")["filter"].count; got != 3 {
		t.Errorf("esl_command_seconds{command=\"filter\"} counted %d, want 3 (the filter, BACKGROUND_JOB, HEARTBEAT)", got)
	}
	st := cl.Stats()
	if st.Events < 2 || st.EventBytes < 100*st.Events {
		t.Errorf("Stats: %d events, %d bytes", st.Events, st.EventBytes)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		if m := f.GetMetric(); len(m) == 1 && m[0].GetCounter() != nil {
			got[f.GetName()] = m[0].GetCounter().GetValue()
		}
	}
	if got["esl_events_received_total"] < float64(st.Events) || got["esl_event_bytes_total"] < float64(st.EventBytes) {
		t.Errorf("esl_events_received_total %v, esl_event_bytes_total %v; Stats %d events, %d bytes",
			got["esl_events_received_total"], got["esl_event_bytes_total"], st.Events, st.EventBytes)
	}
}
