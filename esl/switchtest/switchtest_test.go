package switchtest_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
)

func TestMain(m *testing.M) { os.Exit(switchtest.Main(m)) }

// TestBackends_RecordACall: an answered and a busy call on the numbering
// plan are recorded the same way from either switch's events.
func TestBackends_RecordACall(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 1}, func(t *testing.T, b switchtest.Backend) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, n := range []string{"15550001", "15550050"} {
			out, err := switchtest.API(ctx, b, "originate {origination_uuid=st-"+n+",dialer_test=yes}loopback/"+n+"/dialer_lab &park()")
			if err != nil {
				t.Fatal(err)
			}
			if n == "15550050" != strings.HasPrefix(out, "-ERR USER_BUSY") {
				t.Fatalf("originate %s: %q", n, out)
			}
		}
		for {
			var ended int
			for _, c := range switchtest.Customers(b.Channels()) {
				if !c.Active {
					ended++
				}
			}
			if ended == 2 {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("calls did not end: %+v", b.Channels())
			}
			time.Sleep(50 * time.Millisecond)
		}
		got := map[string]switchtest.Channel{}
		for _, c := range switchtest.Customers(b.Channels()) {
			got[c.UUID] = c
		}
		ok, busy := got["st-15550001"], got["st-15550050"]
		if ok.Answered.IsZero() || ok.Cause != "NORMAL_CLEARING" || ok.Billsec < 1 || ok.Billsec > 3 || ok.Vars["dialer_test"] != "yes" || ok.Leg != "A" {
			t.Errorf("answered call: %+v", ok)
		}
		if !busy.Answered.IsZero() || busy.Cause != "USER_BUSY" {
			t.Errorf("busy call: %+v", busy)
		}
		if d := ok.Hangup.Sub(ok.Created); d < 2*time.Second/time.Duration(b.Speed()) {
			t.Errorf("answered call lasted %s", d)
		}
	})
}
