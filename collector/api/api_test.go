package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/ingest"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/respond"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
	"github.com/google/uuid"
)

const password = "Zq7!mcWx"

type fixture struct {
	t     testing.TB
	srv   *Server
	ts    *httptest.Server
	auth  *auth.Service
	inv   *inventory.Store
	audit *auditlog.Log
}

func newFixture(t testing.TB, db *store.DB, opts ...func(*Deps)) *fixture {
	ctx := context.Background()
	inv := inventory.New(db)
	if err := inv.SyncDepartments(ctx, []inventory.Department{{Code: "CZJ", Name: "区财政局"}, {Code: "GAJ", Name: "区公安分局"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	audit := auditlog.New(db)
	as := auth.NewService(db, audit, auth.Options{MaxLoginFailures: 3, LockoutDuration: time.Hour, SessionTTL: time.Hour})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	deps := Deps{DB: db, Auth: as, Inventory: inv, Ingester: ingest.New(db, audit, log), Audit: audit, Logger: log, MaxReportBytes: 64 << 10, MaxRequestBytes: 4 << 10}
	for _, o := range opts {
		o(&deps)
	}
	srv := New(deps)
	op := auth.Actor{Kind: auditlog.KindOperator, Name: "test"}
	for _, u := range []auth.User{{Name: "admin", Role: auth.RoleSysAdmin}, {Name: "czj", Role: auth.RoleDeptAdmin, Department: "CZJ"}, {Name: "aud", Role: auth.RoleAuditor}} {
		if err := as.AddUser(ctx, u, password, op); err != nil {
			t.Fatal(err)
		}
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		if err := srv.Close(context.Background()); err != nil {
			t.Errorf("close api: %v", err)
		}
	})
	return &fixture{t: t, srv: srv, ts: ts, auth: as, inv: inv, audit: audit}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (f *fixture) do(method, path string, body []byte, hdr map[string]string) resp {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.ts.URL+path, bytes.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := f.ts.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		f.t.Errorf("%s %s: Content-Type %q, want JSON", method, path, ct)
	}
	if res.StatusCode >= 400 {
		var e respond.ErrorBody
		if err := json.Unmarshal(b, &e); err != nil || e.Error == "" {
			f.t.Errorf("%s %s: error body %q is not the respond.Error shape", method, path, b)
		}
	}
	return resp{res.StatusCode, res.Header, b}
}

var jsonCT = map[string]string{"Content-Type": "application/json"}

func basic(name string) map[string]string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(name, password)
	return map[string]string{"Authorization": req.Header.Get("Authorization")}
}

func (f *fixture) enrol(dept string) (string, string) {
	f.t.Helper()
	tok, _, err := f.auth.CreateToken(context.Background(), dept, time.Hour, 1, auth.Actor{Kind: auditlog.KindOperator, Name: "test"})
	if err != nil {
		f.t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"token": tok, "hostname": "probe", "agent_version": "1.0"})
	r := f.do("POST", "/api/v1/agents/enroll", body, nil)
	if r.status != http.StatusOK {
		f.t.Fatalf("enrol: %d %s", r.status, r.body)
	}
	var out enrollResponse
	_ = json.Unmarshal(r.body, &out)
	if out.Department != dept || out.AgentID == "" || out.Credential == "" {
		f.t.Fatalf("enrol answer %s", r.body)
	}
	return out.AgentID, out.Credential
}

func scanReport(agentID, dept string) *wire.ScanReport {
	now := time.Now().UTC()
	return &wire.ScanReport{Schema: wire.SchemaScanV1, ReportID: uuid.NewString(),
		Agent: wire.Agent{ID: agentID, Hostname: "probe", Department: dept}, StartedAt: now.Add(-time.Minute), FinishedAt: now,
		Scope:     []string{"10.1.0.0/24"},
		Endpoints: []wire.Endpoint{{IP: "10.1.0.10", SeenBy: []string{"tcp"}, OpenPorts: []int{22}, Role: "server"}}}
}

