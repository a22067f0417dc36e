package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
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
// its writes commit with tx (on SQLite the savepoint is released; on
// PostgreSQL see lazySavepoint).
func (tx *Tx) Savepoint(ctx context.Context, fn func(tx *Tx) error) (err error) {
	if tx.flat {
		return fn(tx)
	}
	// what fn asks to run after the commit is forgotten if fn is undone
	// (an error, or a panic)
	mark, returned := len(tx.committed), false
	defer func() {
		if !returned || err != nil {
			tx.committed = tx.committed[:mark]
		}
	}()
	err = tx.savepoint(ctx, fn)
	returned = true
	return err
}

// savepoint is Savepoint's body.
func (tx *Tx) savepoint(ctx context.Context, fn func(tx *Tx) error) (err error) {
	tx.savepoints++
	name := fmt.Sprintf("egovnet_sp%d", tx.savepoints)
	if tx.Dialect() == Postgres {
		return tx.lazySavepoint(ctx, name, fn)
	}
	if _, err := tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("begin savepoint: %w", err)
	}
	undo := func() {
		// Detached: a cancelled caller must still leave tx consistent.
		bg := context.WithoutCancel(ctx)
		_, _ = tx.ExecContext(bg, "ROLLBACK TO SAVEPOINT "+name)
		_, _ = tx.ExecContext(bg, "RELEASE SAVEPOINT "+name)
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
	if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		// fn's writes must not stay in tx when fn's caller is told it
		// failed (a shared transaction would commit them for others)
		undo()
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// lazySavepoint is Savepoint on PostgreSQL, where every statement is a
// round trip and a report takes some seven savepoints (one per processor,
// some nested). The SAVEPOINT is sent with the first statement run inside
// it (flush), together with any enclosing savepoint not sent yet, in one
// round trip, and not at all when fn runs none (a processor with nothing
// to write). A savepoint that succeeded is not released: PostgreSQL keeps
// it until the transaction ends, and rolling back to it still undoes
// exactly what came after it, since savepoints here nest like the calls
// that take them. One that failed is rolled back to, if it was sent;
// unsent, nothing ran inside it.
func (tx *Tx) lazySavepoint(ctx context.Context, name string, fn func(tx *Tx) error) (err error) {
	tx.unsent = append(tx.unsent, name)
	// done takes the savepoint off the unsent ones and says whether it
	// had been sent; savepoints nested in it have returned already.
	done := func() (sent bool) {
		if i := slices.Index(tx.unsent, name); i >= 0 {
			tx.unsent = tx.unsent[:i]
			return false
		}
		return true
	}
	undo := func() {
		if done() {
			_, _ = tx.on().ExecContext(context.WithoutCancel(ctx), "ROLLBACK TO SAVEPOINT "+name)
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
	done()
	return nil
}

// AfterCommit runs f once tx has committed, in the order asked; never if
// tx, or the savepoint f was asked in, is undone. For what a process
// remembers of its own writes (a cache): remembered before the commit, a
// write the commit then lost would be taken as made.
func (tx *Tx) AfterCommit(f func()) { tx.committed = append(tx.committed, f) }

// AfterCommit is Tx.AfterCommit of the transaction ctx carries; without
// one, what was written is committed already and f runs now.
func (db *DB) AfterCommit(ctx context.Context, f func()) {
	if tx := db.ambient(ctx); tx != nil {
		tx.AfterCommit(f)
		return
	}
	f()
}

// Flat runs fn with tx's savepoints off on PostgreSQL: Savepoint, and
// InTx nested in tx, run their bodies directly. A savepoint costs
// PostgreSQL a round trip, and a report's transaction takes about six of
// them only so that a failing processor can be undone alone, which
// almost never happens. Without them a failure inside fn cannot be
// undone alone: any failed statement aborts the whole transaction (and
// its commit fails), so the caller must treat any error from fn as the
// transaction's and run it again, from the start, with savepoints
// (ingest does). On SQLite, where a failed statement does not abort the
// transaction and partial writes would stay, and savepoints cost no round
// trip, fn runs with them as usual.
func (tx *Tx) Flat(fn func() error) error {
	if tx.Dialect() != Postgres || tx.flat {
		return fn()
	}
	tx.flat = true
	defer func() { tx.flat = false }()
	return fn()
}

// deferredSQL is a statement ExecLater holds back.
type deferredSQL struct {
	q    string // rebound
	args []any
	// commit marks the COMMIT of InFlatTx, whose tag must say it
	// committed (PostgreSQL answers ROLLBACK to the COMMIT of an aborted
	// transaction, without an error)
	commit bool
}

// ExecLater runs a statement whose result its caller does not need, with
// '?' placeholders: inside Flat on PostgreSQL it is held back and sent with
// the others held back, in one round trip (a pipeline), just before the
// transaction's next statement or its commit; anywhere else it runs at
// once, like Exec. A report's transaction writes some ten such rows
// (endpoints, ledger, queue, audit), each otherwise a round trip that
// costs both the collector and PostgreSQL a wake-up. Its error then comes
// from that later statement or from the commit, which is why only Flat
// holds statements back: there any failure fails the whole attempt,
// which the caller runs again with savepoints (and ExecLater at once)
// to find and undo the failing part alone. A statement whose outcome
// decides what comes after it can still be held back when it almost
// always goes one way: it checks itself (egovnet_expect_rows, expect.go)
// and fails the attempt when it did not.
func (tx *Tx) ExecLater(ctx context.Context, q string, args ...any) error {
	if tx.flat && tx.conn != nil {
		// the caller may reuse its argument slice (a multi-row statement's)
		tx.later = append(tx.later, deferredSQL{q: tx.db.Rebind(q), args: slices.Clone(args)})
		tx.laterArgs += len(args)
		if tx.laterArgs >= laterMostArgs {
			// a bulk report's rows go now rather than all wait in memory
			return tx.flushLater(ctx)
		}
		return nil
	}
	_, err := tx.Exec(ctx, q, args...)
	return wrapRowsDiffer(err)
}

// laterMostArgs bounds the arguments ExecLater holds back: a small
// report's writes take a few hundred, a 10,000-endpoint report's 140,000,
// which concurrent bulk uploads would otherwise all keep until their
// commit (some 200 MiB more at the peak of the bulk benchmark).
const laterMostArgs = 1 << 16

// ExecLater is Tx.ExecLater inside the transaction ctx carries, else Exec
// on the writer.
func (db *DB) ExecLater(ctx context.Context, q string, args ...any) error {
	if tx := db.ambient(ctx); tx != nil {
		return tx.ExecLater(ctx, q, args...)
	}
	_, err := db.Exec(ctx, q, args...)
	return err
}

// flushLater sends the statements ExecLater held back, in order, as one
// pipeline on the transaction's connection. The first that fails stops
// the rest (PostgreSQL aborts the transaction), and its error is returned.
func (tx *Tx) flushLater(ctx context.Context) error {
	if len(tx.later) == 0 {
		return nil
	}
	_, err := tx.pipeline(ctx, nil, "")
	return err
}

// pipeline sends the statements held back and then, unless q is empty,
// the query q, whose one row is scanned into dest, in one round trip.
// rowErr is the query's own outcome (sql.ErrNoRows: no row); err is the
// pipeline's, which is also kept as the transaction's (laterErr).
func (tx *Tx) pipeline(ctx context.Context, dest []any, q string, args ...any) (rowErr, err error) {
	later := tx.later
	tx.later, tx.laterArgs = nil, 0
	err = tx.conn.Raw(func(dc any) error {
		pc, ok := dc.(interface{ Conn() *pgx.Conn })
		if !ok {
			return fmt.Errorf("run deferred statements: connection %T is not pgx", dc)
		}
		b := &pgx.Batch{}
		for _, s := range later {
			b.Queue(s.q, s.args...)
		}
		if q != "" {
			b.Queue(tx.db.Rebind(q), args...)
		}
		br := pc.Conn().SendBatch(ctx, b)
		if err := execLater(br, later); err != nil {
			_ = br.Close()
			return err
		}
		if q != "" {
			rowErr = wrapRowsDiffer(br.QueryRow().Scan(dest...))
		}
		if err := br.Close(); err != nil {
			return fmt.Errorf("run deferred statements: %w", err)
		}
		return nil
	})
	if err != nil && tx.laterErr == nil {
		tx.laterErr = err
	}
	return rowErr, err
}

// execLater reads the outcomes of the deferred statements queued first in
// br, in order.
func execLater(br pgx.BatchResults, later []deferredSQL) error {
	for i, s := range later {
		tag, err := br.Exec()
		if err == nil && s.commit && tag.String() != "COMMIT" {
			err = fmt.Errorf("the transaction was rolled back (%s)", tag)
		}
		if err != nil {
			return fmt.Errorf("run deferred statement %d of %d (%.60s): %w", i+1, len(later), s.q, wrapRowsDiffer(err))
		}
	}
	return nil
}

// ScanRow runs a single-row query inside the transaction and scans it
// into dest (sql.ErrNoRows: no row). Inside Flat on PostgreSQL the
// statements ExecLater held back are sent with it, in one round trip
// where QueryRow would take two (theirs, then its own).
func (tx *Tx) ScanRow(ctx context.Context, dest []any, q string, args ...any) error {
	if !tx.flat || tx.conn == nil || len(tx.later) == 0 || len(tx.unsent) > 0 {
		return tx.QueryRow(ctx, q, args...).Scan(dest...)
	}
	rowErr, err := tx.pipeline(ctx, dest, q, args...)
	if err != nil {
		return err
	}
	return rowErr
}

// InFlat says whether tx runs inside Flat (a nil tx does not).
func (tx *Tx) InFlat() bool { return tx != nil && tx.flat }

// flush sends what was held back before a statement runs: the statements
// ExecLater deferred (flushLater), then the savepoints taken but not sent
// yet (lazySavepoint), in one round trip, before a statement runs inside
// them.
func (tx *Tx) flush(ctx context.Context) error {
	if err := tx.flushLater(ctx); err != nil {
		return err
	}
	if len(tx.unsent) == 0 {
		return nil
	}
	q := "SAVEPOINT " + strings.Join(tx.unsent, "; SAVEPOINT ")
	tx.unsent = tx.unsent[:0]
	if _, err := tx.on().ExecContext(ctx, q); err != nil {
		return fmt.Errorf("begin savepoint: %w", err)
	}
	return nil
}
