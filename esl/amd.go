package esl

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// AVMDSubclasses are the CUSTOM events of mod_avmd: a subscriber lists
// them in Config.CustomSubclasses. mod_avmd reserves exactly these three.
var AVMDSubclasses = []string{"avmd::start", "avmd::beep", "avmd::stop"}

// StartAVMD starts mod_avmd's beep detection on an answered channel: it
// runs the avmd_start application on it (uuid_broadcast <uuid>
// avmd_start:: aleg), which listens to what the channel reads and fires
// CUSTOM avmd::beep when a voicemail beep comes. The api avmd <uuid>
// start command is not used: on FreeSWITCH 1.10 it adds the media bug but
// starts no detector thread, so it never reports a beep.
func (c *Client) StartAVMD(ctx context.Context, uuid string) error {
	if err := checkIDs("uuid", uuid); err != nil {
		return fmt.Errorf("start avmd: %w", err)
	}
	if _, err := c.api(ctx, "uuid_broadcast", "uuid_broadcast "+uuid+" avmd_start:: aleg"); err != nil {
		return fmt.Errorf("start avmd on %s: %w", uuid, err)
	}
	return nil
}

// StopAVMD stops mod_avmd on a channel (api avmd <uuid> stop), e.g. once
// a person was heard, so that nothing the call plays later counts as a
// beep. A channel avmd does not run on (it never started, or the channel
// is gone) is not an error: there is nothing to stop.
func (c *Client) StopAVMD(ctx context.Context, uuid string) error {
	if err := checkIDs("uuid", uuid); err != nil {
		return fmt.Errorf("stop avmd: %w", err)
	}
	out, err := c.api(ctx, "avmd", "avmd "+uuid+" stop")
	var re *ReplyError
	if errors.As(err, &re) && strings.Contains(re.Reply, "no FreeSWITCH session") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stop avmd on %s: %w", uuid, err)
	}
	// mod_avmd answers "+ERR, avmd has not yet been started" (a plus).
	if strings.HasPrefix(out, "+ERR") && !strings.Contains(out, "not yet been started") {
		return fmt.Errorf("stop avmd on %s: %w", uuid, &ReplyError{Command: "avmd", Reply: strings.TrimSpace(out)})
	}
	return nil
}

// AVMDKind says which mod_avmd event an AVMDEvent is.
type AVMDKind string

// mod_avmd's events.
const (
	AVMDStart AVMDKind = "start"
	AVMDBeep  AVMDKind = "beep"
	AVMDStop  AVMDKind = "stop"
)

// AVMDEvent is a decoded CUSTOM avmd::* event.
//
// FreeSWITCH sends each of them twice with the same Event-Sequence: first
// bare (Unique-ID and mod_avmd's own headers only), then again with the
// channel's headers and variables. A server-side filter on a channel
// variable keeps only the second; without one, a consumer must take a
// beep once per channel. avmd::stop's Beep-Status is not a verdict: after
// api avmd <uuid> stop it says DETECTED whatever was heard (mod_avmd
// passes its enum's first value), so only avmd::beep means a beep.
type AVMDEvent struct {
	Kind AVMDKind
	// UUID is the channel's Unique-ID.
	UUID string
	// At is the event's Event-Date-Timestamp.
	At time.Time
	// Frequency is the beep's frequency in Hz (avmd::beep).
	Frequency float64
	// DetectionTime is how long avmd listened before the beep
	// (avmd::beep's Detection-time).
	DetectionTime time.Duration
}

// DecodeAVMD reads a mod_avmd event; ok is false for any other event.
func DecodeAVMD(ev Event) (AVMDEvent, bool) {
	if ev.Kind != KindSwitch || ev.Name != "CUSTOM" {
		return AVMDEvent{}, false
	}
	kind, ok := strings.CutPrefix(ev.Subclass, "avmd::")
	if !ok || ev.UniqueID == "" {
		return AVMDEvent{}, false
	}
	a := AVMDEvent{Kind: AVMDKind(kind), UUID: ev.UniqueID, At: microTime(ev.Header("Event-Date-Timestamp"))}
	switch a.Kind {
	case AVMDStart, AVMDStop:
	case AVMDBeep:
		if ev.Header("Beep-Status") != "DETECTED" {
			return AVMDEvent{}, false
		}
		a.Frequency, _ = strconv.ParseFloat(ev.Header("Frequency"), 64)
		if us, err := strconv.ParseInt(ev.Header("Detection-time"), 10, 64); err == nil && us >= 0 {
			a.DetectionTime = time.Duration(us) * time.Microsecond
		}
	default:
		return AVMDEvent{}, false
	}
	return a, true
}
