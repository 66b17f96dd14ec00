package esl_test

import (
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl"
)

const (
	callUUID = "c593dd26-5164-49db-91b2-79ff99b94b7b"
	peerUUID = "85116451-79f4-4e6a-95d7-f030f46ee0ae"
	jobUUID  = "a9a650d3-4b2f-4ec3-9cd0-10cc61001390"
	t0       = int64(1795288748647802) // µs, as in the answer2 capture
)

// flowBuilder makes events shaped like FreeSWITCH's for one a-leg.
type flowBuilder struct {
	seq     uint64
	answer  int64 // µs, 0 while unanswered
	prog    int64
	media   int64
	bridged int64
	hangup  int64
	vars    map[string]string
}

func newFlow() *flowBuilder {
	return &flowBuilder{seq: 439550, vars: map[string]string{
		"dialer_campaign_id": "42",
		"dialer_attempt_id":  "7",
		"origination_uuid":   callUUID,
	}}
}

func (f *flowBuilder) channel(name string, extra map[string]string) esl.Event {
	f.seq++
	answerState := "ringing"
	if f.answer > 0 {
		answerState = "answered"
	}
	h := map[string]string{
		"Event-Name":                         name,
		"Event-Sequence":                     strconv.FormatUint(f.seq, 10),
		"Unique-ID":                          callUUID,
		"Channel-Name":                       "loopback/15551230-a",
		"Call-Direction":                     "outbound",
		"Answer-State":                       answerState,
		"Caller-Channel-Created-Time":        strconv.FormatInt(t0, 10),
		"Caller-Channel-Answered-Time":       strconv.FormatInt(f.answer, 10),
		"Caller-Channel-Progress-Time":       strconv.FormatInt(f.prog, 10),
		"Caller-Channel-Progress-Media-Time": strconv.FormatInt(f.media, 10),
		"Caller-Channel-Bridged-Time":        strconv.FormatInt(f.bridged, 10),
		"Caller-Channel-Hangup-Time":         strconv.FormatInt(f.hangup, 10),
	}
	if name != "DTMF" {
		for k, v := range f.vars {
			h["variable_"+k] = v
		}
	}
	for k, v := range extra {
		h[k] = v
	}
	return esl.NewEvent(h, "")
}

func (f *flowBuilder) job(body string) esl.Event {
	f.seq++
	return esl.NewEvent(map[string]string{
		"Event-Name":      "BACKGROUND_JOB",
		"Event-Sequence":  strconv.FormatUint(f.seq, 10),
		"Job-UUID":        jobUUID,
		"Job-Command":     "originate",
		"Job-Command-Arg": "{origination_uuid=" + callUUID + "}loopback/15551230/dialer_lab &park()",
	}, body)
}

func (f *flowBuilder) complete(cause, q850 string, billsec int) esl.Event {
	vars := map[string]string{
		"variable_hangup_cause":      cause,
		"variable_hangup_cause_q850": q850,
		"variable_billsec":           strconv.Itoa(billsec),
		"variable_duration":          strconv.Itoa(billsec + 1),
		"variable_sip_term_status":   "200",
		"Hangup-Cause":               cause,
	}
	if f.answer > 0 {
		vars["variable_answer_epoch"] = strconv.FormatInt(f.answer/1e6, 10)
		vars["variable_answer_uepoch"] = strconv.FormatInt(f.answer, 10)
	} else {
		vars["variable_answer_epoch"] = "0"
		vars["variable_sip_term_status"] = "486"
	}
	return f.channel("CHANNEL_HANGUP_COMPLETE", vars)
}

// answeredFlow: create, ring, answer, bridge, hangup, hangup complete, job.
func answeredFlow() []esl.Event {
	f := newFlow()
	var evs []esl.Event
	evs = append(evs, f.channel("CHANNEL_CREATE", nil))
	f.prog = t0 + 20000
	evs = append(evs, f.channel("CHANNEL_PROGRESS", nil))
	f.answer = t0 + 1020000
	evs = append(evs, f.channel("CHANNEL_ANSWER", nil))
	evs = append(evs, f.job("+OK "+callUUID+"\n"))
	f.bridged = t0 + 1500000
	evs = append(evs, f.channel("CHANNEL_BRIDGE", map[string]string{
		"Bridge-A-Unique-ID": callUUID, "Bridge-B-Unique-ID": peerUUID, "Other-Leg-Unique-ID": peerUUID,
	}))
	f.hangup = t0 + 3000000
	f.vars["dialer_result"] = "sale"
	evs = append(evs, f.channel("CHANNEL_HANGUP", map[string]string{"Hangup-Cause": "NORMAL_CLEARING"}))
	evs = append(evs, f.complete("NORMAL_CLEARING", "16", 2))
	return evs
}

