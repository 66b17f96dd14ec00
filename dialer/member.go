package dialer

import (
	"time"

	"github.com/fsdialer/dialer/dialer/retry"
)

// MemberState is where a member stands in its campaign.
type MemberState string

// Member states.
const (
	// MemberWaiting members are due at DueAt.
	MemberWaiting MemberState = "waiting"
	// MemberCalling members have an attempt that is not final.
	MemberCalling MemberState = "calling"
	// MemberDone members were reached (class ok).
	MemberDone MemberState = "done"
	// MemberFailed members ended; EndCause says why.
	MemberFailed MemberState = "failed"
)

// Member is one person a campaign tries to reach.
type Member struct {
	ID             int64             `json:"id"`
	CampaignID     int64             `json:"campaign_id"`
	State          MemberState       `json:"state"`
	Priority       int               `json:"priority"`
	DueAt          time.Time         `json:"due_at"`
	Name           string            `json:"name,omitempty"`
	Timezone       string            `json:"timezone,omitempty"`
	ExpiresAt      time.Time         `json:"expires_at"`
	NotBefore      time.Time         `json:"not_before"`
	Held           bool              `json:"held"`
	ExternalKey    string            `json:"external_key,omitempty"`
	Variables      map[string]string `json:"variables,omitempty"`
	Attempts       int               `json:"attempts"`
	Minus          int               `json:"minus"`
	CauseCounts    map[string]int    `json:"cause_counts,omitempty"`
	Day            string            `json:"day,omitempty"`
	DayAttempts    int               `json:"day_attempts"`
	AttemptDays    int               `json:"attempt_days"`
	NextCommID     int64             `json:"next_communication_id,omitempty"`
	LastCause      string            `json:"last_cause,omitempty"`
	EndCause       string            `json:"end_cause,omitempty"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
	Communications []Communication   `json:"communications"`
}

// Communication is one of a member's phone numbers.
type Communication struct {
	ID        int64  `json:"id"`
	Number    string `json:"number"`
	Type      string `json:"type,omitempty"`
	Position  int    `json:"position"`
	State     string `json:"state"` // active or stopped
	Attempts  int    `json:"attempts"`
	LastCause string `json:"last_cause,omitempty"`
}

// Communication states.
const (
	CommActive  = "active"
	CommStopped = "stopped"
)

// Attempt is one call to one number of one member.
type Attempt struct {
	ID              int64  `json:"id"`
	CampaignID      int64  `json:"campaign_id"`
	MemberID        int64  `json:"member_id"`
	CommunicationID int64  `json:"communication_id,omitempty"`
	Number          string `json:"number"`
	UUID            string `json:"uuid"`
	AgentID         int64  `json:"agent_id,omitempty"`
	// Node is the FreeSWITCH node the call was placed on ('' with one switch).
	Node           string        `json:"node,omitempty"`
	Final          bool          `json:"final"`
	CreatedAt      time.Time     `json:"created_at"`
	AnsweredAt     time.Time     `json:"answered_at"`
	EndedAt        time.Time     `json:"ended_at"`
	Cause          string        `json:"cause,omitempty"`
	Q850           int           `json:"q850,omitempty"`
	Billsec        time.Duration `json:"billsec,seconds"`
	Class          string        `json:"class,omitempty"`
	Counted        bool          `json:"counted"`
	BusinessResult string        `json:"business_result,omitempty"`
	// RecordingPath is the call's recording file, nil when it was not
	// recorded.
	RecordingPath *string `json:"recording_path"`
	// Captured are the campaign's ivr.capture variables the call set.
	Captured map[string]string `json:"captured"`
}

// RetryMember is the member's counters and numbers in the form the retry
// decision takes; blocked says which numbers are on the blocklist.
func (m *Member) RetryMember(blocked func(number string) bool) retry.Member {
	rm := retry.Member{
		Attempts:    m.Attempts,
		Minus:       m.Minus,
		CauseCounts: m.CauseCounts,
		Day:         m.Day,
		DayAttempts: m.DayAttempts,
		AttemptDays: m.AttemptDays,
		ExpiresAt:   m.ExpiresAt,
	}
	for _, c := range m.Communications {
		rm.Numbers = append(rm.Numbers, retry.Number{
			ID: c.ID, Type: c.Type, Position: c.Position,
			Stopped: c.State == CommStopped,
			Blocked: blocked != nil && blocked(c.Number),
		})
	}
	return rm
}

// Communication returns the member's communication with the given id.
func (m *Member) Communication(id int64) (Communication, bool) {
	for _, c := range m.Communications {
		if c.ID == id {
			return c, true
		}
	}
	return Communication{}, false
}
