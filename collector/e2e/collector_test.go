// End-to-end tests of the real egovnet-collector binary on loopback: the
// commands and routes exactly as users and the acceptance checks call them.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/testenv"
	"github.com/egovnet/egovnet/internal/wire"
	"github.com/google/uuid"
)

const (
	adminPassword = "Zq7!mcWx-e2e"
	maxReport     = 8 << 20 // room for a real agent's report with its host's package list
)

// collector is one collector installation: a config, a data dir, a binary.
type collector struct {
	t        testing.TB
	bin      string
	dir      string
	config   string
	url      string
	env      []string
	db       func() *store.DB // opens the store for tampering
	proc     *exec.Cmd
	logs     *bytes.Buffer
	stopFn   func() error
	agentBin string
}

func newCollector(t *testing.T, bin string, postgres bool) *collector {
	dir := t.TempDir()
	port := testenv.FreeTCPPort(t)
	c := &collector{t: t, bin: bin, dir: dir, url: fmt.Sprintf("http://127.0.0.1:%d", port), config: filepath.Join(dir, "collector.yaml")}
	// The scripted administrator logs in with HTTP Basic, which the
	// two-factor roles refuse by default; TestSecondFactor covers that.
	cfg := fmt.Sprintf("listen: 127.0.0.1:%d\ndata_dir: %s\nplan_file: %s\nlimits: {max_report_bytes: %d}\nlog: {level: debug}\nauth: {totp: {required_roles: []}}\n",
		port, filepath.Join(dir, "data"), filepath.Join(testenv.RepoRoot(), "configs", "plan.yaml"), maxReport)
	if postgres {
		db, dsn := storetest.NewPostgresSchema(t)
		cfg += "store: {driver: postgres}\n"
		c.env = append(c.env, "EGOVNET_STORE_DSN="+dsn) // the DSN stays out of the file, as in production
		c.db = func() *store.DB { return db }
	} else {
		c.db = func() *store.DB {
			db, err := store.OpenSQLite(context.Background(), filepath.Join(dir, "data", "egovnet.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
	}
	if err := os.WriteFile(c.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

// run runs a command to completion and returns stdout, stderr, exit code.
func (c *collector) run(stdin string, args ...string) (string, string, int) {
	c.t.Helper()
	cmd := exec.Command(c.bin, append(args, "--config", c.config)...)
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stdin = strings.NewReader(stdin)
	return testenv.Run(c.t, cmd)
}

func (c *collector) mustRun(stdin string, args ...string) string {
	c.t.Helper()
	out, errs, code := c.run(stdin, args...)
	if code != 0 {
		c.t.Fatalf("%v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errs)
	}
	return out
}

// start runs serve and waits until /healthz answers or the process exits.
func (c *collector) start() {
	c.t.Helper()
	c.logs = &bytes.Buffer{}
	c.proc = exec.Command(c.bin, "serve", "--config", c.config)
	c.proc.Env = append(os.Environ(), c.env...)
	c.proc.Stdout, c.proc.Stderr = c.logs, c.logs
	if err := c.proc.Start(); err != nil {
		c.t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- c.proc.Wait() }()
	c.t.Cleanup(func() {
		if c.proc.ProcessState == nil {
			_ = c.proc.Process.Kill()
			<-exited
		}
	})
	// Readiness wait, not a timing assertion: a loaded CI box gets a minute.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			c.t.Fatalf("collector exited early: %v\n%s", err, c.logs)
		default:
		}
		res, err := http.Get(c.url + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				c.stopFn = func() error {
					_ = c.proc.Process.Signal(syscall.SIGTERM)
					return <-exited
				}
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("collector not ready within a minute:\n%s", c.logs)
}

// stop sends SIGTERM and expects a clean exit.
func (c *collector) stop() {
	c.t.Helper()
	if err := c.stopFn(); err != nil {
		c.t.Fatalf("collector did not exit cleanly on SIGTERM: %v\n%s", err, c.logs)
	}
}

type answer struct {
	status int
	body   []byte
}

func (c *collector) http(method, path string, body []byte, hdr map[string]string) answer {
	c.t.Helper()
	req, err := http.NewRequest(method, c.url+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, b}
}

func (c *collector) admin() map[string]string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth("admin", adminPassword)
	return map[string]string{"Authorization": req.Header.Get("Authorization")}
}

// enrol enrols an agent with token through the served API and returns its
// id and the header that authenticates its uploads.
func (c *collector) enrol(token, hostname string) (string, map[string]string) {
	c.t.Helper()
	body, _ := json.Marshal(map[string]string{"token": token, "hostname": hostname, "agent_version": "e2e"})
	a := c.http("POST", "/api/v1/agents/enroll", body, nil)
	var enrolled struct {
		AgentID    string `json:"agent_id"`
		Credential string `json:"credential"`
	}
	if a.status != 200 || json.Unmarshal(a.body, &enrolled) != nil || enrolled.Credential == "" {
		c.t.Fatalf("enrol: %d %s", a.status, a.body)
	}
	return enrolled.AgentID, map[string]string{"Authorization": "Bearer " + enrolled.Credential}
}

// reportCount counts stored reports of CZJ through the API.
func (c *collector) reportCount() int {
	c.t.Helper()
	a := c.http("GET", "/api/v1/reports?department=CZJ", nil, c.admin())
	if a.status != 200 {
		c.t.Fatalf("list reports: %d %s", a.status, a.body)
	}
	var reps []map[string]any
	if err := json.Unmarshal(a.body, &reps); err != nil {
		c.t.Fatalf("decode reports %s: %v", a.body, err)
	}
	return len(reps)
}

func validReport(agentID string) *wire.ScanReport {
	now := time.Now().UTC().Truncate(time.Second)
	return &wire.ScanReport{
		Schema: wire.SchemaScanV1, ReportID: uuid.NewString(),
		Agent:     wire.Agent{ID: agentID, Hostname: "probe-czj", Version: "e2e"},
		StartedAt: now.Add(-2 * time.Minute), FinishedAt: now.Add(-time.Minute),
		Scope: []string{"10.1.0.0/24"},
		Endpoints: []wire.Endpoint{
			{IP: "10.1.0.10", MAC: "00:11:22:33:44:55", SeenBy: []string{"icmp", "tcp"}, OpenPorts: []int{22, 443}, Role: "server",
				HTTP: []wire.HTTPInfo{{Port: 443, Scheme: "https", Title: "财政业务系统", Server: "nginx"}}},
			{IP: "10.1.0.20", SeenBy: []string{"arp"}, Role: "workstation"},
		},
		Stats: wire.Stats{AddressesProbed: 256, DurationMs: 60000},
	}
}

func TestCollectorEndToEnd(t *testing.T) {
	bins := testenv.BuildBinaries(t, "egovnet-collector", "egovnet-agent")
	bin := filepath.Join(bins, "egovnet-collector")
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			c := newCollector(t, bin, backend == "postgres")
			c.agentBin = filepath.Join(bins, "egovnet-agent")
			scenario(t, c)
		})
	}
}

func scenario(t *testing.T, c *collector) {
	// Setup before serving: a user (password twice on stdin) and a token.
	c.mustRun(adminPassword+"\n"+adminPassword+"\n", "user", "add", "--name", "admin", "--role", "sysadmin")
	c.mustRun("Fin!pass-2026\nFin!pass-2026\n", "user", "add", "--name", "czj", "--role", "dept-admin", "--department", "CZJ")
	token := strings.TrimSpace(c.mustRun("", "token", "create", "--department", "CZJ", "--ttl", "1h", "--uses", "1"))
	if !strings.HasPrefix(token, "egt_") || strings.Contains(token, "\n") {
		t.Fatalf("token create printed %q, want the token alone", token)
	}
	c.start()

	var agentID, cred string
	t.Run("enrol over HTTP", func(t *testing.T) {
		body, _ := json.Marshal(map[string]string{"token": token, "hostname": "probe-czj", "agent_version": "e2e"})
		a := c.http("POST", "/api/v1/agents/enroll", body, nil)
		if a.status != 200 {
			t.Fatalf("enrol: %d %s", a.status, a.body)
		}
		var out struct{ AgentID, Credential, Department string }
		_ = json.Unmarshal(a.body, &struct {
			AgentID    *string `json:"agent_id"`
			Credential *string `json:"credential"`
			Department *string `json:"department"`
		}{&out.AgentID, &out.Credential, &out.Department})
		if out.AgentID == "" || out.Credential == "" || out.Department != "CZJ" {
			t.Fatalf("enrol answer: %s", a.body)
		}
		agentID, cred = out.AgentID, out.Credential
		if a := c.http("POST", "/api/v1/agents/enroll", body, nil); a.status != 403 {
			t.Fatalf("second use of a one-use token: %d %s", a.status, a.body)
		}
	})
	if cred == "" {
		t.FailNow()
	}
	auth := map[string]string{"Authorization": "Bearer " + cred}

	rep := validReport(agentID)
	repJSON, _ := json.Marshal(rep)
	t.Run("upload is acknowledged once", func(t *testing.T) {
		a := c.http("POST", "/api/v1/reports", repJSON, auth)
		if a.status != 202 || !strings.Contains(string(a.body), `"accepted":true`) || !strings.Contains(string(a.body), rep.ReportID) {
			t.Fatalf("upload: %d %s", a.status, a.body)
		}
		if a := c.http("POST", "/api/v1/reports", repJSON, auth); a.status != 200 {
			t.Fatalf("retry: %d %s", a.status, a.body)
		}
		if n := c.reportCount(); n != 1 {
			t.Fatalf("stored %d reports, want 1", n)
		}
		// Processors (the rules engine, wired in extend) ran after the commit.
		a = c.http("GET", "/api/v1/reports?department=CZJ", nil, c.admin())
		if !strings.Contains(string(a.body), `"processed":true`) {
			t.Fatalf("report not processed: %s", a.body)
		}
	})
	t.Run("endpoints under the department", func(t *testing.T) {
		a := c.http("GET", "/api/v1/endpoints?department=CZJ", nil, c.admin())
		var eps []struct {
			IP        string   `json:"ip"`
			OpenPorts []int    `json:"open_ports"`
			SeenBy    []string `json:"seen_by"`
			Role      string   `json:"role"`
			FirstSeen string   `json:"first_seen"`
		}
		if err := json.Unmarshal(a.body, &eps); err != nil || a.status != 200 || len(eps) != 2 {
			t.Fatalf("endpoints: %d %s %v", a.status, a.body, err)
		}
		if eps[0].IP != "10.1.0.10" || fmt.Sprint(eps[0].OpenPorts) != "[22 443]" || eps[0].Role != "server" ||
			eps[0].FirstSeen != rep.FinishedAt.Format(time.RFC3339) {
			t.Fatalf("endpoint: %+v", eps[0])
		}
		if a := c.http("GET", "/api/v1/endpoints?department=GAJ", nil, map[string]string{"Authorization": basicAuth("czj", "Fin!pass-2026")}); a.status != 403 {
			t.Fatalf("dept-admin reading another department: %d", a.status)
		}
	})
	t.Run("refused uploads store nothing", func(t *testing.T) {
		bad := validReport(agentID)
		bad.Endpoints[0].IP = "10.1.0.300"
		bad.FinishedAt = bad.StartedAt.Add(-time.Hour)
		badJSON, _ := json.Marshal(bad)
		big := validReport(agentID)
		big.Host = &wire.Host{OS: strings.Repeat("x", maxReport)} // too large before it is invalid
		bigJSON, _ := json.Marshal(big)
		fresh, _ := json.Marshal(validReport(agentID))
		tests := []struct {
			name   string
			body   []byte
			hdr    map[string]string
			status int
			want   string
		}{
			{"wrong credential", fresh, map[string]string{"Authorization": "Bearer egc_wrong"}, 401, ""},
			{"no credential", fresh, nil, 401, ""},
			{"malformed JSON", []byte(`{"schema": "egovnet.scan/v1", `), auth, 400, ""},
			{"invalid report names every problem", badJSON, auth, 400, "endpoints[0].ip"},
			{"oversized", bigJSON, auth, 413, ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				a := c.http("POST", "/api/v1/reports", tc.body, tc.hdr)
				if a.status != tc.status || !strings.Contains(string(a.body), tc.want) || !strings.Contains(string(a.body), `"error"`) {
					t.Fatalf("%d %s, want %d with %q", a.status, a.body, tc.status, tc.want)
				}
			})
		}
		if a := c.http("POST", "/api/v1/reports", badJSON, auth); !strings.Contains(string(a.body), "finished_at") {
			t.Fatalf("400 does not list every problem: %s", a.body)
		}
		if n := c.reportCount(); n != 1 {
			t.Fatalf("refused uploads changed the store: %d reports", n)
		}
	})
	t.Run("import twice stores once", func(t *testing.T) {
		offline := validReport("offline-probe")
		offline.FinishedAt = offline.FinishedAt.Add(-30 * 24 * time.Hour)
		offline.StartedAt = offline.FinishedAt.Add(-time.Minute)
		offline.Endpoints = offline.Endpoints[:1]
		f := filepath.Join(c.dir, "offline.json")
		b, _ := json.Marshal(offline)
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		out := c.mustRun("", "import", "--report", f, "--department", "CZJ")
		if !strings.HasPrefix(out, "stored report "+offline.ReportID) {
			t.Fatalf("first import: %q", out)
		}
		out = c.mustRun("", "import", "--report", f, "--department", "CZJ")
		if !strings.HasPrefix(out, "already present: report "+offline.ReportID) {
			t.Fatalf("second import: %q", out)
		}
		// The uploaded report, imported: also already present (same agent, same department).
		up := filepath.Join(c.dir, "uploaded.json")
		_ = os.WriteFile(up, repJSON, 0o600)
		if out := c.mustRun("", "import", "--report", up); !strings.HasPrefix(out, "already present") {
			t.Fatalf("import of the uploaded report: %q", out)
		}
		if n := c.reportCount(); n != 2 {
			t.Fatalf("%d reports after imports, want 2", n)
		}
		// The older scan moved first_seen back in time, not last_seen.
		a := c.http("GET", "/api/v1/endpoints?department=CZJ", nil, c.admin())
		if !strings.Contains(string(a.body), `"first_seen":"`+offline.FinishedAt.Format(time.RFC3339)+`"`) ||
			!strings.Contains(string(a.body), `"last_seen":"`+rep.FinishedAt.Format(time.RFC3339)+`"`) {
			t.Fatalf("history after an old import: %s", a.body)
		}
		if _, errs, code := c.run("", "import", "--report", f, "--department", "NOPE"); code != 2 || !strings.Contains(errs, `"NOPE" is not in the plan`) {
			t.Fatalf("unknown department: exit %d %s", code, errs)
		}
		// A scan of GAJ's network filed under CZJ would put GAJ's findings on
		// CZJ: refused, nothing stored.
		foreign := validReport("offline-probe")
		foreign.Scope = []string{"10.2.0.0/24"}
		foreign.Endpoints = []wire.Endpoint{{IP: "10.2.0.10", SeenBy: []string{"icmp"}, Role: "server"}}
		ff := filepath.Join(c.dir, "foreign.json")
		fb, _ := json.Marshal(foreign)
		_ = os.WriteFile(ff, fb, 0o600)
		if _, errs, code := c.run("", "import", "--report", ff, "--department", "CZJ"); code != 2 || !strings.Contains(errs, "GAJ") {
			t.Fatalf("import of another department's scan: exit %d %s", code, errs)
		}
		if n := c.reportCount(); n != 2 {
			t.Fatalf("%d CZJ reports after a refused import, want 2", n)
		}
		bad := filepath.Join(c.dir, "bad.json")
		_ = os.WriteFile(bad, []byte(`{"schema":"egovnet.scan/v1","report_id":"x"}`), 0o600)
		if _, errs, code := c.run("", "import", "--report", bad); code != 1 || !strings.Contains(errs, "report_id") {
			t.Fatalf("invalid import: exit %d %s", code, errs)
		}
	})
	t.Run("bad usage exits 2 naming every problem", func(t *testing.T) {
		if _, errs, code := c.run("", "token", "create", "--department", "NOPE"); code != 2 || !strings.Contains(errs, "NOPE") {
			t.Fatalf("token for unknown department: exit %d %s", code, errs)
		}
		if _, errs, code := c.run("weak\nweak\n", "user", "add", "--name", "bob", "--role", "viewer"); code != 2 || !strings.Contains(errs, "at least 8") {
			t.Fatalf("weak password: exit %d %s", code, errs)
		}
		if _, errs, code := c.run("Zq7!mcWx\nZq7!mcWy\n", "user", "add", "--name", "bob", "--role", "viewer"); code != 2 || !strings.Contains(errs, "differ") {
			t.Fatalf("mismatched passwords: exit %d %s", code, errs)
		}
		if _, errs, code := c.run("", "user", "add", "--name", "bob", "--role", "dept-admin"); code != 2 || !strings.Contains(errs, "needs --department") {
			t.Fatalf("dept-admin without department: exit %d %s", code, errs)
		}
		badCfg := filepath.Join(c.dir, "bad.yaml")
		_ = os.WriteFile(badCfg, []byte("listen: 0.0.0.0:1\nstore: {driver: oracle}\nrules: {resolve_after: 0}\n"), 0o600)
		cmd := exec.Command(c.bin, "serve", "--config", badCfg)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		err := cmd.Run()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 2 {
			t.Fatalf("bad config: %v", err)
		}
		for _, w := range []string{"tls:", "store.driver", "rules.resolve_after"} {
			if !strings.Contains(errb.String(), w) {
				t.Errorf("bad config stderr lacks %q:\n%s", w, errb.String())
			}
		}
	})

	t.Run("real agent scans a loopback listener", func(t *testing.T) { realAgent(t, c) })
	t.Run("revoked agent is refused", func(t *testing.T) {
		if out := c.mustRun("", "agent", "list", "--department", "CZJ"); !strings.Contains(out, agentID) {
			t.Fatalf("agent list lacks %s:\n%s", agentID, out)
		}
		c.mustRun("", "agent", "revoke", "--id", agentID)
		fresh, _ := json.Marshal(validReport(agentID))
		if a := c.http("POST", "/api/v1/reports", fresh, auth); a.status != 401 {
			t.Fatalf("upload with a revoked credential: %d %s", a.status, a.body)
		}
	})

	c.stop()
	if !strings.Contains(c.logs.String(), "shutting down") {
		t.Errorf("no graceful shutdown in the log:\n%s", c.logs)
	}

	t.Run("audit log lists and verifies, and detects tampering", func(t *testing.T) {
		out := c.mustRun("", "auditlog", "list", "--format", "json", "--since", "1h")
		var entries []struct {
			Seq     int64  `json:"seq"`
			Action  string `json:"action"`
			Outcome string `json:"outcome"`
			Actor   string `json:"actor"`
		}
		if err := json.Unmarshal([]byte(out), &entries); err != nil {
			t.Fatalf("auditlog list json: %v\n%s", err, out)
		}
		seen := map[string]bool{}
		for _, e := range entries {
			seen[e.Action+"/"+e.Outcome] = true
		}
		for _, w := range []string{"user.add/ok", "token.create/ok", "agent.enroll/ok", "agent.enroll/denied", "report.upload/ok", "report.upload/denied", "report.import/ok", "http GET /api/v1/endpoints/ok"} {
			if !seen[w] {
				t.Errorf("audit log lacks %s", w)
			}
		}
		if table := c.mustRun("", "auditlog", "list"); !strings.Contains(table, "agent.enroll") {
			t.Errorf("table output lacks entries:\n%s", table)
		}
		if out := c.mustRun("", "auditlog", "verify"); !strings.Contains(out, "intact") {
			t.Fatalf("verify: %s", out)
		}
		db := c.db()
		ctx := context.Background()
		if _, err := db.Exec(ctx, `UPDATE audit_log SET outcome = 'ok' WHERE seq = 5`); err != nil {
			t.Fatal(err)
		}
		_, errs, code := c.run("", "auditlog", "verify")
		if code == 0 || !strings.Contains(errs, "entry 5") {
			t.Fatalf("altered entry: exit %d %s", code, errs)
		}
		// Restore by re-hashing is impossible from outside; remove a row instead on a fresh check.
		if _, err := db.Exec(ctx, `DELETE FROM audit_log WHERE seq = 3`); err != nil {
			t.Fatal(err)
		}
		_, errs, code = c.run("", "auditlog", "verify")
		if code == 0 || !strings.Contains(errs, "entry 3") {
			t.Fatalf("removed entry: exit %d %s", code, errs)
		}
	})
}

func basicAuth(user, pw string) string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(user, pw)
	return req.Header.Get("Authorization")
}

