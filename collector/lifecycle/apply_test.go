package lifecycle

import (
	"context"
	"fmt"
	"testing"
	"time"

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

// TestSegmentsInOneTransactionMatchAlone: segments applied in one
// transaction, sharing what they read (txApply), leave exactly what each
// applied alone leaves: the findings' rows (to updated_at), their
// histories, the scans recorded, the queue and the counts. The steps make
// every kept value move between segments: a finding inserted and seen
// again, missed until it resolves, reopened (its last transition read
// back), a plan exemption that expires between two segments, a covered
// scan dating a finding, and a segment another collector applied already.
// A value kept from the transaction's start instead of as the segments
// left it changes a status, a date or a write.
func TestSegmentsInOneTransactionMatchAlone(t *testing.T) {
	const dept = "D"
	a := func(at time.Time) wire.Violation { return finding(dept, wire.RuleLocalServer, "10.0.0.1", at) }
	b := func(at time.Time, exempt bool) wire.Violation {
		v := finding(dept, wire.RuleInternetEgress, "10.0.0.2", at)
		if exempt {
			v.Status, v.Exemption = wire.StatusExempted, &wire.Exemption{Basis: "b", Approver: "p", Expires: day(3)}
		}
		return v
	}
	c := func(at time.Time) wire.Violation {
		v := finding(dept, wire.RuleLocalServer, "10.0.0.3", at)
		v.Evidence[0].Agent = "agent-2"
		return v
	}
	seg := func(n int, vs ...wire.Violation) step {
		return step{scan: Scan{ReportID: fmt.Sprintf("r%02d", n), Agent: "agent-1", FinishedAt: day(n), Queued: true}, vs: vs}
	}
	covered := seg(9, c(day(9).Add(-time.Hour)), a(day(9)))
	covered.scan.Covers = []Covered{{ReportID: "r08c", Agent: "agent-2", FinishedAt: day(9).Add(-time.Hour)}}
	steps := []step{
		seg(1, a(day(1)), b(day(1), true)),
		seg(2, a(day(2))),
		seg(4, a(day(4)), b(day(4), false)), // the exemption ran out on day 3
		seg(5), seg(6), seg(7),              // missed three times: both resolve
		seg(8, a(day(8))), // reopens
		covered,
		{scan: Scan{ReportID: "r10", Agent: "agent-1", FinishedAt: day(10), Queued: true}, vs: []wire.Violation{a(day(10))}, applied: true},
		seg(11, c(day(11))),
	}
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		alone := storetest.NewSQLite(t)
		if db.Dialect == store.Postgres {
			alone = storetest.NewPostgres(t)
		}
		ctx := context.Background()
		applySteps(t, alone, steps, false)
		applySteps(t, db, steps, true)
		for _, q := range []string{
			`SELECT ` + rowCols + `, updated_at FROM rules_violations ORDER BY id`,
			`SELECT violation_id, seq, at, from_status, to_status, actor_kind, actor, note, data, recorded_at FROM rules_violation_events ORDER BY violation_id, seq`,
			`SELECT report_id, department, finished_at, applied_at FROM rules_scans ORDER BY report_id`,
			`SELECT report_id FROM rules_pending ORDER BY report_id`,
			`SELECT department, rule, n FROM rules_open_counts ORDER BY department, rule`,
		} {
			want, got := dump(ctx, t, alone, q), dump(ctx, t, db, q)
			if d := lineDiff(got, want); d != "" {
				t.Errorf("%s\n%s", q, d)
			}
		}
		want := map[string][]string{
			a(day(1)).ID:        {">open@scan", "open>resolved@scan", "resolved>open@scan"},
			b(day(1), false).ID: {">exempted@scan", "exempted>open@system", "open>resolved@scan"},
			c(day(1)).ID:        {">open@scan"},
		}
		for id, w := range want {
			if got := transitions(t, NewStore(db), id); !equalStrings(got, w) {
				t.Errorf("history of %s %v, want %v", id, got, w)
			}
		}
	})
}

// step is one segment's judgement: its scan and what it found; applied:
// another collector applied it already.
type step struct {
	scan    Scan
	vs      []wire.Violation
	applied bool
}

// applySteps applies steps to a fresh db, each alone or all in one
// transaction as judgeQueued does, each at a clock of its own.
func applySteps(t *testing.T, db *store.DB, steps []step, oneTx bool) {
	t.Helper()
	ctx := context.Background()
	st := NewStore(db)
	var own []string
	for _, s := range steps {
		own = append(own, s.scan.ReportID)
		for _, id := range s.scan.ids() {
			if _, err := db.Exec(ctx, `INSERT INTO rules_pending (report_id, department, agent, agent_key, finished_at, prev_report_id, prev_finished_at, queued_at)
VALUES (?, 'D', 'a', ?, ?, '', '', ?)`, id, id, ts(s.scan.FinishedAt), ts(s.scan.FinishedAt)); err != nil {
				t.Fatal(err)
			}
		}
		if s.applied {
			if _, err := db.Exec(ctx, `INSERT INTO rules_scans (report_id, department, finished_at, applied_at) VALUES (?, 'D', ?, ?)`,
				s.scan.ReportID, ts(s.scan.FinishedAt), ts(s.scan.FinishedAt)); err != nil {
				t.Fatal(err)
			}
		}
	}
	clock := func(s step) { st.SetClock(func() time.Time { return s.scan.FinishedAt.Add(time.Minute) }) }
	if !oneTx {
		for _, s := range steps {
			clock(s)
			if err := st.Apply(ctx, "D", s.scan, s.vs, 3); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		b := newTxApply(tx, "D", own)
		for _, s := range steps {
			clock(s)
			if err := st.apply(store.WithTx(ctx, tx), "D", s.scan, s.vs, 3, b); err != nil {
				return err
			}
		}
		return b.flush(ctx)
	}); err != nil {
		t.Fatal(err)
	}
}

// dump is every row q returns, a line each.
func dump(ctx context.Context, t *testing.T, db *store.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		line := ""
		for _, v := range vals {
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			line += fmt.Sprintf("%v|", v)
		}
		out = append(out, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
