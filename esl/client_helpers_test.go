package esl_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl"
	"github.com/fsdialer/dialer/esl/fssim"
)

// testLogger discards logs unless ESL_TEST_LOG is set (debug, info, warn).
func testLogger() *slog.Logger {
	var level slog.Level
	switch os.Getenv("ESL_TEST_LOG") {
	case "":
		return slog.New(slog.DiscardHandler)
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	default:
		level = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// startSim starts a simulator on 127.0.0.1 with fast heartbeats; it is
// closed when the test ends.
func startSim(t testing.TB, o fssim.Options) *fssim.Server {
	t.Helper()
	if o.Speed == 0 {
		o.Speed = 10
	}
	if o.Logger == nil {
		o.Logger = testLogger()
	}
	srv := fssim.New(o)
	if err := srv.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// testConfig is a configuration with short timeouts for tests.
func testConfig(addr string) esl.Config {
	return esl.Config{
		Addr:             addr,
		Logger:           testLogger(),
		DialTimeout:      time.Second,
		AuthTimeout:      time.Second,
		CommandTimeout:   3 * time.Second,
		ProbeInterval:    500 * time.Millisecond,
		ProbeTimeout:     500 * time.Millisecond,
		HeartbeatTimeout: 5 * time.Second,
		BackoffMin:       5 * time.Millisecond,
		BackoffMax:       100 * time.Millisecond,
	}
}

// runClient starts Run for cfg; Close and the end of Run are checked when
// the test ends.
func runClient(t testing.TB, cfg esl.Config) *esl.Client {
	t.Helper()
	cl, err := esl.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cl.Run(context.Background()) }()
	t.Cleanup(func() {
		start := time.Now()
		_ = cl.Close()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Close took %v", d)
		}
	})
	return cl
}

// connected starts a client and waits until it is subscribed.
func connected(t testing.TB, cfg esl.Config) *esl.Client {
	t.Helper()
	cl := runClient(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := cl.WaitConnected(ctx); err != nil {
		st, lastErr := cl.State()
		t.Fatalf("WaitConnected: %v (state %v, last error %v)", err, st, lastErr)
	}
	return cl
}

func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// nextMarker reads events until a connection marker of kind arrives.
func nextMarker(t testing.TB, cl *esl.Client, kind esl.EventKind, within time.Duration) esl.Event {
	t.Helper()
	ctx := ctxFor(t, within)
	for {
		e, err := cl.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %v marker: %v", kind, err)
		}
		if e.Kind == kind {
			return e
		}
	}
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// settleGoroutines waits until the goroutine count is at most limit.
func settleGoroutines(limit int, within time.Duration) int {
	deadline := time.Now().Add(within)
	n := runtime.NumGoroutine()
	for n > limit && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

// fakeFS is a minimal mod_event_socket for the few faults the simulator
// does not model (an ACL's rude rejection, header names textproto refuses,
// replaying captured bytes, raw event bursts). Each accepted connection runs
// script.
type fakeFS struct {
	ln     net.Listener
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
	closed bool
}

func newFakeFS(t testing.TB, script func(s *fakeSession)) *fakeFS {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeFS{ln: ln}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			if f.closed {
				f.mu.Unlock()
				_ = c.Close()
				return
			}
			f.conns = append(f.conns, c)
			f.wg.Add(1)
			f.mu.Unlock()
			go func() {
				defer f.wg.Done()
				defer c.Close()
				script(&fakeSession{c: c, r: bufio.NewReader(c)})
			}()
		}
	}()
	t.Cleanup(f.close)
	return f
}

func (f *fakeFS) addr() string { return f.ln.Addr().String() }

func (f *fakeFS) close() {
	f.mu.Lock()
	f.closed = true
	conns := f.conns
	f.mu.Unlock()
	_ = f.ln.Close()
	for _, c := range conns {
		_ = c.Close()
	}
	f.wg.Wait()
}

type fakeSession struct {
	c  net.Conn
	r  *bufio.Reader
	mu sync.Mutex // whole frames only, from any goroutine
}

func (s *fakeSession) send(frames ...[]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range frames {
		if _, err := s.c.Write(f); err != nil {
			return err
		}
	}
	return nil
}

// command reads one client command: its first line and its headers.
func (s *fakeSession) command() (string, map[string]string, error) {
	var first string
	headers := map[string]string{}
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return first, headers, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if first == "" {
				continue
			}
			return first, headers, nil
		}
		if first == "" {
			first = line
			continue
		}
		if k, v, ok := strings.Cut(line, ": "); ok {
			headers[k] = v
		}
	}
}

