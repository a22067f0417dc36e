package export

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
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
	// Signer seals every answer (X-Content-SHA256, X-Content-SM3,
	// X-Content-Signature); nil sends exports unsealed.
	Signer *Signer
	// MaxConcurrent bounds the exports rendered at once (default 2): an
	// export of 200,000 violations holds them in memory while it renders,
	// so more at once are refused with 429 and Retry-After rather than
	// queued into the collector's memory.
	MaxConcurrent int
	// SpoolDir holds an answer while it is sealed ("" = the temp dir): the
	// headers carry the digests, so the body is complete before they go.
	SpoolDir string

	slotsOnce sync.Once
	slots     chan struct{}
}

// RetryAfter is what a refused export is told to wait, in seconds.
const RetryAfter = 15

// acquire takes an export slot, or answers 429 and reports false.
func (h *Handler) acquire(w http.ResponseWriter) (release func(), ok bool) {
	h.slotsOnce.Do(func() {
		n := h.MaxConcurrent
		if n < 1 {
			n = 2
		}
		h.slots = make(chan struct{}, n)
	})
	select {
	case h.slots <- struct{}{}:
		return func() { <-h.slots }, true
	default:
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfter))
		respond.Error(w, http.StatusTooManyRequests, "too many exports at once; try again shortly / 导出任务过多，请稍后重试",
			map[string]int{"max_concurrent": cap(h.slots), "retry_after_seconds": RetryAfter})
		return nil, false
	}
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
	format  Format
	meta    Meta
	dept    string
	release func() // gives the export slot back
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
	if req.release, ok = h.acquire(w); !ok {
		return req, false
	}
	return req, true
}

func (h *Handler) violations(w http.ResponseWriter, r *http.Request) {
	req, ok := h.begin(w, r)
	if !ok {
		return
	}
	defer req.release()
	q := r.URL.Query()
	f := ViolationFilter{Department: req.dept, Status: q.Get("status"), Rule: q.Get("rule"), AsOf: req.meta.AsOf}
	if err := validFilter(f); err != nil {
		respond.Error(w, http.StatusBadRequest, "invalid export request", []string{err.Error()})
		return
	}
	if st, ok := h.Violations.(ViolationStreamer); ok {
		n, err := st.Count(r.Context(), f)
		if err != nil {
			h.fail(w, "count violations", err)
			return
		}
		if err := h.Exporter.CheckPDFRows(req.format, n); err != nil {
			h.fail(w, "render violations export", err)
			return
		}
		if req.format != PDF {
			h.send(r.Context(), w, req, "violations", func(out io.Writer) error {
				return h.Exporter.ViolationsStream(out, req.format, n, func(fn func(wire.Violation) error) error {
					return st.Each(r.Context(), f, fn)
				}, req.meta)
			})
			return
		}
	}
	vs, err := h.Violations.List(r.Context(), f)
	if err != nil {
		h.fail(w, "list violations", err)
		return
	}
	if err := h.Exporter.CheckPDFRows(req.format, len(vs)); err != nil {
		h.fail(w, "render violations export", err)
		return
	}
	h.send(r.Context(), w, req, "violations", func(out io.Writer) error {
		return h.Exporter.Violations(out, req.format, vs, req.meta)
	})
}

func (h *Handler) ledger(w http.ResponseWriter, r *http.Request) {
	req, ok := h.begin(w, r)
	if !ok {
		return
	}
	defer req.release()
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
	h.send(r.Context(), w, req, "ledger", func(out io.Writer) error {
		return h.Exporter.Ledger(out, req.format, l, table, req.meta)
	})
}

func (h *Handler) progress(w http.ResponseWriter, r *http.Request) {
	req, ok := h.begin(w, r)
	if !ok {
		return
	}
	defer req.release()
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
	h.send(r.Context(), w, req, "progress", func(out io.Writer) error {
		return h.Exporter.Progress(out, req.format, snaps, req.meta)
	})
}

// send renders into a spool file first, so a failure is a clean JSON
// error rather than half a file, the seal's headers can precede the body,
// and memory holds only a buffer whatever the export's size. The spool
// file is unlinked at once: nothing is left behind if the collector dies.
func (h *Handler) send(ctx context.Context, w http.ResponseWriter, req request, kind string, render func(io.Writer) error) {
	spool, err := os.CreateTemp(h.SpoolDir, "egovnet-export-*"+partSuffix)
	if err != nil {
		h.fail(w, "spool "+kind+" export", err)
		return
	}
	os.Remove(spool.Name())
	defer spool.Close()
	var seal Seal
	if h.Signer != nil {
		seal, err = SealTo(ctx, spool, h.Signer, render)
	} else {
		bw := bufio.NewWriterSize(ctxWriter{ctx, spool}, 64<<10)
		if err = render(bw); err == nil {
			err = bw.Flush()
		}
	}
	if err != nil {
		h.fail(w, "render "+kind+" export", err)
		return
	}
	size, err := spool.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = spool.Seek(0, io.SeekStart)
	}
	if err != nil {
		h.fail(w, "spool "+kind+" export", err)
		return
	}
	name := kind
	if req.dept != "" {
		name += "-" + safeName(req.dept)
	}
	name += "-" + req.meta.date(req.meta.AsOf) + "." + string(req.format)
	w.Header().Set("Content-Type", req.format.ContentType())
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if h.Signer != nil {
		seal.SetHeaders(w.Header())
	}
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, spool)
}

func (h *Handler) fail(w http.ResponseWriter, what string, err error) {
	log := h.Log
	if log == nil {
		log = slog.Default()
	}
	var tl *TooLargeError
	if errors.As(err, &tl) {
		respond.Error(w, http.StatusUnprocessableEntity, tl.Error(), map[string]any{"rows": tl.Rows, "max_rows": tl.Max, "formats": []string{"csv", "xlsx"}})
		return
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
