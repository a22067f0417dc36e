package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/wire"
)

// Batched judgement (issue 16). Judging a department reads all of its
// current facts, so its cost grows with the department, while a report's
// own work (storing it, filing its endpoints) grows only with the report.
// A department of 50,000 endpoints costs some 100 ms to judge: judged on
// every report, a 10-endpoint report there costs twenty times what it
// costs in a department of 1,000. So a department whose last judgement
// read at least BatchAbove facts (endpoints, ARP entries, routes, FDB
// entries) is not judged inline, nor is a report that alone holds that
// many (its department is that large at least, known or not: the first
// upload of a large network, or the first after a restart, which forgets
// departments' sizes): its scans are queued
// (rules_pending, in the report's own transaction, so a crash loses none)
// and one judgement every BatchInterval stands for all the scans queued
// meanwhile. Under load (ProcessorOptions.Busy: other reports are being
// ingested at the same moment) a small department's scans are queued too:
// one judgement then serves every report the department sent within the
// interval, where judging each inline made a department's judgement the
// largest part of every report's turn in SQLite's single writer. Once a
// department has queued scans, its later scans queue behind them, so
// scans are always judged in the order they arrived. An idle collector
// judges small departments inline on every report, as before. Either way
// a scan is judged against the department as it stood when the scan
// arrived (below), so the findings are the same; what load changes is
// when they appear, and that scans of several agents judged together
// count as one scan for resolve_after.
//
// A batch is judged as the department stood when its scans arrived, in
// segments: a segment never holds two scans of one agent, so a backlog an
// agent flushes after an outage (many scans at once) is judged scan by
// scan, and what only an intermediate scan showed is not lost. Each
// segment sees, for every agent, its latest report up to that segment
// (the report a queued scan replaced is kept with it for this). A segment
// counts as one scan of the department for rules.resolve_after, however
// many agents' scans it holds, so a finding never resolves sooner than
// inline judging would resolve it; a finding is dated and attributed to
// the scan in the segment that showed it first (Scan.attribution). The
// horizon (rules.facts_horizon) is measured back from the segment's last
// scan, but never from a moment after the judgement itself: an agent with
// a clock running ahead cannot age the others' facts out.

// queuedScan is a scan waiting for its department's batched judgement,
// with the report it replaced as its agent's latest (prev; empty for the
// agent's first).
type queuedScan struct {
	reportID, agent, agentKey string
	finishedAt                time.Time
	prev                      keptReport
}

// maxQueuedIDs bounds the ids Queued remembers (progress asks about the
// report it is processing, right after rules queued it).
const maxQueuedIDs = 1 << 16

