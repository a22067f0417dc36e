package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/progress"
	"github.com/egovnet/egovnet/internal/wire"
)

// memViolations filters the fixture like the rules store would; it records
// the filter it was asked for.
type memViolations struct {
	vs   []wire.Violation
	last ViolationFilter
	err  error
}

func (m *memViolations) List(_ context.Context, f ViolationFilter) ([]wire.Violation, error) {
	m.last = f
	var out []wire.Violation
	for _, v := range m.vs {
		if (f.Department == "" || v.Department == f.Department) && (f.Status == "" || v.Status == f.Status) && (f.Rule == "" || v.Rule == f.Rule) {
			out = append(out, v)
		}
	}
	return out, m.err
}

type memLedger struct{}

func (memLedger) Ledger(context.Context, string, time.Time) (Ledger, error) { return testLedger(), nil }

type memProgress struct{}

func (memProgress) Series(_ context.Context, d string, _, _ time.Time) ([]progress.Snapshot, error) {
	return testSnapshots()[:3], nil
}

func TestExportHandler(t *testing.T) {
	src := &memViolations{vs: testViolations()}
	h := &Handler{Exporter: &Exporter{}, Violations: src, Ledger: memLedger{}, Progress: memProgress{}, District: "杨浦区"}
	mux := http.NewServeMux()
	h.Mount(func(pattern string, roles []string, hh http.Handler) {
		if len(roles) == 0 {
			t.Errorf("%s mounted for no role", pattern)
		}
		mux.Handle(pattern, hh)
	})
	admin := auth.User{Name: "a", Role: auth.RoleAuditor}
	czj := auth.User{Name: "c", Role: auth.RoleDeptAdmin, Department: "CZJ"}
	tests := []struct {
		name     string
		user     *auth.User
		url      string
		status   int
		ctype    string
		wantDept string
		check    func(t *testing.T, body []byte)
	}{
		{name: "xlsx for auditor", user: &admin, url: "/api/v1/exports/violations?format=xlsx", status: 200,
			ctype: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
			check: func(t *testing.T, body []byte) {
				f, err := excelize.OpenReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				rows, _ := f.GetRows("违规清单")
				if len(rows) != 4 {
					t.Fatalf("rows = %d, want header + 3", len(rows))
				}
			}},
		{name: "csv filtered", user: &admin, url: "/api/v1/exports/violations?format=csv&status=open&lang=en", status: 200, ctype: "text/csv; charset=utf-8",
			check: func(t *testing.T, body []byte) {
				recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
				if err != nil || !strings.HasPrefix(string(body), "\uFEFFRule,Department") || len(recs) != 2 || recs[1][4] != "open" {
					t.Fatalf("csv (%v):\n%s", err, body)
				}
			}},
		{name: "json default", user: &admin, url: "/api/v1/exports/violations", status: 200, ctype: "application/json; charset=utf-8"},
		{name: "dept-admin gets only own department", user: &czj, url: "/api/v1/exports/violations?format=json", status: 200, wantDept: "CZJ",
			check: func(t *testing.T, body []byte) {
				var doc struct{ Violations []wire.Violation }
				if err := json.Unmarshal(body, &doc); err != nil {
					t.Fatal(err)
				}
				for _, v := range doc.Violations {
					if v.Department != "CZJ" {
						t.Fatalf("dept-admin of CZJ got %s's violation", v.Department)
					}
				}
			}},
		{name: "dept-admin other department", user: &czj, url: "/api/v1/exports/violations?department=JYJ", status: 403},
		{name: "anonymous", url: "/api/v1/exports/violations", status: 401},
		{name: "bad format and as_of", user: &admin, url: "/api/v1/exports/violations?format=doc&as_of=later", status: 400,
			check: func(t *testing.T, body []byte) {
				if !strings.Contains(string(body), "doc") || !strings.Contains(string(body), "later") {
					t.Fatalf("error does not name both problems: %s", body)
				}
			}},
		{name: "unknown rule", user: &admin, url: "/api/v1/exports/violations?rule=foo", status: 400},
		{name: "ledger xlsx", user: &admin, url: "/api/v1/exports/ledger?format=xlsx", status: 200},
		{name: "ledger csv detail", user: &admin, url: "/api/v1/exports/ledger?format=csv&table=detail", status: 200,
			check: func(t *testing.T, body []byte) {
				if !strings.Contains(string(body), "使用人") {
					t.Fatalf("not the 明细表:\n%s", body)
				}
			}},
		{name: "progress csv", user: &admin, url: "/api/v1/exports/progress?format=csv&from=2026-03-01&to=2026-03-03", status: 200},
		{name: "progress bad range", user: &admin, url: "/api/v1/exports/progress?from=2026-03-05&to=2026-03-01", status: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tc.url, nil)
			if tc.user != nil {
				req = req.WithContext(auth.WithUser(req.Context(), *tc.user))
			}
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status != 200 {
				var e struct{ Error string }
				if json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error == "" {
					t.Fatalf("error body not in the CONTRACT shape: %s", rec.Body)
				}
			} else if cd := rec.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=") {
				t.Fatalf("Content-Disposition = %q", cd)
			}
			if tc.ctype != "" && rec.Header().Get("Content-Type") != tc.ctype {
				t.Fatalf("Content-Type = %q, want %q", rec.Header().Get("Content-Type"), tc.ctype)
			}
			if tc.wantDept != "" && src.last.Department != tc.wantDept {
				t.Fatalf("source asked for department %q, want %q", src.last.Department, tc.wantDept)
			}
			if tc.check != nil {
				tc.check(t, rec.Body.Bytes())
			}
		})
	}

	t.Run("source failure is a 500 without a partial file", func(t *testing.T) {
		src.err = errors.New("db down")
		defer func() { src.err = nil }()
		req := httptest.NewRequest("GET", "/api/v1/exports/violations?format=csv", nil)
		req = req.WithContext(auth.WithUser(req.Context(), admin))
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != 500 || strings.Contains(rec.Body.String(), "db down") || rec.Header().Get("Content-Disposition") != "" {
			t.Fatalf("status %d body %s headers %v", rec.Code, rec.Body, rec.Header())
		}
	})
}

func TestParseAsOf(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"", time.Time{}, false},
		{"2026-03-01", time.Date(2026, 3, 1, 15, 59, 59, 999999999, time.UTC), false},
		{"2026-03-01T08:00:00+08:00", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), false},
		{"2026/03/01", time.Time{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseAsOf(tc.in, progress.ChinaStandardTime)
			if (err != nil) != tc.err || !got.Equal(tc.want) {
				t.Fatalf("ParseAsOf(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.err)
			}
		})
	}
}
