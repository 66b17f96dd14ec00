package cause_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/fsdialer/dialer/dialer/cause"
)

// eslCauses is copied from /work/shared/ESL.md section 4: FreeSWITCH's
// cause chart in enum order with each cause's code.
const eslCauses = `
NONE 0, UNALLOCATED_NUMBER 1, NO_ROUTE_TRANSIT_NET 2, NO_ROUTE_DESTINATION 3, CHANNEL_UNACCEPTABLE 6, CALL_AWARDED_DELIVERED 7, NORMAL_CLEARING 16, USER_BUSY 17,
NO_USER_RESPONSE 18, NO_ANSWER 19, SUBSCRIBER_ABSENT 20, CALL_REJECTED 21, NUMBER_CHANGED 22, REDIRECTION_TO_NEW_DESTINATION 23, EXCHANGE_ROUTING_ERROR 25, DESTINATION_OUT_OF_ORDER 27,
INVALID_NUMBER_FORMAT 28, FACILITY_REJECTED 29, RESPONSE_TO_STATUS_ENQUIRY 30, NORMAL_UNSPECIFIED 31, NORMAL_CIRCUIT_CONGESTION 34, NETWORK_OUT_OF_ORDER 38, NORMAL_TEMPORARY_FAILURE 41, SWITCH_CONGESTION 42,
ACCESS_INFO_DISCARDED 43, REQUESTED_CHAN_UNAVAIL 44, PRE_EMPTED 45, FACILITY_NOT_SUBSCRIBED 50, OUTGOING_CALL_BARRED 52, INCOMING_CALL_BARRED 54, BEARERCAPABILITY_NOTAUTH 57, BEARERCAPABILITY_NOTAVAIL 58,
SERVICE_UNAVAILABLE 63, BEARERCAPABILITY_NOTIMPL 65, CHAN_NOT_IMPLEMENTED 66, FACILITY_NOT_IMPLEMENTED 69, SERVICE_NOT_IMPLEMENTED 79, INVALID_CALL_REFERENCE 81, INCOMPATIBLE_DESTINATION 88, INVALID_MSG_UNSPECIFIED 95,
MANDATORY_IE_MISSING 96, MESSAGE_TYPE_NONEXIST 97, WRONG_MESSAGE 98, IE_NONEXIST 99, INVALID_IE_CONTENTS 100, WRONG_CALL_STATE 101, RECOVERY_ON_TIMER_EXPIRE 102, MANDATORY_IE_LENGTH_ERROR 103,
PROTOCOL_ERROR 111, INTERWORKING 127, SUCCESS 142, ORIGINATOR_CANCEL 487, CRASH 700, SYSTEM_SHUTDOWN 701, LOSE_RACE 702, MANAGER_REQUEST 703,
BLIND_TRANSFER 800, ATTENDED_TRANSFER 801, ALLOTTED_TIMEOUT 802, USER_CHALLENGE 803, MEDIA_TIMEOUT 804, PICKED_OFF 805, USER_NOT_REGISTERED 806, PROGRESS_TIMEOUT 807,
INVALID_GATEWAY 808, GATEWAY_DOWN 809, INVALID_URL 810, INVALID_PROFILE 811, NO_PICKUP 812, SRTP_READ_ERROR 813, BOWOUT 814, BUSY_EVERYWHERE 815,
DECLINE 816, DOES_NOT_EXIST_ANYWHERE 817, NOT_ACCEPTABLE 818, UNWANTED 819, NO_IDENTITY 820, BAD_IDENTITY_INFO 821, UNSUPPORTED_CERTIFICATE 822, INVALID_IDENTITY 823,
STALE_DATE 824, REJECT_ALL 825.`

type nameCode struct {
	name string
	code int
}

func parseESLCauses(t *testing.T) []nameCode {
	t.Helper()
	var out []nameCode
	for _, item := range strings.Split(strings.TrimSuffix(strings.TrimSpace(eslCauses), "."), ",") {
		name, code, ok := strings.Cut(strings.TrimSpace(item), " ")
		if !ok {
			t.Fatalf("bad entry %q in the ESL.md list", item)
		}
		n, err := strconv.Atoi(code)
		if err != nil {
			t.Fatalf("bad code in entry %q: %v", item, err)
		}
		out = append(out, nameCode{name, n})
	}
	return out
}

