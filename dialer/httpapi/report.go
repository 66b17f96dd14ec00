package httpapi

import "net/http"

// report gives a campaign's report, the figures of `dialer report -o json`:
// ?since=...&until=... count only the attempts begun in that range.
func (s *Server) report(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := s.campaign(ctx, r.PathValue("name"))
	if err != nil {
		return err
	}
	q, err := query(r, "since", "until")
	if err != nil {
		return err
	}
	rng, err := s.timeRange(ctx, c, q)
	if err != nil {
		return err
	}
	rep, err := s.store.ReportRange(ctx, c.ID, rng)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}
