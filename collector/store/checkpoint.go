package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// Checkpoints off the writer. In WAL mode SQLite copies the log back into
// the database file (a checkpoint) from inside the commit that crosses
// wal_autocheckpoint pages, so one report in a thousand paid for copying
// every page the others wrote, with two fsyncs, while every other report
// waited for the single writer: under 32 concurrent uploads that cost a
// quarter of the throughput. A connection of its own checkpoints instead,
// PASSIVE (it never waits for, nor blocks, the writer or the readers),
// every checkpointEvery; the writer's own automatic checkpoint stays as a
// backstop at writerCheckpointPages, should this one fall behind.

// checkpointEvery is how often the checkpointer copies the log back.
const checkpointEvery = time.Second

// writerCheckpointPages is the writer's automatic checkpoint threshold:
// reached only if the checkpointer cannot keep up (about 64 MiB of log).
const writerCheckpointPages = 16384

// checkpointer runs PASSIVE checkpoints on a connection of its own.
type checkpointer struct {
	db   *sql.DB
	stop chan struct{}
	done sync.WaitGroup
}

// startCheckpointer opens the checkpoint connection on path and starts it.
func startCheckpointer(ctx context.Context, path string) (*checkpointer, error) {
	cdb, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)")
	if err != nil {
		return nil, fmt.Errorf("open sqlite checkpointer %s: %w", path, err)
	}
	cdb.SetMaxOpenConns(1)
	if err := cdb.PingContext(ctx); err != nil {
		cdb.Close()
		return nil, fmt.Errorf("open sqlite checkpointer %s: %w", path, err)
	}
	c := &checkpointer{db: cdb, stop: make(chan struct{})}
	c.done.Add(1)
	go c.run()
	return c, nil
}

func (c *checkpointer) run() {
	defer c.done.Done()
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			// A failure (the disk, a reader in the way) leaves the log to
			// the next round or to the writer's own checkpoint.
			_, _, _ = c.checkpoint(context.Background())
		}
	}
}

// checkpoint runs one PASSIVE checkpoint and says how many log frames are
// now in the database file, of how many in the log.
func (c *checkpointer) checkpoint(ctx context.Context) (copied, logged int, err error) {
	var busy int
	if err := c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logged, &copied); err != nil {
		return 0, 0, fmt.Errorf("checkpoint: %w", err)
	}
	return copied, logged, nil
}

// close stops the checkpointer and closes its connection.
func (c *checkpointer) close() error {
	if c == nil {
		return nil
	}
	close(c.stop)
	c.done.Wait()
	return c.db.Close()
}
