package store

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"
)

// Group commit. SQLite has one writer: every report's transaction queues
// for it, and each pays its own BEGIN, WAL frames for every page it dirtied
// and, with synchronous=FULL, an fsync. Under concurrent uploads most of
// those pages are the same ones (the reports table's and the audit chain's
// last pages, the department's index pages), so running the transactions
// that are waiting anyway one after another inside one transaction, each in
// its own savepoint, writes each page once per group and syncs once per
// group. Nobody is acknowledged before the group commits, so durability is
// unchanged; a caller's failure undoes only its own savepoint.

// Group limits: a group takes callers that are already waiting until it
// holds groupMost of them or has run for groupFor, so the first caller of a
// group never waits long for the last.
const (
	groupMost = 32
	groupFor  = 25 * time.Millisecond
)

// groupJob is one caller's transaction body waiting for a group.
type groupJob struct {
	ctx  context.Context
	fn   func(tx *Tx) error
	done chan error
	err  error // fn's own outcome inside the group
	// panicked carries a panic of fn back to its caller's goroutine,
	// where it would have happened without grouping.
	panicked any
	stack    []byte
}

// committer runs queued jobs in shared transactions. It has no goroutine
// while idle: the first job to arrive starts one, which stops when the
// queue is empty.
type committer struct {
	mu      sync.Mutex
	queue   []*groupJob
	running bool
	// groups and grouped count commits and the jobs they carried (tests).
	groups, grouped int64
}

// InSharedTx is InNewTx for callers that may share their transaction with
// other callers of InSharedTx: fn runs in a savepoint of a transaction that
// may hold other callers' work before and after it, sees their
// uncommitted writes as a later transaction would, and returns when that
// transaction has committed (nil) or failed. fn's error undoes only fn's
// writes. On SQLite concurrent callers are grouped (see committer); on
// PostgreSQL, whose writers run in parallel and could deadlock each other
// inside one transaction, it is InNewTx. When ctx already carries a
// transaction of db, fn runs in a savepoint of it, as with InTx.
func (db *DB) InSharedTx(ctx context.Context, fn func(tx *Tx) error) error {
	if tx := db.ambient(ctx); tx != nil {
		return tx.Savepoint(ctx, fn)
	}
	if db.group == nil { // PostgreSQL
		return db.InNewTx(ctx, fn)
	}
	j := &groupJob{ctx: ctx, fn: fn, done: make(chan error, 1)}
	db.group.mu.Lock()
	db.group.queue = append(db.group.queue, j)
	start := !db.group.running
	db.group.running = true
	db.group.mu.Unlock()
	if start {
		go db.runGroups()
	}
	err := <-j.done
	if j.panicked != nil {
		panic(fmt.Sprintf("%v\n\nin a grouped transaction:\n%s", j.panicked, j.stack))
	}
	return err
}

// take pops the next queued job, or reports that the queue is empty (and,
// when stop is set, that the runner stops).
func (c *committer) take(stop bool) *groupJob {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) == 0 {
		if stop {
			c.running = false
		}
		return nil
	}
	j := c.queue[0]
	c.queue[0] = nil
	c.queue = c.queue[1:]
	return j
}

// runGroups commits groups until the queue is empty.
func (db *DB) runGroups() {
	for {
		first := db.group.take(true)
		if first == nil {
			return
		}
		db.runGroup(first)
	}
}

// runGroup runs first and whatever queues behind it (within the limits) in
// one transaction and answers every caller once it has committed.
func (db *DB) runGroup(first *groupJob) {
	var jobs []*groupJob
	// The transaction itself must not end with a caller's context: each
	// job's own context reaches its statements through the savepoint.
	ctx := context.WithoutCancel(first.ctx)
	err := db.InNewTx(ctx, func(tx *Tx) error {
		began := time.Now()
		for j := first; j != nil; {
			jobs = append(jobs, j)
			j.err = runJob(tx, j)
			if len(jobs) >= groupMost || time.Since(began) >= groupFor {
				break
			}
			j = db.group.take(false)
		}
		return nil
	})
	if len(jobs) == 0 {
		// The transaction did not begin: first is the only one taken.
		first.done <- err
		return
	}
	db.group.mu.Lock()
	db.group.groups++
	db.group.grouped += int64(len(jobs))
	db.group.mu.Unlock()
	for _, j := range jobs {
		switch {
		case j.panicked != nil:
			j.done <- nil
		case err != nil:
			// A failed commit fails every caller of the group: nothing of
			// theirs is stored, so none may be acknowledged, and a caller's
			// own answer may rest on another's uncommitted writes (a
			// report id already taken inside the group) that are gone now:
			// each must try again.
			j.done <- err
		default:
			j.done <- j.err
		}
	}
}

// runJob runs one caller's body in its own savepoint of tx. A panic is
// undone like an error and handed back to the caller (InSharedTx re-panics
// there), so one caller's bug neither kills the process from this
// goroutine nor takes the rest of the group with it.
func runJob(tx *Tx, j *groupJob) (err error) {
	defer func() {
		if p := recover(); p != nil {
			j.panicked, j.stack = p, debug.Stack()
			err = fmt.Errorf("panic in grouped transaction: %v", p)
		}
	}()
	return tx.Savepoint(WithTx(j.ctx, tx), j.fn)
}
