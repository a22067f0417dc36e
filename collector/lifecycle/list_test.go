package lifecycle

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/wire"
)

const listPlan = `district: {code: "310110", name: "杨浦区"}
packs: [yangpu-2021]
extranet: {prefixes: ["10.0.0.0/8"], uplink_next_hops: ["10.255.0.1"]}
egress: {sanctioned: ["198.51.100.1"]}
departments:
  - {code: "CZJ", name: "区财政局", prefixes: ["10.1.0.0/16"]}
  - {code: "GAJ", name: "区公安分局", prefixes: ["10.2.0.0/16"]}
`

// TestViolationListPages checks the paged list against the whole list:
// pages in SQL (with or without ?q) and walked (?as_of) give the same rows
// in the same order, ?q= matches the evidence's MAC and host name, totals count the matches before the window, and a department
// administrator sees only their own department.
func TestViolationListPages(t *testing.T) {
	p, err := plan.Parse([]byte(listPlan), "plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := NewStore(db)
		at := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
		sevs := []string{wire.SeverityLow, wire.SeverityCritical, wire.SeverityHigh, wire.SeverityMedium}
		ruleIDs := []string{wire.RuleInternetEgress, wire.RuleLocalServer, wire.RuleDepartmentWebsite}
		for _, dept := range []string{"CZJ", "GAJ"} {
			var vs []wire.Violation
			for i := 0; i < 23; i++ {
				rule := ruleIDs[i%len(ruleIDs)]
				subject := fmt.Sprintf("10.%d.0.%d", map[string]int{"CZJ": 1, "GAJ": 2}[dept], 100-i)
				vs = append(vs, wire.Violation{ID: rules.ViolationID(dept, rule, subject), Rule: rule, Department: dept, Subject: subject,
					Severity: sevs[i%len(sevs)], Status: wire.StatusOpen, FirstSeen: at, LastSeen: at,
					Evidence: []wire.Evidence{{Agent: "a", Method: "route", ObservedAt: at, Detail: map[string]any{
						"mac": fmt.Sprintf("AA:BB:CC:%s:00:%02X", dept[:2], i), "hostname": fmt.Sprintf("PC-%s-%d", dept, i)}}}})
			}
			if err := st.Apply(ctx, dept, Scan{ReportID: "r-" + dept, Agent: "a", FinishedAt: at}, vs, 3); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.Acknowledge(ctx, rules.ViolationID("CZJ", wire.RuleInternetEgress, "10.1.0.100"), "sec", "noted"); err != nil {
			t.Fatal(err)
		}
		h := http.HandlerFunc(NewHandlers(st, p, slog.New(slog.NewTextHandler(io.Discard, nil))).list)
		get := func(u auth.User, query string) (int, []wire.Violation, string) {
			t.Helper()
			r := httptest.NewRequest("GET", "/api/v1/violations?"+query, nil)
			r = r.WithContext(auth.WithUser(r.Context(), u))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			var vs []wire.Violation
			if w.Code == 200 {
				if err := json.Unmarshal(w.Body.Bytes(), &vs); err != nil {
					t.Fatalf("%s: %v", query, err)
				}
			}
			return w.Code, vs, w.Header().Get("X-Total-Count")
		}
		admin := auth.User{Name: "admin", Role: auth.RoleSysAdmin}
		czj := auth.User{Name: "czj", Role: auth.RoleDeptAdmin, Department: "CZJ"}
		ids := func(vs []wire.Violation) string {
			var b strings.Builder
			for _, v := range vs {
				b.WriteString(v.ID + " ")
			}
			return b.String()
		}

		_, all, total := get(admin, "limit=1000")
		if len(all) != 46 || total != "46" {
			t.Fatalf("whole list: %d rows, total %s", len(all), total)
		}
		for i := 1; i < len(all); i++ {
			if sevRank(all[i-1].Severity) > sevRank(all[i].Severity) {
				t.Fatalf("not most severe first at %d: %s after %s", i, all[i].Severity, all[i-1].Severity)
			}
		}
		// the in-memory path (as_of) sorts the same way
		_, asOf, _ := get(admin, "limit=1000&as_of="+at.Add(time.Hour).Format(time.RFC3339))
		if ids(asOf) != ids(all) {
			t.Errorf("as_of order differs from the SQL order")
		}

		tests := []struct {
			name  string
			u     auth.User
			query string
			code  int
			total int
			want  func() []wire.Violation // nil: not checked
		}{
			{"first page", admin, "limit=10", 200, 46, func() []wire.Violation { return all[:10] }},
			{"middle page", admin, "limit=10&offset=20", 200, 46, func() []wire.Violation { return all[20:30] }},
			{"last partial page", admin, "limit=10&offset=40", 200, 46, func() []wire.Violation { return all[40:] }},
			{"past the end", admin, "limit=10&offset=100", 200, 46, func() []wire.Violation { return nil }},
			{"status filter counts", admin, "status=acknowledged&limit=5", 200, 1, nil},
			{"open excludes acknowledged", admin, "status=open&limit=1", 200, 45, nil},
			{"rule filter", admin, "rule=local-server&limit=1", 200, 16, nil},
			{"q, same order", admin, "q=10.2.0.9&limit=100", 200, 10, func() []wire.Violation { return filter(all, "10.2.0.9") }},
			{"q on the evidence's MAC", admin, "q=aa:bb:cc:cz&limit=100", 200, 23, func() []wire.Violation { return filter(all, "10.1.") }},
			{"q on a host name", admin, "q=pc-gaj-1&limit=100", 200, 11, nil},
			{"q with status", admin, "q=aa:bb:cc:cz&status=open", 200, 22, nil},
			{"q with as_of", admin, "q=pc-gaj-1&as_of=" + at.Add(time.Hour).Format(time.RFC3339), 200, 11, nil},
			{"dept-admin q cannot reach another", czj, "q=pc-gaj", 200, 0, nil},
			{"q paged", admin, "q=10.2.0.9&limit=3&offset=3", 200, 10, func() []wire.Violation { return filter(all, "10.2.0.9")[3:6] }},
			{"dept-admin defaults to own", czj, "limit=100", 200, 23, func() []wire.Violation { return filter(all, "10.1.") }},
			{"dept-admin asking for another", czj, "department=GAJ", 403, -1, nil},
			{"unknown department", admin, "department=NOPE", 404, -1, nil},
			{"bad status", admin, "status=closed", 400, -1, nil},
			{"bad limit", admin, "limit=0", 400, -1, nil},
			{"bad offset", admin, "offset=-3", 400, -1, nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				code, got, total := get(tc.u, tc.query)
				if code != tc.code {
					t.Fatalf("%s: %d, want %d", tc.query, code, tc.code)
				}
				if tc.total >= 0 && total != strconv.Itoa(tc.total) {
					t.Errorf("X-Total-Count %s, want %d", total, tc.total)
				}
				if tc.want != nil && ids(got) != ids(tc.want()) {
					t.Errorf("rows differ from the whole list's window:\n%s\n%s", ids(got), ids(tc.want()))
				}
			})
		}
	})
}

func sevRank(s string) int {
	return map[string]int{wire.SeverityCritical: 0, wire.SeverityHigh: 1, wire.SeverityMedium: 2, wire.SeverityLow: 3}[s]
}

func filter(vs []wire.Violation, sub string) []wire.Violation {
	var out []wire.Violation
	for _, v := range vs {
		if strings.Contains(v.Subject, sub) {
			out = append(out, v)
		}
	}
	return out
}
