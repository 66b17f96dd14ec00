package fssim

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// execAPI runs one API command. done receives the output exactly once,
// possibly later (originate); every command also fires an API event when
// it completes. Caller holds s.mu, and done is called with s.mu held.
func (s *Server) execAPI(name, arg string, done func(string), job string) {
	finish := func(out string, at time.Time) {
		s.emit("API", "", at, siteAPI, func(ev *event) {
			ev.add("API-Command", name)
			if arg != "" {
				ev.add("API-Command-Argument", arg)
			}
		})
		done(out)
	}
	at := s.clk.now()
	switch strings.ToLower(name) {
	case "originate":
		s.originate(arg, job, at, finish)
		return
	case "bgapi":
		id := uuid.NewString()
		inner, innerArg, hasArg := strings.Cut(arg, " ")
		finish("+OK Job-UUID: "+id+"\n", at)
		s.execAPI(inner, innerArg, func(out string) {
			s.emit("BACKGROUND_JOB", "", s.clk.now(), siteBackground, func(ev *event) {
				ev.add("Job-UUID", id)
				ev.add("Job-Command", inner)
				if hasArg {
					ev.add("Job-Command-Arg", innerArg)
				}
				ev.setBody(out)
			})
		}, id)
		return
	}
	var out string
	switch strings.ToLower(name) {
	case "uuid_exists":
		out = "false"
		if ch := s.chans[strings.TrimSpace(arg)]; ch != nil {
			out = "true"
		}
	case "uuid_kill":
		out = s.apiKill(arg, at)
	case "uuid_bridge":
		out = s.apiBridge(arg, at)
	case "uuid_transfer":
		out = s.apiTransfer(arg, at)
	case "uuid_setvar":
		out = s.apiSetVar(arg)
	case "uuid_broadcast":
		out = s.apiBroadcast(arg, at)
	case "avmd":
		out = s.apiAVMD(arg, at)
	case "uuid_record":
		out = s.apiRecord(arg)
	case "global_getvar":
		out = s.apiGlobalGetVar(arg)
	case "uuid_setvar_multi":
		out = s.apiSetVarMulti(arg)
	case "uuid_getvar":
		out = s.apiGetVar(arg)
	case "uuid_send_dtmf":
		out = s.apiSendDTMF(arg, at)
	case "hupall":
		out = s.apiHupall(arg, at)
	case "show":
		out = s.apiShow(arg)
	case "status":
		out = s.apiStatus(at)
	case "version":
		out = "FreeSWITCH Version " + fsVersion + " (git a88d069 2024-08-02 21:02:27Z 64bit)\n"
	default:
		out = "-ERR " + name + " Command not found!\n"
	}
	finish(out, at)
}

func (s *Server) apiKill(arg string, at time.Time) string {
	f := strings.Fields(arg)
	if len(f) == 0 {
		return "-USAGE: <uuid> [cause]\n"
	}
	ch := s.chans[f[0]]
	if ch == nil {
		return "-ERR No such channel!\n"
	}
	cause := "NORMAL_CLEARING"
	if len(f) > 1 {
		if c := str2cause(f[1]); c != "" && c != "NONE" {
			cause = c
		}
	}
	s.hangupCall(ch, cause, at)
	return "+OK\n"
}

func (s *Server) apiBridge(arg string, at time.Time) string {
	f := strings.Fields(arg)
	if len(f) < 2 {
		return "-USAGE: <uuid> <other_uuid>\n"
	}
	a := s.chans[f[0]]
	for _, other := range f[1:min(len(f), 3)] {
		b := s.chans[other]
		if a != nil && b != nil && a != b {
			s.bridgeTaking(a, b, at)
			return "+OK " + other + "\n"
		}
	}
	return "-ERR Invalid uuid\n"
}

// bridgeTaking bridges a and b, first taking either from an originate
// that has not returned yet (takeFromOriginate).
func (s *Server) bridgeTaking(a, b *channel, at time.Time) {
	if a.ended || b.ended {
		return
	}
	for _, pair := range [][2]*channel{{a, b}, {b, a}} {
		if c := pendingOriginate(pair[0]); c != nil && !s.takeFromOriginate(c, pair[1], at) {
			return
		}
	}
	s.bridge(a, b, at)
}

func (s *Server) apiTransfer(arg string, at time.Time) string {
	f := strings.Fields(arg)
	if len(f) < 2 || len(f) > 5 {
		return "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n"
	}
	ch := s.chans[f[0]]
	if ch == nil {
		return "-ERR No such channel!\n"
	}
	targets := []*channel{ch}
	rest := f[1:]
	switch strings.ToLower(rest[0]) {
	case "-bleg":
		targets = []*channel{ch.bridgeTo}
		rest = rest[1:]
	case "-both":
		targets = []*channel{ch, ch.bridgeTo}
		rest = rest[1:]
	}
	if len(rest) == 0 {
		return "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n"
	}
	rest = append(rest, "", "")
	ok := false
	if len(targets) == 2 && targets[1] != nil {
		s.unbridge(ch, targets[1], at)
	}
	for _, t := range targets {
		if t != nil && !t.ended {
			s.transfer(t, rest[0], rest[1], rest[2], at)
			ok = true
		}
	}
	if !ok {
		return "-ERR\n"
	}
	return "+OK\n"
}

