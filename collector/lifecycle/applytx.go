package lifecycle

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/wire"
)

// txApply is what the segments of one transaction of a batched judgement
// (judgeQueued: up to segmentsPerTx segments of one department, applied in
// order) share, so that a segment pays for what it changes and not for
// the whole department again. Applied alone, every segment took the
// department's lock, looked its scan up, expired exemptions and read every
// finding of the department, then wrote each finding it touched (most of
// them: last_seen moves with every scan) and its scans, a statement each:
// some fourteen round trips a segment on PostgreSQL, where the segments of
// a busy collector hold one or two scans each. Here the lock is taken, the
// scans looked up and the findings read once per transaction, and the
// findings, scans and queue rows are written once, at its end (flush).
//
// Nothing else sees the difference. The findings read once stay what the
// database holds, with this transaction's own changes kept in memory
// exactly as a reread would return them (row.stored): only Apply inserts
// findings, under the department's lock, and on PostgreSQL the rows are
// read FOR UPDATE, so a person's transition or ExpireDue waits for the
// commit, as it already waited on the rows the segments updated (SQLite's
// writer is one transaction at a time anyway). A finding's row written
// once with its last state is what the segments' successive updates left,
// down to updated_at (saveArgs is taken when a segment changes the row);
// and nothing in the transaction reads rules_violations, rules_scans or
// rules_pending between segments but Apply itself.
type txApply struct {
	tx   *store.Tx
	dept string
	ids  []string // the report ids of the segments' own scans (Scan.ReportID)

	locked   bool // the department's lock is held (PostgreSQL)
	begun    bool
	judged   map[string]bool  // of ids: applied already (another collector's judgement)
	rows     map[string]*row  // the department's findings as this transaction leaves them
	dirty    map[string][]any // saveArgs of each changed finding's latest state
	scans    []appliedScan    // rules_scans rows to write
	dequeued []string         // rules_pending rows to delete
}

// newTxApply prepares the shared state of the segments whose own scans are
// ids, judged in tx for dept.
func newTxApply(tx *store.Tx, dept string, ids []string) *txApply {
	return &txApply{tx: tx, dept: dept, ids: ids, dirty: map[string][]any{}}
}

// scansLookup finds which of a list of reports are applied already.
var scansLookup = &store.MultiRow{Head: `SELECT report_id FROM rules_scans WHERE report_id IN (`, Row: `?`, Tail: `)`}

// begin takes the department's lock, looks up which of the segments'
// scans are applied already and reads the department's findings: once,
// at the first segment's Apply, where each Apply did it before.
func (b *txApply) begin(ctx context.Context) error {
	if b.begun {
		return nil
	}
	tx := b.tx
	forUpdate := ""
	if err := b.lock(ctx); err != nil {
		return err
	}
	if tx.Dialect() == store.Postgres {
		forUpdate = ` ORDER BY id FOR UPDATE`
	}
	// Under the lock no other judgement of the department can record a
	// scan until this transaction ends, and the segments' scans are
	// distinct: what this finds is what each segment would find.
	b.judged = map[string]bool{}
	ids := b.ids
	for _, n := range store.RowBatches(len(ids), 32) {
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		if err := eachRow(ctx, tx, scansLookup.SQL(n), args, func(sc scanner) error {
			var id string
			if err := sc.Scan(&id); err != nil {
				return err
			}
			b.judged[id] = true
			return nil
		}); err != nil {
			return fmt.Errorf("check scans %s…: %w", ids[0], err)
		}
		ids = ids[n:]
	}
	b.rows = map[string]*row{}
	if err := eachRow(ctx, tx, `SELECT `+rowCols+` FROM rules_violations WHERE department = ?`+forUpdate, []any{b.dept}, func(sc scanner) error {
		r, err := scanRow(sc)
		if err != nil {
			return err
		}
		b.rows[r.id] = r
		return nil
	}); err != nil {
		return fmt.Errorf("load violations of %s: %w", b.dept, err)
	}
	b.begun = true
	return nil
}