func TestAPI(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()

		t.Run("healthz", func(t *testing.T) {
			r := f.do("GET", "/healthz", nil, nil)
			if r.status != 200 || strings.TrimSpace(string(r.body)) != `{"status":"ok"}` {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
		t.Run("unknown route and method are JSON errors", func(t *testing.T) {
			if r := f.do("GET", "/api/v1/nope", nil, nil); r.status != 404 {
				t.Fatalf("404: %d", r.status)
			}
			if r := f.do("DELETE", "/healthz", nil, nil); r.status != 405 || r.header.Get("Allow") == "" {
				t.Fatalf("405: %d %v", r.status, r.header)
			}
		})

		czjAgent, czjCred := f.enrol("CZJ")
		gajAgent, gajCred := f.enrol("GAJ")
		bearer := func(c string) map[string]string { return map[string]string{"Authorization": "Bearer " + c} }

		t.Run("enrol refusals", func(t *testing.T) {
			tests := []struct {
				name   string
				body   string
				status int
			}{
				{"unknown token", `{"token":"egt_x","hostname":"h","agent_version":"1"}`, 401},
				{"missing hostname", `{"token":"egt_x","agent_version":"1"}`, 400},
				{"unknown field", `{"token":"egt_x","hostname":"h","extra":1}`, 400},
				{"not json", `token=x`, 400},
				{"too large", `{"token":"` + strings.Repeat("x", 5000) + `"}`, 413},
				{"control character in hostname", `{"token":"egt_x","hostname":"h\u0000x","agent_version":"1"}`, 400},
			}
			for _, tc := range tests {
				if r := f.do("POST", "/api/v1/agents/enroll", []byte(tc.body), nil); r.status != tc.status {
					t.Errorf("%s: %d %s, want %d", tc.name, r.status, r.body, tc.status)
				}
			}
		})

		rep := scanReport(czjAgent, "")
		body, _ := json.Marshal(rep)
		t.Run("upload, retry, refusals", func(t *testing.T) {
			r := f.do("POST", "/api/v1/reports", body, bearer(czjCred))
			if r.status != 202 || !strings.Contains(string(r.body), `"accepted":true`) {
				t.Fatalf("first upload: %d %s", r.status, r.body)
			}
			if r := f.do("POST", "/api/v1/reports", body, bearer(czjCred)); r.status != 200 {
				t.Fatalf("retry: %d %s", r.status, r.body)
			}
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			other := scanReport(czjAgent, "CZJ")
			ob, _ := json.Marshal(other)
			zw.Write(ob)
			zw.Close()
			if r := f.do("POST", "/api/v1/reports", gz.Bytes(), map[string]string{"Authorization": "Bearer " + czjCred, "Content-Encoding": "gzip"}); r.status != 202 {
				t.Fatalf("gzip upload: %d %s", r.status, r.body)
			}
			big := scanReport(czjAgent, "")
			big.Host = &wire.Host{OS: strings.Repeat("x", 70<<10)}
			bb, _ := json.Marshal(big)
			wrongDept, _ := json.Marshal(scanReport(czjAgent, "GAJ"))
			wrongAgent, _ := json.Marshal(scanReport(gajAgent, ""))
			invalid := scanReport(czjAgent, "")
			invalid.Endpoints[0].IP = "10.1.0.999"
			invalid.Endpoints[0].Role = "router"
			ib, _ := json.Marshal(invalid)
			tests := []struct {
				name   string
				body   []byte
				hdr    map[string]string
				status int
				detail string
			}{
				{"no credential", body, nil, 401, ""},
				{"wrong credential", body, bearer(czjCred + "x"), 401, ""},
				{"basic instead of bearer", body, basic("admin"), 401, ""},
				{"oversized", bb, bearer(czjCred), 413, ""},
				{"malformed", []byte(`{"schema":`), bearer(czjCred), 400, ""},
				{"invalid lists every problem", ib, bearer(czjCred), 400, `endpoints[0].role`},
				{"other department in body", wrongDept, bearer(czjCred), 403, "enrolled_department"},
				{"other agent in body", wrongAgent, bearer(czjCred), 403, "credential_agent"},
				{"same id from another agent", body, bearer(gajCred), 403, ""},
			}
			for _, tc := range tests {
				r := f.do("POST", "/api/v1/reports", tc.body, tc.hdr)
				if r.status != tc.status || !strings.Contains(string(r.body), tc.detail) {
					t.Errorf("%s: %d %s, want %d with %q", tc.name, r.status, r.body, tc.status, tc.detail)
				}
			}
			if r := f.do("POST", "/api/v1/reports", ib, bearer(czjCred)); !strings.Contains(string(r.body), `endpoints[0].ip`) {
				t.Errorf("400 detail lacks the ip problem: %s", r.body)
			}
			if n, _ := f.inv.CountReports(ctx, ""); n != 2 {
				t.Fatalf("stored %d reports, want 2 (refusals store nothing)", n)
			}
		})
		t.Run("revoked by another collector", func(t *testing.T) {
			// An agent this collector authenticated lately is revoked
			// through the shared database, as another collector does:
			// its next report is refused inside the transaction that
			// would store it (PostgreSQL authenticates uploads from
			// memory), and its credential is forgotten.
			id, cred := f.enrol("GAJ")
			first, _ := json.Marshal(scanReport(id, ""))
			if r := f.do("POST", "/api/v1/reports", first, bearer(cred)); r.status != 202 {
				t.Fatalf("upload before the revocation: %d %s", r.status, r.body)
			}
			if _, err := db.Exec(ctx, `UPDATE agents SET revoked = 1 WHERE id = ?`, id); err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				rep := scanReport(id, "")
				b, _ := json.Marshal(rep)
				if r := f.do("POST", "/api/v1/reports", b, bearer(cred)); r.status != 401 {
					t.Fatalf("upload %d after the revocation: %d %s, want 401", i+1, r.status, r.body)
				}
				var n int
				if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM reports WHERE report_id = ?`, rep.ReportID).Scan(&n); err != nil || n != 0 {
					t.Fatalf("a revoked agent's report stored: %d %v", n, err)
				}
			}
		})
		t.Run("same id from another agent of the same id is a conflict", func(t *testing.T) {
			// gaj agent reusing czj's report id with its own agent id: 409.
			stolen := *rep
			stolen.Agent.ID = gajAgent
			sb, _ := json.Marshal(&stolen)
			if r := f.do("POST", "/api/v1/reports", sb, bearer(gajCred)); r.status != 409 {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})

		t.Run("user routes and department scoping", func(t *testing.T) {
			tests := []struct {
				name, user, path string
				status           int
				want             string
			}{
				{"no auth", "", "/api/v1/endpoints", 401, ""},
				{"admin sees all departments", "admin", "/api/v1/departments", 200, `"GAJ"`},
				{"dept-admin sees own department only", "czj", "/api/v1/departments", 200, `[{"code":"CZJ","name":"区财政局"}]`},
				{"dept-admin endpoints default to own", "czj", "/api/v1/endpoints", 200, `"10.1.0.10"`},
				{"dept-admin other department", "czj", "/api/v1/endpoints?department=GAJ", 403, ""},
				{"unknown department", "admin", "/api/v1/reports?department=XXX", 404, ""},
				{"reports of a department", "aud", "/api/v1/reports?department=CZJ", 200, rep.ReportID},
				{"bad limit", "admin", "/api/v1/reports?limit=0", 400, ""},
				{"agents", "admin", "/api/v1/agents?department=GAJ", 200, gajAgent},
				{"NUL in department", "admin", "/api/v1/endpoints?department=C%00J", 400, ""},
			}
			for _, tc := range tests {
				var h map[string]string
				if tc.user != "" {
					h = basic(tc.user)
				}
				r := f.do("GET", tc.path, nil, h)
				if r.status != tc.status || !strings.Contains(string(r.body), tc.want) {
					t.Errorf("%s: %d %s, want %d with %q", tc.name, r.status, r.body, tc.status, tc.want)
				}
			}
		})

		t.Run("hostile basic auth name is a 401, not a 500", func(t *testing.T) {
			req, _ := http.NewRequest("GET", "/", nil)
			req.SetBasicAuth("ad\x00min\xff", password)
			if r := f.do("GET", "/api/v1/me", nil, map[string]string{"Authorization": req.Header.Get("Authorization")}); r.status != 401 {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
		t.Run("extension routes", func(t *testing.T) {
			f.srv.UserRoute("GET /api/v1/ext", []string{auth.RoleAuditor}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				u, _ := auth.UserFrom(r.Context())
				respond.JSON(w, 200, map[string]string{"user": u.Name})
			}))
			f.srv.Handle("GET /ui/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { respond.JSON(w, 200, "ui") }))
			if r := f.do("GET", "/api/v1/ext", nil, basic("aud")); r.status != 200 || !strings.Contains(string(r.body), `"aud"`) {
				t.Fatalf("allowed role: %d %s", r.status, r.body)
			}
			if r := f.do("GET", "/api/v1/ext", nil, basic("admin")); r.status != 403 {
				t.Fatalf("other role: %d %s", r.status, r.body)
			}
			if r := f.do("GET", "/ui/x", nil, nil); r.status != 200 {
				t.Fatalf("public route: %d", r.status)
			}
			f.srv.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { respond.JSON(w, 200, "catch-all") }))
			if r := f.do("GET", "/api/v1/unknown", nil, nil); r.status != 404 {
				t.Fatalf("unknown API route under a catch-all: %d %s", r.status, r.body)
			}
			if r := f.do("GET", "/index.html", nil, nil); r.status != 200 {
				t.Fatalf("catch-all: %d", r.status)
			}
		})

		t.Run("login session cookie and lockout", func(t *testing.T) {
			r := f.do("POST", "/api/v1/login", []byte(`{"name":"czj","password":"`+password+`"}`), jsonCT)
			if r.status != 200 {
				t.Fatalf("login: %d %s", r.status, r.body)
			}
			sc := r.header.Get("Set-Cookie")
			for _, w := range []string{SessionCookie + "=", "HttpOnly", "SameSite=Strict"} {
				if !strings.Contains(sc, w) {
					t.Errorf("cookie %q lacks %s", sc, w)
				}
			}
			if strings.Contains(sc, "Secure") {
				t.Errorf("cookie marked Secure without TLS: %q", sc)
			}
			cookie := strings.SplitN(sc, ";", 2)[0]
			if r := f.do("GET", "/api/v1/me", nil, map[string]string{"Cookie": cookie}); r.status != 200 || !strings.Contains(string(r.body), `"dept-admin"`) {
				t.Fatalf("session: %d %s", r.status, r.body)
			}
			f.srv.UserRoute("POST /api/v1/ext-write", auth.Roles, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { respond.JSON(w, 200, "written") }))
			if r := f.do("POST", "/api/v1/ext-write", nil, map[string]string{"Cookie": cookie, "Origin": "https://evil.example"}); r.status != 403 {
				t.Fatalf("cross-origin POST with the session cookie: %d", r.status)
			}
			if r := f.do("POST", "/api/v1/ext-write", nil, map[string]string{"Cookie": cookie, "Origin": f.ts.URL}); r.status != 200 {
				t.Fatalf("same-origin POST: %d %s", r.status, r.body)
			}
			if r := f.do("POST", "/api/v1/logout", nil, map[string]string{"Cookie": cookie}); r.status != 200 {
				t.Fatalf("logout: %d", r.status)
			}
			if r := f.do("GET", "/api/v1/me", nil, map[string]string{"Cookie": cookie}); r.status != 401 {
				t.Fatalf("after logout: %d", r.status)
			}
			for i := 0; i < 2; i++ {
				if r := f.do("POST", "/api/v1/login", []byte(`{"name":"aud","password":"wrong"}`), jsonCT); r.status != 401 {
					t.Fatalf("bad password %d: %d", i, r.status)
				}
			}
			locked := f.do("POST", "/api/v1/login", []byte(`{"name":"aud","password":"wrong"}`), jsonCT)
			if locked.status != 401 {
				t.Fatalf("third failure locks, and answers like any refusal: %d %s", locked.status, locked.body)
			}
			if r := f.do("GET", "/api/v1/me", nil, basic("aud")); r.status != 401 {
				t.Fatalf("basic auth from the locked address: %d", r.status)
			}
			// Locked and unknown accounts get the same answer.
			for i := 0; i < 3; i++ {
				unknown := f.do("POST", "/api/v1/login", []byte(`{"name":"nobody","password":"wrong"}`), jsonCT)
				if unknown.status != locked.status || string(unknown.body) != string(locked.body) {
					t.Fatalf("unknown account answered %d %s, locked one %d %s", unknown.status, unknown.body, locked.status, locked.body)
				}
			}
			lockedRight := f.do("POST", "/api/v1/login", []byte(`{"name":"aud","password":"`+password+`"}`), jsonCT)
			if lockedRight.status != locked.status || string(lockedRight.body) != string(locked.body) {
				t.Fatalf("right password from the locked address: %d %s", lockedRight.status, lockedRight.body)
			}
		})

		t.Run("every action audited and chain intact", func(t *testing.T) {
			if err := f.srv.FlushAudit(ctx); err != nil {
				t.Fatal(err)
			}
			entries, err := f.audit.List(ctx, time.Time{}, 0)
			if err != nil {
				t.Fatal(err)
			}
			actions := map[string]int{}
			for _, e := range entries {
				actions[e.Action+"/"+e.Outcome]++
			}
			for _, want := range []string{"agent.enroll/ok", "agent.enroll/denied", "report.upload/ok", "report.upload/denied", "login/ok", "login/denied", "logout/ok", "http GET /api/v1/endpoints/ok", "http GET /api/v1/endpoints/denied"} {
				if actions[want] == 0 {
					t.Errorf("no audit entry %s (have %v)", want, actions)
				}
			}
			if res, err := f.audit.Verify(ctx); err != nil || res.Broken != nil {
				t.Fatalf("verify: %+v %v", res, err)
			}
		})
	})
}

// Concurrent uploads: the same report from several connections is stored
// once (one 202, the rest 200), and reports with overlapping endpoints in
// opposite orders all commit (no deadlock between endpoint row locks).
func TestConcurrentUploads(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		// One agent racing itself here: lift the per-agent bound.
		f := newFixture(t, db, func(d *Deps) { d.UploadsPerAgent = 16 })
		agentID, cred := f.enrol("CZJ")
		hdr := map[string]string{"Authorization": "Bearer " + cred}
		same, _ := json.Marshal(scanReport(agentID, "CZJ"))
		var bodies [][]byte
		for i := 0; i < 6; i++ {
			bodies = append(bodies, same)
		}
		for i := 0; i < 6; i++ {
			r := scanReport(agentID, "")
			r.Endpoints = nil
			for j := 1; j <= 20; j++ {
				n := j
				if i%2 == 1 {
					n = 21 - j
				}
				r.Endpoints = append(r.Endpoints, wire.Endpoint{IP: fmt.Sprintf("10.1.0.%d", n), SeenBy: []string{"icmp"}, Role: "unknown"})
			}
			b, _ := json.Marshal(r)
			bodies = append(bodies, b)
		}
		statuses := make([]int, len(bodies))
		var wg sync.WaitGroup
		for i, b := range bodies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("POST", f.ts.URL+"/api/v1/reports", bytes.NewReader(b))
				for k, v := range hdr {
					req.Header.Set(k, v)
				}
				res, err := f.ts.Client().Do(req)
				if err != nil {
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				statuses[i] = res.StatusCode
			}()
		}
		wg.Wait()
		count := map[int]int{}
		for _, s := range statuses[:6] {
			count[s]++
		}
		if count[202] != 1 || count[200] != 5 {
			t.Fatalf("same report x6: statuses %v, want one 202 and five 200", statuses[:6])
		}
		for i, s := range statuses[6:] {
			if s != 202 {
				t.Fatalf("distinct report %d: status %d (all: %v)", i, s, statuses)
			}
		}
		if n, _ := f.inv.CountReports(context.Background(), ""); n != 7 {
			t.Fatalf("stored %d reports, want 7", n)
		}
		if res, err := f.audit.Verify(context.Background()); err != nil || res.Broken != nil {
			t.Fatalf("audit chain after concurrent appends: %+v %v", res, err)
		}
	})
}

// An agent of a department the collector's plan lacks is refused (403,
// which the agent takes as final) before its body is read, and nothing
// is stored; a token of that department issued before enrols nobody and
// is not used up; once the plan has the department again its reports are
// taken and the token enrols.
func TestUploadFromDepartmentNotInPlan(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		var gajInPlan atomic.Bool
		inPlan := func(dept string) bool { return dept == "CZJ" || (dept == "GAJ" && gajInPlan.Load()) }
		f := newFixture(t, db, func(d *Deps) { d.InPlan = inPlan })
		ctx := context.Background()
		agent, cred := f.enrol("GAJ") // enrolled while GAJ was in the plan
		f.auth.SetInPlan(inPlan)
		tok, _, err := f.auth.CreateToken(ctx, "GAJ", time.Hour, 1, auth.Actor{Kind: auditlog.KindOperator, Name: "test"})
		if err != nil {
			t.Fatal(err)
		}
		enrolBody, _ := json.Marshal(map[string]string{"token": tok, "hostname": "late", "agent_version": "1.0"})
		if r := f.do("POST", "/api/v1/agents/enroll", enrolBody, nil); r.status != 403 || !strings.Contains(string(r.body), "no longer in the plan") {
			t.Fatalf("enrolment with a token of a department not in the plan: %d %s, want 403", r.status, r.body)
		}
		if agents, err := f.auth.Agents(ctx, "GAJ"); err != nil || len(agents) != 1 {
			t.Fatalf("agents of GAJ after the refused enrolment: %d %v, want the one enrolled before", len(agents), err)
		}
		hdr := map[string]string{"Authorization": "Bearer " + cred}
		body, _ := json.Marshal(scanReport(agent, ""))
		if r := f.do("POST", "/api/v1/reports", body, hdr); r.status != 403 || !strings.Contains(string(r.body), "no longer in the plan") ||
			!strings.Contains(string(r.body), "GAJ") {
			t.Fatalf("upload from a department not in the plan: %d %s, want 403 naming it", r.status, r.body)
		}
		// refused before the body is read: also when it is too large,
		// and at once when it comes slowly (the connection closes rather
		// than the server reading the body to its end first)
		big := bytes.Repeat([]byte(" "), 70<<10)
		if r := f.do("POST", "/api/v1/reports", big, hdr); r.status != 403 {
			t.Errorf("oversized upload from a department not in the plan: %d %s, want 403", r.status, r.body)
		}
		pr, pw := io.Pipe()
		defer pw.Close()
		req, _ := http.NewRequest("POST", f.ts.URL+"/api/v1/reports", pr)
		req.ContentLength = 60000
		req.Header.Set("Authorization", "Bearer "+cred)
		answered := make(chan int, 1)
		go func() {
			res, err := f.ts.Client().Do(req)
			if err != nil {
				answered <- -1
				return
			}
			res.Body.Close()
			answered <- res.StatusCode
		}()
		go pw.Write([]byte(`{"schema":`)) // and nothing more
		select {
		case status := <-answered:
			if status != 403 {
				t.Errorf("slow upload from a department not in the plan: %d, want 403", status)
			}
		case <-time.After(time.Minute): // not a timing assertion: only stops a hang
			t.Error("slow upload from a department not in the plan: no answer while its body was still coming")
		}
		if n, _ := f.inv.CountReports(ctx, ""); n != 0 {
			t.Fatalf("stored %d reports, want none", n)
		}
		gajInPlan.Store(true)
		if r := f.do("POST", "/api/v1/reports", body, hdr); r.status != 202 {
			t.Fatalf("upload once the plan has the department: %d %s, want 202", r.status, r.body)
		}
		if r := f.do("POST", "/api/v1/agents/enroll", enrolBody, nil); r.status != 200 {
			t.Fatalf("the same single-use token once the plan has the department: %d %s, want 200 (not used up by the refusal)", r.status, r.body)
		}
	})
}
