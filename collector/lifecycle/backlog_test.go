package lifecycle

import (
	"context"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

// TestBacklogAge (issue 16): the backlog is read from the queue itself:
// nothing queued is no lag; queued scans give their number and the age
// of the oldest, per department for the watcher, which keeps it and ages
// it with the clock between readings (a department with nothing queued
// has no lag); once judged, the lag is gone at the next reading.
func TestBacklogAge(t *testing.T) {
	e := districtEngine(t)
	reps := batchHistory(t)
	ctx := context.Background()
	deptOf := departmentOf(t, e)
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := NewBacklogWatcher(db)
		if err := w.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if w.Lag("CZJ") != 0 || w.Scans() != 0 {
			t.Fatalf("empty queue: lag %s, %d scans", w.Lag("CZJ"), w.Scans())
		}
		p := NewProcessorWith(e, NewStore(db), ProcessorOptions{ResolveAfter: 3, BatchAbove: 1, Facts: inventory.New(db)})
		before := time.Now()
		for _, r := range reps {
			if err := file(ctx, p, r, deptOf(r)); err != nil {
				t.Fatal(err)
			}
		}
		after := time.Now()
		b, err := ReadBacklog(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if b.Scans != len(reps) || b.Oldest.Before(before.Add(-time.Millisecond)) || b.Oldest.After(after) {
			t.Fatalf("backlog %+v, want %d scans, oldest queued in [%s, %s]", b, len(reps), before, after)
		}
		if err := w.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		first := deptOf(reps[0]) // its scan was queued first of all
		w.now = func() time.Time { return b.Oldest.Add(42 * time.Second) }
		if got := w.Lag(first); got != 42*time.Second || w.Scans() != len(reps) {
			t.Errorf("watcher: %s lag %s with %d scans, want 42s with %d", first, got, w.Scans(), len(reps))
		}
		for _, r := range reps {
			if d := deptOf(r); d != first {
				if got := w.Lag(d); got <= 0 || got > 42*time.Second {
					t.Errorf("%s lag %s, want its own, under the oldest's 42s", d, got)
				}
			}
		}
		if got := w.Lag("NOPE"); got != 0 {
			t.Errorf("a department with nothing queued: lag %s", got)
		}
		w.now = func() time.Time { return b.Oldest.Add(-time.Second) } // a clock behind the oldest
		if got := w.Lag(first); got != 0 {
			t.Errorf("lag %s with the clock before the oldest scan, want 0", got)
		}
		if err := p.JudgeQueued(ctx); err != nil {
			t.Fatal(err)
		}
		w.now = time.Now
		if err := w.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if w.Lag(first) != 0 || w.Scans() != 0 {
			t.Errorf("after the judgement: lag %s, %d scans", w.Lag(first), w.Scans())
		}
	})
}
