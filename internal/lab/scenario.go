// Package lab builds test networks out of Linux network namespaces: routers,
// hosts, an extranet core, an "internet" and private networks joined by veth
// pairs and bridges, with real routing tables, real snmpd/snmpsimd daemons and
// real TCP/HTTP listeners. Discovery of egress points and private links can
// only be proven against real routes and real paths; this package is where
// every integration test, benchmark and the demo get them.
//
// Safety is part of the design: every namespace is named egl-<run>-<name>,
// nothing links into the root namespace except an optional management /30,
// simulated public addresses come only from the documentation ranges, and
// Down removes exactly what one run started, recorded in a state file.
package lab

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// Node kinds. Kind decides the default for IP forwarding and is recorded in
// the run's state so that tests and the demo can find agents and routers.
const (
	KindRouter         = "router"
	KindExtranetCore   = "extranet-core"
	KindInternet       = "internet"
	KindPrivateNetwork = "private-network"
	KindHost           = "host"
	KindAgent          = "agent"
)

var kinds = map[string]bool{
	KindRouter: true, KindExtranetCore: true, KindInternet: true,
	KindPrivateNetwork: true, KindHost: true, KindAgent: true,
}

// Forwards reports whether a node of this kind routes packets by default.
func Forwards(kind string) bool {
	switch kind {
	case KindRouter, KindExtranetCore, KindInternet, KindPrivateNetwork:
		return true
	}
	return false
}

// Forwarding reports whether the node routes packets (its kind's default
// unless forward is set).
func (n Node) Forwarding() bool {
	if n.Forward != nil {
		return *n.Forward
	}
	return Forwards(n.Kind)
}

// Scenario is one lab network (deploy/lab/scenarios/*.yaml).
type Scenario struct {
	Name        string      `yaml:"name" json:"name"`
	Description string      `yaml:"description" json:"description,omitempty"`
	Plan        string      `yaml:"plan" json:"plan,omitempty"` // plan.yaml describing the declared state, relative to the scenario file
	Management  *Management `yaml:"management" json:"management,omitempty"`
	Nodes       []Node      `yaml:"nodes" json:"nodes"`
	Links       []Link      `yaml:"links" json:"links"`
	LANs        []LAN       `yaml:"lans" json:"lans"`

	// Path is the file the scenario was loaded from (absolute), "" if parsed from bytes.
	Path string `yaml:"-" json:"path,omitempty"`
}

// Management is the one link allowed into the root namespace: a /30 between
// the root namespace and one node, plus TCP relays on that node so that agents
// anywhere in the lab reach a collector listening on the root side.
type Management struct {
	Node   string  `yaml:"node" json:"node"`
	Subnet string  `yaml:"subnet" json:"subnet,omitempty"` // a private /30; chosen at run time when empty
	Relays []Relay `yaml:"relays" json:"relays,omitempty"`
}

// Relay forwards TCP connections accepted at Listen (an address of the
// management node) to Port on the root side of the management link.
type Relay struct {
	Listen string `yaml:"listen" json:"listen"`
	Port   int    `yaml:"port" json:"port"`
}

// Node is one network namespace.
type Node struct {
	Name       string   `yaml:"name" json:"name"`
	Kind       string   `yaml:"kind" json:"kind"`
	Label      string   `yaml:"label" json:"label,omitempty"`           // human name, e.g. 区财政局出口路由器
	Department string   `yaml:"department" json:"department,omitempty"` // plan department code this node belongs to
	Forward    *bool    `yaml:"forward" json:"forward,omitempty"`       // overrides the kind's default
	Loopback   []string `yaml:"loopback" json:"loopback,omitempty"`     // addresses (CIDR) on lo
	AnyIP      []string `yaml:"anyip" json:"anyip,omitempty"`           // prefixes answered locally: ip route add local P dev lo
	Routes     []Route  `yaml:"routes" json:"routes,omitempty"`

	// Software is what this node's host reports as installed (agents: the
	// department's own host, given to the agent as host.software_file), so
	// no department reports the lab machine's own packages.
	Software []Software `yaml:"software" json:"software,omitempty"`
	// DNS makes the node resolve through these servers (written as the
	// namespace's /etc/netns/<ns>/resolv.conf, which `ip netns exec` uses).
	DNS []string `yaml:"dns" json:"dns,omitempty"`
	// DNSServer answers DNS queries on the node (port 53) from its records.
	DNSServer *DNSServer `yaml:"dns_server" json:"dns_server,omitempty"`

	// Firewall is an nftables ruleset the lab writes in the node (nft).
	Firewall *Firewall `yaml:"firewall" json:"firewall,omitempty"`

	SNMPD   *SNMPD        `yaml:"snmpd" json:"snmpd,omitempty"`
	SNMPSim *SNMPSim      `yaml:"snmpsim" json:"snmpsim,omitempty"`
	TCP     []TCPService  `yaml:"tcp" json:"tcp,omitempty"`
	HTTP    []HTTPService `yaml:"http" json:"http,omitempty"`
}

