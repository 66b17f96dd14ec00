package esl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
)

// Errors of the client. Each is wrapped with what was being done.
var (
	// ErrNotSent is wrapped by every error that happened before the command
	// was written (no connection, a refused value, the caller gave up while
	// waiting its turn): nothing reached FreeSWITCH, so repeating is safe.
	ErrNotSent = errors.New("esl: command not sent")
	// ErrNotConnected: there is no connection; nothing was sent.
	ErrNotConnected = errors.New("esl: not connected")
	// ErrDisconnected: the connection was lost while the command was in
	// flight, so it may or may not have run. Reconcile before repeating
	// anything that is not idempotent (an originate: uuid_exists on its
	// origination_uuid).
	ErrDisconnected = errors.New("esl: disconnected")
	// ErrClosed: the client was closed.
	ErrClosed = errors.New("esl: client closed")
	// ErrCommandTimeout: no reply within Config.CommandTimeout. The
	// connection is recycled, so the late reply cannot be taken for another
	// command's.
	ErrCommandTimeout = errors.New("esl: command timed out")
	// ErrAuthTimeout: FreeSWITCH did not complete authentication in time.
	ErrAuthTimeout = errors.New("esl: authentication timed out")
	// ErrRejected: FreeSWITCH's ACL refused the connection (rude rejection).
	ErrRejected = errors.New("esl: connection rejected")
	// ErrRemoteClosed: FreeSWITCH sent a disconnect notice.
	ErrRemoteClosed = errors.New("esl: disconnected by FreeSWITCH")
	// ErrSilent: no frame at all for Config.HeartbeatTimeout.
	ErrSilent = errors.New("esl: FreeSWITCH went silent")
	// ErrOverflow: the event queue overflowed (see Client).
	ErrOverflow = errors.New("esl: event queue overflow")
	// ErrJobLost: no BACKGROUND_JOB arrived within Config.JobTimeout.
	ErrJobLost = errors.New("esl: background job result lost")

	errOutOfSync   = errors.New("esl: reply stream out of sync")
	errProtocol    = errors.New("esl: protocol error")
	errLocalClosed = errors.New("esl: eslgo closed its socket")
)

// notSentError marks an error that happened before the command was written.
type notSentError struct{ err error }

func (e *notSentError) Error() string   { return e.err.Error() }
func (e *notSentError) Unwrap() []error { return []error{e.err, ErrNotSent} }

func notSent(err error) error { return &notSentError{err: err} }

// errRefused is a value that failed its whitelist: ErrUnsafe, not sent.
var errRefused = notSent(ErrUnsafe)

// ReplyError is a -ERR (or other non +OK) reply from FreeSWITCH.
type ReplyError struct {
	// Command is the command's name, e.g. "uuid_kill".
	Command string
	// Reply is the reply text, e.g. "-ERR No such channel!".
	Reply string
}

// Error returns the command and the reply.
func (e *ReplyError) Error() string {
	return "esl: " + e.Command + ": " + e.Reply
}

// Cause returns the reply without its "-ERR " prefix, e.g. "USER_BUSY".
func (e *ReplyError) Cause() string {
	return strings.TrimSpace(strings.TrimPrefix(e.Reply, "-ERR"))
}

// ConnState is the client's connection state.
type ConnState int32

// Connection states.
const (
	StateDisconnected ConnState = iota
	StateConnecting
	StateConnected
	StateClosed
)

// String returns the state's name.
func (s ConnState) String() string {
	switch s {
	case StateDisconnected:
		return "disconnected"
	case StateConnecting:
		return "connecting"
	case StateConnected:
		return "connected"
	case StateClosed:
		return "closed"
	}
	return fmt.Sprintf("state(%d)", int32(s))
}

// DefaultEvents are the events the client subscribes to: what a dialer
// needs, in plain format only (eslgo cannot decode JSON events: defect 12).
var DefaultEvents = []string{
	"CHANNEL_CREATE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER",
	"CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE",
	"BACKGROUND_JOB", "HEARTBEAT", "DTMF",
}

