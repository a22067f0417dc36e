package fleet_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/fleet"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// TestAgentConfigRefusedOutsidePlan: an agent whose department the running
// plan no longer has gets no configuration (403 naming the department;
// its uploads are refused as well), and gets it again once the plan has
// the department.
func TestAgentConfigRefusedOutsidePlan(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		if _, err := e.st.SetConfig(ctx, "CZJ", wire.AgentConfig{Schedule: wire.AgentSchedule{Interval: "2h"}}, "admin"); err != nil {
			t.Fatal(err)
		}
		// setup enrolled e.agent; its credential comes from a second enrolment
		tok, _, err := e.svc.CreateToken(ctx, "CZJ", time.Hour, 1, auth.Actor{Kind: auditlog.KindOperator, Name: "t"})
		if err != nil {
			t.Fatal(err)
		}
		agent2, cred, err := e.svc.Enroll(ctx, tok, "probe-2", "1.0.0", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		// a scan requested before the department left the plan is still
		// asked for once it is back: the refused poll does not use it up
		if _, _, err := e.st.RequestScan(ctx, agent2.ID); err != nil {
			t.Fatal(err)
		}
		var inPlan atomic.Bool
		mux := http.NewServeMux()
		h := &fleet.Handlers{Store: e.st, Auth: e.svc, MaxBody: 1 << 20, InPlan: func(string) bool { return inPlan.Load() }}
		h.MountAgent(func(p string, hh http.Handler) { mux.Handle(p, hh) })
		ts := httptest.NewServer(mux)
		defer ts.Close()
		get := func() (int, string) {
			req, _ := http.NewRequest("GET", ts.URL+"/api/v1/agent/config?profile=network&version=9.9.9&dropped_reports=7", nil)
			req.Header.Set("Authorization", "Bearer "+cred)
			res, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		for _, tc := range []struct {
			name   string
			inPlan bool
			status int
			want   string
		}{
			{"department not in the plan", false, 403, "no longer in the plan"},
			{"back in the plan", true, 200, `"scan_now":true`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				inPlan.Store(tc.inPlan)
				status, body := get()
				if status != tc.status || !strings.Contains(body, tc.want) {
					t.Fatalf("agent config: %d %s, want %d with %s", status, body, tc.status, tc.want)
				}
				if status == 403 && !strings.Contains(body, "CZJ") {
					t.Errorf("refusal %s does not name the department", body)
				}
				// refused or not, the poll is the agent's heartbeat: the centre
				// sees it alive and what it set aside
				list, err := e.st.Agents(ctx, "CZJ")
				if err != nil {
					t.Fatal(err)
				}
				var seen bool
				for _, a := range list {
					seen = seen || (a.Hostname == "probe-2" && a.Version == "9.9.9" && a.DroppedReports == 7)
				}
				if !seen {
					t.Errorf("poll not recorded: %+v", list)
				}
				if status == 200 {
					var c wire.AgentConfig
					if err := json.Unmarshal([]byte(body), &c); err != nil {
						t.Fatalf("config %s: %v", body, err)
					}
				}
			})
		}
	})
}
