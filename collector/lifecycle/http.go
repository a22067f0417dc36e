package lifecycle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/paging"
	"github.com/egovnet/egovnet/collector/respond"
	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/wire"
)

// Handlers serve the violations API. They are plain http.Handlers that read
// the caller with auth.UserFrom: the API server authenticates and checks the
// role before they run (Mount takes its UserRoute).
type Handlers struct {
	st   *Store
	plan *plan.Plan
	log  *slog.Logger
}

// ReadRoles may list violations; WriteRoles may change their status.
var (
	ReadRoles  = []string{auth.RoleSysAdmin, auth.RoleSecAdmin, auth.RoleAuditor, auth.RoleDeptAdmin, auth.RoleViewer}
	WriteRoles = []string{auth.RoleSysAdmin, auth.RoleSecAdmin}
)

// NewHandlers returns the violations API over st; departments are checked
// against p.
func NewHandlers(st *Store, p *plan.Plan, logger *slog.Logger) *Handlers {
	if logger == nil {
		logger = slog.Default()
	}
	return &Handlers{st: st, plan: p, log: logger}
}

// Mount registers the routes with mount (api.Server.UserRoute).
func (h *Handlers) Mount(mount func(pattern string, roles []string, h http.Handler)) {
	mount("GET /api/v1/violations", ReadRoles, http.HandlerFunc(h.list))
	mount("GET /api/v1/violations/{id}", ReadRoles, http.HandlerFunc(h.get))
	mount("POST /api/v1/violations/{id}/acknowledge", WriteRoles, http.HandlerFunc(h.acknowledge))
	mount("POST /api/v1/violations/{id}/exempt", WriteRoles, http.HandlerFunc(h.exempt))
	mount("POST /api/v1/violations/{id}/resolve", WriteRoles, http.HandlerFunc(h.resolve))
}

func (h *Handlers) user(w http.ResponseWriter, r *http.Request) (auth.User, bool) {
	u, ok := auth.UserFrom(r.Context())
	if !ok {
		respond.Error(w, http.StatusUnauthorized, "authentication required", nil)
	}
	return u, ok
}

var statuses = []string{wire.StatusOpen, wire.StatusAcknowledged, wire.StatusResolved, wire.StatusExempted}

// list serves GET /api/v1/violations with the CONTRACT's paging in the
// store: the matches (?q= included) are counted in SQL and streamed in
// reading order (most severe first, then rule, department, subject), paged
// in SQL, so a dashboard asking for a total or a list asking for 50 rows
// never reads the whole table; ?as_of= walks the rows once to count and
// once to page.
func (h *Handlers) list(w http.ResponseWriter, r *http.Request) {
	u, ok := h.user(w, r)
	if !ok {
		return
	}
	pg, ok := paging.FromRequest(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	f := Filter{Department: q.Get("department"), Status: q.Get("status"), Rule: q.Get("rule"), Q: pg.Q}
	var problems []string
	if f.Status != "" && !slices.Contains(statuses, f.Status) {
		problems = append(problems, "status: want one of "+strings.Join(statuses, ", "))
	}
	if f.Rule != "" && !slices.Contains(wire.RuleIDs, f.Rule) {
		problems = append(problems, "rule: unknown rule id "+f.Rule)
	}
	if s := q.Get("as_of"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			d, derr := time.ParseInLocation("2006-01-02", s, plan.ChinaTime)
			if derr != nil {
				problems = append(problems, "as_of: want RFC 3339 (2026-11-20T10:00:00+08:00) or a date (end of that day, CST)")
			} else {
				t = d.AddDate(0, 0, 1).Add(-time.Nanosecond)
			}
		}
		f.AsOf = t
	}
	if len(problems) > 0 {
		respond.Error(w, http.StatusBadRequest, "invalid query", problems)
		return
	}
	if f.Department == "" && u.Role == auth.RoleDeptAdmin {
		f.Department = u.Department
	}
	if f.Department != "" {
		if !u.CanSeeDepartment(f.Department) {
			respond.Error(w, http.StatusForbidden, "a department administrator sees only their own department",
				map[string]string{"department": f.Department, "yours": u.Department})
			return
		}
		if _, ok := h.plan.Department(f.Department); !ok {
			respond.Error(w, http.StatusNotFound, "unknown department", map[string]string{"department": f.Department})
			return
		}
	}
	vs, total, err := h.page(r.Context(), f, pg)
	if err != nil {
		h.internal(w, "list violations", err)
		return
	}
	paging.SetTotal(w, total)
	respond.JSON(w, http.StatusOK, vs)
}

