package fssim

import (
	"time"

	"github.com/google/uuid"
)

// DropConnections closes every connection without a disconnect notice, as
// a crash or a network loss would. With midFrame each connection first
// gets the first half of a frame (its next queued one, or a HEARTBEAT), so
// the client sees a truncated frame followed by EOF. Calls are not
// affected: bgapi-originated channels survive a dropped socket.
func (s *Server) DropConnections(midFrame bool) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	conns := append([]*conn(nil), s.conns...)
	var cut []byte
	if midFrame {
		cut = s.heartbeatFrame(s.clk.now())
		s.wg.Add(len(conns))
	}
	s.mu.Unlock()
	for _, c := range conns {
		if !midFrame {
			c.kill()
			continue
		}
		c.mu.Lock()
		c.drop, c.cut = 2, cut
		c.mu.Unlock()
		c.signal()
		go func() {
			defer s.wg.Done()
			select {
			case <-c.done:
			case <-time.After(time.Second):
				c.shutdown()
			}
		}()
	}
}

// heartbeatFrame renders a HEARTBEAT frame outside the event stream, used
// as the frame cut in half by DropConnections. Caller holds s.mu.
func (s *Server) heartbeatFrame(at time.Time) []byte {
	s.seq++
	ev := &event{name: "HEARTBEAT"}
	ev.add("Event-Name", "HEARTBEAT")
	ev.add("Core-UUID", s.coreUUID)
	ev.add("FreeSWITCH-Hostname", s.hostname)
	ev.add("Event-Date-Timestamp", usec(at))
	ev.add("Event-Sequence", uitoa(s.seq))
	ev.add("Event-Info", "System Ready")
	ev.add("Session-Count", itoa(len(s.chans)))
	return ev.frame(formatPlain)
}

// Restart simulates FreeSWITCH restarting: every connection is dropped,
// every call vanishes without a single event (its CallRecord is marked
// Vanished), pending originates never answer, and the switch comes back
// with a new Core-UUID, a reset Event-Sequence and uptime.
func (s *Server) Restart() {
	s.mu.Lock()
	at := s.clk.now()
	for _, ch := range s.chans {
		ch.ended, ch.vanished = true, true
		ch.timers, ch.digitT = nil, nil
		s.keepEnded(ch)
	}
	clear(s.chans)
	s.sched.clear()
	s.coreUUID = uuid.NewString()
	s.seq = 0
	s.upSince = at
	s.sinceStart, s.peak, s.perSecCount, s.perSecLast, s.perSecMax = 0, 0, 0, 0, 0
	if s.heartbeat > 0 && !s.closed {
		s.scheduleHeartbeat(at)
	}
	s.mu.Unlock()
	s.DropConnections(false)
}

// SetSilent makes the switch go silent (true): nothing at all is written,
// events are discarded and command replies are held, while sockets stay
// open. Turning it off writes the held replies again.
func (s *Server) SetSilent(on bool) {
	s.silent.Store(on)
	s.mu.Lock()
	conns := append([]*conn(nil), s.conns...)
	s.mu.Unlock()
	for _, c := range conns {
		if on {
			c.flushEvents()
		}
		c.signal()
	}
}

// SetEventDelay delays every event by d of wall time before it is
// written; command replies are not delayed. Zero turns it off.
func (s *Server) SetEventDelay(d time.Duration) {
	s.eventDelay.Store(int64(max(d, 0)))
	s.wakeAll()
}

// SetReorderWindow shuffles events in groups of n before writing them
// (events wait up to 20 ms of wall time to fill a group), as FreeSWITCH's
// dispatch threads can deliver events out of Event-Sequence order. n < 2
// turns it off.
func (s *Server) SetReorderWindow(n int) {
	s.reorder.Store(int32(max(n, 0)))
	s.wakeAll()
}

// FailNext answers the next n commands (after auth, except exit) with
// reply instead of running them: an api/response body for api, a
// Reply-Text for the others. An empty reply means "-ERR fault injected".
func (s *Server) FailNext(n int, reply string) {
	if reply == "" {
		reply = "-ERR fault injected"
	}
	s.mu.Lock()
	s.failN, s.failReply = n, reply
	s.mu.Unlock()
}

// SendLogData sends one log/data frame to every authenticated connection,
// as FreeSWITCH does after "log <level>" (it stops eslgo's reader).
func (s *Server) SendLogData() {
	s.mu.Lock()
	at := s.clk.now()
	text := at.In(s.loc).Format("2006-01-02 15:04:05.000000") +
		" [DEBUG] switch_core_state_machine.c:626 (fssim) State NEW\n"
	frame := logDataFrame(7, "switch_core_state_machine.c", "switch_core_session_run", 626, "", text)
	conns := s.authedConns()
	s.mu.Unlock()
	for _, c := range conns {
		c.reply(frame)
	}
}

// SendDisconnectNotice sends FreeSWITCH's shutdown disconnect notice to
// every connection and closes it, queued events discarded.
func (s *Server) SendDisconnectNotice() {
	s.mu.Lock()
	conns := append([]*conn(nil), s.conns...)
	s.mu.Unlock()
	for _, c := range conns {
		c.closeAfter(disconnectNotice(shutdownText), false)
	}
}

// authedConns lists the authenticated connections. Caller holds s.mu.
func (s *Server) authedConns() []*conn {
	var out []*conn
	for _, c := range s.conns {
		if c.authed {
			out = append(out, c)
		}
	}
	return out
}

func (s *Server) wakeAll() {
	s.mu.Lock()
	conns := append([]*conn(nil), s.conns...)
	s.mu.Unlock()
	for _, c := range conns {
		c.signal()
	}
}
