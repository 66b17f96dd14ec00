package fssim

import (
	"bufio"
	"io"
	"math/rand/v2"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxMissed is MAX_MISSED in mod_event_socket.c: after more than this many
// consecutive events that did not fit in the queue, the listener is killed.
const maxMissed = 500

// maxPacket is read_packet's limit on one command.
const maxPacket = 10485760

// outFrame is one queued frame: raw bytes, or an event rendered at write
// time in the connection's current format.
type outFrame struct {
	raw []byte
	ev  *event
	enq time.Time
}

// filter is one "filter <Header> <value>" entry.
type filter struct {
	name, value string
	re          *regexp.Regexp
}

// conn is one inbound event-socket connection. The reader goroutine runs
// commands one at a time, as mod_event_socket's listener thread does; the
// writer goroutine drains the connection's queues.
type conn struct {
	s  *Server
	nc net.Conn
	id uint64

	// Guarded by s.mu.
	authed   bool
	eventsOn bool
	all      bool
	names    map[string]bool
	custom   map[string]bool
	filters  []filter
	session  *channel
	myevents bool
	linger   time.Duration
	lingerOn bool
	logging  bool
	lost     int
	removed  bool

	format atomic.Int32

	mu        sync.Mutex // guards the fields below
	replies   []outFrame
	events    []outFrame
	head      int
	paused    bool
	closing   bool
	final     []byte
	drop      int // 1: close now, 2: write half a frame then close
	cut       []byte
	rng       *rand.Rand
	wake      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func newConn(s *Server, nc net.Conn, id uint64) *conn {
	return &conn{
		s:      s,
		nc:     nc,
		id:     id,
		names:  map[string]bool{},
		custom: map[string]bool{},
		rng:    rand.New(rand.NewPCG(uint64(s.seed), id)),
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
}

func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// shutdown closes the socket once; both goroutines then finish.
func (c *conn) shutdown() {
	c.closeOnce.Do(func() {
		close(c.done)
		_ = c.nc.Close()
	})
}

// reply queues a frame that is written before any queued event, as
// mod_event_socket writes command replies straight from the listener
// thread.
func (c *conn) reply(b []byte) {
	c.mu.Lock()
	c.replies = append(c.replies, outFrame{raw: b})
	c.mu.Unlock()
	c.signal()
}

// closeAfter queues a final frame; once it is written the socket closes.
// Events already queued are written first when keepEvents is set (a
// controlled session ending), and discarded otherwise, as flush_listener
// does after "exit". Events fired later are never written.
func (c *conn) closeAfter(b []byte, keepEvents bool) {
	c.mu.Lock()
	if !keepEvents {
		c.events, c.head = nil, 0
	}
	c.final = b
	c.closing = true
	c.mu.Unlock()
	c.signal()
}

// pushEvent queues an event, modelling the listener's bounded queue. It
// reports false when the connection must be killed. Caller holds s.mu.
func (c *conn) pushEvent(ev *event, now time.Time) bool {
	if c.s.silent.Load() {
		return true
	}
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return true
	}
	if len(c.events)-c.head >= c.s.queueLimit {
		c.mu.Unlock()
		c.lost++
		return c.lost <= maxMissed
	}
	c.events = append(c.events, outFrame{ev: ev, enq: now})
	c.mu.Unlock()
	c.lost = 0
	c.signal()
	return true
}

// kill closes the connection without a notice, as kill_listener does when
// the event queue overflows; closing the socket also unblocks a writer
// stuck on a full socket.
func (c *conn) kill() {
	c.mu.Lock()
	c.drop = 1
	c.mu.Unlock()
	c.shutdown()
}

func (c *conn) setPaused(p bool) {
	c.mu.Lock()
	c.paused = p
	c.mu.Unlock()
	c.signal()
}

func (c *conn) flushEvents() {
	c.mu.Lock()
	c.events, c.head = nil, 0
	c.mu.Unlock()
}

// wants reports whether the connection's subscription selects the event,
// before filters (event_handler in mod_event_socket.c). Caller holds s.mu.
func (c *conn) wants(name, subclass string) bool {
	if !c.authed || !c.eventsOn || c.removed {
		return false
	}
	if c.all {
		return true
	}
	if !c.names[name] {
		return false
	}
	return name != "CUSTOM" || subclass == "" || c.custom[subclass]
}

// passes applies the filters and the myevents binding. Caller holds s.mu.
func (c *conn) passes(ev *event) bool {
	send := true
	if len(c.filters) > 0 {
		send = false
		for _, f := range c.filters {
			hval, ok := ev.get(f.name)
			if !ok {
				continue
			}
			comp := f.value
			pos := true
			i := 0
			for ; i < len(comp); i++ {
				if comp[i] == '+' {
					pos = true
				} else if comp[i] == '-' {
					pos = false
				} else if comp[i] != ' ' {
					break
				}
			}
			comp = comp[i:]
			if send && pos {
				continue
			}
			var match bool
			if strings.HasPrefix(f.value, "/") {
				match = f.re != nil && f.re.MatchString(hval)
			} else {
				match = strings.EqualFold(hval, comp)
			}
			if match {
				if !pos {
					send = false
					break
				}
				send = true
			}
		}
	}
	if send && c.myevents {
		uuid, ok := ev.get("Unique-ID")
		if !ok || (c.session != nil && uuid != c.session.uuid) {
			send = false
		}
	}
	return send
}

// compileFilterRegexp turns a "/regex/flags" filter value into a Go
// regexp as switch_regex_perform reads it: the expression runs to the last
// slash, which is required (without it FreeSWITCH logs an error and the
// filter matches nothing: nil here), and of the flags after it only i
// (caseless) and s (dot matches newline) count. An expression Go's RE2
// cannot compile (PCRE-only syntax) also matches nothing here.
func compileFilterRegexp(v string) *regexp.Regexp {
	v = strings.TrimPrefix(v, "/")
	i := strings.LastIndexByte(v, '/')
	if i < 0 {
		return nil
	}
	v, flags := v[:i], v[i+1:]
	mode := ""
	if strings.Contains(flags, "i") {
		mode += "i"
	}
	if strings.Contains(flags, "s") {
		mode += "s"
	}
	if mode != "" {
		v = "(?" + mode + ")" + v
	}
	re, err := regexp.Compile(v)
	if err != nil {
		return nil
	}
	return re
}

// command is one parsed ESL command.
type command struct {
	line    string
	headers []header
	body    string
}

func (cmd *command) header(name string) (string, bool) {
	for _, h := range cmd.headers {
		if strings.EqualFold(h.name, name) {
			return h.value, true
		}
	}
	return "", false
}

// readCommand reads one command the way mod_event_socket's read_packet
// does. Leading CR and LF bytes are skipped. The packet ends at its second
// LF with only CRs between them (any other byte restarts the count), or at
// maxPacket bytes. Its lines are then cut the way read_packet and strip_cr
// cut them: a line ends at the first CR in the rest of the packet if there
// is one, else at the first LF, and the run of CRs and LFs there is
// skipped. So a packet that mixes "\n" and "\r\n" reads as one long
// command line whose later headers are never seen, as on the real switch.
// The first line is the command; later lines are "Name: value" headers
// (lines without a colon are ignored), and a Content-Length header pulls
// in that many body bytes after the packet.
func readCommand(r *bufio.Reader) (*command, error) {
	var packet []byte
	for lfs := 0; lfs < 2 && len(packet) < maxPacket; {
		b, err := r.ReadByte()
		if err != nil {
			return nil, err
		}
		if len(packet) == 0 && (b == '\r' || b == '\n') {
			continue
		}
		packet = append(packet, b)
		switch b {
		case '\n':
			lfs++
		case '\r':
		default:
			lfs = 0
		}
	}
	cmd := &command{}
	clen := 0
	for i, line := range packetLines(string(packet)) {
		if i == 0 {
			cmd.line = line
			continue
		}
		name, val, ok := strings.Cut(line, ":")
		if !ok || name == "" {
			continue
		}
		val = strings.TrimLeft(val, " ")
		cmd.headers = append(cmd.headers, header{name, val})
		if strings.EqualFold(name, "content-length") {
			if n, err := strconv.Atoi(val); err == nil && n > 0 && n <= maxPacket {
				clen = n
			}
		}
	}
	if clen > 0 {
		body := make([]byte, clen)
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, err
		}
		cmd.body = string(body)
	}
	return cmd, nil
}

// packetLines cuts a packet into lines as read_packet does: each line ends
// at the first CR of the rest if any, else at its first LF.
func packetLines(p string) []string {
	var lines []string
	for p != "" {
		end := strings.IndexByte(p, '\r')
		if end < 0 {
			end = strings.IndexByte(p, '\n')
		}
		if end < 0 {
			return append(lines, p)
		}
		lines = append(lines, p[:end])
		p = strings.TrimLeft(p[end:], "\r\n")
	}
	return lines
}

// readLoop runs the connection's commands until it closes.
func (c *conn) readLoop() {
	defer c.s.wg.Done()
	defer c.s.removeConn(c)
	defer c.shutdown()
	r := bufio.NewReaderSize(c.nc, 16<<10)
	_ = c.nc.SetReadDeadline(time.Now().Add(c.s.authTimeout))
	for {
		cmd, err := readCommand(r)
		if err != nil {
			return
		}
		if !c.s.handle(c, cmd) {
			select {
			case <-c.done:
			case <-time.After(5 * time.Second):
			}
			return
		}
	}
}

// writeLoop drains the queues: replies first, then events unless an api
// command is running (mod_event_socket's listener thread sends nothing else
// while api_exec runs).
func (c *conn) writeLoop() {
	defer c.s.wg.Done()
	defer c.shutdown()
	w := bufio.NewWriterSize(c.nc, 64<<10)
	var batch []outFrame
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		c.mu.Lock()
		if c.drop != 0 {
			c.dropNow(w)
			c.mu.Unlock()
			return
		}
		batch = batch[:0]
		closing := false
		wait := time.Duration(-1)
		if !c.s.silent.Load() {
			batch = append(batch, c.replies...)
			clear(c.replies)
			c.replies = c.replies[:0]
			closing = c.closing
			switch {
			case closing:
				batch = append(batch, c.events[c.head:]...)
				c.events, c.head = nil, 0
				batch = append(batch, outFrame{raw: c.final})
			case !c.paused:
				batch, wait = c.takeEvents(batch)
			}
		}
		format := eventFormat(c.format.Load())
		c.mu.Unlock()

		for _, f := range batch {
			b := f.raw
			if f.ev != nil {
				b = f.ev.frame(format)
			}
			if _, err := w.Write(b); err != nil {
				return
			}
		}
		if len(batch) > 0 {
			if err := w.Flush(); err != nil {
				return
			}
		}
		if closing {
			return
		}
		if len(batch) > 0 {
			continue
		}
		if wait < 0 {
			wait = time.Hour
		}
		timer.Reset(wait)
		select {
		case <-c.done:
			return
		case <-c.wake:
		case <-timer.C:
		}
	}
}

