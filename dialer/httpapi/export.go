package httpapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/fsdialer/dialer/dialer/export"
)

// exportCampaign streams a campaign's members or attempts, the bytes of
// `dialer export`: ?what=members|attempts&format=csv|json|jsonl (csv).
// Rows go out as they are read, so memory stays flat however large the
// campaign.
func (s *Server) exportCampaign(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := s.campaign(ctx, r.PathValue("name"))
	if err != nil {
		return err
	}
	q, err := query(r, "what", "format")
	if err != nil {
		return err
	}
	what := q.Get("what")
	if !slices.Contains(export.Kinds, what) {
		return badRequest("what", "%q: must be %s", what, strings.Join(export.Kinds, " or "))
	}
	format := q.Get("format")
	if format == "" {
		format = "csv"
	}
	if !slices.Contains(export.Formats, format) {
		return badRequest("format", "%q: must be %s", format, strings.Join(export.Formats, ", "))
	}
	h := w.Header()
	h.Set("Content-Type", export.ContentType(format))
	h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", c.Name+"-"+what+"."+format))
	out := &sentWriter{w: w}
	_, err = export.Write(ctx, out, s.store, c.ID, what, format)
	if err == nil || !out.sent {
		// Nothing is sent yet: the error can still go out as JSON.
		h.Del("Content-Disposition")
		return err
	}
	// Part of the export is out with a 200: the only way left to tell the
	// client it is incomplete is to break the connection, which net/http
	// does for this one panic value without logging a stack.
	s.log.Error("export broke off", "campaign", c.Name, "what", what, "format", format, "err", err)
	panic(http.ErrAbortHandler)
}

// sentWriter notes whether anything was written.
type sentWriter struct {
	w    http.ResponseWriter
	sent bool
}

func (s *sentWriter) Write(p []byte) (int, error) {
	s.sent = true
	return s.w.Write(p)
}
