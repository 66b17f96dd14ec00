package retry

import (
	"fmt"
	"time"

	"github.com/fsdialer/dialer/dialer/cause"
)

// ResultAction is what a business-result rule does with the member.
type ResultAction string

// The result actions.
const (
	// ResultOK ends the member as done.
	ResultOK ResultAction = "ok"
	// ResultRetry calls the member again after the rule's interval.
	ResultRetry ResultAction = "retry"
	// ResultStop ends the member failed with the rule's cause.
	ResultStop ResultAction = "stop"
)

// ResultRule is one business-result rule of a campaign (result_policies).
type ResultRule struct {
	// Result is the business result the rule is for; "" for the default
	// rule, which takes any result no other rule matches.
	Result string
	// SubStatus narrows the rule to one sub-status; "" matches any.
	SubStatus string
	// Action is what follows.
	Action ResultAction
	// Interval is, for ResultRetry, the wait before the next attempt; 0
	// means the policy's (or the cause's) interval.
	Interval time.Duration
	// Uncounted makes a ResultRetry attempt not count toward MaxAttempts:
	// it is a minus outcome, bounded by MaxMinus like any other.
	Uncounted bool
	// Cause is, for ResultStop, the member's end cause; "" means
	// cause.ResultStop.
	Cause string
}

// Name is how decisions and explanations name the rule, e.g.
// `result "3"`, `result "3" sub_status "busy"` or `default`.
func (r ResultRule) Name() string {
	switch {
	case r.Result == "":
		return "default"
	case r.SubStatus == "":
		return fmt.Sprintf("result %q", r.Result)
	}
	return fmt.Sprintf("result %q sub_status %q", r.Result, r.SubStatus)
}

// StopCause is the end cause of a ResultStop rule.
func (r ResultRule) StopCause() string {
	if r.Cause == "" {
		return cause.ResultStop
	}
	return r.Cause
}

// class is the attempt class the rule gives.
func (r ResultRule) class() cause.Class {
	switch r.Action {
	case ResultOK:
		return cause.OK
	case ResultStop:
		return cause.Error
	}
	if r.Uncounted {
		return cause.Minus
	}
	return cause.Retry
}

// MatchResult returns the rule for a business result and sub-status, most
// specific first: the rule for both, then the rule for the result with no
// sub-status, then the default rule (Result ""). An empty result matches
// nothing, not even the default: a call that reported no result is judged
// by its cause.
func MatchResult(rules []ResultRule, result, subStatus string) (ResultRule, bool) {
	if result == "" {
		return ResultRule{}, false
	}
	var byResult, byDefault *ResultRule
	for i := range rules {
		r := &rules[i]
		switch {
		case r.Result == result && r.SubStatus != "" && r.SubStatus == subStatus:
			return *r, true
		case r.Result == result && r.SubStatus == "" && byResult == nil:
			byResult = r
		case r.Result == "" && byDefault == nil:
			byDefault = r
		}
	}
	if byResult != nil {
		return *byResult, true
	}
	if byDefault != nil {
		return *byDefault, true
	}
	return ResultRule{}, false
}

// validateResultRules checks the rules, naming each by its position.
func validateResultRules(rules []ResultRule, add func(format string, args ...any)) {
	seen := map[[2]string]int{}
	for i, r := range rules {
		path := fmt.Sprintf("result_policies[%d]", i)
		switch r.Action {
		case ResultOK, ResultRetry, ResultStop:
		default:
			add("%s.policy: unknown policy %q (want ok, retry or stop)", path, r.Action)
		}
		if r.Result == "" && r.SubStatus != "" {
			add("%s.sub_status: only with a result", path)
		}
		if r.Interval < 0 {
			add("%s.interval: must not be negative, got %s", path, r.Interval)
		}
		key := [2]string{r.Result, r.SubStatus}
		if j, dup := seen[key]; dup {
			add("%s: %s is already the rule at %d", path, r.Name(), j)
		}
		seen[key] = i
	}
}
