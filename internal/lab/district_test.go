package lab_test

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/egovnet/egovnet/internal/lab"
	"github.com/egovnet/egovnet/internal/testenv"
)

// TestDistrictSmall brings district-small up and checks it from inside with
// net-snmp and traceroute: the routers report the routes the scenario
// declares, each department reaches the internet through the hop the
// scenario means it to, recorded devices and services answer, the
// management link carries agents' connections to the root side and nothing
// else; then it tears everything down and checks nothing is left.
func TestDistrictSmall(t *testing.T) {
	requireLabPeers(t)
	t.Parallel()
	sc, err := lab.Load(scenarioPath("district-small.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	st := labUp(t, "district-small.yaml")

	t.Run("routes via snmp", func(t *testing.T) {
		checked := 0
		for _, n := range sc.Nodes {
			if n.SNMPD == nil || len(n.Routes) == 0 {
				continue
			}
			addr, comm := sc.FirstAddr(n.Name), n.SNMPD.Community
			ipRoute := snmpWalk(t, st, n.Name, comm, addr, "1.3.6.1.2.1.4.21.1.7")    // ipRouteNextHop
			inetCidr := snmpWalk(t, st, n.Name, comm, addr, "1.3.6.1.2.1.4.24.7.1.7") // inetCidrRouteIfIndex
			for _, r := range n.Routes {
				dest, plen := "0.0.0.0", "0"
				if r.To != "default" {
					dest, plen, _ = strings.Cut(r.To, "/")
				}
				want := fmt.Sprintf(".1.3.6.1.2.1.4.21.1.7.%s = IpAddress: %s", dest, r.Via)
				if !strings.Contains(ipRoute, want) {
					t.Errorf("%s ipRouteTable lacks %s via %s:\n%s", n.Name, r.To, r.Via, ipRoute)
				}
				prefix := fmt.Sprintf(".1.3.6.1.2.1.4.24.7.1.7.1.4.%s.%s.", dest, plen)
				found := false
				for _, line := range strings.Split(inetCidr, "\n") {
					oid, _, _ := strings.Cut(line, " ")
					if strings.HasPrefix(oid, prefix) && strings.HasSuffix(oid, ".1.4."+r.Via) {
						found = true
					}
				}
				if !found {
					t.Errorf("%s inetCidrRouteTable lacks %s via %s:\n%s", n.Name, r.To, r.Via, inetCidr)
				}
				checked++
			}
		}
		if checked < 8 {
			t.Errorf("checked only %d routes", checked)
		}
	})

	t.Run("paths", func(t *testing.T) {
		cases := []struct {
			name, node, target string
			want               []string
		}{
			{"CZJ clean via sanctioned exit", "czj-a", "203.0.113.10", []string{"10.1.0.1", "10.255.1.1", "198.51.100.1", "203.0.113.10"}},
			{"SCJ own ISP line", "scj-a", "203.0.113.10", []string{"10.2.0.1", "192.0.2.5", "203.0.113.10"}},
			{"SFJ via sanctioned exit", "sfj-a", "203.0.113.10", []string{"10.3.0.1", "10.255.3.1", "198.51.100.1", "203.0.113.10"}},
			{"SFJ private line to 公安网", "sfj-a", "172.20.0.1", []string{"10.3.0.1", "172.20.0.1"}},
			{"ZFB classified segment reaches internet", "zfb-a", "203.0.113.10", []string{"10.4.128.1", "10.255.4.1", "198.51.100.1", "203.0.113.10"}},
			{"WJW registered ISP exit", "wjw-a", "203.0.113.10", []string{"10.5.0.1", "192.0.2.9", "203.0.113.10"}},
			{"CZJ extranet target", "czj-a", "10.255.0.1", []string{"10.1.0.1", "10.255.0.1"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if got := tracePath(t, st, c.node, c.target); !reflect.DeepEqual(got, c.want) {
					t.Errorf("path %s -> %s = %v, want %v", c.node, c.target, got, c.want)
				}
			})
		}
	})

	t.Run("ifAlias names the lines", func(t *testing.T) {
		cases := []struct{ node, addr, comm, want string }{
			{"sfj-r", "10.3.0.1", "sfj-ro", "公安网专线 MSTP-0571-8899"},
			{"scj-r", "10.2.0.1", "scj-ro", "电信宽带 ADSL 0571-88001234"},
			{"zfb-r", "10.4.0.1", "zfb-ro", "公务网"},
		}
		for _, c := range cases {
			t.Run(c.node, func(t *testing.T) {
				agent := strings.TrimSuffix(c.node, "-r") + "-a"
				out := snmpWalk(t, st, agent, c.comm, c.addr, "1.3.6.1.2.1.31.1.1.1.18", "-Ox")
				if !strings.Contains(decodeHexValues(out), c.want) {
					t.Errorf("ifAlias walk of %s lacks %q:\n%s", c.node, c.want, out)
				}
			})
		}
	})

	t.Run("recorded devices and software", func(t *testing.T) {
		cases := []struct {
			name, from, addr, comm, oid, want string
		}{
			{"H3C switch sysObjectID (generated)", "sfj-a", "10.3.0.2", "sfj-sw-ro", "1.3.6.1.2.1.1.2", "OID: .1.3.6.1.4.1.25506.1.1873"},
			{"Huawei router sysObjectID (generated)", "scj-a", "10.2.0.2", "scj-core-ro", "1.3.6.1.2.1.1.2", "OID: .1.3.6.1.4.1.2011.2.224.279"},
			{"Huawei router reports its lab route", "scj-a", "10.2.0.2", "scj-core-ro", "1.3.6.1.2.1.4.21.1.7", ".1.3.6.1.2.1.4.21.1.7.0.0.0.0 = IpAddress: 10.2.0.1"},
			{"Huawei router chassis serial", "scj-a", "10.2.0.2", "scj-core-ro", "1.3.6.1.2.1.47.1.1.1.1.11", `.1.3.6.1.2.1.47.1.1.1.1.11.16777216 = STRING: "2102113267P0K9000123"`},
			{"Windows server sysDescr", "sfj-a", "10.3.0.40", "sfj-win-ro", "1.3.6.1.2.1.1.1", "Windows Version 6.3 (Build 17763"},
			{"Linux host installed software", "sfj-a", "10.3.0.50", "sfj-lnx-ro", "1.3.6.1.2.1.25.6.3.1.2", ".1.3.6.1.2.1.25.6.3.1.2.1 = STRING:"},
			{"router reports IP forwarding", "czj-a", "10.1.0.1", "czj-ro", "1.3.6.1.2.1.4.1", ".1.3.6.1.2.1.4.1.0 = INTEGER: 1"},
			{"router reports sysServices 78", "czj-a", "10.1.0.1", "czj-ro", "1.3.6.1.2.1.1.7", ".1.3.6.1.2.1.1.7.0 = INTEGER: 78"},
			{"router serves no software table", "sfj-a", "10.3.0.1", "sfj-ro", "1.3.6.1.2.1.25.6.3", "No Such Object"},
			{"switch serves only its lab address", "sfj-a", "10.3.0.2", "sfj-sw-ro", "1.3.6.1.2.1.4.20.1.1", ".1.3.6.1.2.1.4.20.1.1.10.3.0.2 = IpAddress: 10.3.0.2"},
			{"switch VLAN names", "sfj-a", "10.3.0.2", "sfj-sw-ro", "1.3.6.1.2.1.17.7.1.4.3.1.1", `.1.3.6.1.2.1.17.7.1.4.3.1.1.30 = STRING: "SFJ-Office"`},
			{"Windows server keeps its software", "sfj-a", "10.3.0.40", "sfj-win-ro", "1.3.6.1.2.1.25.6.3.1.2", `.1.3.6.1.2.1.25.6.3.1.2.3 = STRING: "WPS Office (11.8.2.12085)"`},
			{"router reports the agent in its ARP table", "czj-a", "10.1.0.1", "czj-ro", "1.3.6.1.2.1.4.22.1.2", ".1.3.6.1.2.1.4.22.1.2."},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if c.name == "router reports the agent in its ARP table" {
					inNode(t, st, c.from, "ping", "-c", "1", "-W", "2", c.addr)
				}
				out := snmpWalk(t, st, c.from, c.comm, c.addr, c.oid)
				if !strings.Contains(out, c.want) {
					t.Errorf("walk %s %s lacks %q:\n%s", c.addr, c.oid, c.want, firstLines(out, 10))
				}
			})
		}
	})

	t.Run("switch port of every host (net-snmp)", func(t *testing.T) { switchPortsNetSNMP(t, sc, st) })
	t.Run("switch port of every host (agent snmp-walk)", func(t *testing.T) { switchPortsAgent(t, sc, st) })

	t.Run("services", func(t *testing.T) {
		cases := []struct{ name, from, addr, port, send, want string }{
			{"website title", "sfj-a", "10.3.0.30", "80", "GET / HTTP/1.0\r\n\r\n", "<title>区司法局门户网站</title>"},
			{"database banner", "sfj-a", "10.3.0.20", "3306", "", "5.7.44-log MySQL Community Server"},
			{"ssh banner", "sfj-a", "10.3.0.50", "22", "", "SSH-2.0-OpenSSH_9.2p1"},
			{"private network sentinel page", "sfj-a", "172.20.0.1", "80", "GET / HTTP/1.0\r\n\r\n", "公安网综合业务平台"},
			{"AnyIP workstation port", "czj-a", "10.1.0.177", "445", "", ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				// grep returns as soon as the expected text arrived; the
				// timeout only bounds a broken service.
				script := fmt.Sprintf(`exec 3<>/dev/tcp/%s/%s || exit 7; printf '%%b' %q >&3; [ -z %q ] || timeout 10 grep -a -m1 -F -- %q <&3`,
					c.addr, c.port, c.send, c.want, c.want)
				out, code := inNode(t, st, c.from, "bash", "-c", script)
				if code != 0 || !strings.Contains(out, c.want) {
					t.Errorf("connect %s:%s from %s: exit %d, output %q, want %q", c.addr, c.port, c.from, code, out, c.want)
				}
			})
		}
	})

	t.Run("AnyIP hosts answer on the LAN", func(t *testing.T) {
		for _, a := range []string{"10.1.0.128", "10.1.0.150", "10.1.0.191"} {
			if out, code := inNode(t, st, "czj-a", "ping", "-c", "1", "-W", "2", a); code != 0 {
				t.Errorf("ping %s: exit %d\n%s", a, code, out)
			}
		}
		if out, code := inNode(t, st, "czj-a", "ping", "-c", "1", "-W", "1", "10.1.0.192"); code == 0 {
			t.Errorf("10.1.0.192 is outside the AnyIP /26 but answered:\n%s", out)
		}
	})

	t.Run("management link", func(t *testing.T) {
		m := st.Management
		if m == nil {
			t.Fatal("no management link in state")
		}
		// The root side has the connected /30 and nothing else.
		out, err := exec.Command("ip", "-4", "route", "show", "table", "all", "dev", m.RootIf).Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.Fields(line)
			if len(f) == 0 {
				continue
			}
			if f[0] != m.Subnet && f[0] != "local" && f[0] != "broadcast" {
				t.Errorf("root namespace route via %s beyond the /30: %s", m.RootIf, line)
			}
		}
		// No lab node has a route through the management link.
		for _, n := range st.Nodes {
			routes, _ := inNode(t, st, n.Name, "ip", "-4", "route", "show")
			if strings.Contains(routes, "via "+m.RootAddr) || (n.Name != m.Node && strings.Contains(routes, m.Subnet)) {
				t.Errorf("node %s routes toward the machine:\n%s", n.Name, routes)
			}
		}
		// An agent in a department reaches a listener on the root side
		// through the relay (what the demo's collector uses).
		ln, err := net.Listen("tcp4", net.JoinHostPort(m.RootAddr, "8443"))
		if err != nil {
			t.Fatalf("listen on management root address: %v", err)
		}
		defer ln.Close()
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			line, _ := bufio.NewReader(c).ReadString('\n')
			fmt.Fprintf(c, "collector got %s", line)
		}()
		script := `exec 3<>/dev/tcp/10.255.0.1/8443 || exit 7; echo hello-from-scj >&3; timeout 5 cat <&3`
		got, code := inNode(t, st, "scj-a", "bash", "-c", script)
		if code != 0 || !strings.Contains(got, "collector got hello-from-scj") {
			t.Errorf("relay: exit %d, got %q", code, got)
		}
	})

	t.Run("exec exit status and errors", func(t *testing.T) {
		if _, code := inNode(t, st, "czj-a", "sh", "-c", "exit 3"); code != 3 {
			t.Errorf("exec exit status = %d, want the command's 3", code)
		}
		if r := runLab(t, "exec", "--run", st.Run, "no-such-node", "--", "true"); r.code != 2 {
			t.Errorf("exec on unknown node: exit %d, want 2 (%s)", r.code, r.stderr)
		}
	})

	labDown(t, st)
}

