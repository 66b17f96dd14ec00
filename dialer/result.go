package dialer

import "time"

// MemberResult is what an agent application reports after a connected
// call (the member result API). Numbers are E.164.
type MemberResult struct {
	// Success ends the member as done; false keeps (or puts) it in the
	// campaign to be called again, within its retry policy.
	Success bool
	// ResetRetries clears every counter of the member and its numbers, as
	// if it had never been called.
	ResetRetries bool
	// NextAfter, when set, is how long from now the next attempt waits;
	// otherwise the campaign's retry interval applies to a member that
	// was not waiting already.
	NextAfter *time.Duration
	// NextNumber is the number the next attempt uses; a number the member
	// does not have yet is added ahead of the others.
	NextNumber string
	// StopNumbers are numbers never to be dialed again; StopAll stops
	// every number but NextNumber.
	StopNumbers []string
	StopAll     bool
	// Comment is kept on the member's latest attempt.
	Comment string
	// Result and SubStatus are the business result reported, kept on the
	// member's latest attempt; "" leaves the attempt's own.
	Result, SubStatus string
	// Rule names the result_policies rule the result matched ("" none);
	// ApplyResultRule sets it with the fields the rule decides.
	Rule string
	// EndCause, when set, ends the member failed with it (a stop rule).
	EndCause string
	// Uncount makes the latest attempt not count toward max_attempts (an
	// uncounted retry rule).
	Uncount bool
}

// ResultOutcome is a member after a result was applied.
type ResultOutcome struct {
	MemberID int64       `json:"member_id"`
	State    MemberState `json:"state"`
	DueAt    time.Time   `json:"due_at"`
	EndCause string      `json:"end_cause,omitempty"`
	// AttemptID is the attempt the result was recorded on (0: none yet).
	AttemptID int64 `json:"attempt_id,omitempty"`
	// NumberAdded is set when NextNumber was new to the member.
	NumberAdded bool `json:"number_added,omitempty"`
	// Agent is the agent whose wrap-up the result ends ("" when the
	// latest attempt had none).
	Agent string `json:"agent,omitempty"`
}

// WrapUpEnd asks the daemon to end an agent's wrap-up now (a result was
// posted for its call).
type WrapUpEnd struct {
	AgentID int64
	At      time.Time
}

// CallRequest is a click-to-call: an agent asks for one call to a number,
// of a member of a campaign (CampaignID set; recorded as an attempt) or
// outside any campaign (a manual call, recorded on the request).
type CallRequest struct {
	ID         int64     `json:"id"`
	CampaignID int64     `json:"campaign_id,omitempty"`
	AgentID    int64     `json:"agent_id"`
	MemberID   int64     `json:"member_id,omitempty"`
	Number     string    `json:"number"`
	State      string    `json:"state"`
	Reason     string    `json:"reason,omitempty"`
	AttemptID  int64     `json:"attempt_id,omitempty"`
	CallUUID   string    `json:"call_uuid,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	HandledAt  time.Time `json:"handled_at"`
	// A manual call's record.
	AnsweredAt time.Time `json:"answered_at"`
	EndedAt    time.Time `json:"ended_at"`
	Cause      string    `json:"cause,omitempty"`
	BillsecMS  int64     `json:"billsec_ms,omitempty"`
}

// Call request states.
const (
	CallPending = "pending"
	CallStarted = "started"
	CallRefused = "refused"
)
