package retry

import (
	"fmt"
	"maps"
	"time"

	"github.com/fsdialer/dialer/dialer/cause"
)

// dayLayout is how Member.Day is written.
const dayLayout = "2006-01-02"

// Member is a member's retry counters and numbers, as persisted.
type Member struct {
	// Attempts is the number of counted attempts so far.
	Attempts int
	// Minus is the number of minus outcomes so far.
	Minus int
	// CauseCounts is the number of attempts (counted or not) per cause.
	CauseCounts map[string]int
	// Day is the calendar day ("2006-01-02" in Policy.Location) of the last
	// attempt; empty when there was none.
	Day string
	// DayAttempts is the number of attempts, counted and minus alike, on Day.
	DayAttempts int
	// AttemptDays is the number of distinct days with attempts.
	AttemptDays int
	// ExpiresAt is when the member stops being callable; zero means never.
	ExpiresAt time.Time
	// Numbers are the member's phone numbers.
	Numbers []Number
}

// Outcome is how one attempt ended.
type Outcome struct {
	// NumberID is the number the attempt called.
	NumberID int64
	// Cause is the hangup cause (FreeSWITCH's or the dialer's own).
	Cause string
	// AnsweredAt is when the call was answered; zero when it was not. This,
	// never the cause, says whether the call was answered.
	AnsweredAt time.Time
	// Billsec is how long the answered call lasted.
	Billsec time.Duration
	// BusinessResult is the result the call reported (e.g. dialer_result).
	BusinessResult string
	// SubStatus is the result's sub-status (e.g. dialer_sub_status).
	SubStatus string
	// At is when the attempt ended, which is the decision's "now".
	At time.Time
}

// Kind is what happens to the member next.
type Kind string

// The decision kinds.
const (
	// Done means the member succeeded and is not called again.
	Done Kind = "done"
	// Again means the member is due again at Decision.DueAt.
	Again Kind = "retry"
	// Ended means the member failed for good with Decision.EndCause.
	Ended Kind = "ended"
)

// Decision is what follows an attempt.
type Decision struct {
	// Class is the attempt's class after the answered, minimum-success,
	// business-result and minus-bound rules.
	Class cause.Class
	// Counted reports whether the attempt counted toward MaxAttempts.
	Counted bool
	// Kind is what happens to the member next.
	Kind Kind
	// EndCause is, for Ended, why: cause.MaxTryCount, the attempt's own
	// cause (error class or NonRetry), cause.MemberExpired or cause.Blocked.
	EndCause string
	// DueAt is, for Again, when the member is due again.
	DueAt time.Time
	// NumberID is, for Again, the number to call next.
	NumberID int64
	// Member is the member's counters after this outcome, to persist.
	Member Member
	// Reason explains the decision in one sentence.
	Reason string
	// Rule names the business-result rule that applied (ResultRule.Name),
	// "" when none did.
	Rule string
}

