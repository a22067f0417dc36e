package rules

import (
	"strings"
	"testing"

	"github.com/egovnet/egovnet/internal/wire"
)

func TestCheckDepartments(t *testing.T) {
	p := districtPlan(t)
	named := &wire.ScanReport{ReportID: "named", Agent: wire.Agent{Department: "CZJ"}}
	unknown := &wire.ScanReport{ReportID: "unknown", Agent: wire.Agent{Department: "NOPE"}}
	orphan := &wire.ScanReport{ReportID: "orphan"}
	tests := []struct {
		name string
		reps []*wire.ScanReport
		want []string // report ids named in the error; nil: no error
	}{
		{"none", nil, nil},
		{"known department", []*wire.ScanReport{named}, nil},
		{"unknown department and no scope both named", []*wire.ScanReport{named, unknown, orphan}, []string{"unknown", "orphan"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckDepartments(p, tt.reps)
			if (err != nil) != (tt.want != nil) {
				t.Fatalf("err = %v, want failure %v", err, tt.want != nil)
			}
			for _, id := range tt.want {
				if !strings.Contains(err.Error(), "report "+id) {
					t.Errorf("err %q does not name report %s", err, id)
				}
			}
		})
	}
}
