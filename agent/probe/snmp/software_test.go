package snmp

import (
	"strings"
	"testing"

	"github.com/gosnmp/gosnmp"

	"github.com/egovnet/egovnet/internal/wire"
)

// TestDecodeSoftwareRawAndLimits: Raw is the hrSWInstalledName text; an
// overlong name is cut to the wire limit on a character boundary and its
// Raw left out, so the report still validates.
func TestDecodeSoftwareRawAndLimits(t *testing.T) {
	long := strings.Repeat("软", 100) + " 1.2.3" // 300 bytes of name, then a version
	row := func(idx, name string) gosnmp.SnmpPDU {
		return gosnmp.SnmpPDU{Name: "." + tableOIDs[tHrSWInstalledTable] + ".1.2." + idx, Type: gosnmp.OctetString, Value: []byte(name)}
	}
	got := map[string]*table{tHrSWInstalledTable: newTable(tHrSWInstalledTable, tableOIDs[tHrSWInstalledTable],
		[]gosnmp.SnmpPDU{row("1", "openssh-server_1:9.2p1-2+deb12u3_amd64"), row("2", long), row("3", "")})}
	inv := wire.DeviceInventory{Target: "10.3.0.50:161"}
	decodeSoftware(&inv, got)
	for _, tc := range []struct {
		name                           string
		row                            int
		wantName, wantVersion, wantRaw string
	}{
		{"dpkg split, raw kept", 0, "openssh-server", "1:9.2p1-2+deb12u3", "openssh-server_1:9.2p1-2+deb12u3_amd64"},
		{"overlong name cut, raw left out", 1, strings.Repeat("软", 85), "1.2.3", ""},
		{"no name", 2, "hrSWInstalledIndex 3", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(inv.Software) != 3 {
				t.Fatalf("got %d rows, want 3", len(inv.Software))
			}
			s := inv.Software[tc.row]
			if s.Name != tc.wantName || s.Version != tc.wantVersion || s.Raw != tc.wantRaw || s.Host != "10.3.0.50" {
				t.Errorf("got name %q version %q raw %q host %q, want %q %q %q 10.3.0.50", s.Name, s.Version, s.Raw, s.Host, tc.wantName, tc.wantVersion, tc.wantRaw)
			}
		})
	}
}
