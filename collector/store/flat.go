package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// A flat transaction of its own (InFlatTx). database/sql's BEGIN and
// COMMIT are a round trip each on PostgreSQL, where a report's whole
// transaction otherwise takes three (its held-back writes with the one
// query whose answer it needs, then the rest of its writes, then the
// commit). Sent by the transaction itself, BEGIN goes with the first
// statements and COMMIT with the last held-back ones, which saves two of
// the report's five round trips, and the wake-ups of both processes that
// each costs.

// beginSQL and commitSQL open and close a transaction of InFlatTx.
const (
	beginSQL  = "BEGIN"
	commitSQL = "COMMIT"
)

// InFlatTx is InNewTx for a caller that runs fn flat (Tx.Flat) from the
// start: on PostgreSQL its BEGIN is held back with the statements of
// ExecLater and its COMMIT sent with the last of them, in one round trip
// each instead of one more each. As inside Flat, any error fails the
// whole transaction, and fn's error is returned. Elsewhere (SQLite, or
// ctx carrying a transaction) it is InSharedTx: fn runs in a savepoint
// of that transaction (unless it is flat itself), so its failure undoes
// its own writes only; flat inside a transaction that goes on, it would
// leave them to that transaction's commit.
func (db *DB) InFlatTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	if db.Dialect != Postgres || db.ambient(ctx) != nil {
		return db.InSharedTx(ctx, fn)
	}
	conn, err := db.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer conn.Close()
	tx := &Tx{db: db, conn: conn, flat: true, later: []deferredSQL{{q: beginSQL}}}
	defer func() {
		p := recover()
		if p != nil || err != nil {
			tx.abandon(ctx)
		}
		if p != nil {
			panic(p)
		}
	}()
	return tx.finish(fn, func() error {
		if len(tx.later) == 1 && tx.later[0].q == beginSQL {
			tx.later = nil // nothing ran: there is nothing to commit
		} else {
			tx.later = append(tx.later, deferredSQL{q: commitSQL, commit: true})
			if err := tx.flushLater(ctx); err != nil {
				return fmt.Errorf("commit transaction: %w", err)
			}
		}
		tx.ended = true
		return nil
	})
}

// abandon ends a transaction of InFlatTx that failed: ROLLBACK, unless
// BEGIN was never sent. A connection that cannot even roll back is
// closed, so the pool does not hand it out again inside a transaction.
func (tx *Tx) abandon(ctx context.Context) {
	if tx.ended || (len(tx.later) > 0 && tx.later[0].q == beginSQL) {
		return
	}
	tx.ended = true
	bg := context.WithoutCancel(ctx)
	if _, err := tx.conn.ExecContext(bg, "ROLLBACK"); err == nil {
		return
	}
	_ = tx.conn.Raw(func(dc any) error {
		if pc, ok := dc.(interface{ Conn() *pgx.Conn }); ok {
			_ = pc.Conn().Close(bg)
		}
		return nil
	})
}
