package main

import (
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
	"github.com/fsdialer/dialer/store"
)

// TestServe_AMDTellsMachinesFromPeople runs an IVR campaign with mod_avmd
// on the simulator and on FreeSWITCH: the lab's answering machines end
// MACHINE, found by their beep within a second and a half of the answer,
// and never reach the IVR; the person, heard as no beep by amd.timeout,
// is transferred to the IVR, which runs (it records no_input: the lab's
// callee pressed its digit while detection still listened).
func TestServe_AMDTellsMachinesFromPeople(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 10, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		e := newE2E(t, sw)
		c := e.load(`
name: amd-lab
mode: ivr
dial: {template: "loopback/{number}/dialer_lab"}
ivr: {extension: dialer_ivr_example, context: dialer_ivr}
amd: {engine: avmd}
limits: {lines: 5, ring_timeout: 10s}
retry: {max_attempts: 1}
`+alwaysOpen, []string{"machine1:+12125888803", "machine2:+12125888849", "person:+12125550149"})
		done := e.serve(e.ctx, serveOptions{untilDone: true, statusTick: 50 * time.Millisecond}, sw.Now)
		waitDaemon(t, done, 90*time.Second)
		ms, err := e.db.Members(e.ctx, store.MemberFilter{CampaignID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]dialer.Member{}
		for _, m := range ms {
			byName[m.Name] = m
		}
		for _, name := range []string{"machine1", "machine2", "person"} {
			as, err := e.db.MemberAttempts(e.ctx, byName[name].ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(as) != 1 {
				t.Fatalf("%s: %d attempts, want 1", name, len(as))
			}
			a := as[0]
			verdict, took, err := e.db.AMDResult(e.ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if name == "person" {
				if a.Cause != "NORMAL_CLEARING" || a.BusinessResult != "no_input" || verdict != dialer.AMDHuman {
					t.Errorf("person: cause %s, result %q, verdict %q; want NORMAL_CLEARING from the IVR (no_input), human", a.Cause, a.BusinessResult, verdict)
				}
				if took < 1400*time.Millisecond || took > 2500*time.Millisecond {
					t.Errorf("person's verdict after %v, want at the 1.5 s timeout", took)
				}
				continue
			}
			if a.Cause != "MACHINE" || a.Class != "retry" || verdict != dialer.AMDMachine {
				t.Errorf("%s: cause %s (%s), verdict %q; want MACHINE, retry, machine", name, a.Cause, a.Class, verdict)
			}
			if took < 700*time.Millisecond || took > 1500*time.Millisecond {
				t.Errorf("%s: verdict after %v, want the beep's, 0.7 to 1.5 s after the answer", name, took)
			}
			if a.BusinessResult != "" {
				t.Errorf("%s reached the IVR: result %q", name, a.BusinessResult)
			}
		}
	})
}
