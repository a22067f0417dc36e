package inventory_test

import (
	"context"
	"net/netip"
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
	})
}
