// Package api is the collector's HTTP API (CONTRACT "HTTP API"): agent
// enrolment and report upload, user login, and the read routes. It owns the
// mux and the authentication in front of every user route, so the other
// collector packages (rules, ledger, progress, export, web) only write
// handlers and mount them here with UserRoute or Handle.
package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/ingest"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/respond"
	"github.com/egovnet/egovnet/collector/store"
)

// Deps are what the API needs; all are required except Logger.
type Deps struct {
	DB        *store.DB
	Auth      *auth.Service
	Inventory *inventory.Store
	Ingester  *ingest.Ingester
	Audit     *auditlog.Log
	Logger    *slog.Logger
	// MaxReportBytes bounds POST /api/v1/reports bodies (413 above it);
	// MaxRequestBytes bounds every other JSON body.
	MaxReportBytes  int64
	MaxRequestBytes int64
	// MaxConcurrentReports bounds the memory of uploads being decoded and
	// stored: at most this many reports of MaxReportBytes at once, or
	// more smaller ones in the same budget of body bytes (decodeBudget);
	// the rest wait their turn. Default 4.
	MaxConcurrentReports int
	// MinUploadRate (bytes/s, averaged from the start) and UploadGrace
	// bound how slowly a report body may arrive (408 below it);
	// UploadsPerAgent bounds one agent's uploads in progress (429 above).
	// Defaults: DefaultMinUploadRate, DefaultUploadGrace,
	// DefaultUploadsPerAgent.
	MinUploadRate   int64
	UploadGrace     time.Duration
	UploadsPerAgent int
	// SecureCookies marks the session cookie Secure (set when serving TLS).
	SecureCookies bool
	// AgentsList, when set, serves GET /api/v1/agents (the fleet's list with
	// health); deptOf resolves ?department= for the caller.
	AgentsList func(deptOf func(http.ResponseWriter, *http.Request) (string, bool)) http.Handler
	// JudgementLag, when set, says how long a department's oldest scan
	// waiting for a batched judgement has waited; above MaxJudgementLag
	// the department's uploads are answered 503 with Retry-After (from
	// LagRetryAfter, default 4s, up to a minute) until it falls back
	// (rules.max_judgement_lag; 0 sets no bound).
	JudgementLag    func(dept string) time.Duration
	MaxJudgementLag time.Duration
	LagRetryAfter   time.Duration
	// ReleaseKey is the public key agents pin at enrolment to verify
	// self-updates ("" when none).
	ReleaseKey string
	// InPlan, when set, says whether a department is in the plan this
	// collector judges by. An agent of a department it lacks is refused
	// (403) before its body is read: stored, its report would fail every
	// processor, which judge and count against the plan, and stay pending
	// for good.
	InPlan func(dept string) bool
}

// SessionCookie is the name of the login session cookie.
const SessionCookie = "egovnet_session"

// Server is the API's http.Handler.
type Server struct {
	d      Deps
	mux    *http.ServeMux
	log    *slog.Logger
	budget *decodeBudget // memory of the uploads being decoded and stored
	// agentSlots bounds each agent's uploads in progress.
	agentSlots *agentSlots
	// lag pauses uploads while batched judgement is too far behind.
	lag *lagGate

	locator EndpointLocator // nil: endpoint locations are null
	// readAudit writes the audit records of reads in batches.
	readAudit *auditlog.Batcher
}

// New builds the server with the core routes mounted.
func New(d Deps) *Server {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.MaxRequestBytes <= 0 {
		d.MaxRequestBytes = 1 << 20
	}
	if d.MaxReportBytes <= 0 {
		d.MaxReportBytes = 64 << 20
	}
	if d.MaxConcurrentReports <= 0 {
		d.MaxConcurrentReports = 4
	}
	if d.MinUploadRate <= 0 {
		d.MinUploadRate = DefaultMinUploadRate
	}
	if d.UploadGrace <= 0 {
		d.UploadGrace = DefaultUploadGrace
	}
	if d.UploadsPerAgent <= 0 {
		d.UploadsPerAgent = DefaultUploadsPerAgent
	}
	if d.LagRetryAfter <= 0 {
		d.LagRetryAfter = 4 * time.Second
	}
	s := &Server{d: d, mux: http.NewServeMux(), log: d.Logger, budget: newDecodeBudget(d.MaxConcurrentReports, d.MaxReportBytes),
		agentSlots: &agentSlots{max: d.UploadsPerAgent, inUse: map[string]int{}},
		lag:        &lagGate{lag: d.JudgementLag, max: d.MaxJudgementLag, retryAfter: d.LagRetryAfter, log: d.Logger}}
	s.readAudit = d.Audit.NewBatcher(auditlog.BatchOptions{OnError: func(err error) { d.Logger.Error("write read audit records", "err", err) }})
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("POST /api/v1/agents/enroll", s.enroll)
	s.mux.HandleFunc("POST /api/v1/reports", s.postReport)
	s.mux.HandleFunc("POST /api/v1/login", s.login)
	s.mux.HandleFunc("POST /api/v1/logout", s.logout)
	all := auth.Roles
	s.UserRoute("GET /api/v1/me", all, http.HandlerFunc(s.me))
	s.UserRoute("GET /api/v1/departments", all, http.HandlerFunc(s.departments))
	s.UserRoute("GET /api/v1/reports", all, http.HandlerFunc(s.listReports))
	s.UserRoute("GET /api/v1/endpoints", all, http.HandlerFunc(s.endpoints))
	if d.AgentsList != nil {
		s.UserRoute("GET /api/v1/agents", all, d.AgentsList(s.Department))
	} else {
		s.UserRoute("GET /api/v1/agents", all, http.HandlerFunc(s.agents))
	}
	s.UserRoute("GET /api/v1/auditlog", auditRoles, http.HandlerFunc(s.listAuditLog))
	return s
}