func busyFlow() []esl.Event {
	f := newFlow()
	var evs []esl.Event
	evs = append(evs, f.channel("CHANNEL_CREATE", nil))
	f.prog = t0 + 20000
	evs = append(evs, f.channel("CHANNEL_PROGRESS", nil))
	f.hangup = t0 + 1000000
	evs = append(evs, f.channel("CHANNEL_HANGUP", map[string]string{"Hangup-Cause": "USER_BUSY"}))
	evs = append(evs, f.complete("USER_BUSY", "17", 0))
	evs = append(evs, f.job("-ERR USER_BUSY\n"))
	return evs
}

func earlyMediaFlow() []esl.Event {
	f := newFlow()
	var evs []esl.Event
	evs = append(evs, f.channel("CHANNEL_CREATE", nil))
	f.media = t0 + 30000
	evs = append(evs, f.channel("CHANNEL_PROGRESS_MEDIA", nil))
	f.answer = t0 + 2000000
	evs = append(evs, f.channel("CHANNEL_ANSWER", nil))
	f.hangup = t0 + 9000000
	evs = append(evs, f.channel("CHANNEL_HANGUP", map[string]string{"Hangup-Cause": "NORMAL_CLEARING"}))
	evs = append(evs, f.complete("NORMAL_CLEARING", "16", 7))
	return evs
}

func dtmfFlow() []esl.Event {
	f := newFlow()
	var evs []esl.Event
	evs = append(evs, f.channel("CHANNEL_CREATE", nil))
	f.answer = t0 + 1000000
	evs = append(evs, f.channel("CHANNEL_ANSWER", nil))
	for _, d := range []string{"4", "#", "4"} {
		evs = append(evs, f.channel("DTMF", map[string]string{"DTMF-Digit": d, "DTMF-Duration": "2000"}))
	}
	f.hangup = t0 + 5000000
	evs = append(evs, f.complete("NORMAL_CLEARING", "16", 4))
	return evs
}

// bridgedBeforeReturnFlow is FreeSWITCH's order when uuid_bridge takes an
// answered channel before its originate returned: the job fails with
// ORIGINATOR_CANCEL after the bridge's +OK, and the channel talks on,
// bridged, until its own hangup.
func bridgedBeforeReturnFlow() []esl.Event {
	f := newFlow()
	var evs []esl.Event
	evs = append(evs, f.channel("CHANNEL_CREATE", nil))
	f.answer = t0 + 1020000
	evs = append(evs, f.channel("CHANNEL_ANSWER", nil))
	evs = append(evs, f.job("-ERR ORIGINATOR_CANCEL\n"))
	f.bridged = t0 + 1080000
	evs = append(evs, f.channel("CHANNEL_BRIDGE", map[string]string{
		"Bridge-A-Unique-ID": callUUID, "Bridge-B-Unique-ID": peerUUID, "Other-Leg-Unique-ID": peerUUID,
	}))
	f.hangup = t0 + 5020000
	evs = append(evs, f.channel("CHANNEL_HANGUP", map[string]string{"Hangup-Cause": "NORMAL_CLEARING"}))
	evs = append(evs, f.complete("NORMAL_CLEARING", "16", 4))
	return evs
}

// A failed job without any channel event: final on its own.
func failedJobFlow() []esl.Event {
	f := newFlow()
	return []esl.Event{f.job("-ERR GATEWAY_DOWN\n")}
}

// Events of other channels and jobs, which Apply must ignore.
func otherEvents() []esl.Event {
	return []esl.Event{
		esl.NewEvent(map[string]string{"Event-Name": "CHANNEL_ANSWER", "Unique-ID": peerUUID, "Event-Sequence": "1"}, ""),
		esl.NewEvent(map[string]string{"Event-Name": "BACKGROUND_JOB", "Job-UUID": "other-job", "Event-Sequence": "2"}, "-ERR NO_ANSWER\n"),
		esl.NewEvent(map[string]string{"Event-Name": "HEARTBEAT", "Event-Sequence": "3"}, ""),
	}
}

