package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/google/uuid"
)

// EnrollToken is an enrolment token as stored (its secret is never stored).
type EnrollToken struct {
	ID         string    `json:"id"`
	Department string    `json:"department"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by"`
	ExpiresAt  time.Time `json:"expires_at"`
	UsesLeft   int       `json:"uses_left"`
	Revoked    bool      `json:"revoked"`
}

// Agent is an enrolled agent.
type Agent struct {
	ID         string    `json:"id"`
	Department string    `json:"department"`
	Hostname   string    `json:"hostname"`
	Version    string    `json:"version"`
	EnrolledAt time.Time `json:"enrolled_at"`
	LastSeen   time.Time `json:"last_seen"`
}

// Actor names who performs an action, for the audit log.
type Actor struct {
	Kind   string // auditlog.Kind*
	Name   string
	Remote string
}

// CreateToken makes an enrolment token for dept valid for ttl and uses
// enrolments, and returns its secret (shown once, stored only hashed). The
// caller checks that dept exists in the plan.
func (s *Service) CreateToken(ctx context.Context, dept string, ttl time.Duration, uses int, by Actor) (string, EnrollToken, error) {
	if dept == "" {
		return "", EnrollToken{}, errors.New("create token: department required")
	}
	if ttl <= 0 {
		return "", EnrollToken{}, fmt.Errorf("create token: ttl must be positive, got %s", ttl)
	}
	if uses < 1 {
		return "", EnrollToken{}, fmt.Errorf("create token: uses must be at least 1, got %d", uses)
	}
	sec, err := secret("egt_")
	if err != nil {
		return "", EnrollToken{}, fmt.Errorf("create token: %w", err)
	}
	now := s.now().UTC()
	tok := EnrollToken{ID: uuid.NewString(), Department: dept, CreatedAt: now, CreatedBy: by.Name, ExpiresAt: now.Add(ttl), UsesLeft: uses}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO enroll_tokens (id, hash, department, created_at, created_by, expires_at, uses_left, revoked) VALUES (?, ?, ?, ?, ?, ?, ?, 0)`,
			tok.ID, hashSecret(sec), dept, ts(now), by.Name, ts(tok.ExpiresAt), uses)
		if err != nil {
			return fmt.Errorf("insert token: %w", err)
		}
		_, err = s.audit.AppendTx(ctx, tx, auditlog.Entry{ActorKind: by.Kind, Actor: by.Name, Remote: by.Remote, Action: "token.create",
			Department: dept, Target: tok.ID, Detail: auditlog.Detail(map[string]any{"expires_at": ts(tok.ExpiresAt), "uses": uses})})
		return err
	})
	if err != nil {
		return "", EnrollToken{}, fmt.Errorf("create token: %w", err)
	}
	return sec, tok, nil
}

// RevokeToken revokes a token by id.
func (s *Service) RevokeToken(ctx context.Context, id string, by Actor) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var dept string
		err := tx.QueryRow(ctx, `SELECT department FROM enroll_tokens WHERE id = ?`, id).Scan(&dept)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("revoke token %s: %w", id, ErrInvalidToken)
		}
		if err != nil {
			return fmt.Errorf("revoke token %s: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE enroll_tokens SET revoked = 1 WHERE id = ?`, id); err != nil {
			return fmt.Errorf("revoke token %s: %w", id, err)
		}
		_, err = s.audit.AppendTx(ctx, tx, auditlog.Entry{ActorKind: by.Kind, Actor: by.Name, Remote: by.Remote, Action: "token.revoke", Department: dept, Target: id})
		return err
	})
}

