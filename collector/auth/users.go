package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"
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

// Authenticate checks a user's password with login-failure handling per
// (account, source address): after MaxLoginFailures failures from one
// address, that address may not log in to that name for LockoutDuration,
// even with the right password, while the person can still log in from
// their own desk. Unknown names are counted and answered exactly like known
// ones and cost the same work, so neither the answer nor its timing tells
// whether an account exists or is locked. Failures are audited here; the
// caller audits the successful action.
func (s *Service) Authenticate(ctx context.Context, name, password, remote string) (User, error) {
	now := s.now().UTC()
	// Any bytes may arrive as a name; the throttle key is storable text.
	key := strings.ToValidUTF8(strings.ReplaceAll(truncName(name), "\x00", ""), "\uFFFD")
	source := sourceAddr(remote)
	var locked string
	err := s.db.QueryRow(ctx, `SELECT locked_until FROM login_failures WHERE user_name = ? AND source = ?`, key, source).Scan(&locked)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("authenticate %s: %w", key, err)
	}
	if until, _ := store.ParseTime(locked); now.Before(until) {
		_, _ = s.checkPassword(ctx, dummyHash, password)
		s.auditFailure(ctx, auditlog.Entry{ActorKind: auditlog.KindUser, Actor: key, Remote: remote, Action: "login", Outcome: auditlog.OutcomeDenied, Detail: auditlog.Detail(map[string]any{"error": "locked", "source": source})}, ErrLocked)
		return User{}, ErrLocked
	}
	var u User
	var hash string
	err = sql.ErrNoRows // a name no user can have is not looked up
	if userName.MatchString(name) {
		err = s.db.QueryRow(ctx, `SELECT name, role, department, password_hash, locked_until FROM users WHERE name = ?`, name).
			Scan(&u.Name, &u.Role, &u.Department, &hash, &locked)
	}
	reason := "wrong password"
	switch {
	case (errors.Is(err, sql.ErrNoRows) || err == nil && hash == DirectoryHash) && s.dir != nil && userName.MatchString(name):
		// Not a local account, or one the directory manages: ask it.
		du, derr := s.directoryLogin(ctx, name, password, remote)
		if derr == nil {
			if _, err := s.db.Exec(ctx, `DELETE FROM login_failures WHERE user_name = ? AND source = ?`, key, source); err != nil {
				return User{}, fmt.Errorf("reset login failures of %s: %w", key, err)
			}
			return du, nil
		}
		if !errors.Is(derr, ErrBadLogin) {
			return User{}, derr
		}
		reason = "directory refused"
	case errors.Is(err, sql.ErrNoRows):
		_, _ = s.checkPassword(ctx, dummyHash, password)
		reason = "unknown user"
	case err != nil:
		return User{}, fmt.Errorf("authenticate %s: %w", key, err)
	case hash == DirectoryHash:
		// A directory account while no directory is configured.
		_, _ = s.checkPassword(ctx, dummyHash, password)
		reason = "directory account, no directory configured"
	default:
		ok, err := s.checkPassword(ctx, hash, password)
		if err != nil {
			return User{}, fmt.Errorf("authenticate %s: %w", key, err)
		}
		// users.locked_until is an administrative lock, not set by failures.
		if until, _ := store.ParseTime(locked); ok && now.Before(until) {
			ok, reason = false, "account locked by an administrator"
		}
		if ok {
			if _, err := s.db.Exec(ctx, `DELETE FROM login_failures WHERE user_name = ? AND source = ?`, key, source); err != nil {
				return User{}, fmt.Errorf("reset login failures of %s: %w", key, err)
			}
			return u, nil
		}
	}
	return User{}, s.recordFailure(ctx, key, source, remote, reason, now)
}

// recordFailure counts a failed login of (key, source), locks that pair
// after MaxLoginFailures, audits it, and returns the answer to give
// (ErrBadLogin or ErrLocked).
func (s *Service) recordFailure(ctx context.Context, key, source, remote, reason string, now time.Time) error {
	result := ErrBadLogin
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		// Rows idle for longer than a lockout are history: sweeping them
		// here keeps a flood of invented names from growing the table.
		if _, err := tx.Exec(ctx, `DELETE FROM login_failures WHERE updated_at < ?`, ts(now.Add(-s.opts.LockoutDuration))); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO login_failures (user_name, source, failures, locked_until, updated_at) VALUES (?, ?, 1, '', ?)
ON CONFLICT (user_name, source) DO UPDATE SET failures = login_failures.failures + 1, updated_at = excluded.updated_at`, key, source, ts(now)); err != nil {
			return err
		}
		var failures int
		if err := tx.QueryRow(ctx, `SELECT failures FROM login_failures WHERE user_name = ? AND source = ?`, key, source).Scan(&failures); err != nil {
			return err
		}
		detail := map[string]any{"error": reason, "failures": failures, "source": source}
		if failures >= s.opts.MaxLoginFailures {
			until := now.Add(s.opts.LockoutDuration)
			if _, err := tx.Exec(ctx, `UPDATE login_failures SET failures = 0, locked_until = ? WHERE user_name = ? AND source = ?`, ts(until), key, source); err != nil {
				return err
			}
			detail["locked_until"] = ts(until)
			result = ErrLocked
		}
		_, err := s.audit.AppendTx(ctx, tx, auditlog.Entry{ActorKind: auditlog.KindUser, Actor: key, Remote: remote, Action: "login", Outcome: auditlog.OutcomeDenied, Detail: auditlog.Detail(detail)})
		return err
	})
	if err != nil {
		return fmt.Errorf("record login failure of %s: %w", key, err)
	}
	return result
}

// sourceAddr is the address part of a remote "host:port" (the whole string
// when it has no port).
func sourceAddr(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return strings.ToValidUTF8(strings.ReplaceAll(truncName(remote), "\x00", ""), "\uFFFD")
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
