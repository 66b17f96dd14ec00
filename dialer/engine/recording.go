package engine

import (
	"context"
	"time"

	"github.com/fsdialer/dialer/dialer"
)

// startRecording starts the recording of a call whose campaign records
// from this point (dialer.RecordAnswer or RecordBridge) and keeps its path
// on the attempt. A recording that cannot start leaves the call as it is.
func (e *Engine) startRecording(ctx context.Context, cl *call, when string, now time.Time) {
	cs := e.campaigns[cl.campaignID]
	if cs == nil {
		return
	}
	c := cs.run.Campaign
	if c.Record.When != when {
		return
	}
	path, err := c.Record.RecordingPath(dialer.RecordingCall{Campaign: c.Name, MemberID: cl.memberID,
		AttemptID: cl.attemptID, UUID: cl.uuid, At: now})
	if err != nil {
		e.log.Warn("call not recorded", "attempt_id", cl.attemptID, "call_uuid", cl.uuid, "err", err)
		return
	}
	path, err = e.sw.Record(ctx, cl.uuid, path, c.Record.Stereo)
	if err != nil {
		e.log.Warn("call not recorded", "attempt_id", cl.attemptID, "call_uuid", cl.uuid, "err", err)
		return
	}
	if err := e.store.MarkRecording(ctx, cl.attemptID, path); err != nil {
		e.log.Error("record recording path", "attempt_id", cl.attemptID, "err", err)
	}
}

// captured picks the campaign's ivr.capture variables out of a call's
// final variables; a variable the call did not set is left out.
func captured(c *dialer.Campaign, vars map[string]string) map[string]string {
	if len(c.IVR.Capture) == 0 {
		return nil
	}
	out := make(map[string]string, len(c.IVR.Capture))
	for _, name := range c.IVR.Capture {
		if v, ok := vars[name]; ok {
			out[name] = v
		}
	}
	return out
}
