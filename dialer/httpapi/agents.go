package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/jsontime"
	"github.com/fsdialer/dialer/store"
)

func (s *Server) listAgents(w http.ResponseWriter, r *http.Request) error {
	list, err := s.store.Agents(r.Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []dialer.Agent{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"agents": list})
	return nil
}

func (s *Server) getAgent(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	a, err := s.store.Agent(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("no agent named %q", name)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// agentActions are the state changes an agent may ask for, as in the CLI.
var agentActions = map[string]dialer.AgentState{
	"login":  dialer.AgentAvailable,
	"ready":  dialer.AgentAvailable,
	"break":  dialer.AgentBreak,
	"logout": dialer.AgentLoggedOut,
}

// agentAction asks for an agent's state: at once when the agent is not in
// a call, when its call and wrap-up end otherwise (applied false).
func (s *Server) agentAction(w http.ResponseWriter, r *http.Request) error {
	name, action := r.PathValue("name"), r.PathValue("action")
	to, ok := agentActions[action]
	if !ok {
		return notFound("no agent action %q (login, ready, break, logout)", action)
	}
	ch, err := s.store.RequestAgentState(r.Context(), name, to)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("no agent named %q", name)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"agent": ch.Agent, "from": ch.From, "to": ch.To, "applied": ch.Applied,
		"requested_at": jsontime.Time(ch.RequestedAt)})
	return nil
}

// callBody is a click-to-call request.
type callBody struct {
	Agent    string `json:"agent"`
	Campaign string `json:"campaign"`
	MemberID int64  `json:"member_id"`
	// ExternalKey finds the member instead of member_id.
	ExternalKey string `json:"external_key"`
	// Number is the member's number to call; empty: its next number.
	Number string `json:"number"`
}

// clickToCall asks the daemon to ring the agent and, when the agent
// answers, the member's number, recorded as an attempt of the campaign
// with every safety rule applied; without a campaign, any number (E.164),
// recorded as a manual call on the request. It waits for the daemon's answer: 201
// with the attempt, 409 with the reason it was refused, or 202 when the
// daemon has not taken it within the wait (poll GET /v1/calls/{id}).
func (s *Server) clickToCall(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	b, err := readBody(r)
	if err != nil {
		return err
	}
	var body callBody
	if err := decodeStrict(b, &body, ""); err != nil {
		return err
	}
	if body.Agent == "" {
		return invalid("agent", "required: the agent's name")
	}
	ag, err := s.store.Agent(ctx, body.Agent)
	if errors.Is(err, store.ErrNotFound) {
		return invalid("agent", "no agent named %q", body.Agent)
	}
	if err != nil {
		return err
	}
	if body.Campaign == "" {
		// A manual call: any number, recorded on the request.
		if body.MemberID != 0 || body.ExternalKey != "" {
			return invalid("campaign", "required with member_id or external_key")
		}
		if body.Number == "" {
			return invalid("number", "required for a call outside a campaign")
		}
		number, err := normalize(body.Number, "", "number")
		if err != nil {
			return err
		}
		return s.placeCall(w, r, dialer.CallRequest{AgentID: ag.ID, Number: number})
	}
	if body.MemberID == 0 && body.ExternalKey == "" {
		return invalid("member_id", "required (or external_key)")
	}
	if body.MemberID < 0 {
		return invalid("member_id", "%d is not a member id", body.MemberID)
	}
	c, err := s.store.Campaign(ctx, body.Campaign)
	if errors.Is(err, store.ErrNotFound) {
		return invalid("campaign", "no campaign named %q", body.Campaign)
	}
	if err != nil {
		return err
	}
	var m *dialer.Member
	if body.ExternalKey != "" {
		m, err = s.store.MemberByKey(ctx, c.ID, body.ExternalKey)
		if errors.Is(err, store.ErrNotFound) {
			return invalid("external_key", "campaign %s has no member with external key %q", c.Name, body.ExternalKey)
		}
	} else {
		m, err = s.store.Member(ctx, body.MemberID)
		if errors.Is(err, store.ErrNotFound) || err == nil && m.CampaignID != c.ID {
			return invalid("member_id", "campaign %s has no member %d", c.Name, body.MemberID)
		}
	}
	if err != nil {
		return err
	}
	number, err := callNumber(m, body.Number, c.DefaultRegion)
	if err != nil {
		return err
	}
	return s.placeCall(w, r, dialer.CallRequest{CampaignID: c.ID, AgentID: ag.ID, MemberID: m.ID, Number: number})
}

// placeCall records a click-to-call and answers with what the daemon did.
func (s *Server) placeCall(w http.ResponseWriter, r *http.Request, call dialer.CallRequest) error {
	ctx := r.Context()
	id, err := s.store.RequestCall(ctx, call)
	if err != nil {
		return err
	}
	req, err := s.waitCall(ctx, id)
	if err != nil {
		return err
	}
	switch req.State {
	case dialer.CallStarted:
		writeJSON(w, http.StatusCreated, req)
	case dialer.CallRefused:
		writeJSON(w, http.StatusConflict, struct {
			Error   *apiError          `json:"error"`
			Request dialer.CallRequest `json:"request"`
		}{&apiError{Code: "refused", Message: req.Reason}, req})
	default:
		w.Header().Set("Location", "/v1/calls/"+strconv.FormatInt(id, 10))
		writeJSON(w, http.StatusAccepted, req)
	}
	return nil
}

// callNumber is the number to call: the one asked for, which must be one
// of the member's active numbers, else the member's first active number.
func callNumber(m *dialer.Member, asked, region string) (string, error) {
	if asked != "" {
		n, err := normalize(asked, region, "number")
		if err != nil {
			return "", err
		}
		for _, c := range m.Communications {
			if c.Number == n {
				return n, nil
			}
		}
		return "", invalid("number", "%s is not a number of member %d", n, m.ID)
	}
	for _, c := range m.Communications {
		if c.State == dialer.CommActive && c.ID == m.NextCommID {
			return c.Number, nil
		}
	}
	for _, c := range m.Communications {
		if c.State == dialer.CommActive {
			return c.Number, nil
		}
	}
	return "", conflict("number", "member %d has no active number", m.ID)
}

// waitCall polls a call request until the daemon took it or the wait ends.
func (s *Server) waitCall(ctx context.Context, id int64) (dialer.CallRequest, error) {
	deadline := time.Now().Add(s.opts.CallWait)
	t := time.NewTicker(25 * time.Millisecond)
	defer t.Stop()
	for {
		req, err := s.store.CallRequest(ctx, id)
		if err != nil || req.State != dialer.CallPending || time.Now().After(deadline) {
			return req, err
		}
		select {
		case <-ctx.Done():
			return req, ctx.Err()
		case <-t.C:
		}
	}
}

func (s *Server) getCall(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return invalid("id", "%q is not a call request id", r.PathValue("id"))
	}
	req, err := s.store.CallRequest(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("no call request %d", id)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, req)
	return nil
}
