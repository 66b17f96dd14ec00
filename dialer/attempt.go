package dialer

import (
	"time"

	"github.com/fsdialer/dialer/dialer/calendar"
)

// NewAttempt is an attempt about to be originated: it is recorded, and its
// member claimed, before anything is sent to FreeSWITCH.
type NewAttempt struct {
	CampaignID      int64
	MemberID        int64
	CommunicationID int64
	Number          string
	UUID            string
	AgentID         int64
	// Node is the FreeSWITCH node the call is placed on ('' with one switch).
	Node string
	At   time.Time
	// BeforeDue lets a click-to-call claim the member before its due
	// time; the engine's own claims take only members due at At.
	BeforeDue bool
}

// AttemptEnd is the final record of an attempt and its member's next state.
type AttemptEnd struct {
	AttemptID      int64
	Cause          string
	Q850           int
	SIPStatus      string
	RingingAt      time.Time
	AnsweredAt     time.Time
	EndedAt        time.Time
	Billsec        time.Duration
	BusinessResult string
	Class          string
	Counted        bool
	// SubStatus is the business result's sub-status.
	SubStatus string
	// PolicyRule names the result_policies rule that decided the member's
	// next state ("" when none did).
	PolicyRule string
	// KeepCounters leaves the member's and the number's counters as they
	// are: the attempt never reached the member (preemptive mode, the
	// agent did not take the call). The member state and due time still
	// apply.
	KeepCounters bool

	// Captured are the campaign's ivr.capture variables the call set.
	Captured map[string]string

	// AgentID is the agent who served (or was last offered) the call, 0
	// for none; the times below trace its leg (agent modes).
	AgentID         int64
	AgentRingingAt  time.Time
	AgentAnsweredAt time.Time
	BridgedAt       time.Time
	BridgeEndedAt   time.Time

	MemberID    int64
	MemberState MemberState
	DueAt       time.Time
	EndCause    string
	Attempts    int
	Minus       int
	CauseCounts map[string]int
	Day         string
	DayAttempts int
	AttemptDays int
	NextCommID  int64
}

// AgentLeg is an open attempt's agent leg as the store recorded it, for
// reconcile after a restart.
type AgentLeg struct {
	AttemptID       int64
	AgentID         int64
	UUID            string
	AgentAnsweredAt time.Time
	BridgedAt       time.Time
	// ClickToCall: the attempt is a click-to-call, whose agent is rung
	// before the customer whatever the campaign's mode.
	ClickToCall bool
}

// AgentRequest is a state asked for an agent from outside the daemon (CLI,
// API) that the daemon has not yet applied.
type AgentRequest struct {
	AgentID     int64
	State       AgentState
	RequestedAt time.Time
}

// MemberChange is a change to a waiting member decided without calling:
// defer it to a later time, or end it.
type MemberChange struct {
	MemberID int64
	DueAt    time.Time // new due time when EndCause is empty
	EndCause string    // MEMBER_EXPIRED, BLOCKED, ...: the member fails
}

// CampaignRun is a running or paused campaign with its calendar.
type CampaignRun struct {
	Campaign *Campaign
	Calendar *calendar.Calendar
}
