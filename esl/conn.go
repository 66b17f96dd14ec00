package esl

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/percipia/eslgo"
	"github.com/percipia/eslgo/command"
)

// Content types of server frames (mod_event_socket.c).
const (
	ctAuthRequest   = "auth/request"
	ctReply         = "command/reply"
	ctAPIResponse   = "api/response"
	ctEventPlain    = "text/event-plain"
	ctDisconnect    = "text/disconnect-notice"
	ctRudeRejection = "text/rude-rejection"
)

// Limits and grace periods of one connection.
const (
	guardBufSize     = 64 << 10
	maxFrameHeader   = 1 << 20  // an outer header is a few short lines
	maxFrameBody     = 64 << 20 // FreeSWITCH caps client bodies at 16 MiB; events can be larger
	eslExitTimeout   = 2 * time.Second
	eslAuthGrace     = 5 * time.Second // eslgo's own auth timer stays behind ours
	eslStallLimit    = 5 * time.Second // eslgo's receive loop waits this long for a reply taker
	retireTimeout    = eslStallLimit + 3*time.Second
	localWriteLimit  = eslStallLimit + 2*time.Second
	acceptTimeout    = 5 * time.Second
	staleReplyWait   = 200 * time.Millisecond
	tcpKeepAlive     = 15 * time.Second
	retiredReplyText = "-ERR connection retired by client"
)

// Frames the guard writes to eslgo to steer it through its own shutdown.
var (
	frameAuthRequest = []byte("Content-Type: auth/request\n\n")
	frameAuthRefused = []byte("Content-Type: command/reply\nReply-Text: " + retiredReplyText + "\n\n")
	frameBye         = []byte("Content-Type: command/reply\nReply-Text: +OK bye\n\n")
	frameNotice      = []byte("Content-Type: text/disconnect-notice\nContent-Length: 8\n\nretired\n")
	// An unknown type makes eslgo's receive loop return without touching
	// its unlocked disconnect path; it is only used when eslgo did not shut
	// down through the normal sequence.
	frameStop = []byte("Content-Type: x-fsdialer/stop\n\n")
)

// connConfig is what one connection needs from Config.
type connConfig struct {
	addr, password string
	dialTimeout    time.Duration
	authTimeout    time.Duration
	log            *slog.Logger
	discarded      *atomic.Uint64 // frames the guard did not pass to eslgo
	events         *atomic.Uint64 // plain events handed to the sink
	eventBytes     *atomic.Uint64 // their size on the wire
	metrics        *commandMetrics
}

// conn is one ESL connection: our own TCP socket to FreeSWITCH, a guard that
// relays whole frames from it to eslgo over a private Unix socket, and the
// eslgo.Conn reading that socket. eslgo cannot be handed a net.Conn, and this
// arrangement lets us close the real socket at any moment, see every frame
// before eslgo does, and shut eslgo down without tripping its races.
type conn struct {
	cfg   connConfig
	log   *slog.Logger
	fs    net.Conn // to FreeSWITCH
	local net.Conn // our end of the private socket; eslgo holds the other

	esl       *eslgo.Conn
	eslCancel context.CancelFunc
	eslDone   chan struct{} // closed when eslgo reports it has closed
	eslOnce   sync.Once

	ctx    context.Context // cancelled, with the cause, when the connection dies
	cancel context.CancelCauseFunc
	sem    chan struct{} // one command in flight, held from write to reply

	upDone   chan struct{}
	downDone chan struct{}
	lastRx   atomic.Int64 // UnixNano of the last frame from FreeSWITCH
	// sink, once set, receives the text of every plain event straight
	// from the guard, in wire order, and eslgo never sees events: no
	// goroutine per event (defects 1 and 2) and one parse instead of two.
	// The text is the guard's buffer: the sink copies what it keeps.
	sink atomic.Pointer[func(text []byte) error]

	// Replies passed to eslgo and replies a caller took from it. A reply
	// whose command gave up at the moment it arrived stays in eslgo's
	// receive loop, which then waits 5 s for a taker; retire takes it.
	repliesIn, repliesOut atomic.Int64

	// Written by the up-loop only; read by others after upDone is closed.
	authReqSent   bool
	authReplySent bool
	authOK        bool
	authReply     string
	localBroken   bool // a write to eslgo failed part-way: its stream is unusable

	retireOnce sync.Once
}

