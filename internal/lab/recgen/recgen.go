// Package recgen writes the lab's own SNMP recordings (snmpsim .snmprec
// files) from a declarative description (deploy/lab/recordings/devices.yaml)
// and the lab scenario the devices sit in. The scenario is the single source
// of the facts both sides must agree on: a device's addresses, MACs and
// routes are its node's, a switch's forwarding table holds the MACs of the
// LAN members plugged into it, and its LLDP neighbours are the scenario's
// nodes. So `make demo` needs no recordings from outside the repository, and
// what the agent reads from the switch is true of the lab it walks.
package recgen

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/egovnet/egovnet/internal/lab"
)

// Description is devices.yaml.
type Description struct {
	// Scenario is the lab scenario the devices belong to, relative to the
	// description file.
	Scenario string   `yaml:"scenario"`
	Devices  []Device `yaml:"devices"`
}

// Device is one recording.
type Device struct {
	File       string      `yaml:"file"` // output name without .snmprec; also the lab's `recording:`
	Node       string      `yaml:"node"` // scenario node that serves it
	System     System      `yaml:"system"`
	Forwarding bool        `yaml:"forwarding"` // ipForwarding.0: 1 when true, else 2
	Interfaces []Interface `yaml:"interfaces"`
	// L3 serves ipAddrTable (the node's addresses) and ipRouteTable (its
	// connected networks and scenario routes).
	L3          bool          `yaml:"l3"`
	LAN         string        `yaml:"lan"`          // the scenario LAN this switch is
	BridgePorts []BridgeRange `yaml:"bridge_ports"` // dot1dBasePortIfIndex
	VLANs       []VLAN        `yaml:"vlans"`
	Attach      []Attach      `yaml:"attach"` // LAN members: which bridge port, which VLAN
	LLDP        []LLDP        `yaml:"lldp"`
	Entities    []Entity      `yaml:"entities"`
	Software    []Software    `yaml:"software"`
}

// System is the system group.
type System struct {
	Descr    string `yaml:"descr"`
	ObjectID string `yaml:"object_id"`
	Contact  string `yaml:"contact"`
	Location string `yaml:"location"`
	UptimeS  int    `yaml:"uptime_s"`
	Services int    `yaml:"services"`
}

// Interface is one ifTable row, or Count rows: Name's "{n}" counts from
// First, the ifIndex from Index.
type Interface struct {
	Index  int    `yaml:"index"`
	Count  int    `yaml:"count"`
	First  int    `yaml:"first"`
	Name   string `yaml:"name"`
	Descr  string `yaml:"descr"` // default: Name
	Type   int    `yaml:"type"`  // IANAifType: 6 ethernet, 24 loopback, 1 other, 136 l3ipvlan
	MTU    int    `yaml:"mtu"`
	Speed  uint64 `yaml:"speed"` // bit/s
	Alias  string `yaml:"alias"`
	Down   bool   `yaml:"down"`    // admin up, oper down; ethernet ports are down anyway unless plugged (attach, lldp, node_if)
	NodeIf string `yaml:"node_if"` // the scenario interface of Node this is: its MAC and addresses
	MAC    string `yaml:"mac"`     // a fixed MAC when NodeIf is empty
}

// BridgeRange maps Count bridge ports from Port to ifIndexes from IfIndex.
type BridgeRange struct {
	Port    int `yaml:"port"`
	Count   int `yaml:"count"`
	IfIndex int `yaml:"if_index"`
}

// VLAN is one dot1qVlanStaticTable row; ports are bridge-port lists like "1-11,13-24".
type VLAN struct {
	ID       int    `yaml:"id"`
	Name     string `yaml:"name"`
	Untagged string `yaml:"untagged"`
	Tagged   string `yaml:"tagged"`
}

// Attach plugs a LAN member into a bridge port.
type Attach struct {
	Node string `yaml:"node"`
	Port int    `yaml:"port"`
	VLAN int    `yaml:"vlan"`
}

// LLDP is a neighbour on a local interface: a scenario node's interface.
type LLDP struct {
	IfIndex  int    `yaml:"if_index"`
	Node     string `yaml:"node"`
	If       string `yaml:"if"`
	SysDescr string `yaml:"sys_descr"`
}

