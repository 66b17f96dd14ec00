package main

import (
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
	"github.com/fsdialer/dialer/store"
)

// surveyCampaign runs the lab's survey IVR, which keeps the callee's
// digit in survey_q1 and stays on the line until the callee hangs up
// (S+1 seconds after the answer), and records every answered call from
// its answer under the switch's recordings directory.
const surveyCampaign = `
name: survey-rec
mode: ivr
dial: {template: "loopback/{number}/dialer_lab"}
ivr: {extension: dialer_ivr_survey, context: dialer_ivr, capture: [survey_q1, survey_q2]}
record: {when: answer, path: "{campaign}/{date}/{attempt}-{uuid}.wav"}
limits: {lines: 5, ring_timeout: 10s}
retry: {max_attempts: 1}
`

// TestServe_IVRRecordingAndCapture runs a recorded survey on the lab's
// numbering plan: two callees who answer, press 4 and 2 and stay 5 and 3
// seconds, and one who is busy. The switch's record says each answered
// call was recorded to the path the dialer stored, and carries
// survey_q1; on a real switch the file exists and lasts the call's
// billsec. The attempts export (CSV and JSON) and the release callbacks
// carry the recording path (none for the busy call) and the captured
// variables.
func TestServe_IVRRecordingAndCapture(t *testing.T) {
	recDir := t.TempDir()
	switchtest.Each(t, fssim.Options{Speed: 5, HeartbeatInterval: time.Second, RecordingsDir: recDir},
		func(t *testing.T, sw switchtest.Backend) {
			e := newE2E(t, sw)
			hooks := newHookReceiver(t)
			hooks.failFirst, hooks.slowEvery = 0, math.MaxInt
			hooks.up()
			members := []string{"a04:+12125550104", "b12:+12125550112", "c50:+12125550150"}
			c := e.load(surveyCampaign+"callback_url: "+hooks.url()+"\n"+alwaysOpen, members)
			ctx, cancel := context.WithCancel(e.ctx)
			defer cancel()
			done := e.serve(ctx, serveOptions{statusTick: 50 * time.Millisecond}, sw.Now)
			pollUntil(t, "three release callbacks", 60*time.Second, func() bool {
				hooks.mu.Lock()
				defer hooks.mu.Unlock()
				n := 0
				for k := range hooks.delivered {
					if strings.HasSuffix(k, ":release") {
						n++
					}
				}
				return n == 3
			})
			cancel()
			waitDaemon(t, done, 30*time.Second)

			attempts, err := e.db.Attempts(e.ctx, store.AttemptFilter{CampaignID: c.ID})
			if err != nil || len(attempts) != 3 {
				t.Fatalf("attempts: %+v %v", attempts, err)
			}
			channels := map[string]switchtest.Channel{}
			for _, ch := range switchtest.Customers(sw.Channels()) {
				channels[ch.UUID] = ch
			}
			type want struct {
				digit    string
				billsec  int
				recorded bool
			}
			wants := map[string]want{"+12125550104": {"4", 5, true}, "+12125550112": {"2", 3, true}, "+12125550150": {"", 0, false}}
			paths := map[string]string{}
			for _, a := range attempts {
				w := wants[a.Number]
				ch, ok := channels[a.UUID]
				if !ok {
					t.Fatalf("the switch saw no channel %s for attempt %d", a.UUID, a.ID)
				}
				if got := ch.Vars["survey_q1"]; got != w.digit {
					t.Errorf("%s: the switch's survey_q1 = %q, want %q", a.Number, got, w.digit)
				}
				if !w.recorded {
					if a.RecordingPath != nil || len(a.Captured) != 0 {
						t.Errorf("%s: recording %v captured %v, want none", a.Number, a.RecordingPath, a.Captured)
					}
					continue
				}
				if ch.Billsec < w.billsec-1 || ch.Billsec > w.billsec+1 {
					t.Errorf("%s: billsec %d on the switch, want about %d", a.Number, ch.Billsec, w.billsec)
				}
				if got := a.Captured; len(got) != 1 || got["survey_q1"] != w.digit {
					t.Errorf("%s: captured %v, want survey_q1=%s only", a.Number, got, w.digit)
				}
				rel := fmt.Sprintf("survey-rec/%s/%d-%s.wav", a.CreatedAt.UTC().Format("2006-01-02"), a.ID, a.UUID)
				if a.RecordingPath == nil || !strings.HasSuffix(*a.RecordingPath, "/"+rel) || !filepath.IsAbs(*a.RecordingPath) {
					t.Fatalf("%s: recording path %v, want an absolute path ending in %s", a.Number, a.RecordingPath, rel)
				}
				path := *a.RecordingPath
				paths[a.UUID] = path
				if !sw.Real() {
					if got := ch.Vars["sim_record"]; got != filepath.Join(recDir, rel) {
						t.Errorf("%s: the simulator recorded to %q, want %q", a.Number, got, filepath.Join(recDir, rel))
					}
					continue
				}
				secs, chans := wavSeconds(t, path)
				if chans != 1 {
					t.Errorf("%s: %d channels, want 1 (stereo is off)", a.Number, chans)
				}
				t.Logf("%s: %s lasts %.2f s, billsec %d", a.Number, path, secs, ch.Billsec)
				if math.Abs(secs-float64(ch.Billsec)) > 1 {
					t.Errorf("%s: recording lasts %.2f s, the switch billed %d s", a.Number, secs, ch.Billsec)
				}
			}

			cl := &cli{t: t, db: e.cfg.Database, now: time.Now()}
			rows, err := csv.NewReader(strings.NewReader(cl.ok("export", "survey-rec", "--attempts", "-o", "csv"))).ReadAll()
			if err != nil || len(rows) != 4 {
				t.Fatalf("csv export: %v %v", rows, err)
			}
			col := map[string]int{}
			for i, h := range rows[0] {
				col[h] = i
			}
			for _, h := range []string{"recording_path", "capture_survey_q1", "capture_survey_q2"} {
				if _, ok := col[h]; !ok {
					t.Fatalf("csv header %v lacks %s", rows[0], h)
				}
			}
			for _, r := range rows[1:] {
				w := wants[r[col["number"]]]
				if r[col["recording_path"]] != paths[r[col["uuid"]]] || r[col["capture_survey_q1"]] != w.digit || r[col["capture_survey_q2"]] != "" {
					t.Errorf("csv row %v: recording %q q1 %q q2 %q, want %q %q \"\"", r, r[col["recording_path"]],
						r[col["capture_survey_q1"]], r[col["capture_survey_q2"]], paths[r[col["uuid"]]], w.digit)
				}
			}
			var js []struct {
				UUID          string            `json:"uuid"`
				Number        string            `json:"number"`
				RecordingPath *string           `json:"recording_path"`
				Captured      map[string]string `json:"captured"`
			}
			if err := json.Unmarshal([]byte(cl.ok("export", "survey-rec", "--attempts", "-o", "json")), &js); err != nil || len(js) != 3 {
				t.Fatalf("json export: %+v %v", js, err)
			}
			for _, a := range js {
				w := wants[a.Number]
				gotPath := ""
				if a.RecordingPath != nil {
					gotPath = *a.RecordingPath
				}
				if gotPath != paths[a.UUID] || a.Captured == nil || a.Captured["survey_q1"] != w.digit {
					t.Errorf("json row %s: recording %q captured %v, want %q survey_q1=%q", a.Number, gotPath, a.Captured, paths[a.UUID], w.digit)
				}
			}

			hooks.mu.Lock()
			defer hooks.mu.Unlock()
			for _, a := range attempts {
				bodies := hooks.delivered[a.UUID+":release"]
				if len(bodies) == 0 {
					t.Fatalf("no release callback for %s", a.UUID)
				}
				body := bodies[0]
				w := wants[a.Number]
				var wantPath any
				wantCaptured := map[string]any{}
				if w.recorded {
					wantPath = paths[a.UUID]
					wantCaptured["survey_q1"] = w.digit
				}
				if fmt.Sprint(body["recording_path"]) != fmt.Sprint(wantPath) || fmt.Sprint(body["captured"]) != fmt.Sprint(wantCaptured) {
					t.Errorf("%s release: recording_path %#v captured %#v, want %#v %#v", a.Number,
						body["recording_path"], body["captured"], wantPath, wantCaptured)
				}
			}
		})
}

