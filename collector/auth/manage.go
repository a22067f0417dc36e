package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/store"
)

// Errors of user administration.
var (
	ErrNoSuchUser = errors.New("no such user")
	// ErrLastSysAdmin refuses a change that would leave no enabled
	// system administrator: nobody could manage users any more.
	ErrLastSysAdmin = errors.New("the last enabled sysadmin cannot be removed, disabled or given another role")
)

// disabledUntil is the administrative lock of a disabled account
// (users.locked_until, which Authenticate and SessionUser already honour).
var disabledUntil = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// Account is a user as the administration page shows it.
type Account struct {
	Name       string    `json:"name"`
	Role       string    `json:"role"`
	Department string    `json:"department,omitempty"`
	Disabled   bool      `json:"disabled"`
	Directory  bool      `json:"directory,omitempty"` // managed by LDAP/AD
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Accounts lists users by name with their state.
func (s *Service) Accounts(ctx context.Context) ([]Account, error) {
	rows, err := s.db.Query(ctx, `SELECT name, role, department, password_hash, locked_until, created_at, updated_at FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	now := s.now()
	out := []Account{}
	for rows.Next() {
		var a Account
		var hash, locked, created, updated string
		if err := rows.Scan(&a.Name, &a.Role, &a.Department, &hash, &locked, &created, &updated); err != nil {
			return nil, fmt.Errorf("scan user: %w", err)
		}
		l, _ := store.ParseTime(locked)
		a.Disabled = now.Before(l)
		a.Directory = hash == DirectoryHash
		a.CreatedAt, _ = store.ParseTime(created)
		a.UpdatedAt, _ = store.ParseTime(updated)
		out = append(out, a)
	}
	return out, rows.Err()
}

// SetRole gives a user another role (and department, for dept-admin). Their
// sessions end: the next request logs in with the new role.
func (s *Service) SetRole(ctx context.Context, name, role, dept string, by Actor) error {
	if err := CheckUser(name, role, dept); err != nil {
		return err
	}
	return s.change(ctx, name, role != RoleSysAdmin, by, "user.role", map[string]any{"role": role, "department": dept},
		func(tx *store.Tx, now string) error {
			_, err := tx.Exec(ctx, `UPDATE users SET role = ?, department = ?, updated_at = ? WHERE name = ?`, role, dept, now, name)
			return err
		})
}

// SetDisabled disables (every session ends, no login) or enables a user.
func (s *Service) SetDisabled(ctx context.Context, name string, disabled bool, by Actor) error {
	action, locked := "user.enable", ""
	if disabled {
		action, locked = "user.disable", ts(disabledUntil)
	}
	return s.change(ctx, name, disabled, by, action, nil, func(tx *store.Tx, now string) error {
		_, err := tx.Exec(ctx, `UPDATE users SET locked_until = ?, updated_at = ? WHERE name = ?`, locked, now, name)
		return err
	})
}

// DeleteUser removes a user and their sessions.
func (s *Service) DeleteUser(ctx context.Context, name string, by Actor) error {
	return s.change(ctx, name, true, by, "user.delete", nil, func(tx *store.Tx, _ string) error {
		_, err := tx.Exec(ctx, `DELETE FROM users WHERE name = ?`, name)
		return err
	})
}

// change runs one administrative change of user name in a transaction:
// the user must exist; when dropsSysAdmin, an enabled sysadmin must remain
// besides them; their sessions end; the change is audited in the same
// transaction.
func (s *Service) change(ctx context.Context, name string, dropsSysAdmin bool, by Actor, action string, detail map[string]any, apply func(tx *store.Tx, now string) error) error {
	now := s.now()
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var role, dept, locked string
		err := tx.QueryRow(ctx, `SELECT role, department, locked_until FROM users WHERE name = ?`, name).Scan(&role, &dept, &locked)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%s %s: %w", action, name, ErrNoSuchUser)
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", action, name, err)
		}
		if l, _ := store.ParseTime(locked); dropsSysAdmin && role == RoleSysAdmin && !now.Before(l) {
			var others int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM users WHERE role = ? AND name <> ? AND password_hash <> ? AND (locked_until = '' OR locked_until < ?)`,
				RoleSysAdmin, name, DirectoryHash, ts(now)).Scan(&others); err != nil {
				return fmt.Errorf("%s %s: %w", action, name, err)
			}
			if others == 0 {
				return fmt.Errorf("%s %s: %w", action, name, ErrLastSysAdmin)
			}
		}
		if err := apply(tx, ts(now)); err != nil {
			return fmt.Errorf("%s %s: %w", action, name, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_name = ?`, name); err != nil {
			return fmt.Errorf("%s %s: end sessions: %w", action, name, err)
		}
		if detail == nil {
			detail = map[string]any{}
		}
		detail["previous_role"] = role
		_, err = s.audit.AppendTx(ctx, tx, auditlog.Entry{ActorKind: by.Kind, Actor: by.Name, Remote: by.Remote, Action: action,
			Department: dept, Target: name, Detail: auditlog.Detail(detail)})
		return err
	})
}
