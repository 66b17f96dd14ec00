package dialer

import (
	"regexp"

	"github.com/fsdialer/dialer/dialer/retry"
)

// DefaultSubStatusVariable is the channel variable an IVR sets to give its
// business result a sub-status, when ivr.sub_status_variable is not set.
const DefaultSubStatusVariable = "dialer_sub_status"

// ResultPolicies are a campaign's business-result rules (result_policies):
// what a call's business result, and optionally its sub-status, does with
// the member. They sit beside results (result -> class) and win over it: a
// result with a rule here follows the rule; a result without one (and no
// default) is classed by results, then by the call's cause.
type ResultPolicies struct {
	Rules   []ResultPolicy `yaml:"rules,omitempty" json:"rules,omitempty"`
	Default *ResultPolicy  `yaml:"default,omitempty" json:"default,omitempty"`
}

// IsZero reports whether no rule is set.
func (r ResultPolicies) IsZero() bool { return len(r.Rules) == 0 && r.Default == nil }

// ResultPolicy is one rule: for Result (and SubStatus, when set), the
// Policy ok (the member is done), retry (called again after Interval,
// counted unless Counted is false) or stop (the member ends failed with
// Cause, RESULT_STOP when not set).
type ResultPolicy struct {
	Result    string   `yaml:"result,omitempty" json:"result,omitempty"`
	SubStatus string   `yaml:"sub_status,omitempty" json:"sub_status,omitempty"`
	Policy    string   `yaml:"policy" json:"policy"`
	Interval  Duration `yaml:"interval,omitempty" json:"interval,omitempty"`
	Counted   *bool    `yaml:"counted,omitempty" json:"counted,omitempty"`
	Cause     string   `yaml:"cause,omitempty" json:"cause,omitempty"`
}

var (
	resultValueRe = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)
	causeNameRe   = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,63}$`)
)

// ResultRules are the rules in the form the retry decision takes, the
// default rule last.
func (c *Campaign) ResultRules() []retry.ResultRule {
	var out []retry.ResultRule
	for _, r := range c.ResultPolicies.Rules {
		out = append(out, r.rule())
	}
	if d := c.ResultPolicies.Default; d != nil {
		rule := d.rule()
		rule.Result, rule.SubStatus = "", ""
		out = append(out, rule)
	}
	return out
}

// SubStatusVariable is the channel variable read as the sub-status of an
// IVR call's business result.
func (c *Campaign) SubStatusVariable() string {
	if c.IVR.SubStatusVariable != "" {
		return c.IVR.SubStatusVariable
	}
	return DefaultSubStatusVariable
}

func (r ResultPolicy) rule() retry.ResultRule {
	return retry.ResultRule{
		Result: r.Result, SubStatus: r.SubStatus, Action: retry.ResultAction(r.Policy),
		Interval: r.Interval.D(), Uncounted: r.Counted != nil && !*r.Counted, Cause: r.Cause,
	}
}

func (c *Campaign) validateResultPolicies(p *problems) {
	if c.IVR.SubStatusVariable != "" && !varNameRe.MatchString(c.IVR.SubStatusVariable) {
		p.add("ivr.sub_status_variable", "%q: lower-case letters, digits and '_' only", c.IVR.SubStatusVariable)
	}
	seen := map[[2]string]string{}
	for i, r := range c.ResultPolicies.Rules {
		path := index("result_policies.rules", i)
		switch {
		case r.Result == "":
			p.add(path+".result", "required: the business result this rule is for (use default: for any other result)")
		case !resultValueRe.MatchString(r.Result):
			p.add(path+".result", "%q: letters, digits, '.', '_', ':' or '-' only", r.Result)
		}
		if r.SubStatus != "" && !resultValueRe.MatchString(r.SubStatus) {
			p.add(path+".sub_status", "%q: letters, digits, '.', '_', ':' or '-' only", r.SubStatus)
		}
		key := [2]string{r.Result, r.SubStatus}
		if prev, dup := seen[key]; dup && r.Result != "" {
			p.add(path, "a second rule for the same result and sub-status (first at %s)", prev)
		}
		seen[key] = path
		r.check(path, p)
	}
	if d := c.ResultPolicies.Default; d != nil {
		if d.Result != "" || d.SubStatus != "" {
			p.add("result_policies.default", "takes every result no rule names: no result or sub_status")
		}
		d.check("result_policies.default", p)
	}
}

func (r ResultPolicy) check(path string, p *problems) {
	switch retry.ResultAction(r.Policy) {
	case retry.ResultOK, retry.ResultStop, retry.ResultRetry:
	case "":
		p.add(path+".policy", "required: ok, retry or stop")
	default:
		p.add(path+".policy", "%q: must be ok, retry or stop", r.Policy)
	}
	retrying := retry.ResultAction(r.Policy) == retry.ResultRetry
	if r.Interval < 0 {
		p.add(path+".interval", "must not be negative")
	}
	if r.Interval != 0 && !retrying {
		p.add(path+".interval", "only for policy retry")
	}
	if r.Counted != nil && !retrying {
		p.add(path+".counted", "only for policy retry")
	}
	if r.Cause != "" {
		switch {
		case retry.ResultAction(r.Policy) != retry.ResultStop:
			p.add(path+".cause", "only for policy stop")
		case !causeNameRe.MatchString(r.Cause):
			p.add(path+".cause", "%q: upper-case letters, digits and '_', e.g. RESULT_STOP", r.Cause)
		}
	}
}

// ApplyResultRule lets the campaign's result_policies decide a result
// reported through the result API: when r.Result (with r.SubStatus) has a
// rule, it sets r.Rule and what the rule decides (ok: Success; retry:
// NextAfter when the rule has an interval, Uncount when not counted; stop:
// EndCause) and reports true. Without a rule r is left as it is.
func (c *Campaign) ApplyResultRule(r *MemberResult) bool {
	rule, ok := retry.MatchResult(c.ResultRules(), r.Result, r.SubStatus)
	if !ok {
		return false
	}
	r.Rule = rule.Name()
	switch rule.Action {
	case retry.ResultOK:
		r.Success = true
	case retry.ResultStop:
		r.Success, r.EndCause = false, rule.StopCause()
	default:
		r.Success, r.Uncount = false, rule.Uncounted
		if rule.Interval > 0 {
			d := rule.Interval
			r.NextAfter = &d
		}
	}
	return true
}
