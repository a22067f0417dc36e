// Package wire holds the versioned JSON types that cross the network between
// egovnet-agent and egovnet-collector (ScanReport, DeviceInventory, Violation),
// with the validation both sides apply. It is the only contract the two
// binaries share, so a change here is a change of the public CONTRACT.
package wire

import "time"

// SchemaScanV1 is the schema string every ScanReport of this version carries.
const SchemaScanV1 = "egovnet.scan/v1"

// Methods an endpoint can be seen by, as written in Endpoint.SeenBy.
const (
	MethodICMP = "icmp"
	MethodTCP  = "tcp"
	MethodUDP  = "udp"
	MethodARP  = "arp"
	MethodSNMP = "snmp"
	MethodPath = "path"
	MethodHost = "host"
	MethodND   = "nd" // IPv6 neighbour discovery on the link
)

// Roles an endpoint can be classified as.
const (
	RoleServer      = "server"
	RoleWorkstation = "workstation"
	RoleNetwork     = "network"
	RolePrinter     = "printer"
	RoleUnknown     = "unknown"
)

// ScanReport is one discovery run of one agent.
type ScanReport struct {
	Schema     string            `json:"schema"`
	ReportID   string            `json:"report_id"`
	Agent      Agent             `json:"agent"`
	StartedAt  time.Time         `json:"started_at"`
	FinishedAt time.Time         `json:"finished_at"`
	Scope      []string          `json:"scope"`
	Endpoints  []Endpoint        `json:"endpoints"`
	Devices    []DeviceInventory `json:"devices"`
	Paths      []Path            `json:"paths"`
	Host       *Host             `json:"host,omitempty"`
	Stats      Stats             `json:"stats"`
}

// Agent identifies who produced a report.
type Agent struct {
	ID         string `json:"id"`
	Hostname   string `json:"hostname"`
	Version    string `json:"version"`
	Department string `json:"department"`
	// Profile is "network" (default: discovery of the scope) or "endpoint"
	// (the host's own facts only); empty means network.
	Profile string `json:"profile,omitempty"`
	OS      string `json:"os,omitempty"`   // GOOS of the agent build
	Arch    string `json:"arch,omitempty"` // GOARCH of the agent build
}

// Endpoint is one live address found in scope.
type Endpoint struct {
	IP        string     `json:"ip"`
	MAC       string     `json:"mac"`
	Vendor    string     `json:"vendor"`
	Hostname  string     `json:"hostname"`
	SeenBy    []string   `json:"seen_by"`
	RTTMs     float64    `json:"rtt_ms"`
	OpenPorts []int      `json:"open_ports"`
	UDPPorts  []int      `json:"udp_ports,omitempty"`
	Role      string     `json:"role"`
	HTTP      []HTTPInfo `json:"http"`
	// SysObjectID and SysDescr are copied from an SNMP reply when the endpoint
	// answered SNMP, so role classification and rules need not join devices.
	SysObjectID string `json:"sys_object_id,omitempty"`
	SysDescr    string `json:"sys_descr,omitempty"`
	// Names are what the endpoint is called, each with where the name came
	// from (ptr, sysname, http-canonical, http-og-url, http-host, tls), so a
	// website can be matched against the plan's approved names.
	Names []Name `json:"names,omitempty"`
}

// Name is one name of an endpoint and its source.
type Name struct {
	Name   string `json:"name"`
	Source string `json:"source"`
}

// HTTPInfo is what a web port answered.
type HTTPInfo struct {
	Port   int    `json:"port"`
	Scheme string `json:"scheme,omitempty"`
	Title  string `json:"title"`
	Server string `json:"server"`
	Status int    `json:"status,omitempty"`
}

// Path is a TTL-limited probe toward one reference target.
type Path struct {
	Target    string `json:"target"`
	Kind      string `json:"kind,omitempty"` // internet, extranet, private
	Reachable bool   `json:"reachable"`
	Hops      []Hop  `json:"hops"`
}

// Hop is one TTL step; Address is empty when nothing answered at that TTL.
type Hop struct {
	TTL     int     `json:"ttl"`
	Address string  `json:"address"`
	RTTMs   float64 `json:"rtt_ms"`
}

// Host is what the agent knows of its own host.
type Host struct {
	Hostname   string          `json:"hostname,omitempty"`
	OS         string          `json:"os,omitempty"`
	Interfaces []HostInterface `json:"interfaces"`
	Routes     []HostRoute     `json:"routes"`
	Software   []Software      `json:"software"`
	// Endpoint-profile facts (CONTRACT "Agents managed from the collector").
	OSInfo   *OSInfo   `json:"os_info,omitempty"`
	Hardware *Hardware `json:"hardware,omitempty"`
	User     string    `json:"user,omitempty"` // the interactive user, if any
}

// OSInfo is the operating system as the host itself describes it.
type OSInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Edition string `json:"edition"`
	Arch    string `json:"arch"`
	// Activated is the licence activation state where the OS tells
	// (Windows SoftwareLicensingProduct); nil when unknown.
	Activated *bool  `json:"activated"`
	KMSHost   string `json:"kms_host,omitempty"`
}

// Hardware is the machine's identity from DMI (Linux) or WMI (Windows).
type Hardware struct {
	Vendor string `json:"vendor"`
	Model  string `json:"model"`
	Serial string `json:"serial"`
}

// HostInterface is one interface of the agent host.
type HostInterface struct {
	Name      string   `json:"name"`
	MAC       string   `json:"mac,omitempty"`
	Addresses []string `json:"addresses"` // CIDR notation, e.g. 10.1.0.5/24
	Up        bool     `json:"up"`
	Type      string   `json:"type,omitempty"` // ethernet, loopback, tunnel, ppp, ...
}

// HostRoute is one route of the agent host's main table.
type HostRoute struct {
	Destination string `json:"destination"` // CIDR
	Gateway     string `json:"gateway,omitempty"`
	Interface   string `json:"interface,omitempty"`
	Metric      int    `json:"metric,omitempty"`
}

// Software is one installed package or program.
type Software struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	Vendor  string `json:"vendor,omitempty"`
	Source  string `json:"source"` // snmp, dpkg, rpm, registry, import
	// Raw is the text exactly as the source gave it (hrSWInstalledName for
	// snmp) before it was split into Name and Version; empty when the source
	// has separate fields.
	Raw string `json:"raw,omitempty"`
	// Host is the endpoint or device the software was seen on (IP or target);
	// empty means the agent host itself.
	Host string `json:"host,omitempty"`
}

// Stats summarises the run.
type Stats struct {
	AddressesProbed int64 `json:"addresses_probed"`
	DurationMs      int64 `json:"duration_ms"`
	Errors          int64 `json:"errors"`
	// ErrorDetails keeps the first failures so an operator can see why;
	// bounded by the agent, bounded again by validation.
	ErrorDetails   []ProbeError `json:"error_details,omitempty"`
	SpoolDepth     int64        `json:"spool_depth,omitempty"`
	DroppedReports int64        `json:"dropped_reports,omitempty"`
}

// ProbeError is one recorded failure of one target or method.
type ProbeError struct {
	Target string `json:"target"`
	Method string `json:"method"`
	Error  string `json:"error"`
}