// Config configures a Client. Zero durations and limits take the defaults
// shown.
type Config struct {
	// Addr is FreeSWITCH's event socket, host:port.
	Addr string
	// Password for "auth"; default ClueCon.
	Password string
	// Logger; default slog.Default().
	Logger *slog.Logger
	// DialTimeout bounds the TCP connect (5 s).
	DialTimeout time.Duration
	// AuthTimeout bounds auth/request plus the auth reply (5 s).
	AuthTimeout time.Duration
	// CommandTimeout bounds every command's reply (10 s).
	CommandTimeout time.Duration
	// ProbeInterval is how often "api status" checks the connection (10 s).
	ProbeInterval time.Duration
	// ProbeTimeout bounds the probe's reply (5 s).
	ProbeTimeout time.Duration
	// HeartbeatTimeout: no frame for this long means the connection is
	// dead (45 s; FreeSWITCH sends HEARTBEAT every 20 s).
	HeartbeatTimeout time.Duration
	// BackoffMin and BackoffMax bound the reconnect delay, which doubles per
	// failed attempt, with jitter (200 ms, 30 s).
	BackoffMin, BackoffMax time.Duration
	// QueueLimit and QueueBytes bound the event backlog (65,536 events,
	// 128 MiB).
	QueueLimit int
	QueueBytes int64
	// JobTimeout: a background job without a result after this long fails
	// with ErrJobLost (5 min; originate alone may take 60 s).
	JobTimeout time.Duration
	// Events replaces DefaultEvents; BACKGROUND_JOB and HEARTBEAT are
	// always added, since jobs and the watchdog depend on them.
	Events []string
	// CustomSubclasses are CUSTOM event subclasses to subscribe to, e.g.
	// "callcenter::info"; CUSTOM goes last on the subscription line.
	CustomSubclasses []string
	// Filters are server-side event filters, sent before the subscription
	// on every connection (FreeSWITCH keeps them per connection). With any
	// filter, FreeSWITCH delivers only events a positive filter matches,
	// so Event-Name filters for BACKGROUND_JOB and HEARTBEAT are always
	// added: jobs and the watchdog depend on them.
	Filters []Filter
	// Registerer, when set, receives the client's metrics.
	Registerer prometheus.Registerer
}

// Filter is one server-side event filter, "filter <Header> <Value>" on the
// wire. FreeSWITCH (mod_event_socket's event_handler) delivers an event
// once a positive filter matches one of its headers, unless a negative
// filter matches too: a negative match drops the event whatever the
// order. A filter whose header the event lacks is skipped, so a filter on
// a variable_* header sees only the event types that carry variables.
type Filter struct {
	// Header is the header's name as FreeSWITCH sends it, e.g. "Unique-ID"
	// or "variable_dialer_campaign_id"; matched case-insensitively.
	Header string
	// Value is compared with the header's value case-insensitively. A
	// leading "-" makes the filter negative. "/re/" (flags i and s may
	// follow the closing slash) is a PCRE regular expression; it cannot be
	// negative, since FreeSWITCH reads "-/re/" as the literal text "/re/".
	Value string
}

// String returns the filter as sent after "filter ".
func (f Filter) String() string { return f.Header + " " + f.Value }

