package devices_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/egovnet/egovnet/collector/api"
	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/devices"
	"github.com/egovnet/egovnet/collector/ingest"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/paging"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/collector/topology"
	"github.com/egovnet/egovnet/internal/wire"
)

const password = "Zq7!mcWx"

// apiFixture is the real API with the device routes mounted as the
// collector mounts them, and one CZJ report with two devices and twelve
// endpoints ingested through the ingester and this package's processor.
func apiFixture(t *testing.T, db *store.DB) *httptest.Server {
	ctx := context.Background()
	inv := inventory.New(db)
	if err := inv.SyncDepartments(ctx, []inventory.Department{{Code: "CZJ", Name: "区财政局"}, {Code: "GAJ", Name: "区公安分局"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	audit := auditlog.New(db)
	as := auth.NewService(db, audit, auth.Options{MaxLoginFailures: 3, LockoutDuration: time.Hour, SessionTTL: time.Hour})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ing := ingest.New(db, audit, log)
	st := devices.NewStore(db)
	ing.Use(devices.NewProcessor(st))
	srv := api.New(api.Deps{DB: db, Auth: as, Inventory: inv, Ingester: ing, Audit: audit, Logger: log})
	(&devices.Handlers{Store: st, Department: srv.Department, Log: log}).Mount(srv.UserRoute)
	srv.SetLocator(st)
	(&topology.Handler{Department: srv.Department, Log: log, Sources: topology.Sources{
		Devices: st.Inventories,
		Endpoints: func(ctx context.Context, dept string) ([]inventory.Endpoint, error) {
			eps, _, err := inv.EndpointsPage(ctx, dept, paging.Page{Limit: 1000})
			return eps, err
		},
		Locate:     st.Locate,
		Violations: func(context.Context, string) ([]wire.Violation, error) { return nil, nil },
	}}).Mount(srv.UserRoute)
	op := auth.Actor{Kind: auditlog.KindOperator, Name: "test"}
	for _, u := range []auth.User{{Name: "admin", Role: auth.RoleSysAdmin}, {Name: "czj", Role: auth.RoleDeptAdmin, Department: "CZJ"},
		{Name: "gaj", Role: auth.RoleDeptAdmin, Department: "GAJ"}, {Name: "aud", Role: auth.RoleAuditor}, {Name: "view", Role: auth.RoleViewer}} {
		if err := as.AddUser(ctx, u, password, op); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC().Truncate(time.Second)
	rep := &wire.ScanReport{Schema: wire.SchemaScanV1, ReportID: uuid.NewString(), Agent: wire.Agent{ID: "a1", Hostname: "probe", Department: "CZJ"},
		StartedAt: now.Add(-time.Minute), FinishedAt: now, Scope: []string{"10.1.0.0/24"},
		Devices: []wire.DeviceInventory{fixtureSwitch(), fixtureRouter()}}
	// .2, .9, .10, .11, .100 ...: text order would differ from address order.
	for _, last := range []int{100, 9, 10, 2, 11, 20, 30, 40, 50, 60, 70, 80} {
		e := wire.Endpoint{IP: fmt.Sprintf("10.1.0.%d", last), SeenBy: []string{"arp"}, Role: "workstation", OpenPorts: []int{}, HTTP: []wire.HTTPInfo{}}
		if last == 10 {
			e.MAC, e.Hostname = "00:11:22:33:44:55", "czj-pc-finance"
		}
		rep.Endpoints = append(rep.Endpoints, e)
	}
	res, err := ing.Ingest(ctx, rep, "CZJ", ingest.Source{Kind: inventory.SourceImport, AgentID: "a1", Actor: auditlog.Entry{ActorKind: auditlog.KindOperator, Actor: "test"}})
	if err != nil || len(res.ProcessErrors) > 0 {
		t.Fatalf("ingest: %v %v", err, res.ProcessErrors)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts
}

func get(t *testing.T, ts *httptest.Server, user, path string, into any) (int, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", ts.URL+path, nil)
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if into != nil && res.StatusCode == 200 {
		if err := json.Unmarshal(b, into); err != nil {
			t.Fatalf("%s: %v: %s", path, err, b)
		}
	}
	return res.StatusCode, res.Header
}

func TestDeviceAndEndpointRoutes(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ts := apiFixture(t, db)
		var list []map[string]any
		tests := []struct {
			name, user, path string
			status, n, total int
		}{
			{"anonymous", "", "/api/v1/devices", 401, 0, 0},
			{"sysadmin all", "admin", "/api/v1/devices", 200, 2, 2},
			{"auditor department", "aud", "/api/v1/devices?department=CZJ", 200, 2, 2},
			{"viewer", "view", "/api/v1/devices?department=CZJ", 200, 2, 2},
			{"dept-admin defaults to own", "czj", "/api/v1/devices", 200, 2, 2},
			{"dept-admin of another department sees none", "gaj", "/api/v1/devices", 200, 0, 0},
			{"dept-admin refused other department", "gaj", "/api/v1/devices?department=CZJ", 403, 0, 0},
			{"unknown department", "admin", "/api/v1/devices?department=XXX", 404, 0, 0},
			{"page", "admin", "/api/v1/devices?limit=1&offset=1", 200, 1, 2},
			{"q on serial", "admin", "/api/v1/devices?q=foc1234", 200, 1, 1},
			{"bad limit", "admin", "/api/v1/devices?limit=0", 400, 0, 0},
			{"bad offset", "admin", "/api/v1/devices?offset=-1", 400, 0, 0},
			{"endpoints page", "admin", "/api/v1/endpoints?department=CZJ&limit=5&offset=5", 200, 5, 12},
			{"endpoints q", "czj", "/api/v1/endpoints?q=FINANCE", 200, 1, 1},
			{"endpoints q on address", "aud", "/api/v1/endpoints?q=10.1.0.1", 200, 3, 3}, // .10 .11 .100
			{"reports page", "admin", "/api/v1/reports?limit=1", 200, 1, 1},
			{"agents page", "admin", "/api/v1/agents?q=nothing", 200, 0, 0},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				list = nil
				st, h := get(t, ts, tc.user, tc.path, &list)
				if st != tc.status {
					t.Fatalf("status %d, want %d", st, tc.status)
				}
				if st != 200 {
					return
				}
				if len(list) != tc.n || h.Get("X-Total-Count") != fmt.Sprint(tc.total) {
					t.Errorf("%d rows, X-Total-Count %q; want %d and %d", len(list), h.Get("X-Total-Count"), tc.n, tc.total)
				}
			})
		}

		t.Run("endpoints in address order with locations", func(t *testing.T) {
			var eps []struct {
				IP       string            `json:"ip"`
				Location *devices.Location `json:"location"`
				Raw      map[string]any    `json:"-"`
			}
			get(t, ts, "admin", "/api/v1/endpoints?department=CZJ&limit=5", &eps)
			var ips []string
			for _, e := range eps {
				ips = append(ips, e.IP)
			}
			if got := strings.Join(ips, " "); got != "10.1.0.2 10.1.0.9 10.1.0.10 10.1.0.11 10.1.0.20" {
				t.Errorf("order: %s", got)
			}
			if eps[2].Location == nil || eps[2].Location.Port != "Gi0/1" || eps[2].Location.Device != "czj-sw1" || eps[2].Location.VLAN != 10 {
				t.Errorf("10.1.0.10 location: %+v", eps[2].Location)
			}
			if eps[0].Location != nil {
				t.Errorf("10.1.0.2 has no MAC, location must be null: %+v", eps[0].Location)
			}
			var desc []map[string]any
			get(t, ts, "admin", "/api/v1/endpoints?department=CZJ&limit=1&sort=-ip", &desc)
			if len(desc) != 1 || desc[0]["ip"] != "10.1.0.100" {
				t.Errorf("sort=-ip: %v", desc)
			}
			var raw []map[string]any
			get(t, ts, "admin", "/api/v1/endpoints?department=CZJ&limit=1", &raw)
			if _, ok := raw[0]["location"]; !ok {
				t.Error("location key absent (must be null when unknown)")
			}
		})

		t.Run("device detail and scoping", func(t *testing.T) {
			var ds []devices.Summary
			get(t, ts, "admin", "/api/v1/devices?q=czj-sw1", &ds)
			if len(ds) != 1 {
				t.Fatalf("devices: %+v", ds)
			}
			var d map[string]any
			if st, _ := get(t, ts, "czj", "/api/v1/devices/"+ds[0].ID, &d); st != 200 {
				t.Fatalf("own department device: %d", st)
			}
			for _, k := range []string{"id", "department", "first_seen", "last_seen", "history", "interfaces", "fdb", "vlans", "entities", "vrfs", "system", "routes", "neighbors"} {
				if _, ok := d[k]; !ok {
					t.Errorf("device detail lacks %q", k)
				}
			}
			if h, _ := d["history"].([]any); len(h) != 1 {
				t.Errorf("history: %v", d["history"])
			}
			if st, _ := get(t, ts, "gaj", "/api/v1/devices/"+ds[0].ID, nil); st != 404 {
				t.Errorf("other department's device: %d, want 404", st)
			}
			if st, _ := get(t, ts, "admin", "/api/v1/devices/doesnotexist", nil); st != 404 {
				t.Errorf("unknown device: %d", st)
			}
		})

		t.Run("topology scoping", func(t *testing.T) {
			for _, tc := range []struct {
				user, path string
				status     int
			}{
				{"czj", "/api/v1/topology", 200}, {"aud", "/api/v1/topology?department=CZJ", 200},
				{"gaj", "/api/v1/topology?department=CZJ", 403}, {"admin", "/api/v1/topology", 400}, {"", "/api/v1/topology?department=CZJ", 401},
			} {
				var g topology.Graph
				if st, _ := get(t, ts, tc.user, tc.path, &g); st != tc.status {
					t.Errorf("%s %s: %d, want %d", tc.user, tc.path, st, tc.status)
				} else if st == 200 {
					edges := map[string]bool{}
					for _, e := range g.Edges {
						edges[e.From+" "+e.Kind+" "+e.To] = true
					}
					if len(g.Nodes) < 4 || !edges["device:"+devices.ID("CZJ", devices.Identity(ptr(fixtureSwitch())))+" fdb endpoint:10.1.0.10"] {
						t.Errorf("map lacks the located PC: %+v", g)
					}
				}
			}
		})

		t.Run("endpoint history", func(t *testing.T) {
			var h devices.EndpointHistory
			if st, _ := get(t, ts, "czj", "/api/v1/endpoints/history?ip=10.1.0.10", &h); st != 200 || h.MAC != "00:11:22:33:44:55" || len(h.Addresses) != 1 {
				t.Errorf("by ip: %d %+v", st, h)
			}
			if st, _ := get(t, ts, "aud", "/api/v1/endpoints/history?department=CZJ&mac=00-11-22-33-44-55", &h); st != 200 || len(h.Addresses) != 1 {
				t.Errorf("by mac: %d %+v", st, h)
			}
			if st, _ := get(t, ts, "gaj", "/api/v1/endpoints/history?department=CZJ&ip=10.1.0.10", nil); st != 403 {
				t.Errorf("other department: %d", st)
			}
			if st, _ := get(t, ts, "admin", "/api/v1/endpoints/history?department=CZJ&ip=10.1.0.99", nil); st != 404 {
				t.Errorf("unknown address: %d", st)
			}
		})
	})
}

func ptr[T any](v T) *T { return &v }
