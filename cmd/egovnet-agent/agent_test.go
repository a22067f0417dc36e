package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/snmpsim"
	"github.com/egovnet/egovnet/internal/testenv"
	"github.com/egovnet/egovnet/internal/wire"
)

type coreResult struct {
	stdout, stderr string
	code           int
}

func coreRunAgent(t *testing.T, bin string, env []string, args ...string) coreResult {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = t.TempDir()
	stdout, stderr, code := testenv.Run(t, cmd)
	return coreResult{stdout, stderr, code}
}

func coreDecode(t *testing.T, s string) *wire.ScanReport {
	t.Helper()
	rep, err := wire.DecodeReport(strings.NewReader(s), 64<<20)
	if err != nil {
		t.Fatalf("report does not decode/validate: %v\n%s", err, s)
	}
	return rep
}

func coreWriteFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAgentBinary(t *testing.T) {
	bin := filepath.Join(testenv.BuildBinaries(t, "egovnet-agent"), "egovnet-agent")

	t.Run("scan tcp finds the listener", func(t *testing.T) {
		open, closed := testenv.OpenTCPPort(t), testenv.FreeTCPPort(t)
		r := coreRunAgent(t, bin, nil, "scan", "--methods", "tcp", "--targets", "127.0.0.1/32",
			"--ports", fmt.Sprintf("%d,%d", open, closed), "--timeout", "2s")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		rep := coreDecode(t, r.stdout)
		if len(rep.Endpoints) != 1 {
			t.Fatalf("endpoints %+v", rep.Endpoints)
		}
		e := rep.Endpoints[0]
		if e.IP != "127.0.0.1" || fmt.Sprint(e.OpenPorts) != fmt.Sprintf("[%d]", open) || fmt.Sprint(e.SeenBy) != "[tcp]" {
			t.Fatalf("endpoint %+v", e)
		}
		if rep.Stats.AddressesProbed != 1 || fmt.Sprint(rep.Scope) != "[127.0.0.1/32]" || rep.Agent.ID == "" {
			t.Fatalf("report %+v", rep)
		}
	})

	t.Run("scan table to file", func(t *testing.T) {
		open := testenv.OpenTCPPort(t)
		out := filepath.Join(t.TempDir(), "r.txt")
		r := coreRunAgent(t, bin, nil, "scan", "--methods", "tcp", "--targets", "127.0.0.1", "--ports", strconv.Itoa(open),
			"--format", "table", "--out", out)
		if r.code != 0 || r.stdout != "" {
			t.Fatalf("exit %d stdout %q stderr %s", r.code, r.stdout, r.stderr)
		}
		b, _ := os.ReadFile(out)
		if !strings.Contains(string(b), "终端 Endpoints (1)") || !strings.Contains(string(b), strconv.Itoa(open)) {
			t.Fatalf("table:\n%s", b)
		}
	})

	t.Run("scan host facts need no targets", func(t *testing.T) {
		r := coreRunAgent(t, bin, nil, "scan", "--methods", "host")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		rep := coreDecode(t, r.stdout)
		if rep.Host == nil || len(rep.Host.Interfaces) == 0 || len(rep.Host.Software) == 0 || len(rep.Endpoints) != 0 {
			t.Fatalf("host %+v", rep.Host)
		}
	})

	usage := []struct {
		name  string
		env   []string
		args  []string
		wants []string
	}{
		{"no targets is an error", nil, []string{"scan"}, []string{"no targets"}},
		{"no targets with tcp only", nil, []string{"scan", "--methods", "tcp"}, []string{"no targets"}},
		{"every bad flag named", nil, []string{"scan", "--targets", "10.0.0.0/8,nonsense", "--ports", "0,22-21", "--methods", "icmp,ftp", "--format", "xml", "--timeout", "-1s"},
			[]string{"exceed the limit", `"nonsense"`, `"0"`, `"22-21"`, "unknown ftp", `"xml"`, "probe.timeout"}},
		{"env scope is honoured and validated", []string{"EGOVNET_SCOPE_TARGETS=10.1.0.5/24"}, []string{"scan", "--methods", "tcp"}, []string{"host bits set"}},
		{"unknown command", nil, []string{"frobnicate"}, []string{"unknown command"}},
		{"unknown flag", nil, []string{"scan", "--bogus"}, []string{"unknown flag"}},
		{"enroll without token", nil, []string{"enroll", "--collector", "http://127.0.0.1:1"}, []string{"--token is required"}},
		{"enroll bad url", nil, []string{"enroll", "--collector", "ftp://x", "--token", "t"}, []string{"collector url"}},
	}
	for _, tc := range usage {
		t.Run(tc.name, func(t *testing.T) {
			r := coreRunAgent(t, bin, tc.env, tc.args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2; stderr %s", r.code, r.stderr)
			}
			for _, w := range tc.wants {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}

	t.Run("invalid config names every problem", func(t *testing.T) {
		cfg := coreWriteFile(t, t.TempDir(), "agent.yaml", "scope: {targets: [10.1.0.0/33], portz: [1]}\nprobe: {rate: -1}\n")
		r := coreRunAgent(t, bin, nil, "run", "--once", "--config", cfg)
		if r.code != 2 || !strings.Contains(r.stderr, `unknown config key "scope.portz"`) {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		cfg = coreWriteFile(t, t.TempDir(), "agent.yaml", "scope: {targets: [10.1.0.0/33]}\nprobe: {rate: -1}\nsnmp: {communities: [hunter2], port: 0}\n")
		r = coreRunAgent(t, bin, nil, "run", "--once", "--config", cfg)
		if r.code != 2 || !strings.Contains(r.stderr, "10.1.0.0/33") || !strings.Contains(r.stderr, "probe.rate -1") || !strings.Contains(r.stderr, "snmp.port 0") {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if strings.Contains(r.stderr, "hunter2") {
			t.Fatal("secret printed")
		}
	})

	t.Run("secrets never reach logs or reports", func(t *testing.T) {
		dataDir := filepath.Join(t.TempDir(), "agent-data")
		cfg := coreWriteFile(t, t.TempDir(), "agent.yaml", fmt.Sprintf(`
data_dir: %q
log: {level: debug}
collector: {url: "http://127.0.0.1:1", credential: "cred-XYZZY"}
scope: {targets: [127.0.0.1/32], ports: [%d], udp: false}
probe: {timeout: 200ms, retries: 0}
snmp:
  communities: [comm-XYZZY]
  v3: [{user: u1, auth_proto: sha, auth_pass: auth-XYZZY, priv_proto: aes, priv_pass: priv-XYZZY}]
`, dataDir, testenv.OpenTCPPort(t)))
		r := coreRunAgent(t, bin, nil, "run", "--once", "--config", cfg)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		spooled, _ := filepath.Glob(filepath.Join(dataDir, "spool", "*.json"))
		if len(spooled) != 1 {
			t.Fatalf("spool %v", spooled)
		}
		rep, _ := os.ReadFile(spooled[0])
		if strings.Contains(r.stdout+r.stderr+string(rep), "XYZZY") {
			t.Fatalf("a secret leaked:\n%s\n%s", r.stderr, rep)
		}
	})

	t.Run("shipped example config scans nothing until scoped", func(t *testing.T) {
		dataDir := filepath.Join(t.TempDir(), "agent-data")
		r := coreRunAgent(t, bin, []string{"EGOVNET_DATA_DIR=" + dataDir}, "run", "--once", "--config", filepath.Join(testenv.RepoRoot(), "configs", "agent.yaml"))
		if r.code != 0 || !strings.Contains(r.stderr, "scope.targets is empty") {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		spooled, _ := filepath.Glob(filepath.Join(dataDir, "spool", "*.json"))
		if len(spooled) != 1 {
			t.Fatalf("spool %v", spooled)
		}
		b, _ := os.ReadFile(spooled[0])
		rep := coreDecode(t, string(b))
		if len(rep.Scope) != 0 || len(rep.Endpoints) != 0 || rep.Stats.AddressesProbed != 0 || rep.Host == nil {
			t.Fatalf("unscoped run probed something: scope %v endpoints %d probed %d", rep.Scope, len(rep.Endpoints), rep.Stats.AddressesProbed)
		}
	})

	t.Run("version", func(t *testing.T) {
		r := coreRunAgent(t, bin, nil, "version")
		if r.code != 0 || !strings.Contains(r.stdout, "egovnet-agent ") || !strings.Contains(r.stdout, "commit ") || !strings.Contains(r.stdout, "go go1.") {
			t.Fatalf("%+v", r)
		}
	})

	t.Run("enroll then run once against a collector-like server", func(t *testing.T) {
		coreTestEnrollAndRun(t, bin)
	})

	t.Run("run daemon scans at start and stops on SIGTERM", func(t *testing.T) {
		dataDir := filepath.Join(t.TempDir(), "agent-data")
		cfg := coreWriteFile(t, t.TempDir(), "agent.yaml", fmt.Sprintf(
			"data_dir: %q\nscope: {targets: [127.0.0.1/32], ports: [%d], udp: false}\nschedule: {interval: 1h}\n", dataDir, testenv.OpenTCPPort(t)))
		cmd := exec.Command(bin, "run", "--config", cfg)
		var errb coreSyncBuffer
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		for !strings.Contains(errb.String(), "next scan") {
			select {
			case err := <-exited:
				t.Fatalf("daemon exited early: %v\n%s", err, errb.String())
			case <-time.After(50 * time.Millisecond):
			}
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := <-exited; err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, errb.String())
		}
		if got, _ := filepath.Glob(filepath.Join(dataDir, "spool", "*.json")); len(got) != 1 {
			t.Fatalf("spool %v (no collector configured: the report must stay)", got)
		}
	})

	t.Run("scan snmp walks a simulated Huawei switch", func(t *testing.T) {
		port := coreStartSnmpsim(t)
		open := testenv.OpenTCPPort(t)
		r := coreRunAgent(t, bin, nil, "scan", "--methods", "tcp,snmp", "--targets", "127.0.0.1/32", "--ports", strconv.Itoa(open),
			"--snmp-community", "wrong-community,ssd-huawei-s5720", "--snmp-port", strconv.Itoa(port), "--timeout", "2s")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		rep := coreDecode(t, r.stdout)
		if len(rep.Devices) != 1 || rep.Devices[0].System.ObjectID != "1.3.6.1.4.1.2011.2.23.276" || len(rep.Devices[0].Interfaces) == 0 {
			t.Fatalf("devices %+v", rep.Devices)
		}
		if strings.Contains(r.stdout, "ssd-huawei-s5720") {
			t.Fatal("community printed in the report")
		}
		var lo *wire.Endpoint
		for i := range rep.Endpoints {
			if rep.Endpoints[i].IP == "127.0.0.1" {
				lo = &rep.Endpoints[i]
			}
		}
		if lo == nil || lo.Role != wire.RoleNetwork || fmt.Sprint(lo.SeenBy) != "[tcp snmp]" || lo.SysObjectID == "" {
			t.Fatalf("endpoint %+v", lo)
		}
	})
}

// coreFakeCollector implements the CONTRACT's agent routes: enrolment and
// report upload with the bearer credential, validating each report with
// the shared wire rules. Only the test's token is accepted.
type coreFakeCollector struct {
	mu      sync.Mutex
	down    bool
	reports []*wire.ScanReport
}

func (f *coreFakeCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		http.Error(w, `{"error":"maintenance"}`, http.StatusServiceUnavailable)
		return
	}
	switch r.URL.Path {
	case "/api/v1/agents/enroll":
		var req struct{ Token, Hostname, AgentVersion string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Token != "enrol-tok" || req.Hostname == "" {
			http.Error(w, `{"error":"invalid token"}`, http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(`{"agent_id":"agent-7","credential":"s3cr3t-cred"}`))
	case "/api/v1/reports":
		if r.Header.Get("Authorization") != "Bearer s3cr3t-cred" {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		rep, err := wire.DecodeReport(r.Body, 32<<20)
		if err != nil {
			http.Error(w, fmt.Sprintf(`{"error":%q}`, err.Error()), http.StatusBadRequest)
			return
		}
		f.reports = append(f.reports, rep)
		w.WriteHeader(http.StatusAccepted)
		_, _ = fmt.Fprintf(w, `{"report_id":%q,"accepted":true}`, rep.ReportID)
	default:
		http.NotFound(w, r)
	}
}

func coreTestEnrollAndRun(t *testing.T, bin string) {
	col := &coreFakeCollector{}
	srv := httptest.NewServer(col)
	defer srv.Close()
	dataDir := filepath.Join(t.TempDir(), "agent-data")
	env := []string{"EGOVNET_DATA_DIR=" + dataDir}

	r := coreRunAgent(t, bin, env, "enroll", "--collector", srv.URL, "--token", "wrong")
	if r.code != 1 || !strings.Contains(r.stderr, "401") {
		t.Fatalf("bad token: exit %d %s", r.code, r.stderr)
	}
	r = coreRunAgent(t, bin, env, "enroll", "--collector", srv.URL, "--token", "enrol-tok")
	if r.code != 0 || !strings.Contains(r.stdout, "agent-7") || strings.Contains(r.stdout+r.stderr, "s3cr3t-cred") {
		t.Fatalf("enroll: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	fi, err := os.Stat(filepath.Join(dataDir, "identity.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("identity file %v %v", fi, err)
	}
	if di, _ := os.Stat(dataDir); di.Mode().Perm() != 0o700 {
		t.Fatalf("data dir mode %v", di.Mode())
	}

	port := testenv.OpenTCPPort(t)
	cfg := coreWriteFile(t, t.TempDir(), "agent.yaml", fmt.Sprintf(`
department: CZJ
scope: {targets: [127.0.0.1/32], ports: [%d], udp: false}
probe: {timeout: 2s}
`, port))
	once := func() coreResult {
		return coreRunAgent(t, bin, env, "run", "--once", "--config", cfg)
	}
	// Collector down: the report stays spooled, the run still succeeds.
	col.mu.Lock()
	col.down = true
	col.mu.Unlock()
	if r := once(); r.code != 0 {
		t.Fatalf("run while down: exit %d %s", r.code, r.stderr)
	}
	spooled, _ := filepath.Glob(filepath.Join(dataDir, "spool", "*.json"))
	if len(spooled) != 1 {
		t.Fatalf("spooled %v", spooled)
	}
	col.mu.Lock()
	col.down = false
	col.mu.Unlock()
	if r := once(); r.code != 0 {
		t.Fatalf("run: exit %d %s", r.code, r.stderr)
	}
	spooled, _ = filepath.Glob(filepath.Join(dataDir, "spool", "*.json"))
	col.mu.Lock()
	defer col.mu.Unlock()
	if len(spooled) != 0 || len(col.reports) != 2 {
		t.Fatalf("after recovery: spooled %v, collector got %d", spooled, len(col.reports))
	}
	for _, rep := range col.reports {
		if rep.Agent.ID != "agent-7" || rep.Agent.Department != "CZJ" || len(rep.Endpoints) != 1 ||
			fmt.Sprint(rep.Endpoints[0].OpenPorts) != fmt.Sprintf("[%d]", port) || rep.Host == nil {
			t.Fatalf("report %+v", rep)
		}
	}
	if col.reports[0].ReportID == col.reports[1].ReportID || col.reports[1].Stats.SpoolDepth != 1 {
		t.Fatalf("second report stats %+v", col.reports[1].Stats)
	}
}

// coreStartSnmpsim serves the shared snmpsim-data recordings on a free
// loopback UDP port with Debian's snmpsimd (internal/snmpsim) and returns
// the port.
func coreStartSnmpsim(t *testing.T) int {
	t.Helper()
	testenv.Binary(t, "snmpsimd")
	data := filepath.Join(testenv.TestdataDir(t), "snmp", "snmpsim-data")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sim, err := snmpsim.Start(ctx, snmpsim.Config{DataDirs: []string{data}})
	if err != nil {
		t.Fatalf("start snmpsimd: %v", err)
	}
	t.Cleanup(func() { _ = sim.Stop() })
	return sim.Port
}

// coreSyncBuffer is a bytes.Buffer safe to read while a process writes it.
type coreSyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *coreSyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *coreSyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