// Entity is one entPhysicalTable row.
type Entity struct {
	Index       int    `yaml:"index"`
	Class       int    `yaml:"class"` // 3 chassis, 6 powerSupply, 7 fan, 9 module, 10 port
	Descr       string `yaml:"descr"`
	Name        string `yaml:"name"`
	Model       string `yaml:"model"`
	Serial      string `yaml:"serial"`
	HardwareRev string `yaml:"hardware_rev"`
	FirmwareRev string `yaml:"firmware_rev"`
	SoftwareRev string `yaml:"software_rev"`
	MfgName     string `yaml:"mfg_name"`
	ContainedIn int    `yaml:"contained_in"`
	RelPos      int    `yaml:"rel_pos"`
	FRU         bool   `yaml:"fru"`
}

// Software is one hrSWInstalledTable row.
type Software struct {
	Name string `yaml:"name"`
	Date string `yaml:"date"` // YYYY-MM-DD
}

// Load reads a description strictly.
func Load(path string) (*Description, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read description: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var d Description
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	if d.Scenario != "" && !filepath.IsAbs(d.Scenario) {
		d.Scenario = filepath.Join(filepath.Dir(path), d.Scenario)
	}
	return &d, nil
}

// GenerateFile loads a description and its scenario and returns every
// recording, keyed by file name (NAME.snmprec).
func GenerateFile(path string) (map[string][]byte, error) {
	d, err := Load(path)
	if err != nil {
		return nil, err
	}
	sc, err := lab.Load(d.Scenario)
	if err != nil {
		return nil, err
	}
	return Generate(d, sc)
}

// Generate renders every device of d against the scenario.
func Generate(d *Description, sc *lab.Scenario) (map[string][]byte, error) {
	out := map[string][]byte{}
	var errs []error
	for _, dev := range d.Devices {
		rec, err := render(dev, sc)
		if err != nil {
			errs = append(errs, fmt.Errorf("device %s: %w", dev.File, err))
			continue
		}
		if _, dup := out[dev.File+".snmprec"]; dup {
			errs = append(errs, fmt.Errorf("device %s: file name used twice", dev.File))
		}
		out[dev.File+".snmprec"] = rec
	}
	return out, errors.Join(errs...)
}

// row is one OID with its snmprec type tag and value.
type row struct {
	oid []int
	tag string
	val string
}

type rec struct{ rows []row }

func (r *rec) add(oid string, idx []int, tag, val string) {
	r.rows = append(r.rows, row{append(parseOID(oid), idx...), tag, val})
}

func (r *rec) str(oid string, idx []int, s string) {
	if isPrintableASCII(s) {
		r.add(oid, idx, "4", s)
		return
	}
	r.add(oid, idx, "4x", fmt.Sprintf("%x", s))
}

func (r *rec) int(oid string, idx []int, v int) { r.add(oid, idx, "2", strconv.Itoa(v)) }

func (r *rec) bytes(oid string, idx []int, b []byte) { r.add(oid, idx, "4x", fmt.Sprintf("%x", b)) }

func (r *rec) bytesOut() []byte {
	slices.SortFunc(r.rows, func(a, b row) int { return slices.Compare(a.oid, b.oid) })
	var buf bytes.Buffer
	for _, x := range r.rows {
		parts := make([]string, len(x.oid))
		for i, n := range x.oid {
			parts[i] = strconv.Itoa(n)
		}
		fmt.Fprintf(&buf, "%s|%s|%s\n", strings.Join(parts, "."), x.tag, x.val)
	}
	return buf.Bytes()
}

func parseOID(s string) []int {
	var out []int
	for _, p := range strings.Split(strings.Trim(s, "."), ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			panic("recgen: bad OID " + s) // programming error: OIDs below are constants
		}
		out = append(out, n)
	}
	return out
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// OIDs of the tables written.
const (
	oidSystem     = "1.3.6.1.2.1.1"
	oidIfNumber   = "1.3.6.1.2.1.2.1.0"
	oidIfEntry    = "1.3.6.1.2.1.2.2.1"
	oidIfXEntry   = "1.3.6.1.2.1.31.1.1.1"
	oidIPForward  = "1.3.6.1.2.1.4.1.0"
	oidIPAddr     = "1.3.6.1.2.1.4.20.1"
	oidIPRoute    = "1.3.6.1.2.1.4.21.1"
	oidBridgeBase = "1.3.6.1.2.1.17.1"
	oidBasePort   = "1.3.6.1.2.1.17.1.4.1"
	oidQFdb       = "1.3.6.1.2.1.17.7.1.2.2.1"
	oidQVlanStat  = "1.3.6.1.2.1.17.7.1.4.3.1"
	oidEntPhys    = "1.3.6.1.2.1.47.1.1.1.1"
	oidLLDPLoc    = "1.0.8802.1.1.2.1.3"
	oidLLDPRem    = "1.0.8802.1.1.2.1.4.1.1"
	oidHrSW       = "1.3.6.1.2.1.25.6.3.1"
	oidHrUptime   = "1.3.6.1.2.1.25.1.1.0"
)

