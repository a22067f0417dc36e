package auditlog

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

// TestQueuedEntriesJoinTheChain: entries appended with AppendQueuedTx from
// many concurrent transactions, interleaved with synchronous appends, are
// each chained once, in one intact chain, as soon as the log is read; an
// entry whose transaction rolled back never appears; on PostgreSQL they
// wait in audit_queue until then, holding no lock on the chain's head.
func TestQueuedEntriesJoinTheChain(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := New(db)
		const workers, each = 8, 30
		var wg sync.WaitGroup
		errUndo := errors.New("undo")
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					err := db.InNewTx(ctx, func(tx *store.Tx) error {
						if err := l.AppendQueuedTx(ctx, tx, Entry{ActorKind: KindAgent, Actor: "a" + strconv.Itoa(w), Action: "report.upload", Target: strconv.Itoa(i)}); err != nil {
							return err
						}
						if i%10 == 9 {
							return errUndo // this report failed: its entry goes with it
						}
						return nil
					})
					if err != nil && !errors.Is(err, errUndo) {
						t.Error(err)
					}
				}
			}()
		}
		for i := 0; i < 10; i++ {
			if _, err := l.Append(ctx, Entry{ActorKind: KindUser, Actor: "w", Action: "login"}); err != nil {
				t.Fatal(err)
			}
		}
		wg.Wait()
		var queued int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_queue`).Scan(&queued); err != nil {
			t.Fatal(err)
		}
		want := workers * (each - each/10)
		if db.Dialect == store.Postgres && queued != want {
			t.Errorf("%d entries queued on PostgreSQL before a read, want %d", queued, want)
		}
		if db.Dialect != store.Postgres && queued != 0 {
			t.Errorf("%d entries queued on SQLite, want none (appended directly)", queued)
		}
		entries, err := l.List(ctx, time.Time{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range entries {
			if e.Action != "report.upload" {
				continue
			}
			k := e.Actor + "/" + e.Target
			if seen[k] {
				t.Fatalf("entry %s chained twice", k)
			}
			if n, _ := strconv.Atoi(e.Target); n%10 == 9 {
				t.Fatalf("entry %s of a rolled-back transaction is in the log", k)
			}
			seen[k] = true
		}
		if len(seen) != want {
			t.Fatalf("%d queued entries in the log, want %d", len(seen), want)
		}
		res, err := l.Verify(ctx)
		if err != nil || res.Broken != nil || res.Entries != int64(want+10) {
			t.Fatalf("verify: %+v %v, want %d entries, unbroken", res, err, want+10)
		}
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_queue`).Scan(&queued); err != nil || queued != 0 {
			t.Fatalf("%d entries still queued after a read (%v)", queued, err)
		}
		if n, err := l.ChainQueued(ctx); err != nil || n != 0 {
			t.Fatalf("chaining an empty queue: %d %v", n, err)
		}
	})
}