var (
	eventNameRe  = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	subclassRe   = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)
	filterNameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,127}$`)
)

// requiredFilters let through, under any filter, the events the client
// itself depends on.
var requiredFilters = []Filter{
	{Header: "Event-Name", Value: "BACKGROUND_JOB"},
	{Header: "Event-Name", Value: "HEARTBEAT"},
}

func (cfg Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if cfg.Password == "" {
		cfg.Password = "ClueCon"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	def(&cfg.DialTimeout, 5*time.Second)
	def(&cfg.AuthTimeout, 5*time.Second)
	def(&cfg.CommandTimeout, 10*time.Second)
	def(&cfg.ProbeInterval, 10*time.Second)
	def(&cfg.ProbeTimeout, 5*time.Second)
	def(&cfg.HeartbeatTimeout, 45*time.Second)
	def(&cfg.BackoffMin, 200*time.Millisecond)
	def(&cfg.BackoffMax, 30*time.Second)
	def(&cfg.JobTimeout, 5*time.Minute)
	if cfg.QueueLimit <= 0 {
		cfg.QueueLimit = 1 << 16
	}
	if cfg.QueueBytes <= 0 {
		cfg.QueueBytes = 128 << 20
	}
	if cfg.Events == nil {
		cfg.Events = DefaultEvents
	}
	events := slices.Clone(cfg.Events)
	for _, e := range []string{"BACKGROUND_JOB", "HEARTBEAT"} {
		if !slices.Contains(events, e) {
			events = append(events, e)
		}
	}
	cfg.Events = events
	if len(cfg.Filters) > 0 {
		filters := slices.Clone(cfg.Filters)
		for _, f := range requiredFilters {
			if !slices.ContainsFunc(filters, func(g Filter) bool {
				return strings.EqualFold(g.Header, f.Header) && strings.EqualFold(g.Value, f.Value)
			}) {
				filters = append(filters, f)
			}
		}
		cfg.Filters = filters
	}
	return cfg
}

// validate checks the configuration after defaults are applied.
func (cfg Config) validate() error {
	if cfg.Addr == "" {
		return errors.New("esl config: Addr: required")
	}
	if strings.ContainsAny(cfg.Password, " \t\r\n") {
		return errors.New("esl config: Password: must not contain white space")
	}
	if cfg.BackoffMax < cfg.BackoffMin {
		return errors.New("esl config: BackoffMax: less than BackoffMin")
	}
	for _, e := range cfg.Events {
		if !eventNameRe.MatchString(e) || e == "CUSTOM" || e == "ALL" {
			return fmt.Errorf("esl config: Events: %q is not an event name (CUSTOM goes through CustomSubclasses)", e)
		}
	}
	for _, s := range cfg.CustomSubclasses {
		if !subclassRe.MatchString(s) {
			return fmt.Errorf("esl config: CustomSubclasses: %q is not a subclass name", s)
		}
	}
	for _, f := range cfg.Filters {
		if err := f.validate(); err != nil {
			return fmt.Errorf("esl config: Filters: %w", err)
		}
	}
	return nil
}

// validate refuses a filter FreeSWITCH would read differently from what
// it says.
func (f Filter) validate() error {
	switch {
	case !filterNameRe.MatchString(f.Header):
		return fmt.Errorf("%q is not a header name", f.Header)
	case strings.EqualFold(f.Header, "add") || strings.EqualFold(f.Header, "delete"):
		return fmt.Errorf("header %q: FreeSWITCH reads it as a filter command", f.Header)
	case f.Value == "" || strings.TrimSpace(f.Value) != f.Value || strings.IndexFunc(f.Value, isControl) >= 0:
		return fmt.Errorf("%s: value %q: empty, padded or with control characters", f.Header, f.Value)
	}
	body := strings.TrimLeft(f.Value, "+- ")
	switch {
	case body == "":
		return fmt.Errorf("%s: value %q: nothing to compare", f.Header, f.Value)
	case body != f.Value && strings.HasPrefix(body, "/"):
		return fmt.Errorf("%s: value %q: a regular expression cannot take a + or - prefix (FreeSWITCH compares it as text)", f.Header, f.Value)
	case strings.HasPrefix(f.Value, "/") && strings.LastIndexByte(f.Value, '/') == 0:
		return fmt.Errorf("%s: value %q: a regular expression needs its closing '/' (FreeSWITCH matches nothing without it)", f.Header, f.Value)
	}
	return nil
}

// subscription is the "event plain ..." command; CUSTOM comes last because
// every word after it is a subclass.
func (cfg Config) subscription() string {
	var b strings.Builder
	b.WriteString("event plain")
	for _, e := range cfg.Events {
		b.WriteString(" " + e)
	}
	if len(cfg.CustomSubclasses) > 0 {
		b.WriteString(" CUSTOM")
		for _, s := range cfg.CustomSubclasses {
			b.WriteString(" " + s)
		}
	}
	return b.String()
}

// Client is a supervised FreeSWITCH event-socket client over eslgo. Run
// keeps one connection up (dial and auth deadlines, heartbeat watchdog,
// status probe, reconnect with capped exponential backoff and jitter,
// re-subscription); commands go over it one at a time; events flow into one
// bounded queue read with Next.
//
// When the queue overflows (the consumer fell behind by QueueLimit events or
// QueueBytes), the client drops the connection, counts what it could not
// queue, waits until the consumer has drained half the queue, and
// reconnects. That is safe because FreeSWITCH keeps every bgapi-originated
// call running without the socket, and the KindConnected marker that follows
// tells the consumer to reconcile from show channels and uuid_exists, the
// same as after any other gap. Memory stays bounded instead of growing with
// the backlog.
type Client struct {
	cfg  Config
	log  *slog.Logger
	q    *eventQueue
	jobs *jobRegistry

	mu      sync.Mutex
	cn      *conn
	gen     uint64
	state   ConnState
	lastErr error
	// since, downErr and retry are Health's: when the connection came up
	// or went down, why it is down (kept while reconnecting), and the
	// reconnect delay after the last failure.
	since     time.Time
	downErr   error
	retry     time.Duration
	connected chan struct{} // closed while connected
	done      chan struct{} // closed by shutdown
	closeOnce sync.Once
	running   bool
	stop      context.CancelFunc
	runDone   chan struct{}

	reconnects atomic.Uint64
	discarded  atomic.Uint64
	events     atomic.Uint64
	eventBytes atomic.Uint64
	commands   *commandMetrics
}

// New returns a client; it starts nothing until Run.
func New(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := &Client{
		cfg:       cfg,
		log:       cfg.Logger.With("component", "esl", "addr", cfg.Addr),
		q:         newEventQueue(cfg.QueueLimit, cfg.QueueBytes),
		jobs:      newJobRegistry(cfg.JobTimeout),
		commands:  newCommandMetrics(),
		connected: make(chan struct{}),
		done:      make(chan struct{}),
		since:     time.Now(),
	}
	if cfg.Registerer != nil {
		if err := c.register(cfg.Registerer); err != nil {
			return nil, fmt.Errorf("register esl metrics: %w", err)
		}
	}
	return c, nil
}

// Run keeps the client connected until ctx ends or Close is called; it
// returns nil then. It may be called once.
func (c *Client) Run(ctx context.Context) error {
	c.mu.Lock()
	if c.running || c.state == StateClosed {
		c.mu.Unlock()
		return errors.New("esl: Run called twice or after Close")
	}
	ctx, stop := context.WithCancel(ctx)
	c.running, c.stop, c.runDone = true, stop, make(chan struct{})
	c.mu.Unlock()
	defer close(c.runDone)
	defer stop()

	attempt := 0
	for ctx.Err() == nil {
		if err := c.q.waitDrained(ctx); err != nil {
			break
		}
		c.setState(StateConnecting, nil)
		cn, err := c.connect(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			c.setState(StateDisconnected, err)
			delay := backoff(c.cfg.BackoffMin, c.cfg.BackoffMax, attempt)
			c.setRetry(delay)
			attempt++
			c.log.Warn("connect to FreeSWITCH failed", "err", err, "attempt", attempt, "retry_in", delay)
			if !sleepCtx(ctx, delay) {
				break
			}
			continue
		}
		up := time.Now()
		cause := c.supervise(ctx, cn)
		c.drop(cn, cause)
		if ctx.Err() != nil {
			break
		}
		if errors.Is(cause, ErrOverflow) || time.Since(up) >= c.cfg.BackoffMax {
			attempt = 0
		}
		delay := backoff(c.cfg.BackoffMin, c.cfg.BackoffMax, attempt)
		c.setRetry(delay)
		attempt++
		c.log.Warn("connection to FreeSWITCH lost", "err", cause, "retry_in", delay)
		if !sleepCtx(ctx, delay) {
			break
		}
	}
	c.shutdown()
	return nil
}

// Close stops Run, fails what is pending with ErrClosed and waits until Run
// has returned and the connection is shut down. It never blocks on eslgo
// (defect 9): the wait is bounded whatever eslgo or FreeSWITCH do.
func (c *Client) Close() error {
	c.mu.Lock()
	stop, done, running := c.stop, c.runDone, c.running
	c.mu.Unlock()
	if running {
		stop()
		<-done
		return nil
	}
	c.shutdown()
	return nil
}

func (c *Client) shutdown() {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.state, c.lastErr = StateClosed, ErrClosed
		c.mu.Unlock()
		close(c.done)
		c.q.close()
		c.jobs.failAll(ErrClosed)
	})
}

// connect dials, registers the event listener and subscribes.
func (c *Client) connect(ctx context.Context) (*conn, error) {
	cn, err := dialConn(ctx, connConfig{
		addr:        c.cfg.Addr,
		password:    c.cfg.Password,
		dialTimeout: c.cfg.DialTimeout,
		authTimeout: c.cfg.AuthTimeout,
		log:         c.log,
		discarded:   &c.discarded,
		events:      &c.events,
		eventBytes:  &c.eventBytes,
		metrics:     c.commands,
	})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.gen++
	gen := c.gen
	c.mu.Unlock()
	gate := &eventGate{}
	sink := c.listener(gen, gate)
	cn.sink.Store(&sink)
	if err := c.subscribe(ctx, cn); err != nil {
		cn.retire(err)
		return nil, err
	}
	if gen > 1 {
		c.reconnects.Add(1)
	}
	c.mu.Lock()
	c.cn = cn
	c.state, c.lastErr = StateConnected, nil
	c.since, c.downErr, c.retry = time.Now(), nil, 0
	close(c.connected)
	c.mu.Unlock()
	gate.open(c.q, Event{Kind: KindConnected, Conn: gen})
	c.log.Info("connected to FreeSWITCH", "conn", gen)
	return cn, nil
}

// subscribe sends the filters, then the subscription, so that no event
// arrives unfiltered: a new connection starts with neither.
func (c *Client) subscribe(ctx context.Context, cn *conn) error {
	for _, f := range c.cfg.Filters {
		resp, err := cn.exec(ctx, rawCommand("filter "+f.String()), "filter", ctReply, c.cfg.CommandTimeout)
		if err == nil && !resp.IsOk() {
			err = &ReplyError{Command: "filter", Reply: resp.GetReply()}
		}
		if err != nil {
			return fmt.Errorf("filter %s: %w", f, err)
		}
	}
	resp, err := cn.exec(ctx, rawCommand(c.cfg.subscription()), "subscribe", ctReply, c.cfg.CommandTimeout)
	if err == nil && !resp.IsOk() {
		err = &ReplyError{Command: "event", Reply: resp.GetReply()}
	}
	if err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	return nil
}

// drop retires a connection and tells the consumer.
func (c *Client) drop(cn *conn, cause error) {
	c.mu.Lock()
	gen := c.gen
	c.cn = nil
	c.connected = make(chan struct{})
	c.state, c.lastErr = StateDisconnected, cause
	c.since, c.downErr = time.Now(), cause
	c.mu.Unlock()
	cn.retire(cause)
	c.q.pushMarker(Event{Kind: KindDisconnected, Conn: gen, Err: cause})
}

// listener takes every event of one connection from the guard, in wire
// order. It must never block (the guard would stop reading FreeSWITCH): it
// decodes and queues the event and returns.
func (c *Client) listener(gen uint64, gate *eventGate) func([]byte) error {
	return func(text []byte) error {
		e, err := parseEvent(gen, text)
		if err != nil {
			return err
		}
		if e.Name == "" {
			return nil
		}
		if e.Name == "BACKGROUND_JOB" && e.JobUUID != "" {
			c.jobs.resolve(e)
		}
		if gate.hold(e) {
			return nil
		}
		c.q.push(e)
		return nil
	}
}

// eventGate keeps a connection's first events, which can arrive between the
// subscription's reply and the KindConnected marker, until the marker is
// queued, so that the consumer reconciles before it sees them.
type eventGate struct {
	opened atomic.Bool // set under mu, read without it on the hot path
	mu     sync.Mutex
	held   []Event
}

// hold keeps e while the gate is shut and reports whether it did.
func (g *eventGate) hold(e Event) bool {
	if g.opened.Load() {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.opened.Load() {
		return false
	}
	g.held = append(g.held, e)
	return true
}

// open queues the marker, then the held events.
func (g *eventGate) open(q *eventQueue, marker Event) {
	g.mu.Lock()
	defer g.mu.Unlock()
	q.pushMarker(marker)
	for _, e := range g.held {
		q.push(e)
	}
	g.held = nil
	g.opened.Store(true)
}

// supervise watches one connection until it dies and returns why: the
// guard's cause (read error, end of stream mid-frame, disconnect notice, a
// poisoned command), silence beyond HeartbeatTimeout, a failed status probe,
// queue overflow, or the client stopping.
func (c *Client) supervise(ctx context.Context, cn *conn) error {
	tick := min(c.cfg.ProbeInterval, c.cfg.HeartbeatTimeout) / 4
	tick = max(min(tick, time.Second), time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	lastProbe := time.Now()
	for {
		select {
		case <-ctx.Done():
			return ErrClosed
		case <-cn.ctx.Done():
			return context.Cause(cn.ctx)
		case <-c.q.overflow:
			// A signal left by a connection that has since gone is stale
			// unless the queue is still refusing events.
			if c.q.isFull() {
				return fmt.Errorf("%w: %d events dropped so far", ErrOverflow, c.q.dropped.Load())
			}
		case now := <-t.C:
			c.jobs.sweep(now)
			if silent := now.Sub(cn.lastFrame()); silent > c.cfg.HeartbeatTimeout {
				return fmt.Errorf("%w for %v", ErrSilent, silent.Round(time.Millisecond))
			}
			if now.Sub(lastProbe) < c.cfg.ProbeInterval {
				continue
			}
			lastProbe = now
			if err := c.probe(ctx, cn); err != nil {
				if ctx.Err() != nil {
					return ErrClosed
				}
				return fmt.Errorf("status probe: %w", err)
			}
		}
	}
}

// probe runs "api status" with ProbeTimeout for the reply (a missing reply
// poisons the connection, as for any command). It is what notices a reader
// that stopped without closing the socket.
func (c *Client) probe(ctx context.Context, cn *conn) error {
	resp, err := cn.exec(ctx, rawCommand("api status"), "api status", ctAPIResponse, c.cfg.ProbeTimeout)
	if err != nil {
		return err
	}
	if !strings.Contains(string(resp.Body), "UP ") {
		return fmt.Errorf("unexpected status reply %q", firstLine(string(resp.Body)))
	}
	return nil
}

func (c *Client) setState(s ConnState, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == StateClosed {
		return
	}
	c.state, c.lastErr = s, err
	if err != nil {
		c.downErr = err
	}
}

func (c *Client) setRetry(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.retry = d
}

// Health is the connection as a status view shows it.
type Health struct {
	State ConnState
	// Since is when the connection came up (State connected) or went
	// down: the retries of one outage count as one.
	Since time.Time
	// Err is why the connection is down: the last error connecting or on
	// the connection, kept while the client reconnects; nil when
	// connected or before the first try ended.
	Err error
	// Retry is the reconnect delay after the last failure.
	Retry time.Duration
}

// Health returns the connection's state, since when, and why it is down.
func (c *Client) Health() Health {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Health{State: c.state, Since: c.since, Err: c.downErr, Retry: c.retry}
}

// State returns the connection state and, when not connected, the last error.
func (c *Client) State() (ConnState, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state, c.lastErr
}

// WaitConnected returns once the client is connected and subscribed.
func (c *Client) WaitConnected(ctx context.Context) error {
	for {
		c.mu.Lock()
		state, ch := c.state, c.connected
		c.mu.Unlock()
		switch state {
		case StateConnected:
			return nil
		case StateClosed:
			return ErrClosed
		}
		select {
		case <-ch:
		case <-c.done:
			return ErrClosed
		case <-ctx.Done():
			return fmt.Errorf("wait for connection: %w", ctx.Err())
		}
	}
}

// Next returns the next event or connection marker, waiting for one. Events
// are in the order the client received them, which is not FreeSWITCH's
// order (eslgo hands each event to its own goroutine): use Event.Seq, or a
// Call, which merges a channel's events in any order. After Close, Next
// returns what is left, then ErrClosed.
func (c *Client) Next(ctx context.Context) (Event, error) {
	return c.q.next(ctx)
}

// Backlog returns how many events wait in the queue.
func (c *Client) Backlog() int {
	return c.q.len()
}

// Stats are the client's counters.
type Stats struct {
	// Backlog is the number of queued events.
	Backlog int
	// Dropped counts events lost to queue overflow.
	Dropped uint64
	// Reconnects counts connections after the first.
	Reconnects uint64
	// Discarded counts frames the guard kept from eslgo (log/data, JSON...).
	Discarded uint64
	// Events and EventBytes count the events received from FreeSWITCH,
	// over all connections, and their size on the wire.
	Events, EventBytes uint64
	// Conn numbers the current or last connection.
	Conn uint64
	// State is the connection state.
	State ConnState
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	gen, state := c.gen, c.state
	c.mu.Unlock()
	return Stats{
		Backlog:    c.q.len(),
		Dropped:    c.q.dropped.Load(),
		Reconnects: c.reconnects.Load(),
		Discarded:  c.discarded.Load(),
		Events:     c.events.Load(),
		EventBytes: c.eventBytes.Load(),
		Conn:       gen,
		State:      state,
	}
}

func (c *Client) register(r prometheus.Registerer) error {
	collectors := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "esl_event_backlog", Help: "Events waiting in the ESL client's queue.",
		}, func() float64 { return float64(c.q.len()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "esl_events_dropped_total", Help: "Events lost because the ESL event queue overflowed.",
		}, func() float64 { return float64(c.q.dropped.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "esl_reconnects_total", Help: "ESL connections made after the first.",
		}, func() float64 { return float64(c.reconnects.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "esl_frames_discarded_total", Help: "Unexpected frames from FreeSWITCH kept from eslgo.",
		}, func() float64 { return float64(c.discarded.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "esl_events_received_total", Help: "Events received from FreeSWITCH (after its server-side filters).",
		}, func() float64 { return float64(c.events.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "esl_event_bytes_total", Help: "Bytes of the events received from FreeSWITCH, as framed on the wire.",
		}, func() float64 { return float64(c.eventBytes.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "esl_connected", Help: "1 while the ESL client is connected and subscribed.",
		}, func() float64 {
			if s, _ := c.State(); s == StateConnected {
				return 1
			}
			return 0
		}),
	}
	collectors = append(collectors, c.commands.collectors()...)
	for _, col := range collectors {
		if err := r.Register(col); err != nil {
			return err
		}
	}
	return nil
}

// current returns the live connection.
func (c *Client) current() (*conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == StateClosed {
		return nil, notSent(ErrClosed)
	}
	if c.cn == nil {
		return nil, notSent(ErrNotConnected)
	}
	return c.cn, nil
}

// rawCommand is a command line sent as is; callers validate every value in
// it, since eslgo checks nothing (defect 14).
type rawCommand string

// BuildMessage returns the command line.
func (r rawCommand) BuildMessage() string { return string(r) }

// bgapiCommand is "bgapi <cmd>" with a client-chosen Job-UUID header, so the
// job can be registered before the command is written (defect 5).
type bgapiCommand struct{ cmd, jobUUID string }

// BuildMessage returns the command line and its Job-UUID header, each ended
// by CRLF like the blank line eslgo appends. The line ending must be the
// same throughout: FreeSWITCH's read_packet ends a line at the first CR of
// the packet if there is one, else at the first LF, so "cmd\nheader\r\n"
// reads as one command line and the Job-UUID header is never seen.
func (b bgapiCommand) BuildMessage() string {
	return "bgapi " + b.cmd + "\r\nJob-UUID: " + b.jobUUID
}

// api runs "api <cmd>" and returns the body; a body starting with -ERR or
// -USAGE is a *ReplyError.
func (c *Client) api(ctx context.Context, name, cmd string) (string, error) {
	if err := checkLine(cmd); err != nil {
		return "", fmt.Errorf("api %s: %w", name, err)
	}
	cn, err := c.current()
	if err != nil {
		return "", fmt.Errorf("api %s: %w", name, err)
	}
	resp, err := cn.exec(ctx, rawCommand("api "+cmd), "api "+name, ctAPIResponse, c.cfg.CommandTimeout)
	if err != nil {
		return "", err
	}
	body := string(resp.Body)
	if strings.HasPrefix(body, "-ERR") || strings.HasPrefix(body, "-USAGE") {
		return "", &ReplyError{Command: name, Reply: strings.TrimSpace(body)}
	}
	return body, nil
}

// API runs "api <cmd>" and returns FreeSWITCH's output; -ERR output is a
// *ReplyError. cmd must be one line.
func (c *Client) API(ctx context.Context, cmd string) (string, error) {
	name, _, _ := strings.Cut(cmd, " ")
	return c.api(ctx, name, cmd)
}

// BackgroundAPI runs "bgapi <cmd>" with a Job-UUID the client chose and
// registered before writing, and returns the job once FreeSWITCH accepted it.
// The BACKGROUND_JOB event also goes to the event stream.
func (c *Client) BackgroundAPI(ctx context.Context, cmd string) (*Job, error) {
	name, _, _ := strings.Cut(cmd, " ")
	if err := checkLine(cmd); err != nil {
		return nil, fmt.Errorf("bgapi %s: %w", name, err)
	}
	cn, err := c.current()
	if err != nil {
		return nil, fmt.Errorf("bgapi %s: %w", name, err)
	}
	job := c.jobs.register(uuid.NewString(), cmd, time.Now())
	resp, err := cn.exec(ctx, bgapiCommand{cmd: cmd, jobUUID: job.ID}, "bgapi "+name, ctReply, c.cfg.CommandTimeout)
	if err == nil && !resp.IsOk() {
		err = &ReplyError{Command: name, Reply: resp.GetReply()}
	}
	if err == nil && resp.GetHeader("Job-UUID") != job.ID {
		err = fmt.Errorf("bgapi %s: %w: reply for job %q, want %q", name, errOutOfSync, resp.GetHeader("Job-UUID"), job.ID)
		cn.die(err)
	}
	if err != nil {
		c.jobs.forget(job.ID)
		return nil, err
	}
	return job, nil
}

// Originate sends "bgapi originate ..." rendered by o (which validates and
// escapes every value) and returns the job once FreeSWITCH accepted it. The
// job's result is "+OK <uuid>" or "-ERR <CAUSE>". An error wrapping
// ErrNotSent means nothing was sent; after any other error the originate
// may have been sent: check uuid_exists on o.UUID before dialing again.
func (c *Client) Originate(ctx context.Context, o Originate) (*Job, error) {
	cmd, err := o.Command()
	if err != nil {
		return nil, notSent(err)
	}
	job, err := c.BackgroundAPI(ctx, cmd)
	if err != nil {
		return nil, fmt.Errorf("originate %s: %w", o.UUID, err)
	}
	return job, nil
}

// Bridge bridges two channels (uuid_bridge).
func (c *Client) Bridge(ctx context.Context, a, b string) error {
	if err := checkIDs("uuid", a, b); err != nil {
		return fmt.Errorf("uuid_bridge: %w", err)
	}
	_, err := c.api(ctx, "uuid_bridge", "uuid_bridge "+a+" "+b)
	return err
}

// Transfer sends a channel to an extension (uuid_transfer); empty dialplan
// and context leave FreeSWITCH's defaults (XML, default).
func (c *Client) Transfer(ctx context.Context, uuid, extension, dialplan, dpContext string) error {
	if err := checkIDs("uuid", uuid); err != nil {
		return fmt.Errorf("uuid_transfer: %w", err)
	}
	if !extensionRe.MatchString(extension) {
		return fmt.Errorf("uuid_transfer: extension %q: %w", extension, errRefused)
	}
	cmd := "uuid_transfer " + uuid + " " + extension
	if dpContext != "" && dialplan == "" {
		dialplan = "XML"
	}
	if dialplan != "" {
		if !dialplanRe.MatchString(dialplan) {
			return fmt.Errorf("uuid_transfer: dialplan %q: %w", dialplan, errRefused)
		}
		cmd += " " + dialplan
	}
	if dpContext != "" {
		if !contextRe.MatchString(dpContext) {
			return fmt.Errorf("uuid_transfer: context %q: %w", dpContext, errRefused)
		}
		cmd += " " + dpContext
	}
	_, err := c.api(ctx, "uuid_transfer", cmd)
	return err
}

// Broadcast plays a file or tone stream to a channel (uuid_broadcast
// <uuid> <path> aleg), e.g. a ringback tone while it waits for a bridge.
func (c *Client) Broadcast(ctx context.Context, uuid, path string) error {
	if err := checkIDs("uuid", uuid); err != nil {
		return fmt.Errorf("uuid_broadcast: %w", err)
	}
	if path == "" || strings.ContainsAny(path, " \r\n") {
		return fmt.Errorf("uuid_broadcast: path %q: %w", path, ErrUnsafe)
	}
	_, err := c.api(ctx, "uuid_broadcast", "uuid_broadcast "+uuid+" "+path+" aleg")
	return err
}

// Kill hangs a channel up with cause (uuid_kill); empty cause is
// NORMAL_CLEARING. A channel that no longer exists is a *ReplyError
// ("-ERR No such channel!").
func (c *Client) Kill(ctx context.Context, uuid, cause string) error {
	if err := checkIDs("uuid", uuid); err != nil {
		return fmt.Errorf("uuid_kill: %w", err)
	}
	cmd := "uuid_kill " + uuid
	if cause != "" {
		if !causeRe.MatchString(cause) {
			return fmt.Errorf("uuid_kill: cause %q: %w", cause, errRefused)
		}
		cmd += " " + cause
	}
	_, err := c.api(ctx, "uuid_kill", cmd)
	return err
}

// Exists reports whether a channel exists (uuid_exists).
func (c *Client) Exists(ctx context.Context, uuid string) (bool, error) {
	if err := checkIDs("uuid", uuid); err != nil {
		return false, fmt.Errorf("uuid_exists: %w", err)
	}
	out, err := c.api(ctx, "uuid_exists", "uuid_exists "+uuid)
	if err != nil {
		return false, err
	}
	switch strings.TrimSpace(out) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("uuid_exists: unexpected reply %q", firstLine(out))
}

// SetVar sets a channel variable (uuid_setvar); an empty value unsets it.
// The value may contain spaces but no control characters.
func (c *Client) SetVar(ctx context.Context, uuid, name, value string) error {
	if err := checkIDs("uuid", uuid); err != nil {
		return fmt.Errorf("uuid_setvar: %w", err)
	}
	if !varNameRe.MatchString(name) {
		return fmt.Errorf("uuid_setvar: variable name %q: %w", name, errRefused)
	}
	cmd := "uuid_setvar " + uuid + " " + name
	if value != "" {
		if strings.TrimSpace(value) != value || strings.IndexFunc(value, isControl) >= 0 {
			return fmt.Errorf("uuid_setvar: value of %s: %w", name, errRefused)
		}
		cmd += " " + value
	}
	_, err := c.api(ctx, "uuid_setvar", cmd)
	return err
}

// GetVar returns a channel variable (uuid_getvar); unset reads as "".
func (c *Client) GetVar(ctx context.Context, uuid, name string) (string, error) {
	if err := checkIDs("uuid", uuid); err != nil {
		return "", fmt.Errorf("uuid_getvar: %w", err)
	}
	if !varNameRe.MatchString(name) {
		return "", fmt.Errorf("uuid_getvar: variable name %q: %w", name, errRefused)
	}
	out, err := c.api(ctx, "uuid_getvar", "uuid_getvar "+uuid+" "+name)
	if err != nil {
		return "", err
	}
	if out = strings.TrimRight(out, "\n"); out == undefValue {
		return "", nil
	}
	return out, nil
}

// HangupAll hangs up every channel whose variable name equals value, with
// cause (hupall CAUSE name value); e.g. all calls of a campaign.
func (c *Client) HangupAll(ctx context.Context, cause, name, value string) error {
	if !causeRe.MatchString(cause) {
		return fmt.Errorf("hupall: cause %q: %w", cause, errRefused)
	}
	if !varNameRe.MatchString(name) {
		return fmt.Errorf("hupall: variable name %q: %w", name, errRefused)
	}
	if !hupallValueRe.MatchString(value) {
		return fmt.Errorf("hupall: value %q: %w", value, errRefused)
	}
	_, err := c.api(ctx, "hupall", "hupall "+cause+" "+name+" "+value)
	return err
}

// Whitelists for values the client puts on a command line: FreeSWITCH
// splits API arguments on spaces and an LF starts a new ESL command (ESL.md
// section 3).
var (
	idRe          = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)
	causeRe       = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)
	varNameRe     = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	hupallValueRe = regexp.MustCompile(`^[A-Za-z0-9._:@+-]{1,256}$`)
	extensionRe   = regexp.MustCompile(`^[A-Za-z0-9_+*#.@:-]{1,128}$`)
	dialplanRe    = regexp.MustCompile(`^[A-Za-z]{1,32}$`)
	contextRe     = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
)

func checkIDs(field string, ids ...string) error {
	for _, id := range ids {
		if !idRe.MatchString(id) {
			return fmt.Errorf("%s %q: %w", field, id, errRefused)
		}
	}
	return nil
}

// checkLine refuses a command that would not stay one ESL command line.
func checkLine(cmd string) error {
	if cmd == "" || strings.IndexFunc(cmd, isControl) >= 0 {
		return fmt.Errorf("command %q: %w", firstLine(cmd), errRefused)
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}

// backoff returns the delay before reconnect attempt n: min·2ⁿ capped at max,
// of which a random half is jitter, so that many dialers restarting together
// do not reconnect in step.
func backoff(minD, maxD time.Duration, n int) time.Duration {
	d := maxD
	if n < 32 {
		if e := minD << n; e > 0 && e < maxD {
			d = e
		}
	}
	return d/2 + rand.N(d/2+1)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
