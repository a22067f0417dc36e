package api

import (
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
	dept, ok := s.Department(w, r)
	if !ok {
		return
	}
	limit, ok := Limit(w, r)
	if !ok {
		return
	}
	reps, err := s.d.Inventory.Reports(r.Context(), dept, limit)
	if err != nil {
		s.internal(w, "list reports", err)
		return
	}
	respond.JSON(w, http.StatusOK, reps)
}

func (s *Server) endpoints(w http.ResponseWriter, r *http.Request) {
	dept, ok := s.Department(w, r)
	if !ok {
		return
	}
	limit, ok := Limit(w, r)
	if !ok {
		return
	}
	eps, err := s.d.Inventory.Endpoints(r.Context(), dept, limit)
	if err != nil {
		s.internal(w, "list endpoints", err)
		return
	}
	respond.JSON(w, http.StatusOK, eps)
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
