package mfa

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/egovnet/egovnet/collector/store"
)

func init() {
	store.Register(store.Migration{
		ID: "mfa/0001_init",
		SQLite: `
CREATE TABLE mfa_totp (
	user_name TEXT PRIMARY KEY,
	secret TEXT NOT NULL,
	last_step INTEGER NOT NULL DEFAULT 0,
	recovery TEXT NOT NULL DEFAULT '[]',
	created_at TEXT NOT NULL
);
`,
		Postgres: `
CREATE TABLE mfa_totp (
	user_name TEXT PRIMARY KEY,
	secret TEXT NOT NULL,
	last_step BIGINT NOT NULL DEFAULT 0,
	recovery TEXT NOT NULL DEFAULT '[]',
	created_at TEXT NOT NULL
);
`,
	})
}

// Sealer encrypts secrets at rest (the collector's fleet key does).
type Sealer interface {
	Seal(scope string, plaintext []byte) string
	Open(scope, sealed string) ([]byte, error)
}

// Store keeps users' second factors.
type Store struct {
	db   *store.DB
	seal Sealer
	now  func() time.Time
}

// New returns a Store.
func New(db *store.DB, seal Sealer) *Store { return &Store{db: db, seal: seal, now: time.Now} }

// SetClock replaces the clock (tests).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Errors Verify returns.
var (
	ErrNotEnrolled = errors.New("no second factor enrolled for this user (egovnet-collector user totp --name NAME)")
	ErrBadCode     = errors.New("wrong or already used one-time code")
)

// RecoveryCodes is how many one-time recovery codes enrolment prints.
const RecoveryCodes = 10

func scope(user string) string { return "mfa:" + user }

func hashCode(c string) string {
	c = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(c), "-", ""))
	sum := sha256.Sum256([]byte(c))
	return hex.EncodeToString(sum[:])
}

// Enroll gives user a new secret (replacing any old one) and recovery
// codes; it returns the otpauth:// URI and the codes, shown once.
func (s *Store) Enroll(ctx context.Context, user, issuer string) (string, []string, error) {
	secret := make([]byte, 20)
	if _, err := rand.Read(secret); err != nil {
		return "", nil, fmt.Errorf("generate TOTP secret: %w", err)
	}
	codes := make([]string, RecoveryCodes)
	hashes := make([]string, RecoveryCodes)
	for i := range codes {
		// 80 bits each: the store keeps only a SHA-256, which must not be
		// worth brute-forcing by whoever reads the database.
		b := make([]byte, 10)
		if _, err := rand.Read(b); err != nil {
			return "", nil, fmt.Errorf("generate recovery code: %w", err)
		}
		h := hex.EncodeToString(b)
		codes[i] = h[:5] + "-" + h[5:10] + "-" + h[10:15] + "-" + h[15:]
		hashes[i] = hashCode(codes[i])
	}
	rec, _ := json.Marshal(hashes)
	_, err := s.db.Exec(ctx, `INSERT INTO mfa_totp (user_name, secret, last_step, recovery, created_at) VALUES (?, ?, 0, ?, ?)
ON CONFLICT (user_name) DO UPDATE SET secret = excluded.secret, last_step = 0, recovery = excluded.recovery, created_at = excluded.created_at`,
		user, s.seal.Seal(scope(user), secret), string(rec), store.Time(s.now()))
	if err != nil {
		return "", nil, fmt.Errorf("save second factor of %s: %w", user, err)
	}
	return URI(issuer, user, secret), codes, nil
}

// Enrolled reports whether user has a second factor.
func (s *Store) Enrolled(ctx context.Context, user string) (bool, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM mfa_totp WHERE user_name = ?`, user).Scan(&n); err != nil {
		return false, fmt.Errorf("read second factor of %s: %w", user, err)
	}
	return n > 0, nil
}

// Remove deletes user's second factor.
func (s *Store) Remove(ctx context.Context, user string) error {
	_, err := s.db.Exec(ctx, `DELETE FROM mfa_totp WHERE user_name = ?`, user)
	return err
}

// Verify accepts a current TOTP code (its time step at most once) or an
// unused recovery code (then spent).
func (s *Store) Verify(ctx context.Context, user, code string) error {
	var sealed, rec string
	var last int64
	err := s.db.QueryRow(ctx, `SELECT secret, last_step, recovery FROM mfa_totp WHERE user_name = ?`, user).Scan(&sealed, &last, &rec)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotEnrolled
	}
	if err != nil {
		return fmt.Errorf("read second factor of %s: %w", user, err)
	}
	code = strings.TrimSpace(code)
	if len(code) == Digits && strings.Trim(code, "0123456789") == "" {
		secret, err := s.seal.Open(scope(user), sealed)
		if err != nil {
			return err
		}
		now := Counter(s.now())
		for d := -Skew; d <= Skew; d++ {
			step := int64(now) + int64(d)
			if step <= last || subtle.ConstantTimeCompare([]byte(Code(secret, uint64(step))), []byte(code)) != 1 {
				continue
			}
			// Conditional update: two collectors cannot both accept a step.
			res, err := s.db.Exec(ctx, `UPDATE mfa_totp SET last_step = ? WHERE user_name = ? AND last_step < ?`, step, user, step)
			if err != nil {
				return fmt.Errorf("record TOTP step: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				return nil
			}
		}
		return ErrBadCode
	}
	var hashes []string
	if err := json.Unmarshal([]byte(rec), &hashes); err != nil {
		return fmt.Errorf("decode recovery codes of %s: %w", user, err)
	}
	h := hashCode(code)
	for i, x := range hashes {
		if subtle.ConstantTimeCompare([]byte(x), []byte(h)) != 1 {
			continue
		}
		left := append(append([]string{}, hashes[:i]...), hashes[i+1:]...)
		b, _ := json.Marshal(left)
		res, err := s.db.Exec(ctx, `UPDATE mfa_totp SET recovery = ? WHERE user_name = ? AND recovery = ?`, string(b), user, rec)
		if err != nil {
			return fmt.Errorf("spend recovery code: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		return ErrBadCode // spent concurrently
	}
	return ErrBadCode
}
