package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"runtime"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/store"
)

// Options parameterise login-failure handling and sessions.
type Options struct {
	MaxLoginFailures int           // bad passwords before the account locks
	LockoutDuration  time.Duration // how long it stays locked
	SessionTTL       time.Duration // absolute lifetime of a login session
}

// DefaultOptions are the collector's defaults (see collector/config).
var DefaultOptions = Options{MaxLoginFailures: 5, LockoutDuration: 30 * time.Minute, SessionTTL: 8 * time.Hour}

// Service authenticates agents and users against the store and records
// every change and every failure in the audit log.
type Service struct {
	db    *store.DB
	audit *auditlog.Log
	opts  Options
	now   func() time.Time
	// verify bounds concurrent password checks: each costs ~19 MiB and tens
	// of milliseconds of CPU, so a flood of logins or Basic requests must
	// queue instead of starving report ingestion or memory.
	verify chan struct{}
	// Second factor and directory (nil: none).
	mfa      SecondFactor
	mfaRoles []string
	dir      Directory
	// inPlan (SetInPlan) says whether a department is in the running plan.
	inPlan func(dept string) bool
	// uploads are the agents authenticated for uploads lately (AuthenticateUpload).
	uploads uploadCache
}

// NewService returns the auth service.
func NewService(db *store.DB, audit *auditlog.Log, opts Options) *Service {
	if opts.MaxLoginFailures <= 0 {
		opts.MaxLoginFailures = DefaultOptions.MaxLoginFailures
	}
	if opts.LockoutDuration <= 0 {
		opts.LockoutDuration = DefaultOptions.LockoutDuration
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = DefaultOptions.SessionTTL
	}
	return &Service{db: db, audit: audit, opts: opts, now: time.Now, verify: make(chan struct{}, max(1, runtime.NumCPU()/2))}
}

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// SetInPlan makes Enroll refuse (ErrNotInPlan) a token of a department
// the running plan lacks, without using it: the new agent's uploads
// would all be refused. Call it while wiring, before serving.
func (s *Service) SetInPlan(inPlan func(dept string) bool) { s.inPlan = inPlan }

// Options returns the service's options.
func (s *Service) Options() Options { return s.opts }

// Errors callers map to HTTP statuses.
var (
	ErrInvalidToken      = errors.New("enrolment token unknown")
	ErrTokenExpired      = errors.New("enrolment token expired")
	ErrTokenRevoked      = errors.New("enrolment token revoked")
	ErrTokenUsedUp       = errors.New("enrolment token has no uses left")
	ErrNotInPlan         = errors.New("the enrolment token's department is no longer in the plan")
	ErrInvalidCredential = errors.New("agent credential unknown or revoked")
	ErrBadLogin          = errors.New("wrong user name or password")
	ErrLocked            = errors.New("account locked after too many failed logins")
	ErrUserExists        = errors.New("user already exists")
	ErrInvalidSession    = errors.New("session unknown or expired")
)

// secret returns prefix + 32 random bytes, base64url.
func secret(prefix string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// hashSecret hashes a high-entropy random secret for storage. Tokens,
// credentials and session ids carry 256 random bits, so a fast hash is
// enough: there is nothing to brute-force.
// checkPassword verifies pw against hash inside the concurrency bound.
func (s *Service) checkPassword(ctx context.Context, hash, pw string) (bool, error) {
	select {
	case s.verify <- struct{}{}:
		defer func() { <-s.verify }()
	case <-ctx.Done():
		return false, ctx.Err()
	}
	return VerifyPassword(hash, pw)
}

func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

func ts(t time.Time) string { return t.UTC().Format(timeFormat) }