// ifRow is an expanded interface.
type ifRow struct {
	Interface
	name string
	mac  []byte
}

func render(dev Device, sc *lab.Scenario) ([]byte, error) {
	node, ok := sc.Node(dev.Node)
	if !ok {
		return nil, fmt.Errorf("node %q is not in scenario %s", dev.Node, sc.Name)
	}
	if node.SNMPSim == nil || node.SNMPSim.Recording != dev.File {
		return nil, fmt.Errorf("node %s must serve it (snmpsim: {recording: %s})", dev.Node, dev.File)
	}
	eps := map[string]lab.Endpoint{}
	for _, ep := range sc.Endpoints(dev.Node) {
		eps[ep.If] = ep
	}
	r := &rec{}
	idx0 := []int{0}
	sys := dev.System
	r.str(oidSystem+".1", idx0, sys.Descr)
	r.add(oidSystem+".2", idx0, "6", sys.ObjectID)
	r.add(oidSystem+".3", idx0, "67", strconv.Itoa(sys.UptimeS*100))
	r.str(oidSystem+".4", idx0, sys.Contact)
	r.str(oidSystem+".5", idx0, dev.Node)
	r.str(oidSystem+".6", idx0, sys.Location)
	r.int(oidSystem+".7", idx0, sys.Services)

	// Interfaces.
	var ifs []ifRow
	byIndex := map[int]*ifRow{}
	byNodeIf := map[string]int{}
	for _, in := range dev.Interfaces {
		n := max(in.Count, 1)
		for k := 0; k < n; k++ {
			x := ifRow{Interface: in}
			x.Index = in.Index + k
			x.name = strings.ReplaceAll(in.Name, "{n}", strconv.Itoa(in.First+k))
			switch {
			case in.NodeIf != "":
				ep, ok := eps[in.NodeIf]
				if !ok {
					return nil, fmt.Errorf("interface %s: node %s has no interface %q", x.name, dev.Node, in.NodeIf)
				}
				if ep.MAC == "" {
					return nil, fmt.Errorf("interface %s: %s %s has no mac in the scenario", x.name, dev.Node, in.NodeIf)
				}
				x.mac = mustMAC(ep.MAC)
				byNodeIf[in.NodeIf] = x.Index
			case in.MAC != "":
				x.mac = mustMAC(in.MAC)
			}
			if byIndex[x.Index] != nil {
				return nil, fmt.Errorf("ifIndex %d used twice", x.Index)
			}
			ifs = append(ifs, x)
			byIndex[x.Index] = &ifs[len(ifs)-1]
		}
	}
	// A physical port is up only where the scenario plugs something in.
	plugged := map[int]bool{}
	for _, l := range dev.LLDP {
		plugged[l.IfIndex] = true
	}
	for _, a := range dev.Attach {
		for _, br := range dev.BridgePorts {
			if a.Port >= br.Port && a.Port < br.Port+br.Count {
				plugged[br.IfIndex+a.Port-br.Port] = true
			}
		}
	}
	for _, x := range ifs {
		if x.NodeIf != "" {
			plugged[x.Index] = true
		}
	}
	r.int(oidIfNumber, nil, len(ifs))
	for _, x := range ifs {
		i := []int{x.Index}
		descr := x.Descr
		if descr == "" {
			descr = x.name
		}
		mtu := x.MTU
		if mtu == 0 {
			mtu = 1500
		}
		oper := 1
		if x.Down || (x.Type == 6 && !plugged[x.Index]) {
			oper = 2
		}
		r.int(oidIfEntry+".1", i, x.Index)
		r.str(oidIfEntry+".2", i, descr)
		r.int(oidIfEntry+".3", i, x.Type)
		r.int(oidIfEntry+".4", i, mtu)
		r.add(oidIfEntry+".5", i, "66", strconv.FormatUint(min(x.Speed, 4294967295), 10))
		r.bytes(oidIfEntry+".6", i, x.mac)
		r.int(oidIfEntry+".7", i, 1)
		r.int(oidIfEntry+".8", i, oper)
		r.str(oidIfXEntry+".1", i, x.name)
		r.add(oidIfXEntry+".15", i, "66", strconv.FormatUint(x.Speed/1000000, 10))
		r.str(oidIfXEntry+".18", i, x.Alias)
	}

	fwd := 2
	if dev.Forwarding {
		fwd = 1
	}
	r.int(oidIPForward, nil, fwd)
	if dev.L3 {
		if err := l3Tables(r, dev, node, eps, byNodeIf); err != nil {
			return nil, err
		}
	}
	if dev.LAN != "" {
		if err := bridgeTables(r, dev, sc, byIndex, ifs); err != nil {
			return nil, err
		}
	}
	if err := lldpTables(r, dev, sc, byIndex, ifs); err != nil {
		return nil, err
	}
	for _, e := range dev.Entities {
		i := []int{e.Index}
		fru := 2
		if e.FRU {
			fru = 1
		}
		r.str(oidEntPhys+".2", i, e.Descr)
		r.add(oidEntPhys+".3", i, "6", "0.0")
		r.int(oidEntPhys+".4", i, e.ContainedIn)
		r.int(oidEntPhys+".5", i, e.Class)
		r.int(oidEntPhys+".6", i, e.RelPos)
		r.str(oidEntPhys+".7", i, e.Name)
		r.str(oidEntPhys+".8", i, e.HardwareRev)
		r.str(oidEntPhys+".9", i, e.FirmwareRev)
		r.str(oidEntPhys+".10", i, e.SoftwareRev)
		r.str(oidEntPhys+".11", i, e.Serial)
		r.str(oidEntPhys+".12", i, e.MfgName)
		r.str(oidEntPhys+".13", i, e.Model)
		r.int(oidEntPhys+".16", i, fru)
	}
	if len(dev.Software) > 0 {
		r.add(oidHrUptime, nil, "67", strconv.Itoa(sys.UptimeS*100))
		for k, s := range dev.Software {
			i := []int{k + 1}
			date, err := dateAndTime(s.Date)
			if err != nil {
				return nil, fmt.Errorf("software %q: %w", s.Name, err)
			}
			r.int(oidHrSW+".1", i, k+1)
			r.str(oidHrSW+".2", i, s.Name)
			r.add(oidHrSW+".3", i, "6", "0.0")
			r.int(oidHrSW+".4", i, 4) // application
			r.bytes(oidHrSW+".5", i, date)
		}
	}
	return r.bytesOut(), nil
}