// Decide applies the policy to one attempt's outcome for a member whose
// counters (before the attempt) are m. The rules and their order are in the
// package documentation. Decide expects a validated policy; a MaxAttempts
// below 1 acts as 1.
func Decide(p Policy, m Member, o Outcome) Decision {
	loc := p.location()
	name := o.Cause
	if name == "" {
		name = "(no cause)"
	}

	// The counters every outcome moves: its cause, its day.
	after := m
	after.CauseCounts = make(map[string]int, len(m.CauseCounts)+1)
	maps.Copy(after.CauseCounts, m.CauseCounts)
	after.CauseCounts[o.Cause]++
	day := o.At.In(loc).Format(dayLayout)
	if m.Day != day {
		after.Day, after.DayAttempts = day, 0
		after.AttemptDays++
	}
	after.DayAttempts++

	// Rules 1 and 2: the class, and whether the attempt counts.
	rr, ruled := ResultRule{}, false
	if !o.AnsweredAt.IsZero() {
		rr, ruled = MatchResult(p.ResultRules, o.BusinessResult, o.SubStatus)
	}
	var class cause.Class
	var why string
	if ruled {
		class = rr.class()
		why = fmt.Sprintf("%s answered with business result %q", name, o.BusinessResult)
		if o.SubStatus != "" {
			why += fmt.Sprintf(" sub-status %q", o.SubStatus)
		}
		why += fmt.Sprintf(", which rule %s makes %s", rr.Name(), rr.Action)
	} else {
		class, why = p.classify(o, name)
	}
	counted := true
	if class == cause.Minus {
		after.Minus++
		if m.Minus >= p.maxMinus() {
			class = cause.Retry
			why += fmt.Sprintf(", but %d minus outcomes are already used so it counts as retry", m.Minus)
		} else {
			counted = false
			why += fmt.Sprintf(" (not counted, minus %d of %d)", after.Minus, p.maxMinus())
		}
	}
	if counted {
		after.Attempts++
	}
	maxAttempts := max(p.MaxAttempts, 1)
	used := fmt.Sprintf("%d of %d attempts used", after.Attempts, maxAttempts)

	d := Decision{Class: class, Counted: counted, Member: after}
	if ruled {
		d.Rule = rr.Name()
	}
	end := func(endCause, because string) Decision {
		d.Kind, d.EndCause = Ended, endCause
		d.Reason = fmt.Sprintf("%s; %s; %s: the member ends with %s", why, used, because, endCause)
		return d
	}

	// Rules 3 and 4: success, and the causes that stop the member.
	switch {
	case class == cause.OK:
		d.Kind = Done
		d.Reason = fmt.Sprintf("%s; %s; the member is done", why, used)
		return d
	case ruled && rr.Action == ResultStop:
		return end(rr.StopCause(), "the rule stops calling")
	case p.NonRetry[o.Cause]:
		return end(o.Cause, name+" is a non-retry cause")
	case class == cause.Error:
		return end(o.Cause, "an error stops calling at once")
	}

	// Rule 5: attempt limits, global then per cause.
	rule, hasRule := p.PerCause[o.Cause]
	if counted && after.Attempts >= maxAttempts {
		return end(cause.MaxTryCount, "no attempts are left")
	}
	if hasRule && rule.Retries >= 0 && after.CauseCounts[o.Cause] > rule.Retries {
		return end(cause.MaxTryCount, fmt.Sprintf("%s allows %d retries and has now ended %d attempts", name, rule.Retries, after.CauseCounts[o.Cause]))
	}

	// Rule 6: the number to call next.
	next, ok := NextNumber(p, m.Numbers, o.NumberID)
	if !ok {
		if anyBlockedOnly(m.Numbers) {
			return end(cause.Blocked, "every remaining number is blocked")
		}
		return end(cause.MaxTryCount, "every number is stopped")
	}

	// Rule 7: the due time, pushed to the next day by the daily cap.
	interval := p.Interval
	if hasRule && rule.Interval > 0 {
		interval = rule.Interval
	}
	if ruled && rr.Interval > 0 {
		interval = rr.Interval
	}
	due := o.At.Add(interval)
	dayCapped := false
	if p.MaxAttemptsPerDay > 0 && after.DayAttempts >= p.MaxAttemptsPerDay {
		if tomorrow := startOfNextDay(o.At, loc); due.Before(tomorrow) {
			due, dayCapped = tomorrow, true
		}
	}
	dueText := due.In(loc).Format(time.RFC3339)

	// Rule 8: attempt days.
	if p.MaxAttemptDays > 0 && after.AttemptDays >= p.MaxAttemptDays && due.In(loc).Format(dayLayout) > day {
		return end(cause.MaxTryCount, fmt.Sprintf("the next attempt (%s) would be on a day after the last of %d attempt days", dueText, p.MaxAttemptDays))
	}

	// Rule 9: expiry.
	if !m.ExpiresAt.IsZero() && !due.Before(m.ExpiresAt) {
		return end(cause.MemberExpired, fmt.Sprintf("the next attempt (%s) would be at or after the expiry %s", dueText, m.ExpiresAt.In(loc).Format(time.RFC3339)))
	}

	d.Kind, d.DueAt, d.NumberID = Again, due, next.ID
	capped := ""
	if dayCapped {
		capped = fmt.Sprintf(" (%d of %d attempts today, so not before tomorrow)", after.DayAttempts, p.MaxAttemptsPerDay)
	}
	d.Reason = fmt.Sprintf("%s; %s; due at %s%s on number %d (%s)", why, used, dueText, capped, next.ID, p.describeTurn(next, o.NumberID, m.Numbers))
	return d
}

// classify returns the attempt's class (rule 1) and the start of the reason.
func (p Policy) classify(o Outcome, name string) (cause.Class, string) {
	if !o.AnsweredAt.IsZero() {
		if c, ok := p.Results[o.BusinessResult]; ok && o.BusinessResult != "" {
			return c, fmt.Sprintf("%s answered with business result %q, which is %s", name, o.BusinessResult, c)
		}
		if info, ok := cause.Lookup(o.Cause); ok && info.Dialer {
			c := p.Classes.Class(o.Cause)
			return c, fmt.Sprintf("%s after answer is %s", name, c)
		}
		if o.Billsec >= p.MinSuccess {
			return cause.OK, fmt.Sprintf("%s answered for %s (minimum %s) is ok", name, o.Billsec, p.MinSuccess)
		}
		return cause.Retry, fmt.Sprintf("%s answered for only %s (minimum %s) is retry", name, o.Billsec, p.MinSuccess)
	}
	c := p.Classes.Class(o.Cause)
	if c == cause.OK {
		return cause.Retry, fmt.Sprintf("%s without answer is retry", name)
	}
	return c, fmt.Sprintf("%s is %s", name, c)
}

// describeTurn says why next was chosen after the number currentID.
func (p Policy) describeTurn(next Number, currentID int64, numbers []Number) string {
	order := "in sequence"
	if p.NumberOrder == ByType {
		order = "by type order"
	}
	found := false
	for _, n := range numbers {
		if n.ID == currentID {
			found = true
			break
		}
	}
	switch {
	case !found:
		return "first " + order
	case next.ID == currentID:
		return "the only usable number"
	}
	return "next " + order
}

// anyBlockedOnly reports whether some numbers are not stopped and all of
// those are blocked: the member is kept from calls only by the blocklist.
func anyBlockedOnly(numbers []Number) bool {
	remaining := 0
	for _, n := range numbers {
		if n.Stopped {
			continue
		}
		if !n.Blocked {
			return false
		}
		remaining++
	}
	return remaining > 0
}

// startOfNextDay returns the first instant of the calendar day after t's in
// loc. time.Date may resolve a midnight that a DST jump skips to an instant
// before the jump, still on t's day; the first instant of the next day is
// then the jump itself, the end of that instant's zone period.
func startOfNextDay(t time.Time, loc *time.Location) time.Time {
	y, mo, d := t.In(loc).Date()
	next := time.Date(y, mo, d+1, 0, 0, 0, 0, loc)
	if _, _, nd := next.Date(); nd == d {
		_, end := next.ZoneBounds()
		next = end.In(loc)
	}
	return next
}
