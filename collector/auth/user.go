// Package auth authenticates the collector's users and agents: enrolment
// tokens, agent credentials, users with roles (三员分立), password policy,
// sessions and login-failure limits. Handlers read the caller from the
// request context with UserFrom.
package auth

import "context"

// Roles (CONTRACT).
const (
	RoleSysAdmin  = "sysadmin"
	RoleSecAdmin  = "secadmin"
	RoleAuditor   = "auditor"
	RoleDeptAdmin = "dept-admin"
	RoleViewer    = "viewer"
)

// Roles lists every role.
var Roles = []string{RoleSysAdmin, RoleSecAdmin, RoleAuditor, RoleDeptAdmin, RoleViewer}

// User is an authenticated person.
type User struct {
	Name       string `json:"name"`
	Role       string `json:"role"`
	Department string `json:"department,omitempty"` // set for dept-admin only
}

// CanSeeDepartment reports whether u may read data of department code: a
// department administrator sees only their own department.
func (u User) CanSeeDepartment(code string) bool {
	return u.Role != RoleDeptAdmin || u.Department == code
}

type userKey struct{}

// WithUser returns ctx carrying u.
func WithUser(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// UserFrom returns the authenticated user of a request context.
func UserFrom(ctx context.Context) (User, bool) {
	u, ok := ctx.Value(userKey{}).(User)
	return u, ok
}
