package fssim_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
)

// frame is one frame read from the simulator.
type frame struct {
	headers []kv
	body    string
	err     error
}

type kv struct{ k, v string }

func (f frame) get(name string) string {
	for _, h := range f.headers {
		if strings.EqualFold(h.k, name) {
			return h.v
		}
	}
	return ""
}

func (f frame) contentType() string { return f.get("Content-Type") }

// event is a decoded plain event: headers url-decoded once, in order.
type event struct {
	headers []kv
	body    string
	raw     string
}

func (e event) get(name string) string {
	for _, h := range e.headers {
		if h.k == name {
			return h.v
		}
	}
	return ""
}

func (e event) has(name string) bool {
	for _, h := range e.headers {
		if h.k == name {
			return true
		}
	}
	return false
}

func (e event) name() string { return e.get("Event-Name") }

func parsePlainEvent(raw string) (event, error) {
	e := event{raw: raw}
	head, rest, _ := strings.Cut(raw, "\n\n")
	for _, line := range strings.Split(head, "\n") {
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			return e, fmt.Errorf("bad event line %q", line)
		}
		dv, err := url.PathUnescape(v)
		if err != nil {
			return e, fmt.Errorf("bad encoding in %q: %w", line, err)
		}
		if k == "Content-Length" {
			n, _ := strconv.Atoi(v)
			if n > len(rest) {
				return e, fmt.Errorf("short body")
			}
			e.body = rest[:n]
			continue
		}
		e.headers = append(e.headers, kv{k, dv})
	}
	return e, nil
}

// client is a raw ESL client over net.Conn.
type client struct {
	t      *testing.T
	nc     net.Conn
	frames chan frame

	mu     sync.Mutex
	events []event
	others []frame
}

func readFrame(r *bufio.Reader) (frame, error) {
	var f frame
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return f, err
		}
		line = strings.TrimRight(line, "\n")
		if line == "" {
			if len(f.headers) == 0 {
				continue
			}
			break
		}
		k, v, _ := strings.Cut(line, ": ")
		f.headers = append(f.headers, kv{k, v})
	}
	if n, err := strconv.Atoi(f.get("Content-Length")); err == nil && n > 0 {
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return f, err
		}
		f.body = string(b)
	}
	return f, nil
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c := &client{t: t, nc: nc, frames: make(chan frame, 100000)}
	go func() {
		r := bufio.NewReaderSize(nc, 64<<10)
		for {
			f, err := readFrame(r)
			if err != nil {
				c.frames <- frame{err: err}
				close(c.frames)
				return
			}
			c.frames <- f
		}
	}()
	t.Cleanup(func() { _ = nc.Close() })
	f := c.next(2 * time.Second)
	if f.contentType() != "auth/request" {
		t.Fatalf("first frame %v, want auth/request", f.headers)
	}
	return c
}

// connect dials and authenticates with the default password.
func connect(t *testing.T, srv *fssim.Server) *client {
	t.Helper()
	c := dial(t, srv.Addr())
	if got := c.cmd("auth ClueCon"); got != "+OK accepted" {
		t.Fatalf("auth: %q", got)
	}
	return c
}

func (c *client) send(s string) {
	c.t.Helper()
	if _, err := c.nc.Write([]byte(s + "\n\n")); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// next returns the next frame that is not an event (events are stored).
func (c *client) next(timeout time.Duration) frame {
	c.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				return frame{err: io.EOF}
			}
			if f.err != nil {
				return f
			}
			if strings.HasPrefix(f.contentType(), "text/event-") {
				c.store(f)
				continue
			}
			return f
		case <-deadline:
			c.t.Fatalf("no frame within %v", timeout)
			return frame{}
		}
	}
}

func (c *client) store(f frame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f.contentType() != "text/event-plain" {
		c.others = append(c.others, f)
		return
	}
	e, err := parsePlainEvent(f.body)
	if err != nil {
		c.t.Errorf("parse event: %v", err)
		return
	}
	c.events = append(c.events, e)
}

// cmd sends a command and returns its Reply-Text.
func (c *client) cmd(line string) string {
	c.t.Helper()
	c.send(line)
	f := c.next(5 * time.Second)
	if f.err != nil {
		c.t.Fatalf("%s: %v", line, f.err)
	}
	if f.contentType() != "command/reply" {
		c.t.Fatalf("%s: got %s, want command/reply", line, f.contentType())
	}
	return f.get("Reply-Text")
}

// api sends "api <line>" and returns the response body.
func (c *client) api(line string) string {
	c.t.Helper()
	c.send("api " + line)
	f := c.next(10 * time.Second)
	if f.err != nil {
		c.t.Fatalf("api %s: %v", line, f.err)
	}
	if f.contentType() != "api/response" {
		c.t.Fatalf("api %s: got %s, want api/response", line, f.contentType())
	}
	return f.body
}

// pump moves frames that arrived into the event store without blocking.
func (c *client) pump() {
	for {
		select {
		case f, ok := <-c.frames:
			if !ok || f.err != nil {
				return
			}
			if strings.HasPrefix(f.contentType(), "text/event-") {
				c.store(f)
			} else {
				c.mu.Lock()
				c.others = append(c.others, f)
				c.mu.Unlock()
			}
		default:
			return
		}
	}
}

func (c *client) snapshot() []event {
	c.pump()
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]event(nil), c.events...)
}

// waitEvent waits until an event matching pred has arrived.
func (c *client) waitEvent(timeout time.Duration, pred func(event) bool) event {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, e := range c.snapshot() {
			if pred(e) {
				return e
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("event not seen within %v; have %s", timeout, names(c.snapshot()))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// eventsFor returns the names of the events of one channel, in order.
func eventsFor(evs []event, uuid string) []string {
	var out []string
	for _, e := range evs {
		if e.get("Unique-ID") == uuid {
			out = append(out, e.name())
		}
	}
	return out
}

func names(evs []event) string {
	var parts []string
	for _, e := range evs {
		parts = append(parts, e.name())
	}
	return strings.Join(parts, " ")
}

// waitEOF waits until the server closes the connection and returns the
// frames seen before.
func (c *client) waitEOF(timeout time.Duration) ([]frame, error) {
	var seen []frame
	deadline := time.After(timeout)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				return seen, io.EOF
			}
			if f.err != nil {
				return seen, f.err
			}
			seen = append(seen, f)
		case <-deadline:
			return seen, errors.New("connection still open")
		}
	}
}

// start runs a simulator for a test.
func start(t testing.TB, o fssim.Options) *fssim.Server {
	t.Helper()
	srv := fssim.New(o)
	if err := srv.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// waitUntil polls cond.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