// FlushAudit writes the queued audit records of reads.
func (s *Server) FlushAudit(ctx context.Context) error { return s.readAudit.Flush(ctx) }

// Close writes the queued audit records of reads and stops the batch
// writer; call it after the HTTP server has shut down.
func (s *Server) Close(ctx context.Context) error { return s.readAudit.Close(ctx) }

// Handle mounts a public route (no authentication), e.g. the web UI's
// assets and login page. pattern is a Go 1.22 ServeMux pattern
// ("GET /ui/{path...}"). Do not use it for anything that reveals data.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
}

// UserRoute mounts a route for authenticated users whose role is in roles.
// The caller authenticates with the session cookie from POST /api/v1/login
// or with HTTP Basic (name and password, for scripts); failures get 401,
// a role not in roles gets 403, both in the respond.Error shape. Every call
// is recorded in the audit log with the user, route, status and department.
//
// Handlers read the user with auth.UserFrom(r.Context()) and must restrict
// data to user.CanSeeDepartment; Server.Department does that for the usual
// ?department= parameter:
//
//	srv.UserRoute("GET /api/v1/violations", auth.Roles, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//		dept, ok := srv.Department(w, r) // "" = all departments the user may see
//		if !ok {
//			return // the error is written
//		}
//		...
//	}))
func (s *Server) UserRoute(pattern string, roles []string, h http.Handler) {
	roles = slices.Clone(roles)
	s.mux.Handle(pattern, s.requireUser(roles, h))
}

// ServeHTTP answers every request; anything the mux does not route gets a
// JSON 404 or 405, and a panic in a handler becomes a JSON 500.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("handler panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p))
			respond.Error(w, http.StatusInternalServerError, "internal error", nil)
		}
	}()
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.TLS != nil {
		// Browsers that once reached the collector over TLS never fall
		// back to plain HTTP (session cookie, credentials) for a year.
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
	}
	w.Header().Set("Cache-Control", "no-store")
	h, pattern := s.mux.Handler(r)
	if pattern == "" || isAPI(r.URL.Path) && !isAPI(patternPath(pattern)) {
		// An /api/ path caught by a catch-all (the web UI at "/") is still
		// an unknown API route and gets a JSON 404.
		if pattern != "" {
			respond.Error(w, http.StatusNotFound, http.StatusText(http.StatusNotFound), map[string]string{"method": r.Method, "path": r.URL.Path})
			return
		}
		// The mux's own 404/405/redirect: keep status and headers, JSON body.
		rec := &statusCapture{header: http.Header{}}
		h.ServeHTTP(rec, r)
		for k, v := range rec.header {
			if k != "Content-Type" && k != "Content-Length" && k != "X-Content-Type-Options" {
				w.Header()[k] = v
			}
		}
		status := rec.status
		if status == 0 {
			status = http.StatusNotFound
		}
		respond.Error(w, status, http.StatusText(status), map[string]string{"method": r.Method, "path": r.URL.Path})
		return
	}
	s.mux.ServeHTTP(w, r)
}

func isAPI(path string) bool { return strings.HasPrefix(path, "/api/") }

// patternPath strips the method and host from a ServeMux pattern.
func patternPath(p string) string {
	if i := strings.IndexByte(p, ' '); i >= 0 {
		p = strings.TrimSpace(p[i+1:])
	}
	if i := strings.IndexByte(p, '/'); i > 0 {
		p = p[i:]
	}
	return p
}

// statusCapture records a status and headers and discards the body.
type statusCapture struct {
	header http.Header
	status int
}

func (c *statusCapture) Header() http.Header { return c.header }
func (c *statusCapture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return len(b), nil
}
func (c *statusCapture) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := s.d.DB.PingContext(ctx); err != nil {
		s.log.Error("health check: database unreachable", "err", err)
		respond.Error(w, http.StatusServiceUnavailable, "database unreachable", nil)
		return
	}
	respond.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// RoutePattern names the mux pattern that serves r ("" when none), for
// metrics labels that must not grow with the paths clients send.
func (s *Server) RoutePattern(r *http.Request) string {
	_, p := s.mux.Handler(r)
	return p
}
