package lifecycle

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/wire"
)

// Facts is where the processor reads a stored report back: the inventory
// keeps every report's raw JSON, so the rules tables keep only which report
// is each agent's latest, not a second copy of it.
type Facts interface {
	RawReport(ctx context.Context, reportID string) ([]byte, error)
}

// Sightings tells when the collector first saw each address of a
// department, keyed by address (the subjects of new-infrastructure). The
// inventory (endpoints) and the device inventory (SNMP walk targets)
// implement it; the lifecycle keeps no copy of these facts.
type Sightings interface {
	FirstSeen(ctx context.Context, department string) (map[string]time.Time, error)
}

// ProcessorOptions tune the rules processor.
type ProcessorOptions struct {
	// ResolveAfter is the number of consecutive scans without a signal
	// before its finding resolves itself (rules.resolve_after, default 3).
	ResolveAfter int
	// Horizon: an agent's latest report older than this, measured back from
	// the scan being judged, stops counting (rules.facts_horizon; 0 keeps
	// every latest report however old, as the offline audit does).
	Horizon time.Duration
	// Revoked lists the agents whose credentials were revoked: their
	// reports stop counting. Nil means none.
	Revoked func(ctx context.Context) (map[string]bool, error)
	// Facts reads stored reports; nil keeps a copy in rules_reports.
	Facts Facts
	// Sightings are the stores that know first sightings; the earliest
	// answer wins. They must already hold the report being processed
	// (the ingester files endpoints, and the devices processor runs
	// first). None means no history: only the judged reports count.
	Sightings []Sightings
	// Locator, when set, names the switch port of each host a finding is
	// about in its evidence (detail.location).
	Locator Locator
	// BatchAbove: a department whose last judgement read at least this
	// many facts (endpoints, ARP entries, routes, FDB entries), or a
	// report that alone holds that many, is judged in batches (batch.go);
	// 0 judges every report inline (rules.batch_above).
	BatchAbove int
	// BatchInterval is how often queued scans are judged (RunBatches;
	// rules.batch_interval, default DefaultBatchInterval).
	BatchInterval time.Duration
	// Busy, when set, says whether other reports are being ingested at
	// the same moment (rules.batch_under_load): a report that arrives
	// then is queued for its department's batched judgement like a large
	// department's, so concurrent uploads share one judgement per
	// department per BatchInterval instead of paying one each, in the
	// store's single writer (SQLite) or its round trips (PostgreSQL).
	// BatchAbove 0 turns this off too.
	Busy   func() bool
	Logger *slog.Logger
}

// Processor evaluates a department after each ingested report and applies
// the lifecycle transitions (ingest.Processor). It keeps which report is
// each agent's latest per department, so an evaluation always sees the
// department's whole current picture, not only the report that arrived.
// Each agent's latest decoded report is cached, so a report is decoded
// once, not once per later report of its department; only the latest is
// kept, so the cache holds what the next evaluation reads and no more.
type Processor struct {
	eng *rules.Engine
	st  *Store
	db  *store.DB
	opt ProcessorOptions
	log *slog.Logger

	newInfra bool // an enabled pack cites new-infrastructure

	mu     sync.Mutex
	cache  map[string]cachedReport // department + agent key -> latest decoded report
	size   map[string]int          // department -> facts its last judgement read
	queued map[string]bool         // report ids queued for a batched judgement
	// queuedReps: reports of scans this process queued, decoded, until
	// their judgement commits (queuedreports.go)
	queuedReps map[string]keptQueued
	keptFacts  int // facts of queuedReps
	onJudged   func(ctx context.Context, dept string, scan Scan) error
	// queueRead, when set (tests), runs after a batch has read its queue
	// and before it judges it.
	queueRead func()
	// evaluated, when set (tests), hears of each pass evaluating a batch's
	// segments, and whether it ran inside the batch's transaction.
	evaluated func(inTx bool)
}

// cachedReport is an agent's latest report, decoded (read only).
type cachedReport struct {
	id  string
	rep *wire.ScanReport
}

// maxCached bounds the decoded-report cache (one report per agent of a
// city); beyond it the cache starts over.
const maxCached = 4096

// NewProcessor returns the rules processor with default options and the
// given resolveAfter.
func NewProcessor(eng *rules.Engine, st *Store, resolveAfter int, logger *slog.Logger) *Processor {
	return NewProcessorWith(eng, st, ProcessorOptions{ResolveAfter: resolveAfter, Logger: logger})
}