// batching says whether dept's scans are queued rather than judged inline.
func (p *Processor) batching(dept string) bool {
	if p.opt.BatchAbove <= 0 {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.size[dept] >= p.opt.BatchAbove
}

// queues says whether rep is queued for dept's batched judgement rather
// than judged inline: its department is large, it is large, the collector
// is busy with other reports (ProcessorOptions.Busy), or scans of the
// department are already queued. The last keeps a department's scans
// judged in the order they arrived: judged inline ahead of the queue, a
// scan would count as seen before the scans queued earlier.
func (p *Processor) queues(ctx context.Context, dept string, rep *wire.ScanReport) (bool, error) {
	if p.opt.BatchAbove <= 0 {
		return false, nil // batching is off, under load too
	}
	if p.queuesAnyway(dept, rep) {
		return true, nil
	}
	var n int
	err := p.db.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM rules_pending WHERE department = ? LIMIT 1) q`, dept).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look for queued scans of %s: %w", dept, err)
	}
	return n > 0, nil
}

// queuesAnyway says whether rep is queued for dept's batched judgement
// whatever the database holds (queues): its department is large, it is
// large, or the collector is busy.
func (p *Processor) queuesAnyway(dept string, rep *wire.ScanReport) bool {
	return p.opt.BatchAbove > 0 && (p.batching(dept) || p.large(rep) || (p.opt.Busy != nil && p.opt.Busy()))
}

// large says whether rep alone holds enough facts to be judged in batches.
func (p *Processor) large(rep *wire.ScanReport) bool {
	return p.opt.BatchAbove > 0 && factsSize([]*wire.ScanReport{rep}) >= p.opt.BatchAbove
}

// largeQueued says whether a scan of segs has a report that is large, or
// not kept decoded (queuedReport) and so read back and decoded to be
// judged.
func (p *Processor) largeQueued(segs [][]queuedScan) bool {
	for _, seg := range segs {
		for _, q := range seg {
			if r := p.queuedReport(q.reportID); r == nil || p.large(r) {
				return true
			}
		}
	}
	return false
}

// sightingsMoved says whether first sightings read again (now) could
// change a verdict reached with those read before (was) on facts up to
// upTo: an address first seen earlier, or no longer known; an address
// that appeared since but was first seen by upTo (a fact whose sightings
// were filed late: its report's devices processor failed and ran again);
// or an earlier baseline. An address that appeared since and was first
// seen after upTo comes from a report newer than every evaluated fact and
// moves nothing but, possibly, the baseline: new addresses appear all the
// time (a large network's first uploads, DHCP), and evaluating again
// inside the transaction for them would take back what evaluating ahead
// saves.
func sightingsMoved(was, now map[string]time.Time, upTo time.Time) bool {
	for k, t := range was {
		if n, ok := now[k]; !ok || !n.Equal(t) {
			return true
		}
	}
	for k, t := range now {
		if _, ok := was[k]; !ok && !t.After(upTo) {
			return true
		}
	}
	return !rules.Baseline(was).Equal(rules.Baseline(now))
}

// noteSize records how many facts dept's last judgement read.
func (p *Processor) noteSize(dept string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.size[dept] = n
}

// factsSize counts the rows a judgement of reps reads: what its cost
// grows with.
func factsSize(reps []*wire.ScanReport) int {
	n := 0
	for _, r := range reps {
		n += len(r.Endpoints)
		for _, d := range r.Devices {
			n += 1 + len(d.ARP) + len(d.Routes) + len(d.FDB)
		}
	}
	return n
}

// enqueue files rep for dept's next batched judgement, in the report's
// transaction when there is one.
func (p *Processor) enqueue(ctx context.Context, dept, agent string, rep *wire.ScanReport, prev keptReport) error {
	prevAt := ""
	if prev.reportID != "" {
		prevAt = ts(prev.finishedAt)
	}
	if err := p.db.ExecLater(ctx, `INSERT INTO rules_pending (report_id, department, agent, agent_key, finished_at, prev_report_id, prev_finished_at, queued_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (report_id) DO NOTHING`,
		rep.ReportID, dept, agent, rules.AgentKey(rep), ts(rep.FinishedAt), prev.reportID, prevAt, ts(time.Now())); err != nil {
		return fmt.Errorf("queue scan %s for judgement: %w", rep.ReportID, err)
	}
	p.noteQueued(rep, dept)
	return nil
}

// enqueueHeldBack is Process for a report queued for judgement whatever
// the database holds (its department or itself is large, or the
// collector is busy), inside a flat transaction on PostgreSQL: keeping it
// as its agent's latest report, reading the one it replaces and queueing
// it are one statement held back with the report's other writes, where
// they were a round trip of their own, under exactly the load that
// queues reports. A backfill (a scan older than the agent's kept one)
// is judged alone, not queued: the statement then queues nothing and
// fails the attempt (store.ErrRowsDiffer), and the attempt with
// savepoints that follows takes Process's own path. It reports false,
// having done nothing, anywhere else.
func (p *Processor) enqueueHeldBack(ctx context.Context, dept, agent string, rep *wire.ScanReport, body string) (bool, error) {
	tx := store.TxFrom(ctx)
	if !tx.InFlat() || tx.Dialect() != store.Postgres || !p.queuesAnyway(dept, rep) {
		return false, nil
	}
	key, fin := rules.AgentKey(rep), ts(rep.FinishedAt)
	if err := tx.ExecLater(ctx, queueLatestSQL, dept, key, dept, key, rep.ReportID, fin, body,
		rep.ReportID, dept, agent, key, fin, ts(time.Now()), fin); err != nil {
		return false, fmt.Errorf("queue scan %s for judgement: %w", rep.ReportID, err)
	}
	// Kept in memory only once the report is stored: the statement above
	// may yet fail (a refused report, a backfill), and a report refused
	// for reusing a stored report's id would otherwise stand in for that
	// report in later judgements. The mark Queued reads is set now, for
	// the processors after this one in the same transaction; Process
	// clears it when it runs the report again another way.
	tx.AfterCommit(func() {
		p.remember(dept, key, rep)
		p.keepQueued(rep, dept)
	})
	p.markQueued(rep.ReportID)
	return true, nil
}

// queueLatestSQL (PostgreSQL) keeps a report as its agent's latest
// (keepLatestSQL) and queues it with the report it replaces, unless that
// one is later (a backfill: nothing is queued, and the statement fails).
const queueLatestSQL = `WITH prev AS (SELECT report_id, finished_at FROM rules_reports WHERE department = ? AND agent_key = ?),
up AS (` + keepLatestSQL + `),
queued AS (
INSERT INTO rules_pending (report_id, department, agent, agent_key, finished_at, prev_report_id, prev_finished_at, queued_at)
SELECT CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), COALESCE(prev.report_id, ''), COALESCE(prev.finished_at, ''), CAST(? AS TEXT)
FROM (SELECT 1) AS one LEFT JOIN prev ON TRUE
WHERE prev.finished_at IS NULL OR prev.finished_at <= CAST(? AS TEXT)
ON CONFLICT (report_id) DO NOTHING
RETURNING 1
)
SELECT egovnet_expect_rows(COUNT(*), 1) FROM queued`

// noteQueued remembers that rep was queued for judgement (Queued), and
// keeps it decoded for that judgement.
func (p *Processor) noteQueued(rep *wire.ScanReport, dept string) {
	p.keepQueued(rep, dept)
	p.markQueued(rep.ReportID)
}

// markQueued records that the report was queued for judgement (Queued).
func (p *Processor) markQueued(reportID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queued) >= maxQueuedIDs {
		clear(p.queued)
	}
	p.queued[reportID] = true
}

// unmarkQueued takes back markQueued: the report is judged another way
// (an earlier attempt of its transaction, undone, may have queued it).
func (p *Processor) unmarkQueued(reportID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.queued, reportID)
}

// Queued reports whether this processor queued the report for a batched
// judgement instead of judging it: its department's figures (progress)
// are recorded after that judgement (OnJudged), not now.
func (p *Processor) Queued(reportID string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.queued[reportID]
}

// OnJudged sets what runs after each batched judgement has committed
// (progress records the department's figures): one call per transaction
// of up to segmentsPerTx segments, its scan the latest judged, covering
// every other scan judged with it. Set it before serving.
func (p *Processor) OnJudged(fn func(ctx context.Context, dept string, scan Scan) error) {
	p.onJudged = fn
}

// RunBatches judges the departments with queued scans at once (what a
// crash left) and then every BatchInterval, until ctx ends. A
// department whose judgement fails is reported and tried again after a
// pause of its own that doubles up to a minute while it keeps failing;
// the other departments go on being judged every interval (their scans
// must not wait, nor their uploads be refused by the back-pressure, for
// another department's fault). Only a failure to read the queue at all
// pauses the whole round the same way.
func (p *Processor) RunBatches(ctx context.Context, onErr func(error)) {
	every := p.opt.BatchInterval
	if every <= 0 {
		every = DefaultBatchInterval
	}
	type pause struct {
		until time.Time
		wait  time.Duration
	}
	failing := map[string]*pause{}
	skip := func(dept string) bool {
		f := failing[dept]
		return f != nil && time.Now().Before(f.until)
	}
	judged := func(dept string, err error) {
		if err == nil {
			delete(failing, dept)
			return
		}
		f := failing[dept]
		if f == nil {
			f = &pause{wait: every}
			failing[dept] = f
		}
		f.wait = min(2*f.wait, max(time.Minute, every))
		f.until = time.Now().Add(f.wait)
	}
	wait := every
	for {
		err := p.judgeDepartments(ctx, skip, judged)
		if ctx.Err() != nil {
			return
		}
		if err != nil && onErr != nil {
			onErr(err)
		}
		var listErr *queueListError
		if errors.As(err, &listErr) {
			wait = min(2*wait, max(time.Minute, every))
		} else {
			wait = every
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// DefaultBatchInterval is how often queued scans are judged when
// ProcessorOptions.BatchInterval is unset (rules.batch_interval).
const DefaultBatchInterval = 2 * time.Second

// JudgeQueued judges, once, every department that has queued scans.
func (p *Processor) JudgeQueued(ctx context.Context) error {
	return p.judgeDepartments(ctx, nil, nil)
}

// queueListError: the departments with queued scans could not be listed.
type queueListError struct{ err error }

func (e *queueListError) Error() string {
	return "list departments with queued scans: " + e.err.Error()
}
func (e *queueListError) Unwrap() error { return e.err }

// judgeDepartments judges every department with queued scans that skip
// (nil: none) does not pass over, telling judged (nil: no one) how each
// went.
func (p *Processor) judgeDepartments(ctx context.Context, skip func(string) bool, judged func(string, error)) error {
	rows, err := p.db.Query(ctx, `SELECT DISTINCT department FROM rules_pending ORDER BY department`)
	if err != nil {
		return &queueListError{err}
	}
	var depts []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			rows.Close()
			return &queueListError{err}
		}
		depts = append(depts, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return &queueListError{err}
	}
	p.pruneKept(time.Now())
	var errs []error
	for _, d := range depts {
		if err := ctx.Err(); err != nil {
			return err
		}
		if skip != nil && skip(d) {
			continue
		}
		err := p.judgeQueued(ctx, d)
		if judged != nil {
			judged(d, err)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("judge queued scans of %s: %w", d, err))
		}
	}
	return errors.Join(errs...)
}

// judgeQueued judges the scans queued for dept, segment by segment.
func (p *Processor) judgeQueued(ctx context.Context, dept string) error {
	// Scans another judgement (another collector on the same PostgreSQL)
	// already covered leave the queue first.
	if _, err := p.db.Exec(ctx, `DELETE FROM rules_pending WHERE department = ? AND report_id IN (SELECT report_id FROM rules_scans)`, dept); err != nil {
		return fmt.Errorf("drop judged scans: %w", err)
	}
	// The agents' latest reports are read before the queue: a report that
	// arrives in between is then in the queue read below (its transaction
	// files both), never only in this snapshot, so each segment sees the
	// department exactly as its scans left it.
	base, err := p.keptReports(ctx, dept)
	if err != nil {
		return err
	}
	rows, err := p.db.Query(ctx, `SELECT report_id, agent, agent_key, finished_at, prev_report_id, prev_finished_at FROM rules_pending
WHERE department = ? ORDER BY finished_at, report_id`, dept)
	if err != nil {
		return fmt.Errorf("read queued scans: %w", err)
	}
	var qs []queuedScan
	for rows.Next() {
		var q queuedScan
		var at, prevAt string
		if err := rows.Scan(&q.reportID, &q.agent, &q.agentKey, &at, &q.prev.reportID, &prevAt); err != nil {
			rows.Close()
			return fmt.Errorf("read queued scans: %w", err)
		}
		q.finishedAt, q.prev.agentKey, q.prev.finishedAt = parseTS(at), q.agentKey, parseTS(prevAt)
		qs = append(qs, q)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read queued scans: %w", err)
	}
	if len(qs) == 0 {
		return nil
	}
	if p.queueRead != nil {
		p.queueRead() // tests: a report arriving while the batch is judged
	}
	if _, ok := p.eng.Plan().Department(dept); !ok {
		// The plan no longer has the department: nothing can judge these
		// scans; they leave the queue rather than fail every round.
		p.log.Warn("queued scans of a department the plan no longer has", "department", dept, "scans", len(qs))
		ids := make([]string, len(qs))
		for i, q := range qs {
			ids[i] = q.reportID
		}
		return p.db.InTx(ctx, func(tx *store.Tx) error { return dequeue(ctx, tx, ids) })
	}
	segs := segments(qs)
	for from := 0; from < len(segs); from += segmentsPerTx {
		if err := ctx.Err(); err != nil {
			return err
		}
		to := min(from+segmentsPerTx, len(segs))
		start := time.Now()
		// A large department's segments (or segments with a large
		// report, or one not kept in memory) are evaluated before their
		// transaction, off SQLite's single writer: reading, decoding and
		// judging 10,000 endpoints held the writer from every report for
		// a fifth of its time under bulk uploads. Applying the findings
		// does not write what the evaluation reads (facts, first
		// sightings); reports committed in between are in the queue for
		// the next round, and an older scan imported in between is caught
		// inside the transaction (sightingsMoved). A small department's
		// evaluation is cheap and stays inside: done first, it made
		// findings catch up after a load 1–2 s later and gained nothing.
		verdicts := make([]verdict, to-from)
		rv := &revokedOnce{}
		// first sightings do not change between segments: apply does not
		// write them
		var first map[string]time.Time
		evaluate := func(ctx context.Context) error {
			if p.evaluated != nil {
				p.evaluated(store.TxFrom(ctx) != nil) // tests
			}
			for i := from; i < to; i++ {
				v, err := p.evaluate(ctx, dept, segs[i][len(segs[i])-1].finishedAt, base, factsAt(segs, i), rv, first)
				if err != nil {
					return err
				}
				verdicts[i-from] = v
			}
			return nil
		}
		ahead := p.batching(dept) || p.largeQueued(segs[from:to])
		var err error
		if ahead {
			if first, err = p.firstSeen(ctx, dept); err == nil {
				err = evaluate(ctx)
			}
		}
		var judged Scan
		if err == nil {
			err = p.db.InTx(ctx, func(tx *store.Tx) error {
				tctx := store.WithTx(ctx, tx)
				own := make([]string, 0, to-from)
				for _, seg := range segs[from:to] {
					own = append(own, seg[len(seg)-1].reportID)
				}
				b := newTxApply(tx, dept, own)
				// The department's lock (PostgreSQL) before its first
				// sightings are read: an older scan's ingest, which
				// revises the department's findings under that lock,
				// then either committed before the read (and is seen) or
				// waits for this commit and revises what it applied.
				if err := b.lock(tctx); err != nil {
					return err
				}
				now, err := p.firstSeen(tctx, dept)
				if err != nil {
					return err
				}
				// An older scan imported meanwhile (judged on arrival,
				// never queued) moves first sightings and the baseline
				// back: what was evaluated ahead with the old ones could
				// open findings that history now refutes, and nothing
				// would judge them again before the department's next
				// scan. Then it is evaluated again, here.
				if !ahead || sightingsMoved(first, now, segs[to-1][len(segs[to-1])-1].finishedAt) {
					first = now
					if err := evaluate(tctx); err != nil {
						return err
					}
				}
				for i := from; i < to; i++ {
					seg := segs[i]
					last := seg[len(seg)-1]
					scan := Scan{ReportID: last.reportID, Agent: last.agent, FinishedAt: last.finishedAt, Queued: true}
					for _, q := range seg[:len(seg)-1] { // the last is the scan itself
						scan.Covers = append(scan.Covers, Covered{ReportID: q.reportID, Agent: q.agent, FinishedAt: q.finishedAt})
					}
					v := verdicts[i-from]
					scan.Retract = v.retract
					if err := p.st.apply(tctx, dept, scan, v.vs, p.opt.ResolveAfter, b); err != nil {
						return err
					}
					judged = mergeJudged(judged, scan)
				}
				return b.flush(tctx)
			})
		}
		if err != nil {
			// What is left of the queue is judged again next round, less
			// any scan whose report can never be read (setaside.go).
			var rest []queuedScan
			for _, s := range segs[from:] {
				rest = append(rest, s...)
			}
			if n, serr := p.setAsideUnreadable(ctx, dept, rest, base); serr != nil {
				return errors.Join(err, serr)
			} else if n > 0 {
				return fmt.Errorf("%w (set aside or freed %d unreadable queued scans; the rest is judged next round)", err, n)
			}
			return err
		}
		p.forgetQueued(segs[from:to])
		p.log.Debug("rules judged queued scans", "department", dept, "segments", to-from, "of", len(segs),
			"took", time.Since(start).String())
		if p.onJudged != nil {
			if err := p.onJudged(ctx, dept, judged); err != nil {
				// The judgement stands; the department's figures are
				// recorded again by its next judgement.
				p.log.Error("record figures after a batched judgement", "department", dept, "report", judged.ReportID, "err", err)
			}
		}
	}
	return nil
}

// segmentsPerTx bounds the segments judged in one transaction: a backlog
// (an agent flushing its spool, or agents reporting faster than
// batch_interval) is judged segment by segment, and a transaction and a
// commit each cost what a whole segment's judgement costs on a small
// department; bounded, so SQLite's single writer is not held from
// reports for long.
const segmentsPerTx = 32

// mergeJudged folds the segment scan into what one transaction judged, for
// OnJudged: the latest scan stands for the judgement and covers the rest.
func mergeJudged(acc, scan Scan) Scan {
	if acc.ReportID == "" {
		return scan
	}
	scan.Covers = append(append(acc.Covers, Covered{ReportID: acc.ReportID, Agent: acc.Agent, FinishedAt: acc.FinishedAt}), scan.Covers...)
	return scan
}

// segments cuts scans (in finished_at order) where an agent would appear
// twice: within a segment every agent has at most one scan.
func segments(qs []queuedScan) [][]queuedScan {
	var out [][]queuedScan
	var cur []queuedScan
	seen := map[string]bool{}
	for _, q := range qs {
		if seen[q.agentKey] {
			out = append(out, cur)
			cur, seen = nil, map[string]bool{}
		}
		seen[q.agentKey] = true
		cur = append(cur, q)
	}
	return append(out, cur)
}

// factsAt says which report stands, when segment k is judged, for each
// agent with a queued scan: its latest scan up to segment k, else the
// report its first queued scan replaced (nil: it had none, so it is left
// out). Every other agent stands with its latest report as read before
// the queue.
func factsAt(segs [][]queuedScan, k int) map[string]*keptReport {
	over := map[string]*keptReport{}
	for _, seg := range segs[:k+1] {
		for _, q := range seg {
			over[q.agentKey] = &keptReport{agentKey: q.agentKey, reportID: q.reportID, finishedAt: q.finishedAt, earlier: true}
		}
	}
	for _, seg := range segs[k+1:] {
		for _, q := range seg {
			if _, decided := over[q.agentKey]; decided {
				continue
			}
			if q.prev.reportID != "" {
				prev := q.prev
				prev.earlier = true
				over[q.agentKey] = &prev
			} else {
				over[q.agentKey] = nil
			}
		}
	}
	return over
}

// verdict is what evaluating a department's facts found: the findings
// and which of them its history refutes (Scan.Retract).
type verdict struct {
	vs      []wire.Violation
	retract func(rule, subject string) string
}

// evaluate judges dept's facts as of asOf without writing anything. The
// horizon is measured back from asOf, never from a moment after now (an
// agent whose clock runs ahead must not age the others' facts out); base
// (nil: read now) is each agent's latest report, over replaces some of
// them (factsAt), nil entries leave an agent out; rv (nil: read every
// time) keeps the revoked agents read once for a batch's segments; first
// (nil: read now) are the department's first sightings.
func (p *Processor) evaluate(ctx context.Context, dept string, asOf time.Time, base []keptReport, over map[string]*keptReport, rv *revokedOnce,
	first map[string]time.Time) (verdict, error) {
	if now := time.Now().UTC(); asOf.After(now) {
		asOf = now
	}
	reps, err := p.currentFacts(ctx, dept, asOf, base, over, rv)
	if err != nil {
		return verdict{}, err
	}
	p.noteSize(dept, factsSize(reps))
	if first == nil {
		if first, err = p.firstSeen(ctx, dept); err != nil {
			return verdict{}, err
		}
	}
	// The department's baseline is its first scan: the earliest first
	// sighting of anything in it (an older scan imported later moves it
	// back, as it should).
	baseline := rules.Baseline(first)
	vs, err := p.eng.Evaluate(ctx, rules.Input{Plan: p.eng.Plan(), Department: dept, Reports: reps, FirstSeen: first, Baseline: baseline})
	if err != nil {
		return verdict{}, err
	}
	return verdict{vs: p.locate(ctx, dept, reps, vs), retract: p.retraction(dept, first, baseline)}, nil
}

// judge evaluates dept's facts as of scan (evaluate) and applies the
// result alone.
func (p *Processor) judge(ctx context.Context, dept string, scan Scan, asOf time.Time) error {
	v, err := p.evaluate(ctx, dept, asOf, nil, nil, nil, nil)
	if err != nil {
		return err
	}
	scan.Retract = v.retract
	return p.st.apply(ctx, dept, scan, v.vs, p.opt.ResolveAfter, nil)
}

// pendingDelete removes queued scans by report id; its statements come in
// the sizes store.RowBatches hands out, so a backlog of any length uses a
// few statement texts, each kept prepared.
var pendingDelete = &store.MultiRow{Head: `DELETE FROM rules_pending WHERE report_id IN (`, Row: `?`, Tail: `)`}

// dequeue removes judged scans from the queue.
func dequeue(ctx context.Context, tx *store.Tx, ids []string) error {
	for _, n := range store.RowBatches(len(ids), 512) {
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		if _, err := tx.Exec(ctx, pendingDelete.SQL(n), args...); err != nil {
			return fmt.Errorf("dequeue judged scans: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}

// QueuedScans counts the scans waiting for a batched judgement (all
// departments): what an offline reader of the findings does not see yet.
func QueuedScans(ctx context.Context, db *store.DB) (int, error) {
	b, err := ReadBacklog(ctx, db)
	return b.Scans, err
}
