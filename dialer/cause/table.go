package cause

// The dialer's own causes. They never come from FreeSWITCH: the dialer
// records them itself, either as a member's final result (MaxTryCount,
// MemberExpired, Blocked) or as an attempt's ending that FreeSWITCH cannot
// describe (the others).
const (
	// MaxTryCount ends a member whose attempts, per-cause retries or attempt
	// days are used up, or whose numbers are all stopped.
	MaxTryCount = "MAX_TRY_COUNT"
	// MemberExpired ends a member whose expiry passed before it was reached.
	MemberExpired = "MEMBER_EXPIRED"
	// Blocked ends a member whose remaining numbers are all on the blocklist.
	Blocked = "BLOCKED"
	// NoTimezone ends a member none of whose numbers has a zone its calling
	// window can be read in (timezone_policy number).
	NoTimezone = "NO_TIMEZONE"
	// Abandoned ends an attempt whose customer answered but no agent took
	// the call (progressive mode).
	Abandoned = "ABANDONED"
	// Lost ends an attempt whose channel reconcile found gone after a crash
	// or an ESL disconnect, so its real ending is unknown.
	Lost = "DIALER_LOST"
	// OriginateFailed ends an attempt whose bgapi originate reply was neither
	// +OK nor -ERR with a hangup cause (for example -USAGE).
	OriginateFailed = "ORIGINATE_FAILED"
	// AgentUnavailable ends an attempt that could not go ahead because the
	// reserved agent was lost before the customer was bridged.
	AgentUnavailable = "AGENT_UNAVAILABLE"
	// ResultStop ends a member whose business result has a stop rule
	// (result_policies) that names no cause of its own.
	ResultStop = "RESULT_STOP"
	// Machine ends an attempt answered by an answering machine (the
	// campaign's amd detection said so): not a live answer.
	Machine = "MACHINE"
)

// freeswitchCount is the number of entries in FreeSWITCH's cause chart.
const freeswitchCount = 82