// page is one window of the matches of f and their number.
func (h *Handlers) page(ctx context.Context, f Filter, pg paging.Page) ([]wire.Violation, int, error) {
	total, err := h.st.Count(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	out := []wire.Violation{}
	if pg.Offset >= total {
		return out, total, nil
	}
	f.Offset, f.Limit = pg.Offset, pg.Limit
	err = h.st.Each(ctx, f, func(v wire.Violation) error {
		out = append(out, v)
		return nil
	})
	return out, total, err
}

// detail is one violation with its history.
type detail struct {
	wire.Violation
	History []Event `json:"history"`
}

func (h *Handlers) visible(w http.ResponseWriter, r *http.Request) (wire.Violation, auth.User, bool) {
	u, ok := h.user(w, r)
	if !ok {
		return wire.Violation{}, u, false
	}
	v, err := h.st.Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, ErrNotFound) || (err == nil && !u.CanSeeDepartment(v.Department)) {
		respond.Error(w, http.StatusNotFound, "violation not found", map[string]string{"id": r.PathValue("id")})
		return v, u, false
	}
	if err != nil {
		h.internal(w, "get violation", err)
		return v, u, false
	}
	return v, u, true
}

func (h *Handlers) get(w http.ResponseWriter, r *http.Request) {
	v, _, ok := h.visible(w, r)
	if !ok {
		return
	}
	evs, err := h.st.Events(r.Context(), v.ID)
	if err != nil {
		h.internal(w, "violation history", err)
		return
	}
	respond.JSON(w, http.StatusOK, detail{Violation: v, History: evs})
}

type noteBody struct {
	Note string `json:"note"`
}

type exemptBody struct {
	Basis    string `json:"basis"`
	Approver string `json:"approver"`
	Expires  string `json:"expires"`
	Note     string `json:"note"`
}

const maxBody = 64 << 10

// decode reads a small JSON body strictly; an empty body is allowed.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(data) > maxBody {
		respond.Error(w, http.StatusBadRequest, "request body unreadable or larger than 64 KiB", nil)
		return false
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return true
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		respond.Error(w, http.StatusBadRequest, "invalid JSON body", err.Error())
		return false
	}
	return true
}

func (h *Handlers) acknowledge(w http.ResponseWriter, r *http.Request) {
	h.noteTransition(w, r, "acknowledge", h.st.Acknowledge)
}

func (h *Handlers) resolve(w http.ResponseWriter, r *http.Request) {
	h.noteTransition(w, r, "resolve", h.st.Resolve)
}

// noteTransition serves a status change whose body carries only a note
// (acknowledge, resolve): body first, then visibility, then apply.
func (h *Handlers) noteTransition(w http.ResponseWriter, r *http.Request, what string, apply func(ctx context.Context, id, by, note string) (wire.Violation, error)) {
	var b noteBody
	if !decode(w, r, &b) {
		return
	}
	v, u, ok := h.visible(w, r)
	if !ok {
		return
	}
	h.answer(w, what, v.Department)(apply(r.Context(), v.ID, u.Name, b.Note))
}

func (h *Handlers) exempt(w http.ResponseWriter, r *http.Request) {
	var b exemptBody
	if !decode(w, r, &b) {
		return
	}
	var problems []string
	if strings.TrimSpace(b.Basis) == "" {
		problems = append(problems, "basis: required (the legal basis, 除国家、市另有规定外)")
	}
	if strings.TrimSpace(b.Approver) == "" {
		problems = append(problems, "approver: required")
	}
	exp, err := plan.ParseDate(b.Expires)
	if err != nil {
		problems = append(problems, "expires: required, a date like 2027-06-30")
	}
	if len(problems) > 0 {
		respond.Error(w, http.StatusBadRequest, "invalid exemption", problems)
		return
	}
	v, u, ok := h.visible(w, r)
	if !ok {
		return
	}
	h.answer(w, "exempt", v.Department)(h.st.Exempt(r.Context(), v.ID, u.Name, wire.Exemption{Basis: b.Basis, Approver: b.Approver, Expires: exp}))
}

func (h *Handlers) answer(w http.ResponseWriter, what, dept string) func(wire.Violation, error) {
	return func(v wire.Violation, err error) {
		switch {
		case errors.Is(err, ErrNotFound):
			respond.Error(w, http.StatusNotFound, "violation not found", nil)
		case errors.Is(err, ErrTransition):
			respond.Error(w, http.StatusConflict, err.Error(), nil)
		case err != nil:
			h.internal(w, what+" violation", err)
		default:
			h.log.Info("violation "+what, "rule", v.Rule, "department", dept, "violation", v.ID, "status", v.Status)
			respond.JSON(w, http.StatusOK, v)
		}
	}
}

func (h *Handlers) internal(w http.ResponseWriter, what string, err error) {
	h.log.Error(what, "err", err)
	respond.Error(w, http.StatusInternalServerError, "internal error", nil)
}
