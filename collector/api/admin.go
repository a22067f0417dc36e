package api

import (
	"errors"
	"net/http"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/paging"
	"github.com/egovnet/egovnet/collector/respond"
)

// MountAdmin adds the routes the workplace's administration pages use:
// GET /api/v1/users (sysadmin: users and roles, paged) and
// POST /api/v1/agents/{id}/revoke (sysadmin; a dept-admin for its own
// department's agents). Call it while wiring, before serving.
func (s *Server) MountAdmin() {
	s.UserRoute("GET /api/v1/users", []string{auth.RoleSysAdmin}, http.HandlerFunc(s.users))
	s.UserRoute("POST /api/v1/agents/{id}/revoke", []string{auth.RoleSysAdmin, auth.RoleDeptAdmin}, http.HandlerFunc(s.revokeAgent))
}

func (s *Server) users(w http.ResponseWriter, r *http.Request) {
	p, ok := paging.FromRequest(w, r)
	if !ok {
		return
	}
	us, err := s.d.Auth.Accounts(r.Context())
	if err != nil {
		s.internal(w, "list users", err)
		return
	}
	us = paging.Filter(us, p, func(u auth.Account) []string { return []string{u.Name, u.Role, u.Department} })
	paging.SetTotal(w, len(us))
	respond.JSON(w, http.StatusOK, paging.Slice(us, p))
}

func (s *Server) revokeAgent(w http.ResponseWriter, r *http.Request) {
	u, _ := auth.UserFrom(r.Context())
	id := r.PathValue("id")
	agents, err := s.d.Auth.Agents(r.Context(), "")
	if err != nil {
		s.internal(w, "list agents", err)
		return
	}
	found := false
	for _, a := range agents {
		if a.ID == id && u.CanSeeDepartment(a.Department) {
			found = true
		}
	}
	if !found {
		respond.Error(w, http.StatusNotFound, "agent not found", map[string]string{"id": id})
		return
	}
	err = s.d.Auth.RevokeAgent(r.Context(), id, auth.Actor{Kind: auditlog.KindUser, Name: u.Name, Remote: r.RemoteAddr})
	if errors.Is(err, auth.ErrInvalidCredential) {
		respond.Error(w, http.StatusNotFound, "agent not found", map[string]string{"id": id})
		return
	}
	if err != nil {
		s.internal(w, "revoke agent", err)
		return
	}
	respond.JSON(w, http.StatusOK, map[string]any{"id": id, "revoked": true})
}
