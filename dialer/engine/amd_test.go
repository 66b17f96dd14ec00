package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
)

// fakeAMD is the fake switch's answering-machine detection: the lab's
// machines beep 0.8 s after their answer for 0.5 s, and avmd reports the
// beep 130 ms after it hears it, as the simulator and the lab do.
type fakeAMD struct {
	starts    []string
	stops     []string
	transfers []transfer
	startErr  error
}

// transfer is one uuid_transfer.
type transfer struct {
	uuid, extension, dialplan, context string
	at                                 time.Time
}

func (f *fakeSwitch) StartAMD(_ context.Context, uuid string) error {
	if f.amd.startErr != nil {
		return f.amd.startErr
	}
	p := f.live[uuid]
	now := f.clk.Now()
	if p == nil || p.answered.IsZero() || p.answered.After(now) {
		return fmt.Errorf("uuid_broadcast %s: invalid uuid", uuid)
	}
	f.amd.starts = append(f.amd.starts, uuid)
	if !f.outcome(p.req.Number).machine {
		return nil
	}
	beep := p.answered.Add(800 * time.Millisecond)
	heard := beep
	if now.After(heard) {
		heard = now
	}
	if heard = heard.Add(130 * time.Millisecond); !heard.After(beep.Add(500 * time.Millisecond)) {
		f.schedule(heard, Update{Kind: CallChanged, UUID: uuid, Machine: dialer.AMDMachine})
	}
	return nil
}

func (f *fakeSwitch) StopAMD(_ context.Context, uuid string) error {
	f.amd.stops = append(f.amd.stops, uuid)
	return nil
}

func (f *fakeSwitch) Transfer(_ context.Context, uuid, extension, dialplan, dpContext string) error {
	if f.live[uuid] == nil {
		return fmt.Errorf("uuid_transfer %s: no such channel", uuid)
	}
	f.amd.transfers = append(f.amd.transfers, transfer{uuid: uuid, extension: extension, dialplan: dialplan,
		context: dpContext, at: f.clk.Now()})
	return nil
}

func (f *fakeSwitch) GetVar(_ context.Context, uuid, name string) (string, error) {
	p := f.live[uuid]
	if p == nil {
		return "", fmt.Errorf("uuid_getvar %s: no such channel", uuid)
	}
	if name == "current_application" {
		for _, tr := range f.amd.transfers {
			if tr.uuid == uuid {
				return "play_and_get_digits", nil
			}
		}
		if slices.Contains(f.amd.starts, uuid) {
			return "avmd_start", nil
		}
		return p.req.App, nil
	}
	return f.outcome(p.req.Number).vars[name], nil
}

// amdPlan answers every number after 1 s: numbers ending 888DS are
// machines (hanging up 4.3 s after the answer), others talk for 10 s;
// detectorVar is what an external detector set on each.
func amdPlan(detectorVar map[string]string) func(string) outcome {
	return func(n string) outcome {
		vars := map[string]string{"AMD_STATUS": detectorVar[n[len(n)-5:]]}
		if strings.HasPrefix(n[len(n)-5:], "888") {
			return outcome{ring: time.Second, answer: true, talk: 4300 * time.Millisecond, machine: true, vars: vars}
		}
		return outcome{ring: time.Second, answer: true, talk: 10 * time.Second, vars: vars}
	}
}

