package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/wire"
)

// Errors callers map to answers.
var (
	// ErrUnknownDepartment: the department is not in the plan.
	ErrUnknownDepartment = errors.New("unknown department")
	// ErrConflict: a report with this id exists but came from another agent
	// or department, so this is not a retry of the same upload.
	ErrConflict = errors.New("report id already used by another agent or department")
	// ErrDifferentContent: a report with this id exists with other
	// content; the stored one is kept.
	ErrDifferentContent = errors.New("report id already stored with different content")
	// ErrNotVerified: the report's source failed its check inside the
	// transaction (Source.Verify): a credential revoked since it was
	// taken from memory.
	ErrNotVerified = errors.New("report source no longer valid")
)

// Source says where a report came from, for the report row and the audit log.
type Source struct {
	Kind    string // inventory.SourceUpload or inventory.SourceImport
	AgentID string // the authenticated agent (upload) or the report's agent.id (import)
	Actor   auditlog.Entry
	// Verify, when set, checks inside the report's transaction, before
	// anything is written, what the caller took on trust (an agent
	// authenticated from memory). Its error wrapping ErrNotVerified
	// refuses the report; inside a flat transaction it may instead hold
	// its check back (store.Tx.ExecLater) and fail the attempt.
	Verify func(ctx context.Context, tx *store.Tx) error
}

// Result of one Ingest.
type Result struct {
	ReportID   string `json:"report_id"`
	Department string `json:"department"`
	// Stored is false when the report was already present (a retry).
	Stored bool `json:"stored"`
	// ProcessErrors lists processors that failed; the report stays pending.
	ProcessErrors []string `json:"process_errors,omitempty"`
}

// Ingester stores reports and runs the processors on them, in one
// transaction per report (shared with concurrent reports on SQLite).
type Ingester struct {
	db    *store.DB
	inv   *inventory.Store
	audit *auditlog.Log
	log   *slog.Logger
	now   func() time.Time

	mu        sync.RWMutex
	procs     []Processor
	committed []func()

	// inflight counts the Ingest calls in progress (Busy).
	inflight atomic.Int64
	// reruns counts reports run again with savepoints (Reruns).
	reruns atomic.Int64

	// kick wakes RetryPending when a report was left pending.
	kick chan struct{}
	// inPlan (SetInPlan) says whether a department is in the running
	// plan; nil: every department is.
	inPlan func(dept string) bool
	// beforeCommit, when set (tests), runs last inside a report's
	// transaction: its error stands for a crash before the commit.
	beforeCommit func() error
}

// New returns an Ingester.
func New(db *store.DB, audit *auditlog.Log, logger *slog.Logger) *Ingester {
	if logger == nil {
		logger = slog.Default()
	}
	return &Ingester{db: db, inv: inventory.New(db), audit: audit, log: logger, now: time.Now, kick: make(chan struct{}, 1)}
}

// SetClock replaces the clock (tests).
func (in *Ingester) SetClock(now func() time.Time) { in.now = now }

// SetInPlan tells ProcessPending which departments the running plan has:
// a pending report of a department dropped from the plan is left pending
// and not tried again, since every processor would only fail on it again
// (and keep the retries of other departments' reports on a long backoff);
// it is processed once a plan that has its department is running. Call it
// while wiring, before serving.
func (in *Ingester) SetInPlan(inPlan func(dept string) bool) { in.inPlan = inPlan }

// Use appends processors; they run in the order added, after every commit
// and from ProcessPending. Call it while wiring, before serving.
func (in *Ingester) Use(ps ...Processor) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.procs = append(in.procs, ps...)
}

// AfterCommit adds fn to what runs after each report's transaction has
// committed (for example waking the InfluxDB writer, whose outbox rows a
// processor queued inside that transaction and which it cannot see
// before). Call it while wiring, before serving.
func (in *Ingester) AfterCommit(fn func()) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.committed = append(in.committed, fn)
}

