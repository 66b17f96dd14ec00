package engine

import (
	"context"
	"errors"
	"time"

	"github.com/fsdialer/dialer/dialer"
)

// Store is what the engine needs of the campaign store.
type Store interface {
	RunnableCampaigns(ctx context.Context) ([]dialer.CampaignRun, error)
	CampaignRun(ctx context.Context, campaignID int64) (dialer.CampaignRun, error)
	CampaignsVersion(ctx context.Context) (string, error)
	DueMemberIDs(ctx context.Context, campaignID int64, now time.Time, limit int) ([]int64, error)
	MembersByID(ctx context.Context, ids []int64) ([]dialer.Member, error)
	BlockedSet(ctx context.Context, campaignID int64, numbers []string) (map[string]bool, error)
	StartAttempts(ctx context.Context, as []dialer.NewAttempt) ([]int64, error)
	FinishAttempts(ctx context.Context, ends []dialer.AttemptEnd) error
	ChangeMembers(ctx context.Context, changes []dialer.MemberChange) error
	ExpireMembers(ctx context.Context, campaignID int64, now time.Time) (int, error)
	CampaignProgress(ctx context.Context, campaignID int64) (waiting, calling int, err error)
	FinishCampaign(ctx context.Context, campaignID int64) (bool, error)
	OpenAttempts(ctx context.Context) ([]dialer.Attempt, error)
	// AdoptOrphans makes the open attempts of dead daemons sharing the
	// store this engine's (0 when no other daemon shares it); they are
	// reconciled like those of a restart.
	AdoptOrphans(ctx context.Context, now time.Time) (int, error)
	MarkAnswered(ctx context.Context, attemptID int64, at time.Time) error
	MarkWrapUp(ctx context.Context, attemptID int64, wrap time.Duration) error
	MarkRecording(ctx context.Context, attemptID int64, path string) error
	// MarkAMD records an attempt's answering-machine verdict and how long
	// after the answer it came.
	MarkAMD(ctx context.Context, attemptID int64, result string, took time.Duration) error

	// Agents (progressive and preemptive modes).
	// AgentsToWork are the agents this engine works (with several daemons
	// sharing the store, those it holds).
	AgentsToWork(ctx context.Context) ([]dialer.Agent, error)
	SetAgentLive(ctx context.Context, agentID int64, state dialer.AgentState, changedAt time.Time, noAnswerCount int, readyAt time.Time) error
	AgentStateRequests(ctx context.Context) ([]dialer.AgentRequest, error)
	ClearAgentRequest(ctx context.Context, agentID int64, requestedAt time.Time) error
	MarkAgentLeg(ctx context.Context, attemptID, agentID int64, legUUID string, at time.Time) error
	MarkAgentAnswered(ctx context.Context, attemptID int64, at time.Time) error
	MarkBridged(ctx context.Context, attemptID int64, at time.Time) error
	OpenAgentLegs(ctx context.Context) ([]dialer.AgentLeg, error)
	// AbandonLedger is a campaign's live answers and abandons over the
	// rolling window ending now (the predictive pacer's brake).
	AbandonLedger(ctx context.Context, campaignID int64, window time.Duration, now time.Time) (dialer.AbandonFigures, error)
	// Persistent sessions: the leg of each, recorded before it is placed.
	SetAgentSessionLeg(ctx context.Context, agentID int64, uuid string) error
	AgentSessionLegs(ctx context.Context) (map[int64]string, error)

	// Requests from the API: wrap-ups a member result ends, and
	// click-to-call.
	WrapUpEnds(ctx context.Context) ([]dialer.WrapUpEnd, error)
	ClearWrapUpEnd(ctx context.Context, agentID int64, at time.Time) error
	PendingCallRequests(ctx context.Context) ([]dialer.CallRequest, error)
	AnswerCallRequest(ctx context.Context, id int64, state, reason string, attemptID int64, callUUID string) error
	FinishManualCall(ctx context.Context, id int64, answeredAt, endedAt time.Time, cause string, billsec time.Duration) error
	LoseManualCalls(ctx context.Context, at time.Time) (int, error)

	// Hang-ups asked for from outside (dialer call hangup, campaign
	// delete --hangup), and whether a campaign that is no longer
	// runnable was deleted.
	PendingHangups(ctx context.Context) ([]dialer.HangupRequest, error)
	AnswerHangup(ctx context.Context, id int64, state, reason string) error
	CampaignExists(ctx context.Context, campaignID int64) (bool, error)
}