func merge(evs []esl.Event) *esl.Call {
	c := esl.NewCall(callUUID, jobUUID)
	for _, e := range evs {
		c.Apply(e)
	}
	return c
}

// forEachOrder calls fn with every permutation of evs when there are at most
// 7 events (5,040 orders), else with n random shuffles.
func forEachOrder(evs []esl.Event, n int, rng *rand.Rand, fn func([]esl.Event)) {
	if len(evs) > 7 {
		order := append([]esl.Event(nil), evs...)
		for range n {
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			fn(order)
		}
		return
	}
	var permute func(k int)
	a := append([]esl.Event(nil), evs...)
	permute = func(k int) {
		if k == len(a) {
			fn(a)
			return
		}
		for i := k; i < len(a); i++ {
			a[k], a[i] = a[i], a[k]
			permute(k + 1)
			a[k], a[i] = a[i], a[k]
		}
	}
	permute(0)
}

func TestCall_OrderIndependent(t *testing.T) {
	tests := []struct {
		name  string
		flow  []esl.Event
		check func(t *testing.T, r esl.CallRecord)
	}{
		{"answered and bridged", answeredFlow(), func(t *testing.T, r esl.CallRecord) {
			want := esl.CallRecord{
				UUID: callUUID, JobUUID: jobUUID, ChannelName: "loopback/15551230-a", Direction: "outbound",
				Seen: true, Created: true, Ringing: true, Answered: true, Bridged: true, BridgedTo: peerUUID,
				HungUp: true, Complete: true, JobDone: true, JobOK: true, Final: true,
				CreatedAt: time.UnixMicro(t0), AnsweredAt: time.UnixMicro(t0 + 1020000), HangupAt: time.UnixMicro(t0 + 3000000),
				Billsec: 2, Duration: 3, Cause: "NORMAL_CLEARING", Q850: 16, SIPTermStatus: "200",
				Vars: map[string]string{"dialer_campaign_id": "42", "dialer_attempt_id": "7", "dialer_result": "sale"},
			}
			if !reflect.DeepEqual(r, want) {
				t.Errorf("record:\n got %+v\nwant %+v", r, want)
			}
		}},
		{"busy", busyFlow(), func(t *testing.T, r esl.CallRecord) {
			if r.Answered || !r.Final || !r.Complete || r.JobOK || r.Cause != "USER_BUSY" || r.Q850 != 17 || r.SIPTermStatus != "486" || !r.Ringing {
				t.Errorf("record: %+v", r)
			}
		}},
		{"early media then answer", earlyMediaFlow(), func(t *testing.T, r esl.CallRecord) {
			if !r.EarlyMedia || !r.Answered || r.Ringing || r.Billsec != 7 || r.JobDone || !r.Final {
				t.Errorf("record: %+v", r)
			}
		}},
		{"dtmf digits in sequence order", dtmfFlow(), func(t *testing.T, r esl.CallRecord) {
			if r.Digits != "4#4" || !r.Answered || r.Billsec != 4 {
				t.Errorf("record: %+v", r)
			}
		}},
		{"bridged before the originate returned", bridgedBeforeReturnFlow(), func(t *testing.T, r esl.CallRecord) {
			if !r.Final || !r.Complete || !r.Answered || !r.Bridged || r.BridgedTo != peerUUID || !r.JobDone || r.JobOK ||
				r.Cause != "NORMAL_CLEARING" || r.Billsec != 4 {
				t.Errorf("record: %+v", r)
			}
		}},
		{"failed job without channel", failedJobFlow(), func(t *testing.T, r esl.CallRecord) {
			if !r.Final || r.Seen || r.Complete || r.Cause != "GATEWAY_DOWN" || r.JobOK || !r.JobDone {
				t.Errorf("record: %+v", r)
			}
		}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := merge(tt.flow).Record()
			tt.check(t, want)
			orders := 0
			check := func(order []esl.Event) {
				orders++
				c := esl.NewCall(callUUID, jobUUID)
				final := false
				for _, e := range order {
					c.Apply(e)
					if final && !c.Final() {
						t.Fatalf("Final went back to false after %s", e.Name)
					}
					final = c.Final()
				}
				if got := c.Record(); !reflect.DeepEqual(got, want) {
					t.Fatalf("order %d: record differs:\n got %+v\nwant %+v", orders, got, want)
				}
			}
			// Every order of the flow itself, then random orders with
			// unrelated events mixed in.
			forEachOrder(tt.flow, 3000, rng, check)
			mixed := append(append([]esl.Event(nil), tt.flow...), otherEvents()...)
			forEachOrder(mixed, 2000, rng, check)
			t.Logf("%d events, %d orders, same record", len(tt.flow), orders)
		})
	}
}

