package auth

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/egovnet/egovnet/collector/store"
)

// Uploads on PostgreSQL authenticate from memory. Looking the credential
// up cost every upload a round trip to PostgreSQL of its own, before its
// transaction; the report's transaction, which is one round trip there
// (store.InFlatTx), now checks the agent itself (VerifyAgentTx), as part of
// that round trip. So revocation stays immediate for uploads, on every
// collector sharing the database: a revoked agent's report is refused
// inside the transaction that would have stored it. What memory keeps is
// only what never changes for a credential (an agent's id and department);
// last_seen is still written through AuthenticateAgent, at most once per
// SeenResolution per agent.

// uploadCache maps a credential's hash to the agent it authenticated.
type uploadCache struct {
	mu sync.Mutex
	m  map[string]cachedAgent
	// gen counts forgetUploads: an agent read before a revocation here
	// committed is not kept after it.
	gen uint64
}

type cachedAgent struct {
	a Agent
	// seen is the agent's stored last_seen: it is read again (and
	// last_seen written) when that is SeenResolution old, as without
	// the cache
	seen time.Time
}

// uploadCacheMost bounds the agents kept (a district's fleet, with room):
// past it the cache starts again empty.
const uploadCacheMost = 1 << 16

// AuthenticateUpload is AuthenticateAgent for an upload. On PostgreSQL an
// agent whose stored last_seen is within SeenResolution is taken from
// memory (so last_seen is written as often as without it), and
// verify is then the check the upload's transaction must run
// (ingest.Source.Verify); verify is nil when the agent was read now.
func (s *Service) AuthenticateUpload(ctx context.Context, credential string) (a Agent, verify func(context.Context, *store.Tx) error, err error) {
	if credential == "" {
		return Agent{}, nil, ErrInvalidCredential
	}
	if s.db.Dialect != store.Postgres {
		a, err = s.AuthenticateAgent(ctx, credential)
		return a, nil, err
	}
	h := hashSecret(credential)
	now := s.now()
	s.uploads.mu.Lock()
	c, ok := s.uploads.m[h]
	gen := s.uploads.gen
	s.uploads.mu.Unlock()
	if ok && !c.seen.After(now) && now.Sub(c.seen) < SeenResolution {
		a := c.a
		return a, func(ctx context.Context, tx *store.Tx) error { return s.VerifyAgentTx(ctx, tx, a, h) }, nil
	}
	a, seen, err := s.authenticateAgent(ctx, credential)
	if err != nil {
		s.forgetUpload(h)
		return Agent{}, nil, err
	}
	s.uploads.mu.Lock()
	if s.uploads.gen == gen {
		if s.uploads.m == nil || len(s.uploads.m) >= uploadCacheMost {
			s.uploads.m = map[string]cachedAgent{}
		}
		s.uploads.m[h] = cachedAgent{a: a, seen: seen}
	}
	s.uploads.mu.Unlock()
	return a, nil, nil
}

// VerifyAgentTx checks inside tx that agent a, authenticated from memory
// by the credential whose hash is h, is still enrolled and not revoked:
// ErrInvalidCredential, and the credential forgotten, when it is not.
// Inside a flat transaction on PostgreSQL the check is held back with the
// report's writes and fails the attempt instead (store.ErrRowsDiffer);
// the attempt with savepoints that follows checks again, at once.
func (s *Service) VerifyAgentTx(ctx context.Context, tx *store.Tx, a Agent, h string) error {
	const where = ` FROM agents WHERE id = ? AND department = ? AND credential_hash = ? AND revoked = 0`
	if tx.InFlat() && tx.Dialect() == store.Postgres {
		return tx.ExecLater(ctx, `SELECT egovnet_expect_rows(COUNT(*), 1)`+where, a.ID, a.Department, h)
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*)`+where, a.ID, a.Department, h).Scan(&n); err != nil {
		return fmt.Errorf("verify agent %s: %w", a.ID, err)
	}
	if n != 1 {
		s.forgetUpload(h)
		return fmt.Errorf("agent %s: %w", a.ID, ErrInvalidCredential)
	}
	return nil
}

// forgetUpload drops a credential from the upload cache.
func (s *Service) forgetUpload(h string) {
	s.uploads.mu.Lock()
	delete(s.uploads.m, h)
	s.uploads.mu.Unlock()
}

// forgetUploads empties the upload cache (an agent was revoked here: its
// next upload is refused before its body is read, as before).
func (s *Service) forgetUploads() {
	s.uploads.mu.Lock()
	s.uploads.m = nil
	s.uploads.gen++
	s.uploads.mu.Unlock()
}
