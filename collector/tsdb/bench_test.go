package tsdb

import (
	"context"
	"testing"

	"github.com/egovnet/egovnet/collector/store/storetest"
)

// BenchmarkOutboxEnqueue is the per-report cost ingest pays for InfluxDB:
// two points (progress and agent) into the SQLite outbox, one transaction.
func BenchmarkOutboxEnqueue(b *testing.B) {
	db := storetest.NewSQLite(b)
	o := NewOutbox(db, 0)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := o.Enqueue(ctx, testPoint(i%60), testPoint(i%60+1)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOutboxEnqueueFull is the same with the outbox at its bound
// (InfluxDB down for long): every enqueue also evicts and counts.
func BenchmarkOutboxEnqueueFull(b *testing.B) {
	db := storetest.NewSQLite(b)
	o := NewOutbox(db, 20000)
	ctx := context.Background()
	batch := make([]Point, 500)
	for i := range batch {
		batch[i] = testPoint(i % 60)
	}
	for n := 0; n < 20000; n += len(batch) {
		if err := o.Enqueue(ctx, batch...); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := o.Enqueue(ctx, testPoint(i%60), testPoint(i%60+1)); err != nil {
			b.Fatal(err)
		}
	}
}
