package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

func TestRebind(t *testing.T) {
	tests := []struct {
		name    string
		dialect store.Dialect
		in, out string
	}{
		{"sqlite untouched", store.SQLite, "SELECT ? , ?", "SELECT ? , ?"},
		{"postgres numbered", store.Postgres, "SELECT a FROM t WHERE a = ? AND b = ?", "SELECT a FROM t WHERE a = $1 AND b = $2"},
		{"postgres quoted mark kept", store.Postgres, "SELECT '?' , ?", "SELECT '?' , $1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := &store.DB{Dialect: tc.dialect}
			if got := db.Rebind(tc.in); got != tc.out {
				t.Fatalf("Rebind(%q) = %q, want %q", tc.in, got, tc.out)
			}
		})
	}
}

func TestMigrateIdempotentAndTx(t *testing.T) {
	steps := []store.Migration{{ID: "storetest/0001", SQLite: "CREATE TABLE mt (k TEXT PRIMARY KEY, v INTEGER NOT NULL);\n"}}
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for i := 0; i < 2; i++ {
			if err := db.MigrateSteps(ctx, steps); err != nil {
				t.Fatalf("migrate run %d: %v", i, err)
			}
		}
		// A failing transaction leaves nothing behind.
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, "INSERT INTO mt (k, v) VALUES (?, ?)", "a", 1); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO mt (k, v) VALUES (?, ?)", "a", 2)
			return err
		})
		if err == nil {
			t.Fatal("duplicate key inside transaction: want error")
		}
		var n int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM mt").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("rows after rolled-back tx = %d, want 0", n)
		}
	})
}

func TestTimeSortsAsText(t *testing.T) {
	base := time.Date(2026, 11, 22, 5, 0, 5, 0, time.UTC)
	times := []time.Time{base, base.Add(500 * time.Millisecond), base.Add(time.Second), base.Add(time.Nanosecond)}
	for i := range times {
		for j := range times {
			a, b := store.Time(times[i]), store.Time(times[j])
			if (a < b) != times[i].Before(times[j]) {
				t.Errorf("text order of %s and %s disagrees with time order", a, b)
			}
		}
		back, err := store.ParseTime(store.Time(times[i]))
		if err != nil || !back.Equal(times[i]) {
			t.Errorf("round trip %v -> %v, %v", times[i], back, err)
		}
	}
}

// TestConcurrentMigrationsPostgres is issue #10 item 5: ten stores opened
// and migrated at the same moment on one fresh schema all succeed, and
// every step is applied exactly once.
func TestConcurrentMigrationsPostgres(t *testing.T) {
	dsn := storetest.NewPostgresEmptySchema(t)
	ctx := context.Background()
	steps := []store.Migration{
		{ID: "race/0001", SQLite: "CREATE TABLE race_a (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nCREATE INDEX race_a_name ON race_a (name);"},
		{ID: "race/0002", SQLite: "CREATE TABLE race_b (id INTEGER PRIMARY KEY);\nINSERT INTO race_b (id) VALUES (1);"},
	}
	const n = 10
	dbs := make([]*store.DB, n)
	for i := range dbs {
		db, err := store.OpenPostgres(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	start := make(chan struct{})
	errs := make(chan error, n)
	for _, db := range dbs {
		go func() {
			<-start
			errs <- db.MigrateSteps(ctx, steps)
		}()
	}
	close(start)
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("concurrent migration failed: %v", err)
		}
	}
	var applied, rows int
	if err := dbs[0].QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&applied); err != nil || applied != 2 {
		t.Fatalf("schema_migrations has %d rows (%v), want 2", applied, err)
	}
	if err := dbs[0].QueryRow(ctx, `SELECT COUNT(*) FROM race_b`).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("race_b has %d rows (%v), want 1: a step ran twice", rows, err)
	}
}

