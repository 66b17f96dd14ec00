package fssim

import "strconv"

// urlUnsafe lists the printable bytes switch_url_encode always escapes
// (SWITCH_URL_UNSAFE in switch_utils.h).
const urlUnsafe = "\r\n #%&+:;<=>?@[\\]^`{|}\""

const upperHex = "0123456789ABCDEF"

var unsafeTable = func() (t [256]bool) {
	for i := 0; i < 256; i++ {
		t[i] = i < 0x20 || i > 0x7e
	}
	for i := 0; i < len(urlUnsafe); i++ {
		t[urlUnsafe[i]] = true
	}
	return t
}()

func isUpperHex(b byte) bool {
	return (b >= '0' && b <= '9') || (b >= 'A' && b <= 'F')
}

// appendURLEncoded appends s encoded the way switch_url_encode does it:
// every byte outside 0x20-0x7E and every byte of urlUnsafe becomes %XX,
// except that a '%' already followed by two upper-case hex digits is kept,
// so "%41" goes out unchanged and decodes to "A".
func appendURLEncoded(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && isUpperHex(s[i+1]) && isUpperHex(s[i+2]) {
			dst = append(dst, c)
			continue
		}
		if unsafeTable[c] {
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&0x0f])
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

// appendJSONString appends s as a JSON string escaped the way cJSON prints
// it: quote, backslash and the control characters are escaped, everything
// else (including '/' and UTF-8) is copied as is.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			if c < 0x20 {
				dst = append(dst, '\\', 'u', '0', '0', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0x0f])
				continue
			}
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// serializePlain renders ev like switch_event_serialize with encoding on:
// "Name: value\n" per header, "_undef_" for an empty value, then either a
// blank line or "Content-Length: N\n\n" and the body.
func serializePlain(ev *event) []byte {
	size := 64 + len(ev.body)
	for _, h := range ev.headers {
		size += len(h.name) + len(h.value)*3/2 + 4
	}
	b := make([]byte, 0, size)
	for _, h := range ev.headers {
		b = append(b, h.name...)
		b = append(b, ':', ' ')
		n := len(b)
		b = appendURLEncoded(b, h.value)
		if len(b) == n {
			b = append(b, "_undef_"...)
		}
		b = append(b, '\n')
	}
	if ev.hasBody {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(ev.body)), 10)
		b = append(b, '\n', '\n')
		b = append(b, ev.body...)
		return b
	}
	return append(b, '\n')
}

// serializeJSON renders ev like switch_event_serialize_json: one flat
// object, values as strings in header order (duplicates kept), and for an
// event with a body a "Content-Length" member followed by "_body".
func serializeJSON(ev *event) []byte {
	size := 64 + len(ev.body)
	for _, h := range ev.headers {
		size += len(h.name) + len(h.value) + 8
	}
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, h := range ev.headers {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, h.name)
		b = append(b, ':')
		b = appendJSONString(b, h.value)
	}
	if ev.hasBody {
		if len(ev.headers) > 0 {
			b = append(b, ',')
		}
		b = append(b, `"Content-Length":"`...)
		b = strconv.AppendInt(b, int64(len(ev.body)), 10)
		b = append(b, `","_body":`...)
		b = appendJSONString(b, ev.body)
	}
	return append(b, '}')
}

// serializeXML renders ev roughly like switch_event_xmlize followed by
// switch_xml_toxml: url-encoded header values as elements under
// <headers>, then Content-Length and <body> for an event with a body.
func serializeXML(ev *event) []byte {
	b := make([]byte, 0, 128+len(ev.body)+len(ev.headers)*48)
	b = append(b, "<event>\n  <headers>\n"...)
	for _, h := range ev.headers {
		b = append(b, "    <"...)
		b = append(b, h.name...)
		b = append(b, '>')
		b = appendURLEncoded(b, h.value)
		b = append(b, "</"...)
		b = append(b, h.name...)
		b = append(b, ">\n"...)
	}
	b = append(b, "  </headers>\n"...)
	if ev.hasBody && ev.body != "" {
		b = append(b, "  <Content-Length>"...)
		b = strconv.AppendInt(b, int64(len(ev.body)), 10)
		b = append(b, "</Content-Length>\n  <body>"...)
		for i := 0; i < len(ev.body); i++ {
			switch c := ev.body[i]; c {
			case '&':
				b = append(b, "&amp;"...)
			case '<':
				b = append(b, "&lt;"...)
			case '>':
				b = append(b, "&gt;"...)
			case '"':
				b = append(b, "&quot;"...)
			default:
				b = append(b, c)
			}
		}
		b = append(b, "</body>\n"...)
	}
	return append(b, "</event>"...)
}

// eventFrame wraps a serialized event in the outer ESL frame.
func eventFrame(payload []byte, format eventFormat) []byte {
	ct := "text/event-plain"
	switch format {
	case formatJSON:
		ct = "text/event-json"
	case formatXML:
		ct = "text/event-xml"
	}
	b := make([]byte, 0, len(payload)+64)
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(payload)), 10)
	b = append(b, "\nContent-Type: "...)
	b = append(b, ct...)
	b = append(b, '\n', '\n')
	return append(b, payload...)
}

// commandReply renders a command/reply frame with a Reply-Text and optional
// extra headers, in the order given.
func commandReply(text string, extra ...header) []byte {
	b := make([]byte, 0, 64+len(text))
	b = append(b, "Content-Type: command/reply\nReply-Text: "...)
	b = append(b, text...)
	b = append(b, '\n')
	for _, h := range extra {
		b = append(b, h.name...)
		b = append(b, ':', ' ')
		b = append(b, h.value...)
		b = append(b, '\n')
	}
	return append(b, '\n')
}

// apiResponse renders an api/response frame; an empty body becomes
// "-ERR no reply\n" as in mod_event_socket's api_exec.
func apiResponse(body string) []byte {
	if body == "" {
		body = "-ERR no reply\n"
	}
	b := make([]byte, 0, 64+len(body))
	b = append(b, "Content-Type: api/response\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, '\n', '\n')
	return append(b, body...)
}

// disconnectNotice renders the text/disconnect-notice frame sent before
// mod_event_socket closes a socket.
func disconnectNotice(msg string) []byte {
	b := make([]byte, 0, 80+len(msg))
	b = append(b, "Content-Type: text/disconnect-notice\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(msg)), 10)
	b = append(b, '\n', '\n')
	return append(b, msg...)
}

// logDataFrame renders a log/data frame the way mod_event_socket's
// read_packet sends a queued log line.
func logDataFrame(level int, file, fn string, line int, userData, text string) []byte {
	b := make([]byte, 0, 256+len(text))
	b = append(b, "Content-Type: log/data\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(text)), 10)
	b = append(b, "\nLog-Level: "...)
	b = strconv.AppendInt(b, int64(level), 10)
	b = append(b, "\nText-Channel: 3\nLog-File: "...)
	b = append(b, file...)
	b = append(b, "\nLog-Func: "...)
	b = append(b, fn...)
	b = append(b, "\nLog-Line: "...)
	b = strconv.AppendInt(b, int64(line), 10)
	b = append(b, "\nUser-Data: "...)
	b = append(b, userData...)
	b = append(b, '\n', '\n')
	return append(b, text...)
}

const authRequestFrame = "Content-Type: auth/request\n\n"

const goodbyeText = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"

const shutdownText = "The system is being shut down.\n"
