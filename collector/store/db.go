// Package store opens the collector's database (embedded SQLite or
// PostgreSQL) and applies schema migrations. It holds no domain logic: each
// collector package (inventory, rules, ledger, tsdb, ...) owns its tables,
// registers its migrations here, and writes portable SQL through DB, so that
// one conformance suite per package can run against both backends.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Dialect names a backend.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is a database handle that knows its dialect. Queries are written with
// '?' placeholders; Rebind turns them into $n for PostgreSQL.
//
// The embedded *sql.DB is the writer. On SQLite it is a single connection
// (SQLite has one writer at a time), so reads get a pool of their own:
// Query and QueryRow outside a transaction go to read-only connections on
// the same WAL file and never wait behind a write transaction. PostgreSQL
// has one pool for both.
type DB struct {
	*sql.DB
	Dialect Dialect

	read *sql.DB // SQLite's read-only pool; nil means the writer serves reads

	// Prepared statements of the writer and of the read pool (SQLite
	// only; nil caches nothing).
	wstmts, rstmts *stmtCache

	// group batches InSharedTx callers into shared transactions (SQLite
	// only; nil runs each in its own).
	group *committer
	// ckpt copies the write-ahead log back into the database file off the
	// writer (SQLite only; checkpoint.go).
	ckpt *checkpointer
}

// sqliteReaders is the size of SQLite's read pool. WAL readers do not block
// each other or the writer; a few cover concurrent API reads on two cores.
const sqliteReaders = 4

// OpenSQLite opens (creating if needed) the embedded store at path, in WAL
// mode with a busy timeout so concurrent ingests wait instead of failing.
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create data dir %s: %w", dir, err)
		}
	}
	// The store holds password hashes and the district's inventory: only
	// the collector's user may read it. SQLite gives its -wal and -shm
	// files the database file's mode, so setting it here covers them.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	f.Close()
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("restrict sqlite %s: %w", path, err)
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)&_pragma=synchronous(FULL)" +
		"&_pragma=wal_autocheckpoint(" + strconv.Itoa(writerCheckpointPages) + ")&_pragma=temp_store(MEMORY)&_txlock=immediate"
	// temp_store(MEMORY): every report runs in savepoints (its own in a
	// shared commit, one per processor), and SQLite keeps the pages a
	// savepoint may have to restore in a sub-journal, a temporary file by
	// default: writing it was a sixth of the writer's time in system
	// calls. In memory it holds at most the pages one shared commit
	// touched. Readers keep temporary files on disk (large sorts).
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// One writer at a time is SQLite's model; a single connection also makes
	// BEGIN IMMEDIATE serialise writers without SQLITE_BUSY storms.
	sdb.SetMaxOpenConns(1)
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// Readers open after the writer has put the file in WAL mode. query_only
	// makes a write routed here by mistake fail instead of taking the write
	// lock behind the writer's back.
	rdb, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)&_pragma=query_only(1)")
	if err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open sqlite readers %s: %w", path, err)
	}
	rdb.SetMaxOpenConns(sqliteReaders)
	rdb.SetMaxIdleConns(sqliteReaders)
	if err := rdb.PingContext(ctx); err != nil {
		rdb.Close()
		sdb.Close()
		return nil, fmt.Errorf("open sqlite readers %s: %w", path, err)
	}
	ckpt, err := startCheckpointer(ctx, path)
	if err != nil {
		rdb.Close()
		sdb.Close()
		return nil, err
	}
	return &DB{DB: sdb, Dialect: SQLite, read: rdb, wstmts: newStmtCache(sdb), rstmts: newStmtCache(rdb), group: &committer{}, ckpt: ckpt}, nil
}

// Close closes the read pool, the checkpointer and the writer (the last
// connection to close checkpoints what is left of the log).
func (db *DB) Close() error {
	db.wstmts.close()
	db.rstmts.close()
	var rerr error
	if db.read != nil {
		rerr = db.read.Close()
	}
	cerr := db.ckpt.close()
	return errors.Join(rerr, cerr, db.DB.Close())
}

// PingContext checks that the database answers, on the read pool: on
// SQLite the writer may be held by a report's transaction for its whole
// length, which says nothing about the database being reachable.
func (db *DB) PingContext(ctx context.Context) error {
	return db.reader().PingContext(ctx)
}

// reader is the pool that serves reads outside a transaction.
func (db *DB) reader() *sql.DB {
	if db.read != nil {
		return db.read
	}
	return db.DB
}

// postgresConns bounds the collector's PostgreSQL connections.
const postgresConns = 16

