package ledger

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/catalog"
	"github.com/egovnet/egovnet/internal/testenv"
	"github.com/egovnet/egovnet/internal/wire"
	"github.com/gosnmp/gosnmp"
)

// startSnmpd runs a real net-snmp snmpd on a free loopback port. It serves
// this host's own hrSWInstalledTable (from the dpkg database), as snmpd on
// a department's Linux server would.
func startSnmpd(t *testing.T) (port int, community string) {
	t.Helper()
	bin := testenv.Binary(t, "snmpd")
	dir := t.TempDir()
	port = testenv.FreeUDPPort(t)
	community = "egl-ledger-test"
	conf := filepath.Join(dir, "snmpd.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("rocommunity %s 127.0.0.1\nsysName ledger-snmpd\n", community)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", "-Lo", "-C", "-c", conf, "-p", filepath.Join(dir, "snmpd.pid"), fmt.Sprintf("udp:127.0.0.1:%d", port))
	cmd.Env = append(os.Environ(), "SNMP_PERSISTENT_DIR="+dir, "MIBS=")
	out, _ := os.Create(filepath.Join(dir, "snmpd.log"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		testenv.Missing(t, "start snmpd: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
		out.Close()
	})
	// ready when it answers sysDescr (bounded number of tries, no timing assertion)
	for i := 0; i < 50; i++ {
		g := &gosnmp.GoSNMP{Target: "127.0.0.1", Port: uint16(port), Community: community, Version: gosnmp.Version2c, Timeout: 200 * time.Millisecond, Retries: 0}
		if err := g.Connect(); err == nil {
			_, err = g.Get([]string{"1.3.6.1.2.1.1.1.0"})
			g.Conn.Close()
			if err == nil {
				return port, community
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "snmpd.log"))
	t.Fatalf("snmpd on port %d never answered:\n%s", port, log)
	return 0, ""
}

// walkSoftware reads sysName, sysDescr and hrSWInstalledName like the
// agent's SNMP walk (octet strings decoded with catalog.DecodeName).
func walkSoftware(t *testing.T, port int, community string) wire.DeviceInventory {
	t.Helper()
	g := &gosnmp.GoSNMP{Target: "127.0.0.1", Port: uint16(port), Community: community, Version: gosnmp.Version2c,
		Timeout: 5 * time.Second, Retries: 2, MaxRepetitions: 25, Context: context.Background()}
	if err := g.Connect(); err != nil {
		t.Fatal(err)
	}
	defer g.Conn.Close()
	inv := wire.DeviceInventory{Target: fmt.Sprintf("127.0.0.1:%d", port)}
	res, err := g.Get([]string{"1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.5.0"})
	if err != nil {
		t.Fatal(err)
	}
	str := func(v gosnmp.SnmpPDU) string {
		if b, ok := v.Value.([]byte); ok {
			return catalog.DecodeName(b)
		}
		return fmt.Sprint(v.Value)
	}
	inv.System.Descr, inv.System.Name = str(res.Variables[0]), str(res.Variables[1])
	pdus, err := g.BulkWalkAll("1.3.6.1.2.1.25.6.3.1.2")
	if err != nil {
		t.Fatalf("walk hrSWInstalledName: %v", err)
	}
	for _, p := range pdus {
		inv.Software = append(inv.Software, wire.Software{Name: str(p), Source: wire.MethodSNMP})
	}
	return inv
}

// TestSnmpdHostSoftware walks a real snmpd serving this host's packages and
// records them: the OS is one install (Debian, from base-files), libraries
// and distribution packages are not installs, and the counts agree with
// the dpkg database the agent reads directly.
func TestSnmpdHostSoftware(t *testing.T) {
	port, community := startSnmpd(t)
	inv := walkSoftware(t, port, community)
	pkgs := hostPackages(t)
	if len(inv.Software) < len(pkgs)/2 {
		t.Fatalf("snmpd served %d hrSWInstalled rows for %d dpkg packages", len(inv.Software), len(pkgs))
	}
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newStore(db)
		host := &wire.Host{Hostname: "agent-self", OS: "Debian GNU/Linux 12 (bookworm)", Software: pkgs}
		if err := s.RecordReport(ctx, report("snmpd-1", "CZJ", t0, []wire.DeviceInventory{inv}, host), "CZJ"); err != nil {
			t.Fatal(err)
		}
		ins, err := s.Installs(ctx, "CZJ", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		byDev := map[string][]string{}
		for _, in := range ins {
			byDev[in.Device] = append(byDev[in.Device], in.Product+"/"+in.Category)
		}
		snmpSet, dpkgSet := strings.Join(byDev["127.0.0.1"], " "), strings.Join(byDev["agent-self"], " ")
		if snmpSet != dpkgSet {
			t.Errorf("the same host seen through snmpd and through dpkg differs:\n snmp %s\n dpkg %s", snmpSet, dpkgSet)
		}
		if !strings.Contains(snmpSet, "debian/os") || strings.Count(snmpSet, "/os") != 1 {
			t.Errorf("snmpd device installs %q: want exactly one OS, debian", snmpSet)
		}
		for _, in := range ins {
			if strings.HasPrefix(in.Name, "lib") {
				t.Errorf("library %s counted as an install of %s", in.Name, in.Product)
			}
		}
		t.Logf("snmpd: %d rows served, installs via snmp: %s", len(inv.Software), snmpSet)
	})
}