func TestFreeSWITCH_MatchesESLChart(t *testing.T) {
	want := parseESLCauses(t)
	if len(want) != 82 {
		t.Fatalf("ESL.md list parsed to %d causes, want 82", len(want))
	}
	got := cause.FreeSWITCH()
	if len(got) != len(want) {
		t.Fatalf("FreeSWITCH() has %d causes, want %d", len(got), len(want))
	}
	names := map[string]bool{}
	codes := map[int]bool{}
	for i, c := range got {
		if c.Name != want[i].name || c.Q850 != want[i].code {
			t.Errorf("cause %d = %s %d, want %s %d", i, c.Name, c.Q850, want[i].name, want[i].code)
		}
		if c.Dialer {
			t.Errorf("%s: marked as a dialer cause", c.Name)
		}
		if names[c.Name] {
			t.Errorf("%s: duplicate name", c.Name)
		}
		if codes[c.Q850] {
			t.Errorf("%s: duplicate code %d", c.Name, c.Q850)
		}
		names[c.Name], codes[c.Q850] = true, true
	}
}

func TestAll_FreeSWITCHThenDialer(t *testing.T) {
	all := cause.All()
	fs := cause.FreeSWITCH()
	for i := range fs {
		if all[i] != fs[i] {
			t.Fatalf("All()[%d] = %+v, want %+v", i, all[i], fs[i])
		}
	}
	var dialer []string
	for _, c := range all[len(fs):] {
		if !c.Dialer || c.Q850 != 0 {
			t.Errorf("%s: Dialer=%v Q850=%d, want a dialer cause with code 0", c.Name, c.Dialer, c.Q850)
		}
		dialer = append(dialer, c.Name)
	}
	want := []string{cause.MaxTryCount, cause.MemberExpired, cause.Blocked, cause.NoTimezone, cause.Abandoned, cause.Lost, cause.OriginateFailed, cause.AgentUnavailable, cause.ResultStop, cause.Machine}
	if strings.Join(dialer, ",") != strings.Join(want, ",") {
		t.Errorf("dialer causes = %v, want %v", dialer, want)
	}
	seen := map[string]bool{}
	for _, c := range all {
		if seen[c.Name] {
			t.Errorf("%s: duplicate name", c.Name)
		}
		seen[c.Name] = true
		if !c.Class.Valid() {
			t.Errorf("%s: invalid class %q", c.Name, c.Class)
		}
		if strings.TrimSpace(c.Description) == "" || strings.Contains(c.Description, "\n") {
			t.Errorf("%s: description %q is not one non-empty line", c.Name, c.Description)
		}
		if got, ok := cause.Lookup(c.Name); !ok || got != c {
			t.Errorf("Lookup(%s) = %+v, %v; want %+v, true", c.Name, got, ok, c)
		}
		if !cause.IsKnown(c.Name) {
			t.Errorf("IsKnown(%s) = false", c.Name)
		}
	}
}

func TestAll_ReturnsCopy(t *testing.T) {
	all := cause.All()
	all[0].Class = cause.OK
	fs := cause.FreeSWITCH()
	fs[1].Name = "CHANGED"
	if c, _ := cause.Lookup("NONE"); c.Class == cause.OK {
		t.Error("changing All()'s result changed the table")
	}
	if cause.FreeSWITCH()[1].Name != "UNALLOCATED_NUMBER" {
		t.Error("changing FreeSWITCH()'s result changed the table")
	}
}

func TestLookup_Unknown(t *testing.T) {
	for _, name := range []string{"", "USER_BUZY", "user_busy", " USER_BUSY"} {
		if c, ok := cause.Lookup(name); ok {
			t.Errorf("Lookup(%q) = %+v, true; want not found", name, c)
		}
		if cause.IsKnown(name) {
			t.Errorf("IsKnown(%q) = true", name)
		}
	}
}

