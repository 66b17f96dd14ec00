package esl_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl"
)

// burst is a pre-rendered run of plain events, cut into chunks of whole
// frames so that replies can be written between chunks.
type burst struct {
	chunks [][]byte
	events int
}

// newBurst renders n CHANNEL_PROGRESS events with Event-Sequence 1..n.
func newBurst(n int) *burst {
	b := &burst{events: n}
	var chunk []byte
	for i := 1; i <= n; i++ {
		inner := fmt.Sprintf("Event-Name: CHANNEL_PROGRESS\nCore-UUID: a7b1aa15-99b5-4201-8e6b-c157b44ab66f\n"+
			"FreeSWITCH-Hostname: fs1\nEvent-Date-Timestamp: 1795288748667819\nEvent-Sequence: %d\n"+
			"Channel-State: CS_CONSUME_MEDIA\nChannel-Name: loopback/answer-2-a\n"+
			"Unique-ID: c593dd26-5164-49db-91b2-%012d\nCall-Direction: outbound\nAnswer-State: ringing\n"+
			"variable_dialer_campaign_id: 42\n\n", i, i%1000)
		chunk = append(chunk, rawEvent(inner)...)
		if len(chunk) >= 64<<10 || i == n {
			b.chunks = append(b.chunks, chunk)
			chunk = nil
		}
	}
	return b
}

// burstServer answers commands like FreeSWITCH and, once the first
// connection subscribes, writes the burst `times` times while still
// answering commands between chunks.
func burstServer(t testing.TB, b *burst, times int) *fakeFS {
	var conns atomic.Int32
	return newFakeFS(t, func(s *fakeSession) {
		if !s.auth("ClueCon") {
			return
		}
		first := conns.Add(1) == 1
		var wg sync.WaitGroup
		defer wg.Wait()
		s.serve(func(line string, _ map[string]string) bool {
			if !strings.HasPrefix(line, "event ") {
				return false
			}
			_ = s.send(reply("+OK event listener enabled plain"))
			if first {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range times {
						for _, c := range b.chunks {
							if s.send(c) != nil {
								return
							}
						}
					}
				}()
			}
			return true
		})
	})
}

// TestClient_EventBurst: eslgo starts a goroutine per event (defect 1) and a
// blocking listener leaks one per event (defect 2: 20,000 events, 20,000
// goroutines). The client's listener never blocks; a blocked consumer
// fills the bounded queue, after which the connection is dropped and the
// losses counted, and the client reconnects once the consumer catches up.
func TestClient_EventBurst(t *testing.T) {
	const n = 100_000
	b := newBurst(n)

	t.Run("blocked consumer", func(t *testing.T) {
		const limit = 10_000
		base := runtime.NumGoroutine()
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)

		f := burstServer(t, b, 1)
		cfg := testConfig(f.addr())
		cfg.QueueLimit = limit
		cfg.ProbeTimeout = 2 * time.Second
		cl := connected(t, cfg)

		var peak atomic.Int64
		sampling, stopSampling := context.WithCancel(context.Background())
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			for sampling.Err() == nil {
				if g := int64(runtime.NumGoroutine()); g > peak.Load() {
					peak.Store(g)
				}
				time.Sleep(time.Millisecond)
			}
		}()
		waitFor(t, 20*time.Second, "the queue to overflow", func() bool { return cl.Stats().Dropped > 0 })
		waitFor(t, 5*time.Second, "the connection to be dropped", func() bool { return cl.Stats().State != esl.StateConnected })
		after := settleGoroutines(base+20, 5*time.Second)
		stopSampling()
		<-sampled

		st := cl.Stats()
		if st.Backlog > limit+2 { // + the two connection markers
			t.Errorf("backlog %d over the limit %d", st.Backlog, limit)
		}
		if after > base+20 {
			t.Errorf("goroutines: %d before, %d after the burst", base, after)
		}
		var mem runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&mem)
		grown := int64(mem.HeapAlloc) - int64(before.HeapAlloc)
		if grown > 64<<20 {
			t.Errorf("heap grew by %d MiB with a backlog of %d", grown>>20, st.Backlog)
		}
		// The consumer is still blocked: no reconnect yet.
		time.Sleep(300 * time.Millisecond)
		if st := cl.Stats(); st.Conn != 1 || st.State == esl.StateConnected {
			t.Errorf("reconnected while the consumer is blocked: %+v", st)
		}
		t.Logf("backlog %d, dropped %d; goroutines %d before, peak %d, %d after; heap +%d KiB",
			st.Backlog, st.Dropped, base, peak.Load(), after, grown>>10)

		// The consumer catches up: gap marker with the overflow, then a
		// new connection to reconcile from.
		ctx := ctxFor(t, 20*time.Second)
		got := 0
		for {
			e, err := cl.Next(ctx)
			if err != nil {
				t.Fatalf("draining after %d events: %v", got, err)
			}
			if e.Kind == esl.KindSwitch {
				got++
			}
			if e.Kind == esl.KindDisconnected && !errors.Is(e.Err, esl.ErrOverflow) {
				t.Errorf("disconnect cause %v, want ErrOverflow", e.Err)
			}
			if e.Kind == esl.KindConnected && e.Conn == 2 {
				break
			}
		}
		if got < limit/2 {
			t.Errorf("only %d events drained before the reconnect", got)
		}
	})

	t.Run("reading consumer", func(t *testing.T) {
		const n = 30_000
		b := newBurst(n)
		f := burstServer(t, b, 1)
		cfg := testConfig(f.addr())
		cfg.ProbeTimeout = 5 * time.Second
		cl := connected(t, cfg)
		ctx := ctxFor(t, 60*time.Second)
		seen := make([]bool, n+1)
		got, outOfOrder := 0, 0
		var last uint64
		start := time.Now()
		for got < n {
			e, err := cl.Next(ctx)
			if err != nil {
				t.Fatalf("after %d events: %v", got, err)
			}
			if e.Kind != esl.KindSwitch {
				continue
			}
			if e.Seq == 0 || e.Seq > n || seen[e.Seq] {
				t.Fatalf("event with Event-Sequence %d (duplicate or out of range)", e.Seq)
			}
			if e.Seq < last {
				outOfOrder++
			}
			last = e.Seq
			seen[e.Seq] = true
			got++
		}
		elapsed := time.Since(start)
		if st := cl.Stats(); st.Dropped != 0 || st.Reconnects != 0 {
			t.Errorf("stats %+v", st)
		}
		t.Logf("%d events in %v (%.0f/s), %d delivered out of Event-Sequence order", n, elapsed.Round(time.Millisecond),
			float64(n)/elapsed.Seconds(), outOfOrder)
	})
}