// TestDistrictLarge brings the 44-department scenario up and down once and
// samples it; the timings go to the log (deploy/bench measures them).
func TestDistrictLarge(t *testing.T) {
	requireLabPeers(t)
	if testing.Short() {
		t.Skip("district-large is not a short test")
	}
	t.Parallel()
	st := labUp(t, "district-large.yaml")
	if len(st.Namespaces) < 160 {
		t.Errorf("district-large has %d namespaces", len(st.Namespaces))
	}
	if up, alive := lab.Health(st); up != len(st.Namespaces) || alive != len(st.Processes) {
		t.Errorf("health: %d/%d namespaces, %d/%d processes", up, len(st.Namespaces), alive, len(st.Processes))
	}
	t.Logf("timings: %v", st.Timings)
	cases := []struct {
		node string
		want []string
	}{
		{"fgw-a", []string{"10.11.0.1", "10.255.1.1", "198.51.100.1", "203.0.113.10"}}, // clean
		{"sww-a", []string{"10.14.0.1", "10.255.4.1", "198.51.100.1", "203.0.113.10"}}, // clean
		{"kwj-a", []string{"10.13.0.1", "192.0.2.5", "203.0.113.10"}},                  // own ISP exit
		{"xjw-a", []string{"10.54.0.1", "10.255.44.1", "198.51.100.1", "203.0.113.10"}},
	}
	for _, c := range cases {
		if got := tracePath(t, st, c.node, "203.0.113.10"); !reflect.DeepEqual(got, c.want) {
			t.Errorf("path %s = %v, want %v", c.node, got, c.want)
		}
	}
	if out, code := inNode(t, st, "xjw-a", "ping", "-c", "1", "-W", "2", "10.54.1.63"); code != 0 {
		t.Errorf("AnyIP host 10.54.1.63: exit %d\n%s", code, out)
	}
	labDown(t, st)
}