// wavSeconds is a WAV file's length (its data chunk's size over its byte
// rate) and its number of channels.
func wavSeconds(t *testing.T, path string) (float64, int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("recording: %v", err)
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		t.Fatalf("%s is not a WAV file (%d bytes)", path, len(b))
	}
	var byteRate uint32
	var channels int
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), binary.LittleEndian.Uint32(b[off+4:off+8])
		body := off + 8
		switch id {
		case "fmt ":
			channels = int(binary.LittleEndian.Uint16(b[body+2 : body+4]))
			byteRate = binary.LittleEndian.Uint32(b[body+8 : body+12])
		case "data":
			if byteRate == 0 {
				t.Fatalf("%s: data before fmt", path)
			}
			if size == 0 || int(size) > len(b)-body {
				size = uint32(len(b) - body)
			}
			return float64(size) / float64(byteRate), channels
		}
		off = body + int(size) + int(size%2)
	}
	t.Fatalf("%s: no data chunk", path)
	return 0, 0
}

// TestServe_ProgressiveRecordingFromBridge records a progressive call
// from its bridge to the agent, to an absolute path: the recording starts
// when the switch bridged the customer (not at its answer) and lasts
// until the customer hangs up.
func TestServe_ProgressiveRecordingFromBridge(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 5, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		e := newE2E(t, sw)
		dir := t.TempDir()
		c := e.load(`
name: prog-rec
mode: progressive
dial: {template: "loopback/{number}/dialer_lab"}
agents: {hold_time: 8s}
limits: {lines: 2, ring_timeout: 5s}
retry: {max_attempts: 1}
record: {when: bridge, path: "`+dir+`/{campaign}/{member}-{uuid}.wav", stereo: true}
`+alwaysOpen, []string{"p05:+12125550105"})
		e.agents("prog-rec", "agent-1")
		done := e.serve(e.ctx, serveOptions{untilDone: true, statusTick: 50 * time.Millisecond}, sw.Now)
		waitDaemon(t, done, 60*time.Second)
		attempts, err := e.db.Attempts(e.ctx, store.AttemptFilter{CampaignID: c.ID})
		if err != nil || len(attempts) != 1 {
			t.Fatalf("attempts: %+v %v", attempts, err)
		}
		a := attempts[0]
		want := fmt.Sprintf("%s/prog-rec/%d-%s.wav", dir, a.MemberID, a.UUID)
		if a.RecordingPath == nil || *a.RecordingPath != want {
			t.Fatalf("recording path %v, want %s", a.RecordingPath, want)
		}
		var ch switchtest.Channel
		for _, x := range switchtest.Customers(sw.Channels()) {
			if x.UUID == a.UUID {
				ch = x
			}
		}
		if ch.Bridged.IsZero() || ch.Hangup.IsZero() {
			t.Fatalf("the switch's customer channel %+v was not bridged and hung up", ch)
		}
		if !sw.Real() {
			if ch.Vars["sim_record"] != want || ch.Vars["RECORD_STEREO"] != "true" {
				t.Errorf("the simulator recorded to %q (stereo %q), want %q (true)", ch.Vars["sim_record"], ch.Vars["RECORD_STEREO"], want)
			}
			return
		}
		secs, chans := wavSeconds(t, want)
		if chans != 2 {
			t.Errorf("%d channels, want 2 (stereo: true)", chans)
		}
		talked := ch.Hangup.Sub(ch.Bridged).Seconds()
		t.Logf("%s lasts %.2f s, bridged for %.2f s, billsec %d", want, secs, talked, ch.Billsec)
		if math.Abs(secs-talked) > 1 {
			t.Errorf("recording lasts %.2f s, the switch had the customer bridged %.2f s", secs, talked)
		}
		if secs > float64(ch.Billsec)-0.5 {
			t.Errorf("recording lasts %.2f s of a %d s call: it started before the bridge", secs, ch.Billsec)
		}
	})
}
