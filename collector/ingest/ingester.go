package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
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
)

// sameRaw reports whether the stored report reportID has exactly the
// content raw (both are the canonical JSON encoding of the decoded report).
func sameRaw(ctx context.Context, tx *store.Tx, reportID string, raw []byte) (bool, error) {
	var stored string
	if err := tx.QueryRow(ctx, `SELECT raw FROM reports WHERE report_id = ?`, reportID).Scan(&stored); err != nil {
		return false, fmt.Errorf("load stored report %s: %w", reportID, err)
	}
	return stored == string(raw), nil
}

// Source says where a report came from, for the report row and the audit log.
type Source struct {
	Kind    string // inventory.SourceUpload or inventory.SourceImport
	AgentID string // the authenticated agent (upload) or the report's agent.id (import)
	Actor   auditlog.Entry
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

// Ingester commits reports and runs processors after the commit.
type Ingester struct {
	db    *store.DB
	inv   *inventory.Store
	audit *auditlog.Log
	log   *slog.Logger
	now   func() time.Time

	mu    sync.RWMutex
	procs []Processor
}

// New returns an Ingester.
func New(db *store.DB, audit *auditlog.Log, logger *slog.Logger) *Ingester {
	if logger == nil {
		logger = slog.Default()
	}
	return &Ingester{db: db, inv: inventory.New(db), audit: audit, log: logger, now: time.Now}
}

// SetClock replaces the clock (tests).
func (in *Ingester) SetClock(now func() time.Time) { in.now = now }

// Use appends processors; they run in the order added, after every commit
// and from ProcessPending. Call it while wiring, before serving.
func (in *Ingester) Use(ps ...Processor) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.procs = append(in.procs, ps...)
}

// Processors returns the registered processors in order.
func (in *Ingester) Processors() []Processor {
	in.mu.RLock()
	defer in.mu.RUnlock()
	return append([]Processor(nil), in.procs...)
}

// Ingest validates rep, stores it for department dept together with its
// endpoints and an audit entry in one transaction, and only then runs the
// processors. A report id seen before from the same agent and department is
// not stored again (Stored=false) and not processed again. The report must
// already carry the department that wins (the agent's enrolment, or the
// operator's choice on import); the caller settles conflicts with
// agent.department before calling.
func (in *Ingester) Ingest(ctx context.Context, rep *wire.ScanReport, dept string, src Source) (Result, error) {
	res := Result{ReportID: rep.ReportID, Department: dept}
	if err := rep.Validate(); err != nil {
		return res, err
	}
	raw, err := json.Marshal(rep)
	if err != nil {
		return res, fmt.Errorf("encode report: %w", err)
	}
	meta := inventory.Report{ReportID: rep.ReportID, AgentID: src.AgentID, Department: dept, Source: src.Kind,
		StartedAt: rep.StartedAt, FinishedAt: rep.FinishedAt, ReceivedAt: in.now(), Endpoints: len(rep.Endpoints)}
	entry := src.Actor
	entry.Department, entry.Target = dept, rep.ReportID
	entry.Action = "report." + src.Kind
	err = in.db.InTx(ctx, func(tx *store.Tx) error {
		ok, err := inventory.DepartmentExistsTx(ctx, tx, dept)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w %q", ErrUnknownDepartment, dept)
		}
		inserted, existing, err := inventory.InsertReport(ctx, tx, meta, raw)
		if err != nil {
			return err
		}
		if !inserted {
			if existing.AgentID != meta.AgentID || existing.Department != dept {
				return fmt.Errorf("report %s: %w", rep.ReportID, ErrConflict)
			}
			// A retry carries the same content; the same id with other
			// content is refused and the original kept.
			same, err := sameRaw(ctx, tx, rep.ReportID, raw)
			if err != nil {
				return err
			}
			if !same {
				return fmt.Errorf("report %s: %w", rep.ReportID, ErrDifferentContent)
			}
			entry.Detail = `{"stored":false,"reason":"already present"}`
			_, err = in.audit.AppendTx(ctx, tx, entry)
			return err
		}
		res.Stored = true
		if err := inventory.UpsertEndpoints(ctx, tx, dept, rep.ReportID, src.AgentID, rep.FinishedAt, rep.Endpoints); err != nil {
			return err
		}
		entry.Detail = auditlog.Detail(map[string]any{"stored": true, "endpoints": len(rep.Endpoints), "finished_at": rep.FinishedAt.UTC().Format(time.RFC3339Nano)})
		_, err = in.audit.AppendTx(ctx, tx, entry)
		return err
	})
	if err != nil {
		if errors.Is(err, ErrUnknownDepartment) || errors.Is(err, ErrConflict) || errors.Is(err, ErrDifferentContent) {
			denied := src.Actor
			denied.Department, denied.Target, denied.Action = dept, rep.ReportID, "report."+src.Kind
			denied.Outcome, denied.Detail = auditlog.OutcomeDenied, auditlog.Detail(map[string]any{"error": err.Error()})
			if _, aerr := in.audit.Append(context.WithoutCancel(ctx), denied); aerr != nil {
				in.log.Error("audit refused report", "department", dept, "err", aerr)
			}
		}
		return res, fmt.Errorf("ingest report %s: %w", rep.ReportID, err)
	}
	if res.Stored {
		res.ProcessErrors = in.process(ctx, rep, dept)
	}
	return res, nil
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

