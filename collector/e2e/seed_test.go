package e2e

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/egovnet/egovnet/internal/wire"
)

// seedDept is one department of a seeded workplace.
type seedDept struct {
	Code  string
	Index int        // 1..: makes MACs and engine IDs unique
	Base  netip.Addr // first address of its /24 block(s)
	Rogue bool       // its router keeps a default route to an ISP (a rogue exit)
}

func (d seedDept) addr(n int) string {
	b := d.Base.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += uint32(n)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
}

func mac(a, b, c int) string {
	return fmt.Sprintf("02:%02x:%02x:%02x:%02x:01", a&0xff, b>>8&0xff, b&0xff, c&0xff)
}

// seedReport is one day's scan of d: a router and nSwitches switches walked by
// SNMP (LLDP between them, FDB placing the endpoints, VLANs, entities), nEps
// endpoints of which a shrinking number run web servers, a path through the
// sanctioned exit, and the probe host's software. day 0 is the oldest.
func seedReport(d seedDept, day, days, nEps, nSwitches int, at time.Time) *wire.ScanReport {
	rep := &wire.ScanReport{Schema: wire.SchemaScanV1, ReportID: uuid.NewString(),
		Agent:     wire.Agent{ID: "seed-" + d.Code, Hostname: "probe-" + d.Code, Version: "seed", Department: d.Code},
		StartedAt: at.Add(-10 * time.Minute), FinishedAt: at, Scope: []string{d.Base.String() + "/24"},
		Stats: wire.Stats{AddressesProbed: 256, DurationMs: 600000}}
	router := wire.DeviceInventory{Target: d.addr(1) + ":161", EngineID: fmt.Sprintf("800007DB03%04x0001", d.Index),
		System: wire.System{Name: "r1-" + d.Code, Descr: "Huawei Versatile Routing Platform Software, AR2220", ObjectID: "1.3.6.1.4.1.2011.2.224.66", Location: d.Code + " 机房"},
		Interfaces: []wire.Interface{
			{Index: 1, Name: "GE0/0/0", Descr: "GigabitEthernet0/0/0", Type: 6, MTU: 1500, SpeedBps: 1e9, MAC: mac(d.Index, 0, 1), AdminStatus: 1, OperStatus: 1},
			{Index: 2, Name: "GE0/0/1", Descr: "GigabitEthernet0/0/1", Alias: "to extranet", Type: 6, MTU: 1500, SpeedBps: 1e9, MAC: mac(d.Index, 0, 2), AdminStatus: 1, OperStatus: 1},
			{Index: 3, Name: "GE0/0/2", Descr: "GigabitEthernet0/0/2", Alias: "公安网专线", Type: 6, MTU: 1500, SpeedBps: 1e8, MAC: mac(d.Index, 0, 3), AdminStatus: 1, OperStatus: 1}},
		IPAddresses: []wire.IPAddress{{Address: d.addr(1), PrefixLen: 24, IfIndex: 1}, {Address: "10.255." + fmt.Sprint(d.Index%250) + ".2", PrefixLen: 30, IfIndex: 2}},
		Routes: []wire.Route{
			{Destination: "0.0.0.0/0", NextHop: "10.255.0.1", IfIndex: 2, Protocol: 3, SourceTable: "ipCidrRouteTable"},
			{Destination: d.Base.String() + "/24", IfIndex: 1, Protocol: 2, SourceTable: "ipCidrRouteTable"},
			{Destination: "172.20.0.0/16", NextHop: d.addr(254), IfIndex: 3, Protocol: 3, SourceTable: "ipCidrRouteTable"}},
		Entities: []wire.Entity{{Index: 1, Class: 3, Descr: "AR2220 chassis", Name: "AR2220", Model: "AR2220", Serial: fmt.Sprintf("2102350%05d", d.Index), MfgName: "Huawei", SoftwareRev: "V200R010"}},
		VRFs:     []wire.VRF{{Name: "gaw", RD: "65000:20", IfIndexes: []int{3}}},
	}
	if d.Rogue {
		router.Interfaces = append(router.Interfaces, wire.Interface{Index: 4, Name: "GE0/0/3", Alias: "ISP 宽带", Type: 6, MTU: 1500, SpeedBps: 1e8, MAC: mac(d.Index, 0, 4), AdminStatus: 1, OperStatus: 1})
		router.IPAddresses = append(router.IPAddresses, wire.IPAddress{Address: "203.0.113.2", PrefixLen: 30, IfIndex: 4})
		router.Routes = append(router.Routes, wire.Route{Destination: "0.0.0.0/0", NextHop: "203.0.113.1", IfIndex: 4, Protocol: 3, SourceTable: "ipCidrRouteTable", VRF: "isp"})
	}
	if day >= days-2 { // the last two scans no longer see the VRF route table's private line
		router.Routes[2].VRF = "gaw"
	}
	rep.Devices = append(rep.Devices, router)
	for s := 0; s < nSwitches; s++ {
		sw := wire.DeviceInventory{Target: d.addr(2+s) + ":161", EngineID: fmt.Sprintf("800063A203%04x%04x", d.Index, s),
			System:      wire.System{Name: fmt.Sprintf("sw%d-%s", s+1, d.Code), Descr: "H3C Comware Platform Software, S5130-28S-EI", ObjectID: "1.3.6.1.4.1.25506.1.1155"},
			IPAddresses: []wire.IPAddress{{Address: d.addr(2 + s), PrefixLen: 24, IfIndex: 1000}},
			Neighbors:   []wire.Neighbor{{Protocol: "lldp", LocalIfIndex: 25, ChassisID: mac(d.Index, 0, 1), PortID: "GE0/0/0", SysName: "r1-" + d.Code, Address: d.addr(1)}},
			VLANs:       []wire.VLAN{{ID: 1, Name: "default"}, {ID: 10, Name: "office", Ports: []int{1, 2, 3, 4, 5, 6, 7, 8}}, {ID: 20, Name: "servers", Ports: []int{9, 10, 11, 12}}},
			Entities: []wire.Entity{{Index: 1, Class: 3, Descr: "S5130-28S-EI", Name: "Chassis 1", Model: "S5130-28S-EI", Serial: fmt.Sprintf("219801A1NM%06d", d.Index*10+s), MfgName: "H3C"},
				{Index: 2, Class: 6, Descr: "PSU 1", Name: "PSU1", ContainedIn: 1}, {Index: 3, Class: 7, Descr: "FAN 1", Name: "FAN1", ContainedIn: 1}}}
		nIf := 26
		if day >= 3 {
			nIf = 28 // two ports added mid-week: the history shows them
		}
		for i := 1; i <= nIf; i++ {
			sw.Interfaces = append(sw.Interfaces, wire.Interface{Index: i, Name: fmt.Sprintf("GE1/0/%d", i), Descr: fmt.Sprintf("GigabitEthernet1/0/%d", i), Type: 6, MTU: 1500, SpeedBps: 1e9,
				MAC: mac(d.Index, 0x100+s, i), AdminStatus: 1, OperStatus: 1 + boolInt(i > 20)})
		}
		sw.Interfaces = append(sw.Interfaces, wire.Interface{Index: 1000, Name: "Vlan-interface1", Type: 136, MTU: 1500, MAC: mac(d.Index, 0x100+s, 0), AdminStatus: 1, OperStatus: 1})
		sw.FDB = append(sw.FDB, wire.FDBEntry{MAC: mac(d.Index, 0, 1), VLAN: 1, BridgePort: 25, IfIndex: 25, Status: 3})
		rep.Devices = append(rep.Devices, sw)
	}
	servers := max(0, 4-day/2)
	for k := 0; k < nEps; k++ {
		e := wire.Endpoint{IP: d.addr(10 + k), MAC: mac(d.Index, 0x200+k/250, k%250), SeenBy: []string{"arp", "icmp"}, Role: wire.RoleWorkstation, OpenPorts: []int{}, HTTP: []wire.HTTPInfo{}}
		e.Hostname = fmt.Sprintf("%s-pc%03d", d.Code, k)
		if k < servers {
			e.Role, e.Hostname = wire.RoleServer, fmt.Sprintf("%s-srv%d", d.Code, k)
			e.OpenPorts = []int{22, 80, 443}
			e.HTTP = []wire.HTTPInfo{{Port: 443, Scheme: "https", Title: d.Code + " 业务系统", Server: "nginx", Status: 200}}
		}
		if k == 5 && day >= days/2 {
			e.IP = d.addr(200) // this PC moved address mid-week: history by MAC
		}
		rep.Endpoints = append(rep.Endpoints, e)
		if nSwitches > 0 {
			s := k % nSwitches
			port := (k/nSwitches)%24 + 1
			rep.Devices[1+s].FDB = append(rep.Devices[1+s].FDB, wire.FDBEntry{MAC: e.MAC, VLAN: 10, BridgePort: port, IfIndex: port, Status: 3})
		}
	}
	rep.Paths = []wire.Path{{Target: "203.0.113.10", Kind: "internet", Reachable: true,
		Hops: []wire.Hop{{TTL: 1, Address: d.addr(1), RTTMs: 0.4}, {TTL: 2, Address: "10.255.0.1", RTTMs: 1.1}, {TTL: 3, Address: "198.51.100.1", RTTMs: 2.3}}}}
	activated := true
	rep.Host = &wire.Host{Hostname: "probe-" + d.Code, Interfaces: []wire.HostInterface{}, Routes: []wire.HostRoute{},
		// the 明细表's device facts (user, OS, hardware) as an agent host reports them
		User:     "王" + d.Code,
		OSInfo:   &wire.OSInfo{Name: "Microsoft Windows 10 专业版", Edition: "Professional", Version: "10.0.19045", Arch: "amd64", Activated: &activated},
		Hardware: &wire.Hardware{Vendor: "LENOVO", Model: "ThinkCentre M720t", Serial: fmt.Sprintf("PC0%s%03d", d.Code, d.Index)},
		Software: []wire.Software{
			{Name: "WPS Office", Version: "11.1.0", Vendor: "Kingsoft", Source: "registry"},
			{Name: "Microsoft Office Professional Plus 2016", Version: "16.0", Vendor: "Microsoft", Source: "registry"},
			{Name: "奇安信天擎", Version: "10.0", Vendor: "奇安信", Source: "registry"}}}
	return rep
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// writeReports writes a week of daily scans for each department into dir and
// returns the files, oldest first.
func writeReports(t testing.TB, dir string, depts []seedDept, days, nEps, nSwitches int, end time.Time) []string {
	t.Helper()
	var files []string
	for day := 0; day < days; day++ {
		at := end.AddDate(0, 0, day-days+1)
		for _, d := range depts {
			rep := seedReport(d, day, days, nEps, nSwitches, at)
			if err := rep.Validate(); err != nil {
				t.Fatalf("seed report of %s day %d invalid: %v", d.Code, day, err)
			}
			b, err := json.Marshal(rep)
			if err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(dir, fmt.Sprintf("%02d-%s.json", day, d.Code))
			if err := os.WriteFile(f, b, 0o600); err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
	}
	return files
}
