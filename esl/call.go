package esl

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultVarPrefixes selects the channel variables a Call keeps when
// NewCall is given none: the dialer's own.
var DefaultVarPrefixes = []string{"dialer_"}

// Call merges the events of one channel (one leg, found by its Unique-ID)
// and of the background job that created it into one record. Events reach
// the consumer out of order (eslgo starts a goroutine per event, and
// FreeSWITCH itself dispatches from several threads), so every fact is
// merged monotonically: flags only turn on, and a value is kept from the
// event that ranks highest (HANGUP_COMPLETE, then HANGUP, then other
// channel events, then BACKGROUND_JOB; ties by Event-Sequence, then by
// value). The record therefore depends only on which events were applied,
// never on their order. A Call is not safe for concurrent use.
type Call struct {
	uuid, jobUUID string
	prefixes      []string

	seen, created, ringing, earlyMedia, answered bool
	bridged, unbridged, hungUp, complete         bool

	name, direction, cause, sipStatus, disposition callFact
	q850, billsec, duration, bridgedTo, job        callFact
	createdAt, answeredAt, hangupAt                callFact
	digits                                         map[digitKey]struct{}
	vars                                           map[string]callFact
}

// CallRecord is a Call's merged state.
type CallRecord struct {
	UUID    string
	JobUUID string
	// ChannelName and Direction are from the highest-ranked channel event.
	ChannelName string
	Direction   string
	// Seen: at least one event of the channel was applied.
	Seen bool
	// Created: CHANNEL_CREATE was applied.
	Created bool
	// Ringing: CHANNEL_PROGRESS, or a progress time on any event.
	Ringing bool
	// EarlyMedia: CHANNEL_PROGRESS_MEDIA, or a progress-media time.
	EarlyMedia bool
	// Answered: CHANNEL_ANSWER, an answer time (Caller-Channel-Answered-
	// Time, variable_answer_epoch) or Answer-State answered; never
	// inferred from the cause.
	Answered bool
	// Bridged to BridgedTo (the other leg's uuid); Unbridged after.
	Bridged   bool
	BridgedTo string
	Unbridged bool
	// HungUp: CHANNEL_HANGUP or CHANNEL_HANGUP_COMPLETE.
	HungUp bool
	// Complete: CHANNEL_HANGUP_COMPLETE, the final record, was applied.
	Complete bool
	// JobDone, JobOK: the BACKGROUND_JOB arrived, with +OK.
	JobDone bool
	JobOK   bool
	// Final: the outcome is known: Complete, or the job failed with any
	// cause but ORIGINATOR_CANCEL (then there is no answered call; if a
	// channel was created, its HANGUP_COMPLETE may still add Q850 and
	// SIPTermStatus, never change the rest). ORIGINATOR_CANCEL means the
	// channel was taken from the originate before it returned (uuid_bridge
	// in the moment after the answer): the channel lives on, bridged, and
	// only its HANGUP_COMPLETE ends the call.
	Final bool
	// CreatedAt, AnsweredAt, HangupAt are zero when unknown.
	CreatedAt, AnsweredAt, HangupAt time.Time
	// Billsec and Duration are whole seconds from HANGUP_COMPLETE.
	Billsec, Duration int
	// Cause is the hangup cause name (variable_hangup_cause, Hangup-Cause)
	// or, with no channel cause, the job's -ERR cause.
	Cause string
	// Q850 is variable_hangup_cause_q850 (every FreeSWITCH-specific cause
	// maps to 16: classify on Cause and SIPTermStatus, never Q850 alone).
	Q850 int
	// SIPTermStatus and HangupDisposition are variable_sip_term_status and
	// variable_sip_hangup_disposition.
	SIPTermStatus     string
	HangupDisposition string
	// Digits are the DTMF digits of the channel in Event-Sequence order.
	Digits string
	// Vars are the channel variables selected by the Call's prefixes, by
	// name in lower case.
	Vars map[string]string
}

// NewCall returns an empty Call for the channel uuid (the origination_uuid
// the dialer chose) and, when known, the Job-UUID of the bgapi originate
// that creates it. Channel variables whose names start with one of
// varPrefixes are kept (DefaultVarPrefixes when none; "" keeps all).
func NewCall(uuid, jobUUID string, varPrefixes ...string) *Call {
	if len(varPrefixes) == 0 {
		varPrefixes = DefaultVarPrefixes
	}
	prefixes := make([]string, len(varPrefixes))
	for i, p := range varPrefixes {
		prefixes[i] = strings.ToLower(p)
	}
	return &Call{
		uuid:     uuid,
		jobUUID:  jobUUID,
		prefixes: prefixes,
		digits:   make(map[digitKey]struct{}),
		vars:     make(map[string]callFact),
	}
}

