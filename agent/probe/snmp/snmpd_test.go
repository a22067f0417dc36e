package snmp

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/testenv"
)

// startSnmpd runs net-snmp's snmpd on a free loopback port with a generated
// configuration: read-only community on 127.0.0.1 only, no default config
// files (-C), no AgentX, persistent state in a temp dir, so nothing of it
// listens beyond loopback or touches the machine's own snmpd state.
func startSnmpd(t testing.TB, community string) string {
	t.Helper()
	bin := testenv.Binary(t, "snmpd")
	dir := t.TempDir()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := c.LocalAddr().(*net.UDPAddr).Port
	c.Close()
	conf := filepath.Join(dir, "snmpd.conf")
	// serverRecvBuf: one snmpd stands in for many devices in benchmarks;
	// the default 208 KiB socket buffer drops requests at high concurrency.
	body := fmt.Sprintf("agentAddress udp:127.0.0.1:%d\nrocommunity %s 127.0.0.1\nsysLocation egovnet test\nsysContact test@example.invalid\n[snmp] serverRecvBuf 4194304\n", port, community)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", "-C", "-c", conf, "-Lf", filepath.Join(dir, "snmpd.log"), "-p", filepath.Join(dir, "snmpd.pid"))
	cmd.Env = append(os.Environ(), "SNMP_PERSISTENT_DIR="+dir, "MIBS=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start snmpd: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	target := fmt.Sprintf("127.0.0.1:%d", port)
	// Ready when it answers the probe GET.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := Walk(context.Background(), target, Credential{Version: V2c, Community: community},
			Options{Timeout: 300 * time.Millisecond, Retries: -1, Tables: []string{}})
		if err == nil {
			return target
		}
		exited := false
		select {
		case <-done:
			exited = true
		default:
		}
		if exited || time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "snmpd.log"))
			t.Fatalf("snmpd not answering on %s: %v\n%s", target, err, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestNetSnmpdOwnHost walks the real net-snmp agent of this machine: its
// hrSWInstalledTable is the dpkg database (so the rows must roughly match
// dpkg's package count and name real packages), and its interfaces include lo.
func TestNetSnmpdOwnHost(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test (snmpd) skipped in -short mode")
	}
	target := startSnmpd(t, "egovtest")
	inv, err := Walk(context.Background(), target, Credential{Version: V2c, Community: "egovtest"}, testOpts())
	if err != nil {
		t.Fatalf("walk snmpd: %v", err)
	}
	if len(inv.Errors) != 0 {
		t.Errorf("table errors: %+v", inv.Errors)
	}
	if !strings.HasPrefix(inv.System.ObjectID, "1.3.6.1.4.1.8072.") {
		t.Errorf("sysObjectID %q is not net-snmp's", inv.System.ObjectID)
	}
	if inv.System.Location != "egovnet test" {
		t.Errorf("sysLocation %q: generated config not used", inv.System.Location)
	}
	lo := false
	for _, in := range inv.Interfaces {
		if in.Descr == "lo" || in.Name == "lo" {
			lo = true
			if in.Type != 24 {
				t.Errorf("lo has ifType %d, want 24 (softwareLoopback)", in.Type)
			}
		}
	}
	if !lo {
		t.Errorf("no lo among %d interfaces", len(inv.Interfaces))
	}
	if len(inv.IPAddresses) == 0 {
		t.Error("no addresses (127.0.0.1 at least)")
	}

	out, err := exec.Command("dpkg-query", "-W", "-f", "${binary:Package}\n").Output()
	if err != nil {
		testenv.Missing(t, "dpkg-query: %v", err)
	}
	dpkg := strings.Fields(string(out))
	if len(inv.Software) == 0 {
		t.Fatal("no hrSWInstalled rows")
	}
	// Rough: snmpd lists installed packages (dpkg-query also lists
	// removed-but-configured ones, and the list changes while apt runs).
	if n, d := len(inv.Software), len(dpkg); n < d/2 || n > d*2 {
		t.Errorf("hrSWInstalled has %d rows, dpkg %d packages", n, d)
	}
	names := map[string]string{}
	for _, s := range inv.Software {
		names[s.Name] = s.Version
		if s.Host != "127.0.0.1" || s.Source != "snmp" {
			t.Errorf("software row %+v: want host 127.0.0.1, source snmp", s)
		}
	}
	for _, want := range []string{"bash", "dpkg", "coreutils", "snmpd"} {
		v, ok := names[want]
		if !ok {
			t.Errorf("package %q not reported", want)
			continue
		}
		if v == "" || v[0] < '0' || v[0] > '9' {
			t.Errorf("package %q version %q not split off", want, v)
		}
	}
}
