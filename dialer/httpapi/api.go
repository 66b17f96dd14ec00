// Package httpapi is the daemon's HTTP API for agent desktops and CRMs:
// campaign control with live counters, members (add, list, get, delete),
// attempt lists, reports and exports, member results, agent states,
// click-to-call, and the daemon's status. It works
// through the store: the engine sees every change within a tick, exactly
// as it sees the CLI's.
//
// Every error is JSON naming the field at fault:
//
//	{"error": {"code": "invalid", "field": "members[0].communications[0].number", "message": "..."}}
//
// The routes and bodies are described by openapi.json, served at
// /openapi.json; a test keeps it and the routes in step.
package httpapi

import (
	"context"
	"crypto/subtle"
	_ "embed"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/engine"
	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/fsdialer/dialer/store"
)

// OpenAPI is the API's OpenAPI 3 document.
//
//go:embed openapi.json
var OpenAPI []byte

// Store is what the API needs of the campaign store.
type Store interface {
	Campaigns(ctx context.Context) ([]store.CampaignSummary, error)
	CampaignSummary(ctx context.Context, name string) (store.CampaignSummary, error)
	Campaign(ctx context.Context, name string) (*dialer.Campaign, error)
	CampaignByID(ctx context.Context, id int64) (*dialer.Campaign, error)
	CampaignCalendar(ctx context.Context, campaignID int64) (*store.CalendarInfo, error)
	SetCampaignState(ctx context.Context, name string, state dialer.State) (dialer.State, error)

	ReportRange(ctx context.Context, campaignID int64, rng dialer.TimeRange) (*store.Report, error)
	ExportMembers(ctx context.Context, campaignID int64, fn func(store.ExportMember) error) error
	ExportAttempts(ctx context.Context, campaignID int64, fn func(store.ExportAttempt) error) error
	ExportLedger(ctx context.Context, campaignID int64, rng dialer.TimeRange, fn func(store.LedgerBucket) error) error

	Members(ctx context.Context, f store.MemberFilter) ([]dialer.Member, error)
	Attempts(ctx context.Context, f store.AttemptFilter) ([]dialer.Attempt, error)
	AddMembers(ctx context.Context, campaignID int64, ms []memberfile.Member) ([]int64, error)
	MembersAdded(ctx context.Context, campaignID int64) (dialer.RunAfterAdd, error)
	Member(ctx context.Context, id int64) (*dialer.Member, error)
	MemberByKey(ctx context.Context, campaignID int64, key string) (*dialer.Member, error)
	MemberAttempts(ctx context.Context, memberID int64) ([]dialer.Attempt, error)
	DeleteMember(ctx context.Context, id int64) error
	ApplyMemberResult(ctx context.Context, memberID int64, r dialer.MemberResult) (dialer.ResultOutcome, error)
	holder

	Agents(ctx context.Context) ([]dialer.Agent, error)
	Agent(ctx context.Context, name string) (*dialer.Agent, error)
	RequestAgentState(ctx context.Context, name string, state dialer.AgentState) (store.AgentStateChange, error)

	RequestCall(ctx context.Context, r dialer.CallRequest) (int64, error)
	CallRequest(ctx context.Context, id int64) (dialer.CallRequest, error)

	DaemonStatus(ctx context.Context) (*store.DaemonStatus, error)
}

// Live gives the engine's live figures.
type Live interface {
	Snapshot() engine.Snapshot
}

// Options configure a Server. Zero values take the defaults shown.
type Options struct {
	// Token, when set, must come as "Authorization: Bearer <token>" on
	// every /v1 route. The daemon requires one off loopback.
	Token string
	// MaxBody bounds a request body (1 MiB).
	MaxBody int64
	// MaxMembers bounds the members of one add (1000).
	MaxMembers int
	// CallWait is how long a click-to-call waits for the daemon to start
	// or refuse the call, and a member result for the member's call to
	// be recorded as ended (5 s).
	CallWait time.Duration
	// Now is the clock (time.Now).
	Now func() time.Time
	// Logger (slog.Default()).
	Logger *slog.Logger
}

// Server serves the API. Create it with New.
type Server struct {
	store Store
	live  Live
	opts  Options
	log   *slog.Logger
	mux   *http.ServeMux
}

