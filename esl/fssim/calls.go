package fssim

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fsdialer/dialer/esl/fsparse"
	"github.com/google/uuid"
)

const originateSyntax = "<call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]"

const defaultCIDNumber = "0000000000"

// call ties the channels of one originate to its outcome.
type call struct {
	a, b        *channel
	out         Outcome
	rec         *OriginateRecord
	done        func(out string, at time.Time)
	hasApp      bool
	app         string
	appArgs     string
	exten       string
	dialplan    string
	context     string
	ignoreEarly bool
	ringReady   bool
	timeoutT    *timer
}

// endpoint is a dial string leg resolved to what the simulator needs.
type endpoint struct {
	tech    string
	dest    string
	context string
	name    string
	cause   string
}

// parseEndpoint resolves "loopback/<dest>[/<ctx>]",
// "sofia/gateway/<gw>/<num>", "sofia/<profile>/<num>[@host]",
// "user/<ext>[@domain]" and "error/<CAUSE>".
func (s *Server) parseEndpoint(ep string) endpoint {
	parts := strings.Split(ep, "/")
	tech := strings.ToLower(parts[0])
	switch {
	case tech == "loopback" && len(parts) >= 2:
		e := endpoint{tech: "loopback", dest: parts[1], context: "default"}
		if len(parts) >= 3 && parts[2] != "" {
			e.context = parts[2]
		}
		e.name = "loopback/" + e.dest
		return e
	case tech == "sofia" && len(parts) >= 4 && parts[1] == "gateway":
		num := strings.Join(parts[3:], "/")
		e := endpoint{tech: "sofia", context: "default"}
		e.dest, _, _ = strings.Cut(num, "@")
		e.name = "sofia/external/" + num + "@" + parts[2]
		if !s.scen.gatewayExists(parts[2]) {
			e.cause = "INVALID_GATEWAY"
		}
		return e
	case tech == "sofia" && len(parts) >= 3:
		num := strings.Join(parts[2:], "/")
		e := endpoint{tech: "sofia", context: "default", name: "sofia/" + parts[1] + "/" + num}
		e.dest, _, _ = strings.Cut(num, "@")
		return e
	case tech == "user" && len(parts) >= 2:
		ext, domain, ok := strings.Cut(parts[1], "@")
		if !ok {
			domain = "fssim.local"
		}
		return endpoint{tech: "sofia", dest: ext, context: "default", name: "sofia/internal/" + ext + "@" + domain}
	case tech == "error":
		cause := ""
		if len(parts) >= 2 {
			cause = str2cause(parts[1])
		}
		if cause == "" || cause == "NONE" {
			cause = "DESTINATION_OUT_OF_ORDER"
		}
		return endpoint{tech: "error", cause: cause}
	}
	return endpoint{tech: tech, cause: "CHAN_NOT_IMPLEMENTED"}
}

// orderedVars returns the variable names in the order they appear in the
// raw dial string, which is the order FreeSWITCH sets them in.
func orderedVars(vars map[string]string, raw string) []string {
	names := slices.Collect(maps.Keys(vars))
	pos := func(n string) int {
		if i := strings.Index(raw, n+"="); i >= 0 {
			return i
		}
		return len(raw)
	}
	slices.SortStableFunc(names, func(a, b string) int {
		if pa, pb := pos(a), pos(b); pa != pb {
			return pa - pb
		}
		return strings.Compare(a, b)
	})
	return names
}

