package fssim_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
)

func TestServer_Faults(t *testing.T) {
	t.Run("drop keeps calls", func(t *testing.T) {
		srv := start(t, fssim.Options{Speed: 50, Scenario: scenario(t, ivrScenario)})
		c := connect(t, srv)
		c.cmd("event plain ALL")
		id := upCall(t, c, "", "sofia/gateway/gw/up-1")
		srv.DropConnections(false)
		frames, err := c.waitEOF(2 * time.Second)
		if err == nil {
			t.Fatal("connection still open")
		}
		for _, f := range frames {
			if f.contentType() == "text/disconnect-notice" {
				t.Fatal("a dropped connection got a disconnect notice")
			}
		}
		c2 := connect(t, srv)
		if got := c2.api("uuid_exists " + id); got != "true" {
			t.Fatalf("call did not survive the dropped socket: %q", got)
		}
	})

	t.Run("drop mid-frame", func(t *testing.T) {
		srv := start(t, fssim.Options{})
		nc, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		_, _ = nc.Write([]byte("auth ClueCon\n\n"))
		r := bufio.NewReader(nc)
		for i := 0; i < 2; i++ {
			if _, err := readFrame(r); err != nil {
				t.Fatal(err)
			}
		}
		srv.DropConnections(true)
		_ = nc.SetReadDeadline(time.Now().Add(2 * time.Second))
		rest, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		f, err := readFrame(bufio.NewReader(strings.NewReader(string(rest))))
		if len(rest) == 0 || !errors.Is(err, io.ErrUnexpectedEOF) && err != io.EOF {
			t.Fatalf("want a truncated frame, got %d bytes %q (frame %v, err %v)", len(rest), rest, f.headers, err)
		}
		if cl := f.get("Content-Length"); cl != "" {
			if n, _ := strconv.Atoi(cl); n <= len(f.body) {
				t.Fatalf("frame is complete: %q", rest)
			}
		}
	})

	t.Run("restart makes calls vanish", func(t *testing.T) {
		srv := start(t, fssim.Options{Speed: 50, Scenario: scenario(t, ivrScenario)})
		c := connect(t, srv)
		c.cmd("event plain ALL")
		id := upCall(t, c, "", "loopback/up-1/dialer_lab")
		core := c.waitEvent(time.Second, func(e event) bool { return e.name() == "CHANNEL_ANSWER" }).get("Core-UUID")
		srv.Restart()
		if _, err := c.waitEOF(2 * time.Second); err == nil {
			t.Fatal("connection survived the restart")
		}
		for _, e := range c.snapshot() {
			if e.name() == "CHANNEL_HANGUP" {
				t.Fatal("a vanished call fired CHANNEL_HANGUP")
			}
		}
		c2 := connect(t, srv)
		c2.cmd("event plain ALL")
		if got := c2.api("uuid_exists " + id); got != "false" {
			t.Errorf("uuid_exists after restart: %q", got)
		}
		if got := c2.api("show channels as json"); got != "{\"row_count\": 0}\n" {
			t.Errorf("show channels after restart: %q", got)
		}
		time.Sleep(30 * time.Millisecond)
		c2.api("originate sofia/gateway/gw/up-2 &park()")
		e := c2.waitEvent(time.Second, func(e event) bool { return e.name() == "CHANNEL_CREATE" })
		if e.get("Core-UUID") == core {
			t.Errorf("Core-UUID unchanged by the restart")
		}
		if seq, _ := strconv.Atoi(e.get("Event-Sequence")); seq > 10 {
			t.Errorf("Event-Sequence %d not reset", seq)
		}
		rec, ok := srv.Call(id)
		if !ok || !rec.Vanished || rec.Active || !rec.Hangup.IsZero() {
			t.Errorf("record after restart %+v", rec)
		}
	})

	t.Run("silent", func(t *testing.T) {
		srv := start(t, fssim.Options{Speed: 50, Scenario: scenario(t, ivrScenario)})
		c := connect(t, srv)
		c.cmd("event plain ALL")
		srv.SetSilent(true)
		c.send("api status")
		c.send("bgapi originate sofia/gateway/gw/fail-1 &park()")
		select {
		case f := <-c.frames:
			t.Fatalf("silent switch sent %v", f.headers)
		case <-time.After(150 * time.Millisecond):
		}
		srv.SetSilent(false)
		f := c.next(time.Second)
		if f.contentType() != "api/response" || !strings.HasPrefix(f.body, "UP ") {
			t.Fatalf("held reply %v %q", f.headers, f.body)
		}
		if f := c.next(time.Second); f.contentType() != "command/reply" {
			t.Fatalf("second held reply %v", f.headers)
		}
		time.Sleep(50 * time.Millisecond)
		if n := len(c.snapshot()); n != 0 {
			t.Errorf("%d events of the silent period were delivered", n)
		}
	})

	t.Run("event delay", func(t *testing.T) {
		srv := start(t, fssim.Options{Speed: 50, Scenario: scenario(t, ivrScenario)})
		c := connect(t, srv)
		c.cmd("event plain BACKGROUND_JOB")
		srv.SetEventDelay(200 * time.Millisecond)
		begin := time.Now()
		job := bgOriginate(t, c, "sofia/gateway/gw/fail-1 &park()")
		if el := time.Since(begin); el > 100*time.Millisecond {
			t.Errorf("command reply delayed by %v", el)
		}
		c.waitEvent(2*time.Second, func(e event) bool { return e.get("Job-UUID") == job })
		if el := time.Since(begin); el < 200*time.Millisecond {
			t.Errorf("event after %v, want at least 200ms", el)
		}
	})

	t.Run("reorder", func(t *testing.T) {
		srv := start(t, fssim.Options{Speed: 50, Scenario: scenario(t, ivrScenario)})
		c := connect(t, srv)
		c.cmd("event plain ALL")
		srv.SetReorderWindow(10)
		for i := 0; i < 20; i++ {
			bgOriginate(t, c, "sofia/gateway/gw/fail-1 &park()")
		}
		waitUntil(t, 2*time.Second, "all events", func() bool { return eventNames(c.snapshot())["BACKGROUND_JOB"] == 20 })
		evs := c.snapshot()
		seen := map[int]bool{}
		swaps := 0
		last := 0
		for _, e := range evs {
			n, _ := strconv.Atoi(e.get("Event-Sequence"))
			if seen[n] {
				t.Fatalf("event %d delivered twice", n)
			}
			seen[n] = true
			if n < last {
				swaps++
			}
			last = n
		}
		if swaps == 0 {
			t.Errorf("no event out of Event-Sequence order in %d events", len(evs))
		}
	})

	t.Run("fail next", func(t *testing.T) {
		srv := start(t, fssim.Options{})
		c := connect(t, srv)
		srv.FailNext(2, "-ERR simulated failure")
		if got := c.api("status"); got != "-ERR simulated failure" {
			t.Errorf("api: %q", got)
		}
		if got := c.cmd("bgapi status"); got != "-ERR simulated failure" {
			t.Errorf("bgapi: %q", got)
		}
		if got := c.api("uuid_exists x"); got != "false" {
			t.Errorf("third command still failing: %q", got)
		}
	})

	t.Run("log data", func(t *testing.T) {
		srv := start(t, fssim.Options{})
		c := connect(t, srv)
		srv.SendLogData()
		f := c.next(time.Second)
		if f.contentType() != "log/data" || f.get("Log-Level") != "7" || !strings.Contains(f.body, "[DEBUG]") ||
			f.get("Content-Length") != strconv.Itoa(len(f.body)) {
			t.Fatalf("log frame %v %q", f.headers, f.body)
		}
		if got := c.api("uuid_exists x"); got != "false" {
			t.Errorf("after log/data: %q", got)
		}
	})

	t.Run("disconnect notice", func(t *testing.T) {
		srv := start(t, fssim.Options{})
		c := connect(t, srv)
		srv.SendDisconnectNotice()
		frames, err := c.waitEOF(2 * time.Second)
		if err == nil || len(frames) != 1 || frames[0].contentType() != "text/disconnect-notice" ||
			frames[0].body != "The system is being shut down.\n" {
			t.Fatalf("frames %v err %v", frames, err)
		}
	})
}

