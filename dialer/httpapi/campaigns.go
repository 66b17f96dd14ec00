package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
)

// campaignView is a campaign with its member counts and live figures.
type campaignView struct {
	store.CampaignSummary
	Live campaignLive `json:"live"`
}

// campaignLive is what the daemon is doing with a campaign now.
type campaignLive struct {
	// Active: the daemon works the campaign now (running).
	Active     bool   `json:"active"`
	LinesInUse int    `json:"lines_in_use"`
	MaxLines   int    `json:"max_lines"`
	Originates uint64 `json:"originates"`
}

// campaign loads a campaign named in the path; an unknown one is a 404.
func (s *Server) campaign(ctx context.Context, name string) (*dialer.Campaign, error) {
	c, err := s.store.Campaign(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("no campaign named %q", name)
	}
	return c, err
}

func (s *Server) liveByName() map[string]campaignLive {
	out := map[string]campaignLive{}
	if s.live == nil {
		return out
	}
	for _, c := range s.live.Snapshot().Campaigns {
		out[c.Name] = campaignLive{Active: c.Active, LinesInUse: c.InFlight, MaxLines: c.MaxLines, Originates: c.Originates}
	}
	return out
}

// view pairs a campaign with its live figures; a campaign the daemon
// does not work now has no line in use out of its own limit.
func view(c store.CampaignSummary, live map[string]campaignLive) campaignView {
	l, ok := live[c.Name]
	if !ok {
		l.MaxLines = c.MaxLines
	}
	return campaignView{CampaignSummary: c, Live: l}
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) error {
	st, err := s.store.DaemonStatus(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) listCampaigns(w http.ResponseWriter, r *http.Request) error {
	list, err := s.store.Campaigns(r.Context())
	if err != nil {
		return err
	}
	live := s.liveByName()
	out := make([]campaignView, len(list))
	for i, c := range list {
		out[i] = view(c, live)
	}
	writeJSON(w, http.StatusOK, map[string]any{"campaigns": out})
	return nil
}

func (s *Server) getCampaign(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	c, err := s.campaign(r.Context(), name)
	if err != nil {
		return err
	}
	sum, err := s.store.CampaignSummary(r.Context(), name)
	if err != nil {
		return err
	}
	v := view(sum, s.liveByName())
	writeJSON(w, http.StatusOK, struct {
		campaignView
		Definition *dialer.Campaign `json:"definition"`
	}{v, c})
	return nil
}

// campaignState changes a campaign's run state; the daemon picks it up
// within a second. resume only applies to a paused campaign.
func (s *Server) campaignState(to dialer.State, verb string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		name := r.PathValue("name")
		c, err := s.campaign(r.Context(), name)
		if err != nil {
			return err
		}
		if verb == "resume" && c.State != dialer.StatePaused {
			return conflict("", "campaign %s is %s, not paused (use start)", name, c.State)
		}
		prev, err := s.store.SetCampaignState(r.Context(), name, to)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"campaign": name, "state": to, "previous": prev, "changed": prev != to})
		return nil
	}
}
