package retry_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer/cause"
	"github.com/fsdialer/dialer/dialer/retry"
)

func subStatus(o retry.Outcome, s string) retry.Outcome {
	o.SubStatus = s
	return o
}

func TestMatchResult_MostSpecificFirst(t *testing.T) {
	rules := []retry.ResultRule{
		{Result: "", Action: retry.ResultRetry},
		{Result: "3", Action: retry.ResultRetry, Interval: 2 * time.Second},
		{Result: "3", SubStatus: "busy", Action: retry.ResultStop},
		{Result: "1", Action: retry.ResultStop, Cause: "CALL_REJECTED"},
	}
	tests := []struct {
		result, sub string
		want        string // rule name, "" for no match
	}{
		{"3", "busy", `result "3" sub_status "busy"`},
		{"3", "other", `result "3"`},
		{"3", "", `result "3"`},
		{"1", "busy", `result "1"`},
		{"7", "", "default"},
		{"7", "busy", "default"},
		{"", "busy", ""},
	}
	for _, tt := range tests {
		got, ok := retry.MatchResult(rules, tt.result, tt.sub)
		name := ""
		if ok {
			name = got.Name()
		}
		if name != tt.want {
			t.Errorf("MatchResult(%q, %q) = %q, want %q", tt.result, tt.sub, name, tt.want)
		}
	}
	if _, ok := retry.MatchResult(rules[1:2], "7", ""); ok {
		t.Error("a result with no rule and no default matched")
	}
}