func TestLookup_DefaultClasses(t *testing.T) {
	want := map[cause.Class][]string{
		cause.OK: {"NORMAL_CLEARING", "SUCCESS"},
		cause.Retry: {"USER_BUSY", "NO_ANSWER", "NO_USER_RESPONSE", "SUBSCRIBER_ABSENT", "RECOVERY_ON_TIMER_EXPIRE",
			"PROGRESS_TIMEOUT", "NORMAL_UNSPECIFIED", "ORIGINATOR_CANCEL", "LOSE_RACE", "ALLOTTED_TIMEOUT", "MEDIA_TIMEOUT",
			cause.Abandoned, cause.Lost},
		cause.Minus: {"NORMAL_CIRCUIT_CONGESTION", "SWITCH_CONGESTION", "NORMAL_TEMPORARY_FAILURE", "REQUESTED_CHAN_UNAVAIL",
			"NETWORK_OUT_OF_ORDER", "DESTINATION_OUT_OF_ORDER", "GATEWAY_DOWN", "SYSTEM_SHUTDOWN", "CRASH", "SERVICE_UNAVAILABLE",
			"INVALID_GATEWAY", "INVALID_PROFILE", "INVALID_URL", "CHAN_NOT_IMPLEMENTED", "INCOMPATIBLE_DESTINATION",
			"OUTGOING_CALL_BARRED", "USER_NOT_REGISTERED", "PROTOCOL_ERROR", "INTERWORKING", "MANDATORY_IE_MISSING",
			"BEARERCAPABILITY_NOTAUTH", "FACILITY_NOT_IMPLEMENTED", "NO_IDENTITY", "STALE_DATE",
			cause.OriginateFailed, cause.AgentUnavailable},
		cause.Error: {cause.ResultStop, "UNALLOCATED_NUMBER", "NO_ROUTE_DESTINATION", "NO_ROUTE_TRANSIT_NET", "NUMBER_CHANGED",
			"INVALID_NUMBER_FORMAT", "DOES_NOT_EXIST_ANYWHERE", "INCOMING_CALL_BARRED", "CALL_REJECTED", "DECLINE",
			"UNWANTED", "REJECT_ALL", "BUSY_EVERYWHERE"},
	}
	for class, names := range want {
		for _, name := range names {
			t.Run(name, func(t *testing.T) {
				c, ok := cause.Lookup(name)
				if !ok {
					t.Fatalf("Lookup(%s): not found", name)
				}
				if c.Class != class {
					t.Errorf("%s class = %s, want %s", name, c.Class, class)
				}
			})
		}
	}
	var ok []string
	for _, c := range cause.All() {
		if c.Class == cause.OK {
			ok = append(ok, c.Name)
		}
	}
	if strings.Join(ok, ",") != "NORMAL_CLEARING,SUCCESS" {
		t.Errorf("ok causes = %v, want only NORMAL_CLEARING and SUCCESS", ok)
	}
}

func TestMap_Class(t *testing.T) {
	overrides := map[string]cause.Class{"USER_BUSY": cause.Error, "NORMAL_CIRCUIT_CONGESTION": cause.Retry, "NOT_IN_TABLE": cause.OK}
	tests := []struct {
		name string
		m    cause.Map
		in   string
		want cause.Class
	}{
		{"table default", cause.Map{}, "USER_BUSY", cause.Retry},
		{"override beats table", cause.Map{Overrides: overrides}, "USER_BUSY", cause.Error},
		{"override of a minus cause", cause.Map{Overrides: overrides}, "NORMAL_CIRCUIT_CONGESTION", cause.Retry},
		{"table when another cause is overridden", cause.Map{Overrides: overrides, Default: cause.Error}, "CALL_REJECTED", cause.Error},
		{"table beats default", cause.Map{Default: cause.Minus}, "NO_ANSWER", cause.Retry},
		{"override beats default for an unknown name", cause.Map{Overrides: overrides, Default: cause.Minus}, "NOT_IN_TABLE", cause.OK},
		{"unknown cause takes default", cause.Map{Default: cause.Minus}, "SOMETHING_NEW", cause.Minus},
		{"unknown cause with empty default is retry", cause.Map{}, "SOMETHING_NEW", cause.Retry},
		{"empty name takes default", cause.Map{Default: cause.Error}, "", cause.Error},
		{"dialer cause", cause.Map{}, cause.OriginateFailed, cause.Minus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.m.Class(tt.in); got != tt.want {
				t.Errorf("Class(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMap_Validate(t *testing.T) {
	tests := []struct {
		name string
		m    cause.Map
		want []string // substrings of the error, in order; none means valid
	}{
		{"empty", cause.Map{}, nil},
		{"good overrides", cause.Map{Overrides: map[string]cause.Class{"USER_BUSY": cause.Minus, cause.Abandoned: cause.Error}, Default: cause.Error}, nil},
		{"unknown cause", cause.Map{Overrides: map[string]cause.Class{"USER_BUZY": cause.Retry}}, []string{"USER_BUZY: unknown cause"}},
		{"lower-case name", cause.Map{Overrides: map[string]cause.Class{"user_busy": cause.Retry}}, []string{"user_busy: unknown cause (cause names are upper case: USER_BUSY)"}},
		{"bad class", cause.Map{Overrides: map[string]cause.Class{"NO_ANSWER": "maybe"}}, []string{`NO_ANSWER: unknown class "maybe"`}},
		{"bad default", cause.Map{Default: "OK"}, []string{`default: unknown class "OK"`}},
		{"all problems, in name order", cause.Map{
			Overrides: map[string]cause.Class{"ZZZ": cause.OK, "AAA": cause.OK, "NO_ANSWER": ""},
			Default:   "x",
		}, []string{`default: unknown class "x"`, "AAA: unknown cause", `NO_ANSWER: unknown class ""`, "ZZZ: unknown cause"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.m.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tt.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("Validate() = %q, want %d errors %q", err, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("error %d = %q, want it to start with %q", i, lines[i], w)
				}
			}
		})
	}
}