// afterCommit runs the AfterCommit functions.
func (in *Ingester) afterCommit() {
	in.mu.RLock()
	fns := in.committed
	in.mu.RUnlock()
	for _, fn := range fns {
		fn()
	}
}

// Processors returns the registered processors in order.
func (in *Ingester) Processors() []Processor {
	in.mu.RLock()
	defer in.mu.RUnlock()
	return append([]Processor(nil), in.procs...)
}

// Ingest validates rep and, in one transaction, stores it for department dept
// together with its endpoints and an audit entry, runs the processors, each in
// a savepoint of that transaction, and marks it processed: nothing is stored
// unless it commits, and the caller is answered after the commit. On SQLite the
// transaction may be shared with concurrent reports, each in its own savepoint
// (store.DB.InSharedTx: one commit for the reports that waited for the single
// writer anyway); a report that fails is undone alone, and a shared commit that
// fails fails every report in it. A processor that fails is undone alone; the
// others' state commits with the report, which stays pending (ProcessErrors)
// until RetryPending or ProcessPending makes it good. A lost race (unique
// violation, serialization failure, deadlock) re-runs the whole transaction. A
// report id seen before from the same agent and department is not stored again
// (Stored=false) and not processed again. The report must already carry the
// department that wins (the agent's enrolment, or the operator's choice on
// import); the caller settles conflicts with agent.department before calling.
func (in *Ingester) Ingest(ctx context.Context, rep *wire.ScanReport, dept string, src Source) (Result, error) {
	in.inflight.Add(1)
	defer in.inflight.Add(-1)
	res := Result{ReportID: rep.ReportID, Department: dept}
	if err := rep.Validate(); err != nil {
		return res, err
	}
	raw, err := wire.EncodeReport(rep)
	if err != nil {
		return res, fmt.Errorf("encode report: %w", err)
	}
	body := inventory.PackBody(raw) // before the transaction: the writer does not wait for it
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("ingest report %s: %w", rep.ReportID, err)
	}
	// Stored as processed: the transaction commits only after the
	// processors ran, and processTx marks it pending if one failed (an
	// UPDATE of the row just written saved on every good report).
	meta := inventory.Report{ReportID: rep.ReportID, AgentID: src.AgentID, Department: dept, Source: src.Kind,
		StartedAt: rep.StartedAt, FinishedAt: rep.FinishedAt, ReceivedAt: in.now(), Endpoints: len(rep.Endpoints), Processed: true}
	// Once begun, the transaction runs to its end even if the client hangs
	// up: it is short, and abandoning it would only make the agent resend.
	tctx := context.WithoutCancel(ctx)
	procs := in.Processors()
	// On PostgreSQL the processors first run without their savepoints
	// (store.Tx.Flat: a round trip each, kept only to undo a failing
	// processor alone). Any failure of that attempt undoes it whole, and
	// the report is then run again the usual way, each processor in its
	// own savepoint, so the outcome is the same as if it had been. That
	// attempt also takes the report as new without waiting to hear so
	// (inventory.InsertKnownReport): one that is not (a retry, a refusal)
	// fails it, and the attempt with savepoints tells which.
	flat := in.db.Dialect == store.Postgres
	again := false // the report ran again with savepoints
	err = in.retry(tctx, rep, dept, func(last bool) error {
		for {
			err := in.attempt(tctx, rep, dept, src, meta, body, procs, last, flat, &res)
			if err != nil && flat {
				in.log.Debug("report runs again with savepoints", "department", dept, "report", rep.ReportID, "err", err)
				flat, again = false, true
				continue
			}
			return err
		}
	})
	if again && !refused(err) && (err != nil || res.Stored) {
		// not for a retry of a stored report or a refusal, told apart
		// only by the attempt with savepoints
		in.reruns.Add(1)
	}
	if err != nil {
		if refused(err) {
			denied := in.entry(rep, dept, src)
			denied.Outcome, denied.Detail = auditlog.OutcomeDenied, auditlog.Detail(map[string]any{"error": err.Error()})
			if _, aerr := in.audit.Append(tctx, denied); aerr != nil {
				in.log.Error("audit refused report", "department", dept, "err", aerr)
			}
		}
		res.Stored, res.ProcessErrors = false, nil
		return res, fmt.Errorf("ingest report %s: %w", rep.ReportID, err)
	}
	if res.Stored {
		in.afterCommit()
	}
	if len(res.ProcessErrors) > 0 {
		in.wake()
	}
	return res, nil
}

