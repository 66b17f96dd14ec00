package esl_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fsdialer/dialer/esl"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
)

// TestIntegration_ClientOnBothSwitches drives the client (bgapi originate
// with its own Job-UUID, the event stream merged into call records,
// uuid_exists, show channels) on the simulator and on a real FreeSWITCH
// with the dialer_lab context.
func TestIntegration_ClientOnBothSwitches(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 1}, testClientOnSwitch)
}

func testClientOnSwitch(t *testing.T, b switchtest.Backend) {
	cfg := esl.Config{
		Addr:           b.Addr(),
		Password:       b.Password(),
		Logger:         testLogger(),
		CommandTimeout: 10 * time.Second,
	}
	cl := connected(t, cfg)
	ctx := ctxFor(t, 60*time.Second)

	out, err := cl.API(ctx, "status")
	if err != nil || !strings.HasPrefix(out, "UP ") {
		t.Fatalf("status: %q, %v", firstLine(out), err)
	}
	run := strings.ReplaceAll(uuid.NewString(), "-", "")
	tests := []struct {
		number   string
		answered bool
		cause    string
		billsec  int // ±1 s on a real switch
	}{
		{"15551201", true, "NORMAL_CLEARING", 2},
		{"15551250", false, "USER_BUSY", 0},
		{"15551260", false, "NO_ANSWER", 0},
		{"15551270", false, "UNALLOCATED_NUMBER", 0},
		{"15551280", false, "CALL_REJECTED", 0},
		{"15551290", false, "NORMAL_CIRCUIT_CONGESTION", 0},
	}
	calls := map[string]*esl.Call{}
	for _, tt := range tests {
		o := originate(tt.number, map[string]string{"dialer_test_run": run})
		o.RingTimeout = 3 * time.Second
		job, err := cl.Originate(ctx, o)
		if err != nil {
			t.Fatalf("originate %s: %v", tt.number, err)
		}
		calls[tt.number] = esl.NewCall(o.UUID, job.ID)
	}
	t.Cleanup(func() {
		_ = cl.HangupAll(ctxFor(t, 5*time.Second), "MANAGER_REQUEST", "dialer_test_run", run)
	})
	pending := func() bool {
		for _, c := range calls {
			if r := c.Record(); !r.Final || r.Seen && !r.Complete {
				return true
			}
		}
		return false
	}
	for pending() {
		e, err := cl.Next(ctx)
		if err != nil {
			t.Fatalf("events: %v", err)
		}
		for _, c := range calls {
			c.Apply(e)
		}
	}
	for _, tt := range tests {
		t.Run(tt.number, func(t *testing.T) {
			r := calls[tt.number].Record()
			if r.Answered != tt.answered || r.Cause != tt.cause || r.Vars["dialer_test_run"] != run && r.Seen {
				t.Errorf("record %+v", r)
			}
			if d := r.Billsec - tt.billsec; d < -1 || d > 1 {
				t.Errorf("billsec %d, want %d±1", r.Billsec, tt.billsec)
			}
			if ok, err := cl.Exists(ctx, r.UUID); err != nil || ok {
				t.Errorf("uuid_exists after hangup = %v, %v", ok, err)
			}
		})
	}
	if _, err := cl.Channels(ctx); err != nil {
		t.Errorf("show channels as json: %v", err)
	}
}