// l3Tables serves the node's own addresses and routes: connected networks
// plus the scenario's static routes.
func l3Tables(r *rec, dev Device, node *lab.Node, eps map[string]lab.Endpoint, byNodeIf map[string]int) error {
	type conn struct {
		p       netip.Prefix
		ifIndex int
	}
	var conns []conn
	for ifName, ifIndex := range byNodeIf {
		ep := eps[ifName]
		for _, a := range append([]string{ep.Addr}, ep.Addrs...) {
			if a == "" {
				continue
			}
			p, err := netip.ParsePrefix(a)
			if err != nil {
				return fmt.Errorf("address %q: %w", a, err)
			}
			conns = append(conns, conn{p, ifIndex})
			i := ipIdx(p.Addr())
			r.add(oidIPAddr+".1", i, "64", p.Addr().String())
			r.int(oidIPAddr+".2", i, ifIndex)
			r.add(oidIPAddr+".3", i, "64", maskOf(p.Bits()))
		}
	}
	if len(conns) == 0 {
		return errors.New("l3: no interface is bound to a node interface with an address")
	}
	route := func(dst netip.Prefix, ifIndex int, nextHop string, typ, proto int) {
		i := ipIdx(dst.Addr())
		r.add(oidIPRoute+".1", i, "64", dst.Addr().String())
		r.int(oidIPRoute+".2", i, ifIndex)
		r.int(oidIPRoute+".3", i, 1)
		r.add(oidIPRoute+".7", i, "64", nextHop)
		r.int(oidIPRoute+".8", i, typ)
		r.int(oidIPRoute+".9", i, proto)
		r.add(oidIPRoute+".11", i, "64", maskOf(dst.Bits()))
	}
	for _, c := range conns {
		route(c.p.Masked(), c.ifIndex, c.p.Addr().String(), 3, 2) // direct, local
	}
	for _, rt := range node.Routes {
		dst := netip.MustParsePrefix("0.0.0.0/0")
		if rt.To != "default" {
			dst = netip.MustParsePrefix(rt.To)
		}
		via := netip.MustParseAddr(rt.Via)
		ifIndex := 0
		for _, c := range conns {
			if c.p.Contains(via) {
				ifIndex = c.ifIndex
			}
		}
		if ifIndex == 0 {
			return fmt.Errorf("l3: route %s via %s leaves by an interface the recording does not have", rt.To, rt.Via)
		}
		route(dst, ifIndex, rt.Via, 4, 3) // indirect, netmgmt (static)
	}
	return nil
}