// auth performs the auth handshake for password.
func (s *fakeSession) auth(password string) bool {
	if s.send([]byte("Content-Type: auth/request\n\n")) != nil {
		return false
	}
	cmd, _, err := s.command()
	if err != nil {
		return false
	}
	if cmd != "auth "+password {
		_ = s.send(reply("-ERR invalid"))
		return false
	}
	return s.send(reply("+OK accepted")) == nil
}

// serve answers commands until the connection ends: subscriptions and
// bgapi like FreeSWITCH, "api status" with an uptime line, other api with
// "-ERR <name> Command not found!". onCommand, when set, runs first and
// may answer itself by returning true.
func (s *fakeSession) serve(onCommand func(line string, headers map[string]string) bool) {
	for {
		line, headers, err := s.command()
		if err != nil {
			return
		}
		if onCommand != nil && onCommand(line, headers) {
			continue
		}
		switch {
		case strings.HasPrefix(line, "event "):
			err = s.send(reply("+OK event listener enabled plain"))
		case line == "api status":
			err = s.send(apiResponse("UP 0 years, 0 days\nFreeSWITCH (fake) is ready\n"))
		case strings.HasPrefix(line, "api "):
			name, _, _ := strings.Cut(strings.TrimPrefix(line, "api "), " ")
			err = s.send(apiResponse("-ERR " + name + " Command not found!\n"))
		case strings.HasPrefix(line, "bgapi "):
			err = s.send(reply("+OK Job-UUID: "+headers["Job-UUID"], "Job-UUID: "+headers["Job-UUID"]))
		case line == "exit":
			_ = s.send(reply("+OK bye"))
			return
		default:
			err = s.send(reply("-ERR command not found"))
		}
		if err != nil {
			return
		}
	}
}

func reply(text string, extra ...string) []byte {
	var b strings.Builder
	b.WriteString("Content-Type: command/reply\nReply-Text: " + text + "\n")
	for _, h := range extra {
		b.WriteString(h + "\n")
	}
	b.WriteString("\n")
	return []byte(b.String())
}

func apiResponse(body string) []byte {
	return []byte(fmt.Sprintf("Content-Type: api/response\nContent-Length: %d\n\n%s", len(body), body))
}

// plainEvent serialises headers as switch_event_serialize does (values
// URL-encoded, an existing upper-case %XX left alone) inside a
// text/event-plain frame.
func plainEvent(headers [][2]string, body string) []byte {
	var b strings.Builder
	for _, h := range headers {
		b.WriteString(h[0] + ": " + fsEncode(h[1]) + "\n")
	}
	if body != "" {
		fmt.Fprintf(&b, "Content-Length: %d\n\n%s", len(body), body)
	} else {
		b.WriteString("\n")
	}
	inner := b.String()
	return []byte(fmt.Sprintf("Content-Length: %d\nContent-Type: text/event-plain\n\n%s", len(inner), inner))
}

func fsEncode(s string) string {
	if s == "" {
		return "_undef_"
	}
	const unsafe = "\r\n #%&+:;<=>?@[\\]^`{|}\""
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && strings.IndexByte(hex, s[i+1]) >= 0 && strings.IndexByte(hex, s[i+2]) >= 0 {
			b.WriteByte(c)
			continue
		}
		if c < ' ' || c > '~' || strings.IndexByte(unsafe, c) >= 0 {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// readUntilEOF reports whether the peer closed the connection within d.
func (s *fakeSession) readUntilEOF(d time.Duration) bool {
	_ = s.c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, s.r)
	var ne net.Error
	return err == nil || !(errors.As(err, &ne) && ne.Timeout())
}