type dialResult struct {
	esl *eslgo.Conn
	err error
}

// dialConn connects, authenticates and returns a ready connection, or fails
// within dialTimeout+authTimeout whatever FreeSWITCH does (eslgo's own Dial
// blocks forever on a rude rejection or a silent server: defect 8).
func dialConn(ctx context.Context, cfg connConfig) (*conn, error) {
	d := net.Dialer{Timeout: cfg.dialTimeout, KeepAlive: tcpKeepAlive}
	fs, err := d.DialContext(ctx, "tcp", cfg.addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", cfg.addr, err)
	}
	c := newConn(fs, cfg)
	results, err := c.attach()
	if err != nil {
		_ = fs.Close()
		return nil, err
	}
	go c.up()
	go c.down()

	timer := time.NewTimer(cfg.authTimeout)
	defer timer.Stop()
	select {
	case r := <-results:
		if r.err == nil {
			c.attached(r.esl)
			return c, nil
		}
		// eslgo's Dial failed and closed its side itself.
		c.die(fmt.Errorf("authenticate with %s: %w", cfg.addr, r.err))
		<-c.upDone
		c.release()
		return nil, c.authError(context.Cause(c.ctx))
	case <-c.ctx.Done():
	case <-timer.C:
		c.die(fmt.Errorf("authenticate with %s: %w", cfg.addr, ErrAuthTimeout))
	case <-ctx.Done():
		c.die(fmt.Errorf("authenticate with %s: %w", cfg.addr, ctx.Err()))
	}
	c.abortDial(results)
	return nil, c.authError(context.Cause(c.ctx))
}

// attach starts eslgo's Dial on a private Unix socket and accepts its
// connection. The socket lives in a fresh 0700 directory, so no other user
// can connect to it, and is removed as soon as eslgo is connected.
func (c *conn) attach() (<-chan dialResult, error) {
	dir, err := os.MkdirTemp("", "fsdialer-esl-")
	if err != nil {
		return nil, fmt.Errorf("create private socket directory: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "s")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listen on private socket: %w", err)
	}
	defer ln.Close()

	eslCtx, eslCancel := context.WithCancel(context.Background())
	opts := eslgo.InboundOptions{
		Options: eslgo.Options{
			Context:     eslCtx,
			Logger:      eslgoLogger{c.log.With("component", "eslgo")},
			ExitTimeout: eslExitTimeout,
		},
		Network:      "unix",
		Password:     c.cfg.password,
		OnDisconnect: c.eslClosed,
		AuthTimeout:  c.cfg.authTimeout + eslAuthGrace,
	}
	results := make(chan dialResult, 1)
	go func() {
		ec, err := opts.Dial(path)
		results <- dialResult{ec, err}
	}()
	_ = ln.SetDeadline(time.Now().Add(acceptTimeout))
	local, err := ln.Accept()
	if err != nil {
		// eslgo could not reach the socket, so its Dial fails at once.
		eslCancel()
		<-results
		return nil, fmt.Errorf("accept eslgo on private socket: %w", err)
	}
	c.local, c.eslCancel = local, eslCancel
	return results, nil
}

func newConn(fs net.Conn, cfg connConfig) *conn {
	ctx, cancel := context.WithCancelCause(context.Background())
	c := &conn{
		cfg:      cfg,
		log:      cfg.log,
		fs:       fs,
		eslDone:  make(chan struct{}),
		ctx:      ctx,
		cancel:   cancel,
		sem:      make(chan struct{}, 1),
		upDone:   make(chan struct{}),
		downDone: make(chan struct{}),
	}
	c.lastRx.Store(time.Now().UnixNano())
	return c
}

// authError returns a *ReplyError when the guard saw FreeSWITCH refuse the
// password, else fallback. Only valid after the up-loop has stopped.
func (c *conn) authError(fallback error) error {
	if c.authReplySent && !c.authOK {
		return fmt.Errorf("authenticate with %s: %w", c.cfg.addr, &ReplyError{Command: "auth", Reply: c.authReply})
	}
	return fallback
}

// attached records eslgo's connection after a successful Dial, which took
// the auth reply.
func (c *conn) attached(ec *eslgo.Conn) {
	c.esl = ec
	c.repliesOut.Add(1)
}