// table lists FreeSWITCH's hangup causes in the order of the
// switch_call_cause_t enum (which is the order of its cause chart), then the
// dialer's own. The class is the default for an unanswered call.
var table = []Cause{
	{Name: "NONE", Q850: 0, Class: Minus, Description: "no cause recorded: the switch never said why the call ended, so it is not held against the member"},
	{Name: "UNALLOCATED_NUMBER", Q850: 1, Class: Error, Description: "the number is not assigned (SIP 404): calling it again cannot succeed"},
	{Name: "NO_ROUTE_TRANSIT_NET", Q850: 2, Class: Error, Description: "the network named in the number is unknown: the number is wrong"},
	{Name: "NO_ROUTE_DESTINATION", Q850: 3, Class: Error, Description: "no route to the destination (SIP 485/604): the number is unreachable for good"},
	{Name: "CHANNEL_UNACCEPTABLE", Q850: 6, Class: Minus, Description: "the offered channel was refused by the network: carrier trouble, not the callee"},
	{Name: "CALL_AWARDED_DELIVERED", Q850: 7, Class: Retry, Description: "the call went to an already established channel; the number is alive, so it is tried again"},
	{Name: "NORMAL_CLEARING", Q850: 16, Class: OK, Description: "normal hang-up; a success only when the call was answered (unanswered it counts as retry)"},
	{Name: "USER_BUSY", Q850: 17, Class: Retry, Description: "the callee is busy (SIP 486/600): the number is alive, try later"},
	{Name: "NO_USER_RESPONSE", Q850: 18, Class: Retry, Description: "the callee's device did not respond (SIP 480): temporarily unreachable, try later"},
	{Name: "NO_ANSWER", Q850: 19, Class: Retry, Description: "it rang until the ring timeout: the number is alive, try later"},
	{Name: "SUBSCRIBER_ABSENT", Q850: 20, Class: Retry, Description: "the mobile is off or out of coverage: try later"},
	{Name: "CALL_REJECTED", Q850: 21, Class: Error, Description: "the call was refused (SIP 403/603): the callee or the network does not want it"},
	{Name: "NUMBER_CHANGED", Q850: 22, Class: Error, Description: "the number moved (SIP 410): this number will not reach the member again"},
	{Name: "REDIRECTION_TO_NEW_DESTINATION", Q850: 23, Class: Retry, Description: "the call was redirected elsewhere before answer; the number is alive, try later"},
	{Name: "EXCHANGE_ROUTING_ERROR", Q850: 25, Class: Minus, Description: "an exchange on the path could not route the call: network trouble, not the callee"},
	{Name: "DESTINATION_OUT_OF_ORDER", Q850: 27, Class: Minus, Description: "the far end's line or equipment is down: network trouble, not the callee's choice"},
	{Name: "INVALID_NUMBER_FORMAT", Q850: 28, Class: Error, Description: "the number is incomplete or malformed (SIP 484): it cannot be dialed as is"},
	{Name: "FACILITY_REJECTED", Q850: 29, Class: Minus, Description: "the network refused a requested facility: a trunk configuration problem"},
	{Name: "RESPONSE_TO_STATUS_ENQUIRY", Q850: 30, Class: Retry, Description: "a status enquiry reply ended the call: unclear but harmless, counted so it cannot repeat forever"},
	{Name: "NORMAL_UNSPECIFIED", Q850: 31, Class: Retry, Description: "normal ending without detail (any unmapped SIP code): treated as not reached, try later"},
	{Name: "NORMAL_CIRCUIT_CONGESTION", Q850: 34, Class: Minus, Description: "no circuit free on the route: carrier congestion, not the callee"},
	{Name: "NETWORK_OUT_OF_ORDER", Q850: 38, Class: Minus, Description: "the network is failing (SIP 502): carrier trouble, not the callee"},
	{Name: "NORMAL_TEMPORARY_FAILURE", Q850: 41, Class: Minus, Description: "a temporary failure on the route (SIP 400/481/500/503): carrier trouble, try later"},
	{Name: "SWITCH_CONGESTION", Q850: 42, Class: Minus, Description: "a switch on the path is overloaded: carrier trouble, not the callee"},
	{Name: "ACCESS_INFO_DISCARDED", Q850: 43, Class: Minus, Description: "the network dropped signalling information: carrier trouble, not the callee"},
	{Name: "REQUESTED_CHAN_UNAVAIL", Q850: 44, Class: Minus, Description: "the requested channel is not available: route capacity, not the callee"},
	{Name: "PRE_EMPTED", Q850: 45, Class: Minus, Description: "the circuit was taken for a higher-priority call: network side, not the callee"},
	{Name: "FACILITY_NOT_SUBSCRIBED", Q850: 50, Class: Minus, Description: "our trunk is not subscribed to a needed facility: configuration error, must not burn members"},
	{Name: "OUTGOING_CALL_BARRED", Q850: 52, Class: Minus, Description: "our side is barred from calling out: configuration error, must not burn members"},
	{Name: "INCOMING_CALL_BARRED", Q850: 54, Class: Error, Description: "the callee's line refuses incoming calls: this number cannot be reached"},
	{Name: "BEARERCAPABILITY_NOTAUTH", Q850: 57, Class: Minus, Description: "the bearer capability is not authorised for our trunk: configuration error"},
	{Name: "BEARERCAPABILITY_NOTAVAIL", Q850: 58, Class: Minus, Description: "the bearer capability is not available on the route: configuration or carrier trouble"},
	{Name: "SERVICE_UNAVAILABLE", Q850: 63, Class: Minus, Description: "the service is unavailable on the route: carrier trouble, not the callee"},
	{Name: "BEARERCAPABILITY_NOTIMPL", Q850: 65, Class: Minus, Description: "the bearer capability is not implemented on the route: configuration error"},
	{Name: "CHAN_NOT_IMPLEMENTED", Q850: 66, Class: Minus, Description: "the channel type or endpoint module is missing: configuration error, must not burn members"},
	{Name: "FACILITY_NOT_IMPLEMENTED", Q850: 69, Class: Minus, Description: "a requested facility is not implemented: configuration error"},
	{Name: "SERVICE_NOT_IMPLEMENTED", Q850: 79, Class: Minus, Description: "a requested service is not implemented: configuration error"},
	{Name: "INVALID_CALL_REFERENCE", Q850: 81, Class: Minus, Description: "signalling used an unknown call reference: protocol trouble, not the callee"},
	{Name: "INCOMPATIBLE_DESTINATION", Q850: 88, Class: Minus, Description: "no common media or codec (SIP 488/606): configuration error, must not burn members"},
	{Name: "INVALID_MSG_UNSPECIFIED", Q850: 95, Class: Minus, Description: "an invalid signalling message: protocol trouble, not the callee"},
	{Name: "MANDATORY_IE_MISSING", Q850: 96, Class: Minus, Description: "a required signalling element was missing: protocol or configuration error"},
	{Name: "MESSAGE_TYPE_NONEXIST", Q850: 97, Class: Minus, Description: "an unknown signalling message type: protocol trouble, not the callee"},
	{Name: "WRONG_MESSAGE", Q850: 98, Class: Minus, Description: "a signalling message out of place: protocol trouble, not the callee"},
	{Name: "IE_NONEXIST", Q850: 99, Class: Minus, Description: "an unknown signalling element: protocol trouble, not the callee"},
	{Name: "INVALID_IE_CONTENTS", Q850: 100, Class: Minus, Description: "a signalling element held invalid contents: protocol or configuration error"},
	{Name: "WRONG_CALL_STATE", Q850: 101, Class: Minus, Description: "a message arrived in the wrong call state: protocol trouble, not the callee"},
	{Name: "RECOVERY_ON_TIMER_EXPIRE", Q850: 102, Class: Retry, Description: "a signalling timer expired (SIP 408/504): the far end did not reply in time, try later"},
	{Name: "MANDATORY_IE_LENGTH_ERROR", Q850: 103, Class: Minus, Description: "a signalling element had a bad length: protocol trouble, not the callee"},
	{Name: "PROTOCOL_ERROR", Q850: 111, Class: Minus, Description: "a protocol error on the route: protocol or configuration trouble, not the callee"},
	{Name: "INTERWORKING", Q850: 127, Class: Minus, Description: "a network on the path cannot say why it failed: carrier trouble, not the callee"},
	{Name: "SUCCESS", Q850: 142, Class: OK, Description: "FreeSWITCH's success cause; a success only when the call was answered"},
	{Name: "ORIGINATOR_CANCEL", Q850: 487, Class: Retry, Description: "we cancelled the call before answer (SIP 487): the number was not judged, try later"},
	{Name: "CRASH", Q850: 700, Class: Minus, Description: "FreeSWITCH crashed on the channel: our trouble, not the callee"},
	{Name: "SYSTEM_SHUTDOWN", Q850: 701, Class: Minus, Description: "FreeSWITCH was shutting down: our trouble, not the callee"},
	{Name: "LOSE_RACE", Q850: 702, Class: Retry, Description: "another leg of the originate won and this one was cancelled: not judged, try later"},
	{Name: "MANAGER_REQUEST", Q850: 703, Class: Minus, Description: "hung up by an API command (uuid_kill, the dialer's own stop): not the callee's doing"},
	{Name: "BLIND_TRANSFER", Q850: 800, Class: Retry, Description: "the channel was blind-transferred away; without an answer the member was not reached"},
	{Name: "ATTENDED_TRANSFER", Q850: 801, Class: Retry, Description: "the channel left through an attended transfer; without an answer the member was not reached"},
	{Name: "ALLOTTED_TIMEOUT", Q850: 802, Class: Retry, Description: "the call's time limit ran out; without an answer the member was not reached"},
	{Name: "USER_CHALLENGE", Q850: 803, Class: Minus, Description: "the far end demanded authentication we did not meet: gateway credentials, configuration"},
	{Name: "MEDIA_TIMEOUT", Q850: 804, Class: Retry, Description: "no media arrived for too long; without an answer the member was not reached"},
	{Name: "PICKED_OFF", Q850: 805, Class: Retry, Description: "the ringing call was picked up elsewhere; the member was not reached, try later"},
	{Name: "USER_NOT_REGISTERED", Q850: 806, Class: Minus, Description: "a user/ endpoint is not registered: our setup, not the callee, must not burn members"},
	{Name: "PROGRESS_TIMEOUT", Q850: 807, Class: Retry, Description: "no call progress before the progress timeout: the number may be alive, try later"},
	{Name: "INVALID_GATEWAY", Q850: 808, Class: Minus, Description: "the dial string names no such gateway: configuration error, must not burn members"},
	{Name: "GATEWAY_DOWN", Q850: 809, Class: Minus, Description: "the gateway is down (failed pings or registration): carrier trouble, not the callee"},
	{Name: "INVALID_URL", Q850: 810, Class: Minus, Description: "the dial string's URL is malformed: configuration error, must not burn members"},
	{Name: "INVALID_PROFILE", Q850: 811, Class: Minus, Description: "the dial string names no such SIP profile: configuration error, must not burn members"},
	{Name: "NO_PICKUP", Q850: 812, Class: Retry, Description: "nobody picked up before the pickup timeout: like no answer, try later"},
	{Name: "SRTP_READ_ERROR", Q850: 813, Class: Minus, Description: "SRTP media could not be decrypted: a key or configuration problem, not the callee"},
	{Name: "BOWOUT", Q850: 814, Class: Minus, Description: "a loopback leg bowed out of the path and the call went on elsewhere: not a result for the member"},
	{Name: "BUSY_EVERYWHERE", Q850: 815, Class: Error, Description: "the callee is busy everywhere and declines further calls: treated as refused"},
	{Name: "DECLINE", Q850: 816, Class: Error, Description: "the callee declined the call: refused, stop calling"},
	{Name: "DOES_NOT_EXIST_ANYWHERE", Q850: 817, Class: Error, Description: "the number exists nowhere: a bad number"},
	{Name: "NOT_ACCEPTABLE", Q850: 818, Class: Minus, Description: "no acceptable media or session terms: configuration error, not the callee"},
	{Name: "UNWANTED", Q850: 819, Class: Error, Description: "the callee marked the call unwanted (SIP 607): refused, stop calling"},
	{Name: "NO_IDENTITY", Q850: 820, Class: Minus, Description: "the call lacked a caller identity (STIR/SHAKEN): our signing setup, not the callee"},
	{Name: "BAD_IDENTITY_INFO", Q850: 821, Class: Minus, Description: "the caller identity info could not be fetched: our signing setup, not the callee"},
	{Name: "UNSUPPORTED_CERTIFICATE", Q850: 822, Class: Minus, Description: "the identity certificate is not supported: our signing setup, not the callee"},
	{Name: "INVALID_IDENTITY", Q850: 823, Class: Minus, Description: "the caller identity failed verification: our signing setup, not the callee"},
	{Name: "STALE_DATE", Q850: 824, Class: Minus, Description: "the identity's date is stale (clock skew or replay): our setup, not the callee"},
	{Name: "REJECT_ALL", Q850: 825, Class: Error, Description: "the callee's network rejects every call from us (call filtering): refused, stop calling"},

	{Name: MaxTryCount, Dialer: true, Class: Error, Description: "final result: attempts, per-cause retries or attempt days are used up, or every number is stopped"},
	{Name: MemberExpired, Dialer: true, Class: Error, Description: "final result: the member's expiry passed before it was reached"},
	{Name: Blocked, Dialer: true, Class: Error, Description: "final result: every remaining number of the member is on the blocklist"},
	{Name: NoTimezone, Dialer: true, Class: Error, Description: "final result: no number of the member has one time zone to call it in; set its timezone or timezone_fallback: calendar"},
	{Name: Abandoned, Dialer: true, Class: Retry, Description: "the customer answered but no agent took the call: they were not served, try again (counted)"},
	{Name: Lost, Dialer: true, Class: Retry, Description: "reconcile found the channel gone after a crash or disconnect: ending unknown, counted so it cannot loop"},
	{Name: OriginateFailed, Dialer: true, Class: Minus, Description: "bgapi originate got neither +OK nor -ERR with a cause (e.g. -USAGE): our error, not the member's"},
	{Name: AgentUnavailable, Dialer: true, Class: Minus, Description: "the reserved agent was lost before the customer was bridged: our side, not the member's"},
	{Name: ResultStop, Dialer: true, Class: Error, Description: "final result: the call's business result has a stop rule in the campaign's result_policies"},
	{Name: Machine, Dialer: true, Class: Retry, Description: "an answering machine took the call (amd): nobody was reached, try again later (counted)"},
}