// lock takes the department's lock for the rest of the transaction, once:
// collectors sharing one PostgreSQL apply one department's scans one at a
// time (SQLite's writer lock does this there).
func (b *txApply) lock(ctx context.Context) error {
	if b.locked || b.tx.Dialect() != store.Postgres {
		return nil
	}
	if _, err := b.tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?)`, deptLockKey(b.dept)); err != nil {
		return fmt.Errorf("lock department %s: %w", b.dept, err)
	}
	b.locked = true
	return nil
}

// prepare is Store.prepare for one segment of the transaction: the
// department's findings are those the segments before it left.
func (b *txApply) prepare(ctx context.Context, s *Store, scan Scan, at time.Time) (existing map[string]*row, done bool, err error) {
	if err := b.begin(ctx); err != nil {
		return nil, false, err
	}
	if done, err := b.appliedAlready(ctx, scan.ReportID); err != nil || done {
		if done && scan.Queued {
			b.dequeued = append(b.dequeued, scan.ReportID)
		}
		return nil, done, err
	}
	if scan.Queued {
		b.dequeued = append(b.dequeued, scan.ids()...)
	}
	b.scans = append(b.scans, s.appliedScans(b.dept, scan, at)...)
	if !scan.Backfill && !scan.Revision {
		if err := b.expire(ctx, s, at); err != nil {
			return nil, false, err
		}
	}
	return b.rows, false, nil
}

// appliedAlready says whether the scan of report id was applied before
// this transaction; a report that is not one of the segments' own scans
// is looked up.
func (b *txApply) appliedAlready(ctx context.Context, id string) (bool, error) {
	if slices.Contains(b.ids, id) {
		return b.judged[id], nil
	}
	var n int
	if err := b.tx.QueryRow(ctx, `SELECT COUNT(*) FROM rules_scans WHERE report_id = ?`, id).Scan(&n); err != nil {
		return false, fmt.Errorf("check scan %s: %w", id, err)
	}
	return n > 0, nil
}

// expire is Store.expire of the department's findings as held in memory:
// the exemptions whose expiry has passed by at reopen, dated at the
// expiry.
func (b *txApply) expire(ctx context.Context, s *Store, at time.Time) error {
	for _, id := range slices.Sorted(maps.Keys(b.rows)) {
		r := b.rows[id]
		if r.status != wire.StatusExempted || r.exExpires.IsZero() || exemptionUntil(r.exExpires).After(at) {
			continue
		}
		if err := s.event(ctx, b.tx, r, wire.StatusOpen, exemptionUntil(r.exExpires), ActorSystem, "egovnet", "exemption expired", nil); err != nil {
			return err
		}
		r.setExemption("", nil)
		b.save(s, r)
	}
	return nil
}

// save keeps r's state to be written by flush, and r as a reread of that
// state would return it.
func (b *txApply) save(s *Store, r *row) {
	b.dirty[r.id] = s.saveArgs(r)
	*r = r.stored()
}

// inserted keeps a finding the segment inserted, as a reread would return
// it, for the segments after it.
func (b *txApply) inserted(r *row) {
	c := r.stored()
	c.missed = 0 // insertViolationSQL
	b.rows[c.id] = &c
}

// flush writes what the segments left: the queue rows they took, the
// scans they applied and each finding they changed, once.
func (b *txApply) flush(ctx context.Context) error {
	if err := dequeue(ctx, b.tx, b.dequeued); err != nil {
		return err
	}
	if err := recordScans(ctx, b.tx, b.scans); err != nil {
		return err
	}
	for _, id := range slices.Sorted(maps.Keys(b.dirty)) {
		if _, err := b.tx.Exec(ctx, saveSQL, b.dirty[id]...); err != nil {
			return fmt.Errorf("update violation %s: %w", id, err)
		}
	}
	b.dequeued, b.scans, b.dirty = nil, nil, map[string][]any{}
	return nil
}

// stored is r as the database returns it once written: instants at the
// precision and in the zone ts and parseTS give them.
func (r row) stored() row {
	r.firstSeen, r.lastSeen, r.exExpires = parseTS(ts(r.firstSeen)), parseTS(ts(r.lastSeen)), parseTS(tsOrEmpty(r.exExpires))
	return r
}

// eachRow runs q in tx and hands each row to fn.
func eachRow(ctx context.Context, tx *store.Tx, q string, args []any, fn func(scanner) error) error {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
