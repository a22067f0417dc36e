package lifecycle

import (
	"context"
	"fmt"
	"testing"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// TestApplyRecordsEverySegmentScan: a segment of many scans (more than one
// multi-row statement holds) records every one of them as applied, at the
// segment's time, and takes every one off the queue; applied again it
// changes nothing.
func TestApplyRecordsEverySegmentScan(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		for _, n := range []int{1, 2, 3, 64, 200, 700} {
			t.Run(fmt.Sprint(n), func(t *testing.T) {
				ctx := context.Background()
				st := NewStore(db)
				dept := fmt.Sprintf("D%d", n)
				scan := Scan{ReportID: fmt.Sprintf("%s-last", dept), Agent: "agent-last", FinishedAt: day(2), Queued: true}
				for i := 1; i < n; i++ {
					scan.Covers = append(scan.Covers, Covered{ReportID: fmt.Sprintf("%s-%04d", dept, i), Agent: fmt.Sprintf("agent-%d", i), FinishedAt: day(1)})
				}
				for _, id := range scan.ids() {
					if _, err := db.Exec(ctx, `INSERT INTO rules_pending (report_id, department, agent, agent_key, finished_at, prev_report_id, prev_finished_at, queued_at)
VALUES (?, ?, 'a', ?, ?, '', '', ?)`, id, dept, id, ts(day(1)), ts(day(1))); err != nil {
						t.Fatal(err)
					}
				}
				vs := []wire.Violation{finding(dept, wire.RuleLocalServer, "10.0.0.1", day(2))}
				for range 2 {
					if err := st.Apply(ctx, dept, scan, vs, 3); err != nil {
						t.Fatal(err)
					}
				}
				var got, pending int
				if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM rules_scans WHERE department = ? AND finished_at = ?`, dept, ts(day(2))).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM rules_pending WHERE department = ?`, dept).Scan(&pending); err != nil {
					t.Fatal(err)
				}
				if got != n || pending != 0 {
					t.Errorf("%d scans recorded and %d still queued, want %d and none", got, pending, n)
				}
				if evs := transitions(t, st, vs[0].ID); len(evs) != 1 {
					t.Errorf("history %v, want one opening", evs)
				}
			})
		}
	})
}
