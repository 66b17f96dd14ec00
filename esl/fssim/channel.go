package fssim

import (
	"strconv"
	"time"
)

// FreeSWITCH channel state numbers (switch_channel_state_t).
const (
	csInit         = 1
	csRouting      = 2
	csExecute      = 4
	csExchange     = 5
	csConsumeMedia = 7
	csHangup       = 10
	csReporting    = 11
	csDestroy      = 12
)

// channel is one simulated FreeSWITCH session.
type channel struct {
	seq       uint64 // creation order, for show channels and records
	uuid      string
	name      string
	direction string // "outbound" or "inbound"
	leg       string // "A" or "B" on loopback channels, "" otherwise
	tech      string // loopback, sofia, ...
	endpoint  string // the dial string leg that created it
	dest      string // destination number the scenario matched
	sessionID int
	call      *call
	peer      *channel // the other loopback leg

	state       string // running state, e.g. CS_EXECUTE
	stateNum    int    // switch_channel_get_state
	callState   string // DOWN, RINGING, EARLY, ACTIVE, HANGUP
	answerState string // ringing, early, answered, hangup
	hitDialplan bool

	cidName, cidNum, origCidNum string
	calleeName, calleeNum       string
	ani                         string
	destNumber, context, dp     string
	source                      string
	profileIndex                int
	profileCreated              time.Time
	initialDest                 string
	initialContext              string
	initialCidName              string
	initialCidNum               string
	cidFlipped                  bool

	created, progress, progressMedia, answered, bridged, hungup time.Time
	hangupShown                                                 bool

	vars []header

	cause   string
	app     string
	appData string
	sipTerm int
	isIVR   bool
	// ivrListen is when the IVR starts taking digits (zero until the
	// channel in an IVR answers).
	ivrListen time.Time
	dtmf      string
	bridgeTo  *channel
	origin    bool // originator of the current bridge
	other     *channel

	timers []*timer
	digitT *timer // the IVR giving up without a digit
	// playing: a broadcast plays, until playUntil (zero: until a bridge
	// breaks it); later broadcasts wait for it.
	playing   bool
	playUntil time.Time
	executed  []Execution
	ended     bool
	vanished  bool
	bound     []*conn // connections bound with myevents

	// avmd is mod_avmd running on the channel (see amd.go), nil when not.
	avmd *avmdState
}

func (ch *channel) getVar(name string) (string, bool) {
	for _, h := range ch.vars {
		if h.name == name {
			return h.value, true
		}
	}
	return "", false
}

// setVar sets a variable the way FreeSWITCH's unique-header event does:
// an existing one is removed and the new value goes to the end.
func (ch *channel) setVar(name, value string) {
	ch.delVar(name)
	ch.vars = append(ch.vars, header{name, value})
}

func (ch *channel) delVar(name string) {
	for i, h := range ch.vars {
		if h.name == name {
			copy(ch.vars[i:], ch.vars[i+1:])
			ch.vars = ch.vars[:len(ch.vars)-1]
			return
		}
	}
}

func (ch *channel) callUUID() string {
	if v, ok := ch.getVar("call_uuid"); ok && v != "" {
		return v
	}
	return ch.uuid
}

func (ch *channel) setState(name string, num int) {
	ch.state, ch.stateNum = name, num
}

// addBasicData appends switch_channel_event_set_basic_data's headers.
func (ch *channel) addBasicData(ev *event) {
	ev.add("Channel-State", ch.state)
	ev.add("Channel-Call-State", ch.callState)
	ev.add("Channel-State-Number", strconv.Itoa(ch.stateNum))
	ev.add("Channel-Name", ch.name)
	ev.add("Unique-ID", ch.uuid)
	ev.add("Call-Direction", ch.direction)
	ev.add("Presence-Call-Direction", ch.direction)
	ev.add("Channel-HIT-Dialplan", strconv.FormatBool(ch.hitDialplan))
	ev.add("Channel-Call-UUID", ch.callUUID())
	ev.add("Answer-State", ch.answerState)
	if ch.cause != "" {
		ev.add("Hangup-Cause", ch.cause)
	}
	ev.add("Channel-Read-Codec-Name", "L16")
	ev.add("Channel-Read-Codec-Rate", "8000")
	ev.add("Channel-Read-Codec-Bit-Rate", "128000")
	ev.add("Channel-Write-Codec-Name", "L16")
	ev.add("Channel-Write-Codec-Rate", "8000")
	ev.add("Channel-Write-Codec-Bit-Rate", "128000")
	ch.addProfile(ev, "Caller")
	if ch.other != nil {
		if ch.origin {
			ev.add("Other-Type", "originatee")
		} else {
			ev.add("Other-Type", "originator")
		}
		ch.other.addProfile(ev, "Other-Leg")
	}
}

