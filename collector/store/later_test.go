package store_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

// TestExecLater: inside Flat on PostgreSQL a deferred statement is held
// back (a failing one returns nil), runs before the next statement (which
// sees its write) or the commit, in order, with the arguments it was given
// even if the caller reuses its slice; its failure fails the transaction
// and nothing commits. Elsewhere it runs at once. The same holds in a
// transaction of InFlatTx, whose BEGIN and COMMIT go with those statements.
func TestExecLater(t *testing.T) {
	for _, entry := range []string{"Flat", "InFlatTx"} {
		t.Run(entry, func(t *testing.T) { testExecLater(t, entry == "InFlatTx") })
	}
}

func testExecLater(t *testing.T, own bool) {
	steps := []store.Migration{{ID: "storetest/0006", SQLite: "CREATE TABLE later (k TEXT PRIMARY KEY);\n"}}
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.MigrateSteps(ctx, steps); err != nil {
			t.Fatal(err)
		}
		pg := db.Dialect == store.Postgres
		// inTx runs body in a transaction, flat when flat is set: in Flat
		// inside InNewTx, or in InFlatTx when own is set.
		inTx := func(flat bool, body func(actx context.Context, tx *store.Tx) error) error {
			if flat && own {
				return db.InFlatTx(ctx, func(tx *store.Tx) error { return body(store.WithTx(ctx, tx), tx) })
			}
			return db.InNewTx(ctx, func(tx *store.Tx) error {
				actx := store.WithTx(ctx, tx)
				if flat {
					return tx.Flat(func() error { return body(actx, tx) })
				}
				return body(actx, tx)
			})
		}
		// fails when it runs, once the first subtest stored a1
		duplicate := "INSERT INTO later (k) VALUES ('a1')"
		isDuplicate := func(err error) bool {
			return err != nil && (strings.Contains(err.Error(), "23505") || strings.Contains(err.Error(), "UNIQUE"))
		}

		t.Run("held back, seen by the next statement", func(t *testing.T) {
			err := inTx(true, func(actx context.Context, tx *store.Tx) error {
				args := []any{"a1"}
				if err := tx.ExecLater(actx, "INSERT INTO later (k) VALUES (?)", args...); err != nil {
					return err
				}
				args[0] = "changed" // the caller's slice is not what runs
				if err := db.ExecLater(actx, "INSERT INTO later (k) VALUES (?)", "a2"); err != nil {
					return err
				}
				var n int
				if err := tx.QueryRow(actx, "SELECT COUNT(*) FROM later WHERE k IN ('a1', 'a2')").Scan(&n); err != nil {
					return err
				}
				if n != 2 {
					t.Errorf("the next statement saw %d of the 2 deferred rows", n)
				}
				// held back until the commit
				return tx.ExecLater(actx, "INSERT INTO later (k) VALUES (?)", "a3")
			})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := keys(t, db, "later"), []string{"a1", "a2", "a3"}; !slices.Equal(got, want) {
				t.Fatalf("stored %v, want %v", got, want)
			}
		})

		t.Run("a failure fails the next statement and the transaction", func(t *testing.T) {
			var deferredErr error
			err := inTx(true, func(actx context.Context, tx *store.Tx) error {
				if err := tx.ExecLater(actx, "INSERT INTO later (k) VALUES (?)", "b1"); err != nil {
					return err
				}
				if deferredErr = tx.ExecLater(actx, duplicate); deferredErr != nil {
					return deferredErr
				}
				_, err := tx.Exec(actx, "INSERT INTO later (k) VALUES (?)", "b2")
				return err
			})
			if pg && deferredErr != nil {
				t.Errorf("PostgreSQL in Flat: the failing statement ran at once (%v); it should be held back", deferredErr)
			}
			if !pg && deferredErr == nil {
				t.Error("SQLite: the failing statement must fail at once")
			}
			if !isDuplicate(err) {
				t.Fatalf("transaction: %v, want the deferred statement's duplicate key", err)
			}
			if got := keys(t, db, "later"); slices.Contains(got, "b1") || slices.Contains(got, "b2") {
				t.Fatalf("stored %v after a failed transaction", got)
			}
		})

		t.Run("a failure held back to the commit fails the commit", func(t *testing.T) {
			err := inTx(true, func(actx context.Context, tx *store.Tx) error {
				if err := tx.ExecLater(actx, "INSERT INTO later (k) VALUES (?)", "c1"); err != nil {
					return err
				}
				if err := tx.ExecLater(actx, duplicate); err != nil {
					return err
				}
				return tx.ExecLater(actx, "INSERT INTO later (k) VALUES (?)", "c2")
			})
			if !isDuplicate(err) {
				t.Fatalf("transaction: %v, want the duplicate key held back to the commit", err)
			}
			if got := keys(t, db, "later"); slices.Contains(got, "c1") || slices.Contains(got, "c2") {
				t.Fatalf("stored %v after a failed transaction", got)
			}
		})

		t.Run("a failure the body ignores still fails the commit", func(t *testing.T) {
			err := inTx(true, func(actx context.Context, tx *store.Tx) error {
				if err := tx.ExecLater(actx, "INSERT INTO later (k) VALUES (?)", "e1"); err != nil {
					return err
				}
				if err := tx.ExecLater(actx, duplicate); err != nil {
					return nil // ignored (SQLite: at once)
				}
				_, _ = tx.Exec(actx, "INSERT INTO later (k) VALUES (?)", "e2") // its error ignored too
				return nil
			})
			if pg && !isDuplicate(err) {
				t.Fatalf("transaction: %v, want the ignored duplicate key", err)
			}
			if got := keys(t, db, "later"); pg && (slices.Contains(got, "e1") || slices.Contains(got, "e2")) {
				t.Fatalf("stored %v after a failed transaction", got)
			}
		})

		t.Run("many arguments are sent without waiting for a statement", func(t *testing.T) {
			if !pg {
				return // SQLite runs every statement at once
			}
			const n = 30000 // three statements: more arguments than ExecLater holds back
			q := "SELECT COUNT(*) FROM (VALUES " + strings.TrimSuffix(strings.Repeat("(?), ", n), ", ") + ") v"
			args := make([]any, n)
			for i := range args {
				args[i] = strconv.Itoa(i)
			}
			var errs []error
			_ = inTx(true, func(actx context.Context, tx *store.Tx) error {
				errs = append(errs, tx.ExecLater(actx, duplicate))
				for range 3 {
					errs = append(errs, tx.ExecLater(actx, q, args...))
				}
				return nil
			})
			if errs[0] != nil || errs[1] != nil {
				t.Fatalf("held back too soon: %v", errs)
			}
			if !isDuplicate(errors.Join(errs[2:]...)) {
				t.Fatalf("past the bound the held-back statements were not sent: %v", errs)
			}
		})

		t.Run("outside Flat it runs at once", func(t *testing.T) {
			var deferredErr error
			_ = inTx(false, func(actx context.Context, tx *store.Tx) error {
				deferredErr = tx.ExecLater(actx, duplicate)
				return deferredErr
			})
			if !isDuplicate(deferredErr) {
				t.Fatalf("outside Flat: %v, want the duplicate key at once", deferredErr)
			}
			if err := db.ExecLater(ctx, "INSERT INTO later (k) VALUES (?)", "d1"); err != nil {
				t.Fatalf("without a transaction: %v", err)
			}
			if got := keys(t, db, "later"); !slices.Contains(got, "d1") {
				t.Fatalf("stored %v, want d1 written at once", got)
			}
		})
	})
}
