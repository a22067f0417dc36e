package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/auth"
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

// TestEnrollTOTP: an existing user gets a factor named by TOTPIssuer and the
// operator's enrolment is audited; an unknown name is refused untouched.
func TestEnrollTOTP(t *testing.T) {
	ctx := context.Background()
	app, err := Open(ctx, loadConfig(t, ""), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if err := app.Auth.AddUser(ctx, auth.User{Name: "alice", Role: "viewer"}, "Zq7!mcWx", Operator()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := app.EnrollTOTP(ctx, "mallory"); !errors.Is(err, ErrUnknownUser) {
		t.Fatalf("unknown user: err = %v, want ErrUnknownUser", err)
	}
	uri, codes, err := app.EnrollTOTP(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(uri, "otpauth://") || !strings.Contains(uri, url.QueryEscape(app.TOTPIssuer())) && !strings.Contains(uri, url.PathEscape(app.TOTPIssuer())) || len(codes) == 0 {
		t.Errorf("uri %q (issuer %q), %d codes", uri, app.TOTPIssuer(), len(codes))
	}
	entries, err := app.Audit.List(ctx, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Action == "user.totp" {
			n++
			if e.Target != "alice" || e.ActorKind != Operator().Kind {
				t.Errorf("audit entry %+v", e)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d user.totp audit entries, want 1 (the refused one is not an enrolment)", n)
	}
}