// NewProcessorWith returns the rules processor.
func NewProcessorWith(eng *rules.Engine, st *Store, opt ProcessorOptions) *Processor {
	if opt.ResolveAfter < 1 {
		opt.ResolveAfter = 3
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	return &Processor{eng: eng, st: st, db: st.db, opt: opt, log: opt.Logger, cache: map[string]cachedReport{},
		size: map[string]int{}, queued: map[string]bool{}, queuedReps: map[string]keptQueued{},
		newInfra: slices.Contains(eng.EnabledRules(), wire.RuleNewInfrastructure)}
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
	if _, ok := p.eng.Plan().Department(department); !ok {
		return fmt.Errorf("rules: department %q is not in the plan", department)
	}
	body := ""
	if p.opt.Facts == nil {
		b, err := wire.EncodeReport(rep)
		if err != nil {
			return fmt.Errorf("rules: encode report %s: %w", rep.ReportID, err)
		}
		body = string(b)
	}
	fin := rep.FinishedAt.UTC()
	agent := rep.Agent.ID
	if agent == "" {
		agent = rep.Agent.Hostname
	}
	if queued, err := p.enqueueHeldBack(ctx, department, agent, rep, body); err != nil || queued {
		if err != nil {
			return fmt.Errorf("rules: %w", err)
		}
		return nil
	}
	// queued again below if it is; judged inline or alone (a backfill),
	// Queued must not say so (an earlier attempt of this report's
	// transaction, undone, may have queued it)
	p.unmarkQueued(rep.ReportID)
	backfill := false
	var prev keptReport // the agent's latest report before this one
	err := p.db.InTx(ctx, func(tx *store.Tx) error {
		var kept string
		var err error
		if tx.Dialect() == store.Postgres {
			// one round trip, shared with the report's writes held back
			// before it: the statement's snapshot reads the kept report
			// as it was before the upsert
			err = tx.ScanRow(ctx, []any{&prev.reportID, &kept}, `WITH prev AS (SELECT report_id, finished_at FROM rules_reports WHERE department = ? AND agent_key = ?),
up AS (`+keepLatestSQL+`)
SELECT report_id, finished_at FROM prev`, department, rules.AgentKey(rep), department, rules.AgentKey(rep), rep.ReportID, ts(fin), body)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("keep latest report: %w", err)
			}
		} else {
			err = tx.QueryRow(ctx, `SELECT report_id, finished_at FROM rules_reports WHERE department = ? AND agent_key = ?`,
				department, rules.AgentKey(rep)).Scan(&prev.reportID, &kept)
			if _, uerr := tx.Exec(ctx, keepLatestSQL, department, rules.AgentKey(rep), rep.ReportID, ts(fin), body); uerr != nil {
				return fmt.Errorf("keep latest report: %w", uerr)
			}
		}
		if err == nil {
			prev.finishedAt = parseTS(kept)
			backfill = prev.finishedAt.After(fin)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	scan := Scan{ReportID: rep.ReportID, Agent: agent, FinishedAt: fin, Backfill: backfill}
	if !backfill {
		p.remember(department, rules.AgentKey(rep), rep)
		queue, err := p.queues(ctx, department, rep)
		if err != nil {
			return fmt.Errorf("rules: %w", err)
		}
		if queue {
			return p.enqueue(ctx, department, agent, rep, prev)
		}
		start := time.Now()
		if err := p.judge(ctx, department, scan, fin); err != nil {
			return fmt.Errorf("rules: %w", err)
		}
		p.log.Debug("rules evaluated", "department", department, "report", rep.ReportID, "took", time.Since(start).String())
		return nil
	}
	// An offline import of an older scan is judged alone, so its findings
	// enter history at its own time.
	reps := []*wire.ScanReport{rep}
	first, err := p.firstSeen(ctx, department)
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	baseline := rules.Baseline(first)
	vs, err := p.eng.Evaluate(ctx, rules.Input{Plan: p.eng.Plan(), Department: department, Reports: reps, FirstSeen: first, Baseline: baseline})
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	vs = p.locate(ctx, department, reps, vs)
	if err := p.st.Apply(ctx, department, scan, vs, p.opt.ResolveAfter); err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	// The older scan may have moved the department's history back (its
	// baseline, first sightings): the current facts are judged again with
	// that history, so what is new infrastructure does not depend on which
	// report arrived first.
	if err := p.revise(ctx, department, rep.ReportID, agent, first, baseline); err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	p.log.Debug("rules evaluated a backfill", "department", department, "report", rep.ReportID, "violations", len(vs))
	return nil
}

// keepLatestSQL keeps rep as its agent's latest report of the department
// unless a later one is kept already.
const keepLatestSQL = `INSERT INTO rules_reports (department, agent_key, report_id, finished_at, body) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (department, agent_key) DO UPDATE SET report_id = excluded.report_id, finished_at = excluded.finished_at, body = excluded.body
WHERE rules_reports.finished_at <= excluded.finished_at`

// revise judges the department's current facts again after a backfill,
// as of the newest of them, with the history as it stands now: findings it
// adds open, findings the history no longer supports are retracted, and it
// counts as no scan of the department (nothing is missed, nothing else
// changes status).
func (p *Processor) revise(ctx context.Context, dept, reportID, agent string, first map[string]time.Time, baseline time.Time) error {
	reps, err := p.currentFacts(ctx, dept, time.Time{}, nil, nil, nil)
	if err != nil || len(reps) == 0 {
		return err
	}
	var at time.Time
	for _, r := range reps {
		if r.FinishedAt.After(at) {
			at = r.FinishedAt.UTC()
		}
	}
	vs, err := p.eng.Evaluate(ctx, rules.Input{Plan: p.eng.Plan(), Department: dept, Reports: reps, FirstSeen: first, Baseline: baseline})
	if err != nil {
		return err
	}
	vs = p.locate(ctx, dept, reps, vs)
	return p.st.Apply(ctx, dept, Scan{ReportID: reportID + "/revision", Agent: agent, FinishedAt: at, Revision: true,
		Retract: p.retraction(dept, first, baseline)}, vs, p.opt.ResolveAfter)
}

// retraction says which findings the department's history now refutes: a
// new-infrastructure finding whose subject was first seen at or before
// the baseline was part of the estate all along. Only an older scan
// arriving late moves first sightings or the baseline back, so in-order
// ingestion never retracts anything.
func (p *Processor) retraction(dept string, first map[string]time.Time, baseline time.Time) func(rule, subject string) string {
	if d, ok := p.eng.Plan().Department(dept); ok {
		if t, ok := d.BaselineAt(); ok {
			baseline = t
		}
	}
	return func(rule, subject string) string {
		if rule != wire.RuleNewInfrastructure || baseline.IsZero() {
			return ""
		}
		t, ok := first[subject]
		if !ok || t.After(baseline) {
			return ""
		}
		return fmt.Sprintf("first seen %s, not after the department's baseline %s: existing estate (history revised by an older scan)",
			t.UTC().Format(time.RFC3339), baseline.UTC().Format(time.RFC3339))
	}
}

// remember keeps rep as its agent's latest report in dept, replacing the
// one before it.
func (p *Processor) remember(dept, agentKey string, rep *wire.ScanReport) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := dept + "\x00" + agentKey
	if _, ok := p.cache[k]; !ok && len(p.cache) >= maxCached {
		clear(p.cache)
	}
	p.cache[k] = cachedReport{id: rep.ReportID, rep: rep}
}

// cached returns the agent's cached report if it is report id.
func (p *Processor) cached(dept, agentKey, id string) *wire.ScanReport {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.cache[dept+"\x00"+agentKey]; ok && c.id == id {
		return c.rep
	}
	return nil
}

// keptReports reads which report is each agent's latest in dept.
func (p *Processor) keptReports(ctx context.Context, dept string) ([]keptReport, error) {
	cols := `agent_key, report_id, finished_at, body`
	if p.opt.Facts != nil {
		cols = `agent_key, report_id, finished_at, ''` // bodies of old rows are read only when needed
	}
	rows, err := p.db.Query(ctx, `SELECT `+cols+` FROM rules_reports WHERE department = ? ORDER BY agent_key`, dept)
	if err != nil {
		return nil, fmt.Errorf("load latest reports of %s: %w", dept, err)
	}
	defer rows.Close()
	kept := []keptReport{}
	for rows.Next() {
		var k keptReport
		var at string
		if err := rows.Scan(&k.agentKey, &k.reportID, &at, &k.body); err != nil {
			return nil, fmt.Errorf("load latest reports of %s: %w", dept, err)
		}
		k.finishedAt = parseTS(at)
		kept = append(kept, k)
	}
	return kept, rows.Err()
}

type keptReport struct {
	agentKey, reportID string
	finishedAt         time.Time
	body               string
	// earlier: not the agent's latest report (a batched judgement sees the
	// department as it stood before); it is not cached in its place.
	earlier bool
}

// currentFacts returns the department's facts as of a scan finished at
// fin (zero: the newest kept report): each agent's (and scope's) latest
// report, without the reports of revoked agents and those older than the
// horizon. rv (nil: none) keeps the revoked agents read once for all the
// segments a batched judgement applies in one transaction, as of its
// first.
func (p *Processor) currentFacts(ctx context.Context, dept string, fin time.Time, base []keptReport, over map[string]*keptReport, rv *revokedOnce) ([]*wire.ScanReport, error) {
	revoked, err := p.revokedAgents(ctx, rv)
	if err != nil {
		return nil, err
	}
	if base == nil {
		var err error
		if base, err = p.keptReports(ctx, dept); err != nil {
			return nil, err
		}
	}
	var kept []keptReport
	for _, k := range base {
		if _, ok := over[k.agentKey]; !ok {
			kept = append(kept, k)
		}
	}
	for _, r := range over {
		if r != nil { // nil: not yet in the department when this is judged
			kept = append(kept, *r)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].agentKey < kept[j].agentKey })
	if fin.IsZero() {
		for _, k := range kept {
			if k.finishedAt.After(fin) {
				fin = k.finishedAt
			}
		}
	}
	var out []*wire.ScanReport
	for _, k := range kept {
		if p.opt.Horizon > 0 && k.finishedAt.Before(fin.Add(-p.opt.Horizon)) {
			continue // too old to say anything about the network now
		}
		if agent, _, _ := strings.Cut(k.agentKey, "|"); revoked[agent] {
			continue
		}
		r, err := p.load(ctx, dept, k)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// revokedOnce holds the revoked agents once read (revokedAgents).
type revokedOnce struct {
	agents map[string]bool
	read   bool
}

// revokedAgents reads the agents whose credentials are revoked, once per
// rv (nil reads every time).
func (p *Processor) revokedAgents(ctx context.Context, rv *revokedOnce) (map[string]bool, error) {
	if p.opt.Revoked == nil {
		return nil, nil
	}
	if rv != nil && rv.read {
		return rv.agents, nil
	}
	revoked, err := p.opt.Revoked(ctx)
	if err != nil {
		return nil, fmt.Errorf("list revoked agents: %w", err)
	}
	if rv != nil {
		rv.agents, rv.read = revoked, true
	}
	return revoked, nil
}

func (p *Processor) load(ctx context.Context, dept string, k keptReport) (*wire.ScanReport, error) {
	if r := p.cached(dept, k.agentKey, k.reportID); r != nil {
		return r, nil
	}
	// a report kept decoded is the stored one only if it is the agent's,
	// of this department
	if r := p.queuedReportOf(k.reportID, dept, k.agentKey); r != nil {
		return r, nil
	}
	raw := []byte(k.body)
	if k.body == "" && p.opt.Facts != nil {
		var err error
		if raw, err = p.opt.Facts.RawReport(ctx, k.reportID); err != nil {
			return nil, err
		}
	} else if k.body == "" {
		var body string
		if err := p.db.QueryRow(ctx, `SELECT body FROM rules_reports WHERE report_id = ? AND agent_key = ?`, k.reportID, k.agentKey).Scan(&body); err != nil {
			return nil, fmt.Errorf("load kept report %s: %w", k.reportID, err)
		}
		raw = []byte(body)
	}
	var r wire.ScanReport
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("decode kept report %s: %w", k.reportID, err)
	}
	if !k.earlier {
		p.remember(dept, k.agentKey, &r)
	}
	return &r, nil
}

// firstSeen merges the first sightings of the department's addresses from
// every store that knows them.
func (p *Processor) firstSeen(ctx context.Context, dept string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	if !p.newInfra {
		// Only new-infrastructure reads first sightings and the baseline:
		// without a pack citing it, a report does not load them.
		return out, nil
	}
	for _, src := range p.opt.Sightings {
		m, err := src.FirstSeen(ctx, dept)
		if err != nil {
			return nil, err
		}
		for k, t := range m {
			if old, ok := out[k]; !ok || t.Before(old) {
				out[k] = t
			}
		}
	}
	return out, nil
}
