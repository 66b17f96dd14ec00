package fssim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Options configures a Server. The zero value is usable: password
// "ClueCon", real-time speed, the test numbering plan, a 20 s
// heartbeat.
type Options struct {
	// Password is what "auth <pw>" must carry; default "ClueCon".
	Password string
	// Speed makes scenario time run Speed times faster than wall time:
	// rings, talk times, originate timeouts and heartbeats all shrink.
	// Default 1.
	Speed float64
	// Scenario scripts the outcomes; nil means the numbering plan.
	Scenario *Scenario
	// HeartbeatInterval is the HEARTBEAT period in scenario time; zero
	// takes the scenario's or 20 s, a negative value disables heartbeats.
	HeartbeatInterval time.Duration
	// Seed seeds the random mixes; zero takes the scenario's seed, else 1.
	Seed int64
	// Logger receives the simulator's own diagnostics; nil discards them.
	Logger *slog.Logger
	// StartTime is the scenario clock's origin; zero means time.Now().
	StartTime time.Time
	// Hostname is sent as FreeSWITCH-Hostname; default "fssim".
	Hostname string
	// Location is the zone of Event-Date-Local and the *_stamp variables;
	// default time.Local.
	Location *time.Location
	// QueueLimit is each connection's event queue size; default 100000,
	// FreeSWITCH's MAX_QUEUE_LEN.
	QueueLimit int
	// RecordLimit bounds the ended channels and originates kept for Calls
	// and Originates; the oldest are forgotten first. Default 200000.
	RecordLimit int
	// AuthTimeout is how long (wall time) a new connection may take to
	// authenticate; default 25 s as in mod_event_socket.
	AuthTimeout time.Duration
	// RecordingsDir is the switch's recordings_dir (global_getvar), under
	// which uuid_record resolves relative paths; default
	// /var/lib/freeswitch/recordings.
	RecordingsDir string
}

// Server is a simulated FreeSWITCH 1.10 event socket. Create it with New,
// serve with Start, stop with Close. All methods are safe for concurrent
// use.
type Server struct {
	opts        Options
	log         *slog.Logger
	scen        *Scenario
	clk         *clock
	seed        int64
	password    string
	hostname    string
	loc         *time.Location
	queueLimit  int
	recordLimit int
	authTimeout time.Duration
	heartbeat   time.Duration

	silent     atomic.Bool
	eventDelay atomic.Int64
	reorder    atomic.Int32

	mu          sync.Mutex
	sched       *scheduler
	rng         *rand.Rand
	coreUUID    string
	upSince     time.Time
	seq         uint64
	chanSeq     uint64
	sessionID   int
	sinceStart  int
	peak        int
	perSecStart time.Time
	perSecCount int
	perSecLast  int
	perSecMax   int
	conns       []*conn
	connID      uint64
	chans       map[string]*channel
	ended       []*channel
	origs       []*OriginateRecord
	origSeq     int
	failN       int
	failReply   string
	targets     []*conn

	ln      net.Listener
	started bool
	closed  bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// New builds a server from o; it starts nothing. A scenario built in Go
// is validated by Start.
func New(o Options) *Server {
	s := &Server{opts: o}
	s.log = o.Logger
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "fssim")
	s.scen = o.Scenario
	speed := o.Speed
	if speed <= 0 {
		speed = 1
	}
	start := o.StartTime
	if start.IsZero() {
		start = time.Now()
	}
	s.clk = &clock{wallStart: time.Now(), simStart: start, speed: speed}
	s.seed = o.Seed
	if s.seed == 0 && s.scen != nil {
		s.seed = s.scen.Seed
	}
	if s.seed == 0 {
		s.seed = 1
	}
	s.password = o.Password
	if s.password == "" {
		s.password = "ClueCon"
	}
	s.hostname = o.Hostname
	if s.hostname == "" {
		s.hostname = "fssim"
	}
	s.loc = o.Location
	if s.loc == nil {
		s.loc = time.Local
	}
	s.queueLimit = o.QueueLimit
	if s.queueLimit <= 0 {
		s.queueLimit = 100000
	}
	s.recordLimit = o.RecordLimit
	if s.recordLimit <= 0 {
		s.recordLimit = 200000
	}
	s.authTimeout = o.AuthTimeout
	if s.authTimeout <= 0 {
		s.authTimeout = 25 * time.Second
	}
	s.heartbeat = o.HeartbeatInterval
	if s.heartbeat == 0 && s.scen != nil {
		s.heartbeat = s.scen.Heartbeat
	}
	if s.heartbeat == 0 {
		s.heartbeat = 20 * time.Second
	}
	s.sched = newScheduler(&s.mu, s.clk)
	s.rng = rand.New(rand.NewPCG(uint64(s.seed), 0x5eed))
	s.coreUUID = uuid.NewString()
	s.upSince = start
	s.chans = map[string]*channel{}
	return s
}

