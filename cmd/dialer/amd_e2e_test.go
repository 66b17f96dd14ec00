package main

import (
	"bytes"
	"encoding/csv"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/export"
	"github.com/fsdialer/dialer/dialer/memberfile"
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
		// The machines show in the report, by cause, and in the export,
		// with their verdicts.
		rep, err := e.db.Report(e.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		machines := 0
		for _, cc := range rep.ByCause {
			if cc.Cause == "MACHINE" {
				machines += cc.Count
			}
		}
		if machines != 2 || rep.AnsweredLive != 1 {
			t.Errorf("report: %d MACHINE attempts, %d answered by a person; want 2 and 1 (by cause %+v)", machines, rep.AnsweredLive, rep.ByCause)
		}
		var out bytes.Buffer
		if _, err := export.Write(e.ctx, &out, e.db, c.ID, "attempts", "csv"); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&out).ReadAll()
		if err != nil || len(rows) != 4 {
			t.Fatalf("export: %d rows, %v", len(rows), err)
		}
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		verdicts := map[string]string{}
		for _, r := range rows[1:] {
			verdicts[r[col["number"]]] = r[col["cause"]] + " " + r[col["amd_result"]]
		}
		if want := map[string]string{"+12125888803": "MACHINE machine", "+12125888849": "MACHINE machine",
			"+12125550149": "NORMAL_CLEARING human"}; !maps.Equal(verdicts, want) {
			t.Errorf("exported cause and verdict by number %v, want %v", verdicts, want)
		}
	})
}

// TestServe_AMDProgressiveBridgesPeopleOnly runs a progressive campaign
// with mod_avmd on the simulator and on FreeSWITCH: the agent is bridged
// to the person, after the detection's timeout, and never to the
// machine, whose attempt ends MACHINE, not ABANDONED.
func TestServe_AMDProgressiveBridgesPeopleOnly(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 10, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		e := newE2E(t, sw)
		c := e.load(`
name: amd-agents
mode: progressive
dial: {template: "loopback/{number}/dialer_lab"}
amd: {engine: avmd, timeout: 1s}
limits: {lines: 2, ring_timeout: 10s}
retry: {max_attempts: 1}
`+alwaysOpen, []string{"machine:+12125888803", "person:+12125550149"})
		e.agents("amd-agents", "agent-1001")
		done := e.serve(e.ctx, serveOptions{untilDone: true, statusTick: 50 * time.Millisecond}, sw.Now)
		waitDaemon(t, done, 90*time.Second)
		ms, err := e.db.Members(e.ctx, store.MemberFilter{CampaignID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			as, err := e.db.MemberAttempts(e.ctx, m.ID)
			if err != nil || len(as) != 1 {
				t.Fatalf("%s: attempts %+v, %v; want 1", m.Name, as, err)
			}
			verdict, _, err := e.db.AMDResult(e.ctx, as[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][2]string{"machine": {"MACHINE", dialer.AMDMachine}, "person": {"NORMAL_CLEARING", dialer.AMDHuman}}[m.Name]
			if as[0].Cause != want[0] || verdict != want[1] {
				t.Errorf("%s: cause %s, verdict %q; want %s, %s", m.Name, as[0].Cause, verdict, want[0], want[1])
			}
		}
		// The switch's own record: the agent's leg was bridged to the
		// person's, 1 s or more after its answer, and nothing to the
		// machine's.
		seen := map[string]bool{}
		for _, ch := range switchtest.Customers(sw.Channels()) {
			if ch.Vars["dialer_role"] == "agent" {
				continue
			}
			seen[ch.Destination] = true
			switch ch.Destination {
			case "+12125888803":
				if ch.BridgedWith != "" {
					t.Errorf("the machine was bridged to %s", ch.BridgedWith)
				}
			case "+12125550149":
				if ch.BridgedWith == "" || ch.Bridged.Sub(ch.Answered) < time.Second-switchtest.ClockLag {
					t.Errorf("the person: bridged with %q %v after the answer, want the agent after the 1 s detection",
						ch.BridgedWith, ch.Bridged.Sub(ch.Answered))
				}
			}
		}
		if !seen["+12125888803"] || !seen["+12125550149"] {
			t.Errorf("the switch saw customers %v, want the machine and the person", seen)
		}
	})
}

