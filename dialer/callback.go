package dialer

import (
	"encoding/json"
	"time"
)

// CallbackEvent is what a callback reports.
type CallbackEvent string

// Callback events: connect when the customer answered, release when the
// attempt is final, member_failed when a member ends failed (the failure
// notice, once per member, after its last attempt's release).
const (
	CallbackConnect      CallbackEvent = "connect"
	CallbackRelease      CallbackEvent = "release"
	CallbackMemberFailed CallbackEvent = "member_failed"
)

// CallbackState is where a callback is in its delivery.
type CallbackState string

// Callback states: pending until the receiver answers 2xx (delivered) or
// the deliverer gives up (dead, until redriven).
const (
	CallbackPending   CallbackState = "pending"
	CallbackDelivered CallbackState = "delivered"
	CallbackDead      CallbackState = "dead"
)

// CallbackStates lists the states in their natural order.
var CallbackStates = []CallbackState{CallbackPending, CallbackDelivered, CallbackDead}

// Callback is one event for a campaign's callback URL, as the store's
// outbox keeps it. Payload is the JSON body, built when the event was
// recorded. AttemptID is a member_failed's last attempt, 0 when the member
// was never called.
type Callback struct {
	ID             int64           `json:"id"`
	CampaignID     int64           `json:"campaign_id"`
	Campaign       string          `json:"campaign"`
	AttemptID      int64           `json:"attempt_id"`
	Event          CallbackEvent   `json:"event"`
	URL            string          `json:"url"`
	IdempotencyKey string          `json:"idempotency_key"`
	Payload        json.RawMessage `json:"payload"`
	State          CallbackState   `json:"state"`
	// Tries counts the delivery tries so far.
	Tries int `json:"tries"`
	// NextAt is when a pending callback is due.
	NextAt    time.Time `json:"next_at"`
	LastError string    `json:"last_error,omitempty"`
	// LastStatus is the HTTP status of the last try, 0 for no response.
	LastStatus  int       `json:"last_status,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	DeliveredAt time.Time `json:"delivered_at"`
}

// CallbackFailure is a delivery try that did not get a 2xx answer.
type CallbackFailure struct {
	// Status is the HTTP status, 0 when there was no response.
	Status int
	// Error says what went wrong.
	Error string
	// NextAt is when to try again.
	NextAt time.Time
	// MaxTries is the number of tries after which the callback is dead.
	MaxTries int
}

// CallbackCounts is the outbox's depth: callbacks still owed and given up.
type CallbackCounts struct {
	Pending int `json:"pending"`
	Dead    int `json:"dead"`
	// OldestPending is when the oldest pending callback was recorded
	// (zero when none is pending).
	OldestPending time.Time `json:"oldest_pending"`
}
