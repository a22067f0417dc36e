package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/testenv"
)

// TestEndToEndWithRealCollector drives both real binaries as an operator
// would: token create, user add, serve; enroll, run --once against a TCP
// listener; the endpoint is then visible in GET /api/v1/endpoints.
func TestEndToEndWithRealCollector(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs both binaries")
	}
	bins := testenv.BuildBinaries(t, "egovnet-agent", "egovnet-collector")
	agentBin, colBin := filepath.Join(bins, "egovnet-agent"), filepath.Join(bins, "egovnet-collector")
	dir := t.TempDir()

	plan, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "configs", "plan.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// CZJ's allocation becomes loopback: the only network a test may probe.
	p := strings.Replace(string(plan), `prefixes: ["10.1.0.0/24"]`, `prefixes: ["127.0.0.0/24"]`, 1)
	if p == string(plan) {
		t.Fatal("configs/plan.yaml no longer has CZJ at 10.1.0.0/24; update this test")
	}
	planFile := coreWriteFile(t, dir, "plan.yaml", p)
	listen := fmt.Sprintf("127.0.0.1:%d", testenv.FreeTCPPort(t))
	colCfg := coreWriteFile(t, dir, "collector.yaml", fmt.Sprintf("listen: %q\ndata_dir: %q\nplan_file: %q\nauth: {totp: {required_roles: []}}\n", listen, filepath.Join(dir, "cdata"), planFile))

	collector := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(colBin, append(args, "--config", colCfg)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("egovnet-collector %v: %v\n%s", args, err, stderr)
		}
		return strings.TrimSpace(string(out))
	}
	token := collector("", "token", "create", "--department", "CZJ")
	const pass = "Egov#2026net!x"
	collector(pass+"\n"+pass+"\n", "user", "add", "--name", "auditor1", "--role", "auditor")

	serve := exec.Command(colBin, "serve", "--config", colCfg)
	logf, _ := os.Create(filepath.Join(dir, "serve.log"))
	serve.Stdout, serve.Stderr = logf, logf
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = serve.Wait(); close(exited) }()
	t.Cleanup(func() { _ = serve.Process.Signal(os.Interrupt); <-exited; logf.Close() })
	base := "http://" + listen
	up := false
	for range 300 {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			up = resp.StatusCode == 200
			if up {
				break
			}
		}
		select {
		case <-exited:
			b, _ := os.ReadFile(filepath.Join(dir, "serve.log"))
			t.Fatalf("collector exited:\n%s", b)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if !up {
		t.Fatal("collector did not become healthy")
	}

	env := []string{"EGOVNET_DATA_DIR=" + filepath.Join(dir, "agent-data")}
	if r := coreRunAgent(t, agentBin, env, "enroll", "--collector", base, "--token", token); r.code != 0 {
		t.Fatalf("enroll: exit %d %s", r.code, r.stderr)
	}
	// A token is single-use by default: a second enrolment is refused.
	if r := coreRunAgent(t, agentBin, env, "enroll", "--collector", base, "--token", token); r.code != 1 {
		t.Fatalf("reused token: exit %d %s", r.code, r.stderr)
	}
	port := testenv.OpenTCPPort(t)
	agentCfg := coreWriteFile(t, dir, "agent.yaml", fmt.Sprintf("scope: {targets: [127.0.0.1/32], ports: [%d], udp: false}\nprobe: {timeout: 2s}\n", port))
	if r := coreRunAgent(t, agentBin, env, "run", "--once", "--config", agentCfg); r.code != 0 {
		t.Fatalf("run --once: exit %d %s", r.code, r.stderr)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "agent-data", "spool", "*.json")); len(left) != 0 {
		t.Fatalf("report not acknowledged: %v", left)
	}

	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/endpoints?department=CZJ", nil)
	req.SetBasicAuth("auditor1", pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("endpoints: %d %s", resp.StatusCode, body)
	}
	var eps []struct {
		IP        string `json:"ip"`
		OpenPorts []int  `json:"open_ports"`
	}
	if err := json.Unmarshal(body, &eps); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	found := false
	for _, e := range eps {
		if e.IP == "127.0.0.1" && fmt.Sprint(e.OpenPorts) == fmt.Sprintf("[%d]", port) {
			found = true
		}
	}
	if !found {
		t.Fatalf("endpoint 127.0.0.1 with port %d not in %s", port, body)
	}
}
