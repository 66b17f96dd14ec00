package fssim

import (
	"strings"
	"time"
)

// The callee's digit and the IVR follow the project's dialplans on a real
// switch. dialer_lab.xml's callee sends its digit (send_dtmf) one second
// after it answers, whatever the caller's side runs, so the DTMF reaches
// a parked channel too. dialer_ivr.xml's dialer_ivr_example plays a
// 250 ms tone (digits sent meanwhile are lost), then play_and_get_digits
// waits for one digit: a digit goes into dialer_result and the IVR hangs
// up at once; without one it sets dialer_result=no_input and hangs up
// 5.75 s after it began (tone, 250 ms prompt, 5 s timeout, 250 ms
// invalid-input file). Every extension or non-waiting application the
// simulator's a-leg runs is such an IVR, except dialer_ivr_survey (see
// surveyWait).

const (
	// ivrPrompt is the tone before the IVR listens for a digit.
	ivrPrompt = 250 * time.Millisecond
	// ivrGiveUp is when an IVR that got no digit hangs up.
	ivrGiveUp = 5750 * time.Millisecond
)

// scheduleCalleeDigit makes the callee of c press its outcome's digit
// DigitAfter (default 1 s) after the answer.
func (s *Server) scheduleCalleeDigit(c *call, answered time.Time) {
	digit := c.out.Digit
	if digit == "" {
		return
	}
	after := c.out.DigitAfter
	if after == 0 {
		after = time.Second
	}
	s.addTimer(c.a, answered.Add(after), func(at time.Time) {
		if c.a.ended {
			return
		}
		c.a.dtmf += digit
		s.receiveDTMF(c.a, digit, at)
	})
}

// receiveDTMF delivers a digit to ch: a DTMF event (without variables, as
// in FreeSWITCH), then the IVR ch runs collects it; a channel in a bridge
// passes it on to the bridged channel, whose loopback b-leg receives it.
func (s *Server) receiveDTMF(ch *channel, digit string, at time.Time) {
	src := "RTP"
	if ch.tech == "loopback" {
		src = "UNKNOWN"
	}
	s.emitChannel("DTMF", siteDTMF, ch, at, false, nil,
		[]header{{"DTMF-Digit", digit}, {"DTMF-Duration", "2000"}, {"DTMF-Source", src}})
	ch.setVar("last_dtmf_duration", "2000")
	if s.ivrCollect(ch, digit, at) {
		return
	}
	if peer := ch.bridgeTo; peer != nil && peer.peer != nil && !peer.peer.ended {
		s.receiveDTMF(peer.peer, digit, at)
	}
}

// startIVR sends ch into an IVR at at. An IVR entered before the answer
// starts listening once the channel answers (answerIVR).
func (s *Server) startIVR(ch *channel, at time.Time) {
	s.stopIVR(ch)
	ch.isIVR = true
	if ch.answered.IsZero() {
		return
	}
	ch.ivrListen = at.Add(ivrPrompt)
	ch.digitT = s.sched.at(at.Add(ivrGiveUp), func(at time.Time) {
		ch.digitT = nil
		s.ivrNoInput(ch, at)
	})
}

// answerIVR starts the IVR of a channel sent into it before it answered.
func (s *Server) answerIVR(ch *channel, at time.Time) {
	if ch.isIVR && ch.ivrListen.IsZero() {
		s.startIVR(ch, at)
	}
}

// stopIVR ends ch's IVR without hanging up (a transfer elsewhere).
func (s *Server) stopIVR(ch *channel) {
	s.sched.cancel(ch.digitT)
	ch.digitT = nil
	ch.isIVR = false
	ch.ivrListen = time.Time{}
}

// ivrCollect takes a digit 0-9 an IVR is listening for: dialer_result is
// set and the IVR hangs up. It reports whether the digit was taken.
func (s *Server) ivrCollect(ch *channel, digit string, at time.Time) bool {
	if !ch.isIVR || ch.ended || ch.ivrListen.IsZero() || at.Before(ch.ivrListen) || !strings.Contains("0123456789", digit) {
		return false
	}
	s.stopIVR(ch)
	ch.setVar("dialer_result", digit)
	if s.surveyWait(ch, at) {
		return true
	}
	s.hangupCall(ch, "NORMAL_CLEARING", at)
	return true
}

// ivrNoInput ends an IVR that got no digit.
func (s *Server) ivrNoInput(ch *channel, at time.Time) {
	if ch.ended || !ch.isIVR {
		return
	}
	s.stopIVR(ch)
	ch.setVar("dialer_result", "no_input")
	if s.surveyWait(ch, at) {
		return
	}
	s.hangupCall(ch, "NORMAL_CLEARING", at)
}

// surveyIVR is dialer_ivr.xml's survey extension: once the digit is in,
// it copies it into survey_q1 and stays on the line surveyHold for the
// callee to hang up.
const (
	surveyIVR  = "dialer_ivr_survey"
	surveyHold = 15 * time.Second
)

// surveyWait does what dialer_ivr_survey does after its digit (or none)
// and reports whether ch runs it; other IVRs hang up at once.
func (s *Server) surveyWait(ch *channel, at time.Time) bool {
	if ch.destNumber != surveyIVR {
		return false
	}
	v, _ := ch.getVar("dialer_result")
	ch.setVar("survey_q1", v)
	s.addTimer(ch, at.Add(surveyHold), func(at time.Time) {
		if !ch.ended {
			s.hangupCall(ch, "NORMAL_CLEARING", at)
		}
	})
	return true
}