// Start listens on addr (for example "127.0.0.1:0") and serves in the
// background until ctx is done or Close is called.
func (s *Server) Start(ctx context.Context, addr string) error {
	if s.scen != nil {
		if err := s.scen.Validate(); err != nil {
			return fmt.Errorf("start fssim: %w", err)
		}
	}
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("start fssim: already started")
	}
	s.started = true
	s.mu.Unlock()

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("start fssim: listen %s: %w", addr, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	s.ln = ln
	s.cancel = cancel
	if s.heartbeat > 0 {
		s.scheduleHeartbeat(s.clk.now())
	}
	s.mu.Unlock()

	s.wg.Add(3)
	go func() {
		defer s.wg.Done()
		s.sched.run(ctx)
	}()
	go func() {
		defer s.wg.Done()
		s.acceptLoop(ln)
	}()
	go func() {
		defer s.wg.Done()
		<-ctx.Done()
		s.shutdown()
	}()
	s.log.Info("listening", "addr", ln.Addr().String(), "speed", s.clk.speed)
	return nil
}

// Addr is the address the server listens on ("" before Start).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Close stops the server: every connection gets FreeSWITCH's shutdown
// notice and is closed, and all goroutines are waited for.
func (s *Server) Close() error {
	s.mu.Lock()
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	s.wg.Wait()
	return nil
}

func (s *Server) shutdown() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	ln := s.ln
	conns := append([]*conn(nil), s.conns...)
	s.sched.clear()
	s.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	for _, c := range conns {
		c.closeAfter(disconnectNotice(shutdownText), false)
	}
	deadline := time.After(time.Second)
	for _, c := range conns {
		select {
		case <-c.done:
		case <-deadline:
			c.shutdown()
		}
	}
}

// Now is the simulator's clock: start time plus Speed times the wall time
// elapsed. Event timestamps and billing use it.
func (s *Server) Now() time.Time { return s.clk.now() }

func (s *Server) acceptLoop(ln net.Listener) {
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("accept", "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = nc.Close()
			return
		}
		s.connID++
		c := newConn(s, nc, s.connID)
		s.conns = append(s.conns, c)
		s.wg.Add(2)
		s.mu.Unlock()
		c.reply([]byte(authRequestFrame))
		go c.readLoop()
		go c.writeLoop()
	}
}

func (s *Server) removeConn(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.removed = true
	for i, x := range s.conns {
		if x == c {
			s.conns = append(s.conns[:i], s.conns[i+1:]...)
			break
		}
	}
	if c.session != nil {
		s.unbind(c)
	}
}

func (s *Server) unbind(c *conn) {
	ch := c.session
	for i, b := range ch.bound {
		if b == c {
			ch.bound = append(ch.bound[:i], ch.bound[i+1:]...)
			break
		}
	}
}

