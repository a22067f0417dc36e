package ingest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// TestBulkReportsChained: an agent's bulk scans, as uploaded, leave the
// endpoints readers see as they would be had every row been rewritten,
// while the rows seen as before are written once. The last scan's
// processor fails, so on PostgreSQL its transaction without savepoints
// fails and runs again with them: the chain must come out of that whole.
func TestBulkReportsChained(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		inv := inventory.New(db)
		if err := inv.SyncDepartments(ctx, []inventory.Department{{Code: "CZJ", Name: "区财政局"}}, time.Now()); err != nil {
			t.Fatal(err)
		}
		in := New(db, auditlog.New(db), slog.New(slog.NewTextHandler(io.Discard, nil)))
		proc := &recorder{name: "rules"}
		in.Use(proc)
		src := Source{Kind: inventory.SourceUpload, AgentID: "agent-1", Actor: auditlog.Entry{ActorKind: auditlog.KindAgent, Actor: "agent-1"}}
		t0 := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
		bulk := func(id string, at time.Time, from, to int, host func(i int) string) *wire.ScanReport {
			rep := report(id, at)
			rep.Scope = []string{"10.1.0.0/20"}
			rep.Endpoints = nil
			for i := from; i < to; i++ {
				rep.Endpoints = append(rep.Endpoints, wire.Endpoint{IP: fmt.Sprintf("10.1.%d.%d", i/200, i%200+1),
					Hostname: host(i), SeenBy: []string{wire.MethodICMP}, Role: wire.RoleWorkstation})
			}
			return rep
		}
		same := func(i int) string { return fmt.Sprint("pc", i) }
		reps := []*wire.ScanReport{
			bulk("11111111-0000-4000-8000-000000000001", t0, 0, 1200, same),
			bulk("11111111-0000-4000-8000-000000000002", t0.Add(time.Hour), 0, 1200, same),
			// the first 100 gone, the next 100 renamed, 100 new
			bulk("11111111-0000-4000-8000-000000000003", t0.Add(2*time.Hour), 100, 1300, func(i int) string {
				if i < 200 {
					return fmt.Sprint("renamed", i)
				}
				return same(i)
			}),
		}
		for i, rep := range reps {
			proc.fail = i == 2
			res, err := in.Ingest(ctx, rep, "CZJ", src)
			if err != nil || !res.Stored || len(res.ProcessErrors) != map[bool]int{false: 0, true: 1}[i == 2] {
				t.Fatalf("ingest %d: %+v %v", i, res, err)
			}
		}
		if db.Dialect == store.Postgres && in.Reruns() == 0 {
			t.Fatal("the failing processor did not run the last scan again with savepoints")
		}
		eps, err := inv.Endpoints(ctx, "CZJ", 5000)
		if err != nil {
			t.Fatal(err)
		}
		if len(eps) != 1300 {
			t.Fatalf("%d endpoints, want 1300", len(eps))
		}
		r2, r3 := reps[1].ReportID, reps[2].ReportID
		for i, e := range eps {
			want := struct {
				host, report string
				last, first  time.Time
			}{same(i), r3, t0.Add(2 * time.Hour), t0}
			switch {
			case i < 100:
				want.report, want.last = r2, t0.Add(time.Hour)
			case i < 200:
				want.host = fmt.Sprint("renamed", i)
			case i >= 1200:
				want.first = t0.Add(2 * time.Hour)
			}
			if e.Hostname != want.host || e.LastReport != want.report || !e.LastSeen.Equal(want.last) || !e.FirstSeen.Equal(want.first) {
				t.Fatalf("endpoint %d %s: host %s report %s last %s first %s; want %+v", i, e.IP, e.Hostname, e.LastReport, e.LastSeen, e.FirstSeen, want)
			}
		}
		// Rows as stored: those seen alike by all three scans were written
		// by the first only.
		var written int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM endpoints WHERE last_report = ?`, reps[0].ReportID).Scan(&written); err != nil {
			t.Fatal(err)
		}
		if written != 1000 {
			t.Fatalf("%d rows still as the first scan wrote them, want 1000", written)
		}
		n, _, _, err := inv.Counts(ctx, "CZJ", nil)
		if err != nil || n != 1200 {
			t.Fatalf("counts: %d endpoints now (%v), want 1200", n, err)
		}
	})
}
