package ledger

import (
	"fmt"
	"path/filepath"

	"github.com/egovnet/egovnet/internal/catalog"
	"github.com/egovnet/egovnet/internal/plan"
)

// LicensesPath is where the plan's software.licenses_file lives: a relative
// name is relative to the plan file, so a plan and its licence sheet can be
// copied together to another machine. "" when the plan names no file.
func LicensesPath(p *plan.Plan, planFile string) string {
	f := p.Software.LicensesFile
	if f == "" || filepath.IsAbs(f) {
		return f
	}
	return filepath.Join(filepath.Dir(planFile), f)
}

// OfflineDetectorForPlan is the offline audit's detector: the default
// software catalogue and the licences of the plan's licences file (none
// when the plan names no file, see NewOfflineDetector).
func OfflineDetectorForPlan(p *plan.Plan, planFile string) (*Detector, error) {
	cat, err := catalog.Default()
	if err != nil {
		return nil, fmt.Errorf("software catalog: %w", err)
	}
	var ls []License
	if f := LicensesPath(p, planFile); f != "" {
		if ls, err = ReadLicensesFile(f, cat); err != nil {
			return nil, fmt.Errorf("plan software.licenses_file: %w", err)
		}
	}
	return NewOfflineDetector(cat, ls), nil
}
