package fssim

import (
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/fsdialer/dialer/esl/fsparse"
)

// OriginateRecord is one originate the simulator received, through api or
// bgapi, as FreeSWITCH parsed it.
type OriginateRecord struct {
	// Seq numbers originates from 1 in arrival order.
	Seq int
	// SimTime and WallTime are when the originate arrived, in scenario and
	// wall time.
	SimTime, WallTime time.Time
	// Background is true for bgapi; JobUUID is its Job-UUID.
	Background bool
	JobUUID    string
	// Args is the raw argument string after "originate ".
	Args string
	// ParseError is set when FreeSWITCH would have refused the arguments.
	ParseError string
	// UUID is the a-leg's Unique-ID, "" when no channel was created.
	UUID string
	// Endpoint is the dialled leg's endpoint (the first leg of the first
	// group), Tech its technology and Destination its number part.
	Endpoint, Tech, Destination string
	// Vars are the {} and <> variables, LegVars the [] variables of the
	// dialled leg; Legs is every leg of the dial string.
	Vars, LegVars map[string]string
	Legs          [][]fsparse.Leg
	// Exten is the second argument (an extension or "&app(args)"); App and
	// AppArgs are set for "&app(args)".
	Exten, App, AppArgs string
	// Dialplan, Context, CIDName, CIDNum are the positional arguments.
	Dialplan, Context, CIDName, CIDNum string
	// Timeout is the effective originate timeout in scenario time.
	Timeout time.Duration
	// Outcome is what the scenario decided for the destination.
	Outcome Outcome
	// Result is the reply ("+OK <uuid>\n", "-ERR <CAUSE>\n"), "" while
	// the originate is still running; Completed is when it finished
	// (scenario time).
	Result    string
	Completed time.Time
}

func (r *OriginateRecord) clone() OriginateRecord {
	c := *r
	c.Vars = maps.Clone(r.Vars)
	c.LegVars = maps.Clone(r.LegVars)
	c.Legs = slices.Clone(r.Legs)
	return c
}

// CallRecord is the lifecycle of one channel. A loopback originate makes
// two channels (legs "A" and "B"); other endpoints make one.
type CallRecord struct {
	// UUID is the Unique-ID, Name the Channel-Name.
	UUID, Name string
	// Leg is "A" or "B" on loopback channels, "" otherwise; Direction is
	// "outbound" or "inbound".
	Leg, Direction string
	// Endpoint is the dial-string leg that created the channel and
	// Destination its number part, which the scenario matched.
	Endpoint, Destination string
	// OtherLeg is the other loopback leg's UUID.
	OtherLeg string
	// JobUUID is the bgapi Job-UUID of the originate that created it.
	JobUUID                                                  string
	Created, Progress, EarlyMedia, Answered, Bridged, Hangup time.Time
	Cause                                                    string
	Q850                                                     int
	SIPStatus                                                int
	// BridgedWith is the UUID of the channel it was last bridged to.
	BridgedWith string
	// DTMF holds the digits the simulated callee pressed.
	DTMF string
	// Billsec is variable_billsec once the channel has hung up.
	Billsec int
	// Vars is a copy of the channel variables.
	Vars map[string]string
	// Active is true while the channel exists; Vanished is true when a
	// Restart made it disappear without events.
	Active, Vanished bool
	// Executed are the applications a broadcast ran on it
	// (CHANNEL_EXECUTE), in order.
	Executed []Execution
}

// Execution is one application a channel ran.
type Execution struct {
	App, Data string
	At        time.Time
}

