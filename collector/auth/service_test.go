package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

var operator = Actor{Kind: auditlog.KindOperator, Name: "root"}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newService(t *testing.T, db *store.DB) (*Service, *auditlog.Log, *clock) {
	c := &clock{t: time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)}
	audit := auditlog.New(db)
	audit.SetClock(c.now)
	s := NewService(db, audit, Options{MaxLoginFailures: 3, LockoutDuration: 10 * time.Minute, SessionTTL: time.Hour})
	s.SetClock(c.now)
	return s, audit, c
}

func TestEnrolmentConformance(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, audit, clk := newService(t, db)

		tok, meta, err := s.CreateToken(ctx, "CZJ", time.Hour, 2, operator)
		if err != nil {
			t.Fatal(err)
		}
		if meta.UsesLeft != 2 || meta.Department != "CZJ" || len(tok) < 40 {
			t.Fatalf("token %q meta %+v", tok, meta)
		}
		a1, cred1, err := s.Enroll(ctx, tok, "probe-1", "1.0", "127.0.0.1")
		if err != nil {
			t.Fatalf("first enrol: %v", err)
		}
		a2, cred2, err := s.Enroll(ctx, tok, "probe-2", "1.0", "127.0.0.1")
		if err != nil {
			t.Fatalf("second enrol: %v", err)
		}
		if a1.ID == a2.ID || cred1 == cred2 || a1.Department != "CZJ" {
			t.Fatalf("agents not distinct: %+v %+v", a1, a2)
		}
		if _, _, err := s.Enroll(ctx, tok, "probe-3", "1.0", ""); !errors.Is(err, ErrTokenUsedUp) {
			t.Fatalf("third enrol on a 2-use token: %v, want ErrTokenUsedUp", err)
		}
		got, err := s.AuthenticateAgent(ctx, cred2)
		if err != nil || got.ID != a2.ID || got.Department != "CZJ" {
			t.Fatalf("authenticate: %+v %v", got, err)
		}
		for _, bad := range []string{"", "egc_nope", cred1 + "x"} {
			if _, err := s.AuthenticateAgent(ctx, bad); !errors.Is(err, ErrInvalidCredential) {
				t.Errorf("credential %q: %v, want ErrInvalidCredential", bad, err)
			}
		}

		expiring, _, _ := s.CreateToken(ctx, "CZJ", time.Minute, 5, operator)
		revoked, rmeta, _ := s.CreateToken(ctx, "CZJ", time.Hour, 5, operator)
		if err := s.RevokeToken(ctx, rmeta.ID, operator); err != nil {
			t.Fatal(err)
		}
		clk.t = clk.t.Add(2 * time.Minute)
		tests := []struct {
			name, token string
			want        error
		}{
			{"unknown", "egt_unknown", ErrInvalidToken},
			{"expired", expiring, ErrTokenExpired},
			{"revoked", revoked, ErrTokenRevoked},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if _, _, err := s.Enroll(ctx, tc.token, "h", "1", ""); !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
			})
		}
		agents, err := s.Agents(ctx, "CZJ")
		if err != nil || len(agents) != 2 {
			t.Fatalf("agents: %d %v, want 2 (refused enrolments create none)", len(agents), err)
		}
		if err := s.RevokeAgent(ctx, a1.ID, operator); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateAgent(ctx, cred1); !errors.Is(err, ErrInvalidCredential) {
			t.Fatalf("revoked agent authenticated: %v", err)
		}
		if err := s.RevokeAgent(ctx, "nope", operator); err == nil {
			t.Fatal("revoking an unknown agent succeeded")
		}
		if _, _, err := s.CreateToken(ctx, "CZJ", time.Hour, 0, operator); err == nil {
			t.Error("token with 0 uses accepted")
		}
		entries, _ := audit.List(ctx, time.Time{}, 0)
		var enrolOK, enrolDenied int
		for _, e := range entries {
			if e.Action == "agent.enroll" {
				if e.Outcome == auditlog.OutcomeOK {
					enrolOK++
				} else {
					enrolDenied++
				}
			}
		}
		if enrolOK != 2 || enrolDenied != 4 {
			t.Fatalf("audited enrolments ok=%d denied=%d, want 2 and 4", enrolOK, enrolDenied)
		}
		if res, err := audit.Verify(ctx); err != nil || res.Broken != nil {
			t.Fatalf("audit chain: %+v %v", res, err)
		}
	})
}

