package lifecycle

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

func cloneReport(t *testing.T, r *wire.ScanReport, id string, fin time.Time) *wire.ScanReport {
	t.Helper()
	b, _ := json.Marshal(r)
	var c wire.ScanReport
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	c.ReportID, c.FinishedAt, c.StartedAt = id, fin, fin.Add(-10*time.Minute)
	return &c
}

// withoutExit removes RSJ's carrier line: interface, route, neighbour, path.
func withoutExit(r *wire.ScanReport) {
	d := &r.Devices[0]
	d.IPAddresses = d.IPAddresses[:2]
	d.Routes = []wire.Route{{Destination: "0.0.0.0/0", NextHop: "10.255.0.9", IfIndex: 2, Protocol: 3}, {Destination: "10.3.0.0/24", NextHop: "0.0.0.0", IfIndex: 1, Protocol: 2}}
	d.Neighbors = d.Neighbors[1:]
	r.Paths = []wire.Path{{Target: "203.0.113.10", Kind: "internet", Reachable: true, Hops: []wire.Hop{{TTL: 1, Address: "10.3.0.1"}, {TTL: 2, Address: "10.255.0.9"}, {TTL: 3, Address: "198.51.100.1"}, {TTL: 4, Address: "203.0.113.10"}}}}
}

// TestProcessorLifecycle feeds the collector's ingest path: the exit is
// found, the line is removed, and three scans later the finding resolves.
func TestProcessorLifecycle(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := districtEngine(t)
		st := NewStore(db)
		p := NewProcessor(e, st, 3, nil)
		base := loadReports(t, "rsj")[0]
		exitID := rules.ViolationID("RSJ", wire.RuleInternetEgress, "203.0.113.65")
		start := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)

		r1 := cloneReport(t, base, "6f1c2a10-0003-4c00-8000-0000000000a1", start)
		if err := file(ctx, p, r1, "RSJ"); err != nil {
			t.Fatal(err)
		}
		if err := file(ctx, p, r1, "RSJ"); err != nil { // a retry is harmless
			t.Fatal(err)
		}
		v, err := st.Get(ctx, exitID)
		if err != nil || v.Status != wire.StatusOpen || v.Severity != wire.SeverityCritical || !v.FirstSeen.Equal(start) {
			t.Fatalf("after the first scan: %+v %v", v, err)
		}
		for i := 1; i <= 3; i++ {
			r := cloneReport(t, base, fmt.Sprintf("6f1c2a10-0003-4c00-8000-0000000000b%d", i), start.Add(time.Duration(i)*24*time.Hour))
			withoutExit(r)
			if err := file(ctx, p, r, "RSJ"); err != nil {
				t.Fatal(err)
			}
			want := wire.StatusOpen
			if i == 3 {
				want = wire.StatusResolved
			}
			if s := statusOf(t, st, exitID); s != want {
				t.Fatalf("after clean scan %d: %s, want %s", i, s, want)
			}
		}
		evs, _ := st.Events(ctx, exitID)
		if last := evs[len(evs)-1]; !last.At.Equal(start.Add(72*time.Hour)) || last.ActorKind != ActorScan {
			t.Errorf("resolution event %+v, want the third clean scan's finished_at", last)
		}
		// The servers and the website stay open throughout.
		vs, _ := st.List(ctx, Filter{Department: "RSJ", Status: wire.StatusOpen})
		if len(vs) != 4 {
			t.Errorf("open RSJ findings = %d, want 4 (3 local servers, 1 website): %+v", len(vs), vs)
		}
		// A late import of an older scan lands in the past.
		old := cloneReport(t, base, "6f1c2a10-0003-4c00-8000-0000000000c1", start.Add(-30*24*time.Hour))
		if err := file(ctx, p, old, "RSJ"); err != nil {
			t.Fatal(err)
		}
		v, _ = st.Get(ctx, exitID)
		if v.Status != wire.StatusResolved || !v.FirstSeen.Equal(start.Add(-30*24*time.Hour)) {
			t.Errorf("after the backfill: status %s first_seen %s", v.Status, v.FirstSeen)
		}
	})
}

// TestProcessorCachesOnlyLatest: the decoded-report cache holds one report
// per agent, the latest, and an older scan imported late does not evict it
// (by report id it grew by one report per upload: 0.5 MiB per report).
func TestProcessorCachesOnlyLatest(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := NewProcessor(districtEngine(t), NewStore(db), 3, nil)
		base := loadReports(t, "rsj")[0]
		start := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
		var last string
		for i := 1; i <= 4; i++ {
			last = fmt.Sprintf("6f1c2a10-0003-4c00-8000-0000000000c%d", i)
			if err := file(ctx, p, cloneReport(t, base, last, start.Add(time.Duration(i)*time.Hour)), "RSJ"); err != nil {
				t.Fatal(err)
			}
		}
		old := cloneReport(t, base, "6f1c2a10-0003-4c00-8000-0000000000d1", start)
		if err := file(ctx, p, old, "RSJ"); err != nil {
			t.Fatal(err)
		}
		if n := len(p.cache); n != 1 {
			t.Fatalf("cache holds %d reports, want 1 (the agent's latest)", n)
		}
		for _, c := range p.cache {
			if c.id != last {
				t.Fatalf("cached %s, want the latest %s", c.id, last)
			}
		}
	})
}