// TestCLIErrors checks exit codes and messages that need no network.
func TestCLIErrors(t *testing.T) {
	testenv.Root(t)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: x\nnodes: [{name: A_B, kind: router}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"no args", []string{"up"}, 2, "want 1 argument"},
		{"bad scenario", []string{"up", bad}, 2, `name "A_B"`},
		{"validate bad", []string{"validate", bad}, 2, `name "A_B"`},
		{"validate shipped", []string{"validate", scenarioPath("district-small.yaml"), scenarioPath("district-large.yaml")}, 0, "ok"},
		{"unknown flag", []string{"status", "--bogus"}, 2, "unknown flag"},
		{"bad run id", []string{"up", "--run", "TOOLONG", scenarioPath("district-small.yaml")}, 2, "want 4 characters"},
		{"down unknown run", []string{"down", "--run", "zz99"}, 0, "nothing to remove"},
		{"bad status format", []string{"status", "--format", "xml"}, 2, "want table or json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runLab(t, c.args...)
			if r.code != c.code || !strings.Contains(r.stdout+r.stderr, c.contains) {
				t.Errorf("egovnet-lab %v: exit %d, output %q; want exit %d containing %q", c.args, r.code, r.stdout+r.stderr, c.code, c.contains)
			}
		})
	}
	t.Run("not root", func(t *testing.T) {
		cmd := exec.Command(labBin(t), "up", scenarioPath("district-small.yaml"))
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "needs root") {
			t.Errorf("as nobody: err %v, output %q; want exit 1 explaining root is needed", err, out)
		}
	})
}