func TestDecide_ResultRules(t *testing.T) {
	rules := policy(func(p *retry.Policy) {
		p.MinSuccess = 10 * time.Second
		p.Results = map[string]cause.Class{"3": cause.OK, "9": cause.Error}
		p.ResultRules = []retry.ResultRule{
			{Result: "3", Action: retry.ResultRetry, Interval: 2 * time.Second, Uncounted: true},
			{Result: "3", SubStatus: "sale", Action: retry.ResultOK},
			{Result: "1", Action: retry.ResultStop},
			{Result: "2", Action: retry.ResultStop, Cause: "WRONG_PERSON"},
			{Result: "4", Action: retry.ResultRetry, Interval: time.Hour},
			{Result: "5", Action: retry.ResultOK},
		}
	})
	withDefault := rules
	withDefault.ResultRules = append([]retry.ResultRule{{Action: retry.ResultRetry, Interval: 30 * time.Second}}, rules.ResultRules...)
	after := func(c string, attempts, minus int) retry.Member {
		return retry.Member{Attempts: attempts, Minus: minus, CauseCounts: counts(c, 1), Day: today, DayAttempts: 1, AttemptDays: 1, Numbers: nums}
	}
	fresh := retry.Member{Numbers: nums}
	long := 30 * time.Second
	tests := []decideCase{
		{
			name: "retry uncounted after its own interval",
			p:    rules, m: fresh, o: answered("NORMAL_CLEARING", long, "3"),
			want: retry.Decision{Class: cause.Minus, Kind: retry.Again, DueAt: now.Add(2 * time.Second), NumberID: 12,
				Member: after("NORMAL_CLEARING", 0, 1), Rule: `result "3"`},
			reason: []string{`rule result "3" makes retry`, "not counted"},
		},
		{
			name: "sub-status rule wins over the result's rule",
			p:    rules, m: fresh, o: subStatus(answered("NORMAL_CLEARING", long, "3"), "sale"),
			want:   retry.Decision{Class: cause.OK, Counted: true, Kind: retry.Done, Member: after("NORMAL_CLEARING", 1, 0), Rule: `result "3" sub_status "sale"`},
			reason: []string{`sub-status "sale"`, "done"},
		},
		{
			name: "unknown sub-status falls back to the result's rule",
			p:    rules, m: fresh, o: subStatus(answered("NORMAL_CLEARING", long, "3"), "other"),
			want: retry.Decision{Class: cause.Minus, Kind: retry.Again, DueAt: now.Add(2 * time.Second), NumberID: 12,
				Member: after("NORMAL_CLEARING", 0, 1), Rule: `result "3"`},
		},
		{
			name: "stop ends with RESULT_STOP",
			p:    rules, m: fresh, o: answered("NORMAL_CLEARING", long, "1"),
			want: retry.Decision{Class: cause.Error, Counted: true, Kind: retry.Ended, EndCause: cause.ResultStop,
				Member: after("NORMAL_CLEARING", 1, 0), Rule: `result "1"`},
			reason: []string{"RESULT_STOP"},
		},
		{
			name: "stop with its own cause",
			p:    rules, m: fresh, o: answered("NORMAL_CLEARING", long, "2"),
			want: retry.Decision{Class: cause.Error, Counted: true, Kind: retry.Ended, EndCause: "WRONG_PERSON",
				Member: after("NORMAL_CLEARING", 1, 0), Rule: `result "2"`},
		},
		{
			name: "counted retry uses up the last attempt",
			p:    rules, m: retry.Member{Attempts: 4, Numbers: nums}, o: answered("NORMAL_CLEARING", long, "4"),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Ended, EndCause: cause.MaxTryCount,
				Member: retry.Member{Attempts: 5, CauseCounts: counts("NORMAL_CLEARING", 1), Day: today, DayAttempts: 1, AttemptDays: 1, Numbers: nums},
				Rule:   `result "4"`},
		},
		{
			name: "ok rule wins over a short call",
			p:    rules, m: fresh, o: answered("NORMAL_CLEARING", time.Second, "5"),
			want: retry.Decision{Class: cause.OK, Counted: true, Kind: retry.Done, Member: after("NORMAL_CLEARING", 1, 0), Rule: `result "5"`},
		},
		{
			name: "a result without a rule falls back to results",
			p:    rules, m: fresh, o: answered("NORMAL_CLEARING", long, "9"),
			want: retry.Decision{Class: cause.Error, Counted: true, Kind: retry.Ended, EndCause: "NORMAL_CLEARING",
				Member: after("NORMAL_CLEARING", 1, 0)},
		},
		{
			name: "a result without a rule or a class falls back to the cause",
			p:    rules, m: fresh, o: answered("NORMAL_CLEARING", long, "8"),
			want: retry.Decision{Class: cause.OK, Counted: true, Kind: retry.Done, Member: after("NORMAL_CLEARING", 1, 0)},
		},
		{
			name: "the default rule takes a result no rule names",
			p:    withDefault, m: fresh, o: answered("NORMAL_CLEARING", long, "9"),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(30 * time.Second), NumberID: 12,
				Member: after("NORMAL_CLEARING", 1, 0), Rule: "default"},
		},
		{
			name: "no result is not the default's: judged by the cause",
			p:    withDefault, m: fresh, o: answered("NORMAL_CLEARING", long, ""),
			want: retry.Decision{Class: cause.OK, Counted: true, Kind: retry.Done, Member: after("NORMAL_CLEARING", 1, 0)},
		},
		{
			name: "an unanswered call ignores the rules",
			p:    rules, m: fresh, o: retry.Outcome{NumberID: 11, Cause: "NO_ANSWER", BusinessResult: "1", At: now},
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(5 * time.Minute), NumberID: 12,
				Member: after("NO_ANSWER", 1, 0)},
		},
		{
			name: "uncounted retries are bounded by max_minus",
			p: func() retry.Policy {
				p := rules
				p.MaxMinus = 2
				return p
			}(),
			m: retry.Member{Minus: 2, Numbers: nums}, o: answered("NORMAL_CLEARING", long, "3"),
			want: retry.Decision{Class: cause.Retry, Counted: true, Kind: retry.Again, DueAt: now.Add(2 * time.Second), NumberID: 12,
				Member: retry.Member{Attempts: 1, Minus: 3, CauseCounts: counts("NORMAL_CLEARING", 1), Day: today, DayAttempts: 1, AttemptDays: 1, Numbers: nums},
				Rule:   `result "3"`},
			reason: []string{"counts as retry"},
		},
	}
	runDecide(t, tests)
}

func TestPolicyValidate_ResultRules(t *testing.T) {
	p := policy(func(p *retry.Policy) {
		p.ResultRules = []retry.ResultRule{
			{Result: "1", Action: "maybe"},
			{SubStatus: "x", Action: retry.ResultOK},
			{Result: "2", Action: retry.ResultRetry, Interval: -time.Second},
			{Result: "3", Action: retry.ResultOK},
			{Result: "3", Action: retry.ResultStop},
		}
	})
	err := p.Validate()
	if err == nil {
		t.Fatal("Validate() = nil, want errors")
	}
	for _, want := range []string{
		`result_policies[0].policy: unknown policy "maybe"`,
		"result_policies[1].sub_status: only with a result",
		"result_policies[2].interval: must not be negative",
		`result_policies[4]: result "3" is already the rule at 3`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v\nwant it to say %q", err, want)
		}
	}
}