// TestServer_EventQueueOverflow checks FreeSWITCH's listener limit: a
// client that stops reading loses its connection, without a notice, once
// the queue is full and more than 500 further events were lost.
func TestServer_EventQueueOverflow(t *testing.T) {
	srv := start(t, fssim.Options{Speed: 50, Scenario: scenario(t, ivrScenario), QueueLimit: 20})
	nc, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_, _ = nc.Write([]byte("auth ClueCon\n\nevent plain ALL\n\n"))
	ctl := connect(t, srv)
	for i := 0; i < 1500; i++ {
		ctl.send("bgapi originate sofia/gateway/gw/fail-1 &park()")
	}
	waitUntil(t, 10*time.Second, "originates", func() bool { return len(srv.Originates()) == 1500 })
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	data, err := io.ReadAll(nc)
	if err != nil {
		t.Fatalf("connection not closed by the server: %v", err)
	}
	if strings.Contains(string(data), "text/disconnect-notice") {
		t.Errorf("overflowing listener got a disconnect notice")
	}
	if got := connect(t, srv).api("uuid_exists x"); got != "false" {
		t.Errorf("server unusable after killing a listener: %q", got)
	}
}

// TestServer_APIBlocksEvents checks that while "api originate" waits for
// the answer the connection gets no events, as in mod_event_socket.
func TestServer_APIBlocksEvents(t *testing.T) {
	sc := scenario(t, "rules:\n  - glob: slow\n    ring: 3s\n    answer: true\n    stay: true\n  - glob: fast\n    cause: USER_BUSY\n")
	srv := start(t, fssim.Options{Speed: 20, Scenario: sc})
	nc, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	r := bufio.NewReader(nc)
	_, _ = nc.Write([]byte("auth ClueCon\n\nevent plain CHANNEL_HANGUP_COMPLETE\n\n"))
	for i := 0; i < 3; i++ {
		if _, err := readFrame(r); err != nil {
			t.Fatal(err)
		}
	}
	ctl := connect(t, srv)
	_, _ = nc.Write([]byte("api originate sofia/gateway/gw/slow &park()\n\n"))
	time.Sleep(20 * time.Millisecond)
	ctl.api("originate sofia/gateway/gw/fast &park()")
	_ = nc.SetReadDeadline(time.Now().Add(3 * time.Second))
	first, err := readFrame(r)
	if err != nil {
		t.Fatal(err)
	}
	if first.contentType() != "api/response" || !strings.HasPrefix(first.body, "+OK ") {
		t.Fatalf("first frame after api originate: %v %q", first.headers, first.body)
	}
	next, err := readFrame(r)
	if err != nil || next.contentType() != "text/event-plain" || !strings.Contains(next.body, "USER_BUSY") {
		t.Fatalf("held event %v %v", next.headers, err)
	}
}