// Switch is what the engine needs of FreeSWITCH.
type Switch interface {
	// Originate sends the call; its outcome comes back as CallUpdates for
	// req.UUID. An error means the call may or may not have been sent
	// unless it wraps ErrNotSent.
	Originate(ctx context.Context, req OriginateRequest) error
	// Watch follows an existing channel (after a restart or reconnect):
	// its updates come back like an originated call's.
	Watch(uuid string, vars ...string)
	// Forget stops following a channel.
	Forget(uuid string)
	// Exists reports whether a channel exists.
	Exists(ctx context.Context, uuid string) (bool, error)
	// Kill hangs up a channel with a cause.
	Kill(ctx context.Context, uuid, cause string) error
	// Bridge connects two answered channels (uuid_bridge a b).
	Bridge(ctx context.Context, a, b string) error
	// Ringback plays a ringing tone to a channel until it is bridged: a
	// preemptive agent hears the customer's number ring.
	Ringback(ctx context.Context, uuid string) error
	// Abandon plays a message (a sound file or tone stream) to an
	// answered customer no agent took, then hangs the call up: the switch
	// does both, so the hangup waits for the message's end.
	Abandon(ctx context.Context, uuid, media string) error
	// Record starts recording a channel to path (relative paths are under
	// the switch's recordings directory) and returns the file's path.
	Record(ctx context.Context, uuid, path string, stereo bool) (string, error)
	// StartAMD starts answering-machine detection (mod_avmd) on an
	// answered channel: a beep comes back as an Update with Machine set.
	// StopAMD stops it.
	StartAMD(ctx context.Context, uuid string) error
	StopAMD(ctx context.Context, uuid string) error
	// Transfer sends a channel into the dialplan (uuid_transfer): an IVR
	// call a person answered, after detection.
	Transfer(ctx context.Context, uuid, extension, dialplan, dpContext string) error
	// GetVar reads a channel variable ("" when unset), e.g. an external
	// detector's verdict.
	GetVar(ctx context.Context, uuid, name string) (string, error)
	// Connected reports whether the switch (one of its nodes, when it has
	// several) can take commands now.
	Connected() bool
	// Place picks the node a new call is placed on and holds a place for
	// it there (a line and one of the node's originates per second) until
	// its Originate or Unplace: node when it is set (an agent's node, which
	// the customer must share for the bridge), else the connected node
	// with the most free lines. It fails with ErrNoRoom when none can take
	// the call now. A switch of one node returns "".
	Place(uuid, node string) (string, error)
	// Unplace gives back a place the call will not use.
	Unplace(uuid string)
	// NodeOf is the node a followed channel is on ("" with one node).
	NodeOf(uuid string) string
	// Locate tells the switch which node a channel found in the store is
	// on, before it is looked for (after a restart).
	Locate(uuid, node string)
	// Updates delivers call updates and connection markers.
	Updates() <-chan Update
}

// OriginateRequest is one call to place. The Switch renders it through the
// safe originate builder; values that cannot be made safe are refused.
type OriginateRequest struct {
	UUID string
	// Endpoint, when set, is a fixed dial string (an agent's phone,
	// checked when the agent was applied) dialed as it is: DialTemplate,
	// TemplateVars and Number are then unused.
	Endpoint       string
	DialTemplate   string
	TemplateVars   map[string]string
	Number         string
	CallerIDNumber string
	CallerIDName   string
	RingTimeout    time.Duration
	Vars           map[string]string
	// WatchVars are channel variables (besides dialer_*) whose final
	// values the updates must carry, e.g. the IVR's result variable.
	WatchVars []string
	// Extension, Dialplan and Context send the answered call into the
	// dialplan (IVR mode).
	Extension, Dialplan, Context string
	// App and AppArgs run one application instead, e.g. park.
	App, AppArgs string
	// Node is the node to place the call on (see Switch.Place); an agent
	// leg goes to its customer's node.
	Node string
}

// ErrNoRoom: no node can take another call now.
var ErrNoRoom = errors.New("no switch node can take a call now")

// NodeDownError is a command about a channel on a node the dialer has
// lost its connection to: whether the channel exists is unknown.
type NodeDownError struct {
	Node  string
	Since time.Time // when the connection was lost
}

func (e *NodeDownError) Error() string {
	return "switch node " + e.Node + " is disconnected since " + e.Since.Format(time.RFC3339)
}

// UpdateKind says what an Update carries.
type UpdateKind int

// Update kinds.
const (
	// CallChanged: a followed call progressed (answered) or ended (Final).
	CallChanged UpdateKind = iota
	// Reconnected: the connection to FreeSWITCH (to Node, with several)
	// was re-established; the engine reconciles every open attempt.
	Reconnected
	// Disconnected: the connection was lost; originates pause (to Node
	// only, with several).
	Disconnected
)

// Update is a call's merged state, or a connection marker.
type Update struct {
	Kind UpdateKind
	// Node is the node a connection marker is about ("" with one node).
	Node       string
	UUID       string
	Answered   bool
	AnsweredAt time.Time
	Ringing    bool
	// Final: the call is over and the fields below are its final record.
	Final     bool
	Cause     string
	Q850      int
	SIPStatus string
	Billsec   time.Duration
	HangupAt  time.Time
	Vars      map[string]string
	// Machine, on a call that is not over, is a detection verdict:
	// "machine" when mod_avmd heard an answering machine's beep.
	Machine string
}

// Observer is told what the engine does, for metrics. Its methods are
// called from the engine's goroutine and must not block.
type Observer interface {
	// Originated: a call of the campaign was handed to the switch.
	Originated(campaign string)
	// AttemptEnded: an attempt of the campaign ended with cause and class.
	AttemptEnded(campaign, cause, class string, answered bool)
	// Claimed: one claim of due members (query, checks and the recording
	// transaction) took d.
	Claimed(d time.Duration)
	// Connected: an answered customer of the campaign was bridged to an
	// agent after waiting wait from its answer.
	Connected(campaign string, wait time.Duration)
}

// noObserver is the Observer when none is configured.
type noObserver struct{}

func (noObserver) Originated(string)                         {}
func (noObserver) AttemptEnded(string, string, string, bool) {}
func (noObserver) Claimed(time.Duration)                     {}
func (noObserver) Connected(string, time.Duration)           {}
