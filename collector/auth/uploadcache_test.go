package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

// TestAuthenticateUpload: on PostgreSQL an agent read within
// SeenResolution is taken from memory and the upload's transaction checks
// it (verify), which refuses it once it is revoked from elsewhere and
// forgets it; past the resolution it is read again (and last_seen
// written); a revocation here forgets every cached agent; a wrong
// credential is never cached. SQLite reads every time (verify nil).
func TestAuthenticateUpload(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		pg := db.Dialect == store.Postgres
		s, _, clk := newService(t, db)
		enrol := func(host string) (Agent, string) {
			t.Helper()
			tok, _, err := s.CreateToken(ctx, "CZJ", time.Hour, 1, operator)
			if err != nil {
				t.Fatal(err)
			}
			a, cred, err := s.Enroll(ctx, tok, host, "1.0", "")
			if err != nil {
				t.Fatal(err)
			}
			return a, cred
		}
		a, cred := enrol("probe-1")
		// check runs verify as the attempt with savepoints does
		check := func(verify func(context.Context, *store.Tx) error) error {
			return db.InTx(ctx, func(tx *store.Tx) error { return verify(store.WithTx(ctx, tx), tx) })
		}
		upload := func(step string, wantCached bool) func(context.Context, *store.Tx) error {
			t.Helper()
			got, verify, err := s.AuthenticateUpload(ctx, cred)
			if err != nil || got.ID != a.ID || got.Department != "CZJ" {
				t.Fatalf("%s: %+v %v", step, got, err)
			}
			if cached := verify != nil; cached != (wantCached && pg) {
				t.Fatalf("%s: from memory %v, want %v", step, cached, wantCached && pg)
			}
			return verify
		}

		upload("first upload: read", false)
		verify := upload("second upload: from memory", true)
		if pg {
			if err := check(verify); err != nil {
				t.Fatalf("verify an enrolled agent: %v", err)
			}
			// held back in a flat transaction: the transaction fails
			err := db.InFlatTx(ctx, func(tx *store.Tx) error {
				if _, err := db.Exec(store.WithTx(ctx, tx), `UPDATE agents SET revoked = 1 WHERE id = ?`, a.ID); err != nil {
					return err
				}
				return verify(store.WithTx(ctx, tx), tx)
			})
			if !errors.Is(err, store.ErrRowsDiffer) {
				t.Fatalf("flat transaction with the agent revoked inside it: %v, want ErrRowsDiffer", err)
			}
		}
		clk.t = clk.t.Add(SeenResolution)
		upload("past the resolution: read again", false)
		upload("then from memory again", true)

		// revoked through the database, as another collector does
		if _, err := db.Exec(ctx, `UPDATE agents SET revoked = 1 WHERE id = ?`, a.ID); err != nil {
			t.Fatal(err)
		}
		if pg {
			verify := upload("revoked elsewhere: still from memory", true)
			if err := check(verify); !errors.Is(err, ErrInvalidCredential) {
				t.Fatalf("verify a revoked agent: %v, want ErrInvalidCredential", err)
			}
		}
		if _, _, err := s.AuthenticateUpload(ctx, cred); !errors.Is(err, ErrInvalidCredential) {
			t.Fatalf("after the refusal: %v, want ErrInvalidCredential (forgotten)", err)
		}

		// revoked here: forgotten at once
		b, bcred := enrol("probe-2")
		for range 2 {
			if _, _, err := s.AuthenticateUpload(ctx, bcred); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.RevokeAgent(ctx, b.ID, operator); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.AuthenticateUpload(ctx, bcred); !errors.Is(err, ErrInvalidCredential) {
			t.Fatalf("revoked here: %v, want ErrInvalidCredential", err)
		}
		for _, c := range []string{"", bcred + "x"} {
			for range 2 {
				if _, v, err := s.AuthenticateUpload(ctx, c); !errors.Is(err, ErrInvalidCredential) || v != nil {
					t.Fatalf("credential %q: %v (verify %v)", c, err, v != nil)
				}
			}
		}

		// Memory follows the stored last_seen, not the time it was read:
		// read when last_seen was 50 s old (not written), the agent is
		// read again (and last_seen written) 15 s later.
		c, ccred := enrol("probe-3")
		clk.t = clk.t.Add(50 * time.Second)
		for i, want := range []bool{false, true} {
			if _, v, err := s.AuthenticateUpload(ctx, ccred); err != nil || (v != nil) != (want && pg) {
				t.Fatalf("probe-3 upload %d: %v, from memory %v, want %v", i+1, err, v != nil, want && pg)
			}
		}
		clk.t = clk.t.Add(15 * time.Second)
		if _, v, err := s.AuthenticateUpload(ctx, ccred); err != nil || v != nil {
			t.Fatalf("65 s after last_seen was written: %v, from memory %v, want read again", err, v != nil)
		}
		var last string
		if err := db.QueryRow(ctx, `SELECT last_seen FROM agents WHERE id = ?`, c.ID).Scan(&last); err != nil || last != store.Time(clk.t) {
			t.Fatalf("last_seen %q %v, want written at %s", last, err, store.Time(clk.t))
		}
	})
}
