package fleet

import (
	"context"
	"encoding/json"
	"errors"

	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/respond"
	"github.com/egovnet/egovnet/internal/wire"
)

// AgentAuth authenticates an agent's bearer credential.
type AgentAuth interface {
	AuthenticateAgent(ctx context.Context, credential string) (auth.Agent, error)
}

// Handlers serve the fleet routes.
type Handlers struct {
	Store            *Store
	Auth             AgentAuth
	DepartmentExists func(ctx context.Context, code string) (bool, error)
	Logger           *slog.Logger
	// MaxBody bounds JSON bodies.
	MaxBody int64
	// InPlan, when set, says whether a department is in the running plan:
	// an agent of a department it lacks gets no configuration (403), as
	// its uploads are refused too.
	InPlan func(dept string) bool
}

// MountUser mounts the routes people use (route is api.Server.UserRoute).
func (h *Handlers) MountUser(route func(pattern string, roles []string, h http.Handler)) {
	admin := []string{auth.RoleSysAdmin}
	// A department administrator reads its own department's configuration
	// (secrets redacted as for everyone); only the sysadmin changes it.
	route("GET /api/v1/departments/{code}/agent-config", []string{auth.RoleSysAdmin, auth.RoleDeptAdmin}, http.HandlerFunc(h.getConfig))
	route("PUT /api/v1/departments/{code}/agent-config", admin, http.HandlerFunc(h.putConfig))
	route("POST /api/v1/agents/{id}/scan", []string{auth.RoleSysAdmin, auth.RoleDeptAdmin}, http.HandlerFunc(h.scanNow))
}

// MountAgent mounts the routes agents use with their bearer credential
// (handle is api.Server.Handle: the handlers authenticate themselves).
func (h *Handlers) MountAgent(handle func(pattern string, h http.Handler)) {
	handle("GET /api/v1/agent/config", http.HandlerFunc(h.agentConfig))
	handle("GET /api/v1/agent/release", http.HandlerFunc(h.agentRelease))
	handle("GET /api/v1/agent/release/{id}/binary", http.HandlerFunc(h.agentBinary))
}

func (h *Handlers) log() *slog.Logger {
	if h.Logger == nil {
		return slog.Default()
	}
	return h.Logger
}

func (h *Handlers) internal(w http.ResponseWriter, what string, err error) {
	h.log().Error(what, "err", err)
	respond.Error(w, http.StatusInternalServerError, "internal error", nil)
}

func (h *Handlers) department(w http.ResponseWriter, r *http.Request) (string, bool) {
	code := r.PathValue("code")
	if !cleanText(code, 64) || code == "" {
		respond.Error(w, http.StatusBadRequest, "invalid department code", nil)
		return "", false
	}
	if h.DepartmentExists != nil {
		ok, err := h.DepartmentExists(r.Context(), code)
		if err != nil {
			h.internal(w, "look up department", err)
			return "", false
		}
		if !ok {
			respond.Error(w, http.StatusNotFound, "unknown department", map[string]string{"department": code})
			return "", false
		}
	}
	return code, true
}

func (h *Handlers) getConfig(w http.ResponseWriter, r *http.Request) {
	dept, ok := h.department(w, r)
	if !ok {
		return
	}
	if u, _ := auth.UserFrom(r.Context()); !u.CanSeeDepartment(dept) {
		respond.Error(w, http.StatusForbidden, "a department administrator sees only their own department", map[string]string{"department": dept, "yours": u.Department})
		return
	}
	c, err := h.Store.Config(r.Context(), dept)
	if err != nil {
		h.internal(w, "read agent config", err)
		return
	}
	respond.JSON(w, http.StatusOK, c)
}

func (h *Handlers) putConfig(w http.ResponseWriter, r *http.Request) {
	dept, ok := h.department(w, r)
	if !ok {
		return
	}
	max := h.MaxBody
	if max <= 0 {
		max = 1 << 20
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, max))
	dec.DisallowUnknownFields()
	var in wire.AgentConfig
	if err := dec.Decode(&in); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			respond.Error(w, http.StatusRequestEntityTooLarge, "request body too large", map[string]int64{"limit": max})
			return
		}
		respond.Error(w, http.StatusBadRequest, "invalid JSON", err.Error())
		return
	}
	u, _ := auth.UserFrom(r.Context())
	out, err := h.Store.SetConfig(r.Context(), dept, in, u.Name)
	var inv *InvalidError
	if errors.As(err, &inv) {
		respond.Error(w, http.StatusBadRequest, "invalid agent config", problems(inv.Err))
		return
	}
	var conflict *ConflictError
	if errors.As(err, &conflict) {
		respond.Error(w, http.StatusConflict, conflict.Error(), map[string]int64{"version": conflict.Have, "sent": conflict.Sent})
		return
	}
	if err != nil {
		h.internal(w, "save agent config", err)
		return
	}
	h.log().Info("agent config changed", "department", dept, "user", u.Name, "version", out.Version)
	respond.JSON(w, http.StatusOK, out)
}

