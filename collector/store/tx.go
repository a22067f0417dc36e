package store

import (
	"context"
	"fmt"
)

// txKey is the context key of the ambient transaction.
type txKey struct{}

// WithTx returns ctx carrying tx. Code handed that ctx and writing through
// the DB (InTx, Exec, Query, QueryRow) then works inside tx: InTx becomes a
// savepoint, statements run on tx and see its uncommitted writes. The
// ingester uses it to give each report one commit while every processor
// keeps its own InTx and can be undone on its own.
func WithTx(ctx context.Context, tx *Tx) context.Context {
	return context.WithValue(ctx, txKey{}, tx)
}

// TxFrom returns the transaction ctx carries, or nil.
func TxFrom(ctx context.Context) *Tx {
	tx, _ := ctx.Value(txKey{}).(*Tx)
	return tx
}

// ambient is the transaction ctx carries when it belongs to db (the same
// underlying pool; a DB built only to Rebind shares none).
func (db *DB) ambient(ctx context.Context) *Tx {
	tx := TxFrom(ctx)
	if tx == nil || tx.db == nil || db.DB == nil || tx.db.DB != db.DB {
		return nil
	}
	return tx
}

// Savepoint runs fn inside a savepoint of tx: when fn fails (or panics) its
// writes are rolled back and tx stays usable (on PostgreSQL a failed
// statement would otherwise abort the whole transaction); when it succeeds
// the savepoint is released and its writes commit with tx.
func (tx *Tx) Savepoint(ctx context.Context, fn func(tx *Tx) error) (err error) {
	tx.savepoints++
	name := fmt.Sprintf("egovnet_sp%d", tx.savepoints)
	if _, err := tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("begin savepoint: %w", err)
	}
	// PostgreSQL keeps a savepoint that is not released until the
	// transaction ends, and rolling back to it still undoes exactly what
	// came after it (savepoints here nest like the calls that take them),
	// so the RELEASE, a round trip per savepoint and some eight per
	// report, is left out there. SQLite releases: its savepoints cost no
	// round trip, and a released one no longer holds its journal.
	release := tx.Dialect() != Postgres
	undo := func() {
		// Detached: a cancelled caller must still leave tx consistent.
		bg := context.WithoutCancel(ctx)
		_, _ = tx.ExecContext(bg, "ROLLBACK TO SAVEPOINT "+name)
		if release {
			_, _ = tx.ExecContext(bg, "RELEASE SAVEPOINT "+name)
		}
	}
	defer func() {
		if p := recover(); p != nil {
			undo()
			panic(p)
		}
	}()
	if err = fn(tx); err != nil {
		undo()
		return err
	}
	if !release {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		// fn's writes must not stay in tx when fn's caller is told it
		// failed (a shared transaction would commit them for others)
		undo()
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}
