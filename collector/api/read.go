package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/respond"
)

// Listing limits: ?limit= may lower them, never raise them.
const (
	DefaultListLimit = 1000
	MaxListLimit     = 100_000
)

// Limit reads ?limit= (default DefaultListLimit, at most MaxListLimit); on
// false the 400 answer is written.
func Limit(w http.ResponseWriter, r *http.Request) (int, bool) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return DefaultListLimit, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxListLimit {
		respond.Error(w, http.StatusBadRequest, "limit must be an integer in 1..100000", map[string]string{"limit": s})
		return 0, false
	}
	return n, true
}

func (s *Server) departments(w http.ResponseWriter, r *http.Request) {
	u, _ := auth.UserFrom(r.Context())
	deps, err := s.d.Inventory.Departments(r.Context())
	if err != nil {
		s.internal(w, "list departments", err)
		return
	}
	out := make([]inventory.Department, 0, len(deps))
	for _, d := range deps {
		if u.CanSeeDepartment(d.Code) {
			out = append(out, d)
		}
	}
	respond.JSON(w, http.StatusOK, out)
}

func (s *Server) listReports(w http.ResponseWriter, r *http.Request) {
	listLimited(s, w, r, "list reports", s.d.Inventory.Reports)
}

func (s *Server) endpoints(w http.ResponseWriter, r *http.Request) {
	listLimited(s, w, r, "list endpoints", s.d.Inventory.Endpoints)
}

// listLimited answers a department-scoped listing that honours ?limit=:
// the caller's department filter and limit are checked (400/403 written on
// failure), then list runs and its result is the 200 body.
func listLimited[T any](s *Server, w http.ResponseWriter, r *http.Request, what string, list func(ctx context.Context, dept string, limit int) (T, error)) {
	dept, ok := s.Department(w, r)
	if !ok {
		return
	}
	limit, ok := Limit(w, r)
	if !ok {
		return
	}
	out, err := list(r.Context(), dept, limit)
	if err != nil {
		s.internal(w, what, err)
		return
	}
	respond.JSON(w, http.StatusOK, out)
}

func (s *Server) agents(w http.ResponseWriter, r *http.Request) {
	dept, ok := s.Department(w, r)
	if !ok {
		return
	}
	agents, err := s.d.Auth.Agents(r.Context(), dept)
	if err != nil {
		s.internal(w, "list agents", err)
		return
	}
	respond.JSON(w, http.StatusOK, agents)
}
