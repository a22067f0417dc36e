package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

var groupSteps = []store.Migration{{ID: "storetest/0005", SQLite: `CREATE TABLE gp (id TEXT PRIMARY KEY);
CREATE TABLE gc (k TEXT PRIMARY KEY, p TEXT REFERENCES gp (id) DEFERRABLE INITIALLY DEFERRED);
`}}

// sharedCall is one InSharedTx caller of the group tests.
type sharedCall struct {
	key     string
	fail    bool // returns an error after writing its row
	panics  bool // panics after writing its row
	orphan  bool // writes a row whose deferred foreign key fails the commit
	err     error
	paniced any
}

// runShared starts every call at once. The first holds the writer until all
// the others wait for it, so on SQLite they are grouped behind it.
func runShared(t *testing.T, db *store.DB, calls []*sharedCall) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	firstIn := make(chan struct{})
	for i, c := range calls {
		if i > 0 {
			<-firstIn // the first is inside its transaction before the rest queue
		}
		wg.Add(1)
		go func(i int, c *sharedCall) {
			defer wg.Done()
			defer func() { c.paniced = recover() }()
			c.err = db.InSharedTx(ctx, func(tx *store.Tx) error {
				if i == 0 {
					close(firstIn)
					waitQueued(t, db, len(calls)-1)
				}
				if _, err := tx.Exec(ctx, "INSERT INTO gc (k, p) VALUES (?, ?)", c.key, orphanRef(c.orphan)); err != nil {
					return err
				}
				switch {
				case c.fail:
					return fmt.Errorf("%s failed", c.key)
				case c.panics:
					panic(c.key + " panicked")
				}
				return nil
			})
		}(i, c)
	}
	wg.Wait()
}

func orphanRef(orphan bool) any {
	if orphan {
		return "missing-parent"
	}
	return nil
}

// waitQueued waits until n callers queue for a group (SQLite); PostgreSQL
// runs each caller in its own transaction and has no queue.
func waitQueued(t *testing.T, db *store.DB, n int) {
	if db.Dialect != store.SQLite {
		return
	}
	deadline := time.Now().Add(30 * time.Second)
	for db.Queued() < n {
		if time.Now().After(deadline) {
			t.Errorf("%d callers queued after 30 s, want %d", db.Queued(), n)
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func storedKeys(t *testing.T, db *store.DB) map[string]bool {
	t.Helper()
	rows, err := db.Query(context.Background(), "SELECT k FROM gc")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		got[k] = true
	}
	return got
}

// TestSharedTxCallersStandAlone: callers grouped into one transaction are
// answered as if each had its own: a failing or panicking caller's writes
// are undone and it alone sees its error or panic, and everyone else's
// writes are stored by the time their call returns nil.
func TestSharedTxCallersStandAlone(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		if err := db.MigrateSteps(context.Background(), groupSteps); err != nil {
			t.Fatal(err)
		}
		groups0, callers0 := db.GroupStats()
		var calls []*sharedCall
		for i := 0; i < 40; i++ {
			calls = append(calls, &sharedCall{key: fmt.Sprintf("k%02d", i), fail: i%7 == 3, panics: i == 20})
		}
		runShared(t, db, calls)
		stored := storedKeys(t, db)
		for _, c := range calls {
			switch {
			case c.panics:
				if c.paniced == nil || c.err != nil {
					t.Errorf("%s: panic %v, err %v; want its panic back", c.key, c.paniced, c.err)
				}
			case c.fail:
				if c.err == nil || c.paniced != nil {
					t.Errorf("%s: err %v, panic %v; want its error", c.key, c.err, c.paniced)
				}
			default:
				if c.err != nil || c.paniced != nil {
					t.Errorf("%s: err %v, panic %v; want success", c.key, c.err, c.paniced)
				}
			}
			if want := !c.fail && !c.panics; stored[c.key] != want {
				t.Errorf("%s stored = %v, want %v", c.key, stored[c.key], want)
			}
		}
		groups, callers := db.GroupStats()
		groups, callers = groups-groups0, callers-callers0
		if db.Dialect == store.SQLite {
			// 40 callers, the first holding the writer while 39 queue:
			// the first group takes 32, the second the other 8.
			if groups != 2 || callers != 40 {
				t.Errorf("SQLite grouped %d callers into %d transactions, want 40 into 2", callers, groups)
			}
		} else if groups != 0 {
			t.Errorf("%s grouped %d transactions, want none", db.Dialect, groups)
		}
	})
}

// TestSharedTxFailedCommitFailsItsGroup: when the shared transaction cannot
// commit (here a deferred foreign key), nobody in it is told their writes
// are stored, and none of them are; a caller that failed on its own is told
// of the commit too (its answer may rest on writes that are gone); on
// PostgreSQL only the callers whose own transactions failed see it.
func TestSharedTxFailedCommitFailsItsGroup(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		if err := db.MigrateSteps(context.Background(), groupSteps); err != nil {
			t.Fatal(err)
		}
		var calls []*sharedCall
		for i := 0; i < 5; i++ {
			calls = append(calls, &sharedCall{key: fmt.Sprintf("c%d", i), orphan: i == 2, fail: i == 4})
		}
		runShared(t, db, calls)
		stored := storedKeys(t, db)
		for _, c := range calls {
			failed := c.orphan || c.fail || db.Dialect == store.SQLite
			if (c.err != nil) != failed {
				t.Errorf("%s: err %v, want failed=%v", c.key, c.err, failed)
			}
			if c.err != nil && db.Dialect == store.SQLite && !strings.Contains(c.err.Error(), "commit") {
				t.Errorf("%s: err %v, want the failed commit", c.key, c.err)
			}
			if stored[c.key] == failed {
				t.Errorf("%s stored = %v, but its call failed=%v", c.key, stored[c.key], failed)
			}
		}
		if len(stored) > 0 && db.Dialect == store.SQLite {
			t.Errorf("a failed group commit left %v stored", stored)
		}
	})
}

// TestSharedTxInsideAmbientTx: called with a transaction in ctx, fn joins
// it as a savepoint and never waits for a group (which would wait for the
// very transaction the caller holds).
func TestSharedTxInsideAmbientTx(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.MigrateSteps(ctx, groupSteps); err != nil {
			t.Fatal(err)
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			actx := store.WithTx(ctx, tx)
			if err := db.InSharedTx(actx, func(tx *store.Tx) error {
				_, err := tx.Exec(actx, "INSERT INTO gc (k) VALUES (?)", "inner")
				return err
			}); err != nil {
				return err
			}
			return db.InSharedTx(actx, func(tx *store.Tx) error {
				if _, err := tx.Exec(actx, "INSERT INTO gc (k) VALUES (?)", "undone"); err != nil {
					return err
				}
				return errors.New("undo me")
			})
		})
		if err == nil || err.Error() != "undo me" {
			t.Fatalf("outer transaction: %v, want the inner error", err)
		}
		if got := storedKeys(t, db); len(got) != 0 {
			t.Fatalf("outer transaction failed but %v is stored", got)
		}
	})
}
