package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/store"
)

// DirectoryHash marks a user the directory manages: no local password
// ever matches it.
const DirectoryHash = "!directory"

// SecondFactor verifies one-time codes (collector/mfa implements it).
type SecondFactor interface {
	Enrolled(ctx context.Context, user string) (bool, error)
	Verify(ctx context.Context, user, code string) error
}

// Directory authenticates against LDAP/AD (collector/ldapauth, adapted):
// ErrBadLogin for a refusal, another error for an operator problem.
type Directory interface {
	Login(ctx context.Context, name, password string) (role, department string, err error)
}

// Errors of the second factor.
var (
	ErrSecondFactor            = errors.New("one-time code (otp) missing or wrong")
	ErrSecondFactorNotEnrolled = errors.New("this role needs a second factor and none is enrolled: an operator runs `egovnet-collector user totp --name NAME`")
	ErrBasicRefused            = errors.New("HTTP Basic is refused for users that need a second factor: log in with POST /api/v1/login and an otp")
)

// SetSecondFactor makes roles log in with a one-time code.
func (s *Service) SetSecondFactor(f SecondFactor, roles []string) {
	s.mfa, s.mfaRoles = f, slices.Clone(roles)
}

// SetDirectory enables directory login.
func (s *Service) SetDirectory(d Directory) { s.dir = d }

// RequiresSecondFactor reports whether role must present a one-time code.
func (s *Service) RequiresSecondFactor(role string) bool {
	return s.mfa != nil && slices.Contains(s.mfaRoles, role)
}

// NeedsSecondFactor reports whether u must present a one-time code: its
// role requires one, or it has one enrolled. An enrolled factor binds
// whatever the role, else enrolling it would protect nothing.
func (s *Service) NeedsSecondFactor(ctx context.Context, u User) (bool, error) {
	if s.mfa == nil {
		return false, nil
	}
	if s.RequiresSecondFactor(u.Role) {
		return true, nil
	}
	enrolled, err := s.mfa.Enrolled(ctx, u.Name)
	if err != nil {
		return false, fmt.Errorf("look up second factor of %s: %w", u.Name, err)
	}
	return enrolled, nil
}

// Login is Authenticate plus the second factor for the users that need it
// (see NeedsSecondFactor). A wrong or missing code counts as a failed login
// of (name, source).
func (s *Service) Login(ctx context.Context, name, password, otp, remote string) (User, error) {
	u, err := s.Authenticate(ctx, name, password, remote)
	if err != nil {
		return u, err
	}
	needs, err := s.NeedsSecondFactor(ctx, u)
	if err != nil {
		return User{}, err
	}
	if !needs {
		return u, nil
	}
	enrolled, err := s.mfa.Enrolled(ctx, u.Name)
	if err != nil {
		return User{}, err
	}
	if !enrolled {
		s.auditFailure(ctx, auditlog.Entry{ActorKind: auditlog.KindUser, Actor: u.Name, Remote: remote, Action: "login",
			Outcome: auditlog.OutcomeDenied, Detail: auditlog.Detail(map[string]any{"error": "second factor not enrolled"})}, ErrSecondFactorNotEnrolled)
		return User{}, ErrSecondFactorNotEnrolled
	}
	if strings.TrimSpace(otp) != "" {
		verr := s.mfa.Verify(ctx, u.Name, otp)
		if verr == nil {
			return u, nil
		}
		if !errors.Is(verr, ErrSecondFactor) && !isCodeRefusal(verr) {
			return User{}, verr
		}
	}
	reason := "one-time code wrong"
	if strings.TrimSpace(otp) == "" {
		reason = "one-time code missing"
	}
	if err := s.recordFailure(ctx, u.Name, sourceAddr(remote), remote, reason, s.now().UTC()); errors.Is(err, ErrLocked) {
		return User{}, ErrLocked
	} else if err != nil && !errors.Is(err, ErrBadLogin) {
		return User{}, err
	}
	return User{}, ErrSecondFactor
}

// isCodeRefusal recognises the mfa package's refusals without importing it.
func isCodeRefusal(err error) bool {
	return strings.Contains(err.Error(), "one-time code")
}

// directoryLogin asks the directory and keeps the local user record in
// step with the directory's answer (role and department may change there).
func (s *Service) directoryLogin(ctx context.Context, name, password, remote string) (User, error) {
	role, dept, err := s.dir.Login(ctx, name, password)
	if err != nil {
		return User{}, err
	}
	if !slices.Contains(Roles, role) || role == RoleDeptAdmin && dept == "" {
		return User{}, fmt.Errorf("directory mapping gives %q (department %q): not a valid role", role, dept)
	}
	if role != RoleDeptAdmin {
		dept = ""
	}
	now := ts(s.now())
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var hash string
		err := tx.QueryRow(ctx, `SELECT password_hash FROM users WHERE name = ?`, name).Scan(&hash)
		switch {
		case err == nil && hash != DirectoryHash:
			return fmt.Errorf("user %s exists locally; the directory cannot take it over", name)
		case err == nil:
			_, err = tx.Exec(ctx, `UPDATE users SET role = ?, department = ?, updated_at = ? WHERE name = ?`, role, dept, now, name)
			return err
		default:
			_, err = tx.Exec(ctx, `INSERT INTO users (name, role, department, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
				name, role, dept, DirectoryHash, now, now)
			return err
		}
	})
	if err != nil {
		return User{}, fmt.Errorf("directory user %s: %w", name, err)
	}
	return User{Name: name, Role: role, Department: dept}, nil
}
