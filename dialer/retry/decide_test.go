package retry_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the DST cases must not depend on the host's zoneinfo

	"github.com/fsdialer/dialer/dialer/cause"
	"github.com/fsdialer/dialer/dialer/retry"
)

var (
	now   = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	today = "2026-11-21"
	nums  = []retry.Number{{ID: 11, Position: 1}, {ID: 12, Position: 2}, {ID: 13, Position: 3}}
)

// policy returns a five-attempt, five-minute policy changed by f.
func policy(f func(*retry.Policy)) retry.Policy {
	p := retry.Policy{MaxAttempts: 5, Interval: 5 * time.Minute}
	if f != nil {
		f(&p)
	}
	return p
}

func counts(kv ...any) map[string]int {
	m := map[string]int{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1].(int)
	}
	return m
}

func unanswered(c string) retry.Outcome { return retry.Outcome{NumberID: 11, Cause: c, At: now} }

func answered(c string, billsec time.Duration, result string) retry.Outcome {
	return retry.Outcome{NumberID: 11, Cause: c, AnsweredAt: now.Add(-billsec), Billsec: billsec, BusinessResult: result, At: now}
}

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

type decideCase struct {
	name string
	p    retry.Policy
	m    retry.Member
	o    retry.Outcome
	want retry.Decision
	// reason holds phrases the reason must contain besides the cause.
	reason []string
}

func runDecide(t *testing.T, tests []decideCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := retry.Decide(tt.p, tt.m, tt.o)
			name := tt.o.Cause
			if name == "" {
				name = "(no cause)"
			}
			for _, phrase := range append([]string{name}, tt.reason...) {
				if !strings.Contains(got.Reason, phrase) {
					t.Errorf("reason %q does not mention %q", got.Reason, phrase)
				}
			}
			if !got.DueAt.Equal(tt.want.DueAt) {
				t.Errorf("DueAt = %s, want %s", got.DueAt.UTC(), tt.want.DueAt.UTC())
			}
			got.Reason, got.DueAt, tt.want.DueAt = "", time.Time{}, time.Time{}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decide() =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestDecide_Class(t *testing.T) {
	minSuccess := policy(func(p *retry.Policy) {
		p.MinSuccess = 10 * time.Second
		p.Results = map[string]cause.Class{"sale": cause.OK, "wrong_person": cause.Error, "callback": cause.Retry}
	})
	first := func(c string, attempts int) retry.Member {
		return retry.Member{Attempts: attempts, CauseCounts: counts(c, 1), Day: today, DayAttempts: 1, AttemptDays: 1, Numbers: nums}
	}
	tests := []decideCase{
		{
			name: "answered long enough is ok",
			p:    minSuccess, m: retry.Member{Numbers: nums}, o: answered("NORMAL_CLEARING", 30*time.Second, ""),
			want:   retry.Decision{Class: cause.OK, Counted: true, Kind: retry.Done, Member: first("NORMAL_CLEARING", 1)},
			reason: []string{"ok", "done"},
		},
		{
			name: "answered exactly the minimum is ok",
			p:    minSuccess, m: retry.Member{Numbers: nums}, o: answered("NORMAL_CLEARING", 10*time.Second, ""),
			want: retry.Decision{Class: cause.OK, Counted: true, Kind: retry.Done, Member: first("NORMAL_CLEARING", 1)},
		},
		{
			name: "answered shorter than the minimum is retry",
			p:    minSuccess, m: retry.Member{Numbers: nums}, o: answered("NORMAL_CLEARING", 9*time.Second, ""),
			want:   retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(5 * time.Minute), NumberID: 12, Member: first("NORMAL_CLEARING", 1)},
			reason: []string{"9s", "1 of 5 attempts used", "2026-11-21T10:05:00Z", "number 12 (next in sequence)"},
		},
		{
			name: "answered with no minimum is ok",
			p:    policy(nil), m: retry.Member{Numbers: nums}, o: answered("NORMAL_CLEARING", 0, ""),
			want: retry.Decision{Class: cause.OK, Counted: true, Kind: retry.Done, Member: first("NORMAL_CLEARING", 1)},
		},
		{
			name: "answered call ending with a retry cause is judged by duration",
			p:    minSuccess, m: retry.Member{Numbers: nums}, o: answered("MEDIA_TIMEOUT", time.Minute, ""),
			want: retry.Decision{Class: cause.OK, Counted: true, Kind: retry.Done, Member: first("MEDIA_TIMEOUT", 1)},
		},
		{
			name: "unanswered ok cause counts as retry",
			p:    minSuccess, m: retry.Member{Numbers: nums}, o: unanswered("NORMAL_CLEARING"),
			want:   retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(5 * time.Minute), NumberID: 12, Member: first("NORMAL_CLEARING", 1)},
			reason: []string{"without answer"},
		},
		{
			name: "unanswered SUCCESS counts as retry",
			p:    minSuccess, m: retry.Member{Numbers: nums}, o: unanswered("SUCCESS"),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(5 * time.Minute), NumberID: 12, Member: first("SUCCESS", 1)},
		},
		{
			name: "business result ok wins over a short call",
			p:    minSuccess, m: retry.Member{Numbers: nums}, o: answered("NORMAL_CLEARING", 2*time.Second, "sale"),
			want:   retry.Decision{Class: cause.OK, Counted: true, Kind: retry.Done, Member: first("NORMAL_CLEARING", 1)},
			reason: []string{`"sale"`},
		},
		{
			name: "business result error ends the member with the cause",
			p:    minSuccess, m: retry.Member{Numbers: nums}, o: answered("NORMAL_CLEARING", time.Minute, "wrong_person"),
			want:   retry.Decision{Class: cause.Error, Counted: true, Kind: retry.Ended, EndCause: "NORMAL_CLEARING", Member: first("NORMAL_CLEARING", 1)},
			reason: []string{`"wrong_person"`},
		},
		{
			name: "business result retry wins over a long call",
			p:    minSuccess, m: retry.Member{Numbers: nums}, o: answered("NORMAL_CLEARING", time.Minute, "callback"),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(5 * time.Minute), NumberID: 12, Member: first("NORMAL_CLEARING", 1)},
		},
		{
			name: "unmapped business result falls back to duration",
			p:    minSuccess, m: retry.Member{Numbers: nums}, o: answered("NORMAL_CLEARING", 3*time.Second, "other"),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(5 * time.Minute), NumberID: 12, Member: first("NORMAL_CLEARING", 1)},
		},
		{
			name: "business result without answer is ignored",
			p:    minSuccess, m: retry.Member{Numbers: nums},
			o:    retry.Outcome{NumberID: 11, Cause: "USER_BUSY", BusinessResult: "sale", At: now},
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(5 * time.Minute), NumberID: 12, Member: first("USER_BUSY", 1)},
		},
		{
			name: "answered and abandoned takes the dialer cause's class",
			p:    minSuccess, m: retry.Member{Numbers: nums}, o: answered(cause.Abandoned, time.Minute, ""),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(5 * time.Minute), NumberID: 12, Member: first(cause.Abandoned, 1)},
		},
		{
			name: "answered then lost is retry, counted",
			p:    minSuccess, m: retry.Member{Numbers: nums}, o: answered(cause.Lost, time.Minute, ""),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(5 * time.Minute), NumberID: 12, Member: first(cause.Lost, 1)},
		},
		{
			name: "campaign override of a cause",
			p: policy(func(p *retry.Policy) {
				p.Classes = cause.Map{Overrides: map[string]cause.Class{"USER_BUSY": cause.Error}}
			}),
			m: retry.Member{Numbers: nums}, o: unanswered("USER_BUSY"),
			want: retry.Decision{Class: cause.Error, Counted: true, Kind: retry.Ended, EndCause: "USER_BUSY", Member: first("USER_BUSY", 1)},
		},
		{
			name: "unknown cause takes the campaign default",
			p:    policy(func(p *retry.Policy) { p.Classes = cause.Map{Default: cause.Error} }),
			m:    retry.Member{Numbers: nums}, o: unanswered("SOMETHING_NEW"),
			want: retry.Decision{Class: cause.Error, Counted: true, Kind: retry.Ended, EndCause: "SOMETHING_NEW", Member: first("SOMETHING_NEW", 1)},
		},
		{
			name: "empty cause is retry by default",
			p:    policy(nil), m: retry.Member{Numbers: nums}, o: unanswered(""),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(5 * time.Minute), NumberID: 12, Member: first("", 1)},
		},
	}
	runDecide(t, tests)
}

