package lifecycle

import (
	"context"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/wire"
)

// cutoffEngine judges the district with a pack that has a new-infrastructure
// cutoff (jiangmen-2017), so first sightings decide findings.
func cutoffEngine(t *testing.T) *rules.Engine {
	t.Helper()
	p, err := plan.Load(filepath.Join(rulesTestdata, "district.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p.Packs = []string{"jiangmen-2017"}
	e, err := rules.NewEngine(p)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// walked is a network device reached at target that is not among the
// report's endpoints: only the device inventory knows when it was first seen.
func walked(target, name string) wire.DeviceInventory {
	return wire.DeviceInventory{Target: target, System: wire.System{Name: name, ObjectID: "1.3.6.1.4.1.2011.2.23.1"}}
}

func newInfra(t *testing.T, st *Store, dept string) []string {
	t.Helper()
	vs, err := st.List(context.Background(), Filter{Department: dept, Rule: wire.RuleNewInfrastructure})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range vs {
		if v.Status != wire.StatusResolved {
			out = append(out, v.Subject)
		}
	}
	sort.Strings(out)
	return out
}

// TestFirstSightingsFromStores (issue 11, one copy of the facts): first
// sightings come from the inventory (endpoints) and the device inventory
// (walk targets), not from a table of the lifecycle's own, which the
// migration removes.
func TestFirstSightingsFromStores(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := NewStore(db)
		p := NewProcessor(cutoffEngine(t), st, 3, nil)
		base := loadReports(t, "czj")[0]
		t1 := base.FinishedAt
		r1 := cloneReport(t, base, "6f1c2a10-0011-4c00-8000-000000000001", t1)
		r1.Devices = append(r1.Devices, walked("10.1.0.2:161", "core-2"))
		if err := file(ctx, p, r1, "CZJ"); err != nil {
			t.Fatal(err)
		}
		if got := newInfra(t, st, "CZJ"); len(got) != 0 {
			t.Fatalf("the first scan is the baseline, nothing is new: %v", got)
		}
		r2 := cloneReport(t, base, "6f1c2a10-0011-4c00-8000-000000000002", t1.Add(30*24*time.Hour))
		r2.Devices = append(r2.Devices, walked("10.1.0.2:161", "core-2"), walked("10.1.0.3:161", "core-3"))
		r2.Endpoints = append(r2.Endpoints, wire.Endpoint{IP: "10.1.0.40", Role: wire.RoleServer, OpenPorts: []int{22}})
		if err := file(ctx, p, r2, "CZJ"); err != nil {
			t.Fatal(err)
		}
		// 10.1.0.2 was walked in the first scan: the device inventory's
		// first sighting keeps it out; 10.1.0.3 and the server are new.
		if got, want := newInfra(t, st, "CZJ"), []string{"10.1.0.3", "10.1.0.40"}; !slices.Equal(got, want) {
			t.Errorf("new infrastructure %v, want %v", got, want)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM rules_first_seen`).Scan(&n); err == nil {
			t.Errorf("rules_first_seen still exists (%d rows): the migration should drop it", n)
		}
	})
}
