package esl

import (
	"bufio"
	"bytes"
	"maps"
	"net/textproto"
	"os"
	"strings"
	"testing"
)

// hangupText is an a-leg CHANNEL_HANGUP_COMPLETE as FreeSWITCH 1.10.12
// serialises it (shortened), the event the dialer reads most.
const hangupText = "Event-Name: CHANNEL_HANGUP_COMPLETE\n" +
	"Core-UUID: 5a2b9e8c-1f0e-4d7e-9a43-0c0d3b1c2e11\n" +
	"Event-Date-Timestamp: 1764748800123456\n" +
	"Event-Sequence: 8812\n" +
	"Unique-ID: 7f1d2c3b-aaaa-4bbb-8ccc-0123456789ab\n" +
	"Channel-Name: loopback/15550000100-a\n" +
	"Call-Direction: outbound\n" +
	"Answer-State: hangup\n" +
	"Hangup-Cause: NORMAL_CLEARING\n" +
	"Caller-Channel-Created-Time: 1764748797000000\n" +
	"Caller-Channel-Answered-Time: 1764748798000000\n" +
	"Caller-Channel-Hangup-Time: 1764748800000000\n" +
	"variable_dialer_campaign_id: 7\n" +
	"variable_dialer_result: 1\n" +
	"variable_dialer_note: caf%C3%A9%20au%20lait\n" +
	"variable_hangup_cause: NORMAL_CLEARING\n" +
	"variable_hangup_cause_q850: 16\n" +
	"variable_billsec: 1\n" +
	"variable_sip_term_status: _undef_\n" +
	"variable_var%20with%20space: x\n" +
	"\n"

func TestParseEvent(t *testing.T) {
	e, err := parseEvent(3, []byte(hangupText))
	if err != nil {
		t.Fatal(err)
	}
	if e.Name != "CHANNEL_HANGUP_COMPLETE" || e.UniqueID != "7f1d2c3b-aaaa-4bbb-8ccc-0123456789ab" || e.Seq != 8812 || e.Conn != 3 || e.Body != "" {
		t.Errorf("fields: %+v", e)
	}
	for name, want := range map[string]string{
		"Channel-Name":             "loopback/15550000100-a",
		"channel-name":             "loopback/15550000100-a",
		"UNIQUE-ID":                "7f1d2c3b-aaaa-4bbb-8ccc-0123456789ab",
		"variable_dialer_note":     "café au lait",
		"Variable_Dialer_Note":     "café au lait",
		"variable_sip_term_status": "",
		"No-Such-Header":           "",
	} {
		if got := e.Header(name); got != want {
			t.Errorf("Header(%q) = %q, want %q", name, got, want)
		}
	}
	if !e.Has("variable_sip_term_status") || e.Has("No-Such-Header") {
		t.Errorf("Has: present header missing or absent one found")
	}
	vars := map[string]string{}
	e.vars(func(k, v string) { vars[k] = v })
	wantVars := map[string]string{"dialer_campaign_id": "7", "dialer_result": "1", "dialer_note": "café au lait",
		"hangup_cause": "NORMAL_CLEARING", "hangup_cause_q850": "16", "billsec": "1", "sip_term_status": "",
		"var%20with%20space": "x"}
	if !maps.Equal(vars, wantVars) {
		t.Errorf("vars = %v, want %v", vars, wantVars)
	}
	if got := e.Headers()["Variable_dialer_campaign_id"]; got != "7" {
		t.Errorf("Headers()[Variable_dialer_campaign_id] = %q", got)
	}
}