// TestReadWhileWriteHeld: a read outside any transaction completes while
// another goroutine holds a write transaction open, and sees only committed
// rows; a read through the transaction (WithTx) sees its own writes. On
// SQLite this needs the read pool: the single writer connection is busy.
func TestReadWhileWriteHeld(t *testing.T) {
	steps := []store.Migration{{ID: "storetest/0002", SQLite: "CREATE TABLE rw (k TEXT PRIMARY KEY);\n"}}
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.MigrateSteps(ctx, steps); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, "INSERT INTO rw (k) VALUES (?)", "committed"); err != nil {
			t.Fatal(err)
		}
		held, release := make(chan *store.Tx), make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- db.InTx(ctx, func(tx *store.Tx) error {
				if _, err := tx.Exec(ctx, "INSERT INTO rw (k) VALUES (?)", "uncommitted"); err != nil {
					return err
				}
				held <- tx
				<-release
				return nil
			})
		}()
		tx := <-held
		// The guard only keeps a regression from hanging the suite: a read
		// queued behind the writer never completes.
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		var n int
		err := db.QueryRow(rctx, "SELECT COUNT(*) FROM rw").Scan(&n)
		var inTx int
		txErr := db.QueryRow(store.WithTx(rctx, tx), "SELECT COUNT(*) FROM rw").Scan(&inTx)
		close(release)
		if werr := <-done; werr != nil {
			t.Fatalf("write transaction: %v", werr)
		}
		if err != nil {
			t.Fatalf("read while a write transaction is open: %v", err)
		}
		if n != 1 {
			t.Fatalf("read outside the transaction saw %d rows, want 1 (committed only)", n)
		}
		if txErr != nil || inTx != 2 {
			t.Fatalf("read inside the transaction saw %d rows (%v), want 2", inTx, txErr)
		}
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM rw").Scan(&n); err != nil || n != 2 {
			t.Fatalf("after commit a read sees %d rows (%v), want 2", n, err)
		}
	})
}

// TestAmbientTxSavepoints: inside a carried transaction, InTx is a
// savepoint: a failing one (even after a failed statement, which aborts a
// PostgreSQL transaction) is undone alone, the others commit together with
// the outer transaction, and nothing is visible before that commit.
func TestAmbientTxSavepoints(t *testing.T) {
	steps := []store.Migration{{ID: "storetest/0003", SQLite: "CREATE TABLE sp (k TEXT PRIMARY KEY);\n"}}
	tests := []struct {
		name     string
		outerErr bool
		want     []string
	}{
		{"outer commits", false, []string{"a", "c"}},
		{"outer fails: nothing stored", true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				if err := db.MigrateSteps(ctx, steps); err != nil {
					t.Fatal(err)
				}
				errOuter := errors.New("outer failed")
				err := db.InTx(ctx, func(tx *store.Tx) error {
					actx := store.WithTx(ctx, tx)
					if err := db.InTx(actx, func(tx *store.Tx) error {
						_, err := db.Exec(actx, "INSERT INTO sp (k) VALUES (?)", "a")
						return err
					}); err != nil {
						return err
					}
					err := db.InTx(actx, func(tx *store.Tx) error {
						if _, err := tx.Exec(actx, "INSERT INTO sp (k) VALUES (?)", "b"); err != nil {
							return err
						}
						_, err := tx.Exec(actx, "INSERT INTO sp (k) VALUES (?)", "a") // duplicate key
						return err
					})
					if err == nil {
						t.Error("duplicate key in savepoint: want error")
					}
					if err := db.InTx(actx, func(tx *store.Tx) error {
						_, err := tx.Exec(actx, "INSERT INTO sp (k) VALUES (?)", "c")
						return err
					}); err != nil {
						return err
					}
					var n int
					if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM sp").Scan(&n); err != nil || n != 0 {
						t.Errorf("before commit another reader sees %d rows (%v), want 0", n, err)
					}
					if tc.outerErr {
						return errOuter
					}
					return nil
				})
				if tc.outerErr != errors.Is(err, errOuter) {
					t.Fatalf("outer transaction: %v", err)
				}
				if got := keys(t, db, "sp"); !slices.Equal(got, tc.want) {
					t.Fatalf("stored %v, want %v", got, tc.want)
				}
			})
		})
	}
}

// TestCachedStatementsFollowSchema: statements run often enough to be
// served prepared (SQLite's cache) give the same results as before, inside
// and outside transactions, and keep working after the table they use
// changes shape.
func TestCachedStatementsFollowSchema(t *testing.T) {
	steps := []store.Migration{{ID: "storetest/0004", SQLite: "CREATE TABLE sc (k INTEGER PRIMARY KEY, v TEXT NOT NULL);\n"}}
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.MigrateSteps(ctx, steps); err != nil {
			t.Fatal(err)
		}
		count := func() int {
			var n int
			if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM sc").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for round := 0; round < 3; round++ {
			if round == 2 {
				if _, err := db.Exec(ctx, "ALTER TABLE sc ADD COLUMN extra TEXT NOT NULL DEFAULT ''"); err != nil {
					t.Fatal(err)
				}
			}
			err := db.InTx(ctx, func(tx *store.Tx) error {
				for i := 0; i < 50; i++ {
					if _, err := tx.Exec(ctx, "INSERT INTO sc (k, v) VALUES (?, ?)", round*100+i, "x"); err != nil {
						return err
					}
				}
				var n int
				if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM sc WHERE k >= ?", round*100).Scan(&n); err != nil || n != 50 {
					t.Errorf("round %d: inside the transaction %d rows (%v), want 50", round, n, err)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if got := count(); got != (round+1)*50 {
				t.Fatalf("round %d: %d rows, want %d", round, got, (round+1)*50)
			}
		}
	})
}

