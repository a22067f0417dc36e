package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/devices"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/paging"
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
	listPaged(s, w, r, "list reports", s.d.Inventory.ReportsPage)
}

// EndpointLocator places endpoint MACs on switch access ports
// (devices.Store); without one every location is null.
type EndpointLocator interface {
	Locate(ctx context.Context, keys []devices.Key) (map[devices.Key]devices.Location, error)
}

// SetLocator adds endpoint locations to GET /api/v1/endpoints. Call it while
// wiring, before serving.
func (s *Server) SetLocator(l EndpointLocator) { s.locator = l }

// endpointItem is one answer row of GET /api/v1/endpoints.
type endpointItem struct {
	inventory.Endpoint
	Location *devices.Location `json:"location"`
}

func (s *Server) endpoints(w http.ResponseWriter, r *http.Request) {
	listPaged(s, w, r, "list endpoints", func(ctx context.Context, dept string, p paging.Page) ([]endpointItem, int, error) {
		eps, total, err := s.d.Inventory.EndpointsPage(ctx, dept, p)
		if err != nil {
			return nil, 0, err
		}
		out := make([]endpointItem, len(eps))
		keys := make([]devices.Key, 0, len(eps))
		for i, e := range eps {
			out[i].Endpoint = e
			if e.MAC != "" {
				keys = append(keys, devices.Key{Department: e.Department, MAC: e.MAC})
			}
		}
		if s.locator != nil && len(keys) > 0 {
			locs, err := s.locator.Locate(ctx, keys)
			if err != nil {
				return nil, 0, err
			}
			for i := range out {
				if l, ok := locs[devices.Key{Department: out[i].Department, MAC: out[i].MAC}]; ok {
					out[i].Location = &l
				}
			}
		}
		return out, total, nil
	})
}

// listPaged answers a department-scoped list with the CONTRACT's paging:
// ?department= and ?limit/offset/q/sort are checked (4xx written on
// failure), list runs, X-Total-Count carries its total.
func listPaged[T any](s *Server, w http.ResponseWriter, r *http.Request, what string, list func(ctx context.Context, dept string, p paging.Page) ([]T, int, error)) {
	dept, ok := s.Department(w, r)
	if !ok {
		return
	}
	p, ok := paging.FromRequest(w, r)
	if !ok {
		return
	}
	out, total, err := list(r.Context(), dept, p)
	if err != nil {
		s.internal(w, what, err)
		return
	}
	paging.SetTotal(w, total)
	respond.JSON(w, http.StatusOK, out)
}

func (s *Server) agents(w http.ResponseWriter, r *http.Request) {
	dept, ok := s.Department(w, r)
	if !ok {
		return
	}
	p, ok := paging.FromRequest(w, r)
	if !ok {
		return
	}
	agents, err := s.d.Auth.Agents(r.Context(), dept)
	if err != nil {
		s.internal(w, "list agents", err)
		return
	}
	// Agents are few (one or two per department): paged in memory.
	agents = paging.Filter(agents, p, func(a auth.Agent) []string { return []string{a.ID, a.Hostname, a.Department, a.Version} })
	paging.SetTotal(w, len(agents))
	respond.JSON(w, http.StatusOK, paging.Slice(agents, p))
}
