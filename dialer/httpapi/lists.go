package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/store"
)

// Paging of the list endpoints: ?limit=N (1..maxLimit, defaultLimit when
// absent) and ?after=ID, the next_after of the previous page.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// page is one page of a list: next_after is the id to pass as after for
// the next page, null on the last one.
type page[T any] struct {
	Items     []T    `json:"items"`
	NextAfter *int64 `json:"next_after"`
}

// newPage cuts the limit+1 rows read down to limit and says where the
// next page starts.
func newPage[T any](rows []T, limit int, id func(T) int64) page[T] {
	p := page[T]{Items: rows}
	if p.Items == nil {
		p.Items = []T{}
	}
	if len(rows) > limit {
		p.Items = rows[:limit]
		next := id(rows[limit-1])
		p.NextAfter = &next
	}
	return p
}

// query checks a request's query parameters against those the endpoint
// takes: an unknown one (a typo such as "stat") is refused rather than
// ignored, and a parameter given twice is refused.
func query(r *http.Request, known ...string) (url.Values, error) {
	q := r.URL.Query()
	for k, v := range q {
		if !slices.Contains(known, k) {
			return nil, badRequest(k, "unknown query parameter (this endpoint takes %s)", strings.Join(known, ", "))
		}
		if len(v) > 1 {
			return nil, badRequest(k, "given %d times: give it once", len(v))
		}
	}
	return q, nil
}

// paging reads limit and after.
func paging(q url.Values) (limit int, after int64, err error) {
	limit = defaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return 0, 0, badRequest("limit", "%q: must be a whole number 1..%d", v, maxLimit)
		}
		limit = n
	}
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, 0, badRequest("after", "%q: must be an id, the next_after of the previous page", v)
		}
		after = n
	}
	return limit, after, nil
}

// timeRange reads since and until as `dialer report` does: RFC 3339, a
// date or date and time in the campaign's calendar zone, or a duration
// back from now.
func (s *Server) timeRange(ctx context.Context, c *dialer.Campaign, q url.Values) (dialer.TimeRange, error) {
	var rng dialer.TimeRange
	since, until := q.Get("since"), q.Get("until")
	if since == "" && until == "" {
		return rng, nil
	}
	loc := time.UTC
	cal, err := s.store.CampaignCalendar(ctx, c.ID)
	if err != nil {
		return rng, err
	}
	if cal.Calendar.Location != nil {
		loc = cal.Calendar.Location
	}
	now := s.opts.Now()
	if rng.Since, err = dialer.ParseTimeBound(since, now, loc, false); err != nil {
		return rng, badRequest("since", "%v", err)
	}
	if rng.Until, err = dialer.ParseTimeBound(until, now, loc, true); err != nil {
		return rng, badRequest("until", "%v", err)
	}
	if err := rng.Check(); err != nil {
		return rng, badRequest("until", "%v", err)
	}
	return rng, nil
}

var memberStates = []string{string(dialer.MemberWaiting), string(dialer.MemberCalling), string(dialer.MemberDone), string(dialer.MemberFailed)}

// listMembers lists a campaign's members with their numbers, by id, a page
// at a time: ?state=waiting&limit=100&after=ID.
func (s *Server) listMembers(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := s.campaign(ctx, r.PathValue("name"))
	if err != nil {
		return err
	}
	q, err := query(r, "state", "limit", "after")
	if err != nil {
		return err
	}
	limit, after, err := paging(q)
	if err != nil {
		return err
	}
	state := q.Get("state")
	if state != "" && !slices.Contains(memberStates, state) {
		return badRequest("state", "%q: must be %s", state, strings.Join(memberStates, ", "))
	}
	ms, err := s.store.Members(ctx, store.MemberFilter{CampaignID: c.ID, State: dialer.MemberState(state),
		AfterID: after, Limit: limit + 1})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(ms, limit, func(m dialer.Member) int64 { return m.ID }))
	return nil
}

var attemptClasses = []string{"ok", "retry", "error", "minus"}

// listAttempts lists a campaign's attempts by id, a page at a time:
// ?class=retry&cause=USER_BUSY&since=...&until=...&limit=100&after=ID.
func (s *Server) listAttempts(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := s.campaign(ctx, r.PathValue("name"))
	if err != nil {
		return err
	}
	q, err := query(r, "class", "cause", "since", "until", "limit", "after")
	if err != nil {
		return err
	}
	limit, after, err := paging(q)
	if err != nil {
		return err
	}
	class := q.Get("class")
	if class != "" && !slices.Contains(attemptClasses, class) {
		return badRequest("class", "%q: must be %s", class, strings.Join(attemptClasses, ", "))
	}
	cause := strings.ToUpper(q.Get("cause"))
	if strings.Trim(cause, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != "" {
		return badRequest("cause", "%q: a cause name such as USER_BUSY (see dialer cause list)", q.Get("cause"))
	}
	rng, err := s.timeRange(ctx, c, q)
	if err != nil {
		return err
	}
	as, err := s.store.Attempts(ctx, store.AttemptFilter{CampaignID: c.ID, Class: class, Cause: cause, Range: rng,
		AfterID: after, Limit: limit + 1})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(as, limit, func(a dialer.Attempt) int64 { return a.ID }))
	return nil
}
