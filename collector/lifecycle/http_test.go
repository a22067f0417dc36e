package lifecycle

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/respond"
	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// testMount stands in for api.Server.UserRoute: the user comes from a
// header, and the role list is enforced exactly as the server does.
func testMount(mux *http.ServeMux) func(string, []string, http.Handler) {
	return func(pattern string, roles []string, h http.Handler) {
		mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			parts := strings.Split(r.Header.Get("X-Test-User"), "/")
			if len(parts) != 3 {
				respond.Error(w, http.StatusUnauthorized, "authentication required", nil)
				return
			}
			u := auth.User{Name: parts[0], Role: parts[1], Department: parts[2]}
			if !slices.Contains(roles, u.Role) {
				respond.Error(w, http.StatusForbidden, "role not allowed", nil)
				return
			}
			h.ServeHTTP(w, r.WithContext(auth.WithUser(r.Context(), u)))
		}))
	}
}

func TestHandlers(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := districtEngine(t)
		st := NewStore(db)
		st.SetClock(func() time.Time { return time.Date(2026, 11, 21, 1, 0, 0, 0, time.UTC) })
		p := NewProcessor(e, st, 3, nil)
		for _, r := range loadReports(t) {
			d, _ := e.DepartmentOf(r)
			if err := file(ctx, p, r, d); err != nil {
				t.Fatal(err)
			}
		}
		mux := http.NewServeMux()
		NewHandlers(st, e.Plan(), slog.New(slog.NewTextHandler(io.Discard, nil))).Mount(testMount(mux))
		srv := httptest.NewServer(mux)
		defer srv.Close()
		exitID := rules.ViolationID("RSJ", wire.RuleInternetEgress, "203.0.113.65")

		do := func(user, method, path, body string) (int, string) {
			req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
			if user != "" {
				req.Header.Set("X-Test-User", user)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			return resp.StatusCode, string(b)
		}
		count := func(body string) int {
			var vs []wire.Violation
			if err := json.Unmarshal([]byte(body), &vs); err != nil {
				t.Fatalf("not a list: %s", body)
			}
			return len(vs)
		}
		const (
			viewer  = "zhao/viewer/"
			auditor = "qian/auditor/"
			sec     = "li/secadmin/"
			rsjAdm  = "sun/dept-admin/RSJ"
		)
		cases := []struct {
			name, user, method, path, body string
			status                         int
			contains                       string
			n                              int // list length, -1 = not a list
		}{
			{"anonymous", "", "GET", "/api/v1/violations", "", 401, "authentication required", -1},
			{"viewer sees all", viewer, "GET", "/api/v1/violations", "", 200, "", 14},
			{"filter by department and rule", auditor, "GET", "/api/v1/violations?department=RSJ&rule=local-server", "", 200, "", 3},
			{"filter by status", auditor, "GET", "/api/v1/violations?status=exempted", "", 200, "", 1},
			{"dept-admin defaults to own", rsjAdm, "GET", "/api/v1/violations", "", 200, "", 5},
			{"dept-admin other department", rsjAdm, "GET", "/api/v1/violations?department=GAJ", "", 403, "only their own department", -1},
			{"unknown department", auditor, "GET", "/api/v1/violations?department=XXX", "", 404, "unknown department", -1},
			{"bad query", auditor, "GET", "/api/v1/violations?status=gone&rule=wifi&as_of=yesterday", "", 400, "as_of", -1},
			{"as of before any scan", auditor, "GET", "/api/v1/violations?as_of=2026-11-19T00:00:00Z", "", 200, "", 0},
			{"as of a date", auditor, "GET", "/api/v1/violations?as_of=2026-11-20", "", 200, "", 14},
			{"viewer cannot write", viewer, "POST", "/api/v1/violations/" + exitID + "/acknowledge", "", 403, "", -1},
			{"dept-admin cannot write", rsjAdm, "POST", "/api/v1/violations/" + exitID + "/acknowledge", "", 403, "", -1},
			{"secadmin acknowledges", sec, "POST", "/api/v1/violations/" + exitID + "/acknowledge", `{"note":"核查中"}`, 200, `"status":"acknowledged"`, -1},
			{"twice is a conflict", sec, "POST", "/api/v1/violations/" + exitID + "/acknowledge", "", 409, "transition not allowed", -1},
			{"unknown field", sec, "POST", "/api/v1/violations/" + exitID + "/resolve", `{"notes":"x"}`, 400, "invalid JSON", -1},
			{"exemption needs basis", sec, "POST", "/api/v1/violations/" + exitID + "/exempt", `{"approver":"a","expires":"someday"}`, 400, "basis", -1},
			{"exempt", sec, "POST", "/api/v1/violations/" + exitID + "/exempt", `{"basis":"市另有规定: 临时保障","approver":"区大数据中心","expires":"2027-06-30"}`, 200, `"status":"exempted"`, -1},
			{"history", auditor, "GET", "/api/v1/violations/" + exitID, "", 200, `"history":[{`, -1},
			{"dept-admin reads own", rsjAdm, "GET", "/api/v1/violations/" + exitID, "", 200, "acknowledged", -1},
			{"dept-admin cannot read others", "zhou/dept-admin/GAJ", "GET", "/api/v1/violations/" + exitID, "", 404, "not found", -1},
			{"unknown id", sec, "POST", "/api/v1/violations/v-0000/resolve", "", 404, "not found", -1},
			{"resolve", sec, "POST", "/api/v1/violations/" + exitID + "/resolve", `{"note":"线路已拆除"}`, 200, `"status":"resolved"`, -1},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				status, body := do(tc.user, tc.method, tc.path, tc.body)
				if status != tc.status {
					t.Fatalf("status %d, want %d: %.300s", status, tc.status, body)
				}
				if tc.contains != "" && !strings.Contains(body, tc.contains) {
					t.Errorf("body lacks %q: %.300s", tc.contains, body)
				}
				if tc.n >= 0 && count(body) != tc.n {
					t.Errorf("list has %d, want %d", count(body), tc.n)
				}
			})
		}
	})
}