// decodeHexValues turns snmpwalk -Ox "Hex-STRING: E5 85 ..." values (which
// continue on following lines) back into text, one value per line.
func decodeHexValues(out string) string {
	var values []string
	cur := ""
	flush := func() {
		if raw, err := hex.DecodeString(cur); err == nil && cur != "" {
			values = append(values, string(raw))
		}
		cur = ""
	}
	for _, line := range strings.Split(out, "\n") {
		if _, v, ok := strings.Cut(line, "Hex-STRING: "); ok {
			flush()
			cur = strings.ReplaceAll(strings.TrimSpace(v), " ", "")
			continue
		}
		if hexLine.MatchString(line) && cur != "" {
			cur += strings.ReplaceAll(strings.TrimSpace(line), " ", "")
			continue
		}
		flush()
	}
	flush()
	return strings.Join(values, "\n")
}

var hexLine = regexp.MustCompile(`^[0-9A-F]{2}( [0-9A-F]{2})* ?$`)

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

// TestDownByScenario uses its own state dir (so that it never touches other
// runs on this machine) to check `down SCENARIO.yaml` and `down` with no
// argument, on a two-node scenario brought up twice.
func TestDownByScenario(t *testing.T) {
	requireLabPeers(t)
	t.Parallel()
	stateDir, err := os.MkdirTemp("/run", "egovnet-lab-test-")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(stateDir, 0o755)
	t.Cleanup(func() {
		runLab(t, "--state-dir", stateDir, "down")
		os.RemoveAll(stateDir)
	})
	dir := t.TempDir()
	scenario := filepath.Join(dir, "pair.yaml")
	other := filepath.Join(dir, "other.yaml")
	pair := `name: pair
nodes:
  - {name: a, kind: agent, routes: [{to: default, via: 10.77.0.2}]}
  - {name: b, kind: router, tcp: [{port: 22, banner: SSH-2.0-test}]}
links:
  - ends: [{node: a, addr: 10.77.0.1/30}, {node: b, addr: 10.77.0.2/30}]
`
	for _, f := range []string{scenario, other} {
		if err := os.WriteFile(f, []byte(pair), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var runs []string
	for _, f := range []string{scenario, scenario, other} {
		r := runLab(t, "--state-dir", stateDir, "up", f)
		if r.code != 0 {
			t.Fatalf("up %s: exit %d: %s", f, r.code, r.stderr)
		}
		runs = append(runs, strings.TrimSpace(r.stdout))
	}
	nsList := func() string {
		out, _ := exec.Command("ip", "netns", "list").Output()
		return string(out)
	}
	// exec with several runs up needs --run.
	if r := runLab(t, "--state-dir", stateDir, "exec", "a", "--", "true"); r.code != 2 || !strings.Contains(r.stderr, "--run") {
		t.Errorf("ambiguous exec: exit %d %q, want 2 asking for --run", r.code, r.stderr)
	}
	if r := runLab(t, "--state-dir", stateDir, "down", scenario); r.code != 0 {
		t.Fatalf("down %s: exit %d: %s", scenario, r.code, r.stderr)
	}
	ns := nsList()
	for _, run := range runs[:2] {
		if strings.Contains(ns, lab.NamespacePrefix+run+"-") {
			t.Errorf("run %s of %s still has namespaces", run, scenario)
		}
	}
	if !strings.Contains(ns, lab.Namespace(runs[2], "a")) {
		t.Errorf("down %s removed run %s of another scenario", scenario, runs[2])
	}
	// The remaining run is now the only one: exec finds it without --run.
	if out, code := runLabExec(t, stateDir, "a", "bash", "-c", "exec 3<>/dev/tcp/10.77.0.2/22 && timeout 5 grep -m1 SSH-2.0-test <&3"); code != 0 {
		t.Errorf("exec on the only run: exit %d %s", code, out)
	}
	if r := runLab(t, "--state-dir", stateDir, "down"); r.code != 0 {
		t.Fatalf("down: exit %d: %s", r.code, r.stderr)
	}
	if strings.Contains(nsList(), lab.NamespacePrefix+runs[2]+"-") {
		t.Errorf("down without argument left run %s", runs[2])
	}
	if r := runLab(t, "--state-dir", stateDir, "status"); !strings.Contains(r.stdout, "no lab runs") {
		t.Errorf("status after down: %q", r.stdout)
	}
}

func runLabExec(t *testing.T, stateDir, node string, argv ...string) (string, int) {
	t.Helper()
	r := runLab(t, append([]string{"--state-dir", stateDir, "exec", node, "--"}, argv...)...)
	return r.stdout + r.stderr, r.code
}
