package lifecycle

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/egovnet/egovnet/collector/store"
)

// Back-pressure (issue 16). Under load, reports are acknowledged as soon
// as they are stored and judged later in batches (batch.go), so a load
// the judgement cannot keep up with grows the queue of unjudged scans
// without bound: the findings fall further behind the uploads the longer
// the load lasts, and nothing tells the agents to slow down. The backlog
// is measured by the age of the oldest queued scan, read from the queue
// itself (rules_pending), so collectors sharing one PostgreSQL see the
// same figure; above rules.max_judgement_lag the API answers uploads 503
// with Retry-After, which agents honour (they keep the report and send it
// later), until the judgement has caught up. Nothing acknowledged is
// affected, and nothing is lost: a refused report was never acknowledged.

// Backlog is the queue of scans waiting for a batched judgement.
type Backlog struct {
	Scans int
	// Oldest is when the oldest queued scan was queued (zero: none).
	Oldest time.Time
}

// Lag is how long the oldest queued scan has waited at now (0: none).
func (b Backlog) Lag(now time.Time) time.Duration {
	if b.Oldest.IsZero() || !now.After(b.Oldest) {
		return 0
	}
	return now.Sub(b.Oldest)
}

// ReadBacklog reads the queue of scans waiting for a batched judgement
// (all departments).
func ReadBacklog(ctx context.Context, db *store.DB) (Backlog, error) {
	var b Backlog
	var oldest sql.NullString
	if err := db.QueryRow(ctx, `SELECT COUNT(*), MIN(queued_at) FROM rules_pending`).Scan(&b.Scans, &oldest); err != nil {
		return Backlog{}, fmt.Errorf("read the judgement backlog: %w", err)
	}
	if oldest.Valid {
		b.Oldest = parseTS(oldest.String)
	}
	return b, nil
}

// BacklogWatcher keeps the judgement backlog's age at hand for every
// upload: it reads the queue every so often (Run), not once per upload,
// which under exactly the load it guards against would add a query to
// every report.
type BacklogWatcher struct {
	db     *store.DB
	now    func() time.Time
	oldest atomic.Int64 // unix nanoseconds of the oldest queued scan; 0 none
	scans  atomic.Int64
}

// NewBacklogWatcher returns a watcher of db's queue; it knows nothing
// (no lag) until Run has read the queue once.
func NewBacklogWatcher(db *store.DB) *BacklogWatcher {
	return &BacklogWatcher{db: db, now: time.Now}
}

// Lag is how long the oldest queued scan had waited at the last reading,
// plus the time since: between two readings the lag grows with the clock
// (a judgement that ends it is seen at the next reading).
func (w *BacklogWatcher) Lag() time.Duration {
	o := w.oldest.Load()
	if o == 0 {
		return 0
	}
	return Backlog{Oldest: time.Unix(0, o)}.Lag(w.now())
}

// Scans is the number of queued scans at the last reading.
func (w *BacklogWatcher) Scans() int { return int(w.scans.Load()) }

// Refresh reads the queue once.
func (w *BacklogWatcher) Refresh(ctx context.Context) error {
	b, err := ReadBacklog(ctx, w.db)
	if err != nil {
		return err
	}
	var o int64
	if !b.Oldest.IsZero() {
		o = b.Oldest.UnixNano()
	}
	w.oldest.Store(o)
	w.scans.Store(int64(b.Scans))
	return nil
}

// Run reads the queue every interval until ctx ends. A failed reading
// keeps the last figures (reported through onErr): a database that cannot
// be read fails the uploads by itself.
func (w *BacklogWatcher) Run(ctx context.Context, every time.Duration, onErr func(error)) {
	if every <= 0 {
		every = 500 * time.Millisecond
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := w.Refresh(ctx); err != nil && ctx.Err() == nil && onErr != nil {
			onErr(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
