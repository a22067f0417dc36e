package server

import (
	"errors"
	"testing"

	"github.com/egovnet/egovnet/collector/config"
	"github.com/egovnet/egovnet/internal/plan"
)

func TestTOTPIssuer(t *testing.T) {
	cfg := &config.Config{}
	cfg.Auth.TOTP.Issuer = "egovnet"
	named := &plan.Plan{}
	named.District.Name = "杨浦区"
	codeOnly := &plan.Plan{}
	codeOnly.District.Code = "310110"
	tests := []struct {
		name string
		p    *plan.Plan
		want string
	}{
		{"no plan", nil, "egovnet"},
		{"district name appended", named, "egovnet 杨浦区"},
		{"no district name: issuer alone", codeOnly, "egovnet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (&App{Config: cfg, Plan: tt.p}).TOTPIssuer(); got != tt.want {
				t.Errorf("TOTPIssuer = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDepartmentKnown(t *testing.T) {
	p := &plan.Plan{Departments: []plan.Department{{Code: "CZJ", Name: "区财政局"}}}
	tests := []struct {
		name, dept string
		p          *plan.Plan
		want       bool
		wantErr    error
	}{
		{"no department, no plan", "", nil, true, nil},
		{"department needs the plan", "CZJ", nil, false, ErrNoPlan},
		{"known", "CZJ", p, true, nil},
		{"unknown", "XYZ", p, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := (&App{Config: &config.Config{}, Plan: tt.p}).DepartmentKnown(tt.dept)
			if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("DepartmentKnown(%q) = %v, %v; want %v, %v", tt.dept, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
