package switchtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The recorder reads the switch's events on a connection of its own, with
// nothing of the dialer's esl package in the way: what it records is what
// the switch did, not what the dialer understood.

// Event is one event as the switch sent it, headers decoded.
type Event struct {
	Headers map[string]string
	Body    string
}

// Name is the Event-Name.
func (e Event) Name() string { return e.Headers["Event-Name"] }

// recordedEvents are the events a recorder subscribes to.
const recordedEvents = "CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_BRIDGE CHANNEL_EXECUTE CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB"

type recorder struct {
	addr, password string

	mu    sync.Mutex
	nc    net.Conn
	chans map[string]*Channel
	order []string
	done  chan struct{}
}

func newRecorder(ctx context.Context, addr, password string) (*recorder, error) {
	r := &recorder{addr: addr, password: password, chans: map[string]*Channel{}}
	return r, r.reconnect(ctx)
}

// reconnect opens the event connection (again, after a restart).
func (r *recorder) reconnect(ctx context.Context) error {
	nc, br, err := dialAuthed(ctx, r.addr, r.password)
	if err != nil {
		return err
	}
	if _, err := command(nc, br, "event plain "+recordedEvents); err != nil {
		nc.Close()
		return err
	}
	r.mu.Lock()
	if r.nc != nil {
		r.nc.Close()
	}
	r.nc = nc
	done := make(chan struct{})
	r.done = done
	r.mu.Unlock()
	go r.read(br, done)
	return nil
}

// read records events until the connection ends.
func (r *recorder) read(br *bufio.Reader, done chan struct{}) {
	defer close(done)
	for {
		hdr, body, err := ReadFrame(br)
		if err != nil {
			return
		}
		if hdr["Content-Type"] != "text/event-plain" {
			continue
		}
		ev := ParseEvent(body)
		r.mu.Lock()
		r.apply(ev)
		r.mu.Unlock()
	}
}

// apply merges one event into its channel's record.
func (r *recorder) apply(ev Event) {
	h := ev.Headers
	id := h["Unique-ID"]
	if id == "" {
		return
	}
	ch, ok := r.chans[id]
	if !ok {
		ch = &Channel{UUID: id, Vars: map[string]string{}, Active: true}
		r.chans[id] = ch
		r.order = append(r.order, id)
	}
	ch.Name = h["Channel-Name"]
	switch {
	case strings.HasSuffix(ch.Name, "-a") && strings.HasPrefix(ch.Name, "loopback/"):
		ch.Leg = "A"
	case strings.HasSuffix(ch.Name, "-b") && strings.HasPrefix(ch.Name, "loopback/"):
		ch.Leg = "B"
	}
	if d := h["Caller-Destination-Number"]; d != "" && ch.Destination == "" {
		ch.Destination = d
	}
	for k, v := range h {
		if name, ok := strings.CutPrefix(k, "variable_"); ok {
			ch.Vars[name] = v
		}
	}
	at := eventTime(h)
	switch ev.Name() {
	case "CHANNEL_CREATE":
		ch.Created = at
	case "CHANNEL_ANSWER":
		ch.Answered = at
	case "CHANNEL_EXECUTE":
		ch.Executed = append(ch.Executed, Execution{App: h["Application"], Data: h["Application-Data"], At: at})
	case "CHANNEL_BRIDGE":
		ch.Bridged = at
		other := h["Other-Leg-Unique-ID"]
		if other == "" || other == id {
			other = h["Bridge-B-Unique-ID"]
		}
		ch.BridgedWith = other
	case "CHANNEL_HANGUP_COMPLETE":
		ch.Hangup = at
		ch.Active = false
		ch.Cause = h["Hangup-Cause"]
		ch.Billsec, _ = strconv.Atoi(h["variable_billsec"])
		if ch.Created.IsZero() {
			ch.Created = microTime(h["Caller-Channel-Created-Time"])
		}
		if ch.Answered.IsZero() {
			ch.Answered = microTime(h["Caller-Channel-Answered-Time"])
		}
		if b := h["variable_last_bridge_to"]; b != "" {
			ch.BridgedWith = b
		}
	}
}

