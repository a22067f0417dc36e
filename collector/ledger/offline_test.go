package ledger

import (
	"path/filepath"
	"testing"

	"github.com/egovnet/egovnet/internal/plan"
)

func TestLicensesPath(t *testing.T) {
	abs := filepath.Join(string(filepath.Separator), "srv", "licences.csv")
	tests := []struct {
		name, file, planFile, want string
	}{
		{"no file", "", "/etc/egovnet/plan.yaml", ""},
		{"relative to the plan", "licences.csv", filepath.Join("/etc", "egovnet", "plan.yaml"), filepath.Join("/etc", "egovnet", "licences.csv")},
		{"relative subdir", filepath.Join("sw", "l.xlsx"), "plan.yaml", filepath.Join("sw", "l.xlsx")},
		{"absolute kept", abs, "/etc/egovnet/plan.yaml", abs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &plan.Plan{}
			p.Software.LicensesFile = tt.file
			if got := LicensesPath(p, tt.planFile); got != tt.want {
				t.Errorf("LicensesPath = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOfflineDetectorForPlanMissingFile(t *testing.T) {
	p := &plan.Plan{}
	p.Software.LicensesFile = "absent.csv"
	if _, err := OfflineDetectorForPlan(p, filepath.Join(t.TempDir(), "plan.yaml")); err == nil {
		t.Fatal("a plan naming a missing licences file must be an error")
	}
	if d, err := OfflineDetectorForPlan(&plan.Plan{}, "plan.yaml"); err != nil || d == nil {
		t.Fatalf("no licences file: detector %v, err %v", d, err)
	}
}
