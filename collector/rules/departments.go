package rules

import (
	"errors"

	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/wire"
)

// CheckDepartments is the offline audit's admission rule: every report must
// belong to a plan department (see DepartmentOf), since a report judged
// against no department would silently produce no findings. Every failing
// report is named; nil when all belong.
func CheckDepartments(p *plan.Plan, reps []*wire.ScanReport) error {
	var problems []error
	for _, r := range reps {
		if _, err := DepartmentOf(p, r); err != nil {
			problems = append(problems, err)
		}
	}
	return errors.Join(problems...)
}
