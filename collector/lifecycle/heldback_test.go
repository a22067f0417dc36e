package lifecycle

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

// TestQueuedHeldBack (issue 16): under load on PostgreSQL, inside the
// ingester's flat transaction, a report queued for judgement is kept and
// queued by one statement held back with the report's other writes
// (enqueueHeldBack). The queue it leaves names, for every scan, the report
// it replaced, as Process's own path does; a backfill (an older scan of an
// agent) fails its flat attempt with store.ErrRowsDiffer and, run again
// without it as the ingester does, is judged alone; and once the queue is
// judged the findings are those of the same reports filed the usual way.
// On SQLite, where nothing is held back, both ways are the same path.
func TestQueuedHeldBack(t *testing.T) {
	e := districtEngine(t)
	reps := batchHistory(t)
	deptOf := departmentOf(t, e)
	// the last scan's agent again, with a scan older than its last one
	last := reps[len(reps)-1]
	// a scan finished when the agent's kept one did is not a backfill
	same := cloneReport(t, last, "7a1c2a10-9999-4c00-8000-000000000002", last.FinishedAt)
	back := cloneReport(t, last, "7a1c2a10-9999-4c00-8000-000000000001", last.FinishedAt.Add(-30*time.Minute))
	reps = append(reps, same, back)
	ctx := context.Background()
	storetest.ForEachBackend(t, func(t *testing.T, db0 *store.DB) {
		pg := db0.Dialect == store.Postgres
		type outcome struct{ queue, findings []string }
		run := func(t *testing.T, db *store.DB, heldBack bool) outcome {
			st := NewStore(db)
			p := NewProcessorWith(e, st, ProcessorOptions{ResolveAfter: 3, BatchAbove: 1 << 30, Facts: inventory.New(db),
				Busy: func() bool { return true }})
			flatFailed := map[string]error{}
			for _, r := range reps {
				if !heldBack {
					if err := file(ctx, p, r, deptOf(r)); err != nil {
						t.Fatal(err)
					}
					continue
				}
				flatErr, err := fileFlat(ctx, p, r, deptOf(r))
				if err != nil {
					t.Fatal(err)
				}
				if flatErr != nil {
					flatFailed[r.ReportID] = flatErr
				}
			}
			if heldBack && pg {
				if len(flatFailed) != 1 || !errors.Is(flatFailed[back.ReportID], store.ErrRowsDiffer) {
					t.Fatalf("flat attempts that failed: %v, want only the backfill's, with ErrRowsDiffer", flatFailed)
				}
			}
			if heldBack && !pg && len(flatFailed) != 0 {
				t.Fatalf("SQLite: %v", flatFailed)
			}
			var o outcome
			rows, err := db.Query(ctx, `SELECT report_id, department, agent, agent_key, finished_at, prev_report_id, prev_finished_at FROM rules_pending ORDER BY report_id`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				cols := make([]string, 7)
				if err := rows.Scan(&cols[0], &cols[1], &cols[2], &cols[3], &cols[4], &cols[5], &cols[6]); err != nil {
					t.Fatal(err)
				}
				o.queue = append(o.queue, strings.Join(cols, " "))
			}
			rows.Close()
			if slices.ContainsFunc(o.queue, func(s string) bool { return strings.HasPrefix(s, back.ReportID) }) {
				t.Error("the backfill was queued; it is judged alone")
			}
			if p.Queued(back.ReportID) {
				t.Error("Queued says the backfill was queued: progress would wait for a judgement that never covers it")
			}
			if len(o.queue) != len(reps)-1 {
				t.Errorf("%d scans queued, want %d", len(o.queue), len(reps)-1)
			}
			if err := p.JudgeQueued(ctx); err != nil {
				t.Fatal(err)
			}
			o.findings = present(t, st, false)
			return o
		}
		own := run(t, db0, false)
		var held outcome
		if pg {
			held = run(t, storetest.NewPostgres(t), true)
		} else {
			held = run(t, storetest.NewSQLite(t), true)
		}
		if !slices.Equal(held.queue, own.queue) {
			t.Errorf("queue held back differs from Process's own:\n%s", lineDiff(held.queue, own.queue))
		}
		if len(own.findings) == 0 || !slices.Equal(held.findings, own.findings) {
			t.Errorf("findings differ (%d held back, %d own):\n%s", len(held.findings), len(own.findings), lineDiff(held.findings, own.findings))
		}
	})
}
