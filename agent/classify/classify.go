// Package classify guesses an endpoint's role (server, workstation, network
// device, printer) from what the sweep saw. The strongest signal wins: an
// SNMP sysObjectID names the maker's enterprise number (network vendors,
// printer makers, or host agents such as net-snmp and Windows), then
// sysDescr wording, then the open ports. The role feeds the local-server and
// new-infrastructure rules, so "unknown" is preferred to a wild guess.
package classify

import (
	"slices"
	"strconv"
	"strings"

	"github.com/egovnet/egovnet/internal/wire"
)

// Input is what is known about one endpoint.
type Input struct {
	OpenPorts   []int
	SysObjectID string
	SysDescr    string
	// Forwards: its SNMP tables show a router (addresses in two or more
	// subnets and a route through a next hop). A general-purpose OS doing
	// that (a Linux or Windows box routing between segments) is a network
	// device for the plan, not a local server.
	Forwards bool
}

// Enterprise numbers (IANA private enterprise numbers under 1.3.6.1.4.1).
var (
	networkVendors = map[int]string{
		9: "Cisco", 2011: "Huawei", 25506: "H3C", 4881: "Ruijie", 3902: "ZTE", 2636: "Juniper",
		14988: "MikroTik", 12356: "Fortinet", 25461: "Palo Alto", 2620: "Check Point", 1991: "Brocade/Foundry",
		6527: "Nokia/Alcatel-Lucent", 6486: "Alcatel-Lucent Enterprise", 1916: "Extreme", 30065: "Arista",
		4526: "Netgear", 171: "D-Link", 11863: "TP-Link", 41112: "Ubiquiti", 43: "3Com", 2544: "Adva",
		5567: "Riverbed", 3375: "F5", 22610: "A10", 8741: "SonicWall", 24968: "Hillstone (山石网科)",
		15227: "Maipu (迈普)", 32328: "DPtech (迪普)", 2604: "Sophos", 9148: "Acme Packet",
		40310: "Cumulus Networks", 15397: "Procera Networks", 35265: "Eltex",
		34451: "Sangfor (深信服)", 28557: "Topsec (天融信)", 56813: "Venustech (启明星辰)", 6876: "VMware (vSwitch)",
	}
	printerVendors = map[int]string{
		1602: "Canon", 367: "Ricoh", 2435: "Brother", 1347: "Kyocera", 253: "Xerox", 297: "Fuji Xerox",
		641: "Lexmark", 1248: "Epson", 18334: "Konica Minolta", 2385: "Sharp", 236: "Samsung", 2001: "Oki",
		40093: "Pantum (奔图)", 1129: "Toshiba TEC",
	}
	hostAgents = map[int]string{8072: "net-snmp", 311: "Microsoft", 2021: "UCD-SNMP", 42: "Sun/Oracle", 2: "IBM"}
)

const enterprisePrefix = "1.3.6.1.4.1."

// Enterprise returns the enterprise number in a sysObjectID, or -1.
func Enterprise(oid string) int {
	oid = strings.TrimPrefix(strings.TrimSpace(oid), ".")
	if !strings.HasPrefix(oid, enterprisePrefix) {
		return -1
	}
	rest := strings.TrimPrefix(oid, enterprisePrefix)
	num, _, _ := strings.Cut(rest, ".")
	n, err := strconv.Atoi(num)
	if err != nil {
		return -1
	}
	return n
}

// Role classifies one endpoint; the result is one of the wire.Role* constants.
func Role(in Input) string {
	if r := byObjectID(in); r != "" {
		return r
	}
	if r := byDescr(in); r != "" {
		return r
	}
	return byPorts(in.OpenPorts)
}