// attempt runs one transaction of Ingest: stores rep, runs the processors,
// audits, commits. flat runs all of it flat (store.DB.InFlatTx): without the
// processors' savepoints and with the writes whose results nobody reads
// (endpoints, ledger, queue, audit) sent together (store.Tx.ExecLater),
// where any failure fails the attempt (see Ingest).
func (in *Ingester) attempt(ctx context.Context, rep *wire.ScanReport, dept string, src Source, meta inventory.Report, body inventory.Body,
	procs []Processor, last, flat bool, res *Result) error {
	res.Stored, res.ProcessErrors = false, nil
	run := func(tx *store.Tx) error {
		return in.attemptTx(ctx, tx, rep, dept, src, meta, body, procs, last, flat, res)
	}
	if flat {
		// BEGIN and COMMIT go with the report's other statements
		return in.db.InFlatTx(ctx, run)
	}
	return in.db.InSharedTx(ctx, run)
}

// attemptTx is attempt's transaction body.
func (in *Ingester) attemptTx(ctx context.Context, tx *store.Tx, rep *wire.ScanReport, dept string, src Source, meta inventory.Report, body inventory.Body,
	procs []Processor, last, flat bool, res *Result) error {
	if src.Verify != nil {
		if err := src.Verify(ctx, tx); err != nil {
			return err
		}
	}
	stored, err := in.store(ctx, tx, rep, dept, src, meta, body)
	if err != nil || !stored {
		return err
	}
	res.Stored = true
	res.ProcessErrors, err = in.processTx(store.WithTx(ctx, tx), procs, rep, dept, last, true, flat)
	if err != nil {
		return err
	}
	// The audit entry commits with the report; on PostgreSQL it
	// joins the chain just after (auditlog.AppendQueuedTx), so
	// concurrent reports do not commit one at a time behind the
	// chain's head lock.
	entry := in.entry(rep, dept, src)
	entry.Detail = auditlog.Detail(map[string]any{"stored": true, "endpoints": len(rep.Endpoints), "finished_at": rep.FinishedAt.UTC().Format(time.RFC3339Nano)})
	if err := in.audit.AppendQueuedTx(ctx, tx, entry); err != nil {
		return err
	}
	if in.beforeCommit != nil {
		return in.beforeCommit()
	}
	return nil
}

// Reruns is how many reports ran again with savepoints after their
// attempt without them failed (see Ingest): a processor failed or a race
// was lost (a retry of a stored report, or a refusal, is not counted).
// Steadily rising, every report costs two transactions.
func (in *Ingester) Reruns() int64 { return in.reruns.Load() }

// refused says whether err refuses the report itself (its department,
// its id), whatever the attempt.
func refused(err error) bool {
	return errors.Is(err, ErrUnknownDepartment) || errors.Is(err, ErrConflict) || errors.Is(err, ErrDifferentContent) ||
		errors.Is(err, ErrNotVerified)
}

// Busy says whether more than one report is being ingested at this
// moment: a processor may then leave work that several reports share (a
// department's judgement) to a batch instead of doing it for each.
func (in *Ingester) Busy() bool { return in.inflight.Load() > 1 }

// entry is the audit entry of storing rep.
func (in *Ingester) entry(rep *wire.ScanReport, dept string, src Source) auditlog.Entry {
	entry := src.Actor
	entry.Department, entry.Target = dept, rep.ReportID
	entry.Action = "report." + src.Kind
	return entry
}

