package ledger

import (
	"bufio"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/catalog"
	"github.com/egovnet/egovnet/internal/testenv"
	"github.com/egovnet/egovnet/internal/wire"
)

// recordedDevice reads one shared SNMP recording into the DeviceInventory
// the agent would send: sysName, sysDescr and one Software per
// hrSWInstalledName row, decoded as the agent decodes them.
func recordedDevice(t testing.TB, rel, target string) wire.DeviceInventory {
	t.Helper()
	path := filepath.Join(testenv.TestdataDir(t), "snmp", rel)
	f, err := os.Open(path)
	if err != nil {
		testenv.Missing(t, "recording %s: %v", path, err)
	}
	defer f.Close()
	inv := wire.DeviceInventory{Target: target}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		oid, rest, _ := strings.Cut(sc.Text(), "|")
		typ, val, _ := strings.Cut(rest, "|")
		raw := []byte(val)
		if typ == "4x" {
			raw, _ = hex.DecodeString(val)
		}
		switch {
		case oid == "1.3.6.1.2.1.1.1.0":
			inv.System.Descr = catalog.DecodeName(raw)
		case oid == "1.3.6.1.2.1.1.5.0":
			inv.System.Name = catalog.DecodeName(raw)
		case strings.HasPrefix(oid, "1.3.6.1.2.1.25.6.3.1.2."):
			inv.Software = append(inv.Software, wire.Software{Name: catalog.DecodeName(raw), Source: wire.MethodSNMP})
		}
	}
	if len(inv.Software) == 0 {
		t.Fatalf("recording %s has no hrSWInstalled rows", rel)
	}
	return inv
}

// hostPackages reads this machine's dpkg database as the agent host's software.
func hostPackages(t testing.TB) []wire.Software {
	t.Helper()
	f, err := os.Open("/var/lib/dpkg/status")
	if err != nil {
		testenv.Missing(t, "no dpkg database: %v", err)
	}
	defer f.Close()
	ins, err := catalog.ParseDpkgStatus(f)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]wire.Software, len(ins))
	for i, in := range ins {
		out[i] = wire.Software{Name: in.Name, Version: in.Version, Source: "dpkg"}
	}
	return out
}

// report builds a scan report of department dept finished at 'at'.
func report(id, dept string, at time.Time, devices []wire.DeviceInventory, host *wire.Host) *wire.ScanReport {
	return &wire.ScanReport{
		Schema: wire.SchemaScanV1, ReportID: id,
		Agent:     wire.Agent{ID: "agent-" + dept, Hostname: "agent-" + strings.ToLower(dept), Version: "test", Department: dept},
		StartedAt: at.Add(-time.Minute), FinishedAt: at,
		Devices: devices, Host: host,
	}
}
