package lab_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/lab"
	"github.com/egovnet/egovnet/internal/testenv"
)

var (
	binOnce sync.Once
	binDir  string
)

// labBin builds egovnet-lab once per test binary.
func labBin(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "egl-bin-")
		if err != nil {
			t.Fatal(err)
		}
		// 0755 so that the serve-* helpers it starts are reachable from every namespace.
		_ = os.Chmod(dir, 0o755)
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "egovnet-lab"), "./cmd/egovnet-lab")
		cmd.Dir = testenv.RepoRoot()
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build egovnet-lab: %v\n%s", err, out)
		}
		binDir = dir
	})
	if binDir == "" {
		t.Fatal("egovnet-lab was not built")
	}
	return filepath.Join(binDir, "egovnet-lab")
}

// TestMain removes the egovnet-lab binary built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

func runLab(t testing.TB, args ...string) result {
	t.Helper()
	cmd := exec.Command(labBin(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run egovnet-lab %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

func requireLabPeers(t testing.TB) {
	t.Helper()
	testenv.Root(t)
	for _, b := range []string{"ip", "sysctl", "snmpd", "snmpwalk", "snmpget", "snmpset", "snmpsimd", "traceroute"} {
		testenv.Binary(t, b)
	}
}

func scenarioPath(name string) string {
	return filepath.Join(testenv.RepoRoot(), "deploy", "lab", "scenarios", name)
}

// labUp brings a scenario up under a fresh run id and registers its
// removal, which runs even when the test fails.
func labUp(t *testing.T, scenario string) *lab.State {
	t.Helper()
	run := lab.NewRunID()
	t.Cleanup(func() {
		if r := runLab(t, "down", "--run", run); r.code != 0 {
			t.Errorf("cleanup down --run %s: exit %d: %s", run, r.code, r.stderr)
		}
	})
	t0 := time.Now()
	r := runLab(t, "up", "--run", run, "--snmp-data", filepath.Join(testenv.TestdataDir(t), "snmp"), scenarioPath(scenario))
	if r.code != 0 {
		t.Fatalf("up %s: exit %d\n%s", scenario, r.code, r.stderr)
	}
	t.Logf("up %s: %s (%s)", scenario, time.Since(t0).Round(time.Millisecond), strings.TrimSpace(r.stderr))
	if got := strings.TrimSpace(r.stdout); got != run {
		t.Fatalf("up printed run %q, want %q", got, run)
	}
	st := statusOf(t, run)
	if st == nil {
		t.Fatalf("status shows no run %s", run)
	}
	return st
}

func statusOf(t *testing.T, run string) *lab.State {
	t.Helper()
	r := runLab(t, "status", "--run", run, "--format", "json")
	if r.code != 0 {
		return nil
	}
	var states []*lab.State
	if err := json.Unmarshal([]byte(r.stdout), &states); err != nil {
		t.Fatalf("status json: %v\n%s", err, r.stdout)
	}
	if len(states) != 1 {
		return nil
	}
	return states[0]
}

// labDown removes the run and checks that nothing of it is left.
func labDown(t *testing.T, st *lab.State) {
	t.Helper()
	t0 := time.Now()
	if r := runLab(t, "down", "--run", st.Run); r.code != 0 {
		t.Fatalf("down: exit %d: %s", r.code, r.stderr)
	}
	t.Logf("down %s: %s", st.Name, time.Since(t0).Round(time.Millisecond))
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), lab.NamespacePrefix+st.Run+"-") {
		t.Errorf("namespaces of run %s left after down:\n%s", st.Run, out)
	}
	for _, p := range st.Processes {
		if err := syscall.Kill(p.PID, 0); err == nil {
			if stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.PID)); !bytes.Contains(stat, []byte(") Z ")) && p.Start != 0 && startOf(p.PID) == p.Start {
				t.Errorf("process %s of %s (pid %d) still running after down", p.Service, p.Node, p.PID)
			}
		}
	}
	if _, err := os.Stat("/sys/class/net/" + lab.MgmtRootIf(st.Run)); err == nil {
		t.Errorf("management link %s left in the root namespace", lab.MgmtRootIf(st.Run))
	}
	if _, err := os.Stat(filepath.Join(lab.DefaultStateDir, st.Run+".json")); err == nil {
		t.Errorf("state file of run %s left", st.Run)
	}
	// Safe to run twice.
	if r := runLab(t, "down", "--run", st.Run); r.code != 0 {
		t.Errorf("second down: exit %d: %s", r.code, r.stderr)
	}
}

func startOf(pid int) uint64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	var v uint64
	fmt.Sscan(f[19], &v)
	return v
}

// inNode runs a command inside a node through `egovnet-lab exec`.
func inNode(t *testing.T, st *lab.State, node string, argv ...string) (string, int) {
	t.Helper()
	r := runLab(t, append([]string{"exec", "--run", st.Run, node, "--"}, argv...)...)
	return r.stdout + r.stderr, r.code
}

var hopRe = regexp.MustCompile(`^\s*(\d+)\s+(.*)$`)
var ipRe = regexp.MustCompile(`\b(\d+\.\d+\.\d+\.\d+)\b`)

// tracePath returns the hop addresses of traceroute -n (first answer per
// hop). Probes go one at a time (-N 1); a hop that answered none of its
// probes is a lost reply on a loaded machine, not a routing fact, so the
// trace is measured again, up to three times. The caller still asserts the
// exact hop list.
func tracePath(t *testing.T, st *lab.State, node, target string) []string {
	t.Helper()
	var hops []string
	for attempt := 0; attempt < 3; attempt++ {
		hops = traceOnce(t, st, node, target)
		if !slices.Contains(hops, "*") {
			break
		}
	}
	return hops
}

func traceOnce(t *testing.T, st *lab.State, node, target string) []string {
	t.Helper()
	out, code := inNode(t, st, node, "traceroute", "-n", "-N", "1", "-q", "3", "-w", "2", "-m", "10", target)
	if code != 0 {
		t.Fatalf("traceroute from %s to %s: exit %d\n%s", node, target, code, out)
	}
	var hops []string
	for _, line := range strings.Split(out, "\n") {
		m := hopRe.FindStringSubmatch(line)
		if m == nil || strings.HasPrefix(strings.TrimSpace(line), "traceroute") {
			continue
		}
		if ip := ipRe.FindString(m[2]); ip != "" {
			hops = append(hops, ip)
		} else {
			hops = append(hops, "*")
		}
	}
	return hops
}

func snmpWalk(t *testing.T, st *lab.State, node, community, addr, oid string, extra ...string) string {
	t.Helper()
	args := append([]string{"snmpwalk", "-m", "", "-v2c", "-On", "-t", "3", "-r", "2", "-c", community}, extra...)
	args = append(args, addr, oid)
	out, code := inNode(t, st, node, args...)
	if code != 0 {
		t.Fatalf("snmpwalk %s %s from %s: exit %d\n%s", addr, oid, node, code, out)
	}
	return out
}