// TestPostgresKeepsItsConnections (issue 16): a burst of concurrent work
// leaves its connections idle for the next one instead of closing all but
// two (database/sql's default), which made every upload under load pay
// for a new PostgreSQL backend and halved throughput.
func TestPostgresKeepsItsConnections(t *testing.T) {
	dsn := storetest.NewPostgresEmptySchema(t)
	ctx := context.Background()
	db, err := store.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	burst := func() {
		var wg sync.WaitGroup
		for i := 0; i < 12; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := db.ExecContext(ctx, `SELECT pg_sleep(0.05)`); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	burst()
	opened := db.Stats().OpenConnections
	burst()
	st := db.Stats()
	if opened < 12 || st.MaxIdleClosed != 0 || st.OpenConnections != opened {
		t.Errorf("after two bursts of 12: %d open after the first, %d after the second, %d closed for lack of idle room; want 12+, the same, 0",
			opened, st.OpenConnections, st.MaxIdleClosed)
	}
}

// TestNestedSavepointsUndoTheirScope: savepoints nest like the calls that
// take them, released (SQLite) or not, and sent with their first statement
// (PostgreSQL): a failing one undoes what ran inside it, its inner
// savepoints that succeeded too, and nothing that ran before it; one that
// ran nothing, failed or not, changes nothing; after an inner one failed,
// its caller goes on in the same transaction.
func TestNestedSavepointsUndoTheirScope(t *testing.T) {
	steps := []store.Migration{{ID: "storetest/0004", SQLite: "CREATE TABLE nsp (k TEXT PRIMARY KEY);\n"}}
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.MigrateSteps(ctx, steps); err != nil {
			t.Fatal(err)
		}
		ins := func(actx context.Context, k string) error {
			_, err := db.Exec(actx, "INSERT INTO nsp (k) VALUES (?)", k)
			return err
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			actx := store.WithTx(ctx, tx)
			if err := db.InTx(actx, func(*store.Tx) error {
				if err := ins(actx, "a"); err != nil {
					return err
				}
				return db.InTx(actx, func(*store.Tx) error { return ins(actx, "a1") })
			}); err != nil {
				return err
			}
			if err := db.InTx(actx, func(*store.Tx) error {
				if err := db.InTx(actx, func(*store.Tx) error { return ins(actx, "b1") }); err != nil {
					return err
				}
				return ins(actx, "a") // duplicate: b and its inner b1 are undone
			}); err == nil {
				t.Error("duplicate key: want error")
			}
			// nothing run inside: nothing to send or undo (PostgreSQL
			// sends a savepoint with its first statement)
			if err := db.InTx(actx, func(*store.Tx) error { return nil }); err != nil {
				return err
			}
			if err := db.InTx(actx, func(*store.Tx) error {
				return db.InTx(actx, func(*store.Tx) error { return errors.New("failed before any statement") })
			}); err == nil {
				t.Error("failed savepoint: want its error")
			}
			return db.InTx(actx, func(*store.Tx) error {
				if err := ins(actx, "c"); err != nil {
					return err
				}
				if err := db.InTx(actx, func(*store.Tx) error { return ins(actx, "a1") }); err == nil {
					t.Error("duplicate key: want error")
				}
				return ins(actx, "c2")
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := keys(t, db, "nsp"), []string{"a", "a1", "c", "c2"}; !slices.Equal(got, want) {
			t.Fatalf("stored %v, want %v", got, want)
		}
	})
}

// TestFlatTransactions: inside Tx.Flat, PostgreSQL takes no savepoints,
// so a failed statement in a nested InTx fails the whole transaction
// (the statements after it fail, and nothing commits); the same body
// outside Flat, and on SQLite inside it too, undoes only the nested
// scope and commits the rest.
func TestFlatTransactions(t *testing.T) {
	steps := []store.Migration{{ID: "storetest/0005", SQLite: "CREATE TABLE flat (k TEXT PRIMARY KEY);\n"}}
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.MigrateSteps(ctx, steps); err != nil {
			t.Fatal(err)
		}
		ins := func(actx context.Context, k string) error {
			_, err := db.Exec(actx, "INSERT INTO flat (k) VALUES (?)", k)
			return err
		}
		body := func(prefix string, flat bool) error {
			return db.InNewTx(ctx, func(tx *store.Tx) error {
				actx := store.WithTx(ctx, tx)
				run := func() error {
					if err := ins(actx, prefix+"a"); err != nil {
						return err
					}
					_ = db.InTx(actx, func(*store.Tx) error {
						if err := ins(actx, prefix+"b"); err != nil {
							return err
						}
						return ins(actx, prefix+"a") // duplicate: the nested scope fails
					})
					return ins(actx, prefix+"c")
				}
				if flat {
					return tx.Flat(run)
				}
				return run()
			})
		}
		if err := body("1", false); err != nil {
			t.Fatalf("with savepoints: %v", err)
		}
		err := body("2", true)
		want := []string{"1a", "1c"}
		if db.Dialect == store.Postgres {
			if err == nil {
				t.Error("flat on PostgreSQL: a failed statement must fail the transaction")
			}
		} else {
			if err != nil {
				t.Fatalf("flat on SQLite keeps savepoints: %v", err)
			}
			want = append(want, "2a", "2c")
		}
		if got := keys(t, db, "flat"); !slices.Equal(got, want) {
			t.Fatalf("stored %v, want %v", got, want)
		}
	})
}