func byObjectID(in Input) string {
	oid := strings.TrimPrefix(strings.TrimSpace(in.SysObjectID), ".")
	ent := Enterprise(oid)
	switch {
	case ent < 0:
		return ""
	case strings.HasPrefix(oid, "1.3.6.1.4.1.11.2.3.9."): // HP JetDirect peripherals
		return wire.RolePrinter
	case ent == 11: // HP/HPE: ProCurve/Aruba switches sit under 11.2.3.7
		if strings.HasPrefix(oid, "1.3.6.1.4.1.11.2.3.7.") {
			return wire.RoleNetwork
		}
		return ""
	case strings.HasPrefix(oid, "1.3.6.1.4.1.2011.2.235."): // Huawei iBMC: a server's management controller
		return wire.RoleServer
	case strings.HasPrefix(oid, "1.3.6.1.4.1.311.1.1.3.1.1"): // Windows workstation
		return wire.RoleWorkstation
	case strings.HasPrefix(oid, "1.3.6.1.4.1.311.1.1.3.1."): // Windows server / domain controller
		return wire.RoleServer
	case networkVendors[ent] != "":
		return wire.RoleNetwork
	case printerVendors[ent] != "":
		return wire.RolePrinter
	case hostAgents[ent] != "" && in.Forwards:
		return wire.RoleNetwork
	case hostAgents[ent] != "":
		// A general-purpose host: its ports say workstation or server.
		if r := byPorts(in.OpenPorts); r == wire.RoleWorkstation || r == wire.RolePrinter {
			return r
		}
		if strings.Contains(strings.ToLower(in.SysDescr), "windows") && !hasAny(in.OpenPorts, serverPorts) {
			return wire.RoleWorkstation
		}
		return wire.RoleServer
	}
	return ""
}

var (
	networkWords = []string{"cisco ios", "cisco nx-os", "cisco adaptive security", "huawei versatile routing platform",
		"vrp (r)", "comware", "h3c", "ruijie", "rgos", "zxr10", "zte ", "junos", "routeros", "fortigate", "fortios",
		"procurve", "aruba", "switch", "router", "firewall", "arista", "extremexos", "panos", "hillstone", "sangfor"}
	printerWords = []string{"printer", "laserjet", "jetdirect", "officejet", "imagerunner", "bizhub", "workcentre",
		"docuprint", "ecosys", "pantum", "打印"}
)

func byDescr(in Input) string {
	d := strings.ToLower(in.SysDescr)
	if d == "" {
		return ""
	}
	for _, w := range printerWords {
		if strings.Contains(d, w) {
			return wire.RolePrinter
		}
	}
	for _, w := range networkWords {
		if strings.Contains(d, w) {
			return wire.RoleNetwork
		}
	}
	if in.Forwards && (strings.Contains(d, "windows") || strings.Contains(d, "linux") || strings.Contains(d, "unix")) {
		return wire.RoleNetwork
	}
	if strings.Contains(d, "windows") {
		if hasAny(in.OpenPorts, serverPorts) || strings.Contains(d, "server") {
			return wire.RoleServer
		}
		return wire.RoleWorkstation
	}
	if strings.Contains(d, "linux") || strings.Contains(d, "unix") || strings.Contains(d, "sunos") || strings.Contains(d, "aix") {
		return wire.RoleServer
	}
	return ""
}

var (
	printerPorts = []int{9100, 515, 631}
	// serverPorts are services a desktop does not offer.
	serverPorts = []int{21, 25, 53, 110, 143, 389, 636, 993, 995, 1433, 1521, 3306, 5236, 5432, 6379, 27017,
		54321, 8080, 8443, 7001, 9200, 11211, 2049, 88}
	webPorts         = []int{80, 443}
	windowsHostPorts = []int{135, 139, 445, 3389}
	managementPorts  = []int{22, 23, 80, 443, 161, 830, 8291}
)

func byPorts(ports []int) string {
	if len(ports) == 0 {
		return wire.RoleUnknown
	}
	switch {
	case slices.Contains(ports, 9100) || (slices.Contains(ports, 515) && !hasAny(ports, serverPorts) && !slices.Contains(ports, 22)):
		return wire.RolePrinter
	case hasAny(ports, serverPorts):
		return wire.RoleServer
	case hasAny(ports, windowsHostPorts) && !hasAny(ports, webPorts):
		return wire.RoleWorkstation
	case slices.Contains(ports, 23) && onlyFrom(ports, managementPorts):
		// Telnet with nothing but management services: a switch or router.
		return wire.RoleNetwork
	case hasAny(ports, webPorts) || slices.Contains(ports, 22):
		return wire.RoleServer
	case slices.Contains(ports, 631):
		return wire.RolePrinter
	}
	return wire.RoleUnknown
}

func hasAny(ports, set []int) bool {
	for _, p := range ports {
		if slices.Contains(set, p) {
			return true
		}
	}
	return false
}

func onlyFrom(ports, set []int) bool {
	for _, p := range ports {
		if !slices.Contains(set, p) {
			return false
		}
	}
	return true
}

// VendorOf names the maker behind a sysObjectID when known ("" otherwise).
func VendorOf(oid string) string {
	ent := Enterprise(oid)
	if v := networkVendors[ent]; v != "" {
		return v
	}
	if v := printerVendors[ent]; v != "" {
		return v
	}
	return hostAgents[ent]
}
