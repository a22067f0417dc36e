package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// roles mirrors auth.Roles (config may not import auth).
var roles = []string{"sysadmin", "secadmin", "auditor", "dept-admin", "viewer"}

// validateIdentity names every problem of auth.totp and auth.ldap.
func (a Auth) validateIdentity() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	for i, r := range a.TOTP.RequiredRoles {
		if !slices.Contains(roles, r) {
			bad(fmt.Sprintf("auth.totp.required_roles[%d]", i), "%q is not a role (%s)", r, strings.Join(roles, ", "))
		}
	}
	if strings.TrimSpace(a.TOTP.Issuer) == "" || strings.Contains(a.TOTP.Issuer, ":") {
		bad("auth.totp.issuer", "required, without ':' (it names the collector in authenticator apps)")
	}
	l := a.LDAP
	if l.URL == "" {
		return errs
	}
	if u, err := url.Parse(l.URL); err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "" {
		bad("auth.ldap.url", "%q is not ldap://HOST[:PORT] or ldaps://HOST[:PORT]", l.URL)
	}
	if l.BaseDN == "" {
		bad("auth.ldap.base_dn", "required when auth.ldap.url is set")
	}
	if strings.Count(l.UserFilter, "%s") != 1 {
		bad("auth.ldap.user_filter", "%q must contain %%s exactly once", l.UserFilter)
	}
	if l.Timeout <= 0 {
		bad("auth.ldap.timeout", "must be positive")
	}
	if len(l.Roles) == 0 {
		bad("auth.ldap.roles", "map at least one group to a role: directory membership alone grants nothing")
	}
	for i, r := range l.Roles {
		key := fmt.Sprintf("auth.ldap.roles[%d]", i)
		if r.GroupDN == "" {
			bad(key+".group_dn", "required")
		}
		if !slices.Contains(roles, r.Role) {
			bad(key+".role", "%q is not a role", r.Role)
		}
		if r.Role == "dept-admin" && r.Department == "" {
			bad(key+".department", "required for dept-admin")
		}
	}
	return errs
}
