package devices

import (
	"errors"
	"log/slog"
	"net/http"
	"net/netip"

	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/paging"
	"github.com/egovnet/egovnet/collector/respond"
)

// Handlers serve the device routes. Department resolves ?department= for the
// caller (api.Server.Department: "" = all the caller may see, 403 for
// another department of a dept-admin, 404 for an unknown one).
type Handlers struct {
	Store      *Store
	Department func(w http.ResponseWriter, r *http.Request) (string, bool)
	Log        *slog.Logger
}

// Mount registers GET /api/v1/devices, /api/v1/devices/{id} and
// /api/v1/endpoints/history for every role (department-scoped).
func (h *Handlers) Mount(mount func(pattern string, roles []string, h http.Handler)) {
	mount("GET /api/v1/devices", auth.Roles, http.HandlerFunc(h.list))
	mount("GET /api/v1/devices/{id}", auth.Roles, http.HandlerFunc(h.get))
	mount("GET /api/v1/endpoints/history", auth.Roles, http.HandlerFunc(h.history))
}

func (h *Handlers) internal(w http.ResponseWriter, what string, err error) {
	log := h.Log
	if log == nil {
		log = slog.Default()
	}
	log.Error(what, "err", err)
	respond.Error(w, http.StatusInternalServerError, "internal error", nil)
}

func (h *Handlers) list(w http.ResponseWriter, r *http.Request) {
	dept, ok := h.Department(w, r)
	if !ok {
		return
	}
	p, ok := paging.FromRequest(w, r)
	if !ok {
		return
	}
	out, total, err := h.Store.List(r.Context(), dept, p)
	if err != nil {
		h.internal(w, "list devices", err)
		return
	}
	paging.SetTotal(w, total)
	respond.JSON(w, http.StatusOK, out)
}

func (h *Handlers) get(w http.ResponseWriter, r *http.Request) {
	u, _ := auth.UserFrom(r.Context())
	d, err := h.Store.Get(r.Context(), r.PathValue("id"))
	// Another department's device is "not found" for a dept-admin: its
	// existence is not theirs to learn.
	if errors.Is(err, ErrNotFound) || err == nil && !u.CanSeeDepartment(d.Department) {
		respond.Error(w, http.StatusNotFound, "device not found", map[string]string{"id": r.PathValue("id")})
		return
	}
	if err != nil {
		h.internal(w, "get device", err)
		return
	}
	respond.JSON(w, http.StatusOK, d)
}

// history answers GET /api/v1/endpoints/history?department=CODE&mac=M (or
// &ip=A: the MAC last seen with that address): every address that MAC used,
// oldest first.
func (h *Handlers) history(w http.ResponseWriter, r *http.Request) {
	dept, ok := h.Department(w, r)
	if !ok {
		return
	}
	if dept == "" {
		respond.Error(w, http.StatusBadRequest, "department: required", nil)
		return
	}
	mac := NormMAC(r.URL.Query().Get("mac"))
	if mac == "" {
		ip := r.URL.Query().Get("ip")
		a, err := netip.ParseAddr(ip)
		if err != nil {
			respond.Error(w, http.StatusBadRequest, "want mac=MAC or ip=ADDRESS", nil)
			return
		}
		macs, err := h.Store.MACsOf(r.Context(), dept, a.Unmap().String())
		if err != nil {
			h.internal(w, "endpoint history", err)
			return
		}
		if len(macs) == 0 {
			respond.Error(w, http.StatusNotFound, "no MAC seen with this address", map[string]string{"ip": ip})
			return
		}
		mac = macs[0]
	}
	hist, err := h.Store.AddressHistory(r.Context(), dept, mac)
	if err != nil {
		h.internal(w, "endpoint history", err)
		return
	}
	respond.JSON(w, http.StatusOK, hist)
}
