package server

import (
	"cmp"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/lifecycle"
	"github.com/egovnet/egovnet/collector/paging"
	"github.com/egovnet/egovnet/collector/respond"
	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/wire"
)

// violationList serves GET /api/v1/violations with the CONTRACT's paging in
// the store: the rules handlers answer the rest of the violations API. The
// current state without ?q= is counted in SQL and streamed in reading order
// (most severe first, then rule, department, subject), stopping after the
// page, so a dashboard asking for a total or a list asking for 50 rows never
// reads the whole table; ?q= and ?as_of= go through ListPage, sorted the
// same way.
type violationList struct {
	st   *lifecycle.Store
	plan *plan.Plan
	log  *slog.Logger
}

var violationStatuses = []string{wire.StatusOpen, wire.StatusAcknowledged, wire.StatusResolved, wire.StatusExempted}

// errPageFull stops the walk once the page is filled.
var errPageFull = errors.New("page full")

func (h violationList) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u, ok := auth.UserFrom(r.Context())
	if !ok {
		respond.Error(w, http.StatusUnauthorized, "authentication required", nil)
		return
	}
	pg, ok := paging.FromRequest(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	f := lifecycle.Filter{Department: q.Get("department"), Status: q.Get("status"), Rule: q.Get("rule"), Q: pg.Q}
	var problems []string
	if f.Status != "" && !slices.Contains(violationStatuses, f.Status) {
		problems = append(problems, "status: want one of "+strings.Join(violationStatuses, ", "))
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
	vs, total, err := h.page(r, f, pg)
	if err != nil {
		h.log.Error("list violations", "err", err)
		respond.Error(w, http.StatusInternalServerError, "internal error", nil)
		return
	}
	paging.SetTotal(w, total)
	respond.JSON(w, http.StatusOK, vs)
}

func (h violationList) page(r *http.Request, f lifecycle.Filter, pg paging.Page) ([]wire.Violation, int, error) {
	ctx := r.Context()
	if f.Q == "" && f.AsOf.IsZero() {
		total, err := h.st.Count(ctx, f)
		if err != nil {
			return nil, 0, err
		}
		out := []wire.Violation{}
		if pg.Offset >= total {
			return out, total, nil
		}
		i := 0
		err = h.st.Each(ctx, f, func(v wire.Violation) error {
			i++
			if i <= pg.Offset {
				return nil
			}
			out = append(out, v)
			if len(out) >= pg.Limit {
				return errPageFull
			}
			return nil
		})
		if err != nil && !errors.Is(err, errPageFull) {
			return nil, 0, err
		}
		return out, total, nil
	}
	vs, err := h.st.List(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	sortReading(vs)
	return paging.Slice(vs, pg), len(vs), nil
}

// sortReading sorts as Each reads: severity, rule, department, subject, id.
func sortReading(vs []wire.Violation) {
	sev := []string{wire.SeverityCritical, wire.SeverityHigh, wire.SeverityMedium, wire.SeverityLow}
	rank := func(list []string, s string, none int) int {
		if i := slices.Index(list, s); i >= 0 {
			return i
		}
		return none
	}
	slices.SortStableFunc(vs, func(a, b wire.Violation) int {
		return cmp.Or(
			cmp.Compare(rank(sev, a.Severity, 9), rank(sev, b.Severity, 9)),
			cmp.Compare(rank(wire.RuleIDs, a.Rule, 99), rank(wire.RuleIDs, b.Rule, 99)),
			strings.Compare(a.Department, b.Department),
			strings.Compare(a.Subject, b.Subject),
			strings.Compare(a.ID, b.ID))
	})
}
