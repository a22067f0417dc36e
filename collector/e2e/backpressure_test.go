package e2e

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/testenv"
	"github.com/egovnet/egovnet/internal/wire"
)

// TestBackPressureEndToEnd (issue 16): when a department's batched
// judgement cannot keep up (here: it fails, a database trigger refusing
// to record its judged scans), the served collector stops acknowledging
// that department's uploads once its oldest queued scan is older than
// rules.max_judgement_lag: it answers 503 with Retry-After and stores
// nothing, while another department's uploads go on; when the judgement
// catches up the same report is accepted and judged, and the log says
// when uploads paused and resumed.
func TestBackPressureEndToEnd(t *testing.T) {
	bins := testenv.BuildBinaries(t, "egovnet-collector")
	bin := filepath.Join(bins, "egovnet-collector")
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			c := newCollector(t, bin, backend == "postgres")
			c.appendConfig("rules: {batch_above: 1, batch_interval: 300ms, max_judgement_lag: 1s}\n")
			c.mustRun(adminPassword+"\n"+adminPassword+"\n", "user", "add", "--name", "admin", "--role", "sysadmin")
			token := strings.TrimSpace(c.mustRun("", "token", "create", "--department", "CZJ", "--ttl", "1h", "--uses", "1"))
			other := strings.TrimSpace(c.mustRun("", "token", "create", "--department", "GAJ", "--ttl", "1h", "--uses", "1"))
			ctx := context.Background()
			db := c.db()
			block, unblock := `CREATE TRIGGER e2e_block BEFORE INSERT ON rules_scans WHEN NEW.department = 'CZJ' BEGIN SELECT RAISE(ABORT, 'judgement blocked by the test'); END`,
				`DROP TRIGGER e2e_block`
			if backend == "postgres" {
				if _, err := db.Exec(ctx, `CREATE FUNCTION e2e_block() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN IF NEW.department = 'CZJ' THEN RAISE EXCEPTION 'judgement blocked by the test'; END IF; RETURN NEW; END $$`); err != nil {
					t.Fatal(err)
				}
				block = `CREATE TRIGGER e2e_block BEFORE INSERT ON rules_scans FOR EACH ROW EXECUTE FUNCTION e2e_block()`
				unblock = `DROP TRIGGER e2e_block ON rules_scans`
			}
			if _, err := db.Exec(ctx, block); err != nil {
				t.Fatal(err)
			}
			c.start()
			defer c.stop()
			agentID, auth := c.enrol(token, "probe-czj")

			// Uploads are acknowledged (and queued) until the queue's
			// oldest scan is older than a second; then they are refused.
			var refused []byte
			var res answer
			stored := 0
			waitFor(t, "uploads refused while the judgement is stuck", 60*time.Second, func() bool {
				b, _ := json.Marshal(validReport(agentID))
				res = c.http("POST", "/api/v1/reports", b, auth)
				switch res.status {
				case 202:
					stored++
				case 503:
					refused = b
					return true
				default:
					t.Fatalf("upload: %d %s", res.status, res.body)
				}
				time.Sleep(100 * time.Millisecond)
				return false
			}, c.logs)
			if stored == 0 {
				t.Errorf("no upload was acknowledged before the pause")
			}
			if !strings.Contains(string(res.body), "findings are behind its uploads") || !strings.Contains(string(res.body), `"max_lag_seconds":1`) {
				t.Errorf("refusal body %s", res.body)
			}
			// another department's agent is not held up by CZJ's fault
			gajID, gajAuth := c.enrol(other, "probe-gaj")
			gaj := validReport(gajID)
			gaj.Scope, gaj.Endpoints = []string{"10.2.0.0/24"}, []wire.Endpoint{{IP: "10.2.0.10", SeenBy: []string{"icmp"}, Role: "workstation"}}
			if b, _ := json.Marshal(gaj); c.http("POST", "/api/v1/reports", b, gajAuth).status != 202 {
				t.Errorf("GAJ's upload refused while only CZJ's judgement is stuck")
			} else {
				stored++
			}
			if n := c.reportCount() + 1; n != stored { // + GAJ's
				t.Errorf("%d reports stored, %d acknowledged: a refused upload was stored", n, stored)
			}

			// The judgement catches up: the refused report is accepted.
			if _, err := db.Exec(ctx, unblock); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the refused report accepted once the judgement caught up", 90*time.Second, func() bool {
				res = c.http("POST", "/api/v1/reports", refused, auth)
				if res.status != 202 && res.status != 503 {
					t.Fatalf("upload after the judgement caught up: %d %s", res.status, res.body)
				}
				time.Sleep(200 * time.Millisecond)
				return res.status == 202
			}, c.logs)
			waitFor(t, "the queue judged", 60*time.Second, func() bool {
				var n int
				if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM rules_pending`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n == 0
			}, c.logs)
			for _, want := range []string{"uploads paused: batched judgement is behind", "uploads resumed: batched judgement caught up"} {
				if !strings.Contains(c.logs.String(), want) {
					t.Errorf("the log does not say %q", want)
				}
			}
		})
	}
}
