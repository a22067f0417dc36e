package tsdb

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

func testPoint(i int) Point {
	return Point{
		Measurement: MeasurementAgent,
		Tags:        map[string]string{"department": "CZJ", "agent": "a1"},
		Fields:      map[string]any{"errors": i},
		Time:        time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC),
	}
}

func mustLine(t *testing.T, p Point) string {
	t.Helper()
	l, err := p.Line()
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestOutboxConformance runs the outbox contract on both backends: order,
// bound with counted eviction, all-or-nothing enqueue, removal counting.
func TestOutboxConformance(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := NewOutbox(db, 5)

		for i := 1; i <= 3; i++ {
			if err := o.Enqueue(ctx, testPoint(i)); err != nil {
				t.Fatalf("enqueue %d: %v", i, err)
			}
		}
		qs, err := o.peek(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(qs) != 3 {
			t.Fatalf("peek = %d points, want 3", len(qs))
		}
		for i, q := range qs {
			if q.line != mustLine(t, testPoint(i+1)) {
				t.Fatalf("peek[%d] = %s, want point %d (enqueue order)", i, q.line, i+1)
			}
		}

		// A batch with one bad point stores nothing.
		bad := Point{Measurement: "m", Time: time.Now()}
		if err := o.Enqueue(ctx, testPoint(4), bad); err == nil {
			t.Fatal("enqueue with a bad point: want error")
		}
		if s, _ := o.Stats(ctx); s.Pending != 3 {
			t.Fatalf("pending after failed enqueue = %d, want 3", s.Pending)
		}

		// Four more into a bound of five: the two oldest are evicted and counted.
		if err := o.Enqueue(ctx, testPoint(4), testPoint(5), testPoint(6), testPoint(7)); err != nil {
			t.Fatal(err)
		}
		s, err := o.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.Pending != 5 || s.Dropped != 2 {
			t.Fatalf("stats = %+v, want pending 5 dropped 2", s)
		}
		if s.OldestPending.IsZero() {
			t.Fatal("OldestPending not set with points queued")
		}
		qs, err = o.peek(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if qs[0].line != mustLine(t, testPoint(3)) || qs[1].line != mustLine(t, testPoint(4)) {
			t.Fatalf("oldest after eviction = %v, want points 3 and 4", qs)
		}

		// Removing counts only rows this call removed.
		if err := o.remove(ctx, qs, CounterWritten); err != nil {
			t.Fatal(err)
		}
		if err := o.remove(ctx, qs, CounterWritten); err != nil {
			t.Fatal(err)
		}
		s, _ = o.Stats(ctx)
		if s.Pending != 3 || s.Written != 2 || s.Rejected != 0 {
			t.Fatalf("stats after remove = %+v, want pending 3 written 2", s)
		}

		// New points after deletions still sort after the remaining ones.
		if err := o.Enqueue(ctx, testPoint(8)); err != nil {
			t.Fatal(err)
		}
		qs, _ = o.peek(ctx, 10)
		var got []string
		for _, q := range qs {
			got = append(got, q.line)
		}
		for i, n := range []int{5, 6, 7, 8} {
			if got[i] != mustLine(t, testPoint(n)) {
				t.Fatalf("queue = %v, want points 5..8 in order", got)
			}
		}
	})
}

// TestOutboxEnqueueTxRollsBack: points enqueued in a transaction that fails
// are not queued (they describe state that was not committed).
func TestOutboxEnqueueTxRollsBack(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := NewOutbox(db, 0)
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := o.EnqueueTx(ctx, tx, testPoint(1)); err != nil {
				return err
			}
			return fmt.Errorf("later step fails")
		})
		if err == nil {
			t.Fatal("want the transaction's error")
		}
		if s, _ := o.Stats(ctx); s.Pending != 0 {
			t.Fatalf("pending after rollback = %d, want 0", s.Pending)
		}
	})
}