// eslClosed is eslgo's OnDisconnect. eslgo calls it after its own close.
func (c *conn) eslClosed() {
	c.eslOnce.Do(func() { close(c.eslDone) })
}

// die marks the connection dead with its first cause and closes the socket
// to FreeSWITCH, which stops the guard. Commands in flight fail at once.
func (c *conn) die(cause error) {
	c.cancel(cause)
	_ = c.fs.Close()
}

// lastFrame returns when the last frame arrived from FreeSWITCH.
func (c *conn) lastFrame() time.Time {
	return time.Unix(0, c.lastRx.Load())
}

// exec sends one command and waits for its reply while holding the
// connection's semaphore, so exactly one command is in flight (eslgo releases
// its write lock before the reply and hands replies to whoever is waiting:
// defect 3). A command that gives up after being written poisons the reply
// stream, because its late reply would be read as the next command's
// (defect 4), so the connection is killed and the client reconnects.
//
// The wait for the semaphore and the time from send to reply are measured
// apart (esl_command_wait_seconds, esl_command_seconds), so that a slow
// switch and a queue of commands behind one another can be told apart.
func (c *conn) exec(ctx context.Context, cmd command.Command, what, wantType string, replyTimeout time.Duration) (*eslgo.RawResponse, error) {
	queued := time.Now()
	select {
	case c.sem <- struct{}{}:
		c.cfg.metrics.waited(time.Since(queued))
	case <-ctx.Done():
		return nil, notSent(fmt.Errorf("%s: %w", what, ctx.Err()))
	case <-c.ctx.Done():
		return nil, notSent(fmt.Errorf("%s: %w (%w)", what, ErrNotConnected, context.Cause(c.ctx)))
	}
	defer func() { <-c.sem }()
	if err := c.ctx.Err(); err != nil {
		return nil, notSent(fmt.Errorf("%s: %w (%w)", what, ErrNotConnected, context.Cause(c.ctx)))
	}
	if err := ctx.Err(); err != nil {
		return nil, notSent(fmt.Errorf("%s: %w", what, err))
	}
	cctx, cancel := context.WithTimeoutCause(ctx, replyTimeout, ErrCommandTimeout)
	defer cancel()
	stop := context.AfterFunc(c.ctx, cancel)
	defer stop()

	sent := time.Now()
	resp, err := c.esl.SendCommand(cctx, cmd)
	took := time.Since(sent)
	if err != nil {
		if c.ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w (%w)", what, ErrDisconnected, context.Cause(c.ctx))
		}
		cause := err
		if cctx.Err() != nil {
			cause = context.Cause(cctx)
		}
		c.die(fmt.Errorf("%s: reply stream poisoned: %w", what, cause))
		return nil, fmt.Errorf("%s: %w", what, cause)
	}
	c.repliesOut.Add(1)
	c.cfg.metrics.replied(what, took)
	if got := resp.Headers.Get("Content-Type"); got != wantType {
		err := fmt.Errorf("%s: %w: got %s reply, want %s", what, errOutOfSync, got, wantType)
		c.die(err)
		return nil, err
	}
	return resp, nil
}

// up relays frames from FreeSWITCH to eslgo, whole frames only, so that
// eslgo never sees a partial frame or an end of stream: every way the real
// socket can end is handled here (defects 6, 7, 13).
func (c *conn) up() {
	defer close(c.upDone)
	r := bufio.NewReaderSize(c.fs, guardBufSize)
	w := bufio.NewWriterSize(c.local, guardBufSize)
	defer c.flushLocal(w)
	var f guardFrame
	for {
		if err := f.read(r); err != nil {
			c.die(fmt.Errorf("read from FreeSWITCH: %w", err))
			return
		}
		c.lastRx.Store(time.Now().UnixNano())
		pass, rewritten, err := c.route(&f)
		if err != nil {
			c.die(err)
			return
		}
		if c.ctx.Err() != nil {
			return
		}
		if !pass {
			continue
		}
		if err := f.writeTo(w, rewritten); err != nil {
			c.localBroken = true
			c.die(fmt.Errorf("relay to eslgo: %w", err))
			return
		}
		if ct := string(f.ctype); ct == ctReply || ct == ctAPIResponse {
			c.repliesIn.Add(1)
		}
		// Once events go to the sink, eslgo only gets replies (and events
		// before the subscription): hand each over at once, or a reply
		// could wait behind a burst of events.
		if err := w.Flush(); err != nil {
			c.localBroken = true
			c.die(fmt.Errorf("relay to eslgo: %w", err))
			return
		}
	}
}