func TestDecide_EndAndLimits(t *testing.T) {
	tests := []decideCase{
		{
			name: "error cause ends the member",
			p:    policy(nil), m: retry.Member{Numbers: nums}, o: unanswered("UNALLOCATED_NUMBER"),
			want:   retry.Decision{Class: cause.Error, Counted: true, Kind: retry.Ended, EndCause: "UNALLOCATED_NUMBER", Member: retry.Member{Attempts: 1, CauseCounts: counts("UNALLOCATED_NUMBER", 1), Day: today, DayAttempts: 1, AttemptDays: 1, Numbers: nums}},
			reason: []string{"error"},
		},
		{
			name: "call rejected ends the member",
			p:    policy(nil), m: retry.Member{Attempts: 2, CauseCounts: counts("NO_ANSWER", 2), Day: today, DayAttempts: 2, AttemptDays: 1, Numbers: nums}, o: unanswered("CALL_REJECTED"),
			want: retry.Decision{Class: cause.Error, Counted: true, Kind: retry.Ended, EndCause: "CALL_REJECTED", Member: retry.Member{Attempts: 3, CauseCounts: counts("NO_ANSWER", 2, "CALL_REJECTED", 1), Day: today, DayAttempts: 3, AttemptDays: 1, Numbers: nums}},
		},
		{
			name: "non-retry cause ends the member with that cause",
			p:    policy(func(p *retry.Policy) { p.NonRetry = map[string]bool{"USER_BUSY": true} }),
			m:    retry.Member{Numbers: nums}, o: unanswered("USER_BUSY"),
			want:   retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Ended, EndCause: "USER_BUSY", Member: retry.Member{Attempts: 1, CauseCounts: counts("USER_BUSY", 1), Day: today, DayAttempts: 1, AttemptDays: 1, Numbers: nums}},
			reason: []string{"non-retry"},
		},
		{
			name: "non-retry does not beat a success",
			p:    policy(func(p *retry.Policy) { p.NonRetry = map[string]bool{"NORMAL_CLEARING": true} }),
			m:    retry.Member{Numbers: nums}, o: answered("NORMAL_CLEARING", time.Minute, ""),
			want: retry.Decision{Class: cause.OK, Counted: true, Kind: retry.Done, Member: retry.Member{Attempts: 1, CauseCounts: counts("NORMAL_CLEARING", 1), Day: today, DayAttempts: 1, AttemptDays: 1, Numbers: nums}},
		},
		{
			name: "non-retry minus cause ends without counting",
			p:    policy(func(p *retry.Policy) { p.NonRetry = map[string]bool{"GATEWAY_DOWN": true} }),
			m:    retry.Member{Numbers: nums}, o: unanswered("GATEWAY_DOWN"),
			want: retry.Decision{Class: cause.Minus, Kind: retry.Ended, EndCause: "GATEWAY_DOWN", Member: retry.Member{Minus: 1, CauseCounts: counts("GATEWAY_DOWN", 1), Day: today, DayAttempts: 1, AttemptDays: 1, Numbers: nums}},
		},
		{
			name: "retry below the maximum is due again",
			p:    policy(nil), m: retry.Member{Attempts: 1, CauseCounts: counts("NO_ANSWER", 1), Day: today, DayAttempts: 1, AttemptDays: 1, Numbers: nums},
			o:      unanswered("USER_BUSY"),
			want:   retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(5 * time.Minute), NumberID: 12, Member: retry.Member{Attempts: 2, CauseCounts: counts("NO_ANSWER", 1, "USER_BUSY", 1), Day: today, DayAttempts: 2, AttemptDays: 1, Numbers: nums}},
			reason: []string{"USER_BUSY is retry; 2 of 5 attempts used; due at 2026-11-21T10:05:00Z on number 12 (next in sequence)"},
		},
		{
			name: "retry reaching the maximum ends with MAX_TRY_COUNT",
			p:    policy(nil), m: retry.Member{Attempts: 4, CauseCounts: counts("NO_ANSWER", 4), Day: today, DayAttempts: 4, AttemptDays: 1, Numbers: nums},
			o:      unanswered("NO_ANSWER"),
			want:   retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Ended, EndCause: cause.MaxTryCount, Member: retry.Member{Attempts: 5, CauseCounts: counts("NO_ANSWER", 5), Day: today, DayAttempts: 5, AttemptDays: 1, Numbers: nums}},
			reason: []string{"5 of 5 attempts used", cause.MaxTryCount},
		},
		{
			name: "max attempts below one acts as one",
			p:    policy(func(p *retry.Policy) { p.MaxAttempts = 0 }), m: retry.Member{Numbers: nums}, o: unanswered("NO_ANSWER"),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Ended, EndCause: cause.MaxTryCount, Member: retry.Member{Attempts: 1, CauseCounts: counts("NO_ANSWER", 1), Day: today, DayAttempts: 1, AttemptDays: 1, Numbers: nums}},
		},
		{
			name: "minus is not counted",
			p:    policy(nil), m: retry.Member{Attempts: 4, CauseCounts: counts("NO_ANSWER", 4), Day: today, DayAttempts: 4, AttemptDays: 1, Numbers: nums},
			o:      unanswered("NORMAL_CIRCUIT_CONGESTION"),
			want:   retry.Decision{Class: cause.Minus, Kind: retry.Again, DueAt: now.Add(5 * time.Minute), NumberID: 12, Member: retry.Member{Attempts: 4, Minus: 1, CauseCounts: counts("NO_ANSWER", 4, "NORMAL_CIRCUIT_CONGESTION", 1), Day: today, DayAttempts: 5, AttemptDays: 1, Numbers: nums}},
			reason: []string{"not counted", "4 of 5 attempts used"},
		},
		{
			name: "minus just under the default bound is still free",
			p:    policy(nil), m: retry.Member{Minus: 9, CauseCounts: counts("GATEWAY_DOWN", 9), Day: today, DayAttempts: 9, AttemptDays: 1, Numbers: nums},
			o:    unanswered("GATEWAY_DOWN"),
			want: retry.Decision{Class: cause.Minus, Kind: retry.Again, DueAt: now.Add(5 * time.Minute), NumberID: 12, Member: retry.Member{Minus: 10, CauseCounts: counts("GATEWAY_DOWN", 10), Day: today, DayAttempts: 10, AttemptDays: 1, Numbers: nums}},
		},
		{
			name: "minus beyond the default bound of 10 counts as retry",
			p:    policy(nil), m: retry.Member{Minus: 10, CauseCounts: counts("GATEWAY_DOWN", 10), Day: today, DayAttempts: 10, AttemptDays: 1, Numbers: nums},
			o:      unanswered("GATEWAY_DOWN"),
			want:   retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(5 * time.Minute), NumberID: 12, Member: retry.Member{Attempts: 1, Minus: 11, CauseCounts: counts("GATEWAY_DOWN", 11), Day: today, DayAttempts: 11, AttemptDays: 1, Numbers: nums}},
			reason: []string{"counts as retry"},
		},
		{
			name: "minus beyond a custom bound can use the last attempt",
			p:    policy(func(p *retry.Policy) { p.MaxMinus = 2 }),
			m:    retry.Member{Attempts: 4, Minus: 2, CauseCounts: counts("NO_ANSWER", 4, "SWITCH_CONGESTION", 2), Day: today, DayAttempts: 6, AttemptDays: 1, Numbers: nums},
			o:    unanswered("SWITCH_CONGESTION"),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Ended, EndCause: cause.MaxTryCount, Member: retry.Member{Attempts: 5, Minus: 3, CauseCounts: counts("NO_ANSWER", 4, "SWITCH_CONGESTION", 3), Day: today, DayAttempts: 7, AttemptDays: 1, Numbers: nums}},
		},
		{
			name: "per-cause limit ends before the global one",
			p: policy(func(p *retry.Policy) {
				p.MaxAttempts = 10
				p.PerCause = map[string]retry.CauseRule{"USER_BUSY": {Retries: 1}}
			}),
			m:      retry.Member{Attempts: 1, CauseCounts: counts("USER_BUSY", 1), Day: today, DayAttempts: 1, AttemptDays: 1, Numbers: nums},
			o:      unanswered("USER_BUSY"),
			want:   retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Ended, EndCause: cause.MaxTryCount, Member: retry.Member{Attempts: 2, CauseCounts: counts("USER_BUSY", 2), Day: today, DayAttempts: 2, AttemptDays: 1, Numbers: nums}},
			reason: []string{"allows 1 retries"},
		},
		{
			name: "per-cause limit not yet exceeded",
			p: policy(func(p *retry.Policy) {
				p.MaxAttempts = 10
				p.PerCause = map[string]retry.CauseRule{"USER_BUSY": {Retries: 2}}
			}),
			m:    retry.Member{Attempts: 1, CauseCounts: counts("USER_BUSY", 1), Day: today, DayAttempts: 1, AttemptDays: 1, Numbers: nums},
			o:    unanswered("USER_BUSY"),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(5 * time.Minute), NumberID: 12, Member: retry.Member{Attempts: 2, CauseCounts: counts("USER_BUSY", 2), Day: today, DayAttempts: 2, AttemptDays: 1, Numbers: nums}},
		},
		{
			name: "per-cause limit of zero ends at the first such cause",
			p:    policy(func(p *retry.Policy) { p.PerCause = map[string]retry.CauseRule{"NO_USER_RESPONSE": {Retries: 0}} }),
			m:    retry.Member{Numbers: nums}, o: unanswered("NO_USER_RESPONSE"),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Ended, EndCause: cause.MaxTryCount, Member: retry.Member{Attempts: 1, CauseCounts: counts("NO_USER_RESPONSE", 1), Day: today, DayAttempts: 1, AttemptDays: 1, Numbers: nums}},
		},
		{
			name: "global limit ends before a looser per-cause one",
			p: policy(func(p *retry.Policy) {
				p.MaxAttempts = 3
				p.PerCause = map[string]retry.CauseRule{"USER_BUSY": {Retries: 5}}
			}),
			m:      retry.Member{Attempts: 2, CauseCounts: counts("USER_BUSY", 2), Day: today, DayAttempts: 2, AttemptDays: 1, Numbers: nums},
			o:      unanswered("USER_BUSY"),
			want:   retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Ended, EndCause: cause.MaxTryCount, Member: retry.Member{Attempts: 3, CauseCounts: counts("USER_BUSY", 3), Day: today, DayAttempts: 3, AttemptDays: 1, Numbers: nums}},
			reason: []string{"3 of 3 attempts used"},
		},
		{
			name: "per-cause limit applies to a minus cause",
			p:    policy(func(p *retry.Policy) { p.PerCause = map[string]retry.CauseRule{"GATEWAY_DOWN": {Retries: 2}} }),
			m:    retry.Member{Minus: 2, CauseCounts: counts("GATEWAY_DOWN", 2), Day: today, DayAttempts: 2, AttemptDays: 1, Numbers: nums},
			o:    unanswered("GATEWAY_DOWN"),
			want: retry.Decision{Class: cause.Minus, Kind: retry.Ended, EndCause: cause.MaxTryCount, Member: retry.Member{Minus: 3, CauseCounts: counts("GATEWAY_DOWN", 3), Day: today, DayAttempts: 3, AttemptDays: 1, Numbers: nums}},
		},
		{
			name: "per-cause interval with no per-cause limit",
			p: policy(func(p *retry.Policy) {
				p.PerCause = map[string]retry.CauseRule{"USER_BUSY": {Retries: -1, Interval: time.Hour}}
			}),
			m:    retry.Member{Attempts: 3, CauseCounts: counts("USER_BUSY", 3), Day: today, DayAttempts: 3, AttemptDays: 1, Numbers: nums},
			o:    unanswered("USER_BUSY"),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(time.Hour), NumberID: 12, Member: retry.Member{Attempts: 4, CauseCounts: counts("USER_BUSY", 4), Day: today, DayAttempts: 4, AttemptDays: 1, Numbers: nums}},
		},
		{
			name: "per-cause zero interval uses the policy interval",
			p:    policy(func(p *retry.Policy) { p.PerCause = map[string]retry.CauseRule{"USER_BUSY": {Retries: 3}} }),
			m:    retry.Member{Numbers: nums}, o: unanswered("USER_BUSY"),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(5 * time.Minute), NumberID: 12, Member: retry.Member{Attempts: 1, CauseCounts: counts("USER_BUSY", 1), Day: today, DayAttempts: 1, AttemptDays: 1, Numbers: nums}},
		},
		{
			name: "a rule for another cause does not apply",
			p: policy(func(p *retry.Policy) {
				p.PerCause = map[string]retry.CauseRule{"USER_BUSY": {Retries: 0, Interval: time.Hour}}
			}),
			m: retry.Member{Numbers: nums}, o: unanswered("NO_ANSWER"),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(5 * time.Minute), NumberID: 12, Member: retry.Member{Attempts: 1, CauseCounts: counts("NO_ANSWER", 1), Day: today, DayAttempts: 1, AttemptDays: 1, Numbers: nums}},
		},
	}
	runDecide(t, tests)
}