// New returns the API over a store and the engine's live figures.
func New(st Store, live Live, opts Options) *Server {
	if opts.MaxBody <= 0 {
		opts.MaxBody = 1 << 20
	}
	if opts.MaxMembers <= 0 {
		opts.MaxMembers = 1000
	}
	if opts.CallWait <= 0 {
		opts.CallWait = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{store: st, live: live, opts: opts, log: opts.Logger.With("component", "api"), mux: http.NewServeMux()}
	for _, r := range s.routes() {
		s.mux.Handle(r.pattern, s.guard(r.handler))
	}
	s.mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(OpenAPI)
	})
	s.mux.HandleFunc("/v1/", s.noRoute)
	return s
}

// noRoute answers what no route serves: 405 with an Allow header when the
// path is served under other methods, 404 otherwise, both as the API's
// JSON error. ServeMux would answer 405 itself, but as plain text, and
// only when no pattern at all matches: "/v1/" always does.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		writeError(w, errUnauthorized)
		return
	}
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/v1/" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		writeError(w, &apiError{status: http.StatusNotFound, Code: "not_found", Message: "no route " + r.Method + " " + r.URL.Path})
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeError(w, &apiError{status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
		Message: fmt.Sprintf("%s %s: this path takes %s", r.Method, r.URL.Path, strings.Join(allow, ", "))})
}

// route is one API route: "METHOD /path/{param}".
type route struct {
	pattern string
	handler func(w http.ResponseWriter, r *http.Request) error
}

func (s *Server) routes() []route {
	return []route{
		{"GET /v1/status", s.status},
		{"GET /v1/campaigns", s.listCampaigns},
		{"GET /v1/campaigns/{name}", s.getCampaign},
		{"POST /v1/campaigns/{name}/start", s.campaignState(dialer.StateRunning, "start")},
		{"POST /v1/campaigns/{name}/pause", s.campaignState(dialer.StatePaused, "pause")},
		{"POST /v1/campaigns/{name}/resume", s.campaignState(dialer.StateRunning, "resume")},
		{"POST /v1/campaigns/{name}/stop", s.campaignState(dialer.StateStopped, "stop")},
		{"GET /v1/campaigns/{name}/report", s.report},
		{"GET /v1/campaigns/{name}/export", s.exportCampaign},
		{"GET /v1/campaigns/{name}/members", s.listMembers},
		{"POST /v1/campaigns/{name}/members", s.addMembers},
		{"GET /v1/campaigns/{name}/attempts", s.listAttempts},
		{"GET /v1/campaigns/{name}/members/by-key/{key}", s.getMemberByKey},
		{"DELETE /v1/campaigns/{name}/members/by-key/{key}", s.deleteMemberByKey},
		{"GET /v1/members/{id}", s.getMember},
		{"DELETE /v1/members/{id}", s.deleteMember},
		{"POST /v1/members/{id}/result", s.memberResult},
		{"POST /v1/members/{id}/hold", s.memberHold(true)},
		{"POST /v1/members/{id}/release", s.memberHold(false)},
		{"GET /v1/agents", s.listAgents},
		{"GET /v1/agents/{name}", s.getAgent},
		{"POST /v1/agents/{name}/{action}", s.agentAction},
		{"POST /v1/calls", s.clickToCall},
		{"GET /v1/calls/{id}", s.getCall},
	}
}

// Handler returns the API's handler: /v1/... and /openapi.json.
func (s *Server) Handler() http.Handler { return s.mux }

// guard checks the token and the body size, runs the handler and writes
// its error as JSON.
func (s *Server) guard(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(r) {
			writeError(w, errUnauthorized)
			return
		}
		if r.ContentLength > s.opts.MaxBody {
			writeError(w, tooLarge(s.opts.MaxBody))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBody)
		began := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		if err := h(rec, r); err != nil {
			ae := asAPIError(err, s.opts.MaxBody)
			if ae.status >= 500 {
				s.log.Error("api", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			writeError(rec, ae)
		}
		// Changes are logged (who asked the dialer to do what); reads only
		// at debug level.
		level := slog.LevelDebug
		if r.Method != http.MethodGet {
			level = slog.LevelInfo
		}
		s.log.Log(r.Context(), level, "api request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"took", time.Since(began), "remote", r.RemoteAddr)
	})
}

// statusRecorder keeps the status a handler wrote, for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// authorized checks "Authorization: Bearer <token>"; the scheme is
// case-insensitive (RFC 7235), the token is not.
func (s *Server) authorized(r *http.Request) bool {
	if s.opts.Token == "" {
		return true
	}
	scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	got = strings.TrimLeft(got, " ")
	return ok && strings.EqualFold(scheme, "Bearer") && got != "" &&
		subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.Token)) == 1
}
