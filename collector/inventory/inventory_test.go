package inventory

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

func TestSortableTime(t *testing.T) {
	a := SortableTime(time.Date(2026, 1, 1, 0, 0, 5, 0, time.UTC))
	b := SortableTime(time.Date(2026, 1, 1, 0, 0, 5, 500_000_000, time.UTC))
	if !(a < b) {
		t.Fatalf("%s does not sort before %s", a, b)
	}
	if got, err := store.ParseTime(b); err != nil || !got.Equal(time.Date(2026, 1, 1, 0, 0, 5, 500_000_000, time.UTC)) {
		t.Fatalf("parse back: %v %v", got, err)
	}
}

func TestInventoryConformance(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		inv := New(db)
		now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		if err := inv.SyncDepartments(ctx, []Department{{"CZJ", "区财政局"}, {"GAJ", "公安分局"}}, now); err != nil {
			t.Fatal(err)
		}
		if err := inv.SyncDepartments(ctx, []Department{{"CZJ", "区财政局(新)"}}, now); err != nil {
			t.Fatal(err)
		}
		deps, err := inv.Departments(ctx)
		if err != nil || fmt.Sprint(deps) != "[{CZJ 区财政局(新)} {GAJ 公安分局}]" {
			t.Fatalf("departments %v %v", deps, err)
		}
		if ok, _ := inv.DepartmentExists(ctx, "XXX"); ok {
			t.Fatal("unknown department exists")
		}

		t1 := time.Date(2026, 4, 10, 0, 0, 0, 0, time.UTC)
		t0 := t1.Add(-48 * time.Hour) // an older offline scan
		t2 := t1.Add(24 * time.Hour)
		put := func(id string, at time.Time, eps []wire.Endpoint) {
			t.Helper()
			err := db.InTx(ctx, func(tx *store.Tx) error {
				ins, _, err := InsertReport(ctx, tx, Report{ReportID: id, AgentID: "a1", Department: "CZJ", Source: SourceUpload,
					StartedAt: at.Add(-time.Minute), FinishedAt: at, ReceivedAt: now, Endpoints: len(eps)}, []byte(`{}`))
				if err != nil || !ins {
					return fmt.Errorf("insert %s: %v %v", id, ins, err)
				}
				return UpsertEndpoints(ctx, tx, "CZJ", id, "a1", at, eps)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		put("r1", t1, []wire.Endpoint{{IP: "10.1.0.10", MAC: "00:11:22:33:44:55", Vendor: "Huawei", Role: "server", SeenBy: []string{"icmp"}, OpenPorts: []int{22}}})
		put("r2", t2, []wire.Endpoint{{IP: "10.1.0.10", Role: "unknown", SeenBy: []string{"tcp"}, OpenPorts: []int{22, 80},
			HTTP: []wire.HTTPInfo{{Port: 80, Title: "首页"}}}, {IP: "2001:db8:0::1", Role: "workstation", SeenBy: []string{"arp"}}})
		put("r0", t0, []wire.Endpoint{{IP: "10.1.0.10", MAC: "aa:aa:aa:aa:aa:aa", Role: "printer", SeenBy: []string{"arp"}}})

		eps, err := inv.Endpoints(ctx, "CZJ", 100)
		if err != nil || len(eps) != 2 {
			t.Fatalf("endpoints %+v %v", eps, err)
		}
		e := eps[0]
		tests := []struct{ name, got, want string }{
			{"first_seen from the older import", e.FirstSeen.String(), t0.String()},
			{"last_seen from the newest scan", e.LastSeen.String(), t2.String()},
			{"mac kept when the newest scan has none; old import does not overwrite", e.MAC, "00:11:22:33:44:55"},
			{"role kept when the newest says unknown", e.Role, "server"},
			{"ports from the newest scan", fmt.Sprint(e.OpenPorts), "[22 80]"},
			{"http from the newest scan", fmt.Sprint(e.HTTP[0].Title), "首页"},
			{"seen_by from the newest scan", fmt.Sprint(e.SeenBy), "[tcp]"},
			{"last report", e.LastReport, "r2"},
			{"ipv6 canonical", eps[1].IP, "2001:db8::1"},
		}
		for _, tc := range tests {
			if tc.got != tc.want {
				t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
			}
		}

		// Duplicate report id: not inserted, existing returned.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			ins, ex, err := InsertReport(ctx, tx, Report{ReportID: "r1", AgentID: "a2", Department: "CZJ", Source: SourceImport, FinishedAt: t1, ReceivedAt: now}, []byte(`{}`))
			if err != nil {
				return err
			}
			if ins || ex.AgentID != "a1" || !ex.FinishedAt.Equal(t1) {
				return fmt.Errorf("duplicate: inserted=%v existing=%+v", ins, ex)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := inv.CountReports(ctx, ""); n != 3 {
			t.Fatalf("reports = %d, want 3", n)
		}
		reps, err := inv.Reports(ctx, "CZJ", 10)
		if err != nil || len(reps) != 3 || reps[0].ReportID != "r2" || reps[2].ReportID != "r0" {
			t.Fatalf("reports newest first: %+v %v", reps, err)
		}
		pend, _ := inv.Pending(ctx, 10)
		if len(pend) != 3 || pend[0].ReportID != "r0" {
			t.Fatalf("pending oldest first: %+v", pend)
		}
		if err := inv.MarkProcessed(ctx, "r0", ""); err != nil {
			t.Fatal(err)
		}
		if err := inv.MarkProcessed(ctx, "r1", "rules: boom"); err != nil {
			t.Fatal(err)
		}
		pend, _ = inv.Pending(ctx, 10)
		if len(pend) != 2 || pend[0].ReportID != "r1" || pend[0].ProcessError != "rules: boom" {
			t.Fatalf("pending after marking: %+v", pend)
		}
		if _, err := inv.RawReport(ctx, "nope"); err == nil {
			t.Fatal("raw of a missing report")
		}
		if other, _ := inv.Endpoints(ctx, "GAJ", 10); len(other) != 0 {
			t.Fatalf("GAJ sees CZJ endpoints: %+v", other)
		}
	})
}
