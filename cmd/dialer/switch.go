package main

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/fsdialer/dialer/dialer/engine"
	"github.com/fsdialer/dialer/esl"
)

// eslSwitch is the engine's Switch over the ESL client: it renders
// originates through the safe builder, merges each followed call's events
// (in any order) with esl.Call, and hands the engine one update when a
// call is answered and one when it is over.
type eslSwitch struct {
	c       *esl.Client
	log     *slog.Logger
	updates chan engine.Update

	mu    sync.Mutex
	calls map[string]*watched
	up    bool
}

// switchEvents are the only events the adapter reads: a followed
// channel's answer, which the agent modes act on at once, and its final
// record, which carries everything an attempt's end needs (cause,
// billsec, answer time, the IVR's result variable). The client adds
// BACKGROUND_JOB, whose -ERR is a failed originate's only outcome, and
// HEARTBEAT, its watchdog. Ringing, early media, bridges, DTMF and the
// other legs' events are never read, so they are not sent.
var switchEvents = []string{"CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE"}

// switchFilters keep, on FreeSWITCH's side, only the dialer's own legs:
// every originate sets dialer_campaign_id (campaign calls and agent legs),
// dialer_agent_id (agent legs, among them persistent sessions, which
// belong to no campaign) or dialer_manual_call (manual calls). A loopback
// b-leg carries a copy of those variables (mod_loopback copies the
// originate's variables to it), but it is the only inbound one: the dialer
// follows originated legs only, and those are outbound. The negative filter drops an event
// whatever filter let it through.
var switchFilters = []esl.Filter{
	{Header: "variable_dialer_campaign_id", Value: "/^[0-9]+$/"},
	{Header: "variable_dialer_agent_id", Value: "/^[0-9]+$/"},
	{Header: "variable_dialer_manual_call", Value: "/^[0-9]+$/"},
	{Header: "Call-Direction", Value: "-inbound"},
}

type watched struct {
	call     *esl.Call
	answered bool
	// jobCause is the cause of a failed originate job (no channel needed).
	jobCause string
	// awaitJob: the call's originate was sent on the current connection,
	// so its answer is passed on only once the originate's job returned
	// too. Until then FreeSWITCH's originate still owns the channel, and
	// a uuid_bridge in that moment races it: the job fails with
	// ORIGINATOR_CANCEL and FreeSWITCH sometimes tears the bridge down
	// and hangs up the other leg.
	awaitJob bool
}

func newESLSwitch(c *esl.Client, log *slog.Logger) *eslSwitch {
	return &eslSwitch{c: c, log: log.With("component", "switch"), updates: make(chan engine.Update, 65536),
		calls: map[string]*watched{}}
}

// Run routes events to followed calls until ctx ends.
func (s *eslSwitch) Run(ctx context.Context) error {
	for {
		ev, err := s.c.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		switch ev.Kind {
		case esl.KindConnected:
			s.setUp(true)
			s.send(ctx, engine.Update{Kind: engine.Reconnected})
		case esl.KindDisconnected:
			s.setUp(false)
			s.send(ctx, engine.Update{Kind: engine.Disconnected})
		case esl.KindSwitch:
			if u, ok := s.route(ev); ok {
				s.send(ctx, u)
			}
		}
	}
}

func (s *eslSwitch) send(ctx context.Context, u engine.Update) {
	select {
	case s.updates <- u:
	case <-ctx.Done():
	}
}

func (s *eslSwitch) setUp(up bool) {
	s.mu.Lock()
	s.up = up
	if up {
		// A job that came while the connection was down is lost: answers
		// of calls placed before it no longer wait for their jobs.
		for _, w := range s.calls {
			w.awaitJob = false
		}
	}
	s.mu.Unlock()
}

var originationUUIDRe = regexp.MustCompile(`origination_uuid=([A-Za-z0-9._-]+)`)