// bridgeTables derives the switch's bridge, FDB and VLAN tables from the
// LAN it stands for: every other member of the LAN is learned on the port
// it is attached to, with the MAC the scenario gives its interface.
func bridgeTables(r *rec, dev Device, sc *lab.Scenario, byIndex map[int]*ifRow, ifs []ifRow) error {
	var lan *lab.LAN
	for i := range sc.LANs {
		if sc.LANs[i].Name == dev.LAN {
			lan = &sc.LANs[i]
		}
	}
	if lan == nil {
		return fmt.Errorf("lan %q is not in the scenario", dev.LAN)
	}
	portIf := map[int]int{}
	maxPort := 0
	for _, br := range dev.BridgePorts {
		for k := 0; k < br.Count; k++ {
			p, ifx := br.Port+k, br.IfIndex+k
			if byIndex[ifx] == nil {
				return fmt.Errorf("bridge port %d: no ifIndex %d", p, ifx)
			}
			if _, dup := portIf[p]; dup {
				return fmt.Errorf("bridge port %d mapped twice", p)
			}
			portIf[p] = ifx
			maxPort = max(maxPort, p)
		}
	}
	own := bridgeMAC(ifs)
	if own == nil {
		return errors.New("bridge: no interface with a MAC for dot1dBaseBridgeAddress")
	}
	r.bytes(oidBridgeBase+".1", []int{0}, own)
	r.int(oidBridgeBase+".2", []int{0}, len(portIf))
	r.int(oidBridgeBase+".3", []int{0}, 2) // transparent-only
	for p, ifx := range portIf {
		r.int(oidBasePort+".1", []int{p}, p)
		r.int(oidBasePort+".2", []int{p}, ifx)
	}
	attached := map[string]Attach{}
	for _, a := range dev.Attach {
		if _, ok := portIf[a.Port]; !ok {
			return fmt.Errorf("attach %s: port %d is not a bridge port", a.Node, a.Port)
		}
		attached[a.Node] = a
	}
	vlanOK := map[int]bool{}
	for _, v := range dev.VLANs {
		vlanOK[v.ID] = true
	}
	for _, m := range lan.Members {
		if m.Node == dev.Node {
			continue
		}
		a, ok := attached[m.Node]
		if !ok {
			return fmt.Errorf("lan %s member %s is not attached to a port", lan.Name, m.Node)
		}
		if m.MAC == "" {
			return fmt.Errorf("lan %s member %s has no mac in the scenario", lan.Name, m.Node)
		}
		if !vlanOK[a.VLAN] {
			return fmt.Errorf("attach %s: vlan %d is not declared", m.Node, a.VLAN)
		}
		i := append([]int{a.VLAN}, macIdx(mustMAC(m.MAC))...)
		r.int(oidQFdb+".2", i, a.Port)
		r.int(oidQFdb+".3", i, 3) // learned
		delete(attached, m.Node)
	}
	for n := range attached {
		return fmt.Errorf("attach %s: not a member of lan %s", n, lan.Name)
	}
	for _, v := range dev.VLANs {
		untagged, err := portList(v.Untagged, maxPort)
		if err != nil {
			return fmt.Errorf("vlan %d untagged: %w", v.ID, err)
		}
		tagged, err := portList(v.Tagged, maxPort)
		if err != nil {
			return fmt.Errorf("vlan %d tagged: %w", v.ID, err)
		}
		egress := make([]byte, len(untagged))
		for k := range egress {
			egress[k] = untagged[k] | tagged[k]
		}
		i := []int{v.ID}
		r.str(oidQVlanStat+".1", i, v.Name)
		r.bytes(oidQVlanStat+".2", i, egress)
		r.bytes(oidQVlanStat+".4", i, untagged)
		r.int(oidQVlanStat+".5", i, 1) // active
	}
	return nil
}

