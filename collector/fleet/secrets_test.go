package fleet_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/egovnet/egovnet/collector/fleet"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// TestCommunityPlaceholdersByIndex drives PUT /api/v1/departments/{code}/
// agent-config as the page does: each stored community comes back as
// "<secret:N>", and a PUT keeps exactly the items it names, whatever rows
// were removed or moved; an index out of range or an ambiguous bare
// "<secret>" is refused with nothing changed.
func TestCommunityPlaceholdersByIndex(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		mux := http.NewServeMux()
		(&fleet.Handlers{Store: e.st}).MountUser(func(p string, _ []string, h http.Handler) { mux.Handle(p, h) })
		put := func(t *testing.T, communities []string) (int, string) {
			t.Helper()
			b, _ := json.Marshal(wire.AgentConfig{SNMP: wire.AgentConfigSNMP{Communities: communities}})
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest("PUT", "/api/v1/departments/GAJ/agent-config", strings.NewReader(string(b))))
			return rec.Code, rec.Body.String()
		}
		stored := func(t *testing.T) []string {
			t.Helper()
			c, _, err := e.st.ForAgent(ctx, e.agent.ID, "GAJ", fleet.Poll{Profile: "network"})
			if err != nil {
				t.Fatal(err)
			}
			return c.SNMP.Communities
		}
		tests := []struct {
			name string
			send []string
			code int
			want []string // stored afterwards
			msg  string
		}{
			{"remove first", []string{"<secret:1>"}, 200, []string{"secondKEEP"}, ""},
			{"remove last", []string{"<secret:0>"}, 200, []string{"firstOLD"}, ""},
			{"reorder", []string{"<secret:1>", "<secret:0>"}, 200, []string{"secondKEEP", "firstOLD"}, ""},
			{"replace first", []string{"newFIRST", "<secret:1>"}, 200, []string{"newFIRST", "secondKEEP"}, ""},
			{"bare placeholders same length", []string{"<secret>", "<secret>"}, 200, []string{"firstOLD", "secondKEEP"}, ""},
			{"out of range", []string{"<secret:2>"}, 400, []string{"firstOLD", "secondKEEP"}, "<secret:2>"},
			{"bare placeholder after a removal", []string{"<secret>"}, 400, []string{"firstOLD", "secondKEEP"}, "ambiguous"},
			{"malformed placeholder", []string{"<secret:x>", "<secret:1>"}, 400, []string{"firstOLD", "secondKEEP"}, "placeholder"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if code, body := put(t, []string{"firstOLD", "secondKEEP"}); code != 200 || !strings.Contains(body, `"\u003csecret:1\u003e"`) && !strings.Contains(body, `"<secret:1>"`) {
					t.Fatalf("seed: %d %s", code, body)
				}
				code, body := put(t, tc.send)
				if code != tc.code || !strings.Contains(body, tc.msg) {
					t.Fatalf("PUT %q: %d %s, want %d mentioning %q", tc.send, code, body, tc.code, tc.msg)
				}
				if got := stored(t); !slices.Equal(got, tc.want) {
					t.Fatalf("PUT %q stored %q, want %q", tc.send, got, tc.want)
				}
			})
		}
	})
}

// TestStaleEditRefused: two people load the configuration at version v;
// the first saves (v+1); the second's save, made from v, is refused with
// 409 and the stored version, so "<secret:0>" cannot come to mean another
// community than the one its author saw. A PUT without a version (0)
// saves over whatever is stored.
func TestStaleEditRefused(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		mux := http.NewServeMux()
		(&fleet.Handlers{Store: e.st}).MountUser(func(p string, _ []string, h http.Handler) { mux.Handle(p, h) })
		put := func(t *testing.T, c wire.AgentConfig) (int, string) {
			t.Helper()
			b, _ := json.Marshal(c)
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest("PUT", "/api/v1/departments/GAJ/agent-config", strings.NewReader(string(b))))
			return rec.Code, rec.Body.String()
		}
		if code, body := put(t, wire.AgentConfig{SNMP: wire.AgentConfigSNMP{Communities: []string{"firstOLD", "secondKEEP"}}}); code != 200 {
			t.Fatalf("seed: %d %s", code, body)
		}
		loaded, err := e.st.Config(ctx, "GAJ")
		if err != nil {
			t.Fatal(err)
		}
		// the first person drops the first community
		first := loaded
		first.SNMP.Communities = []string{"<secret:1>"}
		if code, body := put(t, first); code != 200 {
			t.Fatalf("first save: %d %s", code, body)
		}
		// the second, still at the loaded version, drops the second
		second := loaded
		second.SNMP.Communities = []string{"<secret:0>"}
		code, body := put(t, second)
		want := fmt.Sprintf(`"version":%d`, loaded.Version+1)
		if code != http.StatusConflict || !strings.Contains(body, want) {
			t.Fatalf("stale save: %d %s, want 409 naming %s", code, body, want)
		}
		c, _, err := e.st.ForAgent(ctx, e.agent.ID, "GAJ", fleet.Poll{Profile: "network"})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(c.SNMP.Communities, []string{"secondKEEP"}) || c.Version != loaded.Version+1 {
			t.Fatalf("after the refused save: version %d communities %q, want %d [secondKEEP]", c.Version, c.SNMP.Communities, loaded.Version+1)
		}
		// no version: saved over the stored one
		if code, body := put(t, wire.AgentConfig{SNMP: wire.AgentConfigSNMP{Communities: []string{"thirdNEW"}}}); code != 200 || !strings.Contains(body, fmt.Sprintf(`"version":%d`, loaded.Version+2)) {
			t.Fatalf("save without a version: %d %s", code, body)
		}
	})
}

// TestConcurrentEditsOneWins: changes made at once from the same version:
// exactly one is saved, every other gets ConflictError, on both backends
// (PostgreSQL's read committed would otherwise let several through).
func TestConcurrentEditsOneWins(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		base, err := e.st.SetConfig(ctx, "GAJ", wire.AgentConfig{SNMP: wire.AgentConfigSNMP{Communities: []string{"firstOLD"}}}, "seed")
		if err != nil {
			t.Fatal(err)
		}
		for round := 0; round < 3; round++ {
			const n = 8
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					c := base
					c.Scope.Ports = []int{100 + i}
					_, errs[i] = e.st.SetConfig(ctx, "GAJ", c, fmt.Sprintf("editor-%d", i))
				}(i)
			}
			wg.Wait()
			saved := 0
			for i, err := range errs {
				var conflict *fleet.ConflictError
				switch {
				case err == nil:
					saved++
				case !errors.As(err, &conflict):
					t.Fatalf("round %d editor %d: %v, want saved or ConflictError", round, i, err)
				}
			}
			if saved != 1 {
				t.Fatalf("round %d: %d of %d changes from version %d saved, want 1", round, saved, n, base.Version)
			}
			if base, err = e.st.Config(ctx, "GAJ"); err != nil {
				t.Fatal(err)
			}
		}
	})
}
