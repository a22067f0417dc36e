package topology

import (
	"log/slog"
	"net/http"

	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/respond"
)

// Handler serves GET /api/v1/topology?department=CODE. Department resolves
// the parameter for the caller (api.Server.Department).
type Handler struct {
	Sources    Sources
	Department func(w http.ResponseWriter, r *http.Request) (string, bool)
	Log        *slog.Logger
}

// Mount registers the route for every role (department-scoped).
func (h *Handler) Mount(mount func(pattern string, roles []string, h http.Handler)) {
	mount("GET /api/v1/topology", auth.Roles, h)
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	dept, ok := h.Department(w, r)
	if !ok {
		return
	}
	if dept == "" {
		respond.Error(w, http.StatusBadRequest, "department: required (a map is drawn per department)", nil)
		return
	}
	g, err := Build(r.Context(), h.Sources, dept)
	if err != nil {
		log := h.Log
		if log == nil {
			log = slog.Default()
		}
		log.Error("build topology", "department", dept, "err", err)
		respond.Error(w, http.StatusInternalServerError, "internal error", nil)
		return
	}
	respond.JSON(w, http.StatusOK, g)
}
