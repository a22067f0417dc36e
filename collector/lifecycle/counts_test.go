package lifecycle

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// countedOpen counts present findings per department and rule from the
// rows themselves: what rules_open_counts must always equal.
func countedOpen(t *testing.T, db *store.DB) map[string]map[string]int {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT department, rule, COUNT(*) FROM rules_violations WHERE status <> ? GROUP BY department, rule`, wire.StatusResolved)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var d, r string
		var n int
		if err := rows.Scan(&d, &r, &n); err != nil {
			t.Fatal(err)
		}
		if out[d] == nil {
			out[d] = map[string]int{}
		}
		out[d][r] = n
	}
	return out
}

// TestOpenCountsKept (issue 16): the per-department counts OpenByRule
// reads stay equal to a count of the rows through every kind of status
// change: scans that open, miss and resolve, a person's transitions, a
// plan exemption, an exemption's expiry and a backfill.
func TestOpenCountsKept(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := NewStore(db)
		now := day(0)
		st.SetClock(func() time.Time { return now })
		egress := finding("RSJ", wire.RuleInternetEgress, "203.0.113.65", day(0))
		site := finding("RSJ", wire.RuleDepartmentWebsite, "10.3.0.80", day(0))
		server := finding("RSJ", wire.RuleLocalServer, "10.3.0.50", day(0))
		line := finding("GAJ", wire.RulePrivateLink, "172.20.0.0/16", day(0))
		line.Status, line.Exemption = wire.StatusExempted, &wire.Exemption{Basis: "b", Approver: "a", Expires: day(300)}
		steps := []struct {
			name string
			run  func() error
		}{
			{"first scans", func() error {
				if err := st.Apply(ctx, "RSJ", scan(0), []wire.Violation{egress, site, server}, 2); err != nil {
					return err
				}
				return st.Apply(ctx, "GAJ", Scan{ReportID: "g0", FinishedAt: day(0)}, []wire.Violation{line}, 2)
			}},
			{"acknowledged", func() error { _, err := st.Acknowledge(ctx, egress.ID, "li", ""); return err }},
			{"exempted by a person", func() error {
				now = day(1)
				_, err := st.Exempt(ctx, site.ID, "li", wire.Exemption{Basis: "b", Approver: "a", Expires: day(3)})
				return err
			}},
			{"missed once", func() error { return st.Apply(ctx, "RSJ", scan(1), []wire.Violation{egress, site}, 2) }},
			{"missed twice: resolved", func() error { return st.Apply(ctx, "RSJ", scan(2), []wire.Violation{egress, site}, 2) }},
			{"resolved by hand", func() error { _, err := st.Resolve(ctx, egress.ID, "li", ""); return err }},
			{"seen again: reopened", func() error {
				now = day(5)
				return st.Apply(ctx, "RSJ", scan(5), []wire.Violation{egress, site, server}, 2)
			}},
			{"exemption expired", func() error { now = day(10); return st.ExpireDue(ctx) }},
			{"backfill", func() error {
				old := finding("RSJ", wire.RuleAddressOutsidePlan, "10.9.0.1", day(-5))
				return st.Apply(ctx, "RSJ", Scan{ReportID: "old", FinishedAt: day(-5), Backfill: true}, []wire.Violation{old}, 2)
			}},
			{"plan exemption resolved", func() error {
				if err := st.Apply(ctx, "GAJ", Scan{ReportID: "g1", FinishedAt: day(11)}, nil, 2); err != nil {
					return err
				}
				return st.Apply(ctx, "GAJ", Scan{ReportID: "g2", FinishedAt: day(12)}, nil, 2)
			}},
		}
		for _, s := range steps {
			if err := s.run(); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			want := countedOpen(t, db)
			for _, dept := range []string{"RSJ", "GAJ", "CZJ"} {
				got, err := st.OpenByRule(ctx, dept)
				if err != nil {
					t.Fatal(err)
				}
				w := want[dept]
				if w == nil {
					w = map[string]int{}
				}
				if !maps.Equal(got, w) {
					t.Errorf("after %s: %s counts %v, rows say %v", s.name, dept, got, w)
				}
			}
		}
		if got, _ := st.OpenByRule(ctx, "RSJ"); fmt.Sprint(got) == "map[]" {
			t.Error("nothing left to count: the comparison proves little")
		}
	})
}

// TestApplyWritesOnlyChangedRows (issue 16): a scan that changes one
// finding's evidence writes that row; the department's unchanged findings
// cost no write (their updated_at stays).
func TestApplyWritesOnlyChangedRows(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := NewStore(db)
		now := day(0)
		st.SetClock(func() time.Time { return now })
		var vs []wire.Violation
		for i := 0; i < 20; i++ {
			vs = append(vs, finding("RSJ", wire.RuleLocalServer, fmt.Sprintf("10.3.0.%d", 100+i), day(0)))
		}
		if err := st.Apply(ctx, "RSJ", scan(0), vs, 3); err != nil {
			t.Fatal(err)
		}
		updated := func() map[string]string {
			rows, err := db.Query(ctx, `SELECT subject, updated_at FROM rules_violations WHERE department = ?`, "RSJ")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			out := map[string]string{}
			for rows.Next() {
				var s, u string
				if err := rows.Scan(&s, &u); err != nil {
					t.Fatal(err)
				}
				out[s] = u
			}
			return out
		}
		before := updated()
		now = day(1)
		vs[3].Evidence = append(vs[3].Evidence, wire.Evidence{Agent: "b", Method: "tcp", ObservedAt: day(1), Detail: map[string]any{"port": 22}})
		vs[3].LastSeen = day(1)
		if err := st.Apply(ctx, "RSJ", scan(1), vs, 3); err != nil {
			t.Fatal(err)
		}
		var written []string
		for s, u := range updated() {
			if u != before[s] {
				written = append(written, s)
			}
		}
		if len(written) != 1 || written[0] != vs[3].Subject {
			t.Errorf("rows written by the second scan %v, want only %s", written, vs[3].Subject)
		}
	})
}
