package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
)

// stmtCache keeps prepared statements of one SQLite pool by query text.
// SQLite (the modernc driver) otherwise parses every statement on every
// call, a tenth of an ingest's CPU. PostgreSQL needs none: pgx keeps its
// own per-connection cache.
//
// A statement is prepared in the background the first time its text is
// seen, not on the caller's path: the writer pool is one connection, which
// the caller's own transaction may hold, and preparing on the pool would
// wait for it forever. Transactions use a cached statement through
// Tx.StmtContext, which reuses the copy prepared on their connection.
type stmtCache struct {
	pool    *sql.DB
	mu      sync.Mutex
	stmts   map[string]*sql.Stmt
	warming map[string]bool
	closed  bool
	// Preparations in flight: close cancels and waits for them, so none
	// opens a connection (and with it the database's -wal and -shm files)
	// after the store was closed.
	ctx      context.Context
	cancel   context.CancelFunc
	inFlight sync.WaitGroup
}

// Bounds of a cache: distinct texts kept, and the longest text kept.
// Multi-row statements come in the few sizes RowBatches hands out, so
// their texts repeat and are worth keeping: the 500-row endpoint upsert is
// about 25 KB.
const (
	stmtCacheMax    = 256
	stmtCacheMaxLen = 32 << 10
)

func newStmtCache(pool *sql.DB) *stmtCache {
	ctx, cancel := context.WithCancel(context.Background())
	return &stmtCache{pool: pool, stmts: map[string]*sql.Stmt{}, warming: map[string]bool{}, ctx: ctx, cancel: cancel}
}

// get returns the prepared statement of q, or nil (and starts preparing
// it) when there is none yet. A nil cache caches nothing.
func (c *stmtCache) get(q string) *sql.Stmt {
	if c == nil || len(q) > stmtCacheMaxLen || strings.Contains(q, ";") {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.stmts[q]; ok {
		return s
	}
	if c.closed || c.warming[q] || len(c.stmts)+len(c.warming) >= stmtCacheMax {
		return nil
	}
	c.warming[q] = true
	c.inFlight.Add(1)
	go c.prepare(q)
	return nil
}

func (c *stmtCache) prepare(q string) {
	defer c.inFlight.Done()
	s, err := c.pool.PrepareContext(c.ctx, q)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.warming, q)
	if err != nil {
		return // not cached: the callers keep running it unprepared
	}
	if c.closed {
		s.Close()
		return
	}
	c.stmts[q] = s
}

// close closes the cached statements; later gets cache nothing.
func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.inFlight.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.stmts {
		s.Close()
	}
	clear(c.stmts)
}
