package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/store"
)

var userName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// CheckUser validates a new user's name, role and department; the caller
// checks that the department exists in the plan.
func CheckUser(name, role, dept string) error {
	var errs []error
	if !userName.MatchString(name) {
		errs = append(errs, fmt.Errorf("user name %q: 1-64 characters of letters, digits and . _ @ -, starting with a letter or digit", name))
	}
	if !slices.Contains(Roles, role) {
		errs = append(errs, fmt.Errorf("role %q is not one of %v", role, Roles))
	}
	if role == RoleDeptAdmin && dept == "" {
		errs = append(errs, errors.New("role dept-admin needs --department"))
	}
	if role != RoleDeptAdmin && role != "" && dept != "" {
		errs = append(errs, fmt.Errorf("role %s sees every department: --department applies to dept-admin only", role))
	}
	return errors.Join(errs...)
}

// AddUser creates a user after checking the name, role and password policy.
func (s *Service) AddUser(ctx context.Context, u User, password string, by Actor) error {
	if err := errors.Join(CheckUser(u.Name, u.Role, u.Department), CheckPassword(u.Name, password)); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	now := ts(s.now())
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM users WHERE name = ?`, u.Name).Scan(&n); err != nil {
			return fmt.Errorf("add user: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("add user %s: %w", u.Name, ErrUserExists)
		}
		_, err := tx.Exec(ctx, `INSERT INTO users (name, role, department, password_hash, failed_logins, locked_until, created_at, updated_at) VALUES (?, ?, ?, ?, 0, '', ?, ?)`,
			u.Name, u.Role, u.Department, hash, now, now)
		if err != nil {
			return fmt.Errorf("add user %s: %w", u.Name, err)
		}
		_, err = s.audit.AppendTx(ctx, tx, auditlog.Entry{ActorKind: by.Kind, Actor: by.Name, Remote: by.Remote, Action: "user.add",
			Department: u.Department, Target: u.Name, Detail: auditlog.Detail(map[string]any{"role": u.Role})})
		return err
	})
}

// Users lists users by name.
func (s *Service) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.Query(ctx, `SELECT name, role, department FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	out := []User{}
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.Name, &u.Role, &u.Department); err != nil {
			return nil, fmt.Errorf("scan user: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Authenticate checks a user's password with login-failure handling: after
// MaxLoginFailures wrong passwords the account is locked for
// LockoutDuration, during which even the right password is refused. Unknown
// names cost the same work as wrong passwords. Failures are audited here;
// the caller audits the successful action.
func (s *Service) Authenticate(ctx context.Context, name, password, remote string) (User, error) {
	var u User
	var hash, locked string
	err := sql.ErrNoRows // a name no user can have is not looked up
	if userName.MatchString(name) {
		err = s.db.QueryRow(ctx, `SELECT name, role, department, password_hash, locked_until FROM users WHERE name = ?`, name).
			Scan(&u.Name, &u.Role, &u.Department, &hash, &locked)
	}
	if errors.Is(err, sql.ErrNoRows) {
		_, _ = s.checkPassword(ctx, dummyHash, password)
		s.auditFailure(ctx, auditlog.Entry{ActorKind: auditlog.KindUser, Actor: truncName(name), Remote: remote, Action: "login", Outcome: auditlog.OutcomeDenied, Detail: auditlog.Detail(map[string]any{"error": "unknown user"})}, ErrBadLogin)
		return User{}, ErrBadLogin
	}
	if err != nil {
		return User{}, fmt.Errorf("authenticate %s: %w", name, err)
	}
	now := s.now().UTC()
	if until, _ := store.ParseTime(locked); now.Before(until) {
		s.auditFailure(ctx, auditlog.Entry{ActorKind: auditlog.KindUser, Actor: name, Remote: remote, Action: "login", Outcome: auditlog.OutcomeDenied, Detail: auditlog.Detail(map[string]any{"error": "locked"})}, ErrLocked)
		return User{}, ErrLocked
	}
	ok, err := s.checkPassword(ctx, hash, password)
	if err != nil {
		return User{}, fmt.Errorf("authenticate %s: %w", name, err)
	}
	if ok {
		if _, err := s.db.Exec(ctx, `UPDATE users SET failed_logins = 0, locked_until = '' WHERE name = ? AND (failed_logins <> 0 OR locked_until <> '')`, name); err != nil {
			return User{}, fmt.Errorf("reset login failures of %s: %w", name, err)
		}
		return u, nil
	}
	result := ErrBadLogin
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET failed_logins = failed_logins + 1 WHERE name = ?`, name); err != nil {
			return err
		}
		var failures int
		if err := tx.QueryRow(ctx, `SELECT failed_logins FROM users WHERE name = ?`, name).Scan(&failures); err != nil {
			return err
		}
		detail := auditlog.Detail(map[string]any{"error": "wrong password", "failures": failures})
		if failures >= s.opts.MaxLoginFailures {
			until := now.Add(s.opts.LockoutDuration)
			if _, err := tx.Exec(ctx, `UPDATE users SET failed_logins = 0, locked_until = ? WHERE name = ?`, ts(until), name); err != nil {
				return err
			}
			detail = auditlog.Detail(map[string]any{"error": "wrong password", "failures": failures, "locked_until": ts(until)})
			result = ErrLocked
		}
		_, err := s.audit.AppendTx(ctx, tx, auditlog.Entry{ActorKind: auditlog.KindUser, Actor: name, Remote: remote, Action: "login", Outcome: auditlog.OutcomeDenied, Detail: detail})
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("record login failure of %s: %w", name, err)
	}
	return User{}, result
}

func truncName(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}

// CreateSession starts a login session for u and returns its secret id
// (the cookie value) and expiry. Expired sessions are swept on the way.
func (s *Service) CreateSession(ctx context.Context, u User) (string, time.Time, error) {
	id, err := secret("egs_")
	if err != nil {
		return "", time.Time{}, fmt.Errorf("create session: %w", err)
	}
	now := s.now().UTC()
	exp := now.Add(s.opts.SessionTTL)
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE expires_at < ?`, ts(now)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO sessions (hash, user_name, created_at, expires_at) VALUES (?, ?, ?, ?)`, hashSecret(id), u.Name, ts(now), ts(exp))
		return err
	})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("create session: %w", err)
	}
	return id, exp, nil
}

// SessionUser returns the user of a live session. A session of a user who
// has since been locked out is refused.
func (s *Service) SessionUser(ctx context.Context, id string) (User, error) {
	if id == "" {
		return User{}, ErrInvalidSession
	}
	var u User
	var exp, locked string
	err := s.db.QueryRow(ctx, `SELECT u.name, u.role, u.department, s.expires_at, u.locked_until FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.hash = ?`, hashSecret(id)).
		Scan(&u.Name, &u.Role, &u.Department, &exp, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrInvalidSession
	}
	if err != nil {
		return User{}, fmt.Errorf("look up session: %w", err)
	}
	now := s.now()
	if e, _ := store.ParseTime(exp); !now.Before(e) {
		return User{}, ErrInvalidSession
	}
	if l, _ := store.ParseTime(locked); now.Before(l) {
		return User{}, ErrLocked
	}
	return u, nil
}

// DeleteSession ends a session (logout).
func (s *Service) DeleteSession(ctx context.Context, id string) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE hash = ?`, hashSecret(id)); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}
