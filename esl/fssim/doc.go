// Package fssim is a FreeSWITCH 1.10 simulator: a TCP server that speaks
// mod_event_socket's inbound wire protocol with the bytes a real switch
// sends, so the dialer's ESL client and engine can be tested over a real
// socket without FreeSWITCH.
//
// # Protocol
//
// A connection gets "Content-Type: auth/request" and must send "auth
// <password>" (a wrong one gets "-ERR invalid", the disconnect notice and
// a close; other commands before auth get "-ERR command not found").
// Then, as in mod_event_socket.c:
//
//   - api <cmd> [args] runs synchronously and answers api/response; while
//     it runs (an originate waits for the answer) the connection gets no
//     events and no other replies.
//   - bgapi <cmd> [args] answers "+OK Job-UUID: <id>" with a Job-UUID header
//     (the client's own Job-UUID command header when present) and later
//     fires BACKGROUND_JOB (Job-UUID, Job-Command, Job-Command-Arg, an
//     inner Content-Length and the output) to every subscribed connection.
//   - event plain|json|xml <names...> (ALL, CUSTOM followed by subclasses),
//     nixevent, noevents, filter <Header> <value> (with +/- prefixes and
//     /regex/ values; once any filter exists only events where a positive
//     filter matches a header they carry are delivered), filter delete
//     <Header> [value] | all, myevents <uuid> [format], linger, nolinger,
//     divert_events, log, nolog, sendevent, sendmsg (call-command hangup
//     and execute of set, export, hangup, transfer), exit.
//
// Plain events are url-encoded exactly as switch_url_encode does (an
// existing %XX with upper-case hex digits is not re-encoded) with "_undef_"
// for empty values; JSON events are flat cJSON objects with string values
// and "_body"; XML events follow switch_event_xmlize's layout only
// approximately (eslgo ignores them). Each connection has a 100,000-event queue; after more than
// 500 consecutive events that do not fit the connection is closed without
// a notice, as FreeSWITCH's kill_listener does. One writer goroutine per
// connection renders each event once per format and shares the bytes.
//
// # API commands
//
// originate (parsed by package esl/fsparse exactly as FreeSWITCH parses
// it: {} [] <> variables, origination_uuid, originate_timeout, leg_timeout,
// ignore_early_media, return_ring_ready, origination_caller_id_name and
// _number, and "&app(args)" or an extension followed by the optional
// dialplan, context, cid_name, cid_num and timeout), uuid_bridge, uuid_transfer, uuid_kill,
// uuid_exists (no trailing newline), uuid_setvar, uuid_setvar_multi,
// uuid_getvar, uuid_send_dtmf, uuid_record (notes the path, see apiRecord),
// global_getvar recordings_dir, hupall [cause] [var value]... (pairs ANDed),
// show channels [as json|count] ({"row_count": 0} without rows when
// empty), status, version, bgapi; anything else is "-ERR <cmd> Command not
// found!". Every command fires an API event.
//
// # Calls
//
// Endpoints: loopback/<dest>[/<context>] creates two channels, the
// outbound a-leg "loopback/<dest>-a" (whose UUID originate returns) and the
// inbound b-leg "loopback/<dest>-b", as mod_loopback does;
// sofia/gateway/<gw>/<num>, sofia/<profile>/<num> and user/<ext> create
// one outbound channel; error/<CAUSE> fails at once without a channel; an
// unknown technology fails with CHAN_NOT_IMPLEMENTED. Only the first leg of
// the first failover group of a dial string is dialled (all legs are
// recorded). With origination_uuid the a-leg fires CHANNEL_UUID (with
// Old-Unique-ID) before CHANNEL_CREATE; a UUID already in use is ignored
// and a random one used, as FreeSWITCH does.
//
// Events fired for calls: CHANNEL_UUID, CHANNEL_CREATE, CHANNEL_PROGRESS
// (180), CHANNEL_PROGRESS_MEDIA (183), CHANNEL_ANSWER, CHANNEL_BRIDGE and
// CHANNEL_UNBRIDGE (once, on the bridge originator, with
// Bridge-A-Unique-ID, Bridge-B-Unique-ID and the peer as Other-Leg-*, as
// switch_ivr_bridge.c does), CHANNEL_HANGUP, CHANNEL_HANGUP_COMPLETE (with
// the timing variables: billsec, duration, answer_epoch, hangup_cause,
// hangup_cause_q850, and sip_term_status on sofia legs), CHANNEL_DESTROY,
// DTMF, plus API, BACKGROUND_JOB and HEARTBEAT. Header names, order and value formats follow the real
// captures in shared/fs-captures. Not fired: CODEC, CHANNEL_STATE,
// CHANNEL_CALLSTATE, CHANNEL_OUTGOING, CHANNEL_ORIGINATE, CHANNEL_EXECUTE
// (_COMPLETE), CHANNEL_PARK, CALL_UPDATE, PLAYBACK_*, RE_SCHEDULE.
// Event-Sequence advances for every event fired, subscribed or not, so a
// filtered client sees gaps as on a real switch. A bridged channel whose
// peer hangs up is hung up with NORMAL_CLEARING. A loopback leg hung up
// takes its peer down with the same cause, except that an a-leg whose
// b-leg hangs up more than a second after the answer hangs up
// NORMAL_CLEARING, as mod_loopback's a-leg does once its application
// runs. The originate timeout fires on a whole second of the clock, up to
// a second early, as FreeSWITCH compares epoch seconds.
//
// The differential test (differential_test.go) runs the same ESL sessions
// against the simulator and a real FreeSWITCH 1.10.12 with the project's
// dialplans, and fails on any difference in what a dialer reads.
//
// Outcomes come from a Scenario (YAML or Go): ordered rules matching the
// destination by regexp or glob, each with ring time, answer or cause,
// talk time, the digit the callee presses and early media, or a weighted
// random mix. Ring and talk times are fixed or drawn for each call from a
// seeded distribution (Dist); Scenario.Draw gives tests outside the
// simulator the same draws. Without a match the test numbering plan applies
// as freeswitch-conf/dialplan/dialer_lab.xml implements it (last two
// digits D and S: 0-4 answer after 1 s, press S one second after the
// answer and talk S+1 s; 5 USER_BUSY after 1 s; 6 never answers; 7
// UNALLOCATED_NUMBER at once; 8 CALL_REJECTED after 1 s; 9
// NORMAL_CIRCUIT_CONGESTION at once; with 888 before D 0-4 and S, an
// answering machine: it answers after 1 s, greets for 0.8 s, beeps for
// 0.5 s and hangs up 4.3 s after the answer; agent-<id> answers after 1 s and
// stays, agent-busy- and agent-reject- fail at once, agent-noanswer-
// never answers); any other destination, and on loopback any context but
// dialer_lab, fails with NO_ROUTE_DESTINATION at once.
//
// The callee's digit reaches the call whatever it runs (a DTMF event on
// the a-leg, passed through a bridge to the bridged loopback's b-leg). A
// call is in an IVR when the originate sends it to an extension, or to an
// application other than park, bridge and similar waiting ones, or when it
// is uuid_transfer'd. The IVR behaves like dialer_ivr.xml's
// dialer_ivr_example: a 250 ms tone during which digits are lost, then a
// digit 0-9 is set as dialer_result (variable_dialer_result on hangup)
// and the IVR hangs up NORMAL_CLEARING at once; without a digit it sets
// dialer_result=no_input and hangs up 5.75 s after it began.
//
// mod_avmd runs on a channel that a uuid_broadcast of avmd_start:: reaches
// (once its originate returned); it sends avmd::start, and for an
// answering machine avmd::beep 130 ms into the beep, each twice with one
// Event-Sequence (bare, then with the channel's data and variables), and
// api avmd <uuid> stop sends avmd::stop with FreeSWITCH's replies.
//
// # Time
//
// Scenario time runs Options.Speed times faster than wall time. Server.Now
// is the simulator's clock; every ring, talk, originate timeout and
// heartbeat is scheduled on it, and event timestamps and billing use the
// logical instant each step was due, so billsec is exact at any speed. One
// scheduler goroutine with one timer heap runs every timed step: there is
// no goroutine per call or per timer.
//
// # Faults and records
//
// DropConnections (optionally mid-frame), Restart (connections dropped,
// every call vanishes without events), SetSilent, SetEventDelay,
// SetReorderWindow, FailNext, SendLogData and SendDisconnectNotice inject
// the failures a client must survive. Originates, Calls, Call, Channels,
// ActiveCalls, ActiveChannels and Stats expose what happened for
// assertions; ended channels and originates are kept up to
// Options.RecordLimit.
package fssim
