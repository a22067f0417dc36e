package rules

import (
	"context"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/wire"
)

// TestProcessorFirstSeenHistory: with a first-seen history, a device first
// seen before the cutoff is not new infrastructure.
func TestProcessorFirstSeenHistory(t *testing.T) {
	p := districtPlan(t)
	p.Packs = []string{"jiangmen-2017"}
	e, err := NewEngine(p)
	if err != nil {
		t.Fatal(err)
	}
	rep := loadReports(t, "czj")[0]
	in := Input{Plan: p, Department: "CZJ", Reports: []*wire.ScanReport{rep}}
	if vs, _ := e.Evaluate(context.Background(), in); len(vs) != 0 {
		t.Fatalf("a single scan is the baseline, nothing is new: %+v", vs)
	}
	in.Baseline = rep.FinishedAt.Add(-30 * 24 * time.Hour)
	vs, _ := e.Evaluate(context.Background(), in)
	if len(vs) != 1 || vs[0].Rule != wire.RuleNewInfrastructure || vs[0].Subject != "10.1.0.1" {
		t.Fatalf("appeared after the department's first scan: %+v", vs)
	}
	in.FirstSeen = map[string]time.Time{"10.1.0.1": time.Date(2016, 5, 1, 0, 0, 0, 0, time.UTC)}
	if vs, _ := e.Evaluate(context.Background(), in); len(vs) != 0 {
		t.Errorf("router in service since 2016 flagged: %+v", vs)
	}
}
