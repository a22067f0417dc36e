package lifecycle

import (
	"context"
	"slices"
	"testing"

	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

// TestBusyQueuesInArrivalOrder (issue 16): a report that arrives while
// the collector is busy is queued for a batched judgement even in a small
// department; the department's later reports queue behind it though the
// collector is idle again (judged inline, they would count as seen before
// it); other departments are still judged inline; batch_above 0 turns
// every kind of batching off; and once the queue is judged, the findings
// are the offline audit's.
func TestBusyQueuesInArrivalOrder(t *testing.T) {
	e := districtEngine(t)
	reps := batchHistory(t)
	ctx := context.Background()
	deptOf := departmentOf(t, e)
	want := auditLines(t, e, reps)
	first := deptOf(reps[0])
	tests := []struct {
		name       string
		batchAbove int
		wantQueued func(dept string) bool
	}{
		{"busy queues, the department's later reports queue behind", 1 << 30,
			func(dept string) bool { return dept == first }},
		{"batch_above 0 judges inline under load too", 0,
			func(string) bool { return false }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
				st := NewStore(db)
				busyFor := reps[0].ReportID // only the first report arrives under load
				var current string
				p := NewProcessorWith(e, st, ProcessorOptions{ResolveAfter: 3, BatchAbove: tc.batchAbove, Facts: inventory.New(db),
					Busy: func() bool { return current == busyFor }})
				for i, r := range reps {
					current = r.ReportID
					if err := file(ctx, p, r, deptOf(r)); err != nil {
						t.Fatal(err)
					}
					if got, want := p.Queued(r.ReportID), tc.wantQueued(deptOf(r)); got != want {
						t.Errorf("report %d (%s): queued=%v, want %v", i, deptOf(r), got, want)
					}
				}
				if err := p.JudgeQueued(ctx); err != nil {
					t.Fatal(err)
				}
				if n := pendingCount(t, db); n != 0 {
					t.Errorf("%d scans still queued after JudgeQueued", n)
				}
				if got := present(t, st, true); !slices.Equal(got, want) {
					t.Errorf("findings differ from the audit's (%d, want %d):\n%s", len(got), len(want), lineDiff(got, want))
				}
			})
		})
	}
}