func TestDecide_DaysAndExpiry(t *testing.T) {
	tomorrow := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	yesterday := "2026-11-20"
	late := time.Date(2026, 11, 21, 23, 58, 0, 0, time.UTC)
	tests := []decideCase{
		{
			name:   "daily cap reached moves the due time to the next day",
			p:      policy(func(p *retry.Policy) { p.MaxAttemptsPerDay = 3 }),
			m:      retry.Member{Attempts: 2, CauseCounts: counts("NO_ANSWER", 2), Day: today, DayAttempts: 2, AttemptDays: 1, Numbers: nums},
			o:      unanswered("NO_ANSWER"),
			want:   retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: tomorrow, NumberID: 12, Member: retry.Member{Attempts: 3, CauseCounts: counts("NO_ANSWER", 3), Day: today, DayAttempts: 3, AttemptDays: 1, Numbers: nums}},
			reason: []string{"3 of 3 attempts today", "2026-11-22T00:00:00Z"},
		},
		{
			name: "daily cap counts minus outcomes",
			p:    policy(func(p *retry.Policy) { p.MaxAttemptsPerDay = 2 }),
			m:    retry.Member{Minus: 1, CauseCounts: counts("GATEWAY_DOWN", 1), Day: today, DayAttempts: 1, AttemptDays: 1, Numbers: nums},
			o:    unanswered("GATEWAY_DOWN"),
			want: retry.Decision{Class: cause.Minus, Kind: retry.Again, DueAt: tomorrow, NumberID: 12, Member: retry.Member{Minus: 2, CauseCounts: counts("GATEWAY_DOWN", 2), Day: today, DayAttempts: 2, AttemptDays: 1, Numbers: nums}},
		},
		{
			name: "daily cap not reached keeps the interval",
			p:    policy(func(p *retry.Policy) { p.MaxAttemptsPerDay = 3 }),
			m:    retry.Member{Attempts: 1, CauseCounts: counts("NO_ANSWER", 1), Day: today, DayAttempts: 1, AttemptDays: 1, Numbers: nums},
			o:    unanswered("NO_ANSWER"),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(5 * time.Minute), NumberID: 12, Member: retry.Member{Attempts: 2, CauseCounts: counts("NO_ANSWER", 2), Day: today, DayAttempts: 2, AttemptDays: 1, Numbers: nums}},
		},
		{
			name: "daily cap keeps a longer interval",
			p: policy(func(p *retry.Policy) {
				p.MaxAttemptsPerDay = 1
				p.Interval = 30 * time.Hour
			}),
			m: retry.Member{Numbers: nums}, o: unanswered("NO_ANSWER"),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(30 * time.Hour), NumberID: 12, Member: retry.Member{Attempts: 1, CauseCounts: counts("NO_ANSWER", 1), Day: today, DayAttempts: 1, AttemptDays: 1, Numbers: nums}},
		},
		{
			name: "a new day resets the day's attempts",
			p:    policy(func(p *retry.Policy) { p.MaxAttemptsPerDay = 3 }),
			m:    retry.Member{Attempts: 3, CauseCounts: counts("NO_ANSWER", 3), Day: yesterday, DayAttempts: 3, AttemptDays: 1, Numbers: nums},
			o:    unanswered("NO_ANSWER"),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(5 * time.Minute), NumberID: 12, Member: retry.Member{Attempts: 4, CauseCounts: counts("NO_ANSWER", 4), Day: today, DayAttempts: 1, AttemptDays: 2, Numbers: nums}},
		},
		{
			name: "last attempt day allows a retry on the same day",
			p:    policy(func(p *retry.Policy) { p.MaxAttemptDays = 2 }),
			m:    retry.Member{Attempts: 2, CauseCounts: counts("NO_ANSWER", 2), Day: yesterday, DayAttempts: 1, AttemptDays: 1, Numbers: nums},
			o:    unanswered("NO_ANSWER"),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(5 * time.Minute), NumberID: 12, Member: retry.Member{Attempts: 3, CauseCounts: counts("NO_ANSWER", 3), Day: today, DayAttempts: 1, AttemptDays: 2, Numbers: nums}},
		},
		{
			name:   "last attempt day ends when the retry falls on the next day",
			p:      policy(func(p *retry.Policy) { p.MaxAttemptDays = 2 }),
			m:      retry.Member{Attempts: 2, CauseCounts: counts("NO_ANSWER", 2), Day: yesterday, DayAttempts: 1, AttemptDays: 1, Numbers: nums},
			o:      retry.Outcome{NumberID: 11, Cause: "NO_ANSWER", At: late},
			want:   retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Ended, EndCause: cause.MaxTryCount, Member: retry.Member{Attempts: 3, CauseCounts: counts("NO_ANSWER", 3), Day: today, DayAttempts: 1, AttemptDays: 2, Numbers: nums}},
			reason: []string{"attempt days"},
		},
		{
			name: "daily cap on the last attempt day ends the member",
			p: policy(func(p *retry.Policy) {
				p.MaxAttemptDays = 1
				p.MaxAttemptsPerDay = 2
			}),
			m:    retry.Member{Attempts: 1, CauseCounts: counts("USER_BUSY", 1), Day: today, DayAttempts: 1, AttemptDays: 1, Numbers: nums},
			o:    unanswered("USER_BUSY"),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Ended, EndCause: cause.MaxTryCount, Member: retry.Member{Attempts: 2, CauseCounts: counts("USER_BUSY", 2), Day: today, DayAttempts: 2, AttemptDays: 1, Numbers: nums}},
		},
		{
			name:   "due after expiry ends MEMBER_EXPIRED",
			p:      policy(nil),
			m:      retry.Member{ExpiresAt: now.Add(3 * time.Minute), Numbers: nums},
			o:      unanswered("NO_ANSWER"),
			want:   retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Ended, EndCause: cause.MemberExpired, Member: retry.Member{Attempts: 1, CauseCounts: counts("NO_ANSWER", 1), Day: today, DayAttempts: 1, AttemptDays: 1, ExpiresAt: now.Add(3 * time.Minute), Numbers: nums}},
			reason: []string{"expiry", cause.MemberExpired},
		},
		{
			name: "due exactly at expiry ends MEMBER_EXPIRED",
			p:    policy(nil),
			m:    retry.Member{ExpiresAt: now.Add(5 * time.Minute), Numbers: nums},
			o:    unanswered("NO_ANSWER"),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Ended, EndCause: cause.MemberExpired, Member: retry.Member{Attempts: 1, CauseCounts: counts("NO_ANSWER", 1), Day: today, DayAttempts: 1, AttemptDays: 1, ExpiresAt: now.Add(5 * time.Minute), Numbers: nums}},
		},
		{
			name: "due before expiry is a retry",
			p:    policy(nil),
			m:    retry.Member{ExpiresAt: now.Add(5*time.Minute + time.Second), Numbers: nums},
			o:    unanswered("NO_ANSWER"),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(5 * time.Minute), NumberID: 12, Member: retry.Member{Attempts: 1, CauseCounts: counts("NO_ANSWER", 1), Day: today, DayAttempts: 1, AttemptDays: 1, ExpiresAt: now.Add(5*time.Minute + time.Second), Numbers: nums}},
		},
		{
			name: "minus outcome after expiry ends MEMBER_EXPIRED",
			p:    policy(nil),
			m:    retry.Member{ExpiresAt: now.Add(-time.Minute), Numbers: nums},
			o:    unanswered("NORMAL_TEMPORARY_FAILURE"),
			want: retry.Decision{Class: cause.Minus, Kind: retry.Ended, EndCause: cause.MemberExpired, Member: retry.Member{Minus: 1, CauseCounts: counts("NORMAL_TEMPORARY_FAILURE", 1), Day: today, DayAttempts: 1, AttemptDays: 1, ExpiresAt: now.Add(-time.Minute), Numbers: nums}},
		},
		{
			name: "success after expiry is still done",
			p:    policy(nil),
			m:    retry.Member{ExpiresAt: now.Add(-time.Minute), Numbers: nums},
			o:    answered("NORMAL_CLEARING", time.Minute, ""),
			want: retry.Decision{Class: cause.OK, Counted: true, Kind: retry.Done, Member: retry.Member{Attempts: 1, CauseCounts: counts("NORMAL_CLEARING", 1), Day: today, DayAttempts: 1, AttemptDays: 1, ExpiresAt: now.Add(-time.Minute), Numbers: nums}},
		},
		{
			name:   "daily cap pushing past expiry ends MEMBER_EXPIRED",
			p:      policy(func(p *retry.Policy) { p.MaxAttemptsPerDay = 1 }),
			m:      retry.Member{ExpiresAt: time.Date(2026, 11, 21, 20, 0, 0, 0, time.UTC), Numbers: nums},
			o:      unanswered("USER_BUSY"),
			want:   retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Ended, EndCause: cause.MemberExpired, Member: retry.Member{Attempts: 1, CauseCounts: counts("USER_BUSY", 1), Day: today, DayAttempts: 1, AttemptDays: 1, ExpiresAt: time.Date(2026, 11, 21, 20, 0, 0, 0, time.UTC), Numbers: nums}},
			reason: []string{"2026-11-22T00:00:00Z"},
		},
		{
			name: "daily cap with expiry after the next day is a retry",
			p:    policy(func(p *retry.Policy) { p.MaxAttemptsPerDay = 1 }),
			m:    retry.Member{ExpiresAt: time.Date(2026, 11, 22, 0, 0, 1, 0, time.UTC), Numbers: nums},
			o:    unanswered("USER_BUSY"),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: tomorrow, NumberID: 12, Member: retry.Member{Attempts: 1, CauseCounts: counts("USER_BUSY", 1), Day: today, DayAttempts: 1, AttemptDays: 1, ExpiresAt: time.Date(2026, 11, 22, 0, 0, 1, 0, time.UTC), Numbers: nums}},
		},
		{
			name: "attempt limit wins over expiry",
			p:    policy(nil),
			m:    retry.Member{Attempts: 4, CauseCounts: counts("NO_ANSWER", 4), Day: today, DayAttempts: 4, AttemptDays: 1, ExpiresAt: now, Numbers: nums},
			o:    unanswered("NO_ANSWER"),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Ended, EndCause: cause.MaxTryCount, Member: retry.Member{Attempts: 5, CauseCounts: counts("NO_ANSWER", 5), Day: today, DayAttempts: 5, AttemptDays: 1, ExpiresAt: now, Numbers: nums}},
		},
	}
	runDecide(t, tests)
}

