package server

import (
	"context"
	"fmt"
	"os"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/ingest"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/internal/wire"
)

// ImportResult is what Import did.
type ImportResult struct {
	ingest.Result
	// DepartmentFrom says how the department was chosen: "flag",
	// "report" (agent.department) or "scope" (the plan's prefixes).
	DepartmentFrom string `json:"department_from"`
	// Overrode is the report's own agent.department when --department
	// replaced a different one.
	Overrode string `json:"overrode,omitempty"`
}

// UsageError marks a problem with what the operator asked for (exit 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *UsageError) Unwrap() error { return e.Err }

// Import ingests a scan report file through the same path as an upload
// (strict decoding, validation, one transaction, processors). The
// department is dept when given (the operator's choice wins), else the
// report's agent.department, else the plan department whose prefixes
// contain the report's scope. Importing the same report again stores
// nothing and says so.
func (a *App) Import(ctx context.Context, path, dept string, by auditlog.Entry) (ImportResult, error) {
	p, err := a.RequirePlan()
	if err != nil {
		return ImportResult{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return ImportResult{}, fmt.Errorf("open report: %w", err)
	}
	defer f.Close()
	rep, err := wire.DecodeReport(f, a.Config.Limits.MaxReportBytes)
	if err != nil {
		return ImportResult{}, fmt.Errorf("%s: %w", path, err)
	}
	res := ImportResult{}
	switch {
	case dept != "":
		res.DepartmentFrom = "flag"
		if _, ok := p.Department(dept); !ok {
			return ImportResult{}, &UsageError{fmt.Errorf("department %q is not in the plan %s", dept, a.Config.PlanFile)}
		}
		// The operator may correct a report's label, but not file a scan of
		// another department's network under this one: its findings would
		// land on the wrong department (a clean one could turn dirty).
		if owner, ok := p.DepartmentForScope(rep.Scope); ok && owner.Code != dept {
			return ImportResult{}, &UsageError{fmt.Errorf("report %s scans %v, which the plan allocates to %s (%s), not %s: pass --department %s",
				rep.ReportID, rep.Scope, owner.Code, owner.Name, dept, owner.Code)}
		}
		if rep.Agent.Department != "" && rep.Agent.Department != dept {
			res.Overrode = rep.Agent.Department
		}
	case rep.Agent.Department != "":
		dept, res.DepartmentFrom = rep.Agent.Department, "report"
	default:
		d, ok := p.DepartmentForScope(rep.Scope)
		if !ok {
			return ImportResult{}, &UsageError{fmt.Errorf("report %s names no department and its scope %v lies in no single plan department: pass --department", rep.ReportID, rep.Scope)}
		}
		dept, res.DepartmentFrom = d.Code, "scope"
	}
	if _, ok := p.Department(dept); !ok {
		return ImportResult{}, &UsageError{fmt.Errorf("department %q is not in the plan %s", dept, a.Config.PlanFile)}
	}
	rep.Agent.Department = dept
	by.Department = dept
	r, err := a.Ingester.Ingest(ctx, rep, dept, ingest.Source{Kind: inventory.SourceImport, AgentID: rep.Agent.ID, Actor: by})
	res.Result = r
	return res, err
}