// store writes the report and its endpoints inside tx and reports whether
// it was new (false: a retry of a stored report, audited here).
func (in *Ingester) store(ctx context.Context, tx *store.Tx, rep *wire.ScanReport, dept string, src Source, meta inventory.Report, body inventory.Body) (bool, error) {
	inserted, existing, err := inventory.InsertKnownReport(ctx, tx, meta, body)
	if errors.Is(err, inventory.ErrUnknownDepartment) {
		return false, fmt.Errorf("%w %q", ErrUnknownDepartment, dept)
	}
	if err != nil {
		return false, err
	}
	if !inserted {
		if existing.AgentID != meta.AgentID || existing.Department != dept {
			return false, fmt.Errorf("report %s: %w", rep.ReportID, ErrConflict)
		}
		// A retry carries the same content; the same id with other
		// content is refused and the original kept.
		same, err := inventory.SameRawTx(ctx, tx, rep.ReportID, body.JSON)
		if err != nil {
			return false, err
		}
		if !same {
			return false, fmt.Errorf("report %s: %w", rep.ReportID, ErrDifferentContent)
		}
		entry := in.entry(rep, dept, src)
		entry.Detail = `{"stored":false,"reason":"already present"}`
		return false, in.audit.AppendQueuedTx(ctx, tx, entry)
	}
	// A report may be dated up to wire.MaxClockSkew ahead (an agent's
	// clock runs fast); its sightings count at most as of its receipt, or
	// one fast clock would pin last_seen in the future and keep endpoints
	// alive after they went away.
	seenAt := rep.FinishedAt
	if seenAt.After(meta.ReceivedAt) {
		seenAt = meta.ReceivedAt
	}
	if err := inventory.UpsertEndpoints(ctx, tx, dept, rep.ReportID, src.AgentID, seenAt, rep.Endpoints); err != nil {
		return false, err
	}
	return true, nil
}