func (c *conn) flushLocal(w *bufio.Writer) {
	if c.localBroken || w.Buffered() == 0 {
		return
	}
	_ = c.local.SetWriteDeadline(time.Now().Add(localWriteLimit))
	if err := w.Flush(); err != nil {
		c.localBroken = true
	}
	_ = c.local.SetWriteDeadline(time.Time{})
}

// route decides whether a frame goes on to eslgo, and returns a rewritten
// frame when it has to be changed first.
func (c *conn) route(f *guardFrame) (pass bool, rewritten []byte, err error) {
	switch string(f.ctype) {
	case ctAuthRequest:
		if c.authReqSent {
			c.discard(f, "repeated auth/request")
			return false, nil, nil
		}
		c.authReqSent = true
	case ctReply:
		if c.authReqSent && !c.authReplySent {
			c.authReplySent = true
			c.authReply = f.header("Reply-Text")
			c.authOK = strings.HasPrefix(c.authReply, "+OK")
		}
	case ctAPIResponse:
	case ctEventPlain:
		if sink := c.sink.Load(); sink != nil {
			if c.cfg.events != nil {
				c.cfg.events.Add(1)
				c.cfg.eventBytes.Add(uint64(len(f.head) + 1 + len(f.body)))
			}
			if err := (*sink)(f.body); err != nil {
				c.discard(f, "undecodable event: "+err.Error())
			}
			return false, nil, nil
		}
		return true, f.sanitizedEvent(), nil
	case ctDisconnect:
		return false, nil, fmt.Errorf("%w: %s", ErrRemoteClosed, strings.TrimSpace(string(f.body)))
	case ctRudeRejection:
		return false, nil, fmt.Errorf("%w: %s", ErrRejected, strings.TrimSpace(string(f.body)))
	default:
		// log/data would stop eslgo's reader for good (defect 7); JSON and
		// XML events are never subscribed and eslgo cannot decode them
		// (defect 12).
		c.discard(f, "unexpected frame")
		return false, nil, nil
	}
	return true, nil, nil
}

func (c *conn) discard(f *guardFrame, why string) {
	if c.cfg.discarded != nil {
		c.cfg.discarded.Add(1)
	}
	c.log.Warn("discarded frame from FreeSWITCH", "reason", why, "content_type", string(f.ctype), "bytes", len(f.body))
}

// down relays eslgo's commands to FreeSWITCH.
func (c *conn) down() {
	defer close(c.downDone)
	if _, err := io.Copy(c.fs, c.local); err != nil {
		c.die(fmt.Errorf("write to FreeSWITCH: %w", err))
		return
	}
	c.die(errLocalClosed)
}

// abortDial makes a Dial that is still waiting fail through eslgo's own
// error path, then releases everything. It writes whatever eslgo is still
// waiting for: the auth request, a refusal and the reply to its "exit".
// When FreeSWITCH had already accepted the password, Dial returns a
// connection, which is retired normally.
func (c *conn) abortDial(results <-chan dialResult) {
	_ = c.fs.Close()
	<-c.upDone
	if !c.authOK && !c.localBroken {
		var frames [][]byte
		if !c.authReqSent {
			frames = append(frames, frameAuthRequest)
		}
		if !c.authReplySent {
			frames = append(frames, frameAuthRefused)
		}
		c.writeLocal(append(frames, frameBye)...)
	}
	select {
	case r := <-results:
		if r.err == nil {
			c.attached(r.esl)
			c.retire(context.Cause(c.ctx))
			return
		}
	case <-time.After(retireTimeout):
		c.log.Warn("eslgo's Dial did not return after the dial was aborted")
	}
	c.release()
}

// release lets eslgo's remaining goroutines end and closes our end of the
// private socket once eslgo no longer reads it.
func (c *conn) release() {
	c.eslCancel()
	_ = c.local.Close()
	<-c.downDone
}

