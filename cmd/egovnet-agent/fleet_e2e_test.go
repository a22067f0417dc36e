package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/testenv"
)

// syncBuffer collects a process's output for assertions while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func buildAgentVersion(t *testing.T, out, ver string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-ldflags", "-X github.com/egovnet/egovnet/internal/version.Version="+ver, "-o", out, "./cmd/egovnet-agent")
	cmd.Dir = testenv.RepoRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build agent %s: %v\n%s", ver, err, b)
	}
}

// TestFleetEndToEnd drives both real binaries on loopback the way the
// big-data centre manages agents: the department's scope set centrally is
// what the next scan uses; scan-now starts a scan within a poll; the agent
// list shows health; a tampered release is refused; a signed one is
// installed and the agent comes back as the new version.
func TestFleetEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs both binaries")
	}
	dir := t.TempDir()
	colBin := filepath.Join(testenv.BuildBinaries(t, "egovnet-collector"), "egovnet-collector")
	agentBin := filepath.Join(dir, "bin", "egovnet-agent") // replaced in place by the update
	buildAgentVersion(t, agentBin, "1.0.0")
	newBuild := filepath.Join(dir, "egovnet-agent-9.9.9")
	buildAgentVersion(t, newBuild, "9.9.9")

	plan, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "configs", "plan.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	planFile := coreWriteFile(t, dir, "plan.yaml", strings.Replace(string(plan), `prefixes: ["10.1.0.0/24"]`, `prefixes: ["127.0.0.0/24"]`, 1))
	listen := fmt.Sprintf("127.0.0.1:%d", testenv.FreeTCPPort(t))
	cdata := filepath.Join(dir, "cdata")
	colCfg := coreWriteFile(t, dir, "collector.yaml", fmt.Sprintf("listen: %q\ndata_dir: %q\nplan_file: %q\nauth: {totp: {required_roles: []}}\nfleet: {poll_interval: 1s}\n", listen, cdata, planFile))
	collector := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(colBin, append(args, "--config", colCfg)...)
		cmd.Stdin = strings.NewReader(stdin)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("egovnet-collector %v: %v\n%s%s", args, err, out, stderr.String())
		}
		return strings.TrimSpace(string(out))
	}
	const pass = "Egov#2026net!x"
	collector(pass+"\n"+pass+"\n", "user", "add", "--name", "admin", "--role", "sysadmin")
	token := collector("", "token", "create", "--department", "CZJ")
	serve := exec.Command(colBin, "serve", "--config", colCfg)
	var serveLog, agentLog syncBuffer
	serve.Stdout, serve.Stderr = &serveLog, &serveLog
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = serve.Process.Signal(os.Interrupt); _ = serve.Wait() })
	base := "http://" + listen
	api := func(method, path string) (int, []byte) {
		req, _ := http.NewRequest(method, base+path, nil)
		req.SetBasicAuth("admin", pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	waitFor := func(what string, d time.Duration, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(d)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within %s\ncollector:\n%s\nagent:\n%s", what, d, serveLog.String(), agentLog.String())
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	waitFor("collector healthy", time.Minute, func() bool { c, _ := api("GET", "/healthz"); return c == 200 })

	env := []string{"EGOVNET_DATA_DIR=" + filepath.Join(dir, "agent-data")}
	if r := coreRunAgent(t, agentBin, env, "enroll", "--collector", base, "--token", token); r.code != 0 {
		t.Fatalf("enroll: exit %d %s", r.code, r.stderr)
	}
	// The scope is set centrally: the agent's own file names none.
	port := testenv.OpenTCPPort(t)
	collector("", "agent", "config", "set", "--department", "CZJ", "--targets", "127.0.0.1/32", "--ports", fmt.Sprint(port), "--snmp-community", "czj-secret-ro")
	if shown := collector("", "agent", "config", "show", "--department", "CZJ"); strings.Contains(shown, "czj-secret-ro") || !strings.Contains(shown, "<secret:0>") {
		t.Fatalf("config show reveals the community:\n%s", shown)
	}
	agentCfg := coreWriteFile(t, dir, "agent.yaml", "collector: {poll_interval: 1s}\nscope: {udp: false}\nprobe: {timeout: 2s}\nupdate: {check_interval: 1m}\n")
	var agent *exec.Cmd
	startAgent := func() {
		agent = exec.Command(agentBin, "run", "--config", agentCfg)
		agent.Env = append(os.Environ(), env...)
		agent.Stdout, agent.Stderr = &agentLog, &agentLog
		if err := agent.Start(); err != nil {
			t.Fatal(err)
		}
	}
	stopAgent := func() {
		_ = agent.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = agent.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = agent.Process.Kill()
			<-done
		}
	}
	startAgent()
	t.Cleanup(func() {
		if agent.ProcessState == nil {
			stopAgent()
		}
	})
	reports := func() int {
		_, b := api("GET", "/api/v1/reports?department=CZJ")
		var rs []map[string]any
		_ = json.Unmarshal(b, &rs)
		return len(rs)
	}
	waitFor("first report", 90*time.Second, func() bool { return reports() >= 1 })
	_, b := api("GET", "/api/v1/endpoints?department=CZJ")
	if !strings.Contains(string(b), `"ip":"127.0.0.1"`) || !strings.Contains(string(b), fmt.Sprint(port)) {
		t.Fatalf("the central scope was not scanned; endpoints: %s\nagent:\n%s", b, agentLog.String())
	}

	type health struct {
		ID, Status, Version, OS, Arch, Profile string
	}
	agents := func() []health {
		_, b := api("GET", "/api/v1/agents?department=CZJ")
		var hs []health
		_ = json.Unmarshal(b, &hs)
		return hs
	}
	hs := agents()
	if len(hs) != 1 || hs[0].Status != "ok" || hs[0].Version != "1.0.0" || hs[0].OS == "" || hs[0].Profile != "network" {
		t.Fatalf("agent health: %+v", hs)
	}
	id := hs[0].ID

	// Scan now: the schedule says an hour; the request starts one at the next poll.
	if c, b := api("POST", "/api/v1/agents/"+id+"/scan"); c != 202 {
		t.Fatalf("scan now: %d %s", c, b)
	}
	waitFor("scan-now report", 60*time.Second, func() bool { return reports() >= 2 })

	// A tampered release is refused; the running build stays.
	collector("", "release", "add", "--file", newBuild, "--version", "9.9.9", "--os", "linux", "--arch", "amd64")
	db, err := store.OpenSQLite(context.Background(), filepath.Join(cdata, "egovnet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	good, _ := os.ReadFile(newBuild)
	evil := append([]byte(nil), good...)
	evil[len(evil)/2] ^= 0xff
	if _, err := db.Exec(context.Background(), `UPDATE fleet_releases SET content = ? WHERE version = '9.9.9'`, evil); err != nil {
		t.Fatal(err)
	}
	stopAgent()
	startAgent()
	waitFor("tampered release refused", 60*time.Second, func() bool { return strings.Contains(agentLog.String(), "update refused") })
	if b, _ := os.ReadFile(agentBin); string(b) == string(evil) {
		t.Fatal("the tampered build was installed")
	}

	// The signed build is installed and the agent comes back as 9.9.9.
	if _, err := db.Exec(context.Background(), `UPDATE fleet_releases SET content = ? WHERE version = '9.9.9'`, good); err != nil {
		t.Fatal(err)
	}
	stopAgent()
	startAgent()
	waitFor("agent reports the new version", 90*time.Second, func() bool {
		hs := agents()
		return len(hs) == 1 && hs[0].Version == "9.9.9"
	})
	if _, err := os.Stat(agentBin + ".prev"); err != nil {
		t.Fatalf("previous build not kept: %v", err)
	}
	stopAgent()
	// Three missed 1 s polls; polled for, not slept on.
	waitFor("a stopped agent goes late", 30*time.Second, func() bool {
		hs := agents()
		return len(hs) == 1 && hs[0].Status == "late"
	})
}
