package httpapi

import (
	"regexp"

	"github.com/fsdialer/dialer/dialer"
)

var resultValueRe = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// resultByRule fills a result from its body's success, result and
// sub_status: a result with a rule in the campaign's result_policies is
// decided by the rule (a success given as well must agree with it); any
// other needs success, as before result policies. A next_after_sec in
// the body, applied later, wins over the rule's interval.
func resultByRule(c *dialer.Campaign, body resultBody, res *dialer.MemberResult) error {
	if body.Result != "" && !resultValueRe.MatchString(body.Result) {
		return invalid("result", "%q: 1 to 64 letters, digits, '.', '_', ':' or '-'", body.Result)
	}
	if body.SubStatus != "" {
		if body.Result == "" {
			return invalid("sub_status", "only with a result")
		}
		if !resultValueRe.MatchString(body.SubStatus) {
			return invalid("sub_status", "%q: 1 to 64 letters, digits, '.', '_', ':' or '-'", body.SubStatus)
		}
	}
	res.Result, res.SubStatus = body.Result, body.SubStatus
	if body.Success != nil {
		res.Success = *body.Success
	}
	if !c.ApplyResultRule(res) {
		if body.Success == nil {
			return invalid("success", "required: result %q has no rule in campaign %s's result_policies", body.Result, c.Name)
		}
		return nil
	}
	if body.Success != nil && *body.Success != res.Success {
		return invalid("success", "%v contradicts rule %s of campaign %s, which decides this result", *body.Success, res.Rule, c.Name)
	}
	return nil
}
