package engine

import (
	"context"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/cause"
)

// Answering-machine detection (campaign amd:). At the customer's answer
// the call waits for a verdict instead of going on: mod_avmd's beep
// (engine avmd, reported as an Update with Machine set) or, at the
// timeout, the external detector's variable (engine variable). A machine
// is hung up, or hears the campaign's message and is hung up, and its
// attempt ends MACHINE. A person, or an undecided verdict, goes on: an
// IVR call, which was originated to park, is transferred to the IVR; an
// agent-mode customer goes to customerAnswered with its answer time, so
// its hold deadline (abandon.after, agents.hold_time) still runs from the
// answer and the detection's time counts against it.

// detection is one call's detection in progress.
type detection struct {
	answeredAt time.Time
	deadline   time.Time
	// avmd: mod_avmd was started on the channel (and must be stopped
	// when a person goes on).
	avmd bool
	done bool
}

// amdWork is the engine's detections: the calls being listened to and
// the verdicts that came from the switch since the last flush.
type amdWork struct {
	open     map[string]*call
	verdicts []Update
}

// amdOf is the detection settings of a call's campaign, if it has any.
func (e *Engine) amdOf(cl *call) (dialer.AMDSpec, bool) {
	cs := e.campaigns[cl.campaignID]
	if cs == nil || !cs.run.Campaign.AMD.Enabled() {
		return dialer.AMDSpec{}, false
	}
	return cs.run.Campaign.AMD, true
}

// amdOriginate sends an IVR call with detection to park: the engine
// transfers it to the IVR once a person is heard.
func amdOriginate(c *dialer.Campaign, req *OriginateRequest) {
	if c.Mode != dialer.ModeIVR || !c.AMD.Enabled() {
		return
	}
	req.Extension, req.Dialplan, req.Context = "", "", ""
	req.App, req.AppArgs = "park", ""
}

// amdVerdict takes a verdict update from the switch (handle's part: the
// work waits for the flush). It reports whether u was one.
func (e *Engine) amdVerdict(u Update) bool {
	if u.Machine == "" || u.Final {
		return false
	}
	e.amd.verdicts = append(e.amd.verdicts, u)
	return true
}

// detect starts detection on a customer who answered, if its campaign
// has any, and reports whether it did: the caller then leaves the call
// waiting for the verdict.
func (e *Engine) detect(ctx context.Context, cl *call, answeredAt, now time.Time) bool {
	spec, ok := e.amdOf(cl)
	if !ok || cl.det != nil {
		return false
	}
	cl.det = &detection{answeredAt: answeredAt, deadline: answeredAt.Add(spec.Timeout.D())}
	if e.amd.open == nil {
		e.amd.open = map[string]*call{}
	}
	e.amd.open[cl.uuid] = cl
	if spec.Engine == dialer.AMDAvmd {
		if err := e.sw.StartAMD(ctx, cl.uuid); err != nil {
			e.log.Warn("start answering-machine detection: the call goes on", "attempt_id", cl.attemptID,
				"call_uuid", cl.uuid, "err", err)
			e.decided(ctx, cl, dialer.AMDUnknown, now)
			return true
		}
		cl.det.avmd = true
	}
	return true
}

// amdSteps runs in the flush: it starts detection on the IVR calls that
// answered, and applies the verdicts that came.
func (e *Engine) amdSteps(ctx context.Context) {
	now := e.cfg.Now()
	for _, cl := range e.answers {
		if cl.mode == "" {
			e.detect(ctx, cl, cl.answeredAt, now)
		}
	}
	for _, u := range e.amd.verdicts {
		if cl := e.amd.open[u.UUID]; cl != nil {
			e.decided(ctx, cl, u.Machine, now)
		}
	}
	e.amd.verdicts = e.amd.verdicts[:0]
}