// retire shuts the connection down and waits, at most retireTimeout, until
// eslgo has closed. eslgo's Close races with its own goroutines (defect 13:
// unlocked map reads, "send on closed channel" in issue #46) and blocks while
// a SendCommand is pending (defect 9). So the client never calls it. Instead
// the guard feeds eslgo the frames that make its auth loop close the
// connection itself, in an order that gives every goroutine that read the
// map a happens-before edge to the close:
//
//  1. auth/request: eslgo's authLoop re-authenticates;
//  2. a refusing reply: authLoop calls ExitAndClose and sends "exit";
//  3. a disconnect notice: disconnectLoop receives it and waits on the close;
//  4. "+OK bye": authLoop's exit returns and it closes; OnDisconnect follows.
//
// eslgo never sees an end of stream (only its own close), so its unlocked
// EOF path never runs. The semaphore is taken first, so none of our commands
// can take those replies, and replies eslgo still holds for commands that
// gave up are taken before.
func (c *conn) retire(cause error) {
	c.retireOnce.Do(func() {
		c.die(cause)
		deadline := time.NewTimer(retireTimeout)
		defer deadline.Stop()
		ok := false
		select {
		case <-c.upDone:
			ok = !c.localBroken
		case <-deadline.C:
		}
		if ok {
			select {
			case c.sem <- struct{}{}:
			case <-deadline.C:
				ok = false
			}
		}
		if ok {
			c.takeStaleReplies()
			ok = c.writeLocal(frameAuthRequest, frameAuthRefused, frameNotice, frameBye)
		}
		if ok {
			select {
			case <-c.eslDone:
			case <-deadline.C:
				ok = false
			}
		}
		if !ok {
			c.log.Warn("eslgo did not shut down in time; abandoning it", "cause", cause)
			c.eslCancel()
			c.writeLocal(frameStop)
		}
		c.release()
		<-c.upDone
	})
}

// takeStaleReplies takes the replies eslgo holds for commands that gave up,
// so that its receive loop is free for the retirement frames at once.
func (c *conn) takeStaleReplies() {
	for n := c.repliesIn.Load() - c.repliesOut.Load(); n > 0; n-- {
		ctx, cancel := context.WithTimeout(context.Background(), staleReplyWait)
		_, err := c.esl.SendCommand(ctx, rawCommand("noop"))
		cancel()
		if err != nil {
			return
		}
		c.repliesOut.Add(1)
	}
}

// writeLocal writes synthetic frames to eslgo once the up-loop has stopped.
func (c *conn) writeLocal(frames ...[]byte) bool {
	_ = c.local.SetWriteDeadline(time.Now().Add(localWriteLimit))
	defer c.local.SetWriteDeadline(time.Time{})
	if _, err := c.local.Write(bytes.Join(frames, nil)); err != nil {
		c.log.Warn("write to eslgo", "err", err)
		return false
	}
	return true
}

// guardFrame is one server frame: the outer header lines and the body.
type guardFrame struct {
	head  []byte // header lines, each ending in '\n', without the blank line
	body  []byte
	ctype []byte
	out   []byte // reused output buffer for rewritten events
}

// read reads the next frame. An end of stream inside a frame is
// io.ErrUnexpectedEOF (eslgo would not report it: defect 6).
func (f *guardFrame) read(r *bufio.Reader) error {
	f.head = f.head[:0]
	f.ctype = nil
	length := -1
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return fmt.Errorf("%w: header line longer than %d bytes", errProtocol, guardBufSize)
			}
			if errors.Is(err, io.EOF) && (len(f.head) > 0 || len(line) > 0) {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		if len(line) == 1 || len(line) == 2 && line[0] == '\r' {
			if len(f.head) == 0 {
				continue // FreeSWITCH tolerates leading blank lines; so do we
			}
			break
		}
		if len(f.head)+len(line) > maxFrameHeader {
			return fmt.Errorf("%w: frame header longer than %d bytes", errProtocol, maxFrameHeader)
		}
		start := len(f.head)
		f.head = append(f.head, line...)
		k, v, ok := bytes.Cut(bytes.TrimRight(f.head[start:], "\r\n"), []byte(":"))
		if !ok {
			return fmt.Errorf("%w: header line without colon: %q", errProtocol, line)
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Type")):
			f.ctype = v
		case bytes.EqualFold(k, []byte("Content-Length")):
			n, err := strconv.Atoi(string(v))
			if err != nil || n < 0 || n > maxFrameBody {
				return fmt.Errorf("%w: bad Content-Length %q", errProtocol, v)
			}
			length = n
		}
	}
	if length <= 0 {
		f.body = f.body[:0]
		return nil
	}
	if cap(f.body) < length {
		f.body = make([]byte, length)
	}
	f.body = f.body[:length]
	if _, err := io.ReadFull(r, f.body); err != nil {
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	return nil
}