// processAttempts is how often a failing processor is tried per report.
const processAttempts = 3

// process runs every processor (a failing one does not stop the others: they
// derive independent state) and marks the report processed only if all
// succeeded. It runs on a context detached from the caller's cancellation so
// a client hanging up does not leave derived state half-written; processors
// must be idempotent because ProcessPending may run them again.
func (in *Ingester) process(ctx context.Context, rep *wire.ScanReport, dept string) []string {
	ctx = context.WithoutCancel(ctx)
	var failed []string
	for _, p := range in.Processors() {
		// A processor may lose a race with another collector or upload
		// (serialization failure, unique violation): processors are
		// idempotent, so it is retried a few times before the report is
		// left pending for ProcessPending.
		var err error
		for attempt := 0; attempt < processAttempts; attempt++ {
			if attempt > 0 {
				time.Sleep(time.Duration(attempt*attempt) * 20 * time.Millisecond)
			}
			if err = p.Process(ctx, rep, dept); err == nil || !transient(err) {
				break
			}
			in.log.Warn("processor failed", "processor", p.Name(), "department", dept, "report", rep.ReportID, "attempt", attempt+1, "err", err)
		}
		if err != nil {
			in.log.Error("processor failed; report stays pending", "processor", p.Name(), "department", dept, "report", rep.ReportID, "err", err)
			failed = append(failed, p.Name()+": "+err.Error())
		}
	}
	if err := in.inv.MarkProcessed(ctx, rep.ReportID, strings.Join(failed, "; ")); err != nil {
		in.log.Error("mark report processed", "department", dept, "report", rep.ReportID, "err", err)
		failed = append(failed, err.Error())
	}
	return failed
}

// ProcessPending re-runs the processors for every stored report not yet
// processed, oldest scan first, and returns how many are now processed. The
// collector calls it at start, so a crash or a processor failure between
// commit and processing is made good.
func (in *Ingester) ProcessPending(ctx context.Context) (int, error) {
	const batch = 100
	done := 0
	seen := map[string]bool{}
	for {
		pending, err := in.inv.Pending(ctx, batch+len(seen))
		if err != nil {
			return done, err
		}
		progressed := false
		for _, r := range pending {
			if seen[r.ReportID] {
				continue
			}
			seen[r.ReportID] = true
			progressed = true
			if err := ctx.Err(); err != nil {
				return done, err
			}
			raw, err := in.inv.RawReport(ctx, r.ReportID)
			if err != nil {
				return done, err
			}
			var rep wire.ScanReport
			if err := json.Unmarshal(raw, &rep); err != nil {
				in.log.Error("stored report unreadable", "department", r.Department, "report", r.ReportID, "err", err)
				continue
			}
			if failed := in.process(ctx, &rep, r.Department); len(failed) == 0 {
				done++
			}
		}
		if !progressed {
			return done, nil
		}
	}
}