// Tokens lists enrolment tokens, newest first.
func (s *Service) Tokens(ctx context.Context) ([]EnrollToken, error) {
	rows, err := s.db.Query(ctx, `SELECT id, department, created_at, created_by, expires_at, uses_left, revoked FROM enroll_tokens ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	out := []EnrollToken{}
	for rows.Next() {
		var t EnrollToken
		var created, expires string
		var revoked int
		if err := rows.Scan(&t.ID, &t.Department, &created, &t.CreatedBy, &expires, &t.UsesLeft, &revoked); err != nil {
			return nil, fmt.Errorf("scan token: %w", err)
		}
		t.Revoked = revoked != 0
		t.CreatedAt, _ = store.ParseTime(created)
		t.ExpiresAt, _ = store.ParseTime(expires)
		out = append(out, t)
	}
	return out, rows.Err()
}

// Enroll exchanges an enrolment token for a new agent identity: an id and a
// random 32-byte credential, returned once and stored only hashed. Expiry,
// revocation and the use count are enforced in one transaction, so two
// agents racing for the last use cannot both win.
func (s *Service) Enroll(ctx context.Context, token, hostname, version, remote string) (Agent, string, error) {
	hostname, version = strings.TrimSpace(hostname), strings.TrimSpace(version)
	now := s.now().UTC()
	var agent Agent
	var cred string
	var deptForAudit string
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var id, dept, expires string
		var uses, revoked int
		err := tx.QueryRow(ctx, `SELECT id, department, expires_at, uses_left, revoked FROM enroll_tokens WHERE hash = ?`, hashSecret(token)).
			Scan(&id, &dept, &expires, &uses, &revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrInvalidToken
		}
		if err != nil {
			return fmt.Errorf("look up token: %w", err)
		}
		deptForAudit = dept
		exp, err := store.ParseTime(expires)
		if err != nil {
			return err
		}
		switch {
		case revoked != 0:
			return ErrTokenRevoked
		case !now.Before(exp):
			return ErrTokenExpired
		case uses < 1:
			return ErrTokenUsedUp
		}
		if s.inPlan != nil && !s.inPlan(dept) {
			return ErrNotInPlan
		}
		res, err := tx.Exec(ctx, `UPDATE enroll_tokens SET uses_left = uses_left - 1 WHERE id = ? AND uses_left > 0`, id)
		if err != nil {
			return fmt.Errorf("use token: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrTokenUsedUp
		}
		if cred, err = secret("egc_"); err != nil {
			return fmt.Errorf("make credential: %w", err)
		}
		agent = Agent{ID: uuid.NewString(), Department: dept, Hostname: hostname, Version: version, EnrolledAt: now, LastSeen: now}
		_, err = tx.Exec(ctx, `INSERT INTO agents (id, department, hostname, version, credential_hash, token_id, enrolled_at, last_seen, revoked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)`,
			agent.ID, dept, hostname, version, hashSecret(cred), id, ts(now), ts(now))
		if err != nil {
			return fmt.Errorf("insert agent: %w", err)
		}
		_, err = s.audit.AppendTx(ctx, tx, auditlog.Entry{ActorKind: auditlog.KindAgent, Actor: agent.ID, Remote: remote, Action: "agent.enroll",
			Department: dept, Target: id, Detail: auditlog.Detail(map[string]any{"hostname": hostname, "agent_version": version})})
		return err
	})
	if err != nil {
		s.auditFailure(ctx, auditlog.Entry{ActorKind: auditlog.KindAgent, Actor: hostname, Remote: remote, Action: "agent.enroll",
			Department: deptForAudit, Outcome: auditlog.OutcomeDenied, Detail: auditlog.Detail(map[string]any{"error": err.Error()})}, err)
		return Agent{}, "", err
	}
	return agent, cred, nil
}

// auditFailure records a refused action after its transaction rolled back.
// Database errors are recorded as "error", refusals as "denied".
func (s *Service) auditFailure(ctx context.Context, e auditlog.Entry, cause error) {
	if !isRefusal(cause) {
		e.Outcome = auditlog.OutcomeError
	}
	_, _ = s.audit.Append(context.WithoutCancel(ctx), e)
}

func isRefusal(err error) bool {
	for _, r := range []error{ErrInvalidToken, ErrTokenExpired, ErrTokenRevoked, ErrTokenUsedUp, ErrInvalidCredential, ErrBadLogin, ErrLocked, ErrUserExists,
		ErrSecondFactor, ErrSecondFactorNotEnrolled, ErrBasicRefused} {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}

// AuthenticateAgent returns the agent a bearer credential belongs to and
// records that it was seen.
func (s *Service) AuthenticateAgent(ctx context.Context, credential string) (Agent, error) {
	a, _, err := s.authenticateAgent(ctx, credential)
	return a, err
}

// authenticateAgent is AuthenticateAgent, also returning the agent's
// stored last_seen once it returns (now, if it wrote it).
func (s *Service) authenticateAgent(ctx context.Context, credential string) (Agent, time.Time, error) {
	if credential == "" {
		return Agent{}, time.Time{}, ErrInvalidCredential
	}
	var a Agent
	var enrolled, last string
	var revoked int
	err := s.db.QueryRow(ctx, `SELECT id, department, hostname, version, enrolled_at, last_seen, revoked FROM agents WHERE credential_hash = ?`, hashSecret(credential)).
		Scan(&a.ID, &a.Department, &a.Hostname, &a.Version, &enrolled, &last, &revoked)
	if errors.Is(err, sql.ErrNoRows) || revoked != 0 {
		return Agent{}, time.Time{}, ErrInvalidCredential
	}
	if err != nil {
		return Agent{}, time.Time{}, fmt.Errorf("authenticate agent: %w", err)
	}
	a.EnrolledAt, _ = store.ParseTime(enrolled)
	now := s.now().UTC()
	a.LastSeen = now
	if seen, err := store.ParseTime(last); err == nil && !seen.After(now) && now.Sub(seen) < SeenResolution {
		// Written on every request, last_seen cost each upload a write
		// transaction (and a commit) of its own, queued for SQLite's one
		// writer beside the report itself; health reads it in minutes.
		return a, seen, nil
	}
	if _, err := s.db.Exec(ctx, `UPDATE agents SET last_seen = ? WHERE id = ?`, ts(now), a.ID); err != nil {
		return Agent{}, time.Time{}, fmt.Errorf("record agent seen: %w", err)
	}
	return a, now, nil
}

// SeenResolution is how stale an agent's stored last_seen may be: a
// request within this long of the stored time does not write it again.
const SeenResolution = time.Minute

// Agents lists enrolled agents; dept "" means all.
func (s *Service) Agents(ctx context.Context, dept string) ([]Agent, error) {
	q, args := `SELECT id, department, hostname, version, enrolled_at, last_seen FROM agents WHERE revoked = 0`, []any{}
	if dept != "" {
		q += ` AND department = ?`
		args = append(args, dept)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY department, hostname, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	defer rows.Close()
	out := []Agent{}
	for rows.Next() {
		var a Agent
		var enrolled, last string
		if err := rows.Scan(&a.ID, &a.Department, &a.Hostname, &a.Version, &enrolled, &last); err != nil {
			return nil, fmt.Errorf("scan agent: %w", err)
		}
		a.EnrolledAt, _ = store.ParseTime(enrolled)
		a.LastSeen, _ = store.ParseTime(last)
		out = append(out, a)
	}
	return out, rows.Err()
}

// RevokeAgent revokes an agent's credential (a lost or copied probe host):
// its uploads get 401 from then on; its stored reports stay.
func (s *Service) RevokeAgent(ctx context.Context, id string, by Actor) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var dept string
		err := tx.QueryRow(ctx, `SELECT department FROM agents WHERE id = ?`, id).Scan(&dept)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("revoke agent %s: %w", id, ErrInvalidCredential)
		}
		if err != nil {
			return fmt.Errorf("revoke agent %s: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE agents SET revoked = 1 WHERE id = ?`, id); err != nil {
			return fmt.Errorf("revoke agent %s: %w", id, err)
		}
		_, err = s.audit.AppendTx(ctx, tx, auditlog.Entry{ActorKind: by.Kind, Actor: by.Name, Remote: by.Remote, Action: "agent.revoke", Department: dept, Target: id})
		if err == nil {
			tx.AfterCommit(s.forgetUploads)
		}
		return err
	})
}

// RevokedAgents returns the ids of revoked agents: their reports stay
// stored but no longer count as facts (rules.ProcessorOptions.Revoked).
func (s *Service) RevokedAgents(ctx context.Context) (map[string]bool, error) {
	rows, err := s.db.Query(ctx, `SELECT id FROM agents WHERE revoked <> 0`)
	if err != nil {
		return nil, fmt.Errorf("list revoked agents: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list revoked agents: %w", err)
		}
		out[id] = true
	}
	return out, rows.Err()
}