func positiveInt(v string) int {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// originate runs the originate API. done receives the reply once the call
// is answered, reaches early media (unless ignore_early_media), or fails.
// Caller holds s.mu.
func (s *Server) originate(args, job string, at time.Time, done func(string, time.Time)) {
	s.origSeq++
	rec := &OriginateRecord{
		Seq: s.origSeq, SimTime: at, WallTime: time.Now(),
		Background: job != "", JobUUID: job, Args: args,
	}
	s.keepOriginate(rec)
	finish := func(out string, at time.Time) {
		rec.Result, rec.Completed = out, at
		s.log.Debug("originate", "seq", rec.Seq, "call_uuid", rec.UUID, "destination", rec.Destination,
			"job_uuid", rec.JobUUID, "result", strings.TrimSpace(out))
		done(out, at)
	}

	if n := len(fsparse.SplitArgs(strings.TrimSpace(args))); n < 2 || n > 7 {
		rec.ParseError = "usage: " + strconv.Itoa(n) + " arguments"
		finish("-USAGE: "+originateSyntax+"\n", at)
		return
	}
	o, err := fsparse.ParseOriginate(args)
	if err != nil {
		rec.ParseError = err.Error()
		finish("-ERR DESTINATION_OUT_OF_ORDER\n", at)
		return
	}
	rec.Vars = maps.Clone(o.Vars)
	rec.Legs = o.Legs
	rec.Exten, rec.App, rec.AppArgs = o.Dest, o.App, o.AppArgs
	rec.Dialplan, rec.Context, rec.CIDName, rec.CIDNum = o.Dialplan, o.Context, o.CIDName, o.CIDNum
	if len(o.Legs) == 0 || len(o.Legs[0]) == 0 {
		rec.ParseError = "no legs"
		finish("-ERR DESTINATION_OUT_OF_ORDER\n", at)
		return
	}
	leg := o.Legs[0][0]
	rec.LegVars = maps.Clone(leg.Vars)
	rec.Endpoint = leg.Endpoint

	vars := map[string]string{}
	if strings.EqualFold(o.Vars["local_var_clobber"], "true") {
		maps.Copy(vars, o.Vars)
		maps.Copy(vars, leg.Vars)
	} else {
		maps.Copy(vars, leg.Vars)
		maps.Copy(vars, o.Vars)
	}

	timeout := 60
	if o.Timeout > 0 {
		timeout = o.Timeout
	}
	if n := positiveInt(vars["originate_timeout"]); n > 0 {
		timeout = n
	}
	if n := positiveInt(leg.Vars["leg_timeout"]); n > 0 {
		timeout = n
	}
	rec.Timeout = time.Duration(timeout) * time.Second

	ep := s.parseEndpoint(leg.Endpoint)
	rec.Tech, rec.Destination = ep.tech, ep.dest
	if ep.cause != "" {
		finish("-ERR "+ep.cause+"\n", at)
		return
	}
	out := s.scen.outcomeFor(ep, s.rng)
	rec.Outcome = out

	c := &call{
		out:         out,
		rec:         rec,
		done:        finish,
		hasApp:      len(o.Dest) > 1 && o.Dest[0] == '&',
		app:         o.App,
		appArgs:     o.AppArgs,
		exten:       o.Dest,
		dialplan:    o.Dialplan,
		context:     o.Context,
		ignoreEarly: strings.EqualFold(vars["ignore_early_media"], "true"),
		ringReady:   strings.EqualFold(vars["return_ring_ready"], "true"),
	}
	s.createChannels(c, ep, leg.Endpoint, vars, orderedVars(vars, args), o, at)
	rec.UUID = c.a.uuid
	c.timeoutT = s.sched.at(originateDeadline(at, rec.Timeout), func(at time.Time) {
		c.timeoutT = nil
		if c.a.ended || !c.a.answered.IsZero() {
			return
		}
		s.hangupCall(c.a, "NO_ANSWER", at)
	})
	s.startRinging(c, at)
}

// originateDeadline is when an originate started at start times out.
// FreeSWITCH compares whole epoch seconds (switch_epoch_time_now), so the
// timeout fires on the second boundary where the seconds elapsed reach
// timeout: up to a second early, as originate_timeout=3 firing after
// 2.86 s in the captures.
func originateDeadline(start time.Time, timeout time.Duration) time.Time {
	return start.Truncate(time.Second).Add(timeout)
}

func (s *Server) newChannel(c *call, ep endpoint, dialLeg string, at time.Time) *channel {
	s.chanSeq++
	s.sessionID++
	ch := &channel{
		seq:          s.chanSeq,
		uuid:         uuid.NewString(),
		tech:         ep.tech,
		endpoint:     dialLeg,
		dest:         ep.dest,
		sessionID:    s.sessionID,
		call:         c,
		callState:    "DOWN",
		answerState:  "ringing",
		calleeName:   "Outbound Call",
		destNumber:   ep.dest,
		context:      ep.context,
		dp:           "xml",
		profileIndex: 1,
		created:      at,
	}
	ch.profileCreated = at
	ch.initialDest, ch.initialContext = ep.dest, ep.context
	ch.source = "mod_sofia"
	if ep.tech == "loopback" {
		ch.source = "mod_loopback"
		ch.calleeNum = ep.context
	} else {
		ch.calleeNum = ep.dest
	}
	return ch
}

// createChannels creates the a-leg (and the b-leg of a loopback call) and
// fires CHANNEL_UUID and CHANNEL_CREATE as FreeSWITCH does.
func (s *Server) createChannels(c *call, ep endpoint, dialLeg string, vars map[string]string, order []string, o *fsparse.Originate, at time.Time) {
	a := s.newChannel(c, ep, dialLeg, at)
	c.a = a
	a.direction = "outbound"
	a.cidName = vars["origination_caller_id_name"]
	if a.cidName == "" {
		a.cidName = o.CIDName
	}
	a.cidNum = vars["origination_caller_id_number"]
	if a.cidNum == "" {
		a.cidNum = o.CIDNum
	}
	if a.cidNum == "" {
		a.cidNum = defaultCIDNumber
	}
	a.origCidNum, a.ani = a.cidNum, a.cidNum
	a.initialCidName, a.initialCidNum = a.cidName, a.cidNum
	a.name = ep.name
	if ep.tech == "loopback" {
		a.leg = "A"
		a.name = ep.name + "-a"
	}
	a.setVar("direction", "outbound")
	a.setVar("is_outbound", "true")
	a.setVar("session_id", strconv.Itoa(a.sessionID))
	a.setVar("read_codec", "L16")
	a.setVar("read_rate", "8000")
	a.setVar("write_codec", "L16")
	a.setVar("write_rate", "8000")
	a.setVar("channel_name", a.name)

	want := vars["origination_uuid"]
	renamed := false
	if want != "" {
		if _, taken := s.chans[want]; !taken {
			old := a.uuid
			a.uuid = want
			renamed = true
			a.setVar("uuid", a.uuid)
			a.setVar("call_uuid", a.uuid)
			a.setState("CS_NONE", csInit)
			s.emitChannel("CHANNEL_UUID", siteUUID, a, at, true, []header{{"Old-Unique-ID", old}}, nil)
		} else {
			s.log.Warn("duplicate origination_uuid, using a random one", "call_uuid", want)
		}
	}
	if !renamed {
		a.setVar("uuid", a.uuid)
		a.setVar("call_uuid", a.uuid)
	}
	s.chans[a.uuid] = a

	var b *channel
	if ep.tech == "loopback" {
		b = s.newChannel(c, ep, dialLeg, at)
		c.b = b
		b.leg = "B"
		b.name = ep.name + "-b"
		b.direction = "inbound"
		b.cidName, b.cidNum, b.origCidNum, b.ani = a.cidName, a.cidNum, a.cidNum, a.cidNum
		b.initialCidName, b.initialCidNum = a.cidName, a.cidNum
		b.hitDialplan = true
		a.peer, b.peer = b, a
		b.setVar("direction", "inbound")
		b.setVar("uuid", b.uuid)
		b.setVar("call_uuid", b.uuid)
		b.setVar("session_id", strconv.Itoa(b.sessionID))
		b.setVar("channel_name", b.name)
		b.setVar("read_codec", "L16")
		b.setVar("read_rate", "8000")
		b.setVar("write_codec", "L16")
		b.setVar("write_rate", "8000")
		s.chans[b.uuid] = b
	}

	for _, k := range order {
		if vars[k] == "" {
			continue
		}
		a.setVar(k, vars[k])
		if b != nil {
			b.setVar(k, vars[k])
		}
	}
	a.setVar("originate_early_media", "true")
	a.setVar("originate_endpoint", ep.tech)
	if b != nil {
		a.setVar("other_loopback_leg_uuid", b.uuid)
		a.setVar("loopback_leg", "A")
		b.setVar("other_loopback_leg_uuid", a.uuid)
		b.setVar("loopback_leg", "B")
	}

	a.setState("CS_INIT", csRouting)
	s.countSession(at)
	s.emitChannel("CHANNEL_CREATE", siteCreate, a, at, true, nil, nil)
	if b != nil {
		b.setState("CS_INIT", csRouting)
		s.countSession(at)
		s.emitChannel("CHANNEL_CREATE", siteCreate, b, at, true, nil, nil)
		b.callState = "RINGING"
		b.setState("CS_EXECUTE", csExecute)
		b.setVar("DP_MATCH", b.dest)
		b.setVar("call_uuid", b.uuid)
	}
	a.setState("CS_CONSUME_MEDIA", csConsumeMedia)
}

// emitChannel fires a channel event: pre headers, the channel's data, post
// headers, and its variables when withVars is set. Caller holds s.mu.
func (s *Server) emitChannel(name string, site callSite, ch *channel, at time.Time, withVars bool, pre, post []header) {
	s.emit(name, "", at, site, func(ev *event) {
		ev.headers = append(ev.headers, pre...)
		ch.addBasicData(ev)
		ev.headers = append(ev.headers, post...)
		if withVars {
			ch.addVariables(ev)
		}
	})
}

// legs returns the call's live channels, a-leg first.
func (c *call) legs() []*channel {
	out := make([]*channel, 0, 2)
	for _, ch := range []*channel{c.a, c.b} {
		if ch != nil && !ch.ended {
			out = append(out, ch)
		}
	}
	return out
}

func (s *Server) startRinging(c *call, at time.Time) {
	out := c.out
	switch {
	case !out.Answer && out.Cause != "" && out.Ring == 0:
		s.remoteHangup(c, out.Cause, at)
		return
	case out.Answer && out.Ring == 0:
	case out.EarlyMedia:
		s.earlyMedia(c, at)
	default:
		s.ringing(c, at)
	}
	a := c.a
	switch {
	case out.Answer:
		s.addTimer(a, at.Add(out.Ring), func(at time.Time) { s.answer(c, at) })
	case out.Cause != "":
		s.addTimer(a, at.Add(out.Ring), func(at time.Time) { s.remoteHangup(c, out.Cause, at) })
	}
}

func (s *Server) addTimer(ch *channel, t time.Time, fn func(at time.Time)) {
	ch.timers = append(ch.timers, s.sched.at(t, fn))
}

func (s *Server) ringing(c *call, at time.Time) {
	a := c.a
	a.progress = at
	s.emitChannel("CHANNEL_PROGRESS", siteProgress, a, at, true, nil, nil)
	a.callState = "RINGING"
	if b := c.b; b != nil {
		b.progress = at
		s.runApp(b, "ring_ready", "")
		s.emitChannel("CHANNEL_PROGRESS", siteProgress, b, at, true, nil, nil)
		s.runApp(b, "sleep", ringSleep(c.out))
	}
	if c.ringReady && c.done != nil {
		s.completeOK(c, at)
	}
}

func (s *Server) earlyMedia(c *call, at time.Time) {
	a := c.a
	a.progressMedia = at
	a.answerState = "early"
	s.emitChannel("CHANNEL_PROGRESS_MEDIA", siteProgressMed, a, at, true, nil, nil)
	a.callState = "EARLY"
	if b := c.b; b != nil {
		b.progressMedia = at
		b.answerState = "early"
		s.runApp(b, "pre_answer", "")
		s.emitChannel("CHANNEL_PROGRESS_MEDIA", siteProgressMed, b, at, true, nil, nil)
		b.callState = "EARLY"
	}
	if !c.ignoreEarly && c.done != nil {
		s.completeOK(c, at)
	}
}

func (s *Server) answer(c *call, at time.Time) {
	a := c.a
	if a.ended || !a.answered.IsZero() {
		return
	}
	a.answered = at
	a.answerState = "answered"
	s.emitChannel("CHANNEL_ANSWER", siteAnswer, a, at, true, nil, nil)
	a.callState = "ACTIVE"
	if b := c.b; b != nil && !b.ended {
		b.answered = at
		b.answerState = "answered"
		s.runApp(b, "answer", "")
		s.emitChannel("CHANNEL_ANSWER", siteAnswer, b, at, true, nil, nil)
		b.callState = "ACTIVE"
		b.setVar("endpoint_disposition", "ANSWER")
		app, data := calleeApp(c.out)
		s.runApp(b, app, data)
	}
	s.scheduleCalleeDigit(c, at)
	s.sched.cancel(c.timeoutT)
	c.timeoutT = nil
	if c.done != nil {
		s.addTimer(a, at.Add(originateReturnLag), func(at time.Time) { s.originateReturns(c, at) })
	} else {
		a.flipCallerID()
		a.callState = "ACTIVE"
		s.answerIVR(a, at)
	}
	if !c.out.Stay {
		callee := a
		if c.b != nil {
			callee = c.b
		}
		cause := c.out.Cause
		if cause == "" {
			cause = "NORMAL_CLEARING"
		}
		s.addTimer(callee, at.Add(c.out.Talk), func(at time.Time) {
			if !callee.ended {
				s.remoteHangup(c, cause, at)
			}
		})
	}
}

// originateReturnLag is how long after the answer the originate returns.
// FreeSWITCH's originate thread notices the answer at its next pass (one
// 20 ms frame: the job came 0 to 21 ms after CHANNEL_ANSWER on 1.10.12);
// a uuid_bridge that reaches the channel in between takes it from the
// originate (see takeFromOriginate).
const originateReturnLag = 20 * time.Millisecond

// originateReturns completes an originate whose a-leg answered, unless a
// hangup or a bridge already gave it its result.
func (s *Server) originateReturns(c *call, at time.Time) {
	if c.done == nil || c.a.ended {
		return
	}
	s.completeOK(c, at)
}

// pendingOriginate returns the call whose originate has not returned yet
// and whose a-leg is ch, or nil.
func pendingOriginate(ch *channel) *call {
	if c := ch.call; c != nil && c.done != nil && c.a == ch {
		return c
	}
	return nil
}

// takeFromOriginate fails an originate whose channel uuid_bridge took
// before it returned, as FreeSWITCH does: the job answers
// "-ERR ORIGINATOR_CANCEL" (after the bridge's +OK, before its
// CHANNEL_BRIDGE) and never runs the application or extension. An
// answered channel lives on for the bridge; one still ringing cannot be
// bridged and hangs up DESTINATION_OUT_OF_ORDER, taking the other leg
// down with ORIGINATOR_CANCEL. It reports whether the bridge can go on.
func (s *Server) takeFromOriginate(c *call, other *channel, at time.Time) bool {
	done := c.done
	c.done = nil
	s.sched.cancel(c.timeoutT)
	c.timeoutT = nil
	done("-ERR ORIGINATOR_CANCEL\n", at)
	if !c.a.answered.IsZero() {
		return true
	}
	s.hangupCall(c.a, "DESTINATION_OUT_OF_ORDER", at)
	s.hangupCall(other, "ORIGINATOR_CANCEL", at)
	return false
}

// completeOK returns "+OK <uuid>" and lets the a-leg run its application
// or extension.
func (s *Server) completeOK(c *call, at time.Time) {
	done := c.done
	c.done = nil
	a := c.a
	a.hitDialplan = true
	a.setState("CS_EXECUTE", csExecute)
	if !a.answered.IsZero() {
		a.setVar("endpoint_disposition", "ANSWER")
		a.flipCallerID()
	} else {
		a.setVar("endpoint_disposition", "EARLY MEDIA")
	}
	a.setVar("call_uuid", a.uuid)
	if c.hasApp {
		a.app, a.appData = c.app, c.appArgs
		if !isWaitingApp(c.app) {
			s.startIVR(a, at)
		}
		a.setVar("current_application", c.app)
		if c.appArgs != "" {
			a.setVar("current_application_data", c.appArgs)
		}
	} else {
		s.transferProfile(a, c.exten, c.dialplan, c.context, at)
		s.startIVR(a, at)
	}
	done("+OK "+a.uuid+"\n", at)
}

// calleeApp is what the lab dialplan's callee runs once it answered: park
// for an agent who stays, else the sleep before it hangs up.
func calleeApp(out Outcome) (app, data string) {
	if out.Stay {
		return "park", ""
	}
	return "sleep", strconv.FormatInt(out.Talk.Milliseconds(), 10)
}

// ringSleep is the sleep the lab dialplan's callee rings with: until it
// answers or fails, or the 600 s of a destination that never answers.
func ringSleep(out Outcome) string {
	if !out.Answer && out.Cause == "" {
		return "600000"
	}
	return strconv.FormatInt(out.Ring.Milliseconds(), 10)
}

// isWaitingApp reports whether an originate application just holds the
// call for the dialer (so the callee is not in an IVR).
func isWaitingApp(app string) bool {
	switch strings.ToLower(app) {
	case "park", "bridge", "hold", "sleep", "socket", "wait_for_answer", "answer", "echo":
		return true
	}
	return false
}

// transferProfile gives ch a new caller profile for exten, as
// switch_ivr_session_transfer does.
func (s *Server) transferProfile(ch *channel, exten, dialplan, context string, at time.Time) {
	if dialplan == "" {
		dialplan = "XML"
	}
	if context == "" {
		context = "default"
	}
	ch.destNumber, ch.dp, ch.context = exten, dialplan, context
	ch.profileIndex++
	ch.profileCreated = at
	ch.app, ch.appData = "", ""
	ch.hitDialplan = true
	ch.setState("CS_EXECUTE", csExecute)
}

// remoteHangup ends the call from the far end (busy, rejected, the callee
// hanging up): on a loopback call the b-leg goes first, running the
// dialplan's hangup application.
func (s *Server) remoteHangup(c *call, cause string, at time.Time) {
	first := c.a
	if c.b != nil && !c.b.ended {
		first = c.b
		s.runApp(first, "hangup", cause)
	}
	if first.ended {
		return
	}
	s.hangup(first, cause, true, at)
}

// runApp records that a loopback b-leg's dialplan runs app; an
// application without data leaves no current_application_data.
func (s *Server) runApp(ch *channel, app, data string) {
	ch.app, ch.appData = app, data
	if data != "" {
		ch.setVar("current_application_data", data)
	} else {
		ch.delVar("current_application_data")
	}
	ch.setVar("current_application", app)
}

// hangupCall ends a channel from this side (uuid_kill, hupall, timeout).
func (s *Server) hangupCall(ch *channel, cause string, at time.Time) {
	if !ch.ended {
		s.hangup(ch, cause, false, at)
	}
}

// hangup ends ch and its loopback peer with the same cause, firing
// CHANNEL_HANGUP, CHANNEL_UNBRIDGE, CHANNEL_HANGUP_COMPLETE and
// CHANNEL_DESTROY, answering a pending originate with -ERR, and hanging up
// a bridged channel afterwards. remote tells whether the far end hung up.
func (s *Server) hangup(ch *channel, cause string, remote bool, at time.Time) {
	pair := []*channel{ch}
	if ch.peer != nil && !ch.peer.ended {
		pair = append(pair, ch.peer)
	}
	var bridged []*channel
	for _, x := range pair {
		x.ended = true
		x.cause = loopbackCause(ch, x, cause, at)
		x.hungup = at
		x.answerState = "hangup"
		x.stateNum = csHangup
		for _, t := range x.timers {
			s.sched.cancel(t)
		}
		x.timers = nil
		s.sched.cancel(x.digitT)
		x.digitT = nil
		s.emitChannel("CHANNEL_HANGUP", siteHangup, x, at, true, nil, nil)
		x.hangupShown = true
		if peer := x.bridgeTo; peer != nil && !slices.Contains(pair, peer) {
			bridged = append(bridged, peer)
		}
	}
	c := ch.call
	if c != nil {
		s.sched.cancel(c.timeoutT)
		c.timeoutT = nil
	}
	for _, peer := range bridged {
		s.unbridge(peer.bridgeTo, peer, at)
		peer.setVar("last_bridge_hangup_cause", cause)
	}
	if c != nil && c.done != nil {
		done := c.done
		c.done = nil
		done("-ERR "+cause+"\n", at)
	}
	for _, x := range pair {
		if x.tech == "sofia" {
			x.sipTerm = x.call.out.SIPStatus
			if x.sipTerm == 0 || !x.answered.IsZero() {
				x.sipTerm = sipStatusFor(cause, !x.answered.IsZero())
			}
			if x.sipTerm != 0 {
				x.setVar("sip_term_status", strconv.Itoa(x.sipTerm))
				x.setVar("sip_term_cause", strconv.Itoa(q850(cause)))
			}
			x.setVar("sip_hangup_disposition", hangupDisposition(remote, !x.answered.IsZero()))
		}
		x.setTimingVars(s.loc)
		x.setState("CS_REPORTING", csReporting)
		x.callState = "HANGUP"
		s.emitChannel("CHANNEL_HANGUP_COMPLETE", siteHangupDone, x, at, true, []header{{"Hangup-Cause", x.cause}}, nil)
	}
	for _, x := range pair {
		x.stateNum = csDestroy
		s.emitChannel("CHANNEL_DESTROY", siteDestroy, x, at, true, nil, nil)
		delete(s.chans, x.uuid)
		s.keepEnded(x)
		s.releaseBound(x, at)
	}
	for _, peer := range bridged {
		if peer.ended {
			continue
		}
		if v, _ := peer.getVar("park_after_bridge"); v == "true" {
			// Back to park, waiting for the next bridge.
			peer.app, peer.appData = "park", ""
			peer.setState("CS_EXECUTE", csExecute)
			continue
		}
		survivor := "NORMAL_CLEARING"
		if peer.answered.IsZero() {
			survivor = "ORIGINATOR_CANCEL"
		}
		s.hangup(peer, survivor, false, at)
	}
}

// loopbackCauseWindow is how long after the answer a b-leg's hangup
// cause still reaches its a-leg.
const loopbackCauseWindow = time.Second

// loopbackCause is the cause x ends with when ch hangs up with cause at
// at, x being ch or its loopback peer. mod_loopback passes the cause on,
// but an a-leg whose b-leg hangs up well after the answer hangs up
// NORMAL_CLEARING: uuid_kill of the b-leg with USER_BUSY left the a-leg
// USER_BUSY up to between 0.2 s and 1.5 s after the answer, depending on
// what the legs ran, and NORMAL_CLEARING from 2 s on (1.10.12). The
// simulator switches at one second.
func loopbackCause(ch, x *channel, cause string, at time.Time) string {
	if x != ch && ch.leg == "B" && x.leg == "A" && !x.answered.IsZero() && at.Sub(x.answered) > loopbackCauseWindow {
		return "NORMAL_CLEARING"
	}
	return cause
}

func hangupDisposition(remote, answered bool) string {
	switch {
	case remote && answered:
		return "recv_bye"
	case remote:
		return "recv_refuse"
	case answered:
		return "send_bye"
	}
	return "send_cancel"
}

// bridge connects two channels as uuid_bridge does: one CHANNEL_BRIDGE
// fired on the originator a, carrying both UUIDs and b as Other-Leg.
func (s *Server) bridge(a, b *channel, at time.Time) {
	for _, x := range []*channel{a, b} {
		if old := x.bridgeTo; old != nil && old != a && old != b {
			s.unbridge(x, old, at)
			s.hangupCall(old, "NORMAL_CLEARING", at)
		}
	}
	a.bridgeTo, b.bridgeTo = b, a
	a.stopPlaying()
	b.stopPlaying()
	a.origin, b.origin = true, false
	a.other, b.other = b, a
	a.bridged, b.bridged = at, at
	a.app, a.appData = "uuid_bridge", b.uuid
	b.app, b.appData = "uuid_bridge", a.uuid
	a.setState("CS_EXCHANGE_MEDIA", csExchange)
	b.setState("CS_EXCHANGE_MEDIA", csExchange)
	a.hitDialplan, b.hitDialplan = true, true
	a.setVar("bridge_to", b.uuid)
	a.setVar("last_bridge_to", b.uuid)
	b.setVar("bridge_to", a.uuid)
	b.setVar("last_bridge_to", a.uuid)
	b.setVar("call_uuid", a.uuid)
	for _, x := range []*channel{a, b} {
		s.sched.cancel(x.digitT)
		x.digitT = nil
		x.isIVR = false
	}
	s.emitChannel("CHANNEL_BRIDGE", siteBridge, a, at, true,
		[]header{{"Bridge-A-Unique-ID", a.uuid}, {"Bridge-B-Unique-ID", b.uuid}}, nil)
}

// unbridge ends the bridge between x and peer, firing CHANNEL_UNBRIDGE on
// the originator.
func (s *Server) unbridge(x, peer *channel, at time.Time) {
	if x == nil || peer == nil || x.bridgeTo != peer {
		return
	}
	orig, other := x, peer
	if !x.origin {
		orig, other = peer, x
	}
	x.bridgeTo, peer.bridgeTo = nil, nil
	x.delVar("bridge_to")
	peer.delVar("bridge_to")
	s.emitChannel("CHANNEL_UNBRIDGE", siteUnbridge, orig, at, true,
		[]header{{"Bridge-A-Unique-ID", orig.uuid}, {"Bridge-B-Unique-ID", other.uuid}}, nil)
}

// transfer moves ch to an extension (uuid_transfer, sendmsg transfer). A
// bridge is broken and the peer hung up; an answered call enters the IVR.
func (s *Server) transfer(ch *channel, exten, dialplan, context string, at time.Time) {
	if peer := ch.bridgeTo; peer != nil {
		s.unbridge(ch, peer, at)
		s.hangupCall(peer, "NORMAL_CLEARING", at)
	}
	s.transferProfile(ch, exten, dialplan, context, at)
	if strings.EqualFold(dialplan, "inline") && strings.HasPrefix(exten, "park") {
		s.stopIVR(ch)
		return
	}
	s.startIVR(ch, at)
}

// releaseBound closes connections bound to ch with myevents, as
// mod_event_socket does once the controlled channel is gone.
func (s *Server) releaseBound(ch *channel, at time.Time) {
	for _, c := range ch.bound {
		c.session = nil
		if c.lingerOn {
			notice := lingerNotice(ch, c.linger)
			c.reply(notice)
			wait := c.linger
			if wait < 0 {
				continue
			}
			cc := c
			s.sched.at(at.Add(wait), func(time.Time) {
				cc.closeAfter(disconnectNotice(goodbyeText), true)
			})
			continue
		}
		c.closeAfter(sessionNotice(ch.uuid), true)
	}
	ch.bound = nil
}

func lingerNotice(ch *channel, linger time.Duration) []byte {
	secs := -1
	if linger >= 0 {
		secs = int(linger / time.Second)
	}
	return []byte("Content-Type: text/disconnect-notice\nControlled-Session-UUID: " + ch.uuid +
		"\nContent-Disposition: linger\nChannel-Name: " + ch.name + "\nLinger-Time: " +
		strconv.Itoa(secs) + "\nContent-Length: 0\n\n")
}

func sessionNotice(id string) []byte {
	return []byte("Content-Type: text/disconnect-notice\nControlled-Session-UUID: " + id +
		"\nContent-Disposition: disconnect\nContent-Length: " + strconv.Itoa(len(goodbyeText)) +
		"\n\n" + goodbyeText)
}