// realAgent enrols the real egovnet-agent binary, lets it scan a TCP
// listener this test opens on 127.0.0.1, upload with run --once, and checks
// the endpoint and its open port in GET /api/v1/endpoints.
func realAgent(t *testing.T, c *collector) {
	port := testenv.OpenTCPPort(t)
	token := strings.TrimSpace(c.mustRun("", "token", "create", "--department", "GAJ"))
	agentDir := filepath.Join(c.dir, "agent")
	agentCfg := filepath.Join(c.dir, "agent.yaml")
	body := fmt.Sprintf("data_dir: %s\nscope: {targets: [\"127.0.0.1/32\"], ports: [%d], udp: false}\nlog: {level: debug}\n", agentDir, port)
	if err := os.WriteFile(agentCfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	agent := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(c.agentBin, append(args, "--config", agentCfg)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("egovnet-agent %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	agent("enroll", "--collector", c.url, "--token", token)
	agent("run", "--once")

	a := c.http("GET", "/api/v1/endpoints?department=GAJ", nil, c.admin())
	var eps []struct {
		IP        string `json:"ip"`
		OpenPorts []int  `json:"open_ports"`
	}
	if err := json.Unmarshal(a.body, &eps); err != nil || a.status != 200 {
		t.Fatalf("endpoints: %d %s %v", a.status, a.body, err)
	}
	found := false
	for _, e := range eps {
		if e.IP == "127.0.0.1" {
			for _, p := range e.OpenPorts {
				found = found || p == port
			}
		}
	}
	if !found {
		t.Fatalf("endpoint 127.0.0.1 with open port %d not under GAJ: %s", port, a.body)
	}
	a = c.http("GET", "/api/v1/reports?department=GAJ", nil, c.admin())
	if !strings.Contains(string(a.body), `"source":"upload"`) {
		t.Fatalf("agent report not listed: %s", a.body)
	}
}