func TestServer_ClockAndHeartbeat(t *testing.T) {
	startAt := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := start(t, fssim.Options{Speed: 100, StartTime: startAt, HeartbeatInterval: time.Second, Location: time.UTC})
	c := connect(t, srv)
	c.cmd("event plain HEARTBEAT")
	wall := time.Now()
	time.Sleep(50 * time.Millisecond)
	sim := srv.Now().Sub(startAt)
	if el := time.Since(wall); sim < 100*(50*time.Millisecond) || sim > 100*(el+100*time.Millisecond) {
		t.Errorf("scenario time advanced %v in %v of wall time at speed 100", sim, el)
	}
	waitUntil(t, 2*time.Second, "heartbeats", func() bool { return eventNames(c.snapshot())["HEARTBEAT"] >= 3 })
	var prev int64
	for i, e := range c.snapshot() {
		ts, _ := strconv.ParseInt(e.get("Event-Date-Timestamp"), 10, 64)
		if i > 0 && time.Duration(ts-prev)*time.Microsecond != time.Second {
			t.Errorf("heartbeats %v apart in scenario time", time.Duration(ts-prev)*time.Microsecond)
		}
		prev = ts
		if !strings.HasPrefix(e.get("Event-Date-Local"), "2030-01-02 03:0") || e.get("Session-Count") != "0" ||
			!strings.HasPrefix(e.get("Up-Time"), "0 years, 0 days, 0 hours, 0 minutes, ") {
			t.Errorf("heartbeat %v", e.headers)
		}
	}
}
