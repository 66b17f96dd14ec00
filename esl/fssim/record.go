package fssim

import (
	"strings"
)

// defaultRecordingsDir is the recordings_dir of FreeSWITCH's Debian
// packages, what global_getvar answers when Options.RecordingsDir is empty.
const defaultRecordingsDir = "/var/lib/freeswitch/recordings"

// recordingsDir is the simulator's $${recordings_dir}.
func (s *Server) recordingsDir() string {
	if s.opts.RecordingsDir != "" {
		return strings.TrimRight(s.opts.RecordingsDir, "/")
	}
	return defaultRecordingsDir
}

// apiGlobalGetVar implements global_getvar <name> for the globals the
// simulator has (recordings_dir); an unknown one prints nothing, as
// FreeSWITCH does.
func (s *Server) apiGlobalGetVar(arg string) string {
	switch strings.TrimSpace(arg) {
	case "recordings_dir":
		return s.recordingsDir()
	}
	return ""
}

// apiRecord accepts uuid_record <uuid> start|stop <path> [limit]. The
// simulator writes no file: it notes the path on the channel (resolved
// against recordings_dir when relative, as FreeSWITCH does) as the
// variable sim_record, which the channel's record and its hangup event
// then carry, and keeps RECORD_STEREO as uuid_setvar left it.
func (s *Server) apiRecord(arg string) string {
	f := strings.Fields(arg)
	if len(f) < 3 {
		return "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n"
	}
	ch := s.chans[f[0]]
	if ch == nil || ch.ended {
		return "-ERR Cannot locate session!\n"
	}
	path := f[2]
	if !strings.HasPrefix(path, "/") {
		path = s.recordingsDir() + "/" + path
	}
	switch f[1] {
	case "start":
		ch.setVar("sim_record", path)
	case "stop":
		ch.delVar("sim_record")
	}
	return "+OK Success\n"
}
