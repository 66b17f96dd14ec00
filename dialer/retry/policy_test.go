package retry_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer/cause"
	"github.com/fsdialer/dialer/dialer/retry"
)

func TestPolicy_Validate(t *testing.T) {
	tests := []struct {
		name string
		f    func(*retry.Policy)
		want []string // each error line's start, in order; none means valid
	}{
		{"minimal", nil, nil},
		{"full", func(p *retry.Policy) {
			p.PerCause = map[string]retry.CauseRule{"USER_BUSY": {Retries: 2, Interval: time.Minute}, "NO_ANSWER": {Retries: -1}}
			p.MaxAttemptsPerDay, p.MaxAttemptDays, p.MaxMinus, p.MinSuccess = 3, 2, 5, 10*time.Second
			p.NonRetry = map[string]bool{"DECLINE": true}
			p.Classes = cause.Map{Overrides: map[string]cause.Class{"USER_BUSY": cause.Minus}, Default: cause.Error}
			p.Results = map[string]cause.Class{"sale": cause.OK}
			p.NumberOrder, p.TypeOrder = retry.ByType, []string{"mobile", "home"}
			p.Location = time.UTC
		}, nil},
		{"max attempts", func(p *retry.Policy) { p.MaxAttempts = 0 }, []string{"retry.max_attempts: must be at least 1"}},
		{"negative interval", func(p *retry.Policy) { p.Interval = -time.Second }, []string{"retry.interval: must not be negative"}},
		{"per-cause unknown cause", func(p *retry.Policy) { p.PerCause = map[string]retry.CauseRule{"FOO": {}} }, []string{"retry.per_cause.FOO: unknown cause"}},
		{"per-cause negative interval", func(p *retry.Policy) {
			p.PerCause = map[string]retry.CauseRule{"USER_BUSY": {Interval: -time.Second}}
		}, []string{"retry.per_cause.USER_BUSY.interval: must not be negative"}},
		{"negative daily cap", func(p *retry.Policy) { p.MaxAttemptsPerDay = -1 }, []string{"retry.max_attempts_per_day: must not be negative"}},
		{"negative attempt days", func(p *retry.Policy) { p.MaxAttemptDays = -1 }, []string{"retry.max_attempt_days: must not be negative"}},
		{"non-retry unknown cause", func(p *retry.Policy) { p.NonRetry = map[string]bool{"USER_BUZY": true} }, []string{"retry.non_retry.USER_BUZY: unknown cause"}},
		{"negative max minus", func(p *retry.Policy) { p.MaxMinus = -1 }, []string{"retry.max_minus: must not be negative"}},
		{"negative min success", func(p *retry.Policy) { p.MinSuccess = -time.Second }, []string{"retry.min_success: must not be negative"}},
		{"class map problems", func(p *retry.Policy) {
			p.Classes = cause.Map{Overrides: map[string]cause.Class{"USER_BUZY": cause.OK, "NO_ANSWER": "bad"}, Default: "x"}
		}, []string{`retry.classes.default: unknown class "x"`, `retry.classes.NO_ANSWER: unknown class "bad"`, "retry.classes.USER_BUZY: unknown cause"}},
		{"bad result class", func(p *retry.Policy) { p.Results = map[string]cause.Class{"sale": "win"} }, []string{`retry.results.sale: unknown class "win"`}},
		{"empty result name", func(p *retry.Policy) { p.Results = map[string]cause.Class{"": cause.OK} }, []string{"retry.results: empty result name"}},
		{"unknown number order", func(p *retry.Policy) { p.NumberOrder = "random" }, []string{`retry.number_order: unknown order "random"`}},
		{"type order required", func(p *retry.Policy) { p.NumberOrder = retry.ByType }, []string{`retry.type_order: required when number_order is "type"`}},
		{"bad type order entries", func(p *retry.Policy) {
			p.NumberOrder, p.TypeOrder = retry.ByType, []string{"mobile", "", "mobile"}
		}, []string{"retry.type_order[1]: empty type", `retry.type_order[2]: duplicate type "mobile"`}},
		{"several at once, in field order", func(p *retry.Policy) {
			p.MaxAttempts, p.MaxMinus = -2, -1
			p.PerCause = map[string]retry.CauseRule{"ZED": {}, "ALPHA": {}}
		}, []string{"retry.max_attempts", "retry.per_cause.ALPHA", "retry.per_cause.ZED", "retry.max_minus"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := policy(tt.f)
			err := p.Validate()
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
				t.Fatalf("Validate() = %q, want %d errors starting %q", err, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("error %d = %q, want it to start with %q", i, lines[i], w)
				}
			}
		})
	}
}
