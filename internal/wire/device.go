package wire

// DeviceInventory is what one SNMP walk of one device returned.
type DeviceInventory struct {
	Target      string       `json:"target"` // host:port
	System      System       `json:"system"`
	Interfaces  []Interface  `json:"interfaces"`
	IPAddresses []IPAddress  `json:"ip_addresses"`
	ARP         []ARPEntry   `json:"arp"`
	Routes      []Route      `json:"routes"`
	Neighbors   []Neighbor   `json:"neighbors"`
	Software    []Software   `json:"software"`
	Errors      []TableError `json:"errors"`
	// Second-round tables (CONTRACT "DeviceInventory additions"): bridge
	// forwarding, VLANs, ENTITY-MIB hardware and MPLS-L3VPN VRFs.
	FDB        []FDBEntry `json:"fdb"`
	VLANs      []VLAN     `json:"vlans"`
	Entities   []Entity   `json:"entities"`
	VRFs       []VRF      `json:"vrfs"`
	EngineID   string     `json:"engine_id,omitempty"`
	Version    string     `json:"snmp_version,omitempty"` // v1, v2c, v3
	Credential string     `json:"credential,omitempty"`   // which community/user index answered, never the secret
}

// System is the SNMPv2-MIB system group.
type System struct {
	Name     string `json:"name"`
	Descr    string `json:"descr"`
	ObjectID string `json:"object_id"`
	UptimeS  int64  `json:"uptime_s"`
	Contact  string `json:"contact"`
	Location string `json:"location"`
}

// Interface is one ifTable row, completed from ifXTable.
type Interface struct {
	Index       int    `json:"index"`
	Name        string `json:"name"`
	Descr       string `json:"descr"`
	Alias       string `json:"alias"`
	Type        int    `json:"type"`
	MTU         int    `json:"mtu"`
	SpeedBps    uint64 `json:"speed_bps"`
	MAC         string `json:"mac"`
	AdminStatus int    `json:"admin_status"`
	OperStatus  int    `json:"oper_status"`
}

// IPAddress is one address configured on the device.
type IPAddress struct {
	Address   string `json:"address"`
	PrefixLen int    `json:"prefix_len"`
	IfIndex   int    `json:"if_index"`
}

// ARPEntry is one neighbour-table entry.
type ARPEntry struct {
	IP      string `json:"ip"`
	MAC     string `json:"mac"`
	IfIndex int    `json:"if_index"`
}

// Route is one routing-table row.
type Route struct {
	Destination string `json:"destination"` // CIDR
	NextHop     string `json:"next_hop"`
	IfIndex     int    `json:"if_index"`
	Protocol    int    `json:"protocol"`
	SourceTable string `json:"source_table"` // inetCidrRouteTable, ipCidrRouteTable, ipRouteTable, ipv6RouteTable
	VRF         string `json:"vrf"`          // "" = the global table
}

// Neighbor is one LLDP remote or CDP cache entry.
type Neighbor struct {
	Protocol     string `json:"protocol"` // lldp, cdp
	LocalIfIndex int    `json:"local_if_index"`
	ChassisID    string `json:"chassis_id"`
	PortID       string `json:"port_id"`
	SysName      string `json:"sys_name"`
	Address      string `json:"address"`
	Platform     string `json:"platform,omitempty"`
}

// TableError names a table whose walk failed; the rest of the walk goes on.
type TableError struct {
	Table string `json:"table"`
	Error string `json:"error"`
}

// FDBEntry is one learned MAC of the bridge forwarding table: one per
// (vlan, mac) from dot1qTpFdbTable, else one per mac from dot1dTpFdbTable
// (VLAN 0). BridgePort maps to IfIndex through dot1dBasePortIfIndex; IfIndex
// is 0 when the device serves no mapping for that port.
type FDBEntry struct {
	MAC        string `json:"mac"`
	VLAN       int    `json:"vlan"`
	BridgePort int    `json:"bridge_port"`
	IfIndex    int    `json:"if_index"`
	Status     int    `json:"status"` // dot1dTpFdbStatus: 1 other, 2 invalid, 3 learned, 4 self, 5 mgmt
}

// VLAN is one dot1qVlanStaticTable row (else dot1qVlanCurrentTable).
type VLAN struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	// Ports are the ifIndexes of member ports where the device serves them.
	Ports []int `json:"ports,omitempty"`
}

// Entity is one ENTITY-MIB entPhysicalTable row.
type Entity struct {
	Index       int    `json:"index"`
	Class       int    `json:"class"` // PhysicalClass: 3 chassis, 5 container, 6 powerSupply, 7 fan, 8 sensor, 9 module, 10 port, ...
	Descr       string `json:"descr"`
	Name        string `json:"name"`
	Model       string `json:"model"`
	Serial      string `json:"serial"`
	HardwareRev string `json:"hardware_rev"`
	FirmwareRev string `json:"firmware_rev"`
	SoftwareRev string `json:"software_rev"`
	MfgName     string `json:"mfg_name"`
	ContainedIn int    `json:"contained_in"`
}

// VRF is one MPLS-L3VPN-STD-MIB mplsL3VpnVrfTable row with its interfaces.
type VRF struct {
	Name      string `json:"name"`
	RD        string `json:"rd"`
	IfIndexes []int  `json:"if_indexes"`
}
