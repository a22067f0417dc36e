package auth

import (
	"context"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/mfa"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

// plainSealer only encodes secrets: sealing is not under test here
// (collector/fleet, the real sealer, imports this package).
type plainSealer struct{}

func (plainSealer) Seal(_ string, p []byte) string { return base64.StdEncoding.EncodeToString(p) }
func (plainSealer) Open(_, sealed string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(sealed)
}

// TestSecondFactorEnrolledBindsEveryRole: a viewer (a role outside the
// required ones) who has a second factor enrolled must give it.
func TestSecondFactorEnrolledBindsEveryRole(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, audit, clk := newService(t, db)
		m := mfa.New(db, plainSealer{})
		m.SetClock(clk.now)
		s.SetSecondFactor(m, []string{RoleSysAdmin})
		const pw = "Zq7!mcWx"
		for _, name := range []string{"view1", "view2"} {
			if err := s.AddUser(ctx, User{Name: name, Role: RoleViewer}, pw, operator); err != nil {
				t.Fatal(err)
			}
		}
		uri, _, err := m.Enroll(ctx, "view1", "egovnet")
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(uri)
		if err != nil {
			t.Fatal(err)
		}
		secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(u.Query().Get("secret"))
		if err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name  string
			user  string
			otp   string
			needs bool
			want  error
		}{
			{"enrolled viewer without otp", "view1", "", true, ErrSecondFactor},
			{"enrolled viewer wrong otp", "view1", "000000", true, ErrSecondFactor},
			{"enrolled viewer right otp", "view1", mfa.Code(secret, mfa.Counter(clk.now())), true, nil},
			{"viewer without factor, password only", "view2", "", false, nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.Login(ctx, tc.user, pw, tc.otp, "127.0.0.1:4000")
				if !errors.Is(err, tc.want) {
					t.Fatalf("login: %v, want %v", err, tc.want)
				}
				if tc.want == nil && got.Name != tc.user {
					t.Fatalf("login gave %+v", got)
				}
				needs, err := s.NeedsSecondFactor(ctx, User{Name: tc.user, Role: RoleViewer})
				if err != nil || needs != tc.needs {
					t.Fatalf("NeedsSecondFactor = %v, %v; want %v (HTTP Basic is refused on true)", needs, err, tc.needs)
				}
			})
		}
		entries, err := audit.List(ctx, time.Time{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		denied := 0
		for _, e := range entries {
			if e.Actor == "view1" && e.Action == "login" && e.Outcome == auditlog.OutcomeDenied {
				denied++
			}
		}
		if denied != 2 {
			t.Fatalf("%d denied logins of view1 audited, want 2 (missing and wrong code): %+v", denied, entries)
		}
	})
}
