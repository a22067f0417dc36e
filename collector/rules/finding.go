// Package rules judges inventory against the plan and the policy packs:
// detectors turn facts into findings and packs attach citations and
// severity. It is pure: reports in, findings out, with no database, so the
// collector and the offline audit judge alike. The history of each finding
// (status, transitions, "as of") lives in collector/lifecycle.
package rules

import (
	"context"
	"time"

	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/wire"
)

// Finding is what a detector reports about one subject; the engine turns it
// into a wire.Violation with citations, severity and lifecycle.
type Finding struct {
	Rule       string
	Department string
	Subject    string // stable key: an address, a prefix, a host:port, a product
	Severity   string // optional override; else the pack's severity
	Title      string // zh-CN one-liner
	TitleEN    string
	Registered bool // a registered legacy state (plan-known exit or approved line)
	Evidence   []wire.Evidence
	// Packs, when set, limits the citations to these enabled packs (e.g.
	// the packs whose cutoff date the subject has passed).
	Packs []string
}

// Input is what detectors judge: the plan, the department, and the reports
// of that department's latest scan (one per agent/scope).
type Input struct {
	Plan       *plan.Plan
	Department string
	Reports    []*wire.ScanReport
	// FirstSeen maps an address (or other subject) to when the collector
	// first saw it in this department; when absent, the earliest report
	// in Reports is taken (the offline audit's case).
	FirstSeen map[string]time.Time
	// Baseline is when the collector first scanned this department (its
	// first report): what that scan saw is the existing estate, not new
	// infrastructure. Zero means the earliest report in Reports (the
	// offline audit). A plan departments[].baseline date overrides both.
	Baseline time.Time
}

// Detector finds violations of one or more rules.
type Detector interface {
	Detect(ctx context.Context, in Input) ([]Finding, error)
}
