package fssim

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// siteExecute is where FreeSWITCH fires CHANNEL_EXECUTE.
var siteExecute = callSite{"switch_core_session.c", "switch_core_session_exec", 2930}

// broadcast runs one uuid_broadcast on ch as FreeSWITCH does on a parked
// channel: broadcasts queue and run one after the other. "app::args" runs
// the application (hangup::CAUSE ends the call when the queue reaches
// it); anything else is played. A tone stream lasts its loops of its
// cadence, and one that loops forever (loops=-1) holds the queue until a
// bridge breaks it; a file, whose length the simulator cannot know, lasts
// one second.
func (s *Server) broadcast(ch *channel, path string, at time.Time) {
	app, data := "playback", path
	if a, d, ok := strings.Cut(path, "::"); ok {
		app, data = a, d
	}
	start := at
	if ch.playing {
		if ch.playUntil.IsZero() {
			return // behind a tone that never ends
		}
		if ch.playUntil.After(at) {
			start = ch.playUntil
		}
	}
	switch app {
	case "avmd_start":
		s.broadcastAVMD(ch, at)
		return
	case "hangup":
		cause := data
		if cause == "" {
			cause = "NORMAL_CLEARING"
		}
		ch.playing, ch.playUntil = true, start
		s.addTimer(ch, start, func(t time.Time) {
			if !ch.ended {
				s.hangupCall(ch, cause, t)
			}
		})
	default:
		d, forever := playLength(data)
		ch.playing, ch.playUntil = true, time.Time{}
		if !forever {
			ch.playUntil = start.Add(d)
		}
		s.addTimer(ch, start, func(t time.Time) {
			if ch.ended {
				return
			}
			ch.app, ch.appData = app, data
			ch.executed = append(ch.executed, Execution{App: app, Data: data, At: t})
			s.emitChannel("CHANNEL_EXECUTE", siteExecute, ch, t, true,
				nil, []header{{"Application", app}, {"Application-Data", data}})
		})
	}
}

// stopPlaying ends what ch plays (a bridge breaks a broadcast).
func (ch *channel) stopPlaying() { ch.playing, ch.playUntil = false, time.Time{} }

var (
	toneCadenceRe = regexp.MustCompile(`%\(([0-9]+),([0-9]+)`)
	toneLoopsRe   = regexp.MustCompile(`;loops=(-?[0-9]+)`)
)

// playLength is how long a played path lasts: a tone stream its cadences
// times its loops (forever for loops=-1), a file one second.
func playLength(path string) (d time.Duration, forever bool) {
	if !strings.HasPrefix(path, "tone_stream://") {
		return time.Second, false
	}
	loops := 1
	if m := toneLoopsRe.FindStringSubmatch(path); m != nil {
		loops, _ = strconv.Atoi(m[1])
	}
	if loops < 0 {
		return 0, true
	}
	var cadence time.Duration
	for _, m := range toneCadenceRe.FindAllStringSubmatch(path, -1) {
		on, _ := strconv.Atoi(m[1])
		off, _ := strconv.Atoi(m[2])
		cadence += time.Duration(on+off) * time.Millisecond
	}
	return time.Duration(loops) * cadence, false
}
