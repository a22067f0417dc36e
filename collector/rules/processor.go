package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/wire"
)

// Processor evaluates a department after each ingested report and applies
// the lifecycle transitions (ingest.Processor). It keeps each agent's latest
// report per department in its own table, so an evaluation always sees the
// department's whole latest picture, not only the report that arrived.
type Processor struct {
	eng          *Engine
	st           *Store
	db           *store.DB
	resolveAfter int
	log          *slog.Logger
}

// NewProcessor returns the rules processor; resolveAfter is the number of
// consecutive scans without a signal before its finding resolves itself
// (config rules.resolve_after, default 3).
func NewProcessor(eng *Engine, st *Store, resolveAfter int, logger *slog.Logger) *Processor {
	if resolveAfter < 1 {
		resolveAfter = 3
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Processor{eng: eng, st: st, db: st.db, resolveAfter: resolveAfter, log: logger}
}

// Name implements ingest.Processor.
func (p *Processor) Name() string { return "rules" }

// Process implements ingest.Processor. It is idempotent: a report already
// applied changes nothing.
func (p *Processor) Process(ctx context.Context, rep *wire.ScanReport, department string) error {
	if department == "" {
		d, err := p.eng.DepartmentOf(rep)
		if err != nil {
			return fmt.Errorf("rules: %w", err)
		}
		department = d
	}
	if _, ok := p.eng.plan.Department(department); !ok {
		return fmt.Errorf("rules: department %q is not in the plan", department)
	}
	body, err := json.Marshal(rep)
	if err != nil {
		return fmt.Errorf("rules: encode report %s: %w", rep.ReportID, err)
	}
	fin := rep.FinishedAt.UTC()
	backfill := false
	err = p.db.InTx(ctx, func(tx *store.Tx) error {
		var kept string
		err := tx.QueryRow(ctx, `SELECT finished_at FROM rules_reports WHERE department = ? AND agent_key = ?`, department, agentKey(rep)).Scan(&kept)
		if err == nil && parseTS(kept).After(fin) {
			backfill = true
		}
		if _, err := tx.Exec(ctx, `INSERT INTO rules_reports (department, agent_key, report_id, finished_at, body) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (department, agent_key) DO UPDATE SET report_id = excluded.report_id, finished_at = excluded.finished_at, body = excluded.body
WHERE rules_reports.finished_at <= excluded.finished_at`, department, agentKey(rep), rep.ReportID, ts(fin), string(body)); err != nil {
			return fmt.Errorf("keep latest report: %w", err)
		}
		for _, s := range infraSubjects(rep) {
			if _, err := tx.Exec(ctx, `INSERT INTO rules_first_seen (department, subject, first_seen) VALUES (?, ?, ?)
ON CONFLICT (department, subject) DO UPDATE SET first_seen = excluded.first_seen WHERE excluded.first_seen < rules_first_seen.first_seen`,
				department, s, ts(fin)); err != nil {
				return fmt.Errorf("record first seen: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	reps, err := p.latestReports(ctx, department)
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	if backfill {
		// An offline import of an older scan: judge what it saw, so its
		// findings enter history at its own time.
		reps = []*wire.ScanReport{rep}
	}
	first, err := p.firstSeen(ctx, department)
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	// The department's baseline is its first scan: the earliest first
	// sighting of anything in it (an older scan imported later moves it
	// back, as it should).
	var baseline time.Time
	for _, t := range first {
		if baseline.IsZero() || t.Before(baseline) {
			baseline = t
		}
	}
	vs, err := p.eng.Evaluate(ctx, Input{Plan: p.eng.plan, Department: department, Reports: reps, FirstSeen: first, Baseline: baseline})
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	agent := rep.Agent.ID
	if agent == "" {
		agent = rep.Agent.Hostname
	}
	if err := p.st.Apply(ctx, department, Scan{ReportID: rep.ReportID, Agent: agent, FinishedAt: fin, Backfill: backfill}, vs, p.resolveAfter); err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	p.log.Debug("rules evaluated", "department", department, "report", rep.ReportID, "violations", len(vs))
	return nil
}

func infraSubjects(rep *wire.ScanReport) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if a, ok := parseAddr(s); ok && !seen[a.String()] {
			seen[a.String()] = true
			out = append(out, a.String())
		}
	}
	for _, e := range rep.Endpoints {
		add(e.IP)
	}
	for _, d := range rep.Devices {
		add(targetHost(d.Target))
	}
	return out
}

func (p *Processor) latestReports(ctx context.Context, dept string) ([]*wire.ScanReport, error) {
	rows, err := p.db.Query(ctx, `SELECT body FROM rules_reports WHERE department = ? ORDER BY agent_key`, dept)
	if err != nil {
		return nil, fmt.Errorf("load latest reports of %s: %w", dept, err)
	}
	defer rows.Close()
	var out []*wire.ScanReport
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var r wire.ScanReport
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			return nil, fmt.Errorf("decode kept report: %w", err)
		}
		out = append(out, &r)
	}
	return out, rows.Err()
}

func (p *Processor) firstSeen(ctx context.Context, dept string) (map[string]time.Time, error) {
	rows, err := p.db.Query(ctx, `SELECT subject, first_seen FROM rules_first_seen WHERE department = ?`, dept)
	if err != nil {
		return nil, fmt.Errorf("load first seen of %s: %w", dept, err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var s, t string
		if err := rows.Scan(&s, &t); err != nil {
			return nil, err
		}
		out[s] = parseTS(t)
	}
	return out, rows.Err()
}
