package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/testenv"
	"github.com/egovnet/egovnet/internal/wire"
)

// TestBatchedDepartmentEndToEnd (issue 16): with rules.batch_above low
// enough that CZJ is judged in batches, the collector acknowledges each
// report at once and, within a batch interval, shows the findings of the
// department's latest facts; progress is recorded after the batch; nothing
// stays queued.
func TestBatchedDepartmentEndToEnd(t *testing.T) {
	bins := testenv.BuildBinaries(t, "egovnet-collector")
	bin := filepath.Join(bins, "egovnet-collector")
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			c := newCollector(t, bin, backend == "postgres")
			f, err := os.OpenFile(c.config, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(f, "rules: {batch_above: 1, batch_interval: 300ms}")
			f.Close()
			c.mustRun(adminPassword+"\n"+adminPassword+"\n", "user", "add", "--name", "admin", "--role", "sysadmin")
			token := strings.TrimSpace(c.mustRun("", "token", "create", "--department", "CZJ", "--ttl", "1h", "--uses", "1"))
			c.start()
			defer c.stop()
			agentID, auth := c.enrol(token, "probe-czj")

			// Three scans: the first is judged inline (the department's
			// size is not known yet), the next two are queued. The last
			// one shows a second server and no longer the website.
			first := validReport(agentID)
			second := validReport(agentID)
			second.FinishedAt = first.FinishedAt.Add(10 * time.Second)
			second.Endpoints = append(second.Endpoints, wire.Endpoint{IP: "10.1.0.11", SeenBy: []string{"tcp"}, OpenPorts: []int{22}, Role: "server"})
			third := validReport(agentID)
			third.FinishedAt = first.FinishedAt.Add(20 * time.Second)
			third.Endpoints = slices.Clone(second.Endpoints)
			third.Endpoints[0].HTTP = nil
			for _, r := range []*wire.ScanReport{first, second, third} {
				b, _ := json.Marshal(r)
				if a := c.http("POST", "/api/v1/reports", b, auth); a.status != 202 {
					t.Fatalf("upload %s: %d %s", r.ReportID, a.status, a.body)
				}
			}
			present := func() []string {
				a := c.http("GET", "/api/v1/violations?department=CZJ", nil, c.admin())
				if a.status != 200 {
					t.Fatalf("list violations: %d %s", a.status, a.body)
				}
				var vs []wire.Violation
				if err := json.Unmarshal(a.body, &vs); err != nil {
					t.Fatalf("decode violations: %v", err)
				}
				var out []string
				for _, v := range vs {
					if v.Status != wire.StatusResolved && v.LastSeen.Equal(third.FinishedAt) {
						out = append(out, v.Rule+" "+v.Subject)
					}
				}
				sort.Strings(out)
				return out
			}
			want := []string{wire.RuleLocalServer + " 10.1.0.10", wire.RuleLocalServer + " 10.1.0.11"}
			waitFor(t, "the batched judgement of the last scan", 60*time.Second, func() bool { return slices.Equal(present(), want) }, c.logs)
			if !strings.Contains(c.logs.String(), "rules judged queued scans") {
				t.Errorf("the collector judged every scan inline: no batched judgement in its log")
			}
			var queued int
			if err := c.db().QueryRow(context.Background(), `SELECT COUNT(*) FROM rules_pending`).Scan(&queued); err != nil {
				t.Fatal(err)
			}
			if queued != 0 {
				t.Errorf("%d scans still queued after their judgement", queued)
			}
			a := c.http("GET", "/api/v1/progress?department=CZJ", nil, c.admin())
			if a.status != 200 || !strings.Contains(string(a.body), third.ReportID) {
				t.Errorf("progress after the batch does not name the last scan %s: %d %s", third.ReportID, a.status, a.body)
			}
		})
	}
}
