package fssim

import (
	"strconv"
	"strings"
)

// causes is FreeSWITCH's CAUSE_CHART (switch_channel.c): name and code.
var causes = []struct {
	name string
	code int
}{
	{"NONE", 0}, {"UNALLOCATED_NUMBER", 1}, {"NO_ROUTE_TRANSIT_NET", 2}, {"NO_ROUTE_DESTINATION", 3},
	{"CHANNEL_UNACCEPTABLE", 6}, {"CALL_AWARDED_DELIVERED", 7}, {"NORMAL_CLEARING", 16},
	{"USER_BUSY", 17}, {"NO_USER_RESPONSE", 18}, {"NO_ANSWER", 19}, {"SUBSCRIBER_ABSENT", 20},
	{"CALL_REJECTED", 21}, {"NUMBER_CHANGED", 22}, {"REDIRECTION_TO_NEW_DESTINATION", 23},
	{"EXCHANGE_ROUTING_ERROR", 25}, {"DESTINATION_OUT_OF_ORDER", 27}, {"INVALID_NUMBER_FORMAT", 28},
	{"FACILITY_REJECTED", 29}, {"RESPONSE_TO_STATUS_ENQUIRY", 30}, {"NORMAL_UNSPECIFIED", 31},
	{"NORMAL_CIRCUIT_CONGESTION", 34}, {"NETWORK_OUT_OF_ORDER", 38}, {"NORMAL_TEMPORARY_FAILURE", 41},
	{"SWITCH_CONGESTION", 42}, {"ACCESS_INFO_DISCARDED", 43}, {"REQUESTED_CHAN_UNAVAIL", 44},
	{"PRE_EMPTED", 45}, {"FACILITY_NOT_SUBSCRIBED", 50}, {"OUTGOING_CALL_BARRED", 52},
	{"INCOMING_CALL_BARRED", 54}, {"BEARERCAPABILITY_NOTAUTH", 57}, {"BEARERCAPABILITY_NOTAVAIL", 58},
	{"SERVICE_UNAVAILABLE", 63}, {"BEARERCAPABILITY_NOTIMPL", 65}, {"CHAN_NOT_IMPLEMENTED", 66},
	{"FACILITY_NOT_IMPLEMENTED", 69}, {"SERVICE_NOT_IMPLEMENTED", 79}, {"INVALID_CALL_REFERENCE", 81},
	{"INCOMPATIBLE_DESTINATION", 88}, {"INVALID_MSG_UNSPECIFIED", 95}, {"MANDATORY_IE_MISSING", 96},
	{"MESSAGE_TYPE_NONEXIST", 97}, {"WRONG_MESSAGE", 98}, {"IE_NONEXIST", 99},
	{"INVALID_IE_CONTENTS", 100}, {"WRONG_CALL_STATE", 101}, {"RECOVERY_ON_TIMER_EXPIRE", 102},
	{"MANDATORY_IE_LENGTH_ERROR", 103}, {"PROTOCOL_ERROR", 111}, {"INTERWORKING", 127},
	{"SUCCESS", 142}, {"ORIGINATOR_CANCEL", 487}, {"CRASH", 700}, {"SYSTEM_SHUTDOWN", 701},
	{"LOSE_RACE", 702}, {"MANAGER_REQUEST", 703}, {"BLIND_TRANSFER", 800}, {"ATTENDED_TRANSFER", 801},
	{"ALLOTTED_TIMEOUT", 802}, {"USER_CHALLENGE", 803}, {"MEDIA_TIMEOUT", 804}, {"PICKED_OFF", 805},
	{"USER_NOT_REGISTERED", 806}, {"PROGRESS_TIMEOUT", 807}, {"INVALID_GATEWAY", 808},
	{"GATEWAY_DOWN", 809}, {"INVALID_URL", 810}, {"INVALID_PROFILE", 811}, {"NO_PICKUP", 812},
	{"SRTP_READ_ERROR", 813}, {"BOWOUT", 814}, {"BUSY_EVERYWHERE", 815}, {"DECLINE", 816},
	{"DOES_NOT_EXIST_ANYWHERE", 817}, {"NOT_ACCEPTABLE", 818}, {"UNWANTED", 819}, {"NO_IDENTITY", 820},
	{"BAD_IDENTITY_INFO", 821}, {"UNSUPPORTED_CERTIFICATE", 822}, {"INVALID_IDENTITY", 823},
	{"STALE_DATE", 824}, {"REJECT_ALL", 825},
}

// causeCode returns the code of a cause name, or -1 when unknown.
func causeCode(name string) int {
	for _, c := range causes {
		if c.name == name {
			return c.code
		}
	}
	return -1
}

// str2cause resolves a cause like switch_channel_str2cause: a name
// (case-insensitive) or a numeric code; "" when unknown.
func str2cause(s string) string {
	if n, err := strconv.Atoi(s); err == nil {
		for _, c := range causes {
			if c.code == n {
				return c.name
			}
		}
		return ""
	}
	for _, c := range causes {
		if strings.EqualFold(c.name, s) {
			return c.name
		}
	}
	return ""
}

// q850 is switch_channel_cause_q850: codes above 127 map to 16.
func q850(cause string) int {
	c := causeCode(cause)
	if c < 0 || c > 127 {
		return 16
	}
	return c
}

// sipStatusFor is the final SIP response a sofia leg would have seen for a
// call that ended with cause.
func sipStatusFor(cause string, answered bool) int {
	if answered {
		return 200
	}
	switch cause {
	case "USER_BUSY":
		return 486
	case "NO_ANSWER", "ORIGINATOR_CANCEL", "NORMAL_CLEARING", "MANAGER_REQUEST":
		return 487
	case "UNALLOCATED_NUMBER":
		return 404
	case "CALL_REJECTED":
		return 603
	case "NORMAL_CIRCUIT_CONGESTION", "NORMAL_TEMPORARY_FAILURE", "SERVICE_UNAVAILABLE":
		return 503
	case "NO_USER_RESPONSE":
		return 480
	case "INVALID_NUMBER_FORMAT":
		return 484
	case "NO_ROUTE_DESTINATION":
		return 604
	case "RECOVERY_ON_TIMER_EXPIRE":
		return 408
	case "INCOMPATIBLE_DESTINATION":
		return 488
	case "NETWORK_OUT_OF_ORDER":
		return 502
	}
	return 0
}