// takeEvents moves due events to batch, applying the delay and reorder
// faults. It returns how long to wait when events are queued but not due.
// Caller holds c.mu.
func (c *conn) takeEvents(batch []outFrame) ([]outFrame, time.Duration) {
	const maxBatch = 1024
	const reorderFlush = 20 * time.Millisecond
	delay := time.Duration(c.s.eventDelay.Load())
	window := int(c.s.reorder.Load())
	now := time.Now()
	queued := len(c.events) - c.head
	if queued == 0 {
		return batch, -1
	}
	if delay > 0 {
		due := c.events[c.head].enq.Add(delay)
		if now.Before(due) {
			return batch, due.Sub(now)
		}
	}
	if window > 1 && queued < window {
		due := c.events[c.head].enq.Add(delay + reorderFlush)
		if now.Before(due) {
			return batch, due.Sub(now)
		}
	}
	start := len(batch)
	for c.head < len(c.events) && len(batch)-start < maxBatch {
		f := c.events[c.head]
		if delay > 0 && now.Before(f.enq.Add(delay)) {
			break
		}
		batch = append(batch, f)
		c.events[c.head] = outFrame{}
		c.head++
	}
	if c.head == len(c.events) {
		c.events, c.head = c.events[:0], 0
	} else if c.head > 4096 && c.head > len(c.events)/2 {
		n := copy(c.events, c.events[c.head:])
		clear(c.events[n:])
		c.events, c.head = c.events[:n], 0
	}
	if window > 1 {
		evs := batch[start:]
		for i := 0; i < len(evs); i += window {
			j := min(i+window, len(evs))
			part := evs[i:j]
			c.rng.Shuffle(len(part), func(a, b int) { part[a], part[b] = part[b], part[a] })
		}
	}
	return batch, -1
}

// dropNow closes the socket for DropConnections; in mid-frame mode it first
// writes the first half of the next frame. Caller holds c.mu.
func (c *conn) dropNow(w *bufio.Writer) {
	if c.drop == 2 {
		var b []byte
		switch {
		case len(c.replies) > 0:
			b = c.replies[0].raw
		case len(c.events) > c.head:
			b = c.events[c.head].ev.frame(eventFormat(c.format.Load()))
		default:
			b = c.cut
		}
		if len(b) > 1 {
			_, _ = w.Write(b[:len(b)/2])
			_ = w.Flush()
		}
	}
}