// header returns the value of an outer header.
func (f *guardFrame) header(name string) string {
	for _, line := range bytes.Split(f.head, []byte("\n")) {
		k, v, ok := bytes.Cut(line, []byte(":"))
		if ok && bytes.EqualFold(k, []byte(name)) {
			return string(bytes.TrimSpace(v))
		}
	}
	return ""
}

// writeTo writes the frame as read, or rewritten instead when it is set.
func (f *guardFrame) writeTo(w *bufio.Writer, rewritten []byte) error {
	if rewritten != nil {
		_, err := w.Write(rewritten)
		return err
	}
	_, _ = w.Write(f.head)
	_ = w.WriteByte('\n')
	_, err := w.Write(f.body)
	return err
}

// sanitizedEvent returns nil when Go's textproto accepts every inner header
// line of a plain event as is (the common case), else the frame rebuilt with
// the bytes it would reject percent-escaped (names) or encoded (values), so
// that eslgo keeps the event instead of dropping it.
func (f *guardFrame) sanitizedEvent() []byte {
	if eventHeadersClean(f.body) {
		return nil
	}
	inner := make([]byte, 0, len(f.body)+64)
	rest := f.body
	for len(rest) > 0 {
		line, tail, found := bytes.Cut(rest, []byte("\n"))
		if !found {
			inner = append(inner, rest...)
			rest = nil
			break
		}
		rest = tail
		if len(line) == 0 {
			inner = append(inner, '\n')
			inner = append(inner, rest...)
			rest = nil
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(k) == 0 {
			continue // not a header: textproto would drop the event for it
		}
		inner = appendEscapedKey(inner, k)
		inner = append(inner, ':')
		for _, c := range v {
			if !badValueBytes[c] {
				inner = append(inner, c)
				continue
			}
			inner = append(inner, '%', "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&15])
		}
		inner = append(inner, '\n')
	}
	f.out = append(f.out[:0], "Content-Length: "...)
	f.out = strconv.AppendInt(f.out, int64(len(inner)), 10)
	f.out = append(f.out, "\nContent-Type: text/event-plain\n\n"...)
	return append(f.out, inner...)
}

// eventHeadersClean reports whether textproto would accept every header line
// of a plain event as is (the common case: no copy).
func eventHeadersClean(body []byte) bool {
	for len(body) > 0 {
		i := bytes.IndexByte(body, '\n')
		if i == 0 {
			return true // blank line: end of headers
		}
		line := body
		if i > 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return false // no name
		}
		for _, c := range line[:colon] {
			if !tokenBytes[c] {
				return false
			}
		}
		for _, c := range line[colon+1:] {
			if badValueBytes[c] {
				return false
			}
		}
	}
	return true
}

// badValueBytes are the bytes textproto refuses in a header value.
var badValueBytes = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = c != '\t'
	}
	t[0x7f] = true
	return t
}()

// eslgoLogger sends eslgo's messages to slog at debug level: what matters is
// reported by this package, and eslgo logs expected events (our own
// retirement) as warnings.
type eslgoLogger struct{ l *slog.Logger }

func (a eslgoLogger) log(level, format string, args ...any) {
	if a.l.Enabled(context.Background(), slog.LevelDebug) {
		a.l.Debug(strings.TrimSpace(fmt.Sprintf(format, args...)), "eslgo_level", level)
	}
}

// Debug, Info, Warn and Error implement eslgo.Logger.
func (a eslgoLogger) Debug(format string, args ...any) { a.log("debug", format, args...) }
func (a eslgoLogger) Info(format string, args ...any)  { a.log("info", format, args...) }
func (a eslgoLogger) Warn(format string, args ...any)  { a.log("warn", format, args...) }
func (a eslgoLogger) Error(format string, args ...any) { a.log("error", format, args...) }
