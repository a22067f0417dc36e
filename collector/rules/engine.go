package rules

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/egovnet/egovnet/collector/rules/packs"
	"github.com/egovnet/egovnet/collector/terms"
	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/wire"
)

// Engine evaluates a department's reports against the plan and the enabled
// policy packs. It is pure: no clock, no store. Evaluate returns every
// finding as a wire.Violation with status open or exempted; the lifecycle
// store turns those into history.
type Engine struct {
	plan      *plan.Plan
	idx       *index
	pat       *compiled
	packs     []packs.Pack
	mu        sync.RWMutex
	detectors []Detector
}

// Option configures an Engine.
type Option func(*engineConfig)

type engineConfig struct {
	patterns  Patterns
	detectors []Detector
}

// WithPatterns replaces the detectors' heuristics (line names, tunnel
// types, management UI titles, carriers, VPN ports).
func WithPatterns(p Patterns) Option { return func(c *engineConfig) { c.patterns = p } }

// WithDetector adds a detector (e.g. the software ledger's).
func WithDetector(d Detector) Option {
	return func(c *engineConfig) { c.detectors = append(c.detectors, d) }
}

// NewEngine builds an engine for a validated plan.
func NewEngine(p *plan.Plan, opts ...Option) (*Engine, error) {
	if p == nil {
		return nil, errors.New("new rules engine: nil plan")
	}
	cfg := engineConfig{patterns: DefaultPatterns()}
	for _, o := range opts {
		o(&cfg)
	}
	pat, err := compile(cfg.patterns)
	if err != nil {
		return nil, fmt.Errorf("new rules engine: %w", err)
	}
	e := &Engine{plan: p, idx: newIndex(p), pat: pat}
	for _, id := range p.Packs {
		pk, ok := packs.Get(id)
		if !ok {
			return nil, fmt.Errorf("new rules engine: unknown policy pack %q", id)
		}
		e.packs = append(e.packs, pk)
	}
	e.detectors = append([]Detector{&netDetector{e: e}}, cfg.detectors...)
	return e, nil
}

// AddDetector registers another detector (the ledger's software rules).
func (e *Engine) AddDetector(d Detector) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.detectors = append(e.detectors, d)
}

// Plan returns the plan the engine judges against.
func (e *Engine) Plan() *plan.Plan { return e.plan }

// Packs returns the enabled packs in plan order.
func (e *Engine) Packs() []packs.Pack { return slices.Clone(e.packs) }

// EnabledRules returns the rule ids at least one enabled pack cites.
func (e *Engine) EnabledRules() []string {
	var out []string
	for _, id := range wire.RuleIDs {
		for _, p := range e.packs {
			if _, ok := p.Rules[id]; ok {
				out = append(out, id)
				break
			}
		}
	}
	return out
}

// DepartmentOf returns the department a report belongs to: agent.department
// when set, else the department whose prefixes (classified ones included)
// contain its scope (CONTRACT).
func (e *Engine) DepartmentOf(rep *wire.ScanReport) (string, error) {
	return DepartmentOf(e.plan, rep)
}

// DepartmentOf is Engine.DepartmentOf for callers without an engine.
func DepartmentOf(p *plan.Plan, rep *wire.ScanReport) (string, error) {
	if rep.Agent.Department != "" {
		if _, ok := p.Department(rep.Agent.Department); !ok {
			return "", fmt.Errorf("report %s: department %q is not in the plan", rep.ReportID, rep.Agent.Department)
		}
		return rep.Agent.Department, nil
	}
	if d, ok := p.DepartmentForScope(rep.Scope); ok {
		return d.Code, nil
	}
	return "", fmt.Errorf("report %s: no agent.department and no plan department contains its scope %v", rep.ReportID, rep.Scope)
}

// Evaluate judges one department's latest reports.
func (e *Engine) Evaluate(ctx context.Context, in Input) ([]wire.Violation, error) {
	if in.Plan == nil {
		in.Plan = e.plan
	}
	if _, ok := e.plan.Department(in.Department); !ok {
		return nil, fmt.Errorf("evaluate: department %q is not in the plan", in.Department)
	}
	e.mu.RLock()
	dets := slices.Clone(e.detectors)
	e.mu.RUnlock()
	var all []Finding
	for _, d := range dets {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fs, err := d.Detect(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("evaluate %s: %w", in.Department, err)
		}
		all = append(all, fs...)
	}
	at := latest(in.Reports)
	return e.violations(in.Department, all, at), nil
}

