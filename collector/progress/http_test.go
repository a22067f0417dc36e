package progress

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/collector/tsdb"
)

func TestProgressHandler(t *testing.T) {
	db := storetest.NewSQLite(t)
	ctx := context.Background()
	st := NewStore(db, ChinaStandardTime)
	for i, d := range []string{"CZJ", "JYJ"} {
		for day := 1; day <= 3; day++ {
			err := st.Save(ctx, Snapshot{Department: d, District: "310110",
				At: time.Date(2026, 5, day, 4, 0, 0, 0, time.UTC), Fields: Fields{InternetEgress: int64(4 - day + i)}})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	// One point was dropped from a full outbox: the API must show it.
	o := tsdb.NewOutbox(db, 1)
	p := tsdb.Point{Measurement: "m", Fields: map[string]any{"f": 1}, Time: time.Now()}
	if err := o.Enqueue(ctx, p, p); err != nil {
		t.Fatal(err)
	}
	h := &Handler{Store: st, now: func() time.Time { return time.Date(2026, 5, 10, 0, 0, 0, 0, time.UTC) },
		DepartmentExists: func(_ context.Context, code string) (bool, error) { return code == "CZJ" || code == "JYJ", nil }}
	var mounted []string
	h.Mount(func(pattern string, roles []string, _ http.Handler) {
		mounted = append(mounted, pattern)
		if len(roles) != len(auth.Roles) {
			t.Errorf("roles %v, want every role", roles)
		}
	})
	if len(mounted) != 1 || mounted[0] != "GET /api/v1/progress" {
		t.Fatalf("mounted %v", mounted)
	}

	admin := auth.User{Name: "a", Role: auth.RoleSysAdmin}
	czj := auth.User{Name: "c", Role: auth.RoleDeptAdmin, Department: "CZJ"}
	tests := []struct {
		name       string
		user       *auth.User
		query      string
		status     int
		series     int
		district   int
		department string
		latest     string // department:internet_egress of each latest snapshot
	}{
		{"admin all departments", &admin, "", 200, 6, 3, "", "CZJ:1 JYJ:2"},
		{"admin one department and days", &admin, "?department=JYJ&from=2026-05-02&to=2026-05-02", 200, 1, 0, "JYJ", "JYJ:3"},
		{"dept-admin defaults to own", &czj, "", 200, 3, 0, "CZJ", "CZJ:1"},
		{"dept-admin other department", &czj, "?department=JYJ", 403, 0, 0, "", ""},
		{"admin unknown department", &admin, "?department=NOPE", 404, 0, 0, "", ""},
		{"anonymous", nil, "", 401, 0, 0, "", ""},
		{"bad from", &admin, "?from=yesterday", 400, 0, 0, "", ""},
		{"from after to", &admin, "?from=2026-05-03&to=2026-05-01", 400, 0, 0, "", ""},
		{"rfc3339 accepted", &admin, "?from=2026-05-01T00:00:00Z&to=2026-05-01T15:59:59Z", 200, 2, 1, "", "CZJ:3 JYJ:4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/api/v1/progress"+tc.query, nil)
			if tc.user != nil {
				req = req.WithContext(auth.WithUser(req.Context(), *tc.user))
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status != 200 {
				var e struct{ Error string }
				if json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error == "" {
					t.Fatalf("error body %s not in the CONTRACT shape", rec.Body)
				}
				if tc.status == 404 && e.Error != "unknown department" {
					t.Fatalf("404 error %q, want the other routes' \"unknown department\"", e.Error)
				}
				return
			}
			var resp Response
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatal(err)
			}
			if len(resp.Series) != tc.series || len(resp.District) != tc.district || resp.Department != tc.department {
				t.Fatalf("series %d district %d department %q, want %d %d %q", len(resp.Series), len(resp.District), resp.Department, tc.series, tc.district, tc.department)
			}
			var latest []string
			for _, l := range resp.Latest {
				latest = append(latest, fmt.Sprintf("%s:%d", l.Department, l.InternetEgress))
			}
			if got := strings.Join(latest, " "); got != tc.latest {
				t.Fatalf("latest = %q, want %q", got, tc.latest)
			}
			if resp.Influx == nil || resp.Influx.Dropped != 1 || resp.Influx.Pending != 1 {
				t.Fatalf("influx status %+v, want 1 dropped 1 pending", resp.Influx)
			}
		})
	}
}
