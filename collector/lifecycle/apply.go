package lifecycle

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/wire"
)

// Apply records one evaluation of a department after a scan: new findings
// open (or start exempted under the plan), findings seen again after being
// resolved reopen, and findings missing from resolveAfter consecutive scans
// of the department resolve themselves. Applying the same scan twice is a
// no-op. A backfill scan only adds what it saw first, resolving nothing.
func (s *Store) Apply(ctx context.Context, dept string, scan Scan, current []wire.Violation, resolveAfter int) error {
	return s.apply(ctx, dept, scan, current, resolveAfter, nil)
}

// apply is Apply, in its own savepoint, or, with b, as one segment of b's
// transaction (txApply): a failing segment fails the whole transaction
// there, so it needs no savepoint of its own.
func (s *Store) apply(ctx context.Context, dept string, scan Scan, current []wire.Violation, resolveAfter int, b *txApply) error {
	if resolveAfter < 1 {
		resolveAfter = 1
	}
	at := scan.FinishedAt.UTC()
	actor := scan.ReportID
	if scan.Agent != "" {
		actor = scan.Agent + " " + scan.ReportID
	}
	run := func(tx *store.Tx) error {
		old := scan.Backfill || scan.Revision
		var existing map[string]*row
		var done bool
		var err error
		if b != nil {
			existing, done, err = b.prepare(ctx, s, scan, at)
		} else {
			existing, done, err = s.prepare(ctx, tx, dept, scan, at)
		}
		if err != nil || done {
			return err
		}
		orig := make(map[string]row, len(existing))
		for id, r := range existing {
			orig[id] = *r
		}
		var inserted []*row
		seen := map[string]bool{}
		for _, v := range current {
			v.Department = dept
			if v.ID == "" {
				v.ID = rules.ViolationID(dept, v.Rule, v.Subject)
			}
			seen[v.ID] = true
			body, search := bodyOf(v), searchText(v)
			// last_seen is when something last saw it: the newest evidence,
			// not the scan that happened to trigger this evaluation.
			saw := v.LastSeen
			if saw.IsZero() {
				saw = at
			}
			evAt, evActor := scan.attribution(v, at, actor)
			r, ok := existing[v.ID]
			if !ok {
				r = &row{id: v.ID, dept: dept, rule: v.Rule, subject: v.Subject, severity: v.Severity, registered: v.Registered,
					body: body, search: search, firstSeen: minTime(v.FirstSeen, at), lastSeen: saw}
				to := wire.StatusOpen
				if v.Status == wire.StatusExempted && v.Exemption != nil {
					to = wire.StatusExempted
					r.setExemption("plan", v.Exemption)
				}
				if err := s.event(ctx, tx, r, to, evAt, ActorScan, evActor, "observed", v.Exemption); err != nil {
					return err
				}
				// Not prepared here: the store's statement cache (SQLite)
				// and pgx keep it prepared across reports; preparing per
				// call cost PostgreSQL two round trips and a deallocate.
				if _, err := tx.Exec(ctx, insertViolationSQL, r.id, dept, r.rule, r.subject, r.status, r.severity, boolInt(r.registered), body,
					ts(r.firstSeen), ts(r.lastSeen), r.exSource, r.exBasis, r.exApprover, tsOrEmpty(r.exExpires), r.seq, search, ts(s.now())); err != nil {
					return fmt.Errorf("insert violation %s: %w", r.id, err)
				}
				inserted = append(inserted, r)
				continue
			}
			r.firstSeen = minTime(r.firstSeen, minTime(v.FirstSeen, at))
			if old {
				continue
			}
			planExempt := v.Status == wire.StatusExempted && v.Exemption != nil
			if r.status == wire.StatusResolved {
				// A transition never rests on evidence older than the
				// transition it would reverse: a scan that finished before a
				// person resolved the finding does not reopen it.
				last, err := lastTransition(ctx, tx, r.id)
				if err != nil {
					return err
				}
				if !last.Before(evAt) {
					// The batch's first sighting predates the person's
					// resolution; only a scan after it may reopen.
					if !last.Before(at) {
						continue
					}
					evAt, evActor = at, actor
				}
			}
			r.lastSeen = maxTime(r.lastSeen, saw)
			r.body, r.search, r.severity, r.registered, r.missed = body, search, v.Severity, v.Registered, 0
			var err error
			switch {
			case r.status == wire.StatusResolved && planExempt:
				r.setExemption("plan", v.Exemption)
				err = s.event(ctx, tx, r, wire.StatusExempted, evAt, ActorScan, evActor, "observed again; exempted by the plan", v.Exemption)
			case r.status == wire.StatusResolved:
				err = s.event(ctx, tx, r, wire.StatusOpen, evAt, ActorScan, evActor, "observed again", nil)
			case planExempt && r.status != wire.StatusExempted:
				r.setExemption("plan", v.Exemption)
				err = s.event(ctx, tx, r, wire.StatusExempted, at, ActorScan, actor, "exempted by the plan", v.Exemption)
			case !planExempt && r.status == wire.StatusExempted && r.exSource == "plan":
				r.setExemption("", nil)
				err = s.event(ctx, tx, r, wire.StatusOpen, at, ActorScan, actor, "the plan no longer exempts it", nil)
			}
			if err != nil {
				return err
			}
		}
		if scan.Retract != nil {
			for _, id := range slices.Sorted(maps.Keys(existing)) {
				r := existing[id]
				if seen[id] || r.status == wire.StatusResolved {
					continue
				}
				note := scan.Retract(r.rule, r.subject)
				if note == "" {
					continue
				}
				r.setExemption("", nil)
				r.missed = 0
				if err := s.event(ctx, tx, r, wire.StatusResolved, at, ActorScan, actor, note, nil); err != nil {
					return err
				}
			}
		}
		if !old {
			for _, id := range slices.Sorted(maps.Keys(existing)) {
				r := existing[id]
				if seen[id] || r.status == wire.StatusResolved {
					continue
				}
				r.missed++
				if r.missed >= resolveAfter {
					r.setExemption("", nil)
					if err := s.event(ctx, tx, r, wire.StatusResolved, at, ActorScan, actor,
						fmt.Sprintf("not observed in %d consecutive scans of the department", r.missed), nil); err != nil {
						return err
					}
					r.missed = 0
				}
			}
		}
		// Write only the rows this scan changed: a department's unchanged
		// findings cost no write.
		ids := make([]string, 0, len(existing))
		for id := range existing {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			r := existing[id]
			if *r == orig[id] {
				continue
			}
			if b != nil {
				b.save(s, r)
				continue
			}
			if _, err := tx.Exec(ctx, saveSQL, s.saveArgs(r)...); err != nil {
				return fmt.Errorf("update violation %s: %w", r.id, err)
			}
		}
		if b != nil {
			for _, r := range inserted {
				b.inserted(r)
			}
		}
		return nil
	}
	if b != nil {
		return run(b.tx)
	}
	return s.db.InTx(ctx, run)
}

