//go:build linux

package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/egovnet/egovnet/agent/probe/icmp/nstest"
	"github.com/egovnet/egovnet/internal/testenv"
	"github.com/egovnet/egovnet/internal/wire"
)

// TestScanLabNetwork runs the real binary inside a network namespace
// against a second one holding a "department host": a Huawei-OUI MAC, a
// GB2312 web page on port 80 and net-snmp's snmpd. Every method the agent
// has meets a real peer: ICMP, ARP, TCP, HTTP, SNMP, path, host facts.
// Addresses are private and exist only inside the two namespaces.
func TestScanLabNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("namespaces and real daemons")
	}
	lab := nstest.New(t)
	snmpd := testenv.Binary(t, "snmpd")
	bin := filepath.Join(testenv.BuildBinaries(t, "egovnet-agent"), "egovnet-agent")
	agentNS, hostNS := lab.NS("agent"), lab.NS("host")
	lab.Veth(agentNS, "eth0", []string{"10.9.0.1/29"}, hostNS, "eth0", []string{"10.9.0.2/29"})
	lab.IP(hostNS, "link", "set", "eth0", "address", "00:e0:fc:12:34:56")

	// The web page, served from a listener opened inside the host namespace.
	title, _ := simplifiedchinese.GBK.NewEncoder().String("区财政局门户网站")
	page := `<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>` + title + `</title></head></html>`
	var web net.Listener
	if err := nstest.Do(hostNS, func() (err error) { web, err = net.Listen("tcp", "10.9.0.2:80"); return }); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "Apache/2.4.6")
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(page))
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(web) }()
	t.Cleanup(func() { srv.Close() })

	// snmpd reports the host namespace's real interfaces, ARP and routes.
	dir := t.TempDir()
	conf := coreWriteFile(t, dir, "snmpd.conf", "rocommunity labcomm 10.9.0.0/29\nsysName lab-host\nsysLocation lab\n")
	cmd := exec.Command("ip", "netns", "exec", hostNS, snmpd, "-f", "-Lo", "-C", "-c", conf, "-p", filepath.Join(dir, "snmpd.pid"), "udp:10.9.0.2:161")
	cmd.Env = append(os.Environ(), "SNMP_PERSISTENT_DIR="+dir, "MIBS=")
	logf, _ := os.Create(filepath.Join(dir, "snmpd.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	// Own process group: `ip netns exec` forks snmpd, so the cleanup kills
	// the group (ip and snmpd), never anything else.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		logf.Close()
	})
	ready := false
	for i := 0; i < 100 && !ready; i++ {
		out, err := exec.Command("ip", "netns", "exec", agentNS, "snmpget", "-v2c", "-c", "labcomm", "-t", "0.5", "-r", "0", "10.9.0.2", "1.3.6.1.2.1.1.5.0").CombinedOutput()
		ready = err == nil && strings.Contains(string(out), "lab-host")
		if !ready {
			select {
			case <-exited:
				b, _ := os.ReadFile(filepath.Join(dir, "snmpd.log"))
				t.Fatalf("snmpd exited:\n%s", b)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	if !ready {
		testenv.Missing(t, "snmpd in the lab namespace did not answer")
	}

	out := filepath.Join(dir, "report.json")
	run := exec.Command("ip", "netns", "exec", agentNS, bin, "scan", "--targets", "10.9.0.0/29", "--ports", "22,80",
		"--snmp-community", "wrong,labcomm", "--path-targets", "extranet:10.9.0.2", "--timeout", "1s", "--out", out)
	if b, err := run.CombinedOutput(); err != nil {
		t.Fatalf("scan: %v\n%s", err, b)
	}
	b, _ := os.ReadFile(out)
	rep := coreDecode(t, string(b))
	if os.Getenv("EGOVNET_DUMP_LAB_REPORT") != "" {
		t.Logf("report:\n%s", b)
	}

	var host *wire.Endpoint
	for i := range rep.Endpoints {
		if rep.Endpoints[i].IP == "10.9.0.2" {
			host = &rep.Endpoints[i]
		}
		if !strings.HasPrefix(rep.Endpoints[i].IP, "10.9.0.") {
			t.Fatalf("endpoint outside the scope: %+v", rep.Endpoints[i])
		}
	}
	if host == nil {
		t.Fatalf("10.9.0.2 not found: %s", b)
	}
	checks := []struct {
		name string
		ok   bool
	}{
		// On-link, ARP is authoritative and ICMP leaves the segment to it, so
		// the kernel's host-wide neighbour table is not flooded.
		{"seen by tcp, arp, snmp (not icmp on-link)", fmt.Sprint(host.SeenBy) == "[tcp arp snmp]"},
		{"MAC from ARP", host.MAC == "00:e0:fc:12:34:56"},
		{"vendor from the embedded OUI list", host.Vendor == "HUAWEI TECHNOLOGIES CO.,LTD"},
		{"open port 80 only", fmt.Sprint(host.OpenPorts) == "[80]"},
		{"GB2312 title decoded", len(host.HTTP) == 1 && host.HTTP[0].Title == "区财政局门户网站" && host.HTTP[0].Server == "Apache/2.4.6"},
		{"net-snmp sysObjectID", host.SysObjectID == "1.3.6.1.4.1.8072.3.2.10" && host.Hostname == "lab-host"},
		{"role server", host.Role == wire.RoleServer},
		{"one SNMP device with its interfaces", len(rep.Devices) == 1 && len(rep.Devices[0].Interfaces) >= 2},
		{"path to the extranet target reached in one hop", len(rep.Paths) == 1 && rep.Paths[0].Reachable && rep.Paths[0].Kind == "extranet"},
		{"host facts of the agent namespace", rep.Host != nil && slices.ContainsFunc(rep.Host.Interfaces, func(i wire.HostInterface) bool {
			return i.Name == "eth0" && slices.Contains(i.Addresses, "10.9.0.1/29")
		})},
		{"six addresses probed", rep.Stats.AddressesProbed >= 6},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: endpoint %+v\ndevices %d paths %+v stats %+v", c.name, *host, len(rep.Devices), rep.Paths, rep.Stats)
		}
	}
	// The router-side ARP table of snmpd knows the agent's own MAC.
	if len(rep.Devices) == 1 && !slices.ContainsFunc(rep.Devices[0].ARP, func(a wire.ARPEntry) bool { return a.IP == "10.9.0.1" }) {
		t.Errorf("snmpd ARP table lacks the agent: %+v", rep.Devices[0].ARP)
	}
}

// TestHostFactsInNamespace checks interface types and routes as the agent
// reads them from a namespace's own sysfs and procfs: tun and tap devices
// (what OpenVPN and most VPN clients create) are tunnels, evidence of a
// private link; the veth is ethernet; the static route into the tunnel is
// reported. (This kernel has no GRE/IPIP modules; ARPHRD numbers of those
// are covered by TestARPHRDType in agent/hostinfo.)
func TestHostFactsInNamespace(t *testing.T) {
	if testing.Short() {
		t.Skip("namespaces")
	}
	lab := nstest.New(t)
	bin := filepath.Join(testenv.BuildBinaries(t, "egovnet-agent"), "egovnet-agent")
	ns, peer := lab.NS("facts"), lab.NS("peer")
	lab.Veth(ns, "eth0", []string{"10.9.1.1/30"}, peer, "eth0", []string{"10.9.1.2/30"})
	lab.IP(ns, "tuntap", "add", "dev", "tun0", "mode", "tun")
	lab.IP(ns, "tuntap", "add", "dev", "tap0", "mode", "tap")
	lab.IP(ns, "addr", "add", "172.20.0.2/30", "dev", "tun0")
	lab.IP(ns, "link", "set", "tun0", "up")
	lab.IP(ns, "route", "add", "172.20.0.0/16", "via", "172.20.0.1", "dev", "tun0", "onlink")

	out, err := exec.Command("ip", "netns", "exec", ns, bin, "scan", "--methods", "host").Output()
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	rep := coreDecode(t, string(out))
	types := map[string]string{}
	for _, i := range rep.Host.Interfaces {
		types[i.Name] = i.Type
	}
	for name, want := range map[string]string{"lo": "loopback", "eth0": "ethernet", "tun0": "tunnel", "tap0": "tunnel"} {
		if types[name] != want {
			t.Errorf("%s: type %q, want %q (all: %v)", name, types[name], want, types)
		}
	}
	if !slices.ContainsFunc(rep.Host.Routes, func(r wire.HostRoute) bool {
		return r.Destination == "172.20.0.0/16" && r.Gateway == "172.20.0.1" && r.Interface == "tun0"
	}) {
		t.Errorf("route via tun0 missing: %+v", rep.Host.Routes)
	}
}