// OpenPostgres connects to PostgreSQL with a pgx DSN or URL.
func OpenPostgres(ctx context.Context, dsn string) (*DB, error) {
	if dsn == "" {
		return nil, errors.New("open postgres: empty dsn")
	}
	sdb, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	// Keep as many idle as may be open: database/sql keeps 2 by default,
	// so under load every burst closed and reopened connections, and a
	// PostgreSQL connection is a forked backend with a cold catalog cache
	// (each upload paid for one). Idle ones still go after five minutes.
	sdb.SetMaxOpenConns(postgresConns)
	sdb.SetMaxIdleConns(postgresConns)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sdb.PingContext(pctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return &DB{DB: sdb, Dialect: Postgres}, nil
}

// Open opens the backend named by driver ("sqlite" or "postgres").
func Open(ctx context.Context, driver, dataDir, dsn string) (*DB, error) {
	switch Dialect(driver) {
	case SQLite, "":
		return OpenSQLite(ctx, filepath.Join(dataDir, "egovnet.db"))
	case Postgres:
		return OpenPostgres(ctx, dsn)
	default:
		return nil, fmt.Errorf("open store: unknown driver %q (want sqlite or postgres)", driver)
	}
}

// Rebind rewrites '?' placeholders for the dialect. Question marks inside
// single-quoted literals are left alone.
func (db *DB) Rebind(q string) string {
	if db.Dialect != Postgres {
		return q
	}
	if r, ok := rebound.Load(q); ok {
		return r.(string)
	}
	r := rebind(q)
	if len(q) <= maxReboundLen && reboundN.Add(1) <= maxRebound {
		rebound.Store(q, r)
	}
	return r
}

// rebound keeps the rebound text of each query: the texts are the
// program's own constants, multi-row sizes and IN lists (some hundreds),
// and rebinding them on every statement cost PostgreSQL ingest about 4%
// of its CPU. Bounded, should some caller build texts without end.
var (
	rebound  sync.Map
	reboundN atomic.Int64
)

// Bounds of rebound: texts kept, and the longest text kept (the 500-row
// endpoint upsert is about 25 KB).
const (
	maxRebound    = 4096
	maxReboundLen = 64 << 10
)

func rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	inQuote := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '?' && !inQuote:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Exec runs a statement with '?' placeholders: inside the transaction ctx
// carries (WithTx), else on the writer.
func (db *DB) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if tx := db.ambient(ctx); tx != nil {
		return tx.Exec(ctx, q, args...)
	}
	if s := db.wstmts.get(q); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return db.DB.ExecContext(ctx, db.Rebind(q), args...)
}

// Query runs a query with '?' placeholders: inside the transaction ctx
// carries (so it sees that transaction's writes), else on the read pool.
func (db *DB) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if tx := db.ambient(ctx); tx != nil {
		return tx.Query(ctx, q, args...)
	}
	if s := db.rstmts.get(q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return db.reader().QueryContext(ctx, db.Rebind(q), args...)
}

// QueryRow runs a single-row query with '?' placeholders, routed as Query.
func (db *DB) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if tx := db.ambient(ctx); tx != nil {
		return tx.QueryRow(ctx, q, args...)
	}
	if s := db.rstmts.get(q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return db.reader().QueryRowContext(ctx, db.Rebind(q), args...)
}

// Tx is a transaction that rebinds like DB.
type Tx struct {
	// *sql.Tx is nil in a transaction of InFlatTx, which runs its
	// statements on conn and sends BEGIN and COMMIT itself.
	*sql.Tx
	db *DB

	savepoints int           // savepoints taken so far, for unique names
	unsent     []string      // PostgreSQL savepoints taken, not sent yet (lazySavepoint)
	flat       bool          // savepoints off (Flat)
	conn       *sql.Conn     // the transaction's connection (PostgreSQL; ExecLater)
	later      []deferredSQL // statements deferred by ExecLater, not sent yet
	laterArgs  int           // their arguments
	laterErr   error         // why sending them failed (the transaction is aborted)
	committed  []func()      // run after the commit (AfterCommit)
	ended      bool          // InFlatTx: committed or rolled back
}

// querier runs a transaction's statements: its *sql.Tx, or in a
// transaction of InFlatTx its connection, where BEGIN went first.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// on is where tx's statements run.
func (tx *Tx) on() querier {
	if tx.Tx == nil {
		return tx.conn
	}
	return tx.Tx
}

