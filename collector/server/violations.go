package server

import (
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
// matches (?q= included) are counted in SQL and streamed in reading order
// (most severe first, then rule, department, subject), paged in SQL, so a
// dashboard asking for a total or a list asking for 50 rows never reads the
// whole table; ?as_of= walks the rows once to count and once to page.
type violationList struct {
	st   *lifecycle.Store
	plan *plan.Plan
	log  *slog.Logger
}

var violationStatuses = []string{wire.StatusOpen, wire.StatusAcknowledged, wire.StatusResolved, wire.StatusExempted}

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
