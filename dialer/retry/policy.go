// Package retry makes the single decision that follows every attempt: is the
// member done, due again (when, and on which number), or ended (and why).
//
// Decide is a pure function of the campaign's Policy, the member's counters
// before the attempt and the attempt's Outcome; it reads no clock (the
// outcome's At is "now") and returns the counters to persist. The rules, in
// the order they apply:
//
//  1. Class. An answered call whose business result (and sub-status) has
//     a rule in Policy.ResultRules (see MatchResult) takes the rule's class:
//     ok, error for stop (the member ends with the rule's cause at once,
//     before rule 4), retry, or minus for an uncounted retry; a retry
//     rule's Interval replaces the interval of rule 7. Otherwise an answered
//     call with a business result listed in Policy.Results takes that class. Otherwise an answered call that ended
//     with one of the dialer's own causes (ABANDONED, DIALER_LOST, ...) takes
//     that cause's class, because the dialer, not the callee, ended it. Any
//     other answered call is ok when Billsec reaches MinSuccess, else retry (a
//     short call is not a success). An unanswered call takes its cause's
//     class from Policy.Classes, and an ok class counts as retry, because
//     "answered" comes only from Outcome.AnsweredAt, never from the cause.
//  2. Minus bound. A minus outcome is free (not counted) while the member has
//     had fewer than MaxMinus of them; after that it is treated, and
//     reported, as retry and counted, so a dead gateway cannot loop a member.
//  3. ok: the member is done.
//  4. A cause in NonRetry ends the member with that cause; so does an error
//     class.
//  5. Attempt limits: a counted attempt that brings Attempts to MaxAttempts,
//     or an attempt whose cause has a per-cause rule and has now ended more
//     than Retries attempts, ends the member with MAX_TRY_COUNT.
//  6. Number: the next usable number by NextNumber; with none, the member
//     ends BLOCKED if every number not stopped is blocked, else MAX_TRY_COUNT.
//  7. Due time: the outcome's time plus the per-cause Interval, or the
//     policy's. When the day's attempts reach MaxAttemptsPerDay the due time
//     moves to at least the start of the next day in Location.
//  8. Attempt days: when the member has attempts on MaxAttemptDays distinct
//     days and the due time falls on a later day, it ends MAX_TRY_COUNT.
//  9. Expiry: when the due time is at or after ExpiresAt (which includes an
//     outcome that itself came after expiry) it ends MEMBER_EXPIRED.
//
// Otherwise the member is due again at the due time on the chosen number.
package retry

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fsdialer/dialer/dialer/cause"
)

// NumberOrder is how a member's numbers take turns.
type NumberOrder string

// The number orders.
const (
	// BySequence calls numbers by position (the default when empty).
	BySequence NumberOrder = "sequence"
	// ByType calls numbers by the rank of their type in Policy.TypeOrder,
	// then by position; types not listed come after the listed ones.
	ByType NumberOrder = "type"
)

// defaultMaxMinus applies when Policy.MaxMinus is 0.
const defaultMaxMinus = 10

// CauseRule is a campaign's rule for one cause.
type CauseRule struct {
	// Retries is how many retries are allowed after attempts ending with
	// this cause: the member ends when Retries+1 attempts have ended with
	// it. Negative means no per-cause limit (MaxAttempts still applies), for
	// a rule that only sets Interval.
	Retries int
	// Interval is the wait after this cause; 0 means the policy's Interval.
	Interval time.Duration
}

