package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/ldapauth"
	"github.com/egovnet/egovnet/collector/mfa"
)

// openIdentity wires the second factor (secrets sealed with the fleet key)
// and, when configured, directory login into the auth service.
func (a *App) openIdentity() error {
	a.MFA = mfa.New(a.DB, a.Fleet.Keys())
	a.Auth.SetSecondFactor(a.MFA, a.Config.Auth.TOTP.RequiredRoles)
	l := a.Config.Auth.LDAP
	if l.URL == "" {
		return nil
	}
	roles := make([]ldapauth.RoleMap, 0, len(l.Roles))
	for _, r := range l.Roles {
		roles = append(roles, ldapauth.RoleMap{GroupDN: r.GroupDN, Role: r.Role, Department: r.Department})
	}
	c, err := ldapauth.New(ldapauth.Config{URL: l.URL, BindDN: l.BindDN, BindPassword: l.BindPassword.Reveal(), BaseDN: l.BaseDN,
		UserFilter: l.UserFilter, StartTLS: l.StartTLS, CAFile: l.CAFile, Timeout: l.Timeout, Roles: roles})
	if err != nil {
		return fmt.Errorf("configure directory login: %w", err)
	}
	a.Auth.SetDirectory(directory{c})
	return nil
}

// directory adapts ldapauth to auth.Directory: a refusal and a user in no
// mapped group are both a refused login.
type directory struct{ c *ldapauth.Client }

func (d directory) Login(ctx context.Context, name, password string) (string, string, error) {
	r, err := d.c.Authenticate(ctx, name, password)
	if errors.Is(err, ldapauth.ErrRefused) || errors.Is(err, ldapauth.ErrNoRole) {
		return "", "", auth.ErrBadLogin
	}
	if err != nil {
		return "", "", err
	}
	return r.Role, r.Department, nil
}
