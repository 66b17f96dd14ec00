package fssim

import (
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// handle runs one command the way mod_event_socket's parse_command does
// and reports whether the connection stays open.
func (s *Server) handle(c *conn, cmd *command) bool {
	line := cmd.line
	if hasPrefixFold(line, "exit") || hasPrefixFold(line, "...") {
		c.reply(commandReply("+OK bye"))
		c.closeAfter(disconnectNotice(goodbyeText), false)
		return false
	}

	s.mu.Lock()
	authed := c.authed
	s.mu.Unlock()
	if !authed {
		return s.handleAuth(c, line)
	}

	s.mu.Lock()
	if s.failN > 0 {
		s.failN--
		text := s.failReply
		s.mu.Unlock()
		if hasPrefixFold(line, "api ") {
			c.reply(apiResponse(text))
		} else {
			c.reply(commandReply(text))
		}
		return true
	}
	s.mu.Unlock()

	switch {
	case hasPrefixFold(line, "filter "):
		c.reply(commandReply(s.cmdFilter(c, line[7:])))
	case hasPrefixFold(line, "myevents "):
		c.reply(commandReply(s.cmdMyEvents(c, line[9:])))
	case hasPrefixFold(line, "divert_events"):
		c.reply(commandReply(s.cmdSession(c, "divert_events", line[13:])))
	case hasPrefixFold(line, "sendmsg"):
		c.reply(commandReply(s.cmdSendMsg(c, cmd)))
	case hasPrefixFold(line, "sendevent"):
		c.reply(commandReply(s.cmdSendEvent(cmd)))
	case hasPrefixFold(line, "api "):
		return s.cmdAPI(c, line[4:])
	case hasPrefixFold(line, "bgapi "):
		s.cmdBgAPI(c, cmd, line[6:])
	case hasPrefixFold(line, "log"):
		c.reply(commandReply(s.cmdLog(c, line)))
	case hasPrefixFold(line, "linger"):
		c.reply(commandReply(s.cmdSession(c, "linger", line[6:])))
	case hasPrefixFold(line, "nolinger"):
		c.reply(commandReply(s.cmdSession(c, "nolinger", "")))
	case hasPrefixFold(line, "nolog"):
		c.reply(commandReply(s.cmdNoLog(c)))
	case hasPrefixFold(line, "event"):
		c.reply(commandReply(s.cmdEvent(c, line)))
	case hasPrefixFold(line, "nixevent"):
		c.reply(commandReply(s.cmdNixEvent(c, line)))
	case hasPrefixFold(line, "noevents"):
		c.reply(commandReply(s.cmdNoEvents(c)))
	default:
		c.reply(commandReply("-ERR command not found"))
	}
	return true
}

func (s *Server) handleAuth(c *conn, line string) bool {
	switch {
	case hasPrefixFold(line, "auth "):
		if line[5:] == s.password {
			s.mu.Lock()
			c.authed = true
			s.mu.Unlock()
			_ = c.nc.SetReadDeadline(time.Time{})
			c.reply(commandReply("+OK accepted"))
			return true
		}
	case hasPrefixFold(line, "userauth "):
	default:
		c.reply(commandReply("-ERR command not found"))
		return true
	}
	c.reply(commandReply("-ERR invalid"))
	c.closeAfter(disconnectNotice(goodbyeText), false)
	return false
}

func (s *Server) cmdFilter(c *conn, arg string) string {
	arg = strings.TrimLeft(arg, " ")
	name, val, hasVal := strings.Cut(arg, " ")
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.EqualFold(name, "delete") && hasVal {
		name, val, hasVal = strings.Cut(val, " ")
		if strings.EqualFold(name, "all") {
			c.filters = nil
		} else {
			kept := c.filters[:0]
			for _, f := range c.filters {
				if strings.EqualFold(f.name, name) && (!hasVal || f.value == val) {
					continue
				}
				kept = append(kept, f)
			}
			c.filters = kept
		}
		return "+OK filter deleted. [" + name + "][" + val + "]"
	}
	if !hasVal {
		return "-ERR invalid syntax"
	}
	if strings.EqualFold(name, "add") {
		name, val, _ = strings.Cut(val, " ")
	}
	f := filter{name: name, value: val}
	if strings.HasPrefix(val, "/") {
		f.re = compileFilterRegexp(val)
	}
	c.filters = append(c.filters, f)
	return "+OK filter added. [" + name + "]=[" + val + "]"
}

// cmdEvent implements "event [plain|json|xml] <names...>".
func (s *Server) cmdEvent(c *conn, line string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, rest, ok := strings.Cut(line, " ")
	keys, custom := 0, false
	if ok {
		for i, tok := range strings.Split(rest, " ") {
			if i == 0 {
				switch strings.ToLower(tok) {
				case "plain":
					c.format.Store(int32(formatPlain))
					continue
				case "json":
					c.format.Store(int32(formatJSON))
					continue
				case "xml":
					c.format.Store(int32(formatXML))
					continue
				}
			}
			if custom {
				c.custom[tok] = true
				continue
			}
			name, known := nameEvent(tok)
			if !known {
				continue
			}
			keys++
			if name == "ALL" {
				c.all = true
				for _, n := range eventNames {
					c.names[n] = true
				}
			}
			c.names[name] = true
			if name == "CUSTOM" {
				custom = true
			}
		}
	}
	if keys == 0 {
		return "-ERR no keywords supplied"
	}
	c.eventsOn = true
	return "+OK event listener enabled " + eventFormat(c.format.Load()).String()
}

func (s *Server) cmdNixEvent(c *conn, line string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, rest, ok := strings.Cut(line, " ")
	keys, custom := 0, false
	if ok {
		for _, tok := range strings.Split(rest, " ") {
			if custom {
				delete(c.custom, tok)
				continue
			}
			name, known := nameEvent(tok)
			if !known {
				continue
			}
			keys++
			switch name {
			case "CUSTOM":
				custom = true
			case "ALL":
				c.all = false
				clear(c.names)
			default:
				if c.all {
					c.all = false
					for _, n := range eventNames {
						c.names[n] = n != "ALL"
					}
				}
				c.names[name] = false
			}
		}
	}
	if keys == 0 {
		return "-ERR no keywords supplied"
	}
	c.eventsOn = true
	return "+OK events nixed"
}

func (s *Server) cmdNoEvents(c *conn) string {
	c.flushEvents()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !c.eventsOn {
		return "-ERR not listening for events"
	}
	c.eventsOn = false
	c.all = false
	clear(c.names)
	clear(c.custom)
	return "+OK no longer listening for events"
}

var myEventNames = []string{
	"CHANNEL_ANSWER", "CHANNEL_APPLICATION", "CHANNEL_BRIDGE", "CHANNEL_CREATE", "CHANNEL_DATA",
	"CHANNEL_DESTROY", "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP",
	"CHANNEL_HANGUP_COMPLETE", "CHANNEL_ORIGINATE", "CHANNEL_UUID", "CHANNEL_OUTGOING", "CHANNEL_PARK",
	"CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_STATE", "CHANNEL_UNBRIDGE", "CHANNEL_UNPARK",
	"DETECTED_SPEECH", "DTMF", "NOTALK", "TALK",
}

// cmdMyEvents binds an inbound connection to one channel; the socket is
// closed when that channel hangs up.
func (s *Server) cmdMyEvents(c *conn, arg string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.myevents {
		return "-ERR aready enabled."
	}
	id, fmtName, hasFmt := strings.Cut(arg, " ")
	ch := s.chans[id]
	if ch == nil && hasFmt {
		return "-ERR invalid uuid"
	}
	if ch != nil {
		c.session = ch
		ch.bound = append(ch.bound, c)
		switch strings.ToLower(fmtName) {
		case "json":
			c.format.Store(int32(formatJSON))
		case "xml":
			c.format.Store(int32(formatXML))
		case "plain":
			c.format.Store(int32(formatPlain))
		}
	}
	for _, n := range myEventNames {
		c.names[n] = true
	}
	c.myevents = true
	c.eventsOn = true
	return "+OK Events Enabled"
}

// cmdSession implements the commands that need a controlled session.
func (s *Server) cmdSession(c *conn, name, arg string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.session == nil {
		if name == "divert_events" {
			return "-ERR not controlling a session."
		}
		return "-ERR not controlling a session"
	}
	arg = strings.TrimSpace(arg)
	switch name {
	case "divert_events":
		if arg == "" {
			return "-ERR missing value."
		}
		if strings.EqualFold(arg, "on") {
			return "+OK events diverted"
		}
		return "+OK events not diverted"
	case "linger":
		c.lingerOn = true
		if arg == "" {
			c.linger = -1
			return "+OK will linger"
		}
		n, _ := strconv.Atoi(arg)
		c.linger = time.Duration(n) * time.Second
		return "+OK will linger " + strconv.Itoa(n) + " seconds"
	default:
		c.lingerOn = false
		return "+OK will not linger"
	}
}

// cmdLog implements "log [level]". The simulator has no log lines to send
// (SendLogData injects them); it only remembers that logging is on.
func (s *Server) cmdLog(c *conn, line string) string {
	level := strings.TrimSpace(line[3:])
	n := 7
	if level != "" {
		levels := map[string]int{"console": 0, "alert": 1, "crit": 2, "err": 3, "error": 3,
			"warning": 4, "notice": 5, "info": 6, "debug": 7}
		v, ok := levels[strings.ToLower(level)]
		if num, err := strconv.Atoi(level); err == nil && num >= 0 && num <= 7 {
			v, ok = num, true
		}
		if !ok {
			return "-ERR invalid log level"
		}
		n = v
	}
	s.mu.Lock()
	c.logging = true
	s.mu.Unlock()
	return "+OK log level " + level + " [" + strconv.Itoa(n) + "]"
}

// cmdNoLog implements "nolog", with FreeSWITCH's spelling of its error.
func (s *Server) cmdNoLog(c *conn) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !c.logging {
		return "-ERR not loging"
	}
	c.logging = false
	return "+OK no longer logging"
}