// Firewall is what a carrier CPE or firewall does to traffic, as nftables
// rules in the node's own namespace (gone with it).
type Firewall struct {
	// Masquerade source-NATs everything leaving these interfaces (a CPE's
	// carrier side): the carrier needs no route back to the department.
	Masquerade []string `yaml:"masquerade" json:"masquerade,omitempty"`
	// HideHops drops ICMP time-exceeded the node sends or forwards, so
	// traceroute shows no hop at or beyond it.
	HideHops bool `yaml:"hide_hops" json:"hide_hops,omitempty"`
}

// NFTRuleset renders the firewall as an nft -f script.
func (f *Firewall) NFTRuleset() string {
	var b strings.Builder
	b.WriteString("table ip egl {\n")
	if len(f.Masquerade) > 0 {
		b.WriteString("  chain egl_nat {\n    type nat hook postrouting priority srcnat; policy accept;\n")
		for _, i := range f.Masquerade {
			b.WriteString("    oifname \"" + i + "\" masquerade\n")
		}
		b.WriteString("  }\n")
	}
	if f.HideHops {
		b.WriteString("  chain egl_out {\n    type filter hook output priority filter; policy accept;\n    icmp type time-exceeded drop\n  }\n")
		b.WriteString("  chain egl_fwd {\n    type filter hook forward priority filter; policy accept;\n    icmp type time-exceeded drop\n  }\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// Software is one installed program: the agent's software file line
// name<TAB>version<TAB>vendor.
type Software struct {
	Name    string `yaml:"name" json:"name"`
	Version string `yaml:"version" json:"version,omitempty"`
	Vendor  string `yaml:"vendor" json:"vendor,omitempty"`
}

// SoftwareLines renders software as name<TAB>version<TAB>vendor lines.
func SoftwareLines(sw []Software) string {
	var b strings.Builder
	for _, s := range sw {
		b.WriteString(s.Name + "\t" + s.Version + "\t" + s.Vendor + "\n")
	}
	return b.String()
}

// DNSServer is a small authoritative responder (egovnet-lab serve-dns):
// A records and the PTR records derived from them, nothing recursive, so a
// lab name never leads to a query outside the lab.
type DNSServer struct {
	Address string      `yaml:"address" json:"address,omitempty"` // default: the node's first address
	Records []DNSRecord `yaml:"records" json:"records"`
}

// DNSRecord is a name with its address; the PTR for the address answers
// the name too unless NoPTR is set.
type DNSRecord struct {
	Name  string `yaml:"name" json:"name"`
	A     string `yaml:"a" json:"a"`
	NoPTR bool   `yaml:"no_ptr" json:"no_ptr,omitempty"`
}

// Route is a static route in a node.
type Route struct {
	To  string `yaml:"to" json:"to"` // CIDR or "default"
	Via string `yaml:"via" json:"via"`
}

// SNMPD runs net-snmp's snmpd inside the node: it reports the namespace's
// real interfaces, addresses, ARP cache and routes.
type SNMPD struct {
	Community string `yaml:"community" json:"community"`
	Address   string `yaml:"address" json:"address,omitempty"` // default: every address of the node
	Port      int    `yaml:"port" json:"port,omitempty"`       // default 161
	SysName   string `yaml:"sys_name" json:"sys_name,omitempty"`
	Descr     string `yaml:"descr" json:"descr,omitempty"`
	Location  string `yaml:"location" json:"location,omitempty"`
	Contact   string `yaml:"contact" json:"contact,omitempty"`
	// Software serves hrSWInstalledTable (the machine's installed packages).
	// Off by default: routers do not report installed software.
	Software bool `yaml:"software" json:"software,omitempty"`
}

// SNMPSim serves a recorded device with snmpsimd at the node's address:
// deploy/lab/recordings/<Recording>.snmprec (the lab's own, generated) or
// else <SNMP test data>/<Recording>.snmprec (../shared/testdata/snmp).
type SNMPSim struct {
	Recording string `yaml:"recording" json:"recording"`           // e.g. librenms/vrp_5720
	Community string `yaml:"community" json:"community,omitempty"` // default: the recording's base name
	Address   string `yaml:"address" json:"address,omitempty"`
	Port      int    `yaml:"port" json:"port,omitempty"`
	// Exclude drops these OID subtrees from the served recording, e.g. the
	// recorded device's own address, ARP and route tables, whose foreign
	// addresses would otherwise look like findings in the lab.
	Exclude []string `yaml:"exclude" json:"exclude,omitempty"`
}

// L3Tables are the subtrees that carry a recording's foreign addresses:
// ipAddrTable, ipRouteTable, ipNetToMediaTable, ipForward (ipCidr/inetCidr),
// ipAddressTable, ipNetToPhysicalTable. "exclude: [l3]" is short for them.
var L3Tables = []string{
	"1.3.6.1.2.1.4.20", "1.3.6.1.2.1.4.21", "1.3.6.1.2.1.4.22",
	"1.3.6.1.2.1.4.24", "1.3.6.1.2.1.4.34", "1.3.6.1.2.1.4.35",
}

// TCPService is a listener that sends Banner (if any) to every connection.
type TCPService struct {
	Address string `yaml:"address" json:"address,omitempty"` // default: all addresses of the node (AnyIP included)
	Port    int    `yaml:"port" json:"port"`
	Banner  string `yaml:"banner" json:"banner,omitempty"`
}

// HTTPService serves a page with an HTML title.
type HTTPService struct {
	Address string `yaml:"address" json:"address,omitempty"`
	Port    int    `yaml:"port" json:"port"`
	Title   string `yaml:"title" json:"title"`
	Server  string `yaml:"server" json:"server,omitempty"` // Server header
	// Canonical is the page's own URL: <link rel="canonical"> and og:url,
	// the names a site gives itself.
	Canonical string `yaml:"canonical" json:"canonical,omitempty"`
}

// Endpoint is one node's interface on a link or LAN.
type Endpoint struct {
	Node  string   `yaml:"node" json:"node"`
	If    string   `yaml:"if" json:"if,omitempty"`       // interface name inside the node (<= 15 chars); default ethN
	Addr  string   `yaml:"addr" json:"addr,omitempty"`   // CIDR, e.g. 10.1.0.1/24
	Addrs []string `yaml:"addrs" json:"addrs,omitempty"` // further addresses
	Alias string   `yaml:"alias" json:"alias,omitempty"` // interface alias (ip link alias and SNMP ifAlias)
	// MAC fixes the interface's hardware address (unicast, e.g.
	// 02:00:0a:03:00:14), so switch recordings generated from the scenario
	// (deploy/lab/recgen) can name the port each host is learned on.
	MAC string `yaml:"mac" json:"mac,omitempty"`
}

// Link is a point-to-point veth pair.
type Link struct {
	Name string     `yaml:"name" json:"name,omitempty"`
	Ends []Endpoint `yaml:"ends" json:"ends"`
}

// LAN is a bridge in its own namespace (egl-<run>-<name>) with one veth
// port per member.
type LAN struct {
	Name    string     `yaml:"name" json:"name"`
	Members []Endpoint `yaml:"members" json:"members"`
}

// Load reads and validates a scenario file.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	sc, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("scenario path: %w", err)
	}
	sc.Path = abs
	return sc, nil
}

// Parse decodes a scenario strictly (unknown keys are errors), fills
// defaults and validates it.
func Parse(data []byte) (*Scenario, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var sc Scenario
	if err := dec.Decode(&sc); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	var extra Scenario
	if err := dec.Decode(&extra); err == nil {
		return nil, errors.New("decode: more than one YAML document")
	}
	sc.fillDefaults()
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	return &sc, nil
}

// PlanPath is the absolute path of the scenario's plan file, "" if none.
func (s *Scenario) PlanPath() string {
	if s.Plan == "" {
		return ""
	}
	if filepath.IsAbs(s.Plan) || s.Path == "" {
		return s.Plan
	}
	return filepath.Join(filepath.Dir(s.Path), s.Plan)
}

// RecordingsDir is the lab's own SNMP recordings folder beside the
// scenarios folder (deploy/lab/recordings), "" for a scenario parsed from bytes.
func (s *Scenario) RecordingsDir() string {
	if s.Path == "" {
		return ""
	}
	return filepath.Join(filepath.Dir(s.Path), "..", "recordings")
}

// RecordingPath finds a recording: first among the lab's own recordings
// (generated by deploy/lab/recgen, shipped with the repository, so the demo
// needs nothing else), then in snmpData (the shared test corpus).
func (s *Scenario) RecordingPath(rec, snmpData string) (string, error) {
	var tried []string
	for _, dir := range []string{s.RecordingsDir(), snmpData} {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(rec)+".snmprec")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		tried = append(tried, p)
	}
	if snmpData == "" {
		return "", fmt.Errorf("snmpsim recording %s: not among the lab's own recordings (%s) and no SNMP test data folder given (--snmp-data or EGOVNET_TESTDATA)", rec, strings.Join(tried, ", "))
	}
	return "", fmt.Errorf("snmpsim recording %s: not found (tried %s)", rec, strings.Join(tried, ", "))
}