func TestDecide_DayBoundaryInLocation(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	santiago := mustLoad(t, "America/Santiago")
	capped := func(loc *time.Location) retry.Policy {
		return policy(func(p *retry.Policy) {
			p.MaxAttemptsPerDay = 1
			p.Location = loc
		})
	}
	mem := func(day string) retry.Member {
		return retry.Member{Attempts: 1, CauseCounts: counts("NO_ANSWER", 1), Day: day, DayAttempts: 1, AttemptDays: 1, Numbers: nums}
	}
	tests := []struct {
		name    string
		p       retry.Policy
		at      time.Time
		wantDay string
		wantDue time.Time
	}{
		{"days are counted in the location, not UTC", capped(ny), time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC), "2026-11-20", time.Date(2026, 11, 21, 5, 0, 0, 0, time.UTC)},
		{"nil location is UTC", capped(nil), time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC), "2026-11-21", time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)},
		{"evening before spring forward", capped(ny), time.Date(2026, 3, 7, 22, 0, 0, 0, ny), "2026-03-07", time.Date(2026, 3, 8, 5, 0, 0, 0, time.UTC)},
		{"spring-forward day has 23 hours", capped(ny), time.Date(2026, 3, 8, 20, 0, 0, 0, ny), "2026-03-08", time.Date(2026, 3, 9, 4, 0, 0, 0, time.UTC)},
		{"fall-back day has 25 hours", capped(ny), time.Date(2026, 11, 1, 20, 0, 0, 0, ny), "2026-11-01", time.Date(2026, 11, 2, 5, 0, 0, 0, time.UTC)},
		{"in the repeated hour of fall back", capped(ny), time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC), "2026-11-01", time.Date(2026, 11, 2, 5, 0, 0, 0, time.UTC)},
		{"midnight skipped by DST starts the day at the jump", capped(santiago), time.Date(2022, 9, 10, 15, 0, 0, 0, santiago), "2022-09-10", time.Date(2022, 9, 11, 4, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := retry.Decide(tt.p, retry.Member{Numbers: nums}, retry.Outcome{NumberID: 11, Cause: "NO_ANSWER", At: tt.at})
			want := retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: tt.wantDue, NumberID: 12, Member: mem(tt.wantDay)}
			if !got.DueAt.Equal(want.DueAt) {
				t.Errorf("DueAt = %s, want %s", got.DueAt.UTC(), want.DueAt.UTC())
			}
			if !strings.Contains(got.Reason, "NO_ANSWER") {
				t.Errorf("reason %q does not mention the cause", got.Reason)
			}
			got.Reason, got.DueAt, want.DueAt = "", time.Time{}, time.Time{}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Decide() =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestDecide_Numbers(t *testing.T) {
	typed := []retry.Number{
		{ID: 1, Type: "home", Position: 1},
		{ID: 2, Type: "mobile", Position: 2},
		{ID: 3, Type: "work", Position: 3},
		{ID: 4, Type: "mobile", Position: 4},
	}
	byType := policy(func(p *retry.Policy) {
		p.NumberOrder = retry.ByType
		p.TypeOrder = []string{"mobile", "work", "home"}
	})
	withNumbers := func(ns []retry.Number) retry.Member { return retry.Member{Numbers: ns} }
	afterFirst := func(c string, ns []retry.Number) retry.Member {
		return retry.Member{Attempts: 1, CauseCounts: counts(c, 1), Day: today, DayAttempts: 1, AttemptDays: 1, Numbers: ns}
	}
	again := func(id int64, ns []retry.Number) retry.Decision {
		return retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(5 * time.Minute), NumberID: id, Member: afterFirst("NO_ANSWER", ns)}
	}
	on := func(id int64) retry.Outcome { return retry.Outcome{NumberID: id, Cause: "NO_ANSWER", At: now} }
	skip12 := []retry.Number{{ID: 11, Position: 1}, {ID: 12, Position: 2, Blocked: true}, {ID: 13, Position: 3}}
	only11 := []retry.Number{{ID: 11, Position: 1}, {ID: 12, Position: 2, Stopped: true}, {ID: 13, Position: 3, Blocked: true}}
	allBlocked := []retry.Number{{ID: 11, Position: 1, Blocked: true}, {ID: 12, Position: 2, Stopped: true}, {ID: 13, Position: 3, Blocked: true, Stopped: true}}
	allStopped := []retry.Number{{ID: 11, Position: 1, Stopped: true}, {ID: 12, Position: 2, Stopped: true, Blocked: true}}
	tests := []decideCase{
		{name: "sequence goes to the next position", p: policy(nil), m: withNumbers(nums), o: on(12), want: again(13, nums), reason: []string{"number 13 (next in sequence)"}},
		{name: "sequence wraps to the first", p: policy(nil), m: withNumbers(nums), o: on(13), want: again(11, nums)},
		{name: "blocked number is skipped", p: policy(nil), m: withNumbers(skip12), o: on(11), want: again(13, skip12)},
		{name: "only usable number is called again", p: policy(nil), m: withNumbers(only11), o: on(11), want: again(11, only11), reason: []string{"only usable"}},
		{name: "number no longer listed restarts at the first", p: policy(nil), m: withNumbers(nums), o: on(99), want: again(11, nums), reason: []string{"first in sequence"}},
		{name: "type order goes mobile to mobile", p: byType, m: withNumbers(typed), o: on(2), want: again(4, typed), reason: []string{"next by type order"}},
		{name: "type order goes mobile to work", p: byType, m: withNumbers(typed), o: on(4), want: again(3, typed)},
		{name: "type order wraps home to mobile", p: byType, m: withNumbers(typed), o: on(1), want: again(2, typed)},
		{
			name: "remaining numbers all blocked ends BLOCKED", p: policy(nil), m: withNumbers(allBlocked), o: on(11),
			want:   retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Ended, EndCause: cause.Blocked, Member: afterFirst("NO_ANSWER", allBlocked)},
			reason: []string{"blocked"},
		},
		{
			name: "all numbers stopped ends MAX_TRY_COUNT", p: policy(nil), m: withNumbers(allStopped), o: on(11),
			want:   retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Ended, EndCause: cause.MaxTryCount, Member: afterFirst("NO_ANSWER", allStopped)},
			reason: []string{"stopped"},
		},
		{
			name: "no numbers ends MAX_TRY_COUNT", p: policy(nil), m: retry.Member{}, o: on(11),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Ended, EndCause: cause.MaxTryCount, Member: afterFirst("NO_ANSWER", nil)},
		},
		{
			name: "blocked wins over expiry", p: policy(nil), m: retry.Member{ExpiresAt: now, Numbers: allBlocked}, o: on(11),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Ended, EndCause: cause.Blocked, Member: retry.Member{Attempts: 1, CauseCounts: counts("NO_ANSWER", 1), Day: today, DayAttempts: 1, AttemptDays: 1, ExpiresAt: now, Numbers: allBlocked}},
		},
	}
	runDecide(t, tests)
}