// cmdSendMsg implements sendmsg for the call-commands a dialer uses:
// hangup, and execute of set/export/hangup/transfer (others are accepted
// and ignored).
func (s *Server) cmdSendMsg(c *conn, cmd *command) string {
	id := strings.TrimSpace(cmd.line[7:])
	if id == "" {
		id, _ = cmd.header("session-id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" && c.session != nil {
		id = c.session.uuid
	}
	ch := s.chans[id]
	if ch == nil || ch.ended {
		return "-ERR invalid session id [" + id + "]"
	}
	at := s.clk.now()
	callCmd, _ := cmd.header("call-command")
	switch strings.ToLower(callCmd) {
	case "hangup":
		cause, _ := cmd.header("hangup-cause")
		if cause = str2cause(cause); cause == "" {
			cause = "NORMAL_CLEARING"
		}
		s.hangupCall(ch, cause, at)
	case "execute":
		app, _ := cmd.header("execute-app-name")
		arg, ok := cmd.header("execute-app-arg")
		if !ok {
			arg = strings.TrimRight(cmd.body, "\r\n")
		}
		s.execApp(ch, strings.ToLower(app), arg, at)
	}
	return "+OK"
}

func (s *Server) execApp(ch *channel, app, arg string, at time.Time) {
	switch app {
	case "set", "export":
		if k, v, ok := strings.Cut(arg, "="); ok {
			if v == "" {
				ch.delVar(k)
			} else {
				ch.setVar(k, v)
			}
		}
	case "hangup":
		cause := str2cause(strings.TrimSpace(arg))
		if cause == "" {
			cause = "NORMAL_CLEARING"
		}
		s.hangupCall(ch, cause, at)
	case "transfer":
		parts := strings.Fields(arg)
		if len(parts) > 0 {
			parts = append(parts, "", "")
			s.transfer(ch, parts[0], parts[1], parts[2], at)
		}
	}
}

// cmdSendEvent fires the event given in the command's headers.
func (s *Server) cmdSendEvent(cmd *command) string {
	id := uuid.NewString()
	name, ok := nameEvent(strings.TrimSpace(cmd.line[9:]))
	if !ok {
		name = "CUSTOM"
	}
	sub := ""
	if name == "CUSTOM" {
		sub, _ = cmd.header("Event-Subclass")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.emit(name, sub, s.clk.now(), siteAPI, func(ev *event) {
		for _, h := range cmd.headers {
			if strings.EqualFold(h.name, "content-length") || strings.EqualFold(h.name, "Event-Subclass") {
				continue
			}
			ev.add(h.name, h.value)
		}
		ev.add("Event-UUID", id)
		if cmd.body != "" {
			ev.setBody(cmd.body)
		}
	})
	return "+OK " + id
}

// cmdAPI runs "api <cmd> [arg]" synchronously: while it runs the
// connection gets neither events nor other replies.
func (s *Server) cmdAPI(c *conn, rest string) bool {
	name, arg, _ := strings.Cut(rest, " ")
	result := make(chan string, 1)
	c.setPaused(true)
	s.mu.Lock()
	s.execAPI(name, arg, func(out string) { result <- out }, "")
	s.mu.Unlock()
	select {
	case out := <-result:
		c.mu.Lock()
		c.replies = append(c.replies, outFrame{raw: apiResponse(out)})
		c.paused = false
		c.mu.Unlock()
		c.signal()
		return true
	case <-c.done:
		return false
	}
}

// cmdBgAPI replies at once with the Job-UUID (the client's Job-UUID header
// when present) and later fires BACKGROUND_JOB to every subscriber.
func (s *Server) cmdBgAPI(c *conn, cmd *command, rest string) {
	name, arg, hasArg := strings.Cut(rest, " ")
	job, ok := cmd.header("job-uuid")
	if !ok || job == "" {
		job = uuid.NewString()
	}
	c.reply(commandReply("+OK Job-UUID: "+job, header{"Job-UUID", job}))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.execAPI(name, arg, func(out string) {
		s.emit("BACKGROUND_JOB", "", s.clk.now(), siteBackground, func(ev *event) {
			ev.add("Job-UUID", job)
			ev.add("Job-Command", name)
			if hasArg {
				ev.add("Job-Command-Arg", arg)
			}
			ev.setBody(out)
		})
	}, job)
}
