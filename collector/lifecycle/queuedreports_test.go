package lifecycle

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

// countingFacts counts the stored reports a judgement reads back.
type countingFacts struct {
	Facts
	reads atomic.Int64
}

func (c *countingFacts) RawReport(ctx context.Context, id string) ([]byte, error) {
	c.reads.Add(1)
	return c.Facts.RawReport(ctx, id)
}

// TestQueuedReportsJudgedFromMemory (issue 16): the process that queued
// the scans judges them from the reports it kept, reading none back from
// the store, with the offline audit's findings; once judged, nothing is
// kept. The revoked agents are read once per judgement transaction, not
// per segment. A process that did not queue them (a restart) reads them back, to
// the same findings.
func TestQueuedReportsJudgedFromMemory(t *testing.T) {
	e := districtEngine(t)
	reps := batchHistory(t)
	ctx := context.Background()
	deptOf := departmentOf(t, e)
	want := auditLines(t, e, reps)
	for _, tc := range []struct {
		name      string
		restarted bool
	}{
		{name: "the process that queued them", restarted: false},
		{name: "after a restart", restarted: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
				facts := &countingFacts{Facts: inventory.New(db)}
				var revokedReads atomic.Int64
				revoked := func(context.Context) (map[string]bool, error) { revokedReads.Add(1); return nil, nil }
				st := NewStore(db)
				p := NewProcessorWith(e, st, ProcessorOptions{ResolveAfter: 3, BatchAbove: 1, Facts: facts, Revoked: revoked})
				for _, r := range reps {
					if err := file(ctx, p, r, deptOf(r)); err != nil {
						t.Fatal(err)
					}
				}
				judge := p
				if tc.restarted {
					judge = NewProcessorWith(e, st, ProcessorOptions{ResolveAfter: 3, BatchAbove: 1, Facts: facts, Revoked: revoked})
					judge.opt.Sightings = p.opt.Sightings
				}
				facts.reads.Store(0)
				revokedReads.Store(0)
				if err := judge.JudgeQueued(ctx); err != nil {
					t.Fatal(err)
				}
				// every department's segments fit one transaction
				depts := map[string]bool{}
				for _, r := range reps {
					depts[deptOf(r)] = true
				}
				if n := revokedReads.Load(); n != int64(len(depts)) {
					t.Errorf("revoked agents read %d times for %d departments' judgements", n, len(depts))
				}
				reads := facts.reads.Load()
				if tc.restarted && reads == 0 {
					t.Errorf("a restarted process judged without reading the stored reports")
				}
				if !tc.restarted && reads != 0 {
					t.Errorf("the process that queued the scans read %d stored reports back", reads)
				}
				if n := len(judge.queuedReps); n != 0 || judge.keptFacts != 0 {
					t.Errorf("%d reports still kept after their judgement", n)
				}
				if got := present(t, st, true); !slices.Equal(got, want) {
					t.Fatalf("findings differ from the audit:\n%s", lineDiff(got, want))
				}
			})
		})
	}
}