// lldpTables serves the local chassis and ports and one remote per LLDP entry.
func lldpTables(r *rec, dev Device, sc *lab.Scenario, byIndex map[int]*ifRow, ifs []ifRow) error {
	if len(dev.LLDP) == 0 {
		return nil
	}
	own := bridgeMAC(ifs)
	r.int(oidLLDPLoc+".1", []int{0}, 4) // chassis id is a MAC
	r.bytes(oidLLDPLoc+".2", []int{0}, own)
	r.str(oidLLDPLoc+".3", []int{0}, dev.Node)
	for _, x := range ifs {
		if x.Type != 6 {
			continue
		}
		i := []int{x.Index}
		r.int(oidLLDPLoc+".7.1.2", i, 5) // interfaceName
		r.str(oidLLDPLoc+".7.1.3", i, x.name)
		r.str(oidLLDPLoc+".7.1.4", i, x.name)
	}
	for k, l := range dev.LLDP {
		if byIndex[l.IfIndex] == nil {
			return fmt.Errorf("lldp: no ifIndex %d", l.IfIndex)
		}
		var mac string
		for _, ep := range sc.Endpoints(l.Node) {
			if ep.If == l.If {
				mac = ep.MAC
			}
		}
		if mac == "" {
			return fmt.Errorf("lldp: %s %s has no mac in the scenario", l.Node, l.If)
		}
		i := []int{0, l.IfIndex, k + 1}
		r.int(oidLLDPRem+".4", i, 4)
		r.bytes(oidLLDPRem+".5", i, mustMAC(mac))
		r.int(oidLLDPRem+".6", i, 5)
		r.str(oidLLDPRem+".7", i, l.If)
		r.str(oidLLDPRem+".8", i, l.If)
		r.str(oidLLDPRem+".9", i, l.Node)
		r.str(oidLLDPRem+".10", i, l.SysDescr)
	}
	return nil
}

// bridgeMAC is the first interface MAC: the device's base address.
func bridgeMAC(ifs []ifRow) []byte {
	for _, x := range ifs {
		if x.mac != nil {
			return x.mac
		}
	}
	return nil
}

func mustMAC(s string) []byte {
	var b []byte
	for _, p := range strings.Split(s, ":") {
		v, err := strconv.ParseUint(p, 16, 8)
		if err != nil {
			panic("recgen: bad MAC " + s) // the scenario validated it
		}
		b = append(b, byte(v))
	}
	return b
}

func macIdx(mac []byte) []int {
	out := make([]int, len(mac))
	for i, b := range mac {
		out[i] = int(b)
	}
	return out
}

func ipIdx(a netip.Addr) []int {
	b := a.As4()
	return []int{int(b[0]), int(b[1]), int(b[2]), int(b[3])}
}

func maskOf(bits int) string {
	var m [4]byte
	for i := 0; i < bits; i++ {
		m[i/8] |= 0x80 >> (i % 8)
	}
	return netip.AddrFrom4(m).String()
}

// portList renders "1-11,13" as a Q-BRIDGE PortList (port 1 = the high bit
// of the first octet).
func portList(spec string, maxPort int) ([]byte, error) {
	out := make([]byte, (maxPort+7)/8)
	if strings.TrimSpace(spec) == "" {
		return out, nil
	}
	for _, part := range strings.Split(spec, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("port list %q: %w", spec, err)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				return nil, fmt.Errorf("port list %q: %w", spec, err)
			}
		}
		for p := a; p <= b; p++ {
			if p < 1 || p > maxPort {
				return nil, fmt.Errorf("port list %q: port %d out of 1-%d", spec, p, maxPort)
			}
			out[(p-1)/8] |= 0x80 >> ((p - 1) % 8)
		}
	}
	return out, nil
}

// dateAndTime encodes YYYY-MM-DD as an 8-octet SNMPv2-TC DateAndTime.
func dateAndTime(s string) ([]byte, error) {
	if s == "" {
		s = "2024-01-01"
	}
	var y, m, d int
	if _, err := fmt.Sscanf(s, "%4d-%2d-%2d", &y, &m, &d); err != nil {
		return nil, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return []byte{byte(y >> 8), byte(y), byte(m), byte(d), 0, 0, 0, 0}, nil
}
