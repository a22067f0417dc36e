package export

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/progress"
	"github.com/egovnet/egovnet/collector/respond"
	"github.com/egovnet/egovnet/internal/wire"
)

// Handler serves GET /api/v1/exports/{violations,ledger,progress}?format=
// &department=&as_of=&lang= (violations also status= and rule=; progress
// from= and to=). A department administrator only ever gets their own
// department.
type Handler struct {
	Exporter   *Exporter
	Violations ViolationSource
	Ledger     LedgerSource   // nil: route not mounted
	Progress   ProgressSource // nil: route not mounted
	// District is the name printed on documents.
	District        string
	DepartmentNames map[string]string
	Location        *time.Location
	Log             *slog.Logger
}

// Mount registers the export routes: mount(pattern, roles allowed, handler).
func (h *Handler) Mount(mount func(pattern string, roles []string, h http.Handler)) {
	mount("GET /api/v1/exports/violations", auth.Roles, http.HandlerFunc(h.violations))
	if h.Ledger != nil {
		mount("GET /api/v1/exports/ledger", auth.Roles, http.HandlerFunc(h.ledger))
	}
	if h.Progress != nil {
		mount("GET /api/v1/exports/progress", auth.Roles, http.HandlerFunc(h.progress))
	}
}

// request is what every export route reads first.
type request struct {
	format Format
	meta   Meta
	dept   string
}

func (h *Handler) begin(w http.ResponseWriter, r *http.Request) (request, bool) {
	var req request
	u, ok := auth.UserFrom(r.Context())
	if !ok {
		respond.Error(w, http.StatusUnauthorized, "authentication required", nil)
		return req, false
	}
	q := r.URL.Query()
	var errs []string
	format, err := ParseFormat(q.Get("format"))
	if q.Get("format") == "" {
		format, err = JSON, nil
	}
	if err != nil {
		errs = append(errs, err.Error())
	}
	lang, err := ParseLang(q.Get("lang"))
	if err != nil {
		errs = append(errs, err.Error())
	}
	loc := h.Location
	if loc == nil {
		loc = progress.ChinaStandardTime
	}
	asOf, err := ParseAsOf(q.Get("as_of"), loc)
	if err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		respond.Error(w, http.StatusBadRequest, "invalid export request", errs)
		return req, false
	}
	dept := q.Get("department")
	if u.Role == auth.RoleDeptAdmin && dept == "" {
		dept = u.Department
	}
	if !u.CanSeeDepartment(dept) {
		respond.Error(w, http.StatusForbidden, "department not visible to this user", map[string]string{"department": dept})
		return req, false
	}
	req.format, req.dept = format, dept
	req.meta = Meta{District: h.District, AsOf: asOf, Lang: lang, Location: loc, DepartmentNames: h.DepartmentNames}
	return req, true
}

func (h *Handler) violations(w http.ResponseWriter, r *http.Request) {
	req, ok := h.begin(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	f := ViolationFilter{Department: req.dept, Status: q.Get("status"), Rule: q.Get("rule"), AsOf: req.meta.AsOf}
	if err := validFilter(f); err != nil {
		respond.Error(w, http.StatusBadRequest, "invalid export request", []string{err.Error()})
		return
	}
	vs, err := h.Violations.List(r.Context(), f)
	if err != nil {
		h.fail(w, "list violations", err)
		return
	}
	h.send(w, req, "violations", func(buf *bytes.Buffer) error {
		return h.Exporter.Violations(buf, req.format, vs, req.meta)
	})
}

func (h *Handler) ledger(w http.ResponseWriter, r *http.Request) {
	req, ok := h.begin(w, r)
	if !ok {
		return
	}
	table := LedgerTable(r.URL.Query().Get("table"))
	if table != "" && table != LedgerSummary && table != LedgerDetail {
		respond.Error(w, http.StatusBadRequest, "invalid export request", []string{fmt.Sprintf("table %q: want summary or detail", table)})
		return
	}
	l, err := h.Ledger.Ledger(r.Context(), req.dept, req.meta.AsOf)
	if err != nil {
		h.fail(w, "read ledger", err)
		return
	}
	h.send(w, req, "ledger", func(buf *bytes.Buffer) error {
		return h.Exporter.Ledger(buf, req.format, l, table, req.meta)
	})
}

func (h *Handler) progress(w http.ResponseWriter, r *http.Request) {
	req, ok := h.begin(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	to := req.meta.AsOf
	if to.IsZero() {
		to = time.Now()
	}
	from, to, err := progress.ParseRange(q.Get("from"), q.Get("to"), to, req.meta.loc())
	if err != nil {
		respond.Error(w, http.StatusBadRequest, "invalid export request", []string{err.Error()})
		return
	}
	snaps, err := h.Progress.Series(r.Context(), req.dept, from, to)
	if err != nil {
		h.fail(w, "read progress", err)
		return
	}
	h.send(w, req, "progress", func(buf *bytes.Buffer) error {
		return h.Exporter.Progress(buf, req.format, snaps, req.meta)
	})
}

// send renders into memory first, so a failure is a clean JSON error rather
// than half a file.
func (h *Handler) send(w http.ResponseWriter, req request, kind string, render func(*bytes.Buffer) error) {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		h.fail(w, "render "+kind+" export", err)
		return
	}
	name := kind
	if req.dept != "" {
		name += "-" + safeName(req.dept)
	}
	name += "-" + req.meta.date(req.meta.AsOf) + "." + string(req.format)
	w.Header().Set("Content-Type", req.format.ContentType())
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

func (h *Handler) fail(w http.ResponseWriter, what string, err error) {
	log := h.Log
	if log == nil {
		log = slog.Default()
	}
	log.Error("export failed", "op", what, "error", err)
	// Font problems are configuration the operator must see.
	if strings.Contains(err.Error(), "font") {
		respond.Error(w, http.StatusInternalServerError, what+" failed", err.Error())
		return
	}
	respond.Error(w, http.StatusInternalServerError, what+" failed", nil)
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

func validFilter(f ViolationFilter) error {
	if f.Status != "" {
		if _, ok := statusNames[f.Status]; !ok {
			return fmt.Errorf("status %q: want open, acknowledged, resolved or exempted", f.Status)
		}
	}
	if f.Rule != "" {
		if _, ok := ruleNames[f.Rule]; !ok {
			return fmt.Errorf("rule %q: unknown rule id (want one of %s)", f.Rule, strings.Join(wire.RuleIDs, ", "))
		}
	}
	return nil
}

// ParseAsOf reads an as-of moment: RFC3339, or a date (YYYY-MM-DD in loc)
// meaning the end of that day. Empty is the zero time (now).
func ParseAsOf(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation(progress.DateLayout, s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("as_of %q: want YYYY-MM-DD or RFC3339", s)
	}
	return d.AddDate(0, 0, 1).Add(-time.Nanosecond), nil
}
