package esl_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
)

// TestAVMD_TellsLabMachinesFromHumans originates a machine callee and a
// person of the lab plan to park, starts mod_avmd on each at its answer,
// and checks the machine's beep is reported (twice, bare then with the
// channel's variables, as FreeSWITCH 1.10.12 sends it) about a second
// after the answer and the machine hangs up 4.3 s after it, and that the
// person gets no beep; avmd stops on the person, and a second stop, or a
// stop on a channel without avmd, is no error.
func TestAVMD_TellsLabMachinesFromHumans(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 1}, func(t *testing.T, b switchtest.Backend) {
		avmdRun(t, b, "loopback/{number}/dialer_lab", avmdTimes{beepFrom: 700 * time.Millisecond,
			beepTo: 1500 * time.Millisecond, talk: 4300 * time.Millisecond})
	})
}

// TestAVMD_OverSIP is the same over real SIP and RTP (the real switch's
// gateway "lab"), where the machine's playbacks take twice their length
// (see dialer_lab.xml): its beep comes about 1.8 s after the answer and
// it hangs up about 5.7 s after it.
func TestAVMD_OverSIP(t *testing.T) {
	avmdRun(t, labSIPSwitch(t), "sofia/gateway/lab/{number}", avmdTimes{beepFrom: 1400 * time.Millisecond,
		beepTo: 2500 * time.Millisecond, talk: 5700 * time.Millisecond})
}

// avmdTimes is when a lab machine's beep is reported and how long it
// stays, from its answer.
type avmdTimes struct {
	beepFrom, beepTo, talk time.Duration
}

// avmdRun dials the lab's machine and a person through template, runs
// avmd on both and checks what it reports.
func avmdRun(t *testing.T, b switchtest.Backend, template string, want avmdTimes) {
	t.Helper()
	cfg := testConfig(b.Addr())
	cfg.Password = b.Password()
	cfg.Events = []string{"CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE"}
	cfg.CustomSubclasses = esl.AVMDSubclasses
	cl := connected(t, cfg)
	ctx := ctxFor(t, 30*time.Second)

	machine := originate("15550888803", map[string]string{"dialer_campaign_id": "7"})
	human := originate("15550000004", map[string]string{"dialer_campaign_id": "7"})
	machine.IgnoreEarlyMedia, human.IgnoreEarlyMedia = true, true
	machine.DialTemplate, human.DialTemplate = template, template
	var (
		mu       sync.Mutex
		answered = map[string]time.Time{}
		got      = map[string][]esl.Event{}
		ended    = map[string]bool{}
		hungUp   = map[string]time.Time{}
		causes   = map[string]string{}
	)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		for {
			ev, err := cl.Next(ctx)
			if err != nil {
				return
			}
			mu.Lock()
			switch {
			case ev.Name == "CHANNEL_ANSWER" && answered[ev.UniqueID].IsZero():
				answered[ev.UniqueID] = time.Now()
			case ev.Name == "CHANNEL_HANGUP_COMPLETE":
				ended[ev.UniqueID] = true
				hungUp[ev.UniqueID] = time.Now()
				causes[ev.UniqueID] = ev.Header("Hangup-Cause")
			case ev.Name == "CUSTOM":
				got[ev.UniqueID] = append(got[ev.UniqueID], ev)
			}
			done := ended[machine.UUID] && ended[human.UUID]
			mu.Unlock()
			if done {
				return
			}
		}
	}()
	// avmd starts once the originate returned: a broadcast that comes
	// while FreeSWITCH's originate still owns the answered channel is
	// lost when the channel starts its park.
	for _, o := range []esl.Originate{machine, human} {
		job, err := cl.Originate(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			if res, err := job.Wait(ctx); err != nil || !res.OK {
				t.Errorf("originate %s: %+v %v", o.Number, res, err)
				return
			}
			if err := cl.StartAVMD(ctx, o.UUID); err != nil {
				t.Errorf("start avmd on %s: %v", o.Number, err)
			}
		}()
	}
	// Once avmd runs on the person, stop it there.
	waitFor(t, 5*time.Second, "avmd started on the person", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range got[human.UUID] {
			if a, ok := esl.DecodeAVMD(ev); ok && a.Kind == esl.AVMDStart {
				return true
			}
		}
		return false
	})
	if err := cl.StopAVMD(ctx, human.UUID); err != nil {
		t.Errorf("stop avmd on the person: %v", err)
	}
	if err := cl.StopAVMD(ctx, human.UUID); err != nil {
		t.Errorf("stop avmd again: %v", err)
	}
	select {
	case <-readDone:
	case <-time.After(20 * time.Second):
		t.Fatal("calls did not end")
	}
	if err := cl.StopAVMD(ctx, machine.UUID); err != nil {
		t.Errorf("stop avmd on a channel that is gone: %v", err)
	}
	var re *esl.ReplyError
	if err := cl.StopAVMD(ctx, "bad uuid"); err == nil || errors.As(err, &re) {
		t.Errorf("stop avmd on an unsafe uuid: %v, want a refusal before sending", err)
	}

	mu.Lock()
	defer mu.Unlock()
	beeps := func(uuid string) (bare, full []esl.AVMDEvent, seqs map[uint64]int) {
		seqs = map[uint64]int{}
		for _, ev := range got[uuid] {
			a, ok := esl.DecodeAVMD(ev)
			if !ok || a.Kind != esl.AVMDBeep {
				continue
			}
			seqs[ev.Seq]++
			if ev.Var("dialer_campaign_id") == "7" {
				full = append(full, a)
			} else {
				bare = append(bare, a)
			}
		}
		return bare, full, seqs
	}
	bare, full, seqs := beeps(machine.UUID)
	if len(bare) != 1 || len(full) != 1 || len(seqs) != 1 {
		t.Fatalf("machine beeps: %d bare, %d with variables, %d sequence numbers; want one beep sent twice", len(bare), len(full), len(seqs))
	}
	beep := full[0]
	if beep.Frequency < 950 || beep.Frequency > 1050 {
		t.Errorf("beep frequency %.1f Hz, want about 1000", beep.Frequency)
	}
	// The beep starts 0.8 s after the answer; avmd reports it within
	// a few hundred ms of its start.
	after := beep.At.Sub(answered[machine.UUID])
	if b.Real() {
		after += switchtest.ClockLag
	}
	if after < want.beepFrom || after > want.beepTo {
		t.Errorf("beep reported %v after the answer, want %v to %v", after, want.beepFrom, want.beepTo)
	}
	if beep.DetectionTime <= 0 || beep.DetectionTime > want.beepTo {
		t.Errorf("detection time %v", beep.DetectionTime)
	}
	// The machine hangs up by itself after its greeting, beep and
	// 3 s of silence.
	talk := hungUp[machine.UUID].Sub(answered[machine.UUID])
	if causes[machine.UUID] != "NORMAL_CLEARING" || talk < want.talk-500*time.Millisecond || talk > want.talk+500*time.Millisecond {
		t.Errorf("machine hung up %s %v after the answer, want NORMAL_CLEARING after %v", causes[machine.UUID], talk, want.talk)
	}
	if bare, full, _ := beeps(human.UUID); len(bare)+len(full) != 0 {
		t.Errorf("the person got %d beeps", len(bare)+len(full))
	}
	stops := 0
	for _, ev := range got[human.UUID] {
		if a, ok := esl.DecodeAVMD(ev); ok && a.Kind == esl.AVMDStop {
			stops++
		}
	}
	if stops != 2 {
		t.Errorf("the person's avmd::stop came %d times, want twice (one stop, sent bare and with variables)", stops)
	}
}
