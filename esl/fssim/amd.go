package fssim

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Answering machines of the numbering plan (dialer_lab.xml's lab_machine):
// the callee answers after 1 s, plays a 0.8 s greeting, then a 500 ms beep
// at 1000 Hz, stays silent 3 s and hangs up.
const (
	machineGreeting = 800 * time.Millisecond
	machineBeep     = 500 * time.Millisecond
	machineTalk     = machineGreeting + machineBeep + 3*time.Second
	// avmdLatency is how long mod_avmd takes to report a beep once it
	// hears one (1.10.12 on the lab machine: 120-140 ms).
	avmdLatency = 130 * time.Millisecond
	// avmdBeepFrequency is the Frequency the real switch reports for the
	// lab's 1000 Hz beep.
	avmdBeepFrequency = 1001.274666
)

// planMachine matches a machine callee: D 0-4 with 888 before D S.
var planMachine = regexp.MustCompile(`^\+?[0-9]*888[0-4][0-9]$`)

// machineOutcome is what a machine callee of the numbering plan does.
func machineOutcome() Outcome {
	return Outcome{Ring: time.Second, Answer: true, Talk: machineTalk, Machine: true}
}

// siteAVMD is where mod_avmd fires its events.
var siteAVMD = callSite{"mod_avmd.c", "avmd_fire_event", 700}

// avmdState is mod_avmd running on a channel.
type avmdState struct {
	start time.Time
	beep  bool // a beep was reported
}

// broadcastAVMD runs avmd_start on ch (uuid_broadcast <uuid> avmd_start::)
// at: mod_avmd listens to what the channel reads from then on. The
// application returns at once, so later broadcasts do not wait for it.
// As on FreeSWITCH 1.10.12, a broadcast to an answered a-leg whose
// originate has not returned yet is lost (the api still answers +OK):
// the channel starts its own application when the originate returns.
func (s *Server) broadcastAVMD(ch *channel, at time.Time) {
	s.addTimer(ch, at, func(t time.Time) {
		if ch.ended || ch.avmd != nil || pendingOriginate(ch) != nil {
			return
		}
		ch.app, ch.appData = "avmd_start", ""
		ch.setVar("current_application", "avmd_start")
		ch.executed = append(ch.executed, Execution{App: "avmd_start", At: t})
		s.emitChannel("CHANNEL_EXECUTE", siteExecute, ch, t, true,
			nil, []header{{"Application", "avmd_start"}, {"Application-Data", ""}})
		ch.avmd = &avmdState{start: t}
		s.emitAVMD(ch, "avmd::start", t, []header{{"Start-time", strconv.FormatInt(t.UnixMicro(), 10)}})
		s.scheduleBeep(ch)
	})
}

// scheduleBeep reports the beep of a machine callee that avmd hears: the
// beep starts after the greeting, and avmd needs avmdLatency of it, so a
// detector started too late in the beep hears nothing.
func (s *Server) scheduleBeep(ch *channel) {
	c := ch.call
	if c == nil || !c.out.Machine || ch.answered.IsZero() {
		return
	}
	beepAt := ch.answered.Add(machineGreeting)
	heard := beepAt
	if ch.avmd.start.After(heard) {
		heard = ch.avmd.start
	}
	heard = heard.Add(avmdLatency)
	if heard.After(beepAt.Add(machineBeep)) {
		return
	}
	st := ch.avmd
	s.addTimer(ch, heard, func(t time.Time) {
		if ch.ended || ch.avmd != st || st.beep {
			return
		}
		st.beep = true
		ch.setVar("avmd_total_time", "["+strconv.FormatInt(t.Sub(st.start).Milliseconds(), 10)+"]")
		ch.setVar("avmd_detect", "TRUE")
		s.emitAVMD(ch, "avmd::beep", t, []header{
			{"Beep-Status", "DETECTED"},
			{"Frequency", strconv.FormatFloat(avmdBeepFrequency, 'f', 6, 64)},
			{"Frequency-variance", "0.000018"},
			{"Amplitude", "14401.345206"},
			{"Amplitude-variance", "27176.962574"},
			{"Detection-time", strconv.FormatInt(t.Sub(st.start).Microseconds(), 10)},
			{"Detector-resolution", "1"},
			{"Detector-offset", "0"},
			{"Detector-index", "0"},
		})
	})
}

// emitAVMD fires a mod_avmd event as FreeSWITCH 1.10.12 does: twice
// with one Event-Sequence, first bare (mod_avmd's headers only), then
// with the channel's data and variables.
func (s *Server) emitAVMD(ch *channel, subclass string, at time.Time, extra []header) {
	own := append([]header{{"Unique-ID", ch.uuid}, {"Call-command", "avmd"}}, extra...)
	s.emit("CUSTOM", subclass, at, siteAVMD, func(ev *event) { ev.headers = append(ev.headers, own...) })
	s.seq--
	s.emit("CUSTOM", subclass, at, siteAVMD, func(ev *event) {
		ev.headers = append(ev.headers, own...)
		ch.addBasicData(ev)
		ch.addVariables(ev)
	})
}

// apiAVMD implements the api avmd <uuid> stop that a dialer sends, with
// mod_avmd's replies. (avmd <uuid> start is not simulated: on 1.10.12 it
// starts no detector; see esl.Client.StartAVMD.)
func (s *Server) apiAVMD(arg string, at time.Time) string {
	const usage = "-USAGE: <uuid> < start | stop | set [inbound|outbound|default] | load [inbound|outbound] | reload | show >\n\n"
	f := strings.Fields(arg)
	if len(f) != 2 || f[1] != "stop" {
		return "-ERR, did you mean\n api avmd " + strings.Join(f, " ") + " stop ?\n" + usage
	}
	ch := s.chans[f[0]]
	if ch == nil || ch.ended {
		return "-ERR, no FreeSWITCH session for uuid [" + f[0] + "]!\n" + usage
	}
	if ch.avmd == nil {
		return "+ERR, avmd has not yet been started on\n [" + ch.uuid + "] [" + ch.name + "]\n\n"
	}
	start := ch.avmd.start
	ch.avmd = nil
	// mod_avmd's stop from the api passes BEEP_DETECTED (its enum's
	// first value) and no stop time, whatever it heard.
	s.emitAVMD(ch, "avmd::stop", at, []header{
		{"Beep-Status", "DETECTED"},
		{"Stop-status", "ERROR (AVMD SESSION OBJECT NOT FOUND IN MEDIA BUG)"},
		{"Total-time", strconv.FormatInt(-start.UnixMicro(), 10)},
	})
	return "+OK\n [" + ch.uuid + "] [" + ch.name + "] stopped\n\n"
}