// amdVerdict reads an attempt's stored verdict.
func (h *harness) amdVerdict(a dialer.Attempt) (string, time.Duration) {
	h.t.Helper()
	got, took, err := h.db.AMDResult(h.ctx, a.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return got, took
}

// TestAMD_IVRMachineHungUpPersonTransferred: an IVR campaign with avmd
// originates to park; the machine's beep ends its call MACHINE (retry,
// counted) 0.93 s after the answer without reaching the IVR, and the
// person, heard as no beep by the 1.5 s timeout, is transferred to the
// IVR extension then, with avmd stopped.
func TestAMD_IVRMachineHungUpPersonTransferred(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, amdPlan(nil))
	c := h.campaign("name: amd-ivr\n"+ivr+"amd: {engine: avmd}\nretry: {max_attempts: 2, interval: 1h}\n",
		"machine:+12125888803", "person:+12125550003")
	h.run(20*time.Second, 10*time.Millisecond)
	if len(h.sw.placed) != 2 {
		t.Fatalf("%d calls placed, want 2", len(h.sw.placed))
	}
	for _, p := range h.sw.placed {
		if p.req.App != "park" || p.req.Extension != "" {
			t.Errorf("%s originated to app %q extension %q, want park and the IVR after detection", p.req.Number, p.req.App, p.req.Extension)
		}
	}
	ms := h.members(c.ID)
	mach := h.attemptsOf(ms["machine"])
	if len(mach) != 1 || mach[0].Cause != "MACHINE" || mach[0].Class != "retry" || !mach[0].Counted {
		t.Fatalf("machine attempts = %+v, want one MACHINE, retry, counted", mach)
	}
	if v, took := h.amdVerdict(mach[0]); v != "machine" || took != 930*time.Millisecond {
		t.Errorf("machine verdict %q after %v, want machine after 930ms", v, took)
	}
	if m := ms["machine"]; m.State != dialer.MemberWaiting {
		t.Errorf("machine member %s, want waiting for its retry", m.State)
	}
	person := h.attemptsOf(ms["person"])
	if len(person) != 1 || person[0].Cause != "NORMAL_CLEARING" {
		t.Fatalf("person attempts = %+v, want one NORMAL_CLEARING", person)
	}
	if v, took := h.amdVerdict(person[0]); v != "human" || took != 1500*time.Millisecond {
		t.Errorf("person verdict %q after %v, want human after 1.5s", v, took)
	}
	if len(h.sw.amd.transfers) != 1 {
		t.Fatalf("transfers %+v, want the person's only", h.sw.amd.transfers)
	}
	tr := h.sw.amd.transfers[0]
	pp := h.sw.byUUID[tr.uuid]
	if pp.req.Number != "+12125550003" || tr.extension != "ivr" || tr.dialplan != "XML" || tr.at.Sub(pp.answered) != 1500*time.Millisecond {
		t.Errorf("transfer %+v of %s answered at %v, want the person to ivr XML 1.5 s after the answer", tr, pp.req.Number, pp.answered)
	}
	if len(h.sw.amd.starts) != 2 || len(h.sw.amd.stops) != 1 || h.sw.amd.stops[0] != tr.uuid {
		t.Errorf("avmd started on %v and stopped on %v, want both started and the person's stopped", h.sw.amd.starts, h.sw.amd.stops)
	}
	mp := h.sw.byUUID[h.sw.amd.starts[0]]
	if mp.req.Number == "+12125888803" && mp.end.Sub(mp.answered) != 930*time.Millisecond {
		t.Errorf("machine hung up %v after its answer, want at the beep's report (930ms)", mp.end.Sub(mp.answered))
	}
}

// TestAMD_AgentModesHandOnPeopleOnly: in progressive and predictive
// mode a machine is hung up (on_machine hangup) or hears the message
// after its beep (on_machine message) and never reaches an agent (no
// agent's phone rings for it, nothing bridges it), ending MACHINE, not
// ABANDONED; the person is bridged to the agent after the detection's
// timeout.
func TestAMD_AgentModesHandOnPeopleOnly(t *testing.T) {
	for _, tc := range []struct{ name, mode, amd string }{
		{"progressive hangup", progressive, "amd: {engine: avmd, timeout: 1s}\n"},
		{"predictive message", predictive, "amd: {engine: avmd, timeout: 1s, on_machine: message, message: 'tone_stream://%(300,0,800)'}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, amdPlan(nil))
			c := h.campaign("name: amd-ag\n"+tc.mode+tc.amd+"limits: {lines: 1}\nretry: {max_attempts: 2, interval: 1h}\n",
				"machine:+12125888803", "person:+12125550003")
			h.agents("amd-ag", agentSpec{name: "a", dest: "agent-1"})
			h.run(2*time.Minute, 10*time.Millisecond)
			ms := h.members(c.ID)
			mach := h.attemptsOf(ms["machine"])
			if len(mach) != 1 || mach[0].Cause != "MACHINE" {
				t.Fatalf("machine attempts = %+v, want one MACHINE", mach)
			}
			person := h.attemptsOf(ms["person"])
			if len(person) != 1 || person[0].AgentID == 0 {
				t.Fatalf("person attempts = %+v, want one an agent took", person)
			}
			if v, _ := h.amdVerdict(person[0]); v != "human" {
				t.Errorf("person verdict %q", v)
			}
			var bridged []string
			for _, b := range h.sw.bridges {
				for _, uuid := range b {
					if p := h.sw.byUUID[uuid]; p.agent == "" {
						bridged = append(bridged, p.req.Number)
					}
				}
			}
			if len(bridged) != 1 || bridged[0] != "+12125550003" {
				t.Errorf("customers bridged %v, want the person only", bridged)
			}
			legs := h.agentLegs("a")
			pp := h.sw.byUUID[person[0].UUID]
			if len(legs) != 1 || legs[0].at.Sub(pp.answered) < time.Second {
				t.Errorf("agent legs %d, the first %v after the person's answer: want one, after the 1 s detection", len(legs), legs[0].at.Sub(pp.answered))
			}
			machineMessages := 0
			for _, m := range h.sw.messages {
				if h.sw.byUUID[m.uuid].req.Number == "+12125888803" {
					machineMessages++
					if m.media != "tone_stream://%(300,0,800)" {
						t.Errorf("machine heard %q", m.media)
					}
					if after := m.at.Sub(h.sw.byUUID[m.uuid].answered); after != 930*time.Millisecond {
						t.Errorf("message played %v after the answer, want after the beep (930ms)", after)
					}
				}
			}
			if want := strings.Contains(tc.amd, "message"); (machineMessages == 1) != want {
				t.Errorf("%d messages to the machine, want %v", machineMessages, want)
			}
			h.checkAgentsSettled()
		})
	}
}