// transient reports whether err is a lost race the database resolves by
// itself: a unique violation, serialization failure or deadlock
// (PostgreSQL), or a busy database (SQLite).
func transient(err error) bool {
	msg := err.Error()
	for _, s := range []string{"23505", "40001", "40P01", "SQLITE_BUSY", "database is locked"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// reportAttempts is how often one report's transaction is tried when it
// loses a race.
const reportAttempts = 4

// retry runs attempt until it succeeds, fails for good, or has lost
// reportAttempts races; last tells the final attempt to keep what it can.
func (in *Ingester) retry(ctx context.Context, rep *wire.ScanReport, dept string, attempt func(last bool) error) error {
	var err error
	for i := 0; i < reportAttempts; i++ {
		if i > 0 {
			// Spread the racers apart; the winner has usually committed
			// by the time the loser starts again.
			time.Sleep(time.Duration(i*i) * 20 * time.Millisecond)
		}
		if err = attempt(i == reportAttempts-1); err == nil || !transient(err) {
			return err
		}
		in.log.Warn("report transaction lost a race; retrying", "department", dept, "report", rep.ReportID, "attempt", i+1, "err", err)
	}
	return err
}

// errRace aborts a report's transaction so that retry runs it again.
type errRace struct {
	processor string
	err       error
}

func (e *errRace) Error() string { return "processor " + e.processor + ": " + e.err.Error() }
func (e *errRace) Unwrap() error { return e.err }

// processTx runs every processor inside the transaction ctx carries, each in
// its own savepoint (a failing one is undone and does not stop the others:
// they derive independent state), then marks the report processed if all
// succeeded or pending with the failures. A processor that lost a race
// aborts the whole transaction (errRace) so it is re-run, unless this is
// the last attempt: then it counts as failed and the report stays pending.
// Processors must be idempotent: ProcessPending may run them again. marked
// says the report row was written as processed already (Ingest): it is
// then only marked again when a processor failed.
func (in *Ingester) processTx(ctx context.Context, procs []Processor, rep *wire.ScanReport, dept string, last, marked, flat bool) ([]string, error) {
	var failed []string
	for _, p := range procs {
		err := in.db.InTx(ctx, func(*store.Tx) error { return p.Process(ctx, rep, dept) })
		if err == nil {
			continue
		}
		if flat {
			// not undone alone without its savepoint: the attempt fails
			return nil, fmt.Errorf("processor %s (without savepoints): %w", p.Name(), err)
		}
		if !last && transient(err) {
			return nil, &errRace{processor: p.Name(), err: err}
		}
		in.log.Error("processor failed; report stays pending", "processor", p.Name(), "department", dept, "report", rep.ReportID, "err", err)
		failed = append(failed, p.Name()+": "+err.Error())
	}
	if marked && len(failed) == 0 {
		return nil, nil
	}
	if err := in.inv.MarkProcessed(ctx, rep.ReportID, strings.Join(failed, "; ")); err != nil {
		return nil, err
	}
	return failed, nil
}

// process runs the processors on a stored report in a transaction of its
// own and returns the failures (an empty list: the report is processed).
func (in *Ingester) process(ctx context.Context, rep *wire.ScanReport, dept string) []string {
	ctx = context.WithoutCancel(ctx)
	procs := in.Processors()
	var failed []string
	err := in.retry(ctx, rep, dept, func(last bool) error {
		failed = nil
		return in.db.InNewTx(ctx, func(tx *store.Tx) error {
			var err error
			failed, err = in.processTx(store.WithTx(ctx, tx), procs, rep, dept, last, false, false)
			return err
		})
	})
	if err != nil {
		in.log.Error("process report", "department", dept, "report", rep.ReportID, "err", err)
		return append(failed, err.Error())
	}
	in.afterCommit()
	return failed
}

// ProcessPending re-runs the processors for every stored report not yet
// processed, oldest scan first, each report in one transaction, and returns
// how many are now processed. RetryPending calls it at start and whenever
// reports stay pending, so a processor failure (or a report left pending by
// an older collector) is made good without a restart. Reports of
// departments the running plan lacks are skipped (SetInPlan).
func (in *Ingester) ProcessPending(ctx context.Context) (int, error) {
	p, err := in.processPending(ctx)
	return p.done, err
}

// pass is what one processPending did.
type pass struct {
	done   int // reports now processed
	failed int // reports tried that stay pending
	// outside counts the pending reports skipped because the plan lacks
	// their department, per department.
	outside map[string]int
	// unreadable lists pending reports whose stored form cannot be read
	// (inventory.ErrUnreadable, or JSON that does not decode): trying
	// them again cannot help, so they neither count as failed nor stop
	// the pass.
	unreadable []string
}

func (in *Ingester) processPending(ctx context.Context) (pass, error) {
	const batch = 100
	p := pass{outside: map[string]int{}}
	seen := map[string]bool{}
	for {
		pending, err := in.inv.Pending(ctx, batch+len(seen))
		if err != nil {
			return p, err
		}
		progressed := false
		for _, r := range pending {
			if seen[r.ReportID] {
				continue
			}
			seen[r.ReportID] = true
			progressed = true
			if err := ctx.Err(); err != nil {
				return p, err
			}
			if in.inPlan != nil && !in.inPlan(r.Department) {
				p.outside[r.Department]++
				continue
			}
			raw, err := in.inv.RawReport(ctx, r.ReportID)
			if errors.Is(err, inventory.ErrUnreadable) {
				p.unreadable = append(p.unreadable, r.ReportID)
				continue
			}
			if err != nil {
				return p, err
			}
			var rep wire.ScanReport
			if err := json.Unmarshal(raw, &rep); err != nil {
				in.log.Debug("stored report unreadable", "department", r.Department, "report", r.ReportID, "err", err) // RetryPending says it once
				p.unreadable = append(p.unreadable, r.ReportID)
				continue
			}
			if failed := in.process(ctx, &rep, r.Department); len(failed) == 0 {
				p.done++
			} else {
				p.failed++
			}
		}
		if !progressed {
			return p, nil
		}
	}
}
