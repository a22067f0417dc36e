package inventory_test

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

func TestCountsUseLatestScanPerAgent(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		inv := inventory.New(db)
		if err := inv.SyncDepartments(ctx, []inventory.Department{{Code: "CZJ", Name: "区财政局"}}, time.Now()); err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
		put := func(id, agent string, at time.Time, eps []wire.Endpoint) {
			t.Helper()
			err := db.InTx(ctx, func(tx *store.Tx) error {
				meta := inventory.Report{ReportID: id, AgentID: agent, Department: "CZJ", Source: "upload",
					StartedAt: at.Add(-time.Minute), FinishedAt: at, ReceivedAt: at, Endpoints: len(eps)}
				if _, _, err := inventory.InsertReport(ctx, tx, meta, []byte("{}")); err != nil {
					return err
				}
				return inventory.UpsertEndpoints(ctx, tx, "CZJ", id, agent, at, eps)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		srv := func(ip string) wire.Endpoint {
			return wire.Endpoint{IP: ip, Role: wire.RoleServer, SeenBy: []string{"icmp"}}
		}
		ws := func(ip string) wire.Endpoint {
			return wire.Endpoint{IP: ip, Role: wire.RoleWorkstation, SeenBy: []string{"icmp"}}
		}
		// Agent a1 first saw two servers, then only one: the other is gone.
		put("r1", "a1", t0, []wire.Endpoint{srv("10.1.0.10"), srv("10.1.0.11"), ws("10.1.0.50")})
		put("r2", "a1", t0.Add(time.Hour), []wire.Endpoint{srv("10.1.0.10"), ws("10.1.0.50")})
		// Agent a2 scans the cloud-hosted server of the department.
		put("r3", "a2", t0.Add(30*time.Minute), []wire.Endpoint{srv("10.200.1.5")})
		cloud := []netip.Prefix{netip.MustParsePrefix("10.200.0.0/16")}
		eps, servers, inCloud, err := inv.Counts(ctx, "CZJ", cloud)
		if err != nil {
			t.Fatal(err)
		}
		if eps != 3 || servers != 2 || inCloud != 1 {
			t.Fatalf("Counts = %d endpoints, %d servers, %d in cloud; want 3, 2, 1", eps, servers, inCloud)
		}
		// An offline import of an older scan of a1 does not make it a1's
		// latest: its server is not counted.
		put("r0", "a1", t0.Add(-time.Hour), []wire.Endpoint{srv("10.1.0.99")})
		if eps, servers, inCloud, err = inv.Counts(ctx, "CZJ", cloud); err != nil || eps != 3 || servers != 2 || inCloud != 1 {
			t.Fatalf("after an older import Counts = %d, %d, %d (%v); want 3, 2, 1", eps, servers, inCloud, err)
		}
		// Another scan of a1 finishing at the same instant as r2: both are
		// a1's latest, and what either saw counts.
		put("r2a", "a1", t0.Add(time.Hour), []wire.Endpoint{ws("10.1.0.60")})
		if eps, servers, inCloud, err = inv.Counts(ctx, "CZJ", cloud); err != nil || eps != 4 || servers != 2 || inCloud != 1 {
			t.Fatalf("after a scan at the same time Counts = %d, %d, %d (%v); want 4, 2, 1 (r2's, r2a's and a2's)", eps, servers, inCloud, err)
		}
		// A later scan of a1 replaces both.
		put("r4", "a1", t0.Add(2*time.Hour), []wire.Endpoint{ws("10.1.0.70")})
		if eps, servers, inCloud, err = inv.Counts(ctx, "CZJ", cloud); err != nil || eps != 2 || servers != 1 || inCloud != 1 {
			t.Fatalf("after a later scan Counts = %d, %d, %d (%v); want 2, 1, 1 (r4's and a2's)", eps, servers, inCloud, err)
		}
	})
}

// TestLatestReportsBackfilled: a store made before report_latest existed
// gets it filled from its reports by the migration, with the same answer
// as a store that kept it from the start.
func TestLatestReportsBackfilled(t *testing.T) {
	var before []store.Migration
	for _, m := range store.Registered() {
		if m.ID != "inventory/0004_latest" {
			before = append(before, m)
		}
	}
	if len(before) == len(store.Registered()) {
		t.Fatal("migration inventory/0004_latest is not registered")
	}
	backends := map[string]func(t *testing.T) *store.DB{
		"sqlite": func(t *testing.T) *store.DB {
			db, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "egovnet.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
		"postgres": func(t *testing.T) *store.DB {
			db, err := store.OpenPostgres(context.Background(), storetest.NewPostgresEmptySchema(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := backends[name](t)
			if err := db.MigrateSteps(ctx, before); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(ctx, `INSERT INTO departments (code, name, updated_at) VALUES ('CZJ', 'x', '')`); err != nil {
				t.Fatal(err)
			}
			t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
			for _, r := range []struct {
				id, agent, ip string
				at            time.Time
			}{
				{"r1", "a1", "10.1.0.1", t0},
				{"r2", "a1", "10.1.0.2", t0.Add(time.Hour)},
				{"r3", "a1", "10.1.0.3", t0.Add(time.Hour)}, // same instant as r2: both latest
				{"r4", "a2", "10.1.0.4", t0.Add(-time.Hour)},
			} {
				// rows as an older collector wrote them: no report_latest yet
				if _, err := db.Exec(ctx, `INSERT INTO reports (report_id, agent_id, department, source, started_at, finished_at, received_at, endpoints, processed, process_error, raw)
VALUES (?, ?, 'CZJ', 'upload', ?, ?, ?, 1, 1, '', '{}')`, r.id, r.agent, inventory.SortableTime(r.at), inventory.SortableTime(r.at), inventory.SortableTime(r.at)); err != nil {
					t.Fatal(err)
				}
				if err := db.InTx(ctx, func(tx *store.Tx) error {
					return inventory.UpsertEndpoints(ctx, tx, "CZJ", r.id, r.agent, r.at, []wire.Endpoint{{IP: r.ip, Role: wire.RoleServer, SeenBy: []string{"icmp"}}})
				}); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			eps, servers, _, err := inventory.New(db).Counts(ctx, "CZJ", nil)
			if err != nil || eps != 3 || servers != 3 {
				t.Fatalf("Counts after the migration = %d endpoints, %d servers (%v); want 3, 3 (r2's, r3's and r4's)", eps, servers, err)
			}
		})
	}
}