// markRestart ends every channel the switch lost in a restart.
func (r *recorder) markRestart() {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	for _, ch := range r.chans {
		if ch.Active {
			ch.Active = false
			ch.Hangup = now
			ch.Cause = "CRASH"
		}
	}
}

func (r *recorder) channels() []Channel {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Channel, 0, len(r.order))
	for _, id := range r.order {
		ch := *r.chans[id]
		vars := make(map[string]string, len(ch.Vars))
		for k, v := range ch.Vars {
			vars[k] = v
		}
		ch.Vars = vars
		ch.Executed = append([]Execution(nil), ch.Executed...)
		out = append(out, ch)
	}
	return out
}

func (r *recorder) close() {
	r.mu.Lock()
	nc, done := r.nc, r.done
	r.nc = nil
	r.mu.Unlock()
	if nc != nil {
		nc.Close()
		<-done
	}
}

func eventTime(h map[string]string) time.Time {
	return microTime(h["Event-Date-Timestamp"])
}

func microTime(s string) time.Time {
	us, err := strconv.ParseInt(s, 10, 64)
	if err != nil || us <= 0 {
		return time.Time{}
	}
	return time.UnixMicro(us)
}

// dialAuthed connects and authenticates.
func dialAuthed(ctx context.Context, addr, password string) (net.Conn, *bufio.Reader, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	br := bufio.NewReaderSize(nc, 64<<10)
	hdr, _, err := ReadFrame(br)
	if err != nil || hdr["Content-Type"] != "auth/request" {
		nc.Close()
		return nil, nil, fmt.Errorf("no auth/request from %s: %v", addr, err)
	}
	if reply, err := command(nc, br, "auth "+password); err != nil || !strings.HasPrefix(reply, "+OK") {
		nc.Close()
		return nil, nil, fmt.Errorf("auth at %s: %q %v", addr, reply, err)
	}
	_ = nc.SetDeadline(time.Time{})
	return nc, br, nil
}

// command sends one single-line command and returns its Reply-Text.
func command(nc net.Conn, br *bufio.Reader, line string) (string, error) {
	if _, err := io.WriteString(nc, line+"\n\n"); err != nil {
		return "", err
	}
	for {
		hdr, _, err := ReadFrame(br)
		if err != nil {
			return "", err
		}
		if hdr["Content-Type"] == "command/reply" {
			return hdr["Reply-Text"], nil
		}
	}
}

// API runs one api command on a connection of its own and returns its
// output.
func API(ctx context.Context, b Backend, cmd string) (string, error) {
	return apiAt(ctx, b.Addr(), b.Password(), cmd)
}

func apiAt(ctx context.Context, addr, password, cmd string) (string, error) {
	nc, br, err := dialAuthed(ctx, addr, password)
	if err != nil {
		return "", err
	}
	defer nc.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	if _, err := io.WriteString(nc, "api "+cmd+"\n\n"); err != nil {
		return "", err
	}
	for {
		hdr, body, err := ReadFrame(br)
		if err != nil {
			return "", fmt.Errorf("api %s: %w", cmd, err)
		}
		if hdr["Content-Type"] == "api/response" {
			return body, nil
		}
	}
}

// ReadFrame reads one frame a switch sent: LF-ended header lines, a
// blank line, and Content-Length bytes of body.
func ReadFrame(br *bufio.Reader) (map[string]string, string, error) {
	hdr := map[string]string{}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, "", err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if len(hdr) == 0 {
				continue
			}
			break
		}
		k, v, _ := strings.Cut(line, ":")
		hdr[k] = strings.TrimSpace(v)
	}
	n, _ := strconv.Atoi(hdr["Content-Length"])
	if n <= 0 {
		return hdr, "", nil
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(br, body); err != nil {
		return nil, "", err
	}
	return hdr, string(body), nil
}

// ParseEvent decodes a text/event-plain body.
func ParseEvent(raw string) Event {
	head, body, _ := strings.Cut(raw, "\n\n")
	ev := Event{Headers: map[string]string{}, Body: body}
	for _, line := range strings.Split(head, "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		if dv, err := url.PathUnescape(v); err == nil {
			v = dv
		}
		ev.Headers[k] = v
	}
	return ev
}
