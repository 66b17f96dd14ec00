package fssim

import (
	"strconv"
	"strings"
	"sync"
	"time"
)

// header is one "Name: value" pair of an event, kept in FreeSWITCH order.
type header struct {
	name, value string
}

// eventFormat is a connection's event format ("event plain|json|xml").
type eventFormat int32

const (
	formatPlain eventFormat = iota
	formatJSON
	formatXML
)

func (f eventFormat) String() string {
	switch f {
	case formatJSON:
		return "json"
	case formatXML:
		return "xml"
	default:
		return "plain"
	}
}

// event is one fired event. Its headers are built once and never changed
// afterwards, so every connection shares it; each wire format is rendered
// at most once, by whichever writer needs it first.
type event struct {
	name     string
	subclass string
	headers  []header
	body     string
	hasBody  bool

	plainOnce sync.Once
	plain     []byte
	jsonOnce  sync.Once
	json      []byte
	xmlOnce   sync.Once
	xml       []byte
}

func (e *event) add(name, value string) {
	e.headers = append(e.headers, header{name, value})
}

// get returns the first header called name, compared case-insensitively as
// switch_event_get_header does.
func (e *event) get(name string) (string, bool) {
	for _, h := range e.headers {
		if strings.EqualFold(h.name, name) {
			return h.value, true
		}
	}
	return "", false
}

func (e *event) setBody(body string) {
	e.body = body
	e.hasBody = true
}

// frame returns the full ESL frame of the event in format f.
func (e *event) frame(f eventFormat) []byte {
	switch f {
	case formatJSON:
		e.jsonOnce.Do(func() { e.json = eventFrame(serializeJSON(e), formatJSON) })
		return e.json
	case formatXML:
		e.xmlOnce.Do(func() { e.xml = eventFrame(serializeXML(e), formatXML) })
		return e.xml
	}
	e.plainOnce.Do(func() { e.plain = eventFrame(serializePlain(e), formatPlain) })
	return e.plain
}

// callSite is where FreeSWITCH fires an event; it fills the
// Event-Calling-* headers with the values seen in real captures.
type callSite struct {
	file, fn string
	line     int
}

var (
	siteUUID        = callSite{"switch_core_session.c", "switch_core_session_set_uuid", 2051}
	siteCreate      = callSite{"switch_core_state_machine.c", "switch_core_session_run", 626}
	siteProgress    = callSite{"switch_channel.c", "switch_channel_perform_mark_ring_ready_value", 3505}
	siteProgressMed = callSite{"switch_channel.c", "switch_channel_perform_mark_pre_answered", 3693}
	siteAnswer      = callSite{"switch_channel.c", "switch_channel_perform_mark_answered", 3846}
	siteHangup      = callSite{"switch_channel.c", "switch_channel_perform_hangup", 3445}
	siteHangupDone  = callSite{"switch_core_state_machine.c", "switch_core_session_reporting_state", 943}
	siteDestroy     = callSite{"switch_core_session.c", "switch_core_session_perform_destroy", 1584}
	siteDTMF        = callSite{"switch_channel.c", "switch_channel_dequeue_dtmf", 677}
	siteBridge      = callSite{"switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1686}
	siteUnbridge    = callSite{"switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1776}
	siteBackground  = callSite{"mod_event_socket.c", "api_exec", 1572}
	siteAPI         = callSite{"switch_loadable_module.c", "switch_api_execute", 2954}
	siteHeartbeat   = callSite{"switch_core.c", "send_heartbeat", 95}
)

// Local and GMT date formats of Event-Date-Local / Event-Date-GMT and the
// *_stamp variables.
const (
	localLayout = "2006-01-02 15:04:05"
	gmtLayout   = "Mon, 02 Jan 2006 15:04:05 GMT"
)

func usec(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.UnixMicro(), 10)
}

func epoch(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.Unix(), 10)
}

// eventNames is FreeSWITCH's EVENT_NAMES table (switch_event.c); names
// outside it are ignored by "event" and "nixevent".
var eventNames = []string{
	"CUSTOM", "CLONE", "CHANNEL_CREATE", "CHANNEL_DESTROY", "CHANNEL_STATE", "CHANNEL_CALLSTATE",
	"CHANNEL_ANSWER", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_EXECUTE",
	"CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HOLD", "CHANNEL_UNHOLD", "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE",
	"CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_OUTGOING", "CHANNEL_PARK", "CHANNEL_UNPARK",
	"CHANNEL_APPLICATION", "CHANNEL_ORIGINATE", "CHANNEL_UUID", "API", "LOG", "INBOUND_CHAN",
	"OUTBOUND_CHAN", "STARTUP", "SHUTDOWN", "PUBLISH", "UNPUBLISH", "TALK", "NOTALK", "SESSION_CRASH",
	"MODULE_LOAD", "MODULE_UNLOAD", "DTMF", "MESSAGE", "PRESENCE_IN", "NOTIFY_IN", "PRESENCE_OUT",
	"PRESENCE_PROBE", "MESSAGE_WAITING", "MESSAGE_QUERY", "ROSTER", "CODEC", "BACKGROUND_JOB",
	"DETECTED_SPEECH", "DETECTED_TONE", "PRIVATE_COMMAND", "HEARTBEAT", "TRAP", "ADD_SCHEDULE",
	"DEL_SCHEDULE", "EXE_SCHEDULE", "RE_SCHEDULE", "RELOADXML", "NOTIFY", "PHONE_FEATURE",
	"PHONE_FEATURE_SUBSCRIBE", "SEND_MESSAGE", "RECV_MESSAGE", "REQUEST_PARAMS", "CHANNEL_DATA",
	"GENERAL", "COMMAND", "SESSION_HEARTBEAT", "CLIENT_DISCONNECTED", "SERVER_DISCONNECTED",
	"SEND_INFO", "RECV_INFO", "RECV_RTCP_MESSAGE", "SEND_RTCP_MESSAGE", "CALL_SECURE", "NAT",
	"RECORD_START", "RECORD_STOP", "PLAYBACK_START", "PLAYBACK_STOP", "CALL_UPDATE", "FAILURE",
	"SOCKET_DATA", "MEDIA_BUG_START", "MEDIA_BUG_STOP", "CONFERENCE_DATA_QUERY", "CONFERENCE_DATA",
	"CALL_SETUP_REQ", "CALL_SETUP_RESULT", "CALL_DETAIL", "DEVICE_STATE", "TEXT",
	"SHUTDOWN_REQUESTED", "ALL",
}

// nameEvent resolves an event name like switch_name_event: exact names,
// case-insensitively, optionally prefixed with "SWITCH_EVENT_".
func nameEvent(s string) (string, bool) {
	if len(s) > 13 && strings.EqualFold(s[:13], "SWITCH_EVENT_") {
		s = s[13:]
	}
	for _, n := range eventNames {
		if strings.EqualFold(n, s) {
			return n, true
		}
	}
	return "", false
}

func itoa(n int) string { return strconv.Itoa(n) }

func uitoa(n uint64) string { return strconv.FormatUint(n, 10) }