// EvaluateReports groups reports by department (latest report per agent)
// and evaluates each department: the offline audit.
func (e *Engine) EvaluateReports(ctx context.Context, reports []*wire.ScanReport) ([]wire.Violation, error) {
	byDept := map[string][]*wire.ScanReport{}
	var errs []error
	for _, r := range reports {
		d, err := e.DepartmentOf(r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		byDept[d] = append(byDept[d], r)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var codes []string
	for c := range byDept {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var out []wire.Violation
	for _, c := range codes {
		// Every report read is history: first sightings come from all of
		// them, as the collector's inventory keeps them, while only each
		// agent's latest report is judged. The result does not depend on
		// the order of the files.
		first := FirstSightings(byDept[c])
		vs, err := e.Evaluate(ctx, Input{Plan: e.plan, Department: c, Reports: LatestPerAgent(byDept[c]),
			FirstSeen: first, Baseline: Baseline(first)})
		if err != nil {
			return nil, err
		}
		out = append(out, vs...)
	}
	return out, nil
}

// LatestPerAgent keeps each agent's (and scope's) latest report.
func LatestPerAgent(reps []*wire.ScanReport) []*wire.ScanReport {
	best := map[string]*wire.ScanReport{}
	var keys []string
	for _, r := range reps {
		k := AgentKey(r)
		if b, ok := best[k]; !ok || r.FinishedAt.After(b.FinishedAt) {
			if !ok {
				keys = append(keys, k)
			}
			best[k] = r
		}
	}
	out := make([]*wire.ScanReport, 0, len(keys))
	for _, k := range keys {
		out = append(out, best[k])
	}
	return out
}

// AgentKey identifies whose facts a report carries: its agent and scope
// (one agent scanning two scopes keeps two latest reports).
func AgentKey(r *wire.ScanReport) string {
	id := r.Agent.ID
	if id == "" {
		id = r.Agent.Hostname
	}
	scope := slices.Clone(r.Scope)
	sort.Strings(scope)
	return id + "|" + fmt.Sprint(scope)
}

func latest(reps []*wire.ScanReport) time.Time {
	var t time.Time
	for _, r := range reps {
		if r != nil && r.FinishedAt.After(t) {
			t = r.FinishedAt
		}
	}
	return t.UTC()
}

// ViolationID is the stable id of a finding: the same subject keeps its id
// across scans, collectors and the offline audit.
func ViolationID(dept, rule, subject string) string {
	h := sha256.Sum256([]byte(dept + "\x00" + rule + "\x00" + subject))
	return "v-" + hex.EncodeToString(h[:8])
}

// violations attaches citations, severity and exemptions, merging findings
// of several detectors about the same subject.
func (e *Engine) violations(dept string, fs []Finding, at time.Time) []wire.Violation {
	byKey := map[string]*Finding{}
	var keys []string
	for _, f := range fs {
		if f.Department == "" {
			f.Department = dept
		}
		k := f.Rule + "\x00" + f.Subject
		if g, ok := byKey[k]; ok {
			g.Evidence = append(g.Evidence, f.Evidence...)
			g.Registered = g.Registered || f.Registered
			g.Packs = append(g.Packs, f.Packs...)
			if g.Severity == "" || (f.Severity != "" && packs.SeverityRank(f.Severity) < packs.SeverityRank(g.Severity)) {
				g.Severity = f.Severity
			}
			continue
		}
		f := f
		byKey[k] = &f
		keys = append(keys, k)
	}
	var out []wire.Violation
	for _, k := range keys {
		f := byKey[k]
		v, ok := e.violation(f, at)
		if ok {
			out = append(out, v)
		}
	}
	SortViolations(out)
	return out
}

func (e *Engine) violation(f *Finding, at time.Time) (wire.Violation, bool) {
	var cites []wire.Citation
	base := ""
	for _, p := range e.packs {
		r, ok := p.Rules[f.Rule]
		if !ok || (len(f.Packs) > 0 && !slices.Contains(f.Packs, p.ID)) {
			continue
		}
		cites = append(cites, p.Citations(f.Rule)...)
		if base == "" || packs.SeverityRank(r.Severity) < packs.SeverityRank(base) {
			base = r.Severity
		}
	}
	if len(cites) == 0 {
		return wire.Violation{}, false // no enabled pack makes this a violation
	}
	ev := dedupeEvidence(f.Evidence)
	v := wire.Violation{
		ID: ViolationID(f.Department, f.Rule, f.Subject), Rule: f.Rule, Department: f.Department, Subject: f.Subject,
		Status: wire.StatusOpen, Citations: cites, Evidence: ev, Registered: f.Registered,
	}
	ex, exempt := e.plan.ExemptionFor(f.Rule, f.Department, f.Subject, at)
	if exempt && f.Rule == wire.RulePrivateLink {
		v.Registered = true // an approved legacy line awaiting consolidation
	}
	switch {
	case f.Severity != "":
		v.Severity = f.Severity
	case v.Registered:
		v.Severity = packs.Lower(base)
	case distinctMethods(ev) >= 3:
		v.Severity = packs.Raise(base)
	default:
		v.Severity = base
	}
	if exempt {
		v.Status = wire.StatusExempted
		v.Exemption = &wire.Exemption{Basis: ex.Basis, Approver: ex.Approver, Expires: ex.Expires}
	}
	for _, x := range ev {
		if v.FirstSeen.IsZero() || x.ObservedAt.Before(v.FirstSeen) {
			v.FirstSeen = x.ObservedAt
		}
		if x.ObservedAt.After(v.LastSeen) {
			v.LastSeen = x.ObservedAt
		}
	}
	if v.FirstSeen.IsZero() {
		v.FirstSeen, v.LastSeen = at, at
	}
	v.Title, v.TitleEN = f.Title, f.TitleEN
	if v.Title == "" {
		v.Title = terms.RuleTitle(f.Rule, v.Registered, terms.ZH) + "：" + f.Subject
	}
	if v.TitleEN == "" {
		v.TitleEN = terms.RuleTitle(f.Rule, v.Registered, terms.EN) + ": " + f.Subject
	}
	return v, true
}

func distinctMethods(ev []wire.Evidence) int {
	m := map[string]bool{}
	for _, e := range ev {
		m[e.Method] = true
	}
	return len(m)
}

// SortViolations orders by department, rule (contract order), subject.
func SortViolations(vs []wire.Violation) {
	sort.SliceStable(vs, func(i, j int) bool {
		a, b := vs[i], vs[j]
		if a.Department != b.Department {
			return a.Department < b.Department
		}
		if ra, rb := slices.Index(wire.RuleIDs, a.Rule), slices.Index(wire.RuleIDs, b.Rule); ra != rb {
			return ra < rb
		}
		return a.Subject < b.Subject
	})
}

// netDetector runs the network rules over one department's reports.
type netDetector struct{ e *Engine }

// Detect implements Detector.
func (d *netDetector) Detect(ctx context.Context, in Input) ([]Finding, error) {
	v := newView(d.e.idx, d.e.pat, in)
	var sigs []signal
	sigs = append(sigs, v.internetEgress()...)
	sigs = append(sigs, v.privateLink()...)
	sigs = append(sigs, v.isolationBreach()...)
	sigs = append(sigs, v.multihome()...)
	sigs = append(sigs, v.localServer()...)
	sigs = append(sigs, v.departmentWebsite()...)
	sigs = append(sigs, v.addressOutsidePlan()...)
	sigs = append(sigs, v.newInfrastructure(d.e.packs)...)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return merge(in.Department, sigs), nil
}

// CloudRatio is the share of a department's servers seen on the e-gov cloud
// (Qiqihar art. 9); 1 when no server was seen.
func (e *Engine) CloudRatio(in Input) (ratio float64, local, cloud int) {
	v := newView(e.idx, e.pat, in)
	local, cloud = v.serverCounts()
	if local+cloud == 0 {
		return 1, 0, 0
	}
	return float64(cloud) / float64(local+cloud), local, cloud
}

// InfraSubjects are the addresses of a report whose first sighting the
// new-infrastructure rule compares with the department's baseline: every
// endpoint and every SNMP device target.
func InfraSubjects(rep *wire.ScanReport) []string {
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

// FirstSightings is when each infrastructure subject (InfraSubjects) was
// first seen in reps: the earliest finished_at of a report naming it.
func FirstSightings(reps []*wire.ScanReport) map[string]time.Time {
	out := map[string]time.Time{}
	for _, r := range reps {
		if r == nil {
			continue
		}
		at := r.FinishedAt.UTC()
		for _, s := range InfraSubjects(r) {
			if t, ok := out[s]; !ok || at.Before(t) {
				out[s] = at
			}
		}
	}
	return out
}

// Baseline is a department's first scan as its history shows it: the
// earliest first sighting of anything in it (zero without history).
func Baseline(first map[string]time.Time) time.Time {
	var b time.Time
	for _, t := range first {
		if b.IsZero() || t.Before(b) {
			b = t
		}
	}
	return b
}