func (s *Server) apiSetVar(arg string) string {
	f := strings.SplitN(strings.TrimSpace(arg), " ", 3)
	if len(f) < 2 || f[1] == "" {
		return "-USAGE: <uuid> <var> [value]\n"
	}
	ch := s.chans[f[0]]
	if ch == nil {
		return "-ERR No such channel!\n"
	}
	if len(f) < 3 || f[2] == "" {
		ch.delVar(f[1])
	} else {
		ch.setVar(f[1], f[2])
	}
	return "+OK\n"
}

// apiBroadcast accepts uuid_broadcast <uuid> <path> [aleg|bleg|holdb|both].
// The simulator plays no audio: it records the path on the channel as the
// variable sim_broadcast (and its leg as sim_broadcast_leg) for tests.
func (s *Server) apiBroadcast(arg string, at time.Time) string {
	f := strings.Fields(arg)
	if len(f) < 2 {
		return "-USAGE: <uuid> <path> [aleg|bleg|holdb|both]\n"
	}
	ch := s.chans[f[0]]
	if ch == nil {
		return "-ERR invalid uuid\n"
	}
	leg := "aleg"
	if len(f) > 2 {
		leg = f[2]
	}
	ch.setVar("sim_broadcast", f[1])
	ch.setVar("sim_broadcast_leg", leg)
	s.broadcast(ch, f[1], at)
	return "+OK Message sent\n"
}

// apiSetVarMulti implements uuid_setvar_multi <uuid> a=1;b=2. As in
// mod_commands, a uuid without pairs writes nothing (so the api reply is
// "-ERR no reply") and a missing channel also prints the usage.
func (s *Server) apiSetVarMulti(arg string) string {
	const usage = "-USAGE: <uuid> <var>=<value>;<var>=<value>...\n"
	arg = strings.TrimSpace(arg)
	if arg == "" {
		return usage
	}
	id, pairs, ok := strings.Cut(arg, " ")
	if !ok {
		return ""
	}
	ch := s.chans[id]
	if ch == nil {
		return "-ERR No such channel!\n" + usage
	}
	for _, p := range strings.Split(pairs, ";") {
		k, v, _ := strings.Cut(p, "=")
		if k == "" {
			continue
		}
		if v == "" {
			ch.delVar(k)
		} else {
			ch.setVar(k, v)
		}
	}
	return "+OK\n"
}

func (s *Server) apiGetVar(arg string) string {
	f := strings.Fields(arg)
	if len(f) < 2 {
		return "-USAGE: <uuid> <var>\n"
	}
	ch := s.chans[f[0]]
	if ch == nil {
		return "-ERR No such channel!\n"
	}
	if v, ok := ch.getVar(f[1]); ok {
		return v
	}
	return "_undef_"
}

// apiSendDTMF sends digits into a channel: on a loopback leg they arrive
// on its peer (the b-leg's DTMF events in the ivr_dtmf capture), where an
// IVR the peer runs takes them.
func (s *Server) apiSendDTMF(arg string, at time.Time) string {
	f := strings.Fields(arg)
	if len(f) < 2 {
		return "-USAGE: <uuid> <dtmf_data>\n"
	}
	ch := s.chans[f[0]]
	if ch == nil {
		return "-ERR Cannot locate session!\n"
	}
	for _, d := range f[1] {
		if p := ch.peer; p != nil && !p.ended && strings.ContainsRune("0123456789*#ABCDabcd", d) {
			s.receiveDTMF(p, string(d), at)
		}
	}
	return "+OK " + ch.uuid + " sent DTMF " + f[1] + ".\n"
}

// apiHupall hangs up every channel, or those whose variables match every
// "var value" pair. The reply names the first pair, followed by "..."
// when there are more, as mod_commands writes it.
func (s *Server) apiHupall(arg string, at time.Time) string {
	f := strings.Fields(arg)
	cause := "MANAGER_REQUEST"
	if len(f) > 0 {
		if c := str2cause(f[0]); c != "" && c != "NONE" {
			cause = c
		}
	}
	var pairs []header
	for i := 1; i+1 < len(f); i += 2 {
		pairs = append(pairs, header{f[i], f[i+1]})
	}
	var victims []*channel
	for _, ch := range s.chans {
		ok := true
		for _, p := range pairs {
			if v, has := ch.getVar(p.name); !has || v != p.value {
				ok = false
				break
			}
		}
		if ok {
			victims = append(victims, ch)
		}
	}
	slices.SortFunc(victims, func(a, b *channel) int { return cmpUint(a.seq, b.seq) })
	for _, ch := range victims {
		s.hangupCall(ch, cause, at)
	}
	if len(pairs) == 0 {
		return "+OK hangup all channels with cause " + cause + "\n"
	}
	more := ""
	if len(pairs) > 1 {
		more = "..."
	}
	return "+OK hangup all channels matching [" + pairs[0].name + "]=[" + pairs[0].value + "]" + more + " with cause: " + cause + "\n"
}

