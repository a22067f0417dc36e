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
// is measured per department, by the age of its oldest queued scan, read
// from the queue itself (rules_pending), so collectors sharing one
// PostgreSQL see the same figures (their clocks must agree, as NTP keeps
// them); above rules.max_judgement_lag the API answers the department's
// uploads 503 with Retry-After, which agents honour (they keep the report
// and send it later), until its judgement has caught up. Per department,
// because a department whose judgement fails (RunBatches pauses it
// alone) or that one agent floods must not stop the district's other
// agents. Nothing acknowledged is affected, and nothing is lost: a
// refused report was never acknowledged.

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

// BacklogWatcher keeps each department's judgement backlog at hand for
// every upload: it reads the queue every so often (Run), not once per
// upload, which under exactly the load it guards against would add a
// query to every report.
type BacklogWatcher struct {
	db     *store.DB
	now    func() time.Time
	oldest atomic.Pointer[map[string]int64] // department -> unix ns of its oldest queued scan
	scans  atomic.Int64
}

// NewBacklogWatcher returns a watcher of db's queue; it knows nothing
// (no lag) until Run has read the queue once.
func NewBacklogWatcher(db *store.DB) *BacklogWatcher {
	return &BacklogWatcher{db: db, now: time.Now}
}

// Lag is how long dept's oldest queued scan had waited at the last
// reading, plus the time since: between two readings the lag grows with
// the clock (a judgement that ends it is seen at the next reading).
func (w *BacklogWatcher) Lag(dept string) time.Duration {
	m := w.oldest.Load()
	if m == nil {
		return 0
	}
	o, ok := (*m)[dept]
	if !ok {
		return 0
	}
	return Backlog{Oldest: time.Unix(0, o)}.Lag(w.now())
}

// Scans is the number of queued scans at the last reading.
func (w *BacklogWatcher) Scans() int { return int(w.scans.Load()) }

// Refresh reads the queue once.
func (w *BacklogWatcher) Refresh(ctx context.Context) error {
	rows, err := w.db.Query(ctx, `SELECT department, COUNT(*), MIN(queued_at) FROM rules_pending GROUP BY department`)
	if err != nil {
		return fmt.Errorf("read the judgement backlog: %w", err)
	}
	defer rows.Close()
	m := map[string]int64{}
	total := 0
	for rows.Next() {
		var dept, oldest string
		var n int
		if err := rows.Scan(&dept, &n, &oldest); err != nil {
			return fmt.Errorf("read the judgement backlog: %w", err)
		}
		total += n
		if t := parseTS(oldest); !t.IsZero() {
			m[dept] = t.UnixNano()
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the judgement backlog: %w", err)
	}
	w.oldest.Store(&m)
	w.scans.Store(int64(total))
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
