package server

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/egovnet/egovnet/collector/auth"
)

// TOTPIssuer is the issuer an authenticator app shows for this collector's
// second factors: auth.totp.issuer, followed by the plan's district name
// when there is one, so an official with accounts at several districts can
// tell them apart. The CLI's `user totp` and the users page both use it.
func (a *App) TOTPIssuer() string {
	issuer := a.Config.Auth.TOTP.Issuer
	if a.Plan != nil && a.Plan.District.Name != "" {
		issuer += " " + a.Plan.District.Name
	}
	return issuer
}

// DepartmentKnown tells whether an operator may name dept for a user or an
// enrolment token: no department always may; a department needs the plan
// (ErrNoPlan without one) and must be one of its departments, since a
// dept-admin or an agent of an unknown department would see nothing.
func (a *App) DepartmentKnown(dept string) (bool, error) {
	if dept == "" {
		return true, nil
	}
	p, err := a.RequirePlan()
	if err != nil {
		return false, err
	}
	_, ok := p.Department(dept)
	return ok, nil
}

// ErrUnknownUser: the named user does not exist.
var ErrUnknownUser = errors.New("no such user")

// EnrollTOTP gives an existing user a new second factor as an operator on
// this host (`user totp`): the previous one is replaced, the audit log
// records it, and the otpauth:// URI and one-time recovery codes are
// returned for the operator to hand over. ErrUnknownUser for a name that is
// not a user: enrolling it would leave a factor no one can log in with.
func (a *App) EnrollTOTP(ctx context.Context, name string) (uri string, codes []string, err error) {
	users, err := a.Auth.Users(ctx)
	if err != nil {
		return "", nil, err
	}
	if !slices.ContainsFunc(users, func(u auth.User) bool { return u.Name == name }) {
		return "", nil, fmt.Errorf("%s: %w", name, ErrUnknownUser)
	}
	uri, codes, err = a.MFA.Enroll(ctx, name, a.TOTPIssuer())
	if err != nil {
		return "", nil, err
	}
	a.AuditOperator(ctx, "user.totp", name, "ok", "second factor enrolled; previous one replaced")
	return uri, codes, nil
}