// Node returns the node with that name.
func (s *Scenario) Node(name string) (*Node, bool) {
	for i := range s.Nodes {
		if s.Nodes[i].Name == name {
			return &s.Nodes[i], true
		}
	}
	return nil, false
}

// fillDefaults names interfaces ethN in order of appearance and sets ports.
func (s *Scenario) fillDefaults() {
	next := map[string]int{}
	used := map[string]map[string]bool{}
	for _, eps := range s.endpointLists() {
		for _, ep := range eps {
			if ep.If != "" {
				if used[ep.Node] == nil {
					used[ep.Node] = map[string]bool{}
				}
				used[ep.Node][ep.If] = true
			}
		}
	}
	for _, eps := range s.endpointLists() {
		for i := range eps {
			ep := &eps[i]
			if ep.If != "" {
				continue
			}
			for {
				name := fmt.Sprintf("eth%d", next[ep.Node])
				next[ep.Node]++
				if !used[ep.Node][name] {
					ep.If = name
					break
				}
			}
		}
	}
	for i := range s.Nodes {
		n := &s.Nodes[i]
		if n.SNMPD != nil && n.SNMPD.Port == 0 {
			n.SNMPD.Port = 161
		}
		if n.SNMPSim != nil {
			if n.SNMPSim.Port == 0 {
				n.SNMPSim.Port = 161
			}
			if n.SNMPSim.Community == "" {
				n.SNMPSim.Community = filepath.Base(n.SNMPSim.Recording)
			}
			var ex []string
			for _, e := range n.SNMPSim.Exclude {
				if e == "l3" {
					ex = append(ex, L3Tables...)
					continue
				}
				ex = append(ex, strings.TrimPrefix(e, "."))
			}
			n.SNMPSim.Exclude = ex
		}
	}
}