func TestUsersConformance(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _, clk := newService(t, db)
		const pw = "Zq7!mcWx"
		if err := s.AddUser(ctx, User{Name: "alice", Role: RoleDeptAdmin, Department: "CZJ"}, pw, operator); err != nil {
			t.Fatal(err)
		}
		refusals := []struct {
			name string
			u    User
			pw   string
		}{
			{"duplicate", User{Name: "alice", Role: RoleViewer}, pw},
			{"dept-admin without department", User{Name: "bob", Role: RoleDeptAdmin}, pw},
			{"unknown role", User{Name: "bob", Role: "root"}, pw},
			{"weak password", User{Name: "bob", Role: RoleViewer}, "password"},
			{"bad name", User{Name: "b ob", Role: RoleViewer}, pw},
			{"viewer with department", User{Name: "bob", Role: RoleViewer, Department: "CZJ"}, pw},
		}
		for _, tc := range refusals {
			if err := s.AddUser(ctx, tc.u, tc.pw, operator); err == nil {
				t.Errorf("%s: accepted", tc.name)
			}
		}
		users, _ := s.Users(ctx)
		if len(users) != 1 {
			t.Fatalf("users = %+v, want only alice", users)
		}
		u, err := s.Authenticate(ctx, "alice", pw, "")
		if err != nil || u.Department != "CZJ" || u.Role != RoleDeptAdmin {
			t.Fatalf("login: %+v %v", u, err)
		}
		if _, err := s.Authenticate(ctx, "nobody", pw, ""); !errors.Is(err, ErrBadLogin) {
			t.Fatalf("unknown user: %v", err)
		}
		// Two failures, then a success resets the count.
		for i := 0; i < 2; i++ {
			if _, err := s.Authenticate(ctx, "alice", "wrong", ""); !errors.Is(err, ErrBadLogin) {
				t.Fatalf("failure %d: %v", i, err)
			}
		}
		if _, err := s.Authenticate(ctx, "alice", pw, ""); err != nil {
			t.Fatalf("login after 2 failures: %v", err)
		}
		// Three failures lock the account; even the right password is refused.
		for i := 0; i < 2; i++ {
			_, _ = s.Authenticate(ctx, "alice", "wrong", "")
		}
		if _, err := s.Authenticate(ctx, "alice", "wrong", ""); !errors.Is(err, ErrLocked) {
			t.Fatalf("third failure: %v, want ErrLocked", err)
		}
		if _, err := s.Authenticate(ctx, "alice", pw, ""); !errors.Is(err, ErrLocked) {
			t.Fatalf("right password while locked: %v, want ErrLocked", err)
		}
		// The lock holds for that (account, address) only: an attacker
		// elsewhere cannot lock the person out of their own desk.
		if _, err := s.Authenticate(ctx, "alice", pw, "10.9.9.9:4711"); err != nil {
			t.Fatalf("login from another address while locked at the attacker's: %v", err)
		}
		// Unknown names are throttled and answered exactly like real ones.
		for i := 0; i < 2; i++ {
			if _, err := s.Authenticate(ctx, "ghost", "wrong", "10.8.8.8:1"); !errors.Is(err, ErrBadLogin) {
				t.Fatalf("unknown name failure %d: %v", i, err)
			}
		}
		if _, err := s.Authenticate(ctx, "ghost", "wrong", "10.8.8.8:2"); !errors.Is(err, ErrLocked) {
			t.Fatalf("unknown name, third failure from one address (any port): %v, want ErrLocked like a real account", err)
		}
		clk.t = clk.t.Add(11 * time.Minute)
		if _, err := s.Authenticate(ctx, "alice", pw, ""); err != nil {
			t.Fatalf("login after lockout: %v", err)
		}

		sid, exp, err := s.CreateSession(ctx, u)
		if err != nil || !exp.Equal(clk.t.Add(time.Hour)) {
			t.Fatalf("session: %v %v", exp, err)
		}
		if got, err := s.SessionUser(ctx, sid); err != nil || got.Name != "alice" {
			t.Fatalf("session user: %+v %v", got, err)
		}
		if _, err := s.SessionUser(ctx, sid+"x"); !errors.Is(err, ErrInvalidSession) {
			t.Fatalf("forged session: %v", err)
		}
		clk.t = clk.t.Add(61 * time.Minute)
		if _, err := s.SessionUser(ctx, sid); !errors.Is(err, ErrInvalidSession) {
			t.Fatalf("expired session: %v", err)
		}
		sid2, _, _ := s.CreateSession(ctx, u)
		if err := s.DeleteSession(ctx, sid2); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionUser(ctx, sid2); !errors.Is(err, ErrInvalidSession) {
			t.Fatalf("deleted session: %v", err)
		}
	})
}
