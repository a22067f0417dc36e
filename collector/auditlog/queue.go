package auditlog

import (
	"context"
	"fmt"
	"time"

	"github.com/egovnet/egovnet/collector/store"
)

// Queued entries (PostgreSQL). An entry joins the chain under the lock on
// the chain's head row, and that lock is held until its transaction
// commits: appended inside every report's transaction, it made all
// reports, of every collector sharing the database, commit one at a time
// (under 32 concurrent uploads nearly every backend was waiting for it).
// A report's entry is therefore written to audit_queue in the report's
// own transaction, so it is exactly as durable and atomic as the report,
// and joins the chain shortly after, in a batch that takes the head lock
// once: ChainQueued runs about once a second (RunAnchor) and before every
// read of the log (List, Page, Verify), so a reader never sees the chain
// without an entry whose report committed before the read. Chain order is
// queue order. SQLite has a single writer, which already serialises its
// appends, so there AppendQueuedTx is AppendTx.

func init() {
	// The entry's columns as audit_log has them, without the chain's.
	const entry = `
	at TEXT NOT NULL,
	actor_kind TEXT NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	department TEXT NOT NULL,
	target TEXT NOT NULL,
	outcome TEXT NOT NULL,
	remote TEXT NOT NULL,
	detail TEXT NOT NULL
);
`
	store.Register(store.Migration{
		ID:       "auditlog/0002_queue",
		SQLite:   `CREATE TABLE audit_queue (id INTEGER PRIMARY KEY AUTOINCREMENT,` + entry,
		Postgres: `CREATE TABLE audit_queue (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,` + entry,
	})
}

// queueCols are audit_queue's entry columns.
const queueCols = `at, actor_kind, actor, action, department, target, outcome, remote, detail`

// chainBatch bounds the entries one ChainQueued transaction chains.
const chainBatch = 500

// chainPerStatement bounds a multi-row chain insert (12 parameters a row).
const chainPerStatement = 100

// chainInsert chains n entries in one statement.
var chainInsert = &store.MultiRow{Head: `INSERT INTO audit_log (` + cols + `) VALUES `, Row: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"}

// AppendQueuedTx records e inside tx, like AppendTx, but on PostgreSQL
// without taking the chain's head lock: the entry commits with tx and
// joins the chain at the next ChainQueued.
func (l *Log) AppendQueuedTx(ctx context.Context, tx *store.Tx, e Entry) error {
	if tx.Dialect() != store.Postgres {
		_, err := l.AppendTx(ctx, tx, e)
		return err
	}
	e, err := l.prepare(e)
	if err != nil {
		return err
	}
	if err := tx.ExecLater(ctx, `INSERT INTO audit_queue (`+queueCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.At.Format(timeFormat), e.ActorKind, e.Actor, e.Action, e.Department, e.Target, e.Outcome, e.Remote, e.Detail); err != nil {
		return fmt.Errorf("queue audit entry: %w", err)
	}
	return nil
}

// ChainQueued appends the committed queued entries to the chain, in queue
// order, and says how many it chained. Entries of transactions still open
// are left for the next call.
func (l *Log) ChainQueued(ctx context.Context) (int, error) {
	if l.db.Dialect != store.Postgres {
		return 0, nil
	}
	var queued bool
	if err := l.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM audit_queue)`).Scan(&queued); err != nil {
		return 0, fmt.Errorf("look for queued audit entries: %w", err)
	}
	total := 0
	for queued {
		n, err := l.chainBatch(ctx)
		if err != nil {
			return total, err
		}
		total += n
		queued = n == chainBatch
	}
	return total, nil
}

// chainBatch chains up to chainBatch queued entries in one transaction.
func (l *Log) chainBatch(ctx context.Context) (int, error) {
	n := 0
	err := l.db.InNewTx(ctx, func(tx *store.Tx) error {
		var seq int64
		var hash string
		if err := tx.QueryRow(ctx, `SELECT head_seq, head_hash FROM audit_state WHERE id = 1 FOR UPDATE`).Scan(&seq, &hash); err != nil {
			return fmt.Errorf("lock audit head: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT id, `+queueCols+` FROM audit_queue ORDER BY id LIMIT ?`, chainBatch)
		if err != nil {
			return fmt.Errorf("read queued audit entries: %w", err)
		}
		var ids []int64
		var es []Entry
		for rows.Next() {
			var id int64
			var e Entry
			var at string
			if err := rows.Scan(&id, &at, &e.ActorKind, &e.Actor, &e.Action, &e.Department, &e.Target, &e.Outcome, &e.Remote, &e.Detail); err != nil {
				rows.Close()
				return fmt.Errorf("read queued audit entries: %w", err)
			}
			if e.At, err = parseAt(at); err != nil {
				rows.Close()
				return fmt.Errorf("queued audit entry %d: %w", id, err)
			}
			ids, es = append(ids, id), append(es, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read queued audit entries: %w", err)
		}
		if len(es) == 0 {
			return nil
		}
		// Chained in multi-row statements (sizes from store.RowBatches,
		// so their texts repeat and stay prepared): one round trip per
		// entry was about a seventh of PostgreSQL's statements under
		// concurrent uploads.
		for i := range es {
			seq++
			es[i].Seq, es[i].PrevHash = seq, hash
			es[i].Hash = hashEntry(es[i])
			hash = es[i].Hash
		}
		rest := es
		for _, k := range store.RowBatches(len(rest), chainPerStatement) {
			args := make([]any, 0, 12*k)
			for _, e := range rest[:k] {
				args = append(args, e.Seq, e.At.Format(timeFormat), e.ActorKind, e.Actor, e.Action, e.Department, e.Target, e.Outcome, e.Remote, e.Detail, e.PrevHash, e.Hash)
			}
			rest = rest[k:]
			if _, err := tx.Exec(ctx, chainInsert.SQL(k), args...); err != nil {
				return fmt.Errorf("chain audit entries: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE audit_state SET head_seq = ?, head_hash = ? WHERE id = 1`, seq, hash); err != nil {
			return fmt.Errorf("update audit head: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM audit_queue WHERE id = ANY(?)`, ids); err != nil {
			return fmt.Errorf("dequeue audit entries: %w", err)
		}
		n = len(es)
		return nil
	})
	return n, err
}

// parseAt reads a stored entry time.
func parseAt(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }
