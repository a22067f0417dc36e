package progress

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/respond"
	"github.com/egovnet/egovnet/collector/tsdb"
)

// InfluxStatus reports the InfluxDB outbox (tsdb.Writer satisfies it). Nil
// when no InfluxDB is configured: the handler then shows the stored counters
// only.
type InfluxStatus interface {
	Status(ctx context.Context) (tsdb.Status, error)
}

// DefaultRange is the window served when from is not given.
const DefaultRange = 90 * 24 * time.Hour

// maxRange bounds a query (ten years of days).
const maxRange = 3660 * 24 * time.Hour

// Handler serves GET /api/v1/progress?department=CODE&from=&to=.
type Handler struct {
	Store  *Store
	Influx InfluxStatus
	Log    *slog.Logger
	// DepartmentExists, when set, makes an unknown ?department= a 404 like
	// the other routes instead of an empty 200 that reads as "no progress".
	DepartmentExists func(ctx context.Context, code string) (bool, error)
	now              func() time.Time
}

// Response is the body of GET /api/v1/progress.
type Response struct {
	Department string     `json:"department,omitempty"`
	From       string     `json:"from"`
	To         string     `json:"to"`
	Series     []Snapshot `json:"series"`
	// Latest is each visible department's last snapshot up to To: where
	// every department stands.
	Latest []Snapshot `json:"latest"`
	// District holds the district totals per day; only for callers who may
	// see every department and asked for no single department.
	District []Snapshot   `json:"district,omitempty"`
	Influx   *tsdb.Status `json:"influx"`
}

// Mount registers the handler: mount(pattern, roles allowed, handler).
func (h *Handler) Mount(mount func(pattern string, roles []string, h http.Handler)) {
	mount("GET /api/v1/progress", auth.Roles, h)
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u, ok := auth.UserFrom(r.Context())
	if !ok {
		respond.Error(w, http.StatusUnauthorized, "authentication required", nil)
		return
	}
	q := r.URL.Query()
	dept := q.Get("department")
	if u.Role == auth.RoleDeptAdmin && dept == "" {
		dept = u.Department
	}
	if !u.CanSeeDepartment(dept) {
		respond.Error(w, http.StatusForbidden, "department not visible to this user", map[string]string{"department": dept})
		return
	}
	if dept != "" && h.DepartmentExists != nil {
		known, err := h.DepartmentExists(r.Context(), dept)
		if err != nil {
			h.fail(w, err)
			return
		}
		if !known {
			respond.Error(w, http.StatusNotFound, "unknown department", map[string]string{"department": dept})
			return
		}
	}
	now := time.Now
	if h.now != nil {
		now = h.now
	}
	from, to, err := ParseRange(q.Get("from"), q.Get("to"), now(), h.Store.Location())
	if err != nil {
		respond.Error(w, http.StatusBadRequest, "invalid time range", err.Error())
		return
	}
	ctx := r.Context()
	series, err := h.Store.Series(ctx, dept, from, to)
	if err != nil {
		h.fail(w, err)
		return
	}
	resp := Response{Department: dept, From: from.In(h.Store.Location()).Format(DateLayout),
		To: to.In(h.Store.Location()).Format(DateLayout), Series: nonNil(series)}
	latest, err := h.Store.Latest(ctx, dept, to)
	if err != nil {
		h.fail(w, err)
		return
	}
	resp.Latest = nonNil(latest)
	if dept == "" {
		if resp.District, err = h.Store.District(ctx, from, to); err != nil {
			h.fail(w, err)
			return
		}
	}
	st, err := h.influxStatus(ctx)
	if err != nil {
		h.fail(w, err)
		return
	}
	resp.Influx = &st
	respond.JSON(w, http.StatusOK, resp)
}

func (h *Handler) influxStatus(ctx context.Context) (tsdb.Status, error) {
	if w, ok := h.Influx.(*tsdb.Writer); h.Influx != nil && (!ok || w != nil) {
		return h.Influx.Status(ctx)
	}
	s, err := tsdb.ReadStats(ctx, h.Store.db)
	return tsdb.Status{Stats: s}, err
}

func (h *Handler) fail(w http.ResponseWriter, err error) {
	log := h.Log
	if log == nil {
		log = slog.Default()
	}
	log.Error("progress query failed", "error", err)
	respond.Error(w, http.StatusInternalServerError, "progress query failed", nil)
}

func nonNil(s []Snapshot) []Snapshot {
	if s == nil {
		return []Snapshot{}
	}
	return s
}

// ParseRange reads from/to as YYYY-MM-DD (days in loc) or RFC3339. An empty
// to is now; an empty from is DefaultRange before to.
func ParseRange(fromS, toS string, now time.Time, loc *time.Location) (from, to time.Time, err error) {
	to = now
	if toS != "" {
		if to, err = parseInstant(toS, loc); err != nil {
			return from, to, fmt.Errorf("to: %w", err)
		}
	}
	from = to.Add(-DefaultRange)
	if fromS != "" {
		if from, err = parseInstant(fromS, loc); err != nil {
			return from, to, fmt.Errorf("from: %w", err)
		}
	}
	if from.After(to) {
		return from, to, fmt.Errorf("from %s is after to %s", fromS, toS)
	}
	if to.Sub(from) > maxRange {
		return from, to, fmt.Errorf("range longer than %d days", int(maxRange/(24*time.Hour)))
	}
	return from, to, nil
}

func parseInstant(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.ParseInLocation(DateLayout, s, loc); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, fmt.Errorf("%q is neither YYYY-MM-DD nor RFC3339", s)
	}
	return t, nil
}
