package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/api"
	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/ingest"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
	"github.com/google/uuid"
)

// TestCollectorWiring runs the ledger inside the real collector pieces: a
// report goes through ingest.Ingester (the ledger's processor records it),
// and the routes are mounted with api.Server.UserRoute, so authentication
// (HTTP Basic), roles, department limits and the audit log are the real ones.
func TestCollectorWiring(t *testing.T) {
	xp := recordedDevice(t, "snmpsim-data/ssd-windows-xp.snmprec", "10.1.0.21:161")
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		inv := inventory.New(db)
		if err := inv.SyncDepartments(ctx, []inventory.Department{{Code: "CZJ", Name: "区财政局"}, {Code: "GAJ", Name: "区公安分局"}}, time.Now()); err != nil {
			t.Fatal(err)
		}
		audit := auditlog.New(db)
		as := auth.NewService(db, audit, auth.Options{MaxLoginFailures: 3, LockoutDuration: time.Hour, SessionTTL: time.Hour})
		ing := ingest.New(db, audit, log)
		s := New(db, newStore(db).cat)
		ing.Use(NewProcessor(s))
		srv := api.New(api.Deps{DB: db, Auth: as, Inventory: inv, Ingester: ing, Audit: audit, Logger: log, MaxReportBytes: 8 << 20, MaxRequestBytes: 1 << 20})
		h := NewHandlers(s)
		h.DepartmentExists, h.Logger = inv.DepartmentExists, log
		h.Mount(srv.UserRoute)
		const pw = "Zq7!mcWx"
		op := auth.Actor{Kind: auditlog.KindOperator, Name: "test"}
		for _, u := range []auth.User{{Name: "admin", Role: auth.RoleSysAdmin}, {Name: "czj", Role: auth.RoleDeptAdmin, Department: "CZJ"}, {Name: "gaj", Role: auth.RoleDeptAdmin, Department: "GAJ"}} {
			if err := as.AddUser(ctx, u, pw, op); err != nil {
				t.Fatal(err)
			}
		}
		ts := httptest.NewServer(srv)
		t.Cleanup(ts.Close)

		rep := report(uuid.NewString(), "CZJ", time.Now().UTC().Truncate(time.Second), []wire.DeviceInventory{xp}, nil)
		rep.Scope = []string{"10.1.0.0/24"}
		res, err := ing.Ingest(ctx, rep, "CZJ", ingest.Source{Kind: inventory.SourceImport, AgentID: rep.Agent.ID, Actor: auditlog.Entry{ActorKind: auditlog.KindOperator, Actor: "test"}})
		if err != nil || !res.Stored || len(res.ProcessErrors) > 0 {
			t.Fatalf("ingest: %+v %v", res, err)
		}
		call := func(user, method, path string, body any) (int, []byte) {
			var rd io.Reader
			if body != nil {
				b, _ := json.Marshal(body)
				rd = bytes.NewReader(b)
			}
			req, _ := http.NewRequest(method, ts.URL+path, rd)
			if user != "" {
				req.SetBasicAuth(user, pw)
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, b
		}
		if code, _ := call("", "GET", "/api/v1/software", nil); code != http.StatusUnauthorized {
			t.Errorf("anonymous: %d", code)
		}
		var sws []Software
		code, body := call("czj", "GET", "/api/v1/software", nil)
		_ = json.Unmarshal(body, &sws)
		if code != http.StatusOK || len(sws) != 3 {
			t.Fatalf("software: %d %s", code, body)
		}
		if code, body := call("gaj", "GET", "/api/v1/software", nil); code != http.StatusOK || string(bytes.TrimSpace(body)) != "[]" {
			t.Errorf("GAJ sees CZJ software: %d %s", code, body)
		}
		if code, _ := call("czj", "POST", "/api/v1/licenses", map[string]any{"product": "ms-office", "seats": 1, "department": "CZJ", "filing_status": "filed"}); code != http.StatusCreated {
			t.Errorf("create licence: %d", code)
		}
		if code, _ := call("czj", "POST", "/api/v1/licenses", map[string]any{"product": "windows", "seats": 1, "department": "GAJ"}); code != http.StatusForbidden {
			t.Errorf("CZJ creating GAJ's licence: %d", code)
		}
		installs, unlicensed, rate, _, err := s.Compliance(ctx, "CZJ")
		if err != nil || installs != 3 || unlicensed != 1 || rate < 0.66 || rate > 0.67 {
			t.Errorf("compliance = %d %d %.2f %v", installs, unlicensed, rate, err)
		}
		// the audit log recorded the API calls (UserRoute does it)
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action LIKE '%licenses%' OR target LIKE '%licenses%'`).Scan(&n); err != nil {
			t.Logf("audit log check skipped: %v", err)
		} else if n == 0 {
			t.Error("no audit entries for the licence calls")
		}
	})
}