// Policy is a campaign's retry policy.
type Policy struct {
	// MaxAttempts is the number of counted attempts a member gets; at least 1.
	MaxAttempts int
	// Interval is the wait between an attempt and the member's next one.
	Interval time.Duration
	// PerCause holds per-cause retry limits and intervals by cause name.
	PerCause map[string]CauseRule
	// MaxAttemptsPerDay caps attempts (counted and minus alike) per calendar
	// day in Location; 0 means no cap.
	MaxAttemptsPerDay int
	// MaxAttemptDays caps the number of distinct days with attempts; 0 means
	// no cap.
	MaxAttemptDays int
	// NonRetry lists causes that end the member at once, with that cause.
	NonRetry map[string]bool
	// MaxMinus is how many minus outcomes are free; a further minus counts
	// as retry. 0 means 10.
	MaxMinus int
	// MinSuccess is the shortest answered call that is a success; shorter
	// answered calls are retry.
	MinSuccess time.Duration
	// Classes maps causes to classes for this campaign.
	Classes cause.Map
	// Results maps a business result (e.g. the IVR's dialer_result) to a
	// class; it applies to answered calls and wins over the cause.
	Results map[string]cause.Class
	// ResultRules are the business-result rules (result_policies); a
	// matching rule wins over Results.
	ResultRules []ResultRule
	// NumberOrder is how a member's numbers take turns; empty means
	// BySequence.
	NumberOrder NumberOrder
	// TypeOrder ranks number types for ByType, e.g. mobile, work, home.
	TypeOrder []string
	// Location is where calendar days are counted; nil means UTC.
	Location *time.Location
}

func (p Policy) location() *time.Location {
	if p.Location == nil {
		return time.UTC
	}
	return p.Location
}

func (p Policy) maxMinus() int {
	if p.MaxMinus == 0 {
		return defaultMaxMinus
	}
	return p.MaxMinus
}

// Validate checks the policy and returns every problem, joined, each naming
// its field, e.g. "retry.max_attempts: must be at least 1" or
// "retry.per_cause.FOO: unknown cause".
func (p Policy) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if p.MaxAttempts < 1 {
		add("retry.max_attempts: must be at least 1, got %d", p.MaxAttempts)
	}
	if p.Interval < 0 {
		add("retry.interval: must not be negative, got %s", p.Interval)
	}
	for _, name := range sortedKeys(p.PerCause) {
		if !cause.IsKnown(name) {
			add("retry.per_cause.%s: unknown cause", name)
			continue
		}
		if iv := p.PerCause[name].Interval; iv < 0 {
			add("retry.per_cause.%s.interval: must not be negative, got %s", name, iv)
		}
	}
	if p.MaxAttemptsPerDay < 0 {
		add("retry.max_attempts_per_day: must not be negative, got %d", p.MaxAttemptsPerDay)
	}
	if p.MaxAttemptDays < 0 {
		add("retry.max_attempt_days: must not be negative, got %d", p.MaxAttemptDays)
	}
	for _, name := range sortedKeys(p.NonRetry) {
		if !cause.IsKnown(name) {
			add("retry.non_retry.%s: unknown cause", name)
		}
	}
	if p.MaxMinus < 0 {
		add("retry.max_minus: must not be negative, got %d", p.MaxMinus)
	}
	if p.MinSuccess < 0 {
		add("retry.min_success: must not be negative, got %s", p.MinSuccess)
	}
	if err := p.Classes.Validate(); err != nil {
		for _, e := range unjoin(err) {
			errs = append(errs, fmt.Errorf("retry.classes.%w", e))
		}
	}
	for _, name := range sortedKeys(p.Results) {
		if name == "" {
			add("retry.results: empty result name")
			continue
		}
		if c := p.Results[name]; !c.Valid() {
			add("retry.results.%s: unknown class %q (want ok, retry, error or minus)", name, c)
		}
	}
	validateResultRules(p.ResultRules, add)
	switch p.NumberOrder {
	case "", BySequence:
	case ByType:
		if len(p.TypeOrder) == 0 {
			add("retry.type_order: required when number_order is %q", ByType)
		}
	default:
		add("retry.number_order: unknown order %q (want %q or %q)", p.NumberOrder, BySequence, ByType)
	}
	for i, typ := range p.TypeOrder {
		switch {
		case typ == "":
			add("retry.type_order[%d]: empty type", i)
		case slices.Index(p.TypeOrder, typ) < i:
			add("retry.type_order[%d]: duplicate type %q", i, typ)
		}
	}
	return errors.Join(errs...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// unjoin splits an errors.Join result back into its parts.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