// keys lists the k column of table, in order.
func keys(t *testing.T, db *store.DB, table string) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), "SELECT k FROM "+table+" ORDER BY k")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		got = append(got, k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestAfterCommit: what a transaction asks to run after its commit runs
// once it has committed, in order; not when it is undone, nor what a
// savepoint undone (an error or a panic) asked, whatever the backend and
// however nested; in a flat transaction an error undoes it all.
func TestAfterCommit(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var ran []string
		note := func(tx *store.Tx, s string) { tx.AfterCommit(func() { ran = append(ran, s) }) }
		for _, tc := range []struct {
			name string
			body func(tx *store.Tx) error
			want []string
		}{
			{name: "committed", body: func(tx *store.Tx) error { note(tx, "a"); note(tx, "b"); return nil }, want: []string{"a", "b"}},
			{name: "undone", body: func(tx *store.Tx) error { note(tx, "a"); return errors.New("undo") }},
			{name: "a savepoint undone", want: []string{"a", "b", "b2", "c"}, body: func(tx *store.Tx) error {
				note(tx, "a")
				actx := store.WithTx(ctx, tx)
				_ = db.InTx(actx, func(tx *store.Tx) error {
					note(tx, "b")
					return db.InTx(actx, func(tx *store.Tx) error { note(tx, "b2"); return nil })
				})
				_ = db.InTx(actx, func(tx *store.Tx) error { note(tx, "x"); return errors.New("undo") })
				note(tx, "c")
				return nil
			}},
			{name: "a savepoint that panicked", want: []string{"a"}, body: func(tx *store.Tx) error {
				note(tx, "a")
				func() {
					defer func() { _ = recover() }()
					_ = db.InTx(store.WithTx(ctx, tx), func(tx *store.Tx) error { note(tx, "p"); panic("boom") })
				}()
				return nil
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ran = nil
				_ = db.InTx(ctx, tc.body)
				if !slices.Equal(ran, tc.want) {
					t.Fatalf("ran %v after the commit, want %v", ran, tc.want)
				}
			})
		}
	})
}

// TestRefuseNewerSchema: a database that a newer collector migrated (a
// migration this one does not know) is refused, naming the migration;
// one whose migrations are all known, or a subset of them, is not.
func TestRefuseNewerSchema(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		known := store.Registered()
		if err := db.RefuseNewerSchema(ctx, known); err != nil {
			t.Fatalf("a database migrated by this collector: %v", err)
		}
		newer := store.Migration{ID: "zzz/0001_from_the_future", SQLite: "CREATE TABLE future (k TEXT PRIMARY KEY);\n"}
		if err := db.MigrateSteps(ctx, []store.Migration{newer}); err != nil {
			t.Fatal(err)
		}
		err := db.RefuseNewerSchema(ctx, known)
		if !errors.Is(err, store.ErrNewerSchema) || !strings.Contains(err.Error(), newer.ID) {
			t.Fatalf("a database a newer collector migrated: %v, want ErrNewerSchema naming %s", err, newer.ID)
		}
		if err := db.RefuseNewerSchema(ctx, append(known, newer)); err != nil {
			t.Fatalf("the newer collector itself: %v", err)
		}
	})
}