// endpointLists returns every endpoint slice (links and LANs) for in-place edits.
func (s *Scenario) endpointLists() [][]Endpoint {
	var out [][]Endpoint
	for i := range s.Links {
		out = append(out, s.Links[i].Ends)
	}
	for i := range s.LANs {
		out = append(out, s.LANs[i].Members)
	}
	return out
}

// Endpoints returns the node's interfaces in declaration order.
func (s *Scenario) Endpoints(node string) []Endpoint {
	var out []Endpoint
	for _, eps := range s.endpointLists() {
		for _, ep := range eps {
			if ep.Node == node {
				out = append(out, ep)
			}
		}
	}
	return out
}

// NodeAddrs lists every interface and loopback address of a node (CIDR form).
func (s *Scenario) NodeAddrs(node string) []string {
	var out []string
	for _, ep := range s.Endpoints(node) {
		if ep.Addr != "" {
			out = append(out, ep.Addr)
		}
		out = append(out, ep.Addrs...)
	}
	if n, ok := s.Node(node); ok {
		out = append(out, n.Loopback...)
	}
	return out
}

// FirstAddr is the node's first address without prefix length, "" if none.
func (s *Scenario) FirstAddr(node string) string {
	addrs := s.NodeAddrs(node)
	if len(addrs) == 0 {
		return ""
	}
	return strings.SplitN(addrs[0], "/", 2)[0]
}
