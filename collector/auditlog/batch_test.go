package auditlog

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

// TestBatcherKeepsEveryRecord: records from many goroutines, interleaved
// with synchronous appends, all land once, in one intact chain, by the
// time Close returns; the queue is smaller than the load, so Record waits
// instead of dropping.
func TestBatcherKeepsEveryRecord(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := New(db)
		b := l.NewBatcher(BatchOptions{Queue: 8, Batch: 16, Interval: 20 * time.Millisecond})
		const workers, each = 8, 25
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					if err := b.Record(ctx, Entry{ActorKind: KindUser, Actor: "u" + strconv.Itoa(w), Action: "http GET /api/v1/x", Target: strconv.Itoa(i)}); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		for i := 0; i < 10; i++ { // writes keep going synchronously meanwhile
			if _, err := l.Append(ctx, Entry{ActorKind: KindUser, Actor: "w", Action: "login"}); err != nil {
				t.Fatal(err)
			}
		}
		wg.Wait()
		if err := b.Close(ctx); err != nil {
			t.Fatal(err)
		}
		entries, err := l.List(ctx, time.Time{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		reads := 0
		seen := map[string]bool{}
		for _, e := range entries {
			if e.Action == "http GET /api/v1/x" {
				reads++
				k := e.Actor + "/" + e.Target
				if seen[k] {
					t.Fatalf("record %s written twice", k)
				}
				seen[k] = true
			}
		}
		if reads != workers*each || len(entries) != workers*each+10 {
			t.Fatalf("%d read records of %d, %d entries in all", reads, workers*each, len(entries))
		}
		if res, err := l.Verify(ctx); err != nil || res.Broken != nil {
			t.Fatalf("chain after batching: %+v %v", res.Broken, err)
		}
		// After Close a record is still written (synchronously), not lost.
		if err := b.Record(ctx, Entry{ActorKind: KindUser, Actor: "late", Action: "http GET /late"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := l.List(ctx, time.Time{}, 0); len(got) != len(entries)+1 {
			t.Fatalf("record after close lost: %d entries", len(got))
		}
	})
}