// amdTimers decides the detections whose time is up: with avmd no beep
// means a person; the variable engine reads its variable now.
func (e *Engine) amdTimers(ctx context.Context, now time.Time) {
	for uuid, cl := range e.amd.open {
		if cl.ended || e.calls[uuid] != cl {
			delete(e.amd.open, uuid)
			continue
		}
		if now.Before(cl.det.deadline) {
			continue
		}
		spec, _ := e.amdOf(cl)
		verdict := dialer.AMDHuman
		if spec.Engine == dialer.AMDVariable {
			v, err := e.sw.GetVar(ctx, uuid, spec.Variable)
			if err != nil {
				e.log.Warn("read the answering-machine verdict", "attempt_id", cl.attemptID, "call_uuid", uuid,
					"variable", spec.Variable, "err", err)
			}
			verdict = spec.Verdict(v)
		}
		e.decided(ctx, cl, verdict, now)
	}
}

// decided acts on a call's verdict: a machine is hung up (after the
// message, with on_machine message); anyone else goes on.
func (e *Engine) decided(ctx context.Context, cl *call, verdict string, now time.Time) {
	det := cl.det
	delete(e.amd.open, cl.uuid)
	if det == nil || det.done || cl.ended {
		return
	}
	det.done = true
	took := now.Sub(det.answeredAt)
	if err := e.store.MarkAMD(ctx, cl.attemptID, verdict, took); err != nil {
		e.log.Error("record the answering-machine verdict", "attempt_id", cl.attemptID, "err", err)
	}
	spec, _ := e.amdOf(cl)
	e.log.Info("answering-machine detection", "attempt_id", cl.attemptID, "call_uuid", cl.uuid,
		"verdict", verdict, "after", took)
	if verdict == dialer.AMDMachine {
		cl.endCause = cause.Machine
		if spec.OnMachine == dialer.OnMachineMessage && spec.Message != "" {
			err := e.sw.Abandon(ctx, cl.uuid, spec.Message)
			if err == nil {
				return
			}
			e.log.Warn("message to an answering machine", "attempt_id", cl.attemptID, "call_uuid", cl.uuid, "err", err)
		}
		e.kill(ctx, cl.uuid)
		return
	}
	if det.avmd {
		if err := e.sw.StopAMD(ctx, cl.uuid); err != nil {
			e.log.Debug("stop answering-machine detection", "call_uuid", cl.uuid, "err", err)
		}
	}
	if cl.mode != "" {
		e.customerAnswered(ctx, cl, det.answeredAt, now)
		return
	}
	cs := e.campaigns[cl.campaignID]
	if cs == nil {
		e.kill(ctx, cl.uuid)
		return
	}
	ivr := cs.run.Campaign.IVR
	if err := e.sw.Transfer(ctx, cl.uuid, ivr.Extension, ivr.Dialplan, ivr.Context); err != nil {
		e.log.Warn("transfer to the IVR after detection: hanging up", "attempt_id", cl.attemptID,
			"call_uuid", cl.uuid, "err", err)
		e.kill(ctx, cl.uuid)
	}
}

// amdAdopted goes on with an answered IVR call a new engine found open
// (the last one stopped during its detection): if it still waits in park
// for a verdict nobody will give, it is taken as unknown (a verdict
// already recorded is kept) and transferred to the IVR, instead of
// staying parked until the callee hangs up.
func (e *Engine) amdAdopted(ctx context.Context, cl *call, now time.Time) {
	if _, ok := e.amdOf(cl); !ok || cl.det != nil {
		return
	}
	// park, or avmd_start, which the call ran last when avmd was started
	// on it in park.
	app, err := e.sw.GetVar(ctx, cl.uuid, "current_application")
	if err != nil || (app != "park" && app != "avmd_start") {
		return
	}
	e.log.Info("found an answered call still waiting for its answering-machine verdict: it goes on",
		"attempt_id", cl.attemptID, "call_uuid", cl.uuid)
	cl.det = &detection{answeredAt: cl.answeredAt, deadline: now, avmd: true}
	e.decided(ctx, cl, dialer.AMDUnknown, now)
}