func problems(err error) []string {
	var out []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (h *Handlers) scanNow(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	u, _ := auth.UserFrom(r.Context())
	dept, err := h.Store.AgentDepartment(r.Context(), id)
	if err != nil {
		h.internal(w, "look up agent", err)
		return
	}
	// A department administrator learns nothing about other departments'
	// agents: unknown and foreign look the same.
	if dept == "" || !u.CanSeeDepartment(dept) {
		respond.Error(w, http.StatusNotFound, "unknown agent", map[string]string{"id": id})
		return
	}
	_, at, err := h.Store.RequestScan(r.Context(), id)
	if errors.Is(err, ErrUnknownAgent) {
		respond.Error(w, http.StatusNotFound, "unknown or revoked agent", map[string]string{"id": id})
		return
	}
	if err != nil {
		h.internal(w, "request scan", err)
		return
	}
	respond.JSON(w, http.StatusAccepted, map[string]any{"agent_id": id, "scan_requested_at": at})
}

func bearer(r *http.Request) string {
	hdr := r.Header.Get("Authorization")
	const p = "bearer "
	if len(hdr) > len(p) && strings.EqualFold(hdr[:len(p)], p) {
		return strings.TrimSpace(hdr[len(p):])
	}
	return ""
}

func (h *Handlers) agent(w http.ResponseWriter, r *http.Request) (auth.Agent, bool) {
	a, err := h.Auth.AuthenticateAgent(r.Context(), bearer(r))
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="egovnet-agent"`)
		respond.Error(w, http.StatusUnauthorized, "agent credential required", nil)
		return a, false
	}
	return a, true
}

func clampInt(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// agentConfig answers an agent's poll: the poll is its heartbeat; the
// answer is 304 when the agent already has this exact configuration.
func (h *Handlers) agentConfig(w http.ResponseWriter, r *http.Request) {
	a, ok := h.agent(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	clip := func(s string) string {
		if !cleanText(s, wire.MaxShortString) {
			return ""
		}
		return s
	}
	p := Poll{Version: clip(q.Get("version")), Profile: clip(q.Get("profile")), OS: clip(q.Get("os")), Arch: clip(q.Get("arch")),
		SpoolDepth: clampInt(q.Get("spool_depth")), Dropped: clampInt(q.Get("dropped_reports"))}
	if p.Profile != "" && p.Profile != "network" && p.Profile != "endpoint" {
		p.Profile = ""
	}
	if h.InPlan != nil && !h.InPlan(a.Department) {
		// The poll is recorded all the same: the centre still sees the
		// agent alive and what it set aside (dropped_reports), which
		// matters most after dropping its department. A requested scan
		// stays requested.
		if err := h.Store.RecordPoll(r.Context(), a.ID, p); err != nil {
			h.internal(w, "record agent poll", err)
			return
		}
		respond.Error(w, http.StatusForbidden, "the agent's department is no longer in the plan", map[string]string{"department": a.Department})
		return
	}
	c, etag, err := h.Store.ForAgent(r.Context(), a.ID, a.Department, p)
	if err != nil {
		h.internal(w, "agent config", err)
		return
	}
	w.Header().Set("ETag", etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && inm == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	respond.JSON(w, http.StatusOK, c)
}

func (h *Handlers) agentRelease(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.agent(w, r); !ok {
		return
	}
	goos, goarch := r.URL.Query().Get("os"), r.URL.Query().Get("arch")
	if !platformRe.MatchString(goos) || !platformRe.MatchString(goarch) {
		respond.Error(w, http.StatusBadRequest, "os and arch are required (GOOS, GOARCH)", nil)
		return
	}
	info, err := h.Store.Newest(r.Context(), goos, goarch)
	if errors.Is(err, ErrNoRelease) {
		respond.Error(w, http.StatusNotFound, "no release for this platform", map[string]string{"os": goos, "arch": goarch})
		return
	}
	if err != nil {
		h.internal(w, "newest release", err)
		return
	}
	respond.JSON(w, http.StatusOK, info)
}

func (h *Handlers) agentBinary(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.agent(w, r); !ok {
		return
	}
	rs, n, err := h.Store.Binary(r.Context(), r.PathValue("id"))
	if errors.Is(err, ErrNoRelease) {
		respond.Error(w, http.StatusNotFound, "no such release", nil)
		return
	}
	if err != nil {
		h.internal(w, "release binary", err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	http.ServeContent(w, r, "egovnet-agent", time.Time{}, rs)

}

// ListAgents serves GET /api/v1/agents with health (CONTRACT), limited to
// what the caller may see; deptOf resolves ?department= like every list.
func (h *Handlers) ListAgents(deptOf func(w http.ResponseWriter, r *http.Request) (string, bool)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dept, ok := deptOf(w, r)
		if !ok {
			return
		}
		list, err := h.Store.Agents(r.Context(), dept)
		if err != nil {
			h.internal(w, "list agents", err)
			return
		}
		q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
		if status := r.URL.Query().Get("status"); status != "" || q != "" {
			kept := list[:0]
			for _, a := range list {
				if status != "" && a.Status != status {
					continue
				}
				if q != "" && !strings.Contains(strings.ToLower(a.ID+" "+a.Hostname+" "+a.Department+" "+a.Version), q) {
					continue
				}
				kept = append(kept, a)
			}
			list = kept
		}
		w.Header().Set("X-Total-Count", strconv.Itoa(len(list)))
		off, lim := int(clampInt(r.URL.Query().Get("offset"))), int(clampInt(r.URL.Query().Get("limit")))
		if off > len(list) {
			off = len(list)
		}
		list = list[off:]
		if lim > 0 && lim < len(list) {
			list = list[:lim]
		}
		respond.JSON(w, http.StatusOK, list)
	})
}
