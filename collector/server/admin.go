package server

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