// emit fires an event: the sequence number always advances (as in
// FreeSWITCH, where unsubscribed events still consume one), but the
// headers are only built when a connection wants the event. Caller holds
// s.mu.
func (s *Server) emit(name, subclass string, at time.Time, site callSite, fill func(*event)) {
	s.seq++
	seq := s.seq
	s.targets = s.targets[:0]
	for _, c := range s.conns {
		if c.wants(name, subclass) {
			s.targets = append(s.targets, c)
		}
	}
	if len(s.targets) == 0 {
		return
	}
	ev := &event{name: name, subclass: subclass, headers: make([]header, 0, 96)}
	if subclass != "" {
		ev.add("Event-Subclass", subclass)
	} else {
		ev.add("Event-Name", name)
	}
	ev.add("Core-UUID", s.coreUUID)
	ev.add("FreeSWITCH-Hostname", s.hostname)
	ev.add("FreeSWITCH-Switchname", s.hostname)
	ev.add("FreeSWITCH-IPv4", "127.0.0.1")
	ev.add("FreeSWITCH-IPv6", "::1")
	ev.add("Event-Date-Local", at.In(s.loc).Format(localLayout))
	ev.add("Event-Date-GMT", at.UTC().Format(gmtLayout))
	ev.add("Event-Date-Timestamp", strconv.FormatInt(at.UnixMicro(), 10))
	ev.add("Event-Calling-File", site.file)
	ev.add("Event-Calling-Function", site.fn)
	ev.add("Event-Calling-Line-Number", strconv.Itoa(site.line))
	ev.add("Event-Sequence", strconv.FormatUint(seq, 10))
	if subclass != "" {
		ev.add("Event-Name", name)
	}
	fill(ev)
	now := time.Now()
	for _, c := range s.targets {
		if !c.passes(ev) {
			continue
		}
		if !c.pushEvent(ev, now) {
			s.log.Warn("event queue overflow, killing listener", "conn", c.id)
			c.kill()
		}
	}
	clear(s.targets)
}

func (s *Server) scheduleHeartbeat(from time.Time) {
	s.sched.at(from.Add(s.heartbeat), func(at time.Time) {
		s.fireHeartbeat(at)
		s.scheduleHeartbeat(at)
	})
}

// upTime renders FreeSWITCH's uptime text.
func upTime(d time.Duration) string {
	us := d.Microseconds()
	const (
		usPerMs  = 1000
		usPerSec = 1000 * usPerMs
		usPerMin = 60 * usPerSec
		usPerH   = 60 * usPerMin
		usPerDay = 24 * usPerH
		usPerYr  = 365 * usPerDay
	)
	y := us / usPerYr
	us %= usPerYr
	dd := us / usPerDay
	us %= usPerDay
	h := us / usPerH
	us %= usPerH
	m := us / usPerMin
	us %= usPerMin
	sec := us / usPerSec
	us %= usPerSec
	ms := us / usPerMs
	us %= usPerMs
	return fmt.Sprintf("%d years, %d days, %d hours, %d minutes, %d seconds, %d milliseconds, %d microseconds",
		y, dd, h, m, sec, ms, us)
}

const fsVersion = "1.10.12-release+git~20240802T210227Z~a88d069d6f~64bit"

func (s *Server) fireHeartbeat(at time.Time) {
	s.rollPerSec(at)
	up := at.Sub(s.upSince)
	s.emit("HEARTBEAT", "", at, siteHeartbeat, func(ev *event) {
		ev.add("Event-Info", "System Ready")
		ev.add("Up-Time", upTime(up))
		ev.add("FreeSWITCH-Version", fsVersion)
		ev.add("Uptime-msec", strconv.FormatInt(up.Milliseconds(), 10))
		ev.add("Session-Count", strconv.Itoa(len(s.chans)))
		ev.add("Max-Sessions", "5000")
		ev.add("Session-Per-Sec", "1000")
		ev.add("Session-Per-Sec-Last", strconv.Itoa(s.perSecLast))
		ev.add("Session-Per-Sec-Max", strconv.Itoa(s.perSecMax))
		ev.add("Session-Per-Sec-FiveMin", strconv.Itoa(s.perSecMax))
		ev.add("Session-Since-Startup", strconv.Itoa(s.sinceStart))
		ev.add("Session-Peak-Max", strconv.Itoa(s.peak))
		ev.add("Session-Peak-FiveMin", strconv.Itoa(s.peak))
		ev.add("Idle-CPU", "98.000000")
	})
}

// rollPerSec keeps the sessions-per-second counters in scenario seconds.
func (s *Server) rollPerSec(at time.Time) {
	sec := at.Truncate(time.Second)
	if !sec.Equal(s.perSecStart) {
		if at.Sub(s.perSecStart) < 2*time.Second {
			s.perSecLast = s.perSecCount
		} else {
			s.perSecLast = 0
		}
		s.perSecStart, s.perSecCount = sec, 0
	}
}

func (s *Server) countSession(at time.Time) {
	s.rollPerSec(at)
	s.perSecCount++
	s.perSecMax = max(s.perSecMax, s.perSecCount)
	s.sinceStart++
	s.peak = max(s.peak, len(s.chans))
}
