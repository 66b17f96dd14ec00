package fsparse

import "strings"

const maxPacket = 10485760 // read_packet's max_len in mod_event_socket.c

// ParseCommandLine frames raw bytes written to FreeSWITCH's event socket into
// the commands mod_event_socket would execute, porting read_packet and the
// start of parse_command (FreeSWITCH 1.10):
//
//   - Bytes are read one at a time. CR and LF at the start of a packet are
//     skipped. A packet ends at the second LF in a row; CRs in between do not
//     break the run, so "\n\n", "\r\n\r\n" and "\n\r\n" all end a command.
//   - The first line is the command; the other lines are headers. A
//     "Content-Length: N" header (N > 0) makes the next N bytes a body, which
//     is not parsed as commands.
//   - The command is then cut like strip_cr does for api/bgapi: at the first
//     CR anywhere in the packet, or failing that at the first LF. (So a CR in
//     a later header line lets the command swallow the lines before it.)
//   - parse_command replaces any command mentioning both "unload" (or
//     "reload") and "mod_event_socket", case-insensitively, with
//     "api bgapi unload mod_event_socket" (or reload); that rewrite is applied.
//   - A NUL ends the command text, as C strings do.
//
// A trailing packet without its terminating blank line is returned too: the
// next write would complete it. The result is one element per command.
func ParseCommandLine(raw string) (lines []string) {
	i := 0
	for i < len(raw) {
		buf := make([]byte, 0, 256)
		crcount := 0
		complete := false
		for i < len(raw) {
			ch := raw[i]
			i++
			buf = append(buf, ch)
			if buf[0] == '\r' || buf[0] == '\n' { // "bah": skip leading blank lines
				buf = buf[:0]
				continue
			}
			if ch == '\n' {
				crcount++
			} else if ch != '\r' {
				crcount = 0
			}
			if len(buf) >= maxPacket {
				crcount = 2
			}
			if crcount == 2 {
				complete = true
				break
			}
		}
		if len(buf) == 0 {
			break
		}
		pkt := newCbuf(string(buf))
		lines = append(lines, effectiveCommand(pkt.str(0)))
		if !complete {
			break
		}
		for _, n := range bodyLengths(pkt) {
			i += n
		}
	}
	return lines
}

// effectiveCommand applies parse_command's mod_event_socket rewrite and
// strip_cr to the Command header (the whole packet as a C string).
func effectiveCommand(cmd string) string {
	l := strings.ToLower(cmd)
	if strings.Contains(l, "mod_event_socket") {
		if strings.Contains(l, "unload") {
			return "api bgapi unload mod_event_socket"
		}
		if strings.Contains(l, "reload") {
			return "api bgapi reload mod_event_socket"
		}
	}
	return stripCR(cmd)
}

// stripCR ports strip_cr: cut at the first CR, or failing that the first LF.
func stripCR(s string) string {
	if i := strings.IndexByte(s, '\r'); i >= 0 {
		return s[:i]
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// bodyLengths walks the packet's lines the way read_packet does (including
// strip_cr writing NULs into the buffer) and returns the Content-Length of
// every header that announces a body, in order.
func bodyLengths(pkt *cbuf) []int {
	var out []int
	cur, count := 0, 0
	for cur >= 0 {
		next := -1
		s := pkt.str(cur)
		if j := strings.IndexByte(s, '\r'); j >= 0 {
			next = cur + j
		} else if j := strings.IndexByte(s, '\n'); j >= 0 {
			next = cur + j
		}
		if next >= 0 {
			for pkt.at(next) == '\r' || pkt.at(next) == '\n' {
				next++
			}
		}
		count++
		if count > 1 {
			line := stripCR(s)
			pkt.set(cur+len(line), 0)
			if k := strings.IndexByte(line, ':'); k >= 0 {
				name := line[:k]
				val := strings.TrimLeft(line[k+1:], " ")
				if strings.EqualFold(name, "content-length") {
					if n := atoi(val); n > 0 {
						out = append(out, n)
					}
				}
			}
		}
		cur = next
	}
	return out
}