var channelColumns = []string{
	"uuid", "direction", "created", "created_epoch", "name", "state", "cid_name", "cid_num",
	"ip_addr", "dest", "application", "application_data", "dialplan", "context", "read_codec",
	"read_rate", "read_bit_rate", "write_codec", "write_rate", "write_bit_rate", "secure", "hostname",
	"presence_id", "presence_data", "accountcode", "callstate", "callee_name", "callee_num",
	"callee_direction", "call_uuid", "sent_callee_name", "sent_callee_num", "initial_cid_name",
	"initial_cid_num", "initial_ip_addr", "initial_dest", "initial_dialplan", "initial_context",
}

func (s *Server) channelRow(ch *channel) []string {
	calleeDir, callUUID := "", ""
	if ch.direction == "outbound" {
		calleeDir = "RECV"
		callUUID = ch.callUUID()
	}
	return []string{
		ch.uuid, ch.direction, ch.created.In(s.loc).Format(localLayout), epoch(ch.created), ch.name,
		ch.state, ch.cidName, ch.cidNum, "", ch.destNumber, ch.app, ch.appData, ch.dp, ch.context,
		"L16", "8000", "128000", "L16", "8000", "128000", "", s.hostname, "", "", "",
		ch.callState, ch.calleeName, ch.calleeNum, calleeDir, callUUID, "", "", ch.initialCidName,
		ch.initialCidNum, "", ch.initialDest, "xml", ch.initialContext,
	}
}

// apiShow implements "show channels", "show channels as json" and "show
// channels count". With no rows FreeSWITCH sends {"row_count": 0} as json
// and only the count line as text.
func (s *Server) apiShow(arg string) string {
	f := strings.Fields(strings.ToLower(arg))
	if len(f) == 0 || (f[0] != "channels" && f[0] != "calls") {
		return "-USAGE: codec|endpoint|application|api|dialplan|file|timer|calls [count]|channels [count|like <match string>]|calls|detailed_calls|bridged_calls|detailed_bridged_calls|aliases|complete|chat|management|modules|nat_map|say|interfaces|interface_types|tasks|limits|status\n"
	}
	live := make([]*channel, 0, len(s.chans))
	for _, ch := range s.chans {
		live = append(live, ch)
	}
	slices.SortFunc(live, func(a, b *channel) int { return cmpUint(a.seq, b.seq) })
	if len(f) > 1 && f[1] == "count" {
		return "\n" + strconv.Itoa(len(live)) + " total.\n"
	}
	if len(f) > 2 && f[1] == "as" && f[2] == "json" {
		if len(live) == 0 {
			return "{\"row_count\": 0}\n"
		}
		b := make([]byte, 0, 1024*len(live))
		b = append(b, `{"row_count":`...)
		b = strconv.AppendInt(b, int64(len(live)), 10)
		b = append(b, `,"rows":[`...)
		for i, ch := range live {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			for j, v := range s.channelRow(ch) {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, channelColumns[j])
				b = append(b, ':')
				b = appendJSONString(b, v)
			}
			b = append(b, '}')
		}
		b = append(b, "]}"...)
		return string(b)
	}
	if len(live) == 0 {
		return "\n0 total.\n"
	}
	var sb strings.Builder
	sb.WriteString(strings.Join(channelColumns, ","))
	sb.WriteByte('\n')
	for _, ch := range live {
		sb.WriteString(strings.Join(s.channelRow(ch), ","))
		sb.WriteByte('\n')
	}
	sb.WriteString("\n" + strconv.Itoa(len(live)) + " total.\n")
	return sb.String()
}

func (s *Server) apiStatus(at time.Time) string {
	s.rollPerSec(at)
	var sb strings.Builder
	sb.WriteString("UP " + upTime(at.Sub(s.upSince)) + "\n")
	sb.WriteString("FreeSWITCH (Version 1.10.12-release git a88d069 2024-08-02 21:02:27Z 64bit) is ready\n")
	sb.WriteString(strconv.Itoa(s.sinceStart) + " session(s) since startup\n")
	sb.WriteString(strconv.Itoa(len(s.chans)) + " session(s) - peak " + strconv.Itoa(s.peak) +
		", last 5min " + strconv.Itoa(s.peak) + " \n")
	sb.WriteString(strconv.Itoa(s.perSecLast) + " session(s) per Sec out of max 1000, peak " +
		strconv.Itoa(s.perSecMax) + ", last 5min " + strconv.Itoa(s.perSecMax) + " \n")
	sb.WriteString("5000 session(s) max\n")
	sb.WriteString("min idle cpu 0.00/98.00\n")
	sb.WriteString("Current Stack Size/Max 240K/8192K\n")
	return sb.String()
}