// addProfile appends switch_caller_profile_event_set_data's headers.
func (ch *channel) addProfile(ev *event, prefix string) {
	p := func(name, value string) { ev.add(prefix+"-"+name, value) }
	opt := func(name, value string) {
		if value != "" {
			p(name, value)
		}
	}
	p("Direction", ch.direction)
	p("Logical-Direction", ch.direction)
	p("Dialplan", ch.dp)
	opt("Caller-ID-Name", ch.cidName)
	p("Caller-ID-Number", ch.cidNum)
	p("Orig-Caller-ID-Number", ch.origCidNum)
	opt("Callee-ID-Name", ch.calleeName)
	opt("Callee-ID-Number", ch.calleeNum)
	p("ANI", ch.ani)
	p("Destination-Number", ch.destNumber)
	p("Unique-ID", ch.uuid)
	p("Source", ch.source)
	p("Context", ch.context)
	p("Channel-Name", ch.name)
	p("Profile-Index", strconv.Itoa(ch.profileIndex))
	p("Profile-Created-Time", usec(ch.profileCreated))
	p("Channel-Created-Time", usec(ch.created))
	p("Channel-Answered-Time", usec(ch.answered))
	p("Channel-Progress-Time", usec(ch.progress))
	p("Channel-Progress-Media-Time", usec(ch.progressMedia))
	hung := time.Time{}
	if ch.hangupShown {
		hung = ch.hungup
	}
	p("Channel-Hangup-Time", usec(hung))
	p("Channel-Transfer-Time", "0")
	p("Channel-Resurrect-Time", "0")
	p("Channel-Bridged-Time", usec(ch.bridged))
	p("Channel-Last-Hold", "0")
	p("Channel-Hold-Accum", "0")
	p("Screen-Bit", "true")
	p("Privacy-Hide-Name", "false")
	p("Privacy-Hide-Number", "false")
}

func (ch *channel) addVariables(ev *event) {
	for _, h := range ch.vars {
		ev.add("variable_"+h.name, h.value)
	}
}

// callerIDVar renders the caller_id variable: "name" <number>, or just the
// number when there is no name.
func (ch *channel) callerIDVar() string {
	if ch.cidName == "" {
		return ch.cidNum
	}
	return `"` + ch.cidName + `" <` + ch.cidNum + `>`
}

// flipCallerID swaps caller and callee the way FreeSWITCH does on an
// outbound leg once it runs its application after answer.
func (ch *channel) flipCallerID() {
	if ch.cidFlipped {
		return
	}
	ch.cidFlipped = true
	ch.setVar("pre_transfer_caller_id_number", ch.cidNum)
	ch.setVar("channel_cid_flipped", "yes")
	ch.cidName, ch.calleeName = ch.calleeName, ch.cidName
	ch.cidNum, ch.calleeNum = ch.calleeNum, ch.cidNum
}