// TestCall_JobNeverEndsATakenChannel: in FreeSWITCH's own order, the
// ORIGINATOR_CANCEL job of a channel uuid_bridge took leaves the call live;
// only the channel's HANGUP_COMPLETE ends it.
func TestCall_JobNeverEndsATakenChannel(t *testing.T) {
	c := esl.NewCall(callUUID, jobUUID)
	for _, e := range bridgedBeforeReturnFlow() {
		c.Apply(e)
		r := c.Record()
		if e.Name == "CHANNEL_HANGUP_COMPLETE" {
			if !r.Final || r.Cause != "NORMAL_CLEARING" || !r.Answered || r.Billsec != 4 {
				t.Fatalf("after the hangup: %+v", r)
			}
			return
		}
		if r.Final {
			t.Fatalf("final after %s (cause %s): the job's result ended a live, answered call", e.Name, r.Cause)
		}
	}
	t.Fatal("no CHANNEL_HANGUP_COMPLETE in the flow")
}

func TestCall_Apply(t *testing.T) {
	f := newFlow()
	tests := []struct {
		name string
		call *esl.Call
		ev   esl.Event
		want bool
	}{
		{"own channel event", esl.NewCall(callUUID, jobUUID), f.channel("CHANNEL_CREATE", nil), true},
		{"other channel", esl.NewCall(peerUUID, ""), f.channel("CHANNEL_CREATE", nil), false},
		{"own job by Job-UUID", esl.NewCall(callUUID, jobUUID), f.job("-ERR USER_BUSY\n"), true},
		{"job by body when Job-UUID unknown", esl.NewCall(callUUID, ""), f.job("+OK " + callUUID + "\n"), true},
		{"failed job by origination_uuid when Job-UUID unknown", esl.NewCall(callUUID, ""), f.job("-ERR USER_BUSY\n"), true},
		{"origination_uuid of another call", esl.NewCall(callUUID[:30], ""), f.job("-ERR USER_BUSY\n"), false},
		{"failed job of another command", esl.NewCall(callUUID, ""), esl.NewEvent(map[string]string{
			"Event-Name": "BACKGROUND_JOB", "Job-UUID": "j2", "Job-Command": "uuid_kill", "Job-Command-Arg": callUUID,
		}, "-ERR No such channel!\n"), false},
		{"connection marker", esl.NewCall(callUUID, jobUUID), esl.Event{Kind: esl.KindConnected}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.call.Apply(tt.ev); got != tt.want {
				t.Errorf("Apply = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCall_VarPrefixes(t *testing.T) {
	evs := answeredFlow()
	tests := []struct {
		name     string
		prefixes []string
		want     []string
	}{
		{"default dialer_", nil, []string{"dialer_attempt_id", "dialer_campaign_id", "dialer_result"}},
		{"origination_", []string{"origination_"}, []string{"origination_uuid"}},
		{"empty prefix keeps all", []string{""}, []string{"answer_epoch", "answer_uepoch", "billsec", "dialer_attempt_id", "dialer_campaign_id",
			"dialer_result", "duration", "hangup_cause", "hangup_cause_q850", "origination_uuid", "sip_term_status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := esl.NewCall(callUUID, jobUUID, tt.prefixes...)
			for _, e := range evs {
				c.Apply(e)
			}
			got := c.Record().Vars
			if len(got) != len(tt.want) {
				t.Fatalf("vars %v, want names %v", got, tt.want)
			}
			for _, k := range tt.want {
				if _, ok := got[k]; !ok {
					t.Errorf("missing %s in %v", k, got)
				}
			}
		})
	}
}