// Ranks of the events a fact can come from.
const (
	rankJob = iota + 1
	rankOther
	rankChannel
	rankHangup
	rankComplete
)

// callFact is a value with the rank of the event it came from.
type callFact struct {
	v    string
	rank int
	seq  uint64
}

// offer keeps v if it outranks the current value. The order is total
// (rank, then sequence, then value), so the result of many offers does not
// depend on their order.
func (f *callFact) offer(v string, rank int, seq uint64) {
	if v == "" {
		return
	}
	switch {
	case f.v == "":
	case rank != f.rank:
		if rank < f.rank {
			return
		}
	case seq != f.seq:
		if seq < f.seq {
			return
		}
	case v <= f.v:
		return
	}
	*f = callFact{v: v, rank: rank, seq: seq}
}

type digitKey struct {
	seq   uint64
	digit string
}

// Apply merges an event and reports whether it concerned this call: a
// channel event whose Unique-ID is the call's uuid, or the BACKGROUND_JOB
// with the call's Job-UUID. Without a Job-UUID, the job is recognised by its
// "+OK <uuid>" body or by origination_uuid=<uuid> in its Job-Command-Arg,
// so a failed originate is matched too.
func (c *Call) Apply(e Event) bool {
	if e.Kind != KindSwitch {
		return false
	}
	if e.Name == "BACKGROUND_JOB" {
		return c.applyJob(e)
	}
	if e.UniqueID == "" || e.UniqueID != c.uuid {
		return false
	}
	rank := rankOther
	switch e.Name {
	case "CHANNEL_HANGUP_COMPLETE":
		rank = rankComplete
	case "CHANNEL_HANGUP":
		rank = rankHangup
	case "CHANNEL_CREATE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER",
		"CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_UUID":
		rank = rankChannel
	}
	seq := e.Seq
	c.seen = true
	c.name.offer(e.Header("Channel-Name"), rank, seq)
	c.direction.offer(e.Header("Call-Direction"), rank, seq)
	c.createdAt.offer(positive(e.Header("Caller-Channel-Created-Time")), rank, seq)
	if t := positive(e.Header("Caller-Channel-Progress-Time")); t != "" {
		c.ringing = true
	}
	if t := positive(e.Header("Caller-Channel-Progress-Media-Time")); t != "" {
		c.earlyMedia = true
	}
	if t := answerTime(e); t != "" {
		c.answered = true
		c.answeredAt.offer(t, rank, seq)
	}
	if e.Header("Answer-State") == "answered" {
		c.answered = true
	}
	if t := positive(e.Header("Caller-Channel-Bridged-Time")); t != "" {
		c.bridged = true
	}
	c.hangupAt.offer(positive(e.Header("Caller-Channel-Hangup-Time")), rank, seq)
	c.cause.offer(e.Header("Hangup-Cause"), rank, seq)

	switch e.Name {
	case "CHANNEL_CREATE":
		c.created = true
	case "CHANNEL_PROGRESS":
		c.ringing = true
	case "CHANNEL_PROGRESS_MEDIA":
		c.earlyMedia = true
	case "CHANNEL_ANSWER":
		c.answered = true
	case "CHANNEL_BRIDGE":
		c.bridged = true
		c.bridgedTo.offer(c.otherLeg(e), rank, seq)
	case "CHANNEL_UNBRIDGE":
		c.unbridged = true
		c.bridgedTo.offer(c.otherLeg(e), rank, seq)
	case "CHANNEL_HANGUP":
		c.hungUp = true
	case "CHANNEL_HANGUP_COMPLETE":
		c.hungUp, c.complete = true, true
		c.cause.offer(e.Var("hangup_cause"), rank, seq)
		c.q850.offer(e.Var("hangup_cause_q850"), rank, seq)
		c.sipStatus.offer(e.Var("sip_term_status"), rank, seq)
		c.disposition.offer(e.Var("sip_hangup_disposition"), rank, seq)
		c.billsec.offer(e.Var("billsec"), rank, seq)
		c.duration.offer(e.Var("duration"), rank, seq)
		c.bridgedTo.offer(e.Var("last_bridge_to"), rank, seq)
	case "DTMF":
		if d := e.Header("DTMF-Digit"); d != "" {
			c.digits[digitKey{seq, d}] = struct{}{}
		}
	}
	e.vars(func(name, value string) {
		if !c.keepVar(name) {
			return
		}
		f := c.vars[name]
		f.offer(value, rank, seq)
		if f.v != "" {
			c.vars[name] = f
		}
	})
	return true
}

func (c *Call) applyJob(e Event) bool {
	if c.jobUUID != "" {
		if e.JobUUID != c.jobUUID {
			return false
		}
	} else if ok, uuid, _ := parseJobBody(e.Body); !(ok && uuid == c.uuid) && !c.originatedBy(e) {
		return false
	}
	c.job.offer(e.Body, rankJob, e.Seq)
	if ok, _, cause := parseJobBody(e.Body); !ok {
		c.cause.offer(cause, rankJob, e.Seq)
	}
	return true
}

// originatedBy reports whether a BACKGROUND_JOB is the originate that sets
// origination_uuid to the call's uuid.
func (c *Call) originatedBy(e Event) bool {
	if e.Header("Job-Command") != "originate" {
		return false
	}
	arg := e.Header("Job-Command-Arg")
	key := "origination_uuid=" + c.uuid
	for i := strings.Index(arg, key); i >= 0; {
		end := i + len(key)
		before := i == 0 || strings.IndexByte("{[<,:^ ", arg[i-1]) >= 0
		after := end == len(arg) || strings.IndexByte("}]>,:\\ ", arg[end]) >= 0
		if before && after {
			return true
		}
		next := strings.Index(arg[end:], key)
		if next < 0 {
			break
		}
		i = end + next
	}
	return false
}

func (c *Call) otherLeg(e Event) string {
	for _, h := range []string{"Other-Leg-Unique-ID", "Bridge-B-Unique-ID", "Bridge-A-Unique-ID"} {
		if v := e.Header(h); v != "" && v != c.uuid {
			return v
		}
	}
	return ""
}

func (c *Call) keepVar(name string) bool {
	for _, p := range c.prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// Final reports that the call's outcome is known (see CallRecord.Final).
// It never turns back to false as events are applied, in any order.
func (c *Call) Final() bool {
	if c.complete {
		return true
	}
	jobDone, jobOK := c.jobState()
	return jobDone && !jobOK && !c.jobTaken()
}

func (c *Call) jobState() (done, ok bool) {
	if c.job.v == "" {
		return false, false
	}
	ok, _, _ = parseJobBody(c.job.v)
	return true, ok
}

// jobTaken reports a job that failed because its channel was taken from
// the originate (FreeSWITCH answers "-ERR ORIGINATOR_CANCEL" when
// uuid_bridge reaches an answered channel before the originate returned):
// the job says nothing of how the call ends.
func (c *Call) jobTaken() bool {
	ok, _, cause := parseJobBody(c.job.v)
	return !ok && cause == jobTakenCause
}

// jobTakenCause is the cause of an originate whose channel was taken.
const jobTakenCause = "ORIGINATOR_CANCEL"

// Record returns the merged state.
func (c *Call) Record() CallRecord {
	jobDone, jobOK := c.jobState()
	r := CallRecord{
		UUID:              c.uuid,
		JobUUID:           c.jobUUID,
		ChannelName:       c.name.v,
		Direction:         c.direction.v,
		Seen:              c.seen,
		Created:           c.created,
		Ringing:           c.ringing,
		EarlyMedia:        c.earlyMedia,
		Answered:          c.answered,
		Bridged:           c.bridged,
		BridgedTo:         c.bridgedTo.v,
		Unbridged:         c.unbridged,
		HungUp:            c.hungUp,
		Complete:          c.complete,
		JobDone:           jobDone,
		JobOK:             jobOK,
		Final:             c.Final(),
		CreatedAt:         microTime(c.createdAt.v),
		AnsweredAt:        microTime(c.answeredAt.v),
		HangupAt:          microTime(c.hangupAt.v),
		Billsec:           atoi(c.billsec.v),
		Duration:          atoi(c.duration.v),
		Cause:             c.cause.v,
		Q850:              atoi(c.q850.v),
		SIPTermStatus:     c.sipStatus.v,
		HangupDisposition: c.disposition.v,
		Vars:              make(map[string]string, len(c.vars)),
	}
	keys := slices.SortedFunc(maps.Keys(c.digits), func(a, b digitKey) int {
		if a.seq != b.seq {
			if a.seq < b.seq {
				return -1
			}
			return 1
		}
		return strings.Compare(a.digit, b.digit)
	})
	var digits strings.Builder
	for _, k := range keys {
		digits.WriteString(k.digit)
	}
	r.Digits = digits.String()
	for k, f := range c.vars {
		r.Vars[k] = f.v
	}
	return r
}

// answerTime returns the answer time in microseconds from whichever header
// the event carries, or "".
func answerTime(e Event) string {
	if t := positive(e.Header("Caller-Channel-Answered-Time")); t != "" {
		return t
	}
	if t := positive(e.Var("answer_uepoch")); t != "" {
		return t
	}
	if t := positive(e.Var("answer_epoch")); t != "" {
		return t + "000000"
	}
	return ""
}

// positive returns s if it is a positive integer, else "".
func positive(s string) string {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return s
	}
	return ""
}

func microTime(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.UnixMicro(n)
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