// TestServe_AMDMessageAfterTheBeep: with on_machine message, the lab's
// machine hears the campaign's message once its beep was heard, then the
// switch hangs it up; its attempt ends MACHINE and the IVR never runs.
func TestServe_AMDMessageAfterTheBeep(t *testing.T) {
	const msg = "tone_stream://%(300,0,800)"
	switchtest.Each(t, fssim.Options{Speed: 10, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		e := newE2E(t, sw)
		c := e.load(`
name: amd-message
mode: ivr
dial: {template: "loopback/{number}/dialer_lab"}
ivr: {extension: dialer_ivr_example, context: dialer_ivr}
amd: {engine: avmd, on_machine: message, message: '`+msg+`'}
retry: {max_attempts: 1}
`+alwaysOpen, []string{"machine:+12125888803"})
		done := e.serve(e.ctx, serveOptions{untilDone: true, statusTick: 50 * time.Millisecond}, sw.Now)
		waitDaemon(t, done, 60*time.Second)
		ms, err := e.db.Members(e.ctx, store.MemberFilter{CampaignID: c.ID})
		if err != nil || len(ms) != 1 {
			t.Fatalf("members %v, %v", ms, err)
		}
		as, err := e.db.MemberAttempts(e.ctx, ms[0].ID)
		if err != nil || len(as) != 1 || as[0].Cause != "MACHINE" {
			t.Fatalf("attempts %+v, %v; want one MACHINE", as, err)
		}
		var machine *switchtest.Channel
		for _, ch := range switchtest.Customers(sw.Channels()) {
			if ch.Destination == "+12125888803" {
				machine = &ch
			}
		}
		if machine == nil {
			t.Fatal("the switch saw no call to the machine")
		}
		var avmdAt, playedAt time.Time
		for _, x := range machine.Executed {
			switch {
			case x.App == "avmd_start":
				avmdAt = x.At
			case x.App == "playback" && x.Data == msg:
				playedAt = x.At
			case x.App == "play_and_get_digits":
				t.Errorf("the machine reached the IVR")
			}
		}
		if avmdAt.IsZero() || playedAt.IsZero() {
			t.Fatalf("the machine ran %+v, want avmd_start and then the message", machine.Executed)
		}
		// The message starts once the beep (0.8 s after the answer) was
		// heard, and the call ends after it.
		if after := playedAt.Sub(machine.Answered); after < 800*time.Millisecond || after > 1600*time.Millisecond {
			t.Errorf("message played %v after the answer, want after the beep", after)
		}
		if machine.Hangup.Before(playedAt.Add(300*time.Millisecond - switchtest.ClockLag)) {
			t.Errorf("hung up %v after the message began, before its 300 ms", machine.Hangup.Sub(playedAt))
		}
		if machine.Cause != "NORMAL_CLEARING" {
			t.Errorf("the machine's leg ended %s", machine.Cause)
		}
	})
}