// Exec runs a statement with '?' placeholders inside the transaction.
func (tx *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if err := tx.flush(ctx); err != nil {
		return nil, err
	}
	if s := tx.db.wstmts.get(q); s != nil && tx.Tx != nil {
		ts := tx.Tx.StmtContext(ctx, s)
		defer ts.Close() // the copy on this connection stays with s
		return ts.ExecContext(ctx, args...)
	}
	return tx.on().ExecContext(ctx, tx.db.Rebind(q), args...)
}

// Query runs a query with '?' placeholders inside the transaction.
func (tx *Tx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if err := tx.flush(ctx); err != nil {
		return nil, err
	}
	if s := tx.db.wstmts.get(q); s != nil && tx.Tx != nil {
		// closed with the transaction: the rows still need it
		return tx.Tx.StmtContext(ctx, s).QueryContext(ctx, args...)
	}
	return tx.on().QueryContext(ctx, tx.db.Rebind(q), args...)
}

// QueryRow runs a single-row query inside the transaction.
func (tx *Tx) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	// A savepoint that failed to begin leaves a PostgreSQL transaction
	// aborted, so the query below reports it.
	_ = tx.flush(ctx)
	if s := tx.db.wstmts.get(q); s != nil && tx.Tx != nil {
		return tx.Tx.StmtContext(ctx, s).QueryRowContext(ctx, args...)
	}
	return tx.on().QueryRowContext(ctx, tx.db.Rebind(q), args...)
}

// Rebind rewrites '?' placeholders for the transaction's dialect, for
// statements prepared inside it.
func (tx *Tx) Rebind(q string) string { return tx.db.Rebind(q) }

// Dialect reports the backend of the transaction.
func (tx *Tx) Dialect() Dialect { return tx.db.Dialect }

// InTx runs fn in a transaction, committing when fn returns nil. Callers that
// acknowledge data to a client do so only after InTx returns nil, so nothing
// acknowledged is ever lost. When ctx carries a transaction of db (WithTx),
// fn runs inside a savepoint of it instead: its writes are undone if it
// fails and become durable only when the carried transaction commits.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	if tx := db.ambient(ctx); tx != nil {
		return tx.Savepoint(ctx, fn)
	}
	return db.InNewTx(ctx, fn)
}

// InNewTx is InTx that always starts a transaction of its own, whatever ctx
// carries.
func (db *DB) InNewTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	// On PostgreSQL the transaction keeps its connection in hand, so that
	// statements deferred with ExecLater can be sent together on it.
	var conn *sql.Conn
	if db.Dialect == Postgres {
		if conn, err = db.DB.Conn(ctx); err != nil {
			return fmt.Errorf("begin transaction: %w", err)
		}
		defer conn.Close()
	}
	var stx *sql.Tx
	if conn != nil {
		stx, err = conn.BeginTx(ctx, nil)
	} else {
		stx, err = db.DB.BeginTx(ctx, nil)
	}
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	tx := &Tx{Tx: stx, db: db, conn: conn}
	defer func() {
		if p := recover(); p != nil {
			_ = stx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = stx.Rollback()
		}
	}()
	return tx.finish(fn, func() error {
		if err := tx.flushLater(ctx); err != nil {
			return err
		}
		if err := stx.Commit(); err != nil {
			return fmt.Errorf("commit transaction: %w", err)
		}
		return nil
	})
}

// finish runs fn in tx and, if it and every statement it held back
// succeeded, commit, then what fn asked to run after the commit: how
// InNewTx and InFlatTx run a transaction, each with its own commit.
func (tx *Tx) finish(fn func(tx *Tx) error, commit func() error) error {
	if err := fn(tx); err != nil {
		if tx.laterErr != nil && !errors.Is(err, tx.laterErr) {
			// fn met the transaction aborted by a deferred statement
			err = fmt.Errorf("%w (after %w)", err, tx.laterErr)
		}
		return err
	}
	if tx.laterErr != nil {
		// fn went on after a held-back statement failed (it ignored an
		// error): the transaction is aborted, and this is why
		return fmt.Errorf("end transaction: a held-back statement failed: %w", tx.laterErr)
	}
	if err := commit(); err != nil {
		return err
	}
	for _, f := range tx.committed {
		f()
	}
	return nil
}

// TimeLayout is how every table stores instants: UTC with a fixed nine-digit
// fraction. Fixed width matters: RFC3339Nano drops trailing zeros, and then
// "…05Z" sorts after "…05.5Z" as text, which breaks ORDER BY and range
// filters on both backends.
const TimeLayout = "2006-01-02T15:04:05.000000000Z"

// Time formats t as TimeLayout; the zero time is the empty string.
func Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeLayout)
}

// ParseTime is the inverse of Time; the empty string is the zero time.
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse stored time %q: %w", s, err)
	}
	return t, nil
}
