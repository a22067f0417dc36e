package lifecycle

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// Each and Count agree with List, filter for filter, and Each walks in the
// exports' reading order (severity, rule, department, subject in byte order).
func TestStoreEachCount(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewStore(db)
		t0 := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
		sev := []string{wire.SeverityLow, wire.SeverityCritical, wire.SeverityHigh, wire.SeverityMedium}
		rulesUsed := []string{wire.RuleAddressOutsidePlan, wire.RuleInternetEgress, wire.RuleLocalServer}
		for _, dept := range []string{"CZJ", "GAJ"} {
			var vs []wire.Violation
			for i := 0; i < 30; i++ {
				subj := fmt.Sprintf("10.1.0.%d", i)
				if i%5 == 0 {
					subj = fmt.Sprintf("Z-host-%d", i) // upper case sorts before lower in byte order
				} else if i%5 == 1 {
					subj = fmt.Sprintf("a-host-%d", i)
				}
				vs = append(vs, wire.Violation{Rule: rulesUsed[i%3], Department: dept, Subject: subj, Severity: sev[i%4], Status: wire.StatusOpen,
					Evidence: []wire.Evidence{{Agent: "a", Method: "snmp", ObservedAt: t0}}, FirstSeen: t0, LastSeen: t0})
			}
			if err := s.Apply(ctx, dept, Scan{ReportID: "r-" + dept, Agent: "a", FinishedAt: t0}, vs, 3); err != nil {
				t.Fatal(err)
			}
		}
		all, err := s.List(ctx, Filter{})
		if err != nil || len(all) != 60 {
			t.Fatalf("List: %d, %v", len(all), err)
		}
		if _, err := s.Resolve(ctx, all[0].ID, "tester", "fixed"); err != nil {
			t.Fatal(err)
		}
		rank := map[string]int{wire.SeverityCritical: 0, wire.SeverityHigh: 1, wire.SeverityMedium: 2, wire.SeverityLow: 3}
		for _, f := range []Filter{{}, {Department: "CZJ"}, {Rule: wire.RuleLocalServer}, {Status: wire.StatusResolved}, {Status: wire.StatusOpen, Department: "GAJ"},
			{AsOf: t0.Add(time.Minute)}, {AsOf: t0.Add(time.Minute), Status: wire.StatusResolved}} {
			t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) {
				want, err := s.List(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				var got []wire.Violation
				if err := s.Each(ctx, f, func(v wire.Violation) error { got = append(got, v); return nil }); err != nil {
					t.Fatal(err)
				}
				n, err := s.Count(ctx, f)
				if err != nil || n != len(want) || len(got) != len(want) {
					t.Fatalf("Count %d (%v), Each %d, List %d", n, err, len(got), len(want))
				}
				ids := func(vs []wire.Violation) []string {
					out := make([]string, len(vs))
					for i, v := range vs {
						out[i] = v.ID + "/" + v.Status
					}
					slices.Sort(out)
					return out
				}
				if !slices.Equal(ids(got), ids(want)) {
					t.Errorf("Each and List differ")
				}
				for i := 1; i < len(got); i++ {
					a, b := got[i-1], got[i]
					ka := fmt.Sprintf("%d|%02d|%s|%s", rank[a.Severity], slices.Index(wire.RuleIDs, a.Rule), a.Department, a.Subject)
					kb := fmt.Sprintf("%d|%02d|%s|%s", rank[b.Severity], slices.Index(wire.RuleIDs, b.Rule), b.Department, b.Subject)
					if ka > kb {
						t.Fatalf("out of reading order at %d: %s after %s", i, kb, ka)
					}
				}
			})
		}
	})
}
