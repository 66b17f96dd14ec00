package esl

import (
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// EventKind tells events FreeSWITCH sent apart from the client's own
// connection markers, which travel in the same ordered stream.
type EventKind uint8

const (
	// KindSwitch is an event FreeSWITCH sent.
	KindSwitch EventKind = iota
	// KindConnected marks a connection that is authenticated and subscribed.
	// Events may have been missed before it (at start-up, during a gap, or
	// because the queue overflowed), so the consumer reconciles every open
	// attempt on it: show channels as json, uuid_exists.
	KindConnected
	// KindDisconnected marks the loss of a connection; Err says why.
	KindDisconnected
)

// String returns the kind's name.
func (k EventKind) String() string {
	switch k {
	case KindSwitch:
		return "switch"
	case KindConnected:
		return "connected"
	case KindDisconnected:
		return "disconnected"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Event is one event from the stream: a FreeSWITCH event (KindSwitch) or a
// connection marker. Header values are URL-decoded exactly once, on access,
// and FreeSWITCH's "_undef_" reads as "".
type Event struct {
	// Kind says whether this is a FreeSWITCH event or a connection marker.
	Kind EventKind
	// Name is Event-Name (CHANNEL_ANSWER, BACKGROUND_JOB, ...).
	Name string
	// Subclass is Event-Subclass for CUSTOM events.
	Subclass string
	// UniqueID is the channel's Unique-ID, empty for non-channel events.
	UniqueID string
	// JobUUID is Job-UUID (BACKGROUND_JOB).
	JobUUID string
	// Seq is Event-Sequence: FreeSWITCH's global counter, for ordering
	// and gap detection. Events reach the stream out of order (see the
	// package doc); Seq is the wire order.
	Seq uint64
	// Conn numbers the connection that delivered the event, from 1.
	Conn uint64
	// Body is the event body, e.g. a BACKGROUND_JOB's "+OK <uuid>\n".
	Body string
	// Err is why the connection was lost (KindDisconnected only).
	Err error

	h    headerBlock // as received: names as sent, values still encoded
	size int64       // approximate bytes held, for the queue bound
}

// Names of the headers the client reads on every event.
const (
	keyEventName  = "Event-Name"
	keySubclass   = "Event-Subclass"
	keyUniqueID   = "Unique-ID"
	keyJobUUID    = "Job-UUID"
	keySequence   = "Event-Sequence"
	keyLength     = "Content-Length"
	varKeyPrefix  = "variable_"
	undefValue    = "_undef_"
	eventOverhead = 128 // bytes per event in the queue's estimate, besides its text and index
)

// NewEvent returns the FreeSWITCH event with these headers (decoded values,
// names as FreeSWITCH sends them) and body, as the client would deliver it.
// It is for tests and for fakes of the engine's switch.
func NewEvent(headers map[string]string, body string) Event {
	kv := make([]string, 0, 2*len(headers))
	size := 0
	for k, v := range headers {
		v = strings.ReplaceAll(v, "%", "%25")
		kv = append(kv, k, v)
		size += len(k) + len(v)
	}
	return newEvent(0, newHeaderBlock(kv), body, size)
}

// parseEvent decodes the text of a plain event (the frame's body): header
// lines "Name: value" up to a blank line, then as many body bytes as its
// own Content-Length says. The text is copied once; names and values are
// slices of that copy, so an event costs a few allocations however many
// headers it has. Values stay encoded until read. Lines without a name
// are skipped, as the guard did before handing events to textproto.
func parseEvent(conn uint64, text []byte) (Event, error) {
	s := string(text)
	kv := make([]string, 0, 2*strings.Count(s, "\n"))
	rest := s
	for rest != "" {
		line := rest
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			break
		}
		colon := strings.IndexByte(line, ':')
		if colon <= 0 {
			continue
		}
		kv = append(kv, line[:colon], strings.Trim(line[colon+1:], " \t"))
	}
	if len(kv) == 0 {
		return Event{}, errors.New("no headers")
	}
	h := newHeaderBlock(kv)
	body := ""
	if i := h.find(keyLength); i >= 0 {
		n, err := strconv.Atoi(h.kv[2*i+1])
		if err != nil || n < 0 {
			return Event{}, fmt.Errorf("inner Content-Length %q", h.kv[2*i+1])
		}
		if n > len(rest) {
			return Event{}, fmt.Errorf("inner body: %d of %d bytes", len(rest), n)
		}
		body = rest[:n]
	}
	return newEvent(conn, h, body, len(s)), nil
}

// newEvent fills the fields every consumer needs; text is the size of the
// headers' text.
func newEvent(conn uint64, h headerBlock, body string, text int) Event {
	e := Event{Kind: KindSwitch, Conn: conn, h: h, Body: body}
	e.Name = e.Header(keyEventName)
	e.Subclass = e.Header(keySubclass)
	e.UniqueID = e.Header(keyUniqueID)
	e.JobUUID = e.Header(keyJobUUID)
	e.Seq, _ = strconv.ParseUint(e.Header(keySequence), 10, 64)
	e.size = int64(text+len(body)+16*len(h.kv)+4*len(h.index)) + eventOverhead
	return e
}

// Header returns the decoded value of the named header ("" when absent or
// "_undef_"). Names are compared as FreeSWITCH compares them, ignoring
// ASCII case; of two headers whose names differ only in case, the first
// counts.
func (e Event) Header(name string) string {
	if i := e.h.find(name); i >= 0 {
		return decodeValue(e.h.kv[2*i+1])
	}
	return ""
}

// Has reports whether the event carries the named header.
func (e Event) Has(name string) bool {
	return e.h.find(name) >= 0
}

// Var returns the channel variable name, sent as the header variable_<name>.
func (e Event) Var(name string) string {
	return e.Header(varKeyPrefix + name)
}

// Headers returns a decoded copy of all headers, keyed by Go's canonical MIME
// form of the name (e.g. "Variable_dialer_campaign_id").
func (e Event) Headers() map[string]string {
	m := make(map[string]string, len(e.h.kv)/2)
	for i := 0; i < len(e.h.kv); i += 2 {
		k := unescapeKey(textproto.CanonicalMIMEHeaderKey(escapeKey(e.h.kv[i])))
		if _, dup := m[k]; !dup {
			m[k] = decodeValue(e.h.kv[i+1])
		}
	}
	return m
}

// vars calls fn for every variable_* header with the variable's name (in
// lower case) and value.
func (e Event) vars(fn func(name, value string)) {
	for i := 0; i < len(e.h.kv); i += 2 {
		k := e.h.kv[i]
		if len(k) <= len(varKeyPrefix) || !asciiEqualFold(k[:len(varKeyPrefix)], varKeyPrefix) || e.h.find(k) != i/2 {
			continue
		}
		fn(strings.ToLower(k[len(varKeyPrefix):]), decodeValue(e.h.kv[i+1]))
	}
}

// headerBlock is an event's headers in wire order, kv holding name, value,
// name, value..., with an open-addressing index by the ASCII case-folded
// name: index[j] is 1 + the pair's number, 0 for an empty slot. Only the
// first of several headers with the same folded name is indexed.
type headerBlock struct {
	kv    []string
	index []int32
}

func newHeaderBlock(kv []string) headerBlock {
	n := len(kv) / 2
	size := 8
	for size < 2*n {
		size <<= 1
	}
	h := headerBlock{kv: kv, index: make([]int32, size)}
	mask := uint32(size - 1)
	for p := 0; p < n; p++ {
		name := kv[2*p]
		for j := foldHash(name) & mask; ; j = (j + 1) & mask {
			q := h.index[j]
			if q == 0 {
				h.index[j] = int32(p + 1)
				break
			}
			if asciiEqualFold(kv[2*(q-1)], name) {
				break
			}
		}
	}
	return h
}

// find returns the number of the first pair called name, or -1.
func (h headerBlock) find(name string) int {
	if len(h.index) == 0 {
		return -1
	}
	mask := uint32(len(h.index) - 1)
	for j := foldHash(name) & mask; ; j = (j + 1) & mask {
		q := h.index[j]
		if q == 0 {
			return -1
		}
		if asciiEqualFold(h.kv[2*(q-1)], name) {
			return int(q - 1)
		}
	}
}

// foldHash is FNV-1a over the name with ASCII letters in lower case.
func foldHash(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// decodeValue undoes FreeSWITCH's switch_url_encode once: %XX (either case)
// becomes the byte, anything else stays as sent. eslgo's GetHeader returns ""
// for a malformed escape; this keeps the text instead.
func decodeValue(s string) string {
	if s == undefValue {
		return ""
	}
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// tokenBytes are the bytes that may appear in a header name as Go's
// textproto reads it (RFC 7230 tchar). The connection guard percent-escapes every other
// byte of an event's header names before eslgo parses the event, because
// textproto drops the whole event on one bad name (defect 11).
var tokenBytes = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", byte(c)) >= 0
	}
	return t
}()

// escapeKey percent-escapes the bytes of a header name that are not token
// bytes, as the guard does on the wire.
func escapeKey(name string) string {
	for i := 0; i < len(name); i++ {
		if !tokenBytes[name[i]] {
			return string(appendEscapedKey(nil, []byte(name)))
		}
	}
	return name
}

func appendEscapedKey(dst, key []byte) []byte {
	const hex = "0123456789ABCDEF"
	for _, c := range key {
		if tokenBytes[c] {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', hex[c>>4], hex[c&15])
	}
	return dst
}

// unescapeKey reverses appendEscapedKey for names shown to callers.
func unescapeKey(k string) string {
	if strings.IndexByte(k, '%') < 0 {
		return k
	}
	return decodeValue(k)
}

// eventQueue is the one ordered, bounded queue between eslgo's listener
// goroutines and the consumer. push never blocks: eslgo starts a goroutine per
// event, so a blocking listener would leak one goroutine per event (defect 2).
// When the count or byte limit is reached the queue refuses events until the
// consumer has drained it to half, and reports the overflow once so that the
// client can drop the connection (see Client for why that is safe).
type eventQueue struct {
	maxN     int
	maxBytes int64

	mu       sync.Mutex
	buf      []Event // ring
	head, n  int
	bytes    int64
	full     bool          // refusing events until drained to half
	drained  chan struct{} // closed when full ends; replaced when it starts
	closed   bool
	ready    chan struct{} // cap 1: an event may be waiting
	done     chan struct{} // closed by close
	overflow chan struct{} // cap 1: the queue became full

	dropped atomic.Uint64
}

func newEventQueue(maxN int, maxBytes int64) *eventQueue {
	d := make(chan struct{})
	close(d)
	return &eventQueue{
		maxN:     maxN,
		maxBytes: maxBytes,
		drained:  d,
		ready:    make(chan struct{}, 1),
		done:     make(chan struct{}),
		overflow: make(chan struct{}, 1),
	}
}

// push appends a FreeSWITCH event; it reports false when the event was
// dropped because the queue is full or closed.
func (q *eventQueue) push(e Event) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	if q.full || q.n >= q.maxN || q.bytes+e.size > q.maxBytes && q.n > 0 {
		if !q.full {
			q.full = true
			q.drained = make(chan struct{})
			select {
			case q.overflow <- struct{}{}:
			default:
			}
		}
		q.mu.Unlock()
		q.dropped.Add(1)
		return false
	}
	q.appendLocked(e)
	q.mu.Unlock()
	q.signal()
	return true
}

// pushMarker appends a connection marker; markers ignore the limits so that
// the consumer always learns about a gap.
func (q *eventQueue) pushMarker(e Event) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.appendLocked(e)
	q.mu.Unlock()
	q.signal()
}

func (q *eventQueue) appendLocked(e Event) {
	if q.n == len(q.buf) {
		size := 2 * len(q.buf)
		if size < 256 {
			size = 256
		}
		buf := make([]Event, size)
		for i := 0; i < q.n; i++ {
			buf[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = buf, 0
	}
	q.buf[(q.head+q.n)%len(q.buf)] = e
	q.n++
	q.bytes += e.size
}

func (q *eventQueue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// next pops the oldest event, waiting for one; after close it returns what is
// left and then ErrClosed.
func (q *eventQueue) next(ctx context.Context) (Event, error) {
	for {
		q.mu.Lock()
		if q.n > 0 {
			e := q.buf[q.head]
			q.buf[q.head] = Event{}
			q.head = (q.head + 1) % len(q.buf)
			q.n--
			q.bytes -= e.size
			if q.full && q.n <= q.maxN/2 && q.bytes <= q.maxBytes/2 {
				q.full = false
				close(q.drained)
			}
			if q.n == 0 && len(q.buf) > 4096 {
				q.buf, q.head = nil, 0 // give a burst's memory back
			}
			more := q.n > 0
			q.mu.Unlock()
			if more {
				q.signal()
			}
			return e, nil
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return Event{}, ErrClosed
		}
		select {
		case <-q.ready:
		case <-q.done:
		case <-ctx.Done():
			return Event{}, ctx.Err()
		}
	}
}

// waitDrained returns once the queue accepts events again.
func (q *eventQueue) waitDrained(ctx context.Context) error {
	q.mu.Lock()
	d := q.drained
	q.mu.Unlock()
	select {
	case <-d:
		return nil
	case <-q.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (q *eventQueue) isFull() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.full
}

func (q *eventQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

func (q *eventQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		close(q.done)
	}
}
