package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/fsdialer/dialer/store"
)

// memberHold puts a member on hold (held) or releases it, and answers
// with the member as GET /v1/members/{id} does. A member in a call keeps
// its call; the hold applies to its next attempt.
func (s *Server) memberHold(held bool) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		id, err := memberID(r)
		if err != nil {
			return err
		}
		act := s.store.ReleaseMembers
		if held {
			act = s.store.HoldMembers
		}
		if _, _, err := act(ctx, store.MemberFilter{}, []int64{id}); err != nil {
			var unknown *store.UnknownError
			if errors.As(err, &unknown) {
				return notFound("no member %d", id)
			}
			return err
		}
		m, err := s.store.Member(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("no member %d", id)
		}
		if err != nil {
			return err
		}
		return s.writeMember(w, r, m)
	}
}

// holder is the part of the store hold and release use.
type holder interface {
	HoldMembers(ctx context.Context, f store.MemberFilter, ids []int64) (int, int, error)
	ReleaseMembers(ctx context.Context, f store.MemberFilter, ids []int64) (int, int, error)
}