// TestEvent_Decoding: values are URL-decoded exactly once, "_undef_" is
// empty, bodies arrive whole, a malformed escape keeps its text (eslgo
// returns ""), and header names Go's textproto refuses no longer make the
// event vanish (defect 11).
func TestEvent_Decoding(t *testing.T) {
	job := "+OK 7f4de4bc-17d7-11dd-b7a0-db4edd065621\n"
	events := [][]byte{
		plainEvent([][2]string{
			{"Event-Name", "CHANNEL_ANSWER"},
			{"Event-Sequence", "1"},
			{"Unique-ID", "u-enc"},
			{"Caller-Caller-ID-Name", "Ivan Петров, \"VIP\""},
			{"variable_dialer_campaign_id", "camp 42,x=1|y"},
			{"variable_pct", "100%"},
			{"variable_multi", "line1\nline2"},
			{"variable_empty", ""},
			{"variable_sip_h_X-Foo", "bar"},
		}, ""),
		// Built by hand: a malformed escape and odd header names.
		rawEvent("Event-Name: CUSTOM\nEvent-Subclass: avmd%3A%3Abeep\nEvent-Sequence: 2\nUnique-ID: u-odd\n" +
			"variable_bad: 50%zz\nvariable_my var: spaced\nvariable_a/b: slashed\nvariable_user@dom: at\n\n"),
		// A JSON event (never subscribed; eslgo cannot decode it: defect
		// 12) is kept from eslgo and counted.
		jsonEvent(`{"Event-Name":"CHANNEL_HANGUP","Unique-ID":"u-json","Event-Sequence":"9"}`),
		plainEvent([][2]string{
			{"Event-Name", "BACKGROUND_JOB"},
			{"Event-Sequence", "3"},
			{"Job-UUID", "job-1"},
			{"Job-Command", "originate"},
			{"Job-Command-Arg", "{origination_uuid=abc}sofia/gateway/gw/100 &park()"},
		}, job),
	}
	f := newFakeFS(t, func(s *fakeSession) {
		if !s.auth("ClueCon") {
			return
		}
		s.serve(func(line string, _ map[string]string) bool {
			if !strings.HasPrefix(line, "event ") {
				return false
			}
			_ = s.send(append([][]byte{reply("+OK event listener enabled plain")}, events...)...)
			return true
		})
	})
	cl := connected(t, testConfig(f.addr()))
	ctx := ctxFor(t, 5*time.Second)
	// The events follow the subscription's reply at once; the marker
	// still comes first.
	if e, err := cl.Next(ctx); err != nil || e.Kind != esl.KindConnected {
		t.Fatalf("first item %+v, %v; want the KindConnected marker", e, err)
	}
	got := map[uint64]esl.Event{}
	for len(got) < len(events)-1 {
		e, err := cl.Next(ctx)
		if err != nil {
			t.Fatalf("got %d of %d events: %v", len(got), len(events), err)
		}
		if e.Kind == esl.KindSwitch {
			got[e.Seq] = e
		}
	}
	tests := []struct {
		seq       uint64
		get, want string
		value     func(esl.Event) string
	}{
		{1, "Event-Name", "CHANNEL_ANSWER", func(e esl.Event) string { return e.Name }},
		{1, "Unique-ID", "u-enc", func(e esl.Event) string { return e.UniqueID }},
		{1, "UTF-8, comma, quotes", "Ivan Петров, \"VIP\"", func(e esl.Event) string { return e.Header("Caller-Caller-ID-Name") }},
		{1, "reserved characters", "camp 42,x=1|y", func(e esl.Event) string { return e.Var("dialer_campaign_id") }},
		{1, "percent", "100%", func(e esl.Event) string { return e.Var("pct") }},
		{1, "newline", "line1\nline2", func(e esl.Event) string { return e.Var("multi") }},
		{1, "_undef_", "", func(e esl.Event) string { return e.Var("empty") }},
		{1, "_undef_ present", "true", func(e esl.Event) string { return fmt.Sprint(e.Has("variable_empty")) }},
		{1, "mixed-case variable", "bar", func(e esl.Event) string { return e.Var("sip_h_X-Foo") }},
		{2, "subclass", "avmd::beep", func(e esl.Event) string { return e.Subclass }},
		{2, "malformed escape kept", "50%zz", func(e esl.Event) string { return e.Var("bad") }},
		{2, "name with a space", "spaced", func(e esl.Event) string { return e.Var("my var") }},
		{2, "name with a slash", "slashed", func(e esl.Event) string { return e.Var("a/b") }},
		{2, "name with @", "at", func(e esl.Event) string { return e.Var("user@dom") }},
		{3, "Job-UUID", "job-1", func(e esl.Event) string { return e.JobUUID }},
		{3, "body", job, func(e esl.Event) string { return e.Body }},
		{3, "Job-Command-Arg", "{origination_uuid=abc}sofia/gateway/gw/100 &park()", func(e esl.Event) string { return e.Header("Job-Command-Arg") }},
	}
	for _, tt := range tests {
		t.Run(tt.get, func(t *testing.T) {
			e, ok := got[tt.seq]
			if !ok {
				t.Fatalf("event %d missing", tt.seq)
			}
			if v := tt.value(e); v != tt.want {
				t.Errorf("got %q, want %q", v, tt.want)
			}
		})
	}
	if h := got[2].Headers(); h["Variable_my var"] != "spaced" {
		t.Errorf("Headers() = %v", h)
	}
	if _, ok := got[9]; ok {
		t.Error("the JSON event was delivered")
	}
	if st := cl.Stats(); st.Discarded != 1 {
		t.Errorf("discarded frames = %d, want 1", st.Discarded)
	}
}

func jsonEvent(body string) []byte {
	return []byte(fmt.Sprintf("Content-Length: %d\nContent-Type: text/event-json\n\n%s", len(body), body))
}

func rawEvent(inner string) []byte {
	return []byte(fmt.Sprintf("Content-Length: %d\nContent-Type: text/event-plain\n\n%s", len(inner), inner))
}

func TestNewEvent(t *testing.T) {
	e := esl.NewEvent(map[string]string{
		"Event-Name": "CHANNEL_HANGUP_COMPLETE", "Unique-ID": "u1", "Event-Sequence": "77",
		"variable_dialer_note": "50% off, %41", "variable_hangup_cause": "NORMAL_CLEARING",
	}, "")
	tests := []struct{ got, want string }{
		{e.Name, "CHANNEL_HANGUP_COMPLETE"},
		{e.UniqueID, "u1"},
		{fmt.Sprint(e.Seq), "77"},
		{e.Var("dialer_note"), "50% off, %41"},
		{e.Header("variable_hangup_cause"), "NORMAL_CLEARING"},
		{e.Header("Missing"), ""},
		{e.Kind.String(), "switch"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}