func (ch *channel) record() CallRecord {
	r := CallRecord{
		UUID:        ch.uuid,
		Name:        ch.name,
		Leg:         ch.leg,
		Direction:   ch.direction,
		Endpoint:    ch.endpoint,
		Destination: ch.dest,
		Created:     ch.created,
		Progress:    ch.progress,
		EarlyMedia:  ch.progressMedia,
		Answered:    ch.answered,
		Bridged:     ch.bridged,
		Cause:       ch.cause,
		SIPStatus:   ch.sipTerm,
		DTMF:        ch.dtmf,
		Active:      !ch.ended,
		Vanished:    ch.vanished,
		Vars:        make(map[string]string, len(ch.vars)),
		Executed:    append([]Execution(nil), ch.executed...),
	}
	if ch.hangupShown {
		r.Hangup = ch.hungup
	}
	if ch.cause != "" {
		r.Q850 = q850(ch.cause)
	}
	if ch.peer != nil {
		r.OtherLeg = ch.peer.uuid
	}
	if ch.call != nil && ch.call.rec != nil {
		r.JobUUID = ch.call.rec.JobUUID
	}
	for _, h := range ch.vars {
		r.Vars[h.name] = h.value
	}
	r.BridgedWith = r.Vars["last_bridge_to"]
	if v, ok := r.Vars["billsec"]; ok {
		r.Billsec, _ = strconv.Atoi(v)
	}
	return r
}

// Originates returns every originate received so far, oldest first.
func (s *Server) Originates() []OriginateRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]OriginateRecord, len(s.origs))
	for i, r := range s.origs {
		out[i] = r.clone()
	}
	return out
}

// Calls returns every channel, live and ended, in creation order.
func (s *Server) Calls() []CallRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := make([]*channel, 0, len(s.ended)+len(s.chans))
	all = append(all, s.ended...)
	for _, ch := range s.chans {
		all = append(all, ch)
	}
	slices.SortFunc(all, func(a, b *channel) int { return cmpUint(a.seq, b.seq) })
	out := make([]CallRecord, len(all))
	for i, ch := range all {
		out[i] = ch.record()
	}
	return out
}

// Call returns the record of the channel with the given UUID.
func (s *Server) Call(id string) (CallRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.chans[id]; ok {
		return ch.record(), true
	}
	for i := len(s.ended) - 1; i >= 0; i-- {
		if s.ended[i].uuid == id {
			return s.ended[i].record(), true
		}
	}
	return CallRecord{}, false
}

// ActiveCalls is the number of live originated calls (a loopback call
// with both legs up counts once).
func (s *Server) ActiveCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, ch := range s.chans {
		if ch.leg != "B" {
			n++
		}
	}
	return n
}

// ActiveChannels is the number of live channels, as "show channels
// count" reports it.
func (s *Server) ActiveChannels() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.chans)
}

// Pending is the number of scheduled timers; it is useful to check that a
// scale run leaves nothing behind.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sched.pending()
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *Server) keepEnded(ch *channel) {
	s.ended = append(s.ended, ch)
	if len(s.ended) > s.recordLimit {
		n := len(s.ended) - s.recordLimit
		clear(s.ended[:n])
		s.ended = s.ended[n:]
	}
}

func (s *Server) keepOriginate(r *OriginateRecord) {
	s.origs = append(s.origs, r)
	if len(s.origs) > s.recordLimit {
		n := len(s.origs) - s.recordLimit
		clear(s.origs[:n])
		s.origs = s.origs[n:]
	}
}

// Channels returns the live channels, in creation order.
func (s *Server) Channels() []CallRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	live := make([]*channel, 0, len(s.chans))
	for _, ch := range s.chans {
		live = append(live, ch)
	}
	slices.SortFunc(live, func(a, b *channel) int { return cmpUint(a.seq, b.seq) })
	out := make([]CallRecord, len(live))
	for i, ch := range live {
		out[i] = ch.record()
	}
	return out
}

// Stats is a cheap snapshot of the simulator's counters.
type Stats struct {
	// Connections is the number of open event-socket connections.
	Connections int
	// ActiveCalls and ActiveChannels are as the methods of the same name.
	ActiveCalls, ActiveChannels int
	// Originates counts originates received; SessionsSinceStart counts
	// channels created since the (last re)start.
	Originates, SessionsSinceStart int
	// EventSequence is the last Event-Sequence fired.
	EventSequence uint64
}

// Stats returns the simulator's counters without copying any record.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{
		Connections:        len(s.conns),
		ActiveChannels:     len(s.chans),
		Originates:         s.origSeq,
		SessionsSinceStart: s.sinceStart,
		EventSequence:      s.seq,
	}
	for _, ch := range s.chans {
		if ch.leg != "B" {
			st.ActiveCalls++
		}
	}
	return st
}