// setTimingVars sets what switch_channel_set_timestamps sets before
// CHANNEL_HANGUP_COMPLETE.
func (ch *channel) setTimingVars(loc *time.Location) {
	stamp := func(t time.Time) string { return t.In(loc).Format(localLayout) }
	end := ch.hungup
	ch.setVar("hangup_cause", ch.cause)
	ch.setVar("hangup_cause_q850", strconv.Itoa(q850(ch.cause)))
	ch.setVar("digits_dialed", "none")
	ch.setVar("start_stamp", stamp(ch.created))
	ch.setVar("profile_start_stamp", stamp(ch.profileCreated))
	if !ch.answered.IsZero() {
		ch.setVar("answer_stamp", stamp(ch.answered))
	}
	if !ch.bridged.IsZero() {
		ch.setVar("bridge_stamp", stamp(ch.bridged))
	}
	if !ch.progress.IsZero() {
		ch.setVar("progress_stamp", stamp(ch.progress))
	}
	if !ch.progressMedia.IsZero() {
		ch.setVar("progress_media_stamp", stamp(ch.progressMedia))
	}
	ch.setVar("end_stamp", stamp(end))
	ch.setVar("start_epoch", epoch(ch.created))
	ch.setVar("start_uepoch", usec(ch.created))
	ch.setVar("profile_start_epoch", epoch(ch.profileCreated))
	ch.setVar("profile_start_uepoch", usec(ch.profileCreated))
	ch.setVar("answer_epoch", epoch(ch.answered))
	ch.setVar("answer_uepoch", usec(ch.answered))
	ch.setVar("bridge_epoch", epoch(ch.bridged))
	ch.setVar("bridge_uepoch", usec(ch.bridged))
	ch.setVar("last_hold_epoch", "0")
	ch.setVar("last_hold_uepoch", "0")
	ch.setVar("hold_accum_seconds", "0")
	ch.setVar("hold_accum_usec", "0")
	ch.setVar("hold_accum_ms", "0")
	ch.setVar("resurrect_epoch", "0")
	ch.setVar("resurrect_uepoch", "0")
	ch.setVar("progress_epoch", epoch(ch.progress))
	ch.setVar("progress_uepoch", usec(ch.progress))
	ch.setVar("progress_media_epoch", epoch(ch.progressMedia))
	ch.setVar("progress_media_uepoch", usec(ch.progressMedia))
	ch.setVar("end_epoch", epoch(end))
	ch.setVar("end_uepoch", usec(end))
	if ch.app != "" {
		ch.setVar("last_app", ch.app)
		if ch.appData != "" {
			ch.setVar("last_arg", ch.appData)
		}
	}
	ch.setVar("caller_id", ch.callerIDVar())

	since := func(from, to time.Time) (sec, msec, usecs int64) {
		if from.IsZero() || to.IsZero() {
			return 0, 0, 0
		}
		return to.Unix() - from.Unix(), to.UnixMilli() - from.UnixMilli(), to.UnixMicro() - from.UnixMicro()
	}
	dur, mdur, udur := since(ch.created, end)
	bill, mbill, ubill := since(ch.answered, end)
	prog, mprog, uprog := since(ch.created, ch.progress)
	ans, mans, uans := since(ch.created, ch.answered)
	wait, mwait, uwait := since(ch.created, ch.bridged)
	pm, mpm, upm := since(ch.created, ch.progressMedia)
	var flow, mflow, uflow int64
	if !ch.answered.IsZero() {
		flow, mflow, uflow = dur, mdur, udur
	}
	i := func(n int64) string { return strconv.FormatInt(n, 10) }
	ch.setVar("duration", i(dur))
	ch.setVar("billsec", i(bill))
	ch.setVar("progresssec", i(prog))
	ch.setVar("answersec", i(ans))
	ch.setVar("waitsec", i(wait))
	ch.setVar("progress_mediasec", i(pm))
	ch.setVar("flow_billsec", i(flow))
	ch.setVar("mduration", i(mdur))
	ch.setVar("billmsec", i(mbill))
	ch.setVar("progressmsec", i(mprog))
	ch.setVar("answermsec", i(mans))
	ch.setVar("waitmsec", i(mwait))
	ch.setVar("progress_mediamsec", i(mpm))
	ch.setVar("flow_billmsec", i(mflow))
	ch.setVar("uduration", i(udur))
	ch.setVar("billusec", i(ubill))
	ch.setVar("progressusec", i(uprog))
	ch.setVar("answerusec", i(uans))
	ch.setVar("waitusec", i(uwait))
	ch.setVar("progress_mediausec", i(upm))
	ch.setVar("flow_billusec", i(uflow))
	if ch.tech == "loopback" {
		ch.setVar("is_loopback", "1")
	}
}