func TestParseEvent_BodyAndOddLines(t *testing.T) {
	tests := []struct {
		name, text string
		body       string
		check      func(t *testing.T, e Event)
		wantErr    bool
	}{
		{name: "body by its own Content-Length",
			text: "Event-Name: BACKGROUND_JOB\nJob-UUID: j1\nContent-Length: 15\n\n+OK abc\nmore\ntail after",
			body: "+OK abc\nmore\nta"},
		{name: "first of two headers differing in case counts",
			text: "Event-Name: CUSTOM\nX-Dup: first\nx-dup: second\n\n",
			check: func(t *testing.T, e Event) {
				if got := e.Header("X-DUP"); got != "first" {
					t.Errorf("Header = %q, want first", got)
				}
			}},
		{name: "lines without a name are skipped, CR and blanks trimmed",
			text: "Event-Name: HEARTBEAT\r\nno colon here\n: empty name\nUp-Time:  \t5 \r\n\n",
			check: func(t *testing.T, e Event) {
				if e.Name != "HEARTBEAT" || e.Header("Up-Time") != "5" || len(e.h.kv) != 4 {
					t.Errorf("got %q, %q, %d headers", e.Name, e.Header("Up-Time"), len(e.h.kv)/2)
				}
			}},
		{name: "headers without a blank line", text: "Event-Name: HEARTBEAT\nUp-Time: 5",
			check: func(t *testing.T, e Event) {
				if e.Header("Up-Time") != "5" {
					t.Errorf("Up-Time = %q", e.Header("Up-Time"))
				}
			}},
		{name: "body shorter than its length", text: "Event-Name: BACKGROUND_JOB\nContent-Length: 50\n\nshort", wantErr: true},
		{name: "bad inner length", text: "Event-Name: BACKGROUND_JOB\nContent-Length: x\n\n", wantErr: true},
		{name: "no headers", text: "\n\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := parseEvent(1, []byte(tt.text))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if e.Body != tt.body {
				t.Errorf("Body = %q, want %q", e.Body, tt.body)
			}
			if tt.check != nil {
				tt.check(t, e)
			}
		})
	}
}

// TestParseEvent_KeepsNoBufferReference: the guard reuses its buffer for
// the next frame, so an event must not share it.
func TestParseEvent_KeepsNoBufferReference(t *testing.T) {
	buf := []byte(hangupText)
	e, err := parseEvent(1, buf)
	if err != nil {
		t.Fatal(err)
	}
	copy(buf, bytes.Repeat([]byte{'#'}, len(buf)))
	if e.Header("Channel-Name") != "loopback/15550000100-a" {
		t.Fatalf("event changed with the buffer: %q", e.Header("Channel-Name"))
	}
}

// FuzzParseEvent: whatever the text, decoding does not fail on text
// textproto accepts, and finds every header textproto finds, with the
// first value of its name.
func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(hangupText))
	f.Add([]byte("Event-Name: BACKGROUND_JOB\nContent-Length: 4\n\n+OK\n"))
	f.Add([]byte("A: 1\na: 2\nB:3\n\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		e, err := parseEvent(1, text)
		// Continuation lines and CRs are textproto's own business.
		if bytes.Contains(text, []byte("\r")) || bytes.Contains(text, []byte("\n ")) || bytes.Contains(text, []byte("\n\t")) {
			return
		}
		h, terr := textproto.NewReader(bufio.NewReader(bytes.NewReader(text))).ReadMIMEHeader()
		if terr != nil || len(h) == 0 {
			return
		}
		if err != nil && !strings.Contains(err.Error(), "Content-Length") && !strings.Contains(err.Error(), "inner body") {
			t.Fatalf("parseEvent failed where textproto did not: %v", err)
		}
		if err != nil {
			return
		}
		for k, vs := range h {
			if got := e.h.find(k); got < 0 {
				t.Fatalf("header %q (textproto: %q) not found", k, vs[0])
			} else if v := e.h.kv[2*got+1]; v != vs[0] {
				t.Fatalf("header %q = %q, textproto %q", k, v, vs[0])
			}
		}
	})
}

// BenchmarkParseEvent decodes an a-leg CHANNEL_HANGUP_COMPLETE captured
// from FreeSWITCH 1.10.12 (4.5 KB, 72 variables).
func BenchmarkParseEvent(b *testing.B) {
	text, err := os.ReadFile("testdata/channel_hangup_complete.plain")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		e, err := parseEvent(1, text)
		if err != nil {
			b.Fatal(err)
		}
		_ = e.Header("Channel-Name")
	}
}
