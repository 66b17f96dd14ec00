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
	At              time.Time
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
