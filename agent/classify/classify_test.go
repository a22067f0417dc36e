package classify

import (
	"testing"

	"github.com/egovnet/egovnet/internal/wire"
)

func TestRole(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		want string
	}{
		{"nothing known", Input{}, wire.RoleUnknown},
		{"huawei switch oid", Input{SysObjectID: "1.3.6.1.4.1.2011.2.23.94"}, wire.RoleNetwork},
		{"leading dot oid", Input{SysObjectID: ".1.3.6.1.4.1.25506.1.1"}, wire.RoleNetwork},
		{"ruijie", Input{SysObjectID: "1.3.6.1.4.1.4881.1.1.10.1.1"}, wire.RoleNetwork},
		{"zte", Input{SysObjectID: "1.3.6.1.4.1.3902.3.100.9"}, wire.RoleNetwork},
		{"cisco with web ports still network", Input{SysObjectID: "1.3.6.1.4.1.9.1.1208", OpenPorts: []int{22, 80, 443}}, wire.RoleNetwork},
		{"juniper", Input{SysObjectID: "1.3.6.1.4.1.2636.1.1.1.2.29"}, wire.RoleNetwork},
		{"mikrotik", Input{SysObjectID: "1.3.6.1.4.1.14988.1"}, wire.RoleNetwork},
		{"fortigate", Input{SysObjectID: "1.3.6.1.4.1.12356.101.1.1000"}, wire.RoleNetwork},
		{"huawei ibmc is a server", Input{SysObjectID: "1.3.6.1.4.1.2011.2.235.1.1"}, wire.RoleServer},
		{"net-snmp linux with db", Input{SysObjectID: "1.3.6.1.4.1.8072.3.2.10", SysDescr: "Linux db1 5.10", OpenPorts: []int{22, 5432}}, wire.RoleServer},
		{"net-snmp no ports", Input{SysObjectID: "1.3.6.1.4.1.8072.3.2.10", SysDescr: "Linux"}, wire.RoleServer},
		{"net-snmp linux router", Input{SysObjectID: "1.3.6.1.4.1.8072.3.2.10", SysDescr: "Linux", OpenPorts: []int{22}, Forwards: true}, wire.RoleNetwork},
		{"descr linux router", Input{SysDescr: "Linux gw 5.10", Forwards: true}, wire.RoleNetwork},
		{"huawei forwarding stays network", Input{SysObjectID: "1.3.6.1.4.1.2011.2.23.94", Forwards: true}, wire.RoleNetwork},
		{"printer oid ignores forwarding", Input{SysObjectID: "1.3.6.1.4.1.1602.4.7", Forwards: true}, wire.RolePrinter},
		{"windows workstation oid", Input{SysObjectID: "1.3.6.1.4.1.311.1.1.3.1.1", OpenPorts: []int{135, 445}}, wire.RoleWorkstation},
		{"windows server oid", Input{SysObjectID: "1.3.6.1.4.1.311.1.1.3.1.2"}, wire.RoleServer},
		{"windows dc oid", Input{SysObjectID: "1.3.6.1.4.1.311.1.1.3.1.3"}, wire.RoleServer},
		{"hp jetdirect", Input{SysObjectID: "1.3.6.1.4.1.11.2.3.9.1"}, wire.RolePrinter},
		{"hp procurve", Input{SysObjectID: "1.3.6.1.4.1.11.2.3.7.11.36"}, wire.RoleNetwork},
		{"hp other falls to ports", Input{SysObjectID: "1.3.6.1.4.1.11.5.7", OpenPorts: []int{22, 3306}}, wire.RoleServer},
		{"canon printer oid", Input{SysObjectID: "1.3.6.1.4.1.1602.4.7"}, wire.RolePrinter},
		{"pantum", Input{SysObjectID: "1.3.6.1.4.1.40093.1.1"}, wire.RolePrinter},
		{"unknown enterprise uses descr", Input{SysObjectID: "1.3.6.1.4.1.99999.1", SysDescr: "H3C Comware Platform Software"}, wire.RoleNetwork},
		{"descr vrp", Input{SysDescr: "Huawei Versatile Routing Platform Software VRP (R) software"}, wire.RoleNetwork},
		{"descr laserjet", Input{SysDescr: "HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153"}, wire.RolePrinter},
		{"descr windows desktop", Input{SysDescr: "Hardware: Intel64 - Software: Windows Version 6.3 (Build 19045 Multiprocessor Free)", OpenPorts: []int{135, 139, 445}}, wire.RoleWorkstation},
		{"descr windows with sql server", Input{SysDescr: "Software: Windows Version 6.3", OpenPorts: []int{1433, 3389}}, wire.RoleServer},
		{"descr linux", Input{SysDescr: "Linux web01 4.18.0"}, wire.RoleServer},
		{"ports raw printer", Input{OpenPorts: []int{80, 443, 9100}}, wire.RolePrinter},
		{"ports lpd only", Input{OpenPorts: []int{515}}, wire.RolePrinter},
		{"ports ipp only", Input{OpenPorts: []int{631}}, wire.RolePrinter},
		{"ports lpd on a linux server", Input{OpenPorts: []int{22, 515, 3306}}, wire.RoleServer},
		{"ports dameng database", Input{OpenPorts: []int{5236}}, wire.RoleServer},
		{"ports kingbase database", Input{OpenPorts: []int{54321}}, wire.RoleServer},
		{"ports windows desktop", Input{OpenPorts: []int{135, 139, 445, 3389}}, wire.RoleWorkstation},
		{"ports windows with iis", Input{OpenPorts: []int{80, 135, 445}}, wire.RoleServer},
		{"ports telnet and ssh only", Input{OpenPorts: []int{22, 23}}, wire.RoleNetwork},
		{"ports telnet and web mgmt", Input{OpenPorts: []int{23, 80}}, wire.RoleNetwork},
		{"ports ssh only", Input{OpenPorts: []int{22}}, wire.RoleServer},
		{"ports web only", Input{OpenPorts: []int{443}}, wire.RoleServer},
		{"ports odd", Input{OpenPorts: []int{12345}}, wire.RoleUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Role(tc.in); got != tc.want {
				t.Fatalf("Role(%+v) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestEnterpriseAndVendor(t *testing.T) {
	tests := []struct {
		oid    string
		ent    int
		vendor string
	}{
		{"1.3.6.1.4.1.2011.2.23", 2011, "Huawei"},
		{".1.3.6.1.4.1.25506.1", 25506, "H3C"},
		{"1.3.6.1.4.1.8072.3.2.10", 8072, "net-snmp"},
		{"1.3.6.1.2.1.1", -1, ""},
		{"1.3.6.1.4.1.x", -1, ""},
		{"", -1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.oid, func(t *testing.T) {
			if e := Enterprise(tc.oid); e != tc.ent {
				t.Fatalf("Enterprise = %d", e)
			}
			if v := VendorOf(tc.oid); v != tc.vendor {
				t.Fatalf("VendorOf = %q", v)
			}
		})
	}
}
