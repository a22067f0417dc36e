package tsdb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/egovnet/egovnet/collector/store"
)

func init() {
	store.Register(store.Migration{
		ID: "tsdb/0001_outbox",
		// seq orders replay: SQLite's INTEGER PRIMARY KEY is the rowid, always
		// above every row present; PostgreSQL uses a sequence.
		SQLite:   outboxSchema("INTEGER"),
		Postgres: outboxSchema("BIGSERIAL"),
	})
}

// outboxSchema is the DDL of tsdb/0001_outbox; the backends differ only in
// the type of seq.
func outboxSchema(seqType string) string {
	return `CREATE TABLE tsdb_outbox (
  seq ` + seqType + ` PRIMARY KEY,
  line TEXT NOT NULL,
  enqueued_at TEXT NOT NULL
);
CREATE TABLE tsdb_counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO tsdb_counters (name, value) VALUES ('dropped', 0);
INSERT INTO tsdb_counters (name, value) VALUES ('rejected', 0);
INSERT INTO tsdb_counters (name, value) VALUES ('written', 0);
`
}

// Counter names in tsdb_counters.
const (
	CounterDropped  = "dropped"  // evicted from a full outbox, never sent
	CounterRejected = "rejected" // refused by InfluxDB as malformed (HTTP 400)
	CounterWritten  = "written"  // acknowledged by InfluxDB
)

// DefaultOutboxMax bounds the outbox: at one progress and one agent point per
// report, 100 000 rows is weeks of a district's reports at 5-minute scans.
const DefaultOutboxMax = 100000

// Outbox is the durable, bounded queue of line-protocol points in the store.
type Outbox struct {
	db  *store.DB
	max int
	now func() time.Time
}

// NewOutbox returns the outbox of db holding at most max points (<= 0:
// DefaultOutboxMax).
func NewOutbox(db *store.DB, max int) *Outbox {
	if max <= 0 {
		max = DefaultOutboxMax
	}
	return &Outbox{db: db, max: max, now: time.Now}
}

// Enqueue stores points in their own transaction.
func (o *Outbox) Enqueue(ctx context.Context, points ...Point) error {
	return o.db.InTx(ctx, func(tx *store.Tx) error { return o.EnqueueTx(ctx, tx, points...) })
}

// EnqueueTx stores points inside tx, so they commit together with the state
// they describe. When the outbox is full the oldest points are evicted and
// counted as dropped: the newest state is the one worth keeping. Nothing is
// stored if any point fails to encode.
func (o *Outbox) EnqueueTx(ctx context.Context, tx *store.Tx, points ...Point) error {
	lines := make([]string, 0, len(points))
	for _, p := range points {
		l, err := p.Line()
		if err != nil {
			return err
		}
		lines = append(lines, l)
	}
	// Fixed-width fractions so MIN(enqueued_at) is the earliest instant
	// (store.Time trims trailing zeros, which breaks text ordering).
	now := o.now().UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
	for _, l := range lines {
		if _, err := tx.Exec(ctx, `INSERT INTO tsdb_outbox (line, enqueued_at) VALUES (?, ?)`, l, now); err != nil {
			return fmt.Errorf("enqueue point: %w", err)
		}
	}
	// The seq span bounds the row count from above and costs two index
	// lookups; only when it exceeds the bound is the exact count taken.
	var span int64
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq) - MIN(seq) + 1, 0) FROM tsdb_outbox`).Scan(&span); err != nil {
		return fmt.Errorf("size outbox: %w", err)
	}
	if span <= int64(o.max) {
		return nil
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM tsdb_outbox`).Scan(&n); err != nil {
		return fmt.Errorf("count outbox: %w", err)
	}
	if over := n - o.max; over > 0 {
		res, err := tx.Exec(ctx, `DELETE FROM tsdb_outbox WHERE seq IN (SELECT seq FROM tsdb_outbox ORDER BY seq LIMIT ?)`, over)
		if err != nil {
			return fmt.Errorf("evict from outbox: %w", err)
		}
		dropped, _ := res.RowsAffected()
		if err := addCounter(ctx, tx, CounterDropped, dropped); err != nil {
			return err
		}
	}
	return nil
}

type execer interface {
	Exec(ctx context.Context, q string, args ...any) (sql.Result, error)
}

func addCounter(ctx context.Context, ex execer, name string, n int64) error {
	if n == 0 {
		return nil
	}
	if _, err := ex.Exec(ctx, `UPDATE tsdb_counters SET value = value + ? WHERE name = ?`, n, name); err != nil {
		return fmt.Errorf("count %s points: %w", name, err)
	}
	return nil
}

// queued is one outbox row.
type queued struct {
	seq  int64
	line string
}

// peek returns up to n of the oldest points, oldest first.
func (o *Outbox) peek(ctx context.Context, n int) ([]queued, error) {
	rows, err := o.db.Query(ctx, `SELECT seq, line FROM tsdb_outbox ORDER BY seq LIMIT ?`, n)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	defer rows.Close()
	var out []queued
	for rows.Next() {
		var q queued
		if err := rows.Scan(&q.seq, &q.line); err != nil {
			return nil, fmt.Errorf("read outbox: %w", err)
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// remove deletes sent (or rejected) points and counts them under counter.
func (o *Outbox) remove(ctx context.Context, qs []queued, counter string) error {
	if len(qs) == 0 {
		return nil
	}
	return o.db.InTx(ctx, func(tx *store.Tx) error {
		args := make([]any, len(qs))
		for i, q := range qs {
			args[i] = q.seq
		}
		marks := strings.TrimSuffix(strings.Repeat("?,", len(qs)), ",")
		res, err := tx.Exec(ctx, `DELETE FROM tsdb_outbox WHERE seq IN (`+marks+`)`, args...)
		if err != nil {
			return fmt.Errorf("remove sent points: %w", err)
		}
		// Another collector sharing the database may have sent them first:
		// count only what this one removed.
		n, _ := res.RowsAffected()
		return addCounter(ctx, tx, counter, n)
	})
}

// Stats is the outbox's state as stored; it is the same on every collector
// sharing one database.
type Stats struct {
	Pending  int64 `json:"pending"`
	Dropped  int64 `json:"dropped"`
	Rejected int64 `json:"rejected"`
	Written  int64 `json:"written"`
	// OldestPending is when the oldest unsent point was enqueued.
	OldestPending time.Time `json:"oldest_pending,omitempty"`
}

// Stats reads the counters and the queue depth.
func (o *Outbox) Stats(ctx context.Context) (Stats, error) {
	return ReadStats(ctx, o.db)
}

// ReadStats reads the outbox counters of db (usable without a configured
// InfluxDB, e.g. by the status API).
func ReadStats(ctx context.Context, db *store.DB) (Stats, error) {
	var s Stats
	var oldest sql.NullString
	if err := db.QueryRow(ctx, `SELECT COUNT(*), MIN(enqueued_at) FROM tsdb_outbox`).Scan(&s.Pending, &oldest); err != nil {
		return s, fmt.Errorf("read outbox depth: %w", err)
	}
	if oldest.Valid {
		t, err := store.ParseTime(oldest.String)
		if err != nil {
			return s, err
		}
		s.OldestPending = t
	}
	rows, err := db.Query(ctx, `SELECT name, value FROM tsdb_counters`)
	if err != nil {
		return s, fmt.Errorf("read outbox counters: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			return s, fmt.Errorf("read outbox counters: %w", err)
		}
		switch name {
		case CounterDropped:
			s.Dropped = v
		case CounterRejected:
			s.Rejected = v
		case CounterWritten:
			s.Written = v
		}
	}
	return s, rows.Err()
}
