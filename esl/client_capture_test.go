package esl_test

import (
	"bytes"
	"math/rand/v2"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl"
)

// capturesDir holds the bytes a real FreeSWITCH 1.10.12 sent
// (shared/fs-captures, next to the project).
const capturesDir = "../../shared/fs-captures"

// capFrame is one server frame of a capture.
type capFrame struct {
	raw     []byte // the exact bytes
	ctype   string
	headers textproto.MIMEHeader // outer headers
	body    []byte
}

// splitCapture cuts a capture into frames by its outer Content-Length, the
// way a client has to.
func splitCapture(t *testing.T, data []byte) []capFrame {
	t.Helper()
	var frames []capFrame
	for len(data) > 0 {
		end := bytes.Index(data, []byte("\n\n"))
		if end < 0 {
			t.Fatalf("capture ends inside a header: %q", data)
		}
		h := textproto.MIMEHeader{}
		for _, line := range strings.Split(string(data[:end]), "\n") {
			k, v, _ := strings.Cut(line, ": ")
			h.Add(k, v)
		}
		n := 0
		if cl := h.Get("Content-Length"); cl != "" {
			n, _ = strconv.Atoi(cl)
		}
		size := end + 2 + n
		frames = append(frames, capFrame{raw: data[:size], ctype: h.Get("Content-Type"), headers: h, body: data[end+2 : size]})
		data = data[size:]
	}
	return frames
}

// innerHeaders parses a plain event's headers independently of the client:
// first value per canonical name, decoded with net/url, _undef_ as "".
func innerHeaders(body []byte) (map[string]string, string) {
	head, rest, _ := bytes.Cut(body, []byte("\n\n"))
	h := map[string]string{}
	var length int
	for _, line := range strings.Split(string(head), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		key := textproto.CanonicalMIMEHeaderKey(k)
		if key == "Content-Length" {
			length, _ = strconv.Atoi(v)
			continue
		}
		if _, dup := h[key]; dup {
			continue
		}
		if d, err := url.PathUnescape(v); err == nil {
			v = d
		}
		if v == "_undef_" {
			v = ""
		}
		h[key] = v
	}
	return h, string(rest[:min(length, len(rest))])
}

// TestCapture_Replay replays each plain-event transcript a real FreeSWITCH
// sent, byte for byte, through a TCP server into the client: every event
// must decode (name, Unique-ID, every header value, bodies), and the a-leg's
// merged record must match what the call did.
func TestCapture_Replay(t *testing.T) {
	if _, err := os.Stat(capturesDir); err != nil {
		t.Skipf("no captures at %s: %v", capturesDir, err)
	}
	tests := []struct {
		flow  string
		check func(t *testing.T, r esl.CallRecord)
	}{
		{"answer2", func(t *testing.T, r esl.CallRecord) {
			if !r.Answered || r.Cause != "NORMAL_CLEARING" || r.Billsec != 2 || r.Q850 != 16 || !r.JobOK || r.AnsweredAt.IsZero() {
				t.Errorf("record %+v", r)
			}
		}},
		{"busy", func(t *testing.T, r esl.CallRecord) {
			if r.Answered || r.Cause != "USER_BUSY" || r.JobOK || r.Billsec != 0 {
				t.Errorf("record %+v", r)
			}
		}},
		{"noanswer_timeout3", func(t *testing.T, r esl.CallRecord) {
			if r.Answered || r.Cause != "NO_ANSWER" || r.JobOK || !r.Ringing {
				t.Errorf("record %+v", r)
			}
		}},
		{"unalloc", func(t *testing.T, r esl.CallRecord) {
			if r.Answered || r.Cause != "UNALLOCATED_NUMBER" || r.JobOK {
				t.Errorf("record %+v", r)
			}
		}},
		{"ivr_dtmf", func(t *testing.T, r esl.CallRecord) {
			if !r.Answered || r.Cause != "NORMAL_CLEARING" || r.Vars["lab_ivr_digit"] != "5" || r.Vars["lab_ivr_result"] != "success" {
				t.Errorf("record %+v", r)
			}
		}},
		{"ivr_timeout2_nodtmf", func(t *testing.T, r esl.CallRecord) {
			if !r.Answered || r.Vars["lab_ivr_digit"] != "" || r.Vars["lab_ivr_result"] != "failure" {
				t.Errorf("record %+v", r)
			}
		}},
	}
	uuidRe := regexp.MustCompile(`origination_uuid=([0-9a-f-]{36})`)
	for _, tt := range tests {
		t.Run(tt.flow, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(capturesDir, tt.flow+".plain.esl"))
			if err != nil {
				t.Skipf("capture missing: %v", err)
			}
			log, err := os.ReadFile(filepath.Join(capturesDir, tt.flow+".plain.client.log"))
			if err != nil {
				t.Skipf("client log missing: %v", err)
			}
			m := uuidRe.FindSubmatch(log)
			if m == nil {
				t.Fatalf("no origination_uuid in the client log")
			}
			aLeg := string(m[1])

			frames := splitCapture(t, data)
			var events []capFrame
			var authOK, subscribed []byte
			var job string
			for _, f := range frames {
				switch {
				case f.ctype == "text/event-plain":
					events = append(events, f)
				case f.ctype == "command/reply" && f.headers.Get("Reply-Text") == "+OK accepted":
					authOK = f.raw
				case f.ctype == "command/reply" && strings.HasPrefix(f.headers.Get("Reply-Text"), "+OK event listener"):
					subscribed = f.raw
				case f.ctype == "command/reply" && f.headers.Get("Job-Uuid") != "":
					job = f.headers.Get("Job-Uuid")
				}
			}
			if len(frames) == 0 || frames[0].ctype != "auth/request" || authOK == nil || subscribed == nil || job == "" || len(events) == 0 {
				t.Fatalf("unexpected capture layout: %d frames, %d events", len(frames), len(events))
			}

			srv := newFakeFS(t, func(s *fakeSession) {
				if s.send(frames[0].raw) != nil {
					return
				}
				if cmd, _, err := s.command(); err != nil || !strings.HasPrefix(cmd, "auth ") {
					return
				}
				if s.send(authOK) != nil {
					return
				}
				s.serve(func(line string, _ map[string]string) bool {
					if !strings.HasPrefix(line, "event plain ") {
						return false
					}
					out := [][]byte{subscribed}
					for _, e := range events {
						out = append(out, e.raw)
					}
					_ = s.send(out...)
					return true
				})
			})
			cl := connected(t, testConfig(srv.addr()))

			got := map[uint64]esl.Event{}
			ctx := ctxFor(t, 10*time.Second)
			for len(got) < len(events) {
				e, err := cl.Next(ctx)
				if err != nil {
					t.Fatalf("%d of %d events: %v", len(got), len(events), err)
				}
				if e.Kind == esl.KindSwitch {
					got[e.Seq] = e
				}
			}
			call := esl.NewCall(aLeg, job, "dialer_", "lab_")
			var delivered []esl.Event
			for _, f := range events {
				want, body := innerHeaders(f.body)
				seq, _ := strconv.ParseUint(want["Event-Sequence"], 10, 64)
				e, ok := got[seq]
				if !ok {
					t.Fatalf("event %d (%s) not delivered", seq, want["Event-Name"])
				}
				if e.Name != want["Event-Name"] || e.UniqueID != want["Unique-Id"] || e.JobUUID != want["Job-Uuid"] || e.Body != body {
					t.Errorf("event %d: name %q uuid %q job %q body %q; want %q %q %q %q", seq,
						e.Name, e.UniqueID, e.JobUUID, e.Body, want["Event-Name"], want["Unique-Id"], want["Job-Uuid"], body)
				}
				for k, v := range want {
					if g := e.Header(k); g != v {
						t.Errorf("event %d %s: %s = %q, want %q", seq, e.Name, k, g, v)
					}
				}
				call.Apply(e)
				delivered = append(delivered, e)
			}
			r := call.Record()
			rng := rand.New(rand.NewPCG(7, uint64(len(events))))
			for i := range 200 {
				rng.Shuffle(len(delivered), func(i, j int) { delivered[i], delivered[j] = delivered[j], delivered[i] })
				c := esl.NewCall(aLeg, job, "dialer_", "lab_")
				for _, e := range delivered {
					c.Apply(e)
				}
				if got := c.Record(); !reflect.DeepEqual(got, r) {
					t.Fatalf("shuffle %d: record differs:\n got %+v\nwant %+v", i, got, r)
				}
			}
			if !r.Complete || !r.JobDone || !r.Final || r.UUID != aLeg {
				t.Errorf("a-leg %s incomplete: %+v", aLeg, r)
			}
			tt.check(t, r)
			t.Logf("%d events decoded; a-leg: answered=%v cause=%s billsec=%d job_ok=%v vars=%v",
				len(events), r.Answered, r.Cause, r.Billsec, r.JobOK, r.Vars)
		})
	}
}