// route applies an event to its call and returns an update when the call
// was answered or ended.
func (s *eslSwitch) route(ev esl.Event) (engine.Update, bool) {
	uuid := ev.UniqueID
	if ev.Name == "BACKGROUND_JOB" {
		m := originationUUIDRe.FindStringSubmatch(ev.Header("Job-Command-Arg"))
		if m == nil {
			return engine.Update{}, false
		}
		uuid = m[1]
	}
	if uuid == "" {
		return engine.Update{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.calls[uuid]
	if w == nil {
		return engine.Update{}, false
	}
	if ev.Name == "BACKGROUND_JOB" {
		w.jobCause = jobCause(ev.Body)
	}
	if a, ok := esl.DecodeAVMD(ev); ok {
		return avmdUpdate(a)
	}
	if !w.call.Apply(ev) {
		return engine.Update{}, false
	}
	// The channel's own events decide: a failed job ends the call only
	// when it says the call never got up (see esl.CallRecord.Final).
	rec := w.call.Record()
	if rec.Final {
		delete(s.calls, uuid)
		u := engine.Update{Kind: engine.CallChanged, UUID: uuid, Final: true, Answered: rec.Answered, AnsweredAt: rec.AnsweredAt,
			Cause: rec.Cause, Q850: rec.Q850, SIPStatus: rec.SIPTermStatus, Billsec: time.Duration(rec.Billsec) * time.Second,
			HangupAt: rec.HangupAt, Vars: rec.Vars}
		if !rec.Complete {
			u.Cause, u.Answered, u.AnsweredAt, u.Billsec = w.jobCause, false, time.Time{}, 0
		}
		return u, true
	}
	if rec.Answered && !w.answered && (!w.awaitJob || rec.JobDone) {
		w.answered = true
		return engine.Update{Kind: engine.CallChanged, UUID: uuid, Answered: true, AnsweredAt: rec.AnsweredAt}, true
	}
	return engine.Update{}, false
}

// jobCause is the cause a failed originate job gives ("" for +OK).
func jobCause(body string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(body), "\n")
	if strings.HasPrefix(line, "+OK") {
		return ""
	}
	cause := strings.TrimSpace(strings.TrimPrefix(line, "-ERR"))
	if !strings.HasPrefix(line, "-ERR") || cause == "" || strings.ContainsAny(cause, " \t") {
		cause = "ORIGINATE_FAILED"
	}
	return cause
}

// Originate follows the call, then sends it. Member variables whose
// values the builder cannot make safe are left off the call (and logged)
// rather than failing it.
func (s *eslSwitch) Originate(ctx context.Context, req engine.OriginateRequest) error {
	o := esl.Originate{
		DialTemplate: req.DialTemplate, TemplateVars: req.TemplateVars, Number: req.Number, UUID: req.UUID,
		CallerIDNumber: req.CallerIDNumber, CallerIDName: req.CallerIDName, RingTimeout: req.RingTimeout,
		IgnoreEarlyMedia: true, Vars: req.Vars,
		Dest: esl.Destination{App: req.App, AppArgs: req.AppArgs, Extension: req.Extension, Dialplan: req.Dialplan, Context: req.Context},
	}
	if req.Endpoint != "" {
		// An agent's phone: the endpoint has no placeholder, so the number
		// the builder insists on is never dialed.
		o.DialTemplate, o.TemplateVars, o.Number = req.Endpoint, nil, endpointNumber
	}
	s.Watch(req.UUID, req.WatchVars...)
	s.mu.Lock()
	s.calls[req.UUID].awaitJob = true
	s.mu.Unlock()
	_, err := s.c.Originate(ctx, o)
	if errors.Is(err, esl.ErrUnsafe) {
		// A member variable the builder cannot make safe: call without it.
		o.Vars = s.safeVars(o, req.UUID)
		_, err = s.c.Originate(ctx, o)
	}
	if err != nil {
		if errors.Is(err, esl.ErrUnsafe) || errors.Is(err, esl.ErrNotSent) {
			s.Forget(req.UUID)
			return errors.Join(engine.ErrNotSent, err)
		}
		return err
	}
	return nil
}

// endpointNumber satisfies the builder's number check for originates to a
// fixed endpoint (an agent's phone), whose dial string has no {number}.
const endpointNumber = "0"

// safeVars drops the member variables the builder refuses.
func (s *eslSwitch) safeVars(o esl.Originate, uuid string) map[string]string {
	out := map[string]string{}
	for k, v := range o.Vars {
		probe := o
		probe.Vars = map[string]string{k: v}
		if _, err := probe.Command(); err != nil && strings.HasPrefix(k, engine.MemberVarPrefix) {
			s.log.Warn("member variable left off the call: its value cannot be passed safely", "call_uuid", uuid, "variable", k)
			continue
		}
		out[k] = v
	}
	return out
}

// Watch follows a channel's events.
func (s *eslSwitch) Watch(uuid string, vars ...string) {
	prefixes := append([]string{"dialer_"}, vars...)
	s.mu.Lock()
	if s.calls[uuid] == nil {
		s.calls[uuid] = &watched{call: esl.NewCall(uuid, "", prefixes...)}
	}
	s.mu.Unlock()
}

// Forget stops following a channel.
func (s *eslSwitch) Forget(uuid string) {
	s.mu.Lock()
	delete(s.calls, uuid)
	s.mu.Unlock()
}

// Exists asks FreeSWITCH whether a channel exists.
func (s *eslSwitch) Exists(ctx context.Context, uuid string) (bool, error) {
	return s.c.Exists(ctx, uuid)
}

// Kill hangs up a channel.
func (s *eslSwitch) Kill(ctx context.Context, uuid, cause string) error {
	return s.c.Kill(ctx, uuid, cause)
}

// Bridge connects two answered channels.
// ringbackTone is the North American ringing cadence (2 s on, 4 s off).
const ringbackTone = "tone_stream://%(2000,4000,440,480);loops=-1"

// Ringback plays a ringing tone to a channel until it is bridged.
func (s *eslSwitch) Ringback(ctx context.Context, uuid string) error {
	return s.c.Broadcast(ctx, uuid, ringbackTone)
}

func (s *eslSwitch) Bridge(ctx context.Context, a, b string) error {
	return s.c.Bridge(ctx, a, b)
}

// Abandon plays media to a channel, then hangs it up: two broadcasts
// the channel runs in order, so the hangup comes when the message ends.
func (s *eslSwitch) Abandon(ctx context.Context, uuid, media string) error {
	if err := s.c.Broadcast(ctx, uuid, "playback::"+media); err != nil {
		return err
	}
	return s.c.Broadcast(ctx, uuid, "hangup::NORMAL_CLEARING")
}

// Connected reports whether the client is connected and subscribed.
func (s *eslSwitch) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.up
}

// Updates delivers call updates and connection markers.
func (s *eslSwitch) Updates() <-chan engine.Update { return s.updates }

// A switch of one node places every call on it: the engine's own limits
// are its capacity.
func (s *eslSwitch) Place(string, string) (string, error) { return "", nil }
func (s *eslSwitch) Unplace(string)                       {}
func (s *eslSwitch) NodeOf(string) string                 { return "" }
func (s *eslSwitch) Locate(string, string)                {}
