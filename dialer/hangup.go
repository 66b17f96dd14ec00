package dialer

import (
	"time"

	"github.com/fsdialer/dialer/dialer/jsontime"
)

// HangupRequest asks the daemon to hang up a call in progress (dialer call
// hangup, campaign delete --hangup). The daemon owns the calls: it takes
// the request, hangs the channel up with Cause, and answers it.
type HangupRequest struct {
	ID        int64     `json:"id"`
	UUID      string    `json:"uuid"`
	Cause     string    `json:"cause"`
	State     string    `json:"state"`
	Reason    string    `json:"reason,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	HandledAt time.Time `json:"handled_at"`
}

// MarshalJSON writes the request with jsontime's times.
func (r HangupRequest) MarshalJSON() ([]byte, error) { return jsontime.Struct(r) }

// Hang-up request states.
const (
	HangupPending = "pending"
	HangupDone    = "done"
	HangupFailed  = "failed"
)

// HangupCause is the cause a requested hang-up gives the call: FreeSWITCH's
// "hung up by an API command", which the shipped cause map classes as
// minus (the member is not charged for a call the operator cut).
const HangupCause = "MANAGER_REQUEST"