// appliedScan is one rules_scans row: a report the judgement applied.
type appliedScan struct {
	reportID, dept, finishedAt, appliedAt string
}

// appliedScans are the rows recording scan (its own report and those it
// covers) as applied, dated at.
func (s *Store) appliedScans(dept string, scan Scan, at time.Time) []appliedScan {
	now := ts(s.now())
	var out []appliedScan
	for _, id := range scan.ids() {
		out = append(out, appliedScan{reportID: id, dept: dept, finishedAt: ts(at), appliedAt: now})
	}
	return out
}

// scansInsert records applied scans many to a statement: a segment of a
// batched judgement covers a scan of every agent that reported in it, and
// one statement each was a round trip each on PostgreSQL.
var scansInsert = &store.MultiRow{
	Head: `INSERT INTO rules_scans (report_id, department, finished_at, applied_at) VALUES `,
	Row:  `(?, ?, ?, ?)`,
	Tail: ` ON CONFLICT (report_id) DO NOTHING`,
}

// scansPerStatement bounds the rows of one scansInsert (4 parameters each).
const scansPerStatement = 128

// recordScans inserts the rules_scans rows; a report recorded already
// (another collector's judgement covered it) keeps its row.
func recordScans(ctx context.Context, tx *store.Tx, scans []appliedScan) error {
	for _, n := range store.RowBatches(len(scans), scansPerStatement) {
		args := make([]any, 0, 4*n)
		for _, a := range scans[:n] {
			args = append(args, a.reportID, a.dept, a.finishedAt, a.appliedAt)
		}
		if _, err := tx.Exec(ctx, scansInsert.SQL(n), args...); err != nil {
			return fmt.Errorf("record scans %s…: %w", scans[0].reportID, err)
		}
		scans = scans[n:]
	}
	return nil
}

// prepare begins applying scan alone: it takes the department's lock,
// takes the scan off the queue and records it, expires exemptions due by
// at and reads the department's findings. done: the scan was applied
// already, nothing more is to be done.
func (s *Store) prepare(ctx context.Context, tx *store.Tx, dept string, scan Scan, at time.Time) (existing map[string]*row, done bool, err error) {
	if tx.Dialect() == store.Postgres {
		// Collectors sharing one PostgreSQL apply one department's
		// scans one at a time (SQLite's writer lock does this there).
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?)`, deptLockKey(dept)); err != nil {
			return nil, false, fmt.Errorf("lock department %s: %w", dept, err)
		}
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM rules_scans WHERE report_id = ?`, scan.ReportID).Scan(&n); err != nil {
		return nil, false, fmt.Errorf("check scan %s: %w", scan.ReportID, err)
	}
	if n > 0 {
		// Judged already (by another collector on the same database):
		// only this id leaves the queue; scans it does not cover stay
		// for the next judgement.
		if scan.Queued {
			return nil, true, dequeue(ctx, tx, []string{scan.ReportID})
		}
		return nil, true, nil
	}
	if scan.Queued {
		if err := dequeue(ctx, tx, scan.ids()); err != nil {
			return nil, false, err
		}
	}
	if err := recordScans(ctx, tx, s.appliedScans(dept, scan, at)); err != nil {
		return nil, false, err
	}
	if !scan.Backfill && !scan.Revision {
		if err := s.expire(ctx, tx, "department = ?", []any{dept}, at); err != nil {
			return nil, false, err
		}
	}
	existing = map[string]*row{}
	if err := eachRow(ctx, tx, `SELECT `+rowCols+` FROM rules_violations WHERE department = ?`, []any{dept}, func(sc scanner) error {
		r, err := scanRow(sc)
		if err != nil {
			return err
		}
		existing[r.id] = r
		return nil
	}); err != nil {
		return nil, false, fmt.Errorf("load violations of %s: %w", dept, err)
	}
	return existing, false, nil
}

const insertViolationSQL = `INSERT INTO rules_violations (id, department, rule, subject, status, severity, registered, body,
 first_seen, last_seen, missed, exemption_source, exemption_basis, exemption_approver, exemption_expires, seq, search_text, updated_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)`

// lastTransition is the moment of a violation's latest lifecycle event.
func lastTransition(ctx context.Context, tx *store.Tx, id string) (time.Time, error) {
	var at sql.NullString
	if err := tx.QueryRow(ctx, `SELECT MAX(at) FROM rules_violation_events WHERE violation_id = ?`, id).Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("last transition of %s: %w", id, err)
	}
	return parseTS(at.String), nil
}