// TestAMD_VariableEngine reads the external detector's variable at the
// timeout: a machine value ends the call MACHINE, a human value and a
// value that is neither (unknown) go on to the IVR.
func TestAMD_VariableEngine(t *testing.T) {
	detector := map[string]string{"50001": "MACHINE", "50002": "HUMAN", "50003": "NOTSURE"}
	h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, amdPlan(detector))
	c := h.campaign("name: amd-var\n"+ivr+"amd: {engine: variable, timeout: 2s}\nretry: {max_attempts: 1}\n",
		"m:+12125550001", "h:+12125550002", "u:+12125550003")
	h.run(20*time.Second, 10*time.Millisecond)
	ms := h.members(c.ID)
	want := map[string]struct{ cause, verdict string }{
		"m": {"MACHINE", "machine"}, "h": {"NORMAL_CLEARING", "human"}, "u": {"NORMAL_CLEARING", "unknown"},
	}
	for name, w := range want {
		as := h.attemptsOf(ms[name])
		if len(as) != 1 || as[0].Cause != w.cause {
			t.Errorf("%s: attempts %+v, want one %s", name, as, w.cause)
			continue
		}
		if v, took := h.amdVerdict(as[0]); v != w.verdict || took != 2*time.Second {
			t.Errorf("%s: verdict %q after %v, want %s after 2s", name, v, took, w.verdict)
		}
	}
	if len(h.sw.amd.transfers) != 2 || len(h.sw.amd.starts) != 0 {
		t.Errorf("%d transfers and %d avmd starts, want 2 transfers and no avmd", len(h.sw.amd.transfers), len(h.sw.amd.starts))
	}
}

// TestAMD_StartFailureGoesOn: when avmd cannot start the verdict is
// unknown at once and the call goes on to the IVR.
func TestAMD_StartFailureGoesOn(t *testing.T) {
	h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, amdPlan(nil))
	h.sw.amd.startErr = fmt.Errorf("uuid_broadcast: -ERR no such channel")
	c := h.campaign("name: amd-err\n"+ivr+"amd: {engine: avmd}\n", "p:+12125550003")
	h.run(20*time.Second, 10*time.Millisecond)
	as := h.attemptsOf(h.members(c.ID)["p"])
	if len(as) != 1 || as[0].Cause != "NORMAL_CLEARING" {
		t.Fatalf("attempts %+v", as)
	}
	if v, took := h.amdVerdict(as[0]); v != "unknown" || took != 0 {
		t.Errorf("verdict %q after %v, want unknown at once", v, took)
	}
	if len(h.sw.amd.transfers) != 1 {
		t.Errorf("transfers %+v, want one", h.sw.amd.transfers)
	}
}

// TestAMD_RestartDuringDetection: a daemon that stops while a person's
// call waits in park for its verdict leaves it to the next one, which
// takes the verdict as unknown and transfers the call to the IVR; a call
// already transferred is left alone.
func TestAMD_RestartDuringDetection(t *testing.T) {
	for _, tc := range []struct {
		name       string
		before     time.Duration // of the first engine's run
		transfers  int
		wantResult string
	}{
		{"waiting in park", 1200 * time.Millisecond, 1, "unknown"},
		{"already in the IVR", 3 * time.Second, 1, "human"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, monday, Config{MaxCalls: 10, MaxCPS: 10}, amdPlan(nil))
			c := h.campaign("name: amd-restart\n"+ivr+"amd: {engine: avmd}\n", "p:+12125550003")
			h.run(tc.before, 10*time.Millisecond)
			n := 0
			h.e = New(Config{MaxCalls: 10, MaxCPS: 10, Now: h.clk.Now, Logger: h.e.log,
				NewUUID: func() string { n++; return fmt.Sprintf("restart-%d", n) }}, h.db, h.sw)
			h.run(20*time.Second, 10*time.Millisecond)
			if len(h.sw.amd.transfers) != tc.transfers {
				t.Fatalf("transfers %+v, want %d", h.sw.amd.transfers, tc.transfers)
			}
			as := h.attemptsOf(h.members(c.ID)["p"])
			if len(as) != 1 || as[0].Cause != "NORMAL_CLEARING" {
				t.Fatalf("attempts %+v, want one NORMAL_CLEARING", as)
			}
			if v, _ := h.amdVerdict(as[0]); v != tc.wantResult {
				t.Errorf("verdict %q, want %q", v, tc.wantResult)
			}
		})
	}
}
