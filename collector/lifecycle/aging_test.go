package lifecycle

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// TestFactsAge covers issue #10 item 4: stale facts stop keeping findings
// alive, last_seen moves only with a sighting, and a scan older than a
// person's decision does not reverse it.
func TestFactsAge(t *testing.T) {
	start := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	exitID := rules.ViolationID("RSJ", wire.RuleInternetEgress, "203.0.113.65")
	byAgent := func(t *testing.T, agent string, n int, at time.Time, clean bool) *wire.ScanReport {
		r := cloneReport(t, loadReports(t, "rsj")[0], fmt.Sprintf("6f1c2a10-00%02d-4c00-8000-%012d", len(agent), n), at)
		r.Agent.ID, r.Agent.Hostname = agent, agent
		if clean {
			withoutExit(r)
		}
		return r
	}
	var revoked map[string]bool
	cases := []struct {
		name string
		opt  ProcessorOptions
		// run feeds reports and returns the exit finding's expected
		// status and last_seen
		run func(t *testing.T, ctx context.Context, p *Processor, st *Store) (string, time.Time)
	}{
		{
			name: "a revoked agent's facts stop counting",
			opt:  ProcessorOptions{Revoked: func(context.Context) (map[string]bool, error) { return revoked, nil }},
			run: func(t *testing.T, ctx context.Context, p *Processor, st *Store) (string, time.Time) {
				revoked = nil
				mustProcess(t, ctx, p, byAgent(t, "agent-old", 0, start, false))
				revoked = map[string]bool{"agent-old": true} // its host was lost
				for i := 1; i <= 3; i++ {
					mustProcess(t, ctx, p, byAgent(t, "agent-new", i, start.Add(time.Duration(i)*time.Hour), true))
				}
				return wire.StatusResolved, start
			},
		},
		{
			name: "a report older than the horizon stops counting",
			opt:  ProcessorOptions{Horizon: 48 * time.Hour},
			run: func(t *testing.T, ctx context.Context, p *Processor, st *Store) (string, time.Time) {
				mustProcess(t, ctx, p, byAgent(t, "agent-old", 0, start, false))
				for i := 1; i <= 5; i++ {
					mustProcess(t, ctx, p, byAgent(t, "agent-new", i, start.Add(time.Duration(i)*24*time.Hour), true))
					if i == 4 {
						if s := statusOf(t, st, exitID); s != wire.StatusOpen {
							t.Fatalf("day 4 (aged out on day 3, missed twice): %s", s)
						}
					}
				}
				return wire.StatusResolved, start
			},
		},
		{
			name: "last_seen moves only when something saw it",
			run: func(t *testing.T, ctx context.Context, p *Processor, st *Store) (string, time.Time) {
				mustProcess(t, ctx, p, byAgent(t, "agent-old", 0, start, false))
				for i := 1; i <= 2; i++ {
					mustProcess(t, ctx, p, byAgent(t, "agent-new", i, start.Add(time.Duration(i)*24*time.Hour), true))
				}
				return wire.StatusOpen, start
			},
		},
		{
			name: "a scan finished before a person resolved it does not reopen it",
			run: func(t *testing.T, ctx context.Context, p *Processor, st *Store) (string, time.Time) {
				mustProcess(t, ctx, p, byAgent(t, "agent-a", 0, start, false))
				st.SetClock(func() time.Time { return start.Add(2 * time.Hour) })
				if _, err := st.Resolve(ctx, exitID, "secadmin-li", "line removed"); err != nil {
					t.Fatal(err)
				}
				// agent-b's scan finished at +1h, before the resolution,
				// and reaches the collector only now (spooled upload)
				mustProcess(t, ctx, p, byAgent(t, "agent-b", 1, start.Add(time.Hour), false))
				return wire.StatusResolved, start
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				st := NewStore(db)
				tc.opt.ResolveAfter = 3
				p := NewProcessorWith(districtEngine(t), st, tc.opt)
				wantStatus, wantLast := tc.run(t, ctx, p, st)
				v, err := st.Get(ctx, exitID)
				if err != nil {
					t.Fatal(err)
				}
				if v.Status != wantStatus || !v.LastSeen.Equal(wantLast) {
					t.Errorf("exit: status %s last_seen %s, want %s %s", v.Status, v.LastSeen, wantStatus, wantLast)
				}
			})
		})
	}
}

func mustProcess(t *testing.T, ctx context.Context, p *Processor, r *wire.ScanReport) {
	t.Helper()
	if err := file(ctx, p, r, "RSJ"); err != nil {
		t.Fatal(err)
	}
}