func TestDecide_DoesNotChangeInput(t *testing.T) {
	in := map[string]int{"USER_BUSY": 1}
	m := retry.Member{Attempts: 1, CauseCounts: in, Day: today, DayAttempts: 1, AttemptDays: 1, Numbers: nums}
	got := retry.Decide(policy(nil), m, unanswered("USER_BUSY"))
	if in["USER_BUSY"] != 1 || len(in) != 1 {
		t.Errorf("input CauseCounts changed to %v", in)
	}
	if got.Member.CauseCounts["USER_BUSY"] != 2 {
		t.Errorf("output CauseCounts = %v, want USER_BUSY 2", got.Member.CauseCounts)
	}
}

func TestDecide_NumberingPlan(t *testing.T) {
	// The test numbering plan's outcomes under the shipped classes.
	p := policy(func(p *retry.Policy) { p.MinSuccess = 2 * time.Second })
	tests := []struct {
		o     retry.Outcome
		class cause.Class
		kind  retry.Kind
	}{
		{answered("NORMAL_CLEARING", 5*time.Second, ""), cause.OK, retry.Done},
		{unanswered("USER_BUSY"), cause.Retry, retry.Again},
		{unanswered("NO_ANSWER"), cause.Retry, retry.Again},
		{unanswered("UNALLOCATED_NUMBER"), cause.Error, retry.Ended},
		{unanswered("CALL_REJECTED"), cause.Error, retry.Ended},
		{unanswered("NORMAL_CIRCUIT_CONGESTION"), cause.Minus, retry.Again},
	}
	for _, tt := range tests {
		t.Run(tt.o.Cause+fmt.Sprint(!tt.o.AnsweredAt.IsZero()), func(t *testing.T) {
			got := retry.Decide(p, retry.Member{Numbers: nums}, tt.o)
			if got.Class != tt.class || got.Kind != tt.kind {
				t.Errorf("Decide(%s) = %s/%s, want %s/%s", tt.o.Cause, got.Class, got.Kind, tt.class, tt.kind)
			}
		})
	}
}

func BenchmarkDecide(b *testing.B) {
	p := policy(func(p *retry.Policy) {
		p.MaxAttempts = 10
		p.MaxAttemptsPerDay = 3
		p.MaxAttemptDays = 5
		p.PerCause = map[string]retry.CauseRule{"USER_BUSY": {Retries: 5, Interval: 10 * time.Minute}}
		p.Location = mustLoad(b, "America/New_York")
		p.NumberOrder = retry.ByType
		p.TypeOrder = []string{"mobile", "work", "home"}
	})
	m := retry.Member{
		Attempts: 2, CauseCounts: counts("USER_BUSY", 1, "NO_ANSWER", 1), Day: "2026-11-21", DayAttempts: 2, AttemptDays: 1,
		ExpiresAt: now.Add(72 * time.Hour),
		Numbers:   []retry.Number{{ID: 1, Type: "home", Position: 1}, {ID: 2, Type: "mobile", Position: 2}, {ID: 3, Type: "work", Position: 3}},
	}
	o := unanswered("USER_BUSY")
	o.NumberID = 2
	b.ReportAllocs()
	for b.Loop() {
		retry.Decide(p, m, o)
	}
}
