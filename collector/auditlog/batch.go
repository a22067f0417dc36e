package auditlog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/egovnet/egovnet/collector/store"
)

// Batcher writes audit entries off the request path: reads are recorded
// (等级保护 wants every access audited) without each GET becoming a write
// transaction that serialises with ingest. Entries keep the moment they
// were recorded, join the one hash chain in the order they were recorded,
// and are written in batches, one transaction each, every interval or
// when a batch is full. The queue is bounded: when it is full Record waits
// for room, so nothing is ever dropped; Close writes what is queued.
type Batcher struct {
	log      *Log
	ch       chan Entry
	interval time.Duration
	max      int
	onErr    func(error)

	mu      sync.RWMutex // guards closed against Record racing Close
	closed  bool
	flushes chan chan error
	done    chan struct{}
}

// BatchOptions tune a Batcher; zero values take the defaults.
type BatchOptions struct {
	Queue    int           // entries waiting at most (default 4096)
	Batch    int           // entries per transaction at most (default 256)
	Interval time.Duration // longest wait before a write (default 500ms)
	OnError  func(error)   // a failed write (the entries are retried)
}

// ErrBatcherClosed is returned by Record after Close.
var ErrBatcherClosed = errors.New("audit batcher closed")

// NewBatcher starts a batcher writing to l; Close stops it.
func (l *Log) NewBatcher(o BatchOptions) *Batcher {
	if o.Queue <= 0 {
		o.Queue = 4096
	}
	if o.Batch <= 0 {
		o.Batch = 256
	}
	if o.Interval <= 0 {
		o.Interval = 500 * time.Millisecond
	}
	b := &Batcher{log: l, ch: make(chan Entry, o.Queue), interval: o.Interval, max: o.Batch, onErr: o.OnError,
		flushes: make(chan chan error), done: make(chan struct{})}
	go b.run()
	return b
}

// Record queues e, stamped now if its time is zero. It waits while the
// queue is full (or until ctx ends, then the entry is written synchronously
// so it is still not lost).
func (b *Batcher) Record(ctx context.Context, e Entry) error {
	if e.At.IsZero() {
		e.At = b.log.now()
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		_, err := b.log.Append(context.WithoutCancel(ctx), e)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrBatcherClosed, err)
		}
		return nil
	}
	select {
	case b.ch <- e:
		return nil
	case <-ctx.Done():
		_, err := b.log.Append(context.WithoutCancel(ctx), e)
		return err
	}
}

// Flush writes everything queued before it was called.
func (b *Batcher) Flush(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case b.flushes <- reply:
	case <-b.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops accepting entries (later ones are written synchronously),
// writes everything queued and stops the batcher.
func (b *Batcher) Close(ctx context.Context) error {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.ch)
	}
	b.mu.Unlock()
	select {
	case <-b.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("close audit batcher: %w", ctx.Err())
	}
}

func (b *Batcher) run() {
	defer close(b.done)
	t := time.NewTicker(b.interval)
	defer t.Stop()
	var pending []Entry
	write := func() error {
		for len(pending) > 0 {
			n := min(len(pending), b.max)
			if err := b.write(pending[:n]); err != nil {
				if b.onErr != nil {
					b.onErr(err)
				}
				return err // kept in pending, retried at the next tick
			}
			pending = pending[n:]
		}
		pending = nil
		return nil
	}
	for {
		select {
		case e, ok := <-b.ch:
			if !ok {
				// Closed: write the rest, retrying a few times.
				for i := 0; i < 5 && write() != nil; i++ {
					time.Sleep(b.interval)
				}
				return
			}
			pending = append(pending, e)
			if len(pending) >= b.max {
				_ = write()
			}
		case <-t.C:
			_ = write()
		case reply := <-b.flushes:
			// Everything recorded before Flush is in the channel already.
			for drained := false; !drained; {
				select {
				case e, ok := <-b.ch:
					if !ok {
						drained = true
						break
					}
					pending = append(pending, e)
				default:
					drained = true
				}
			}
			reply <- write()
		}
	}
}

func (b *Batcher) write(es []Entry) error {
	return b.log.db.InTx(context.Background(), func(tx *store.Tx) error {
		for _, e := range es {
			if _, err := b.log.AppendTx(context.Background(), tx, e); err != nil {
				return err
			}
		}
		return nil
	})
}
