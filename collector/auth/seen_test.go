package auth

import (
	"context"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

// An agent's last_seen is written at most once per SeenResolution, so an
// upload does not cost a write transaction of its own; health still sees
// the agent within that resolution, and a stored time in the future (a
// clock that was set back) is corrected at once.
func TestLastSeenWrittenAtItsResolution(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _, clk := newService(t, db)
		tok, _, err := s.CreateToken(ctx, "CZJ", time.Hour, 1, operator)
		if err != nil {
			t.Fatal(err)
		}
		a, cred, err := s.Enroll(ctx, tok, "probe-1", "1.0", "")
		if err != nil {
			t.Fatal(err)
		}
		enrolled := clk.t
		stored := func() time.Time {
			t.Helper()
			var last string
			if err := db.QueryRow(ctx, `SELECT last_seen FROM agents WHERE id = ?`, a.ID).Scan(&last); err != nil {
				t.Fatal(err)
			}
			at, err := store.ParseTime(last)
			if err != nil {
				t.Fatal(err)
			}
			return at
		}
		steps := []struct {
			name    string
			advance time.Duration
			want    func() time.Time
		}{
			{"within the resolution: not written", SeenResolution - time.Second, func() time.Time { return enrolled }},
			{"past the resolution: written", 2 * time.Second, func() time.Time { return clk.t }},
			{"clock set back: written", -time.Hour, func() time.Time { return clk.t }},
		}
		for _, st := range steps {
			clk.t = clk.t.Add(st.advance)
			got, err := s.AuthenticateAgent(ctx, cred)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if !got.LastSeen.Equal(clk.t) {
				t.Errorf("%s: answered last_seen %s, want now %s", st.name, got.LastSeen, clk.t)
			}
			if at := stored(); !at.Equal(st.want()) {
				t.Errorf("%s: stored last_seen %s, want %s", st.name, at, st.want())
			}
		}
	})
}
