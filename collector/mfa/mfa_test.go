package mfa

import (
	"context"
	"encoding/base32"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/fleet"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

// RFC 6238 appendix B, SHA-1, 8 digits truncated to our 6: the last six
// digits of the RFC's values.
func TestCodeRFC6238Vectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	for _, tc := range []struct {
		unix int64
		want string
	}{
		{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"}, {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
	} {
		if got := Code(secret, Counter(time.Unix(tc.unix, 0))); got != tc.want {
			t.Errorf("T=%d: %s, want %s", tc.unix, got, tc.want)
		}
	}
}

func TestEnrollVerifyReplayRecovery(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		keys, err := fleet.LoadKeys(filepath.Join(dir, "seal"), filepath.Join(dir, "rel"))
		if err != nil {
			t.Fatal(err)
		}
		s := New(db, keys)
		now := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
		s.SetClock(func() time.Time { return now })
		if err := s.Verify(ctx, "admin", "123456"); !errors.Is(err, ErrNotEnrolled) {
			t.Fatalf("not enrolled: %v", err)
		}
		uri, codes, err := s.Enroll(ctx, "admin", "egovnet 杨浦区")
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(uri)
		if err != nil || u.Scheme != "otpauth" || u.Host != "totp" {
			t.Fatalf("uri %q", uri)
		}
		secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(u.Query().Get("secret"))
		if err != nil || len(secret) != 20 {
			t.Fatalf("secret in uri: %v", err)
		}
		var stored string
		db.QueryRow(ctx, `SELECT secret FROM mfa_totp WHERE user_name = 'admin'`).Scan(&stored)
		if strings.Contains(stored, u.Query().Get("secret")) {
			t.Fatal("TOTP secret stored in clear")
		}
		code := Code(secret, Counter(now))
		if err := s.Verify(ctx, "admin", code); err != nil {
			t.Fatalf("current code refused: %v", err)
		}
		if err := s.Verify(ctx, "admin", code); !errors.Is(err, ErrBadCode) {
			t.Fatalf("replayed code accepted: %v", err)
		}
		now = now.Add(Step)
		if err := s.Verify(ctx, "admin", Code(secret, Counter(now.Add(-Step)))); !errors.Is(err, ErrBadCode) {
			t.Fatal("an older step accepted after a newer one")
		}
		if err := s.Verify(ctx, "admin", Code(secret, Counter(now.Add(Step)))); err != nil {
			t.Fatalf("next step (clock drift) refused: %v", err)
		}
		now = now.Add(10 * Step)
		if err := s.Verify(ctx, "admin", Code(secret, Counter(now.Add(-5*Step)))); !errors.Is(err, ErrBadCode) {
			t.Fatal("a stale code accepted")
		}
		if err := s.Verify(ctx, "admin", "000000"); !errors.Is(err, ErrBadCode) {
			t.Fatal("a wrong code accepted")
		}
		if len(codes) != RecoveryCodes {
			t.Fatalf("%d recovery codes", len(codes))
		}
		if err := s.Verify(ctx, "admin", strings.ToUpper(codes[3])); err != nil {
			t.Fatalf("recovery code refused: %v", err)
		}
		if err := s.Verify(ctx, "admin", codes[3]); !errors.Is(err, ErrBadCode) {
			t.Fatal("a recovery code worked twice")
		}
	})
}