// TestServe_AMDVariableEngine reads an external detector's verdict from a
// channel variable at amd.timeout, on the simulator and on FreeSWITCH.
// The lab has no detector, so each member's verdict rides on its call as
// a member variable (dialer_var_amd), which the switch reports back
// through uuid_getvar: MACHINE ends the call MACHINE, HUMAN and a value
// that is neither go on to the IVR.
func TestServe_AMDVariableEngine(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 10, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		e := newE2E(t, sw)
		c, err := dialer.ReadCampaign(strings.NewReader(`
name: amd-variable
mode: ivr
dial: {template: "loopback/{number}/dialer_lab"}
ivr: {extension: dialer_ivr_example, context: dialer_ivr}
amd: {engine: variable, variable: dialer_var_amd, timeout: 1s}
limits: {lines: 5, ring_timeout: 10s}
retry: {max_attempts: 1}
`+alwaysOpen), "e2e")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.ApplyCampaign(e.ctx, c); err != nil {
			t.Fatal(err)
		}
		stored, err := e.db.Campaign(e.ctx, c.Name)
		if err != nil {
			t.Fatal(err)
		}
		var batch []memberfile.Member
		for i, m := range []struct{ name, number, verdict string }{
			{"machine", "+12125550149", "MACHINE"}, {"person", "+12125550148", "HUMAN"}, {"unsure", "+12125550147", "NOTSURE"},
		} {
			batch = append(batch, memberfile.Member{Line: i + 2, Name: m.name, Priority: 3, Variables: map[string]string{"amd": m.verdict},
				Numbers: []memberfile.Number{{Number: m.number, Type: "mobile", Position: 1}}})
		}
		if _, err := e.db.AddMembers(e.ctx, stored.ID, batch); err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.SetCampaignState(e.ctx, c.Name, dialer.StateRunning); err != nil {
			t.Fatal(err)
		}
		done := e.serve(e.ctx, serveOptions{untilDone: true, statusTick: 50 * time.Millisecond}, sw.Now)
		waitDaemon(t, done, 90*time.Second)
		ms, err := e.db.Members(e.ctx, store.MemberFilter{CampaignID: stored.ID})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][2]string{"machine": {"MACHINE", "machine"}, "person": {"NORMAL_CLEARING", "human"},
			"unsure": {"NORMAL_CLEARING", "unknown"}}
		for _, m := range ms {
			as, err := e.db.MemberAttempts(e.ctx, m.ID)
			if err != nil || len(as) != 1 {
				t.Fatalf("%s: attempts %+v, %v", m.Name, as, err)
			}
			verdict, took, err := e.db.AMDResult(e.ctx, as[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := [2]string{as[0].Cause, verdict}; got != want[m.Name] {
				t.Errorf("%s: cause and verdict %v, want %v", m.Name, got, want[m.Name])
			}
			if took < 900*time.Millisecond || took > 1500*time.Millisecond {
				t.Errorf("%s: verdict %v after the answer, want at the 1 s timeout", m.Name, took)
			}
			if ivr := as[0].BusinessResult == "no_input"; ivr != (m.Name != "machine") {
				t.Errorf("%s: IVR result %q", m.Name, as[0].BusinessResult)
			}
		}
	})
}

// TestServe_AMDPredictiveSessions runs a predictive campaign with mod_avmd
// and an agent on a persistent session, on the simulator and on
// FreeSWITCH: the machines end MACHINE and never reach the agent, the
// people are bridged into the session after the detection's 1 s and
// within abandon.after of their answer, and nobody is abandoned.
func TestServe_AMDPredictiveSessions(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 10, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		e := newE2E(t, sw)
		c := e.load(`
name: amd-predictive
mode: predictive
dial: {template: "loopback/{number}/dialer_lab"}
predictive: {ratio: 1}
abandon: {after: 2s}
amd: {engine: avmd, timeout: 1s}
limits: {lines: 2, ring_timeout: 10s}
retry: {max_attempts: 1}
`+alwaysOpen, []string{"machine1:+12125888803", "person1:+12125550104", "machine2:+12125888814", "person2:+12125550115"})
		e.sessionAgents("amd-predictive", time.Second, "agent-1001")
		done := e.serve(e.ctx, serveOptions{untilDone: true, statusTick: 50 * time.Millisecond}, sw.Now)
		waitDaemon(t, done, 120*time.Second)
		ms, err := e.db.Members(e.ctx, store.MemberFilter{CampaignID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			as, err := e.db.MemberAttempts(e.ctx, m.ID)
			if err != nil || len(as) != 1 {
				t.Fatalf("%s: attempts %+v, %v", m.Name, as, err)
			}
			want := "NORMAL_CLEARING"
			if strings.HasPrefix(m.Name, "machine") {
				want = "MACHINE"
			}
			if as[0].Cause != want {
				t.Errorf("%s: cause %s, want %s", m.Name, as[0].Cause, want)
			}
		}
		people := 0
		for _, ch := range switchtest.Customers(sw.Channels()) {
			if ch.Vars["dialer_role"] == "agent" || ch.Vars["dialer_session"] != "" {
				continue
			}
			machine := strings.Contains(ch.Destination, "888")
			if machine {
				if ch.BridgedWith != "" {
					t.Errorf("machine %s bridged with %s", ch.Destination, ch.BridgedWith)
				}
				continue
			}
			people++
			wait := ch.Bridged.Sub(ch.Answered)
			if ch.Bridged.IsZero() || wait < time.Second-switchtest.ClockLag || wait > 2*time.Second {
				t.Errorf("person %s bridged %v after the answer, want between the 1 s detection and abandon.after (2 s)", ch.Destination, wait)
			}
		}
		if people != 2 {
			t.Errorf("the switch saw %d people dialed, want 2", people)
		}
	})
}
