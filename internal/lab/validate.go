package lab

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// Address ranges a lab may use. Everything else is refused, so that no lab
// address can ever stand for a real host outside this machine.
var (
	privateRanges = []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"),
	}
	// PublicRanges are the documentation ranges that stand for the internet.
	PublicRanges = []netip.Prefix{
		netip.MustParsePrefix("192.0.2.0/24"),
		netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("203.0.113.0/24"),
	}
)

// MaxNameLen bounds node and LAN names: namespaces are egl-<run>-<name> and
// LAN port interfaces p-<name> must stay within the kernel's 15 characters.
const MaxNameLen = 12

var (
	nameRe  = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	ifRe    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$`)
	deptRe  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
	recRe   = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$`)
	oidRe   = regexp.MustCompile(`^[0-9]+(\.[0-9]+)+$`)
	commRe  = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,64}$`)
	macRe   = regexp.MustCompile(`^[0-9a-f]{2}(:[0-9a-f]{2}){5}$`)
	oneLine = strings.NewReplacer("\n", " ", "\r", " ")
)

// allowedAddr reports whether a is a lab address (private or documentation range).
func allowedAddr(a netip.Addr) bool {
	for _, p := range privateRanges {
		if p.Contains(a) {
			return true
		}
	}
	for _, p := range PublicRanges {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// allowedPrefix reports whether every address of p is a lab address.
func allowedPrefix(p netip.Prefix) bool {
	for _, r := range append(append([]netip.Prefix{}, privateRanges...), PublicRanges...) {
		if r.Bits() <= p.Bits() && r.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

// problems collects every validation error with where it was found.
type problems []string

func (p *problems) add(where, format string, args ...any) {
	*p = append(*p, where+": "+fmt.Sprintf(format, args...))
}

// parseIfAddr parses "10.1.0.1/24" (IPv4 only).
func parseIfAddr(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an address/prefix-length", s)
	}
	if !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("%q: only IPv4 is supported", s)
	}
	if !allowedAddr(p.Addr()) {
		return netip.Prefix{}, fmt.Errorf("%q is outside the lab ranges (10/8, 172.16/12, 192.168/16, 192.0.2/24, 198.51.100/24, 203.0.113/24)", s)
	}
	return p, nil
}

// Validate checks the whole scenario and names every problem it finds.
func (s *Scenario) Validate() error {
	var pr problems
	if s.Name == "" {
		pr.add("name", "missing")
	}
	if len(s.Nodes) == 0 {
		pr.add("nodes", "at least one node is required")
	}
	names := map[string]string{} // node and LAN names share the namespace space
	owner := map[netip.Addr]string{}
	connected := map[string][]netip.Prefix{}
	local := map[string]map[netip.Addr]bool{}
	for i, n := range s.Nodes {
		where := fmt.Sprintf("nodes[%d]", i)
		if n.Name != "" {
			where += " (" + n.Name + ")"
		}
		checkName(&pr, where, n.Name)
		if prev, dup := names[n.Name]; dup && n.Name != "" {
			pr.add(where, "name %q already used by %s", n.Name, prev)
		}
		names[n.Name] = where
		if !kinds[n.Kind] {
			pr.add(where, "kind %q is not one of router, extranet-core, internet, private-network, host, agent", n.Kind)
		}
		if n.Department != "" && !deptRe.MatchString(n.Department) {
			pr.add(where, "department %q: letters, digits, _ and - only", n.Department)
		}
		if local[n.Name] == nil {
			local[n.Name] = map[netip.Addr]bool{}
		}
		for j, a := range n.Loopback {
			p, err := parseIfAddr(a)
			if err != nil {
				pr.add(fmt.Sprintf("%s: loopback[%d]", where, j), "%v", err)
				continue
			}
			claim(&pr, owner, p.Addr(), n.Name, fmt.Sprintf("%s: loopback[%d]", where, j))
			local[n.Name][p.Addr()] = true
		}
		for j, a := range n.AnyIP {
			p, err := netip.ParsePrefix(a)
			if err != nil || !p.Addr().Is4() || p != p.Masked() || !allowedPrefix(p) {
				pr.add(fmt.Sprintf("%s: anyip[%d]", where, j), "%q must be an IPv4 network prefix inside the lab ranges", a)
			}
		}
	}
	for i, l := range s.LANs {
		where := fmt.Sprintf("lans[%d]", i)
		if l.Name != "" {
			where += " (" + l.Name + ")"
		}
		checkName(&pr, where, l.Name)
		if prev, dup := names[l.Name]; dup && l.Name != "" {
			pr.add(where, "name %q already used by %s", l.Name, prev)
		}
		names[l.Name] = where
		if len(l.Members) < 2 {
			pr.add(where, "a LAN needs at least 2 members")
		}
		seen := map[string]bool{}
		for j, m := range l.Members {
			if seen[m.Node] {
				pr.add(fmt.Sprintf("%s: members[%d]", where, j), "node %q is already a member of this LAN", m.Node)
			}
			seen[m.Node] = true
		}
	}
	for i, l := range s.Links {
		where := fmt.Sprintf("links[%d]", i)
		if l.Name != "" {
			where += " (" + l.Name + ")"
		}
		if len(l.Ends) != 2 {
			pr.add(where, "a link has exactly 2 ends, got %d", len(l.Ends))
		} else if l.Ends[0].Node == l.Ends[1].Node {
			pr.add(where, "both ends on node %q", l.Ends[0].Node)
		}
	}
	// Endpoints: node exists, interface names unique per node, addresses, MACs.
	ifs := map[string]map[string]bool{}
	macs := map[string]string{}
	check := func(where string, ep Endpoint) {
		if ep.MAC != "" {
			if !macRe.MatchString(ep.MAC) || strings.ContainsRune("13579bdf", rune(ep.MAC[1])) || ep.MAC == "00:00:00:00:00:00" {
				pr.add(where, "mac %q: a unicast address in lower-case hex, like 02:00:0a:03:00:14", ep.MAC)
			} else if prev, dup := macs[ep.MAC]; dup {
				pr.add(where, "mac %s already used by %s", ep.MAC, prev)
			}
			macs[ep.MAC] = where
		}
		n, ok := s.Node(ep.Node)
		if !ok {
			pr.add(where, "node %q is not declared in nodes", ep.Node)
			return
		}
		if !ifRe.MatchString(ep.If) || ep.If == "lo" {
			pr.add(where, "interface name %q: 1-15 characters [A-Za-z0-9_.-], not lo", ep.If)
		}
		if ifs[n.Name] == nil {
			ifs[n.Name] = map[string]bool{}
		}
		if ifs[n.Name][ep.If] {
			pr.add(where, "interface %q declared twice on node %q", ep.If, n.Name)
		}
		ifs[n.Name][ep.If] = true
		if strings.ContainsAny(ep.Alias, "\n\r\"") || len(ep.Alias) > 64 {
			pr.add(where, "alias must be one line, no quotes, at most 64 bytes")
		}
		for _, a := range append([]string{ep.Addr}, ep.Addrs...) {
			if a == "" {
				continue
			}
			p, err := parseIfAddr(a)
			if err != nil {
				pr.add(where, "%v", err)
				continue
			}
			claim(&pr, owner, p.Addr(), n.Name, where)
			connected[n.Name] = append(connected[n.Name], p.Masked())
			local[n.Name][p.Addr()] = true
		}
	}
	for i, l := range s.Links {
		for j, ep := range l.Ends {
			check(fmt.Sprintf("links[%d].ends[%d]", i, j), ep)
		}
	}
	for i, l := range s.LANs {
		for j, ep := range l.Members {
			check(fmt.Sprintf("lans[%d].members[%d]", i, j), ep)
		}
	}
	var mgmtNet netip.Prefix
	if m := s.Management; m != nil {
		if _, ok := s.Node(m.Node); !ok {
			pr.add("management", "node %q is not declared in nodes", m.Node)
		}
		if m.Subnet != "" {
			p, err := netip.ParsePrefix(m.Subnet)
			if err != nil || p.Bits() != 30 || p != p.Masked() || !isPrivate(p.Addr()) {
				pr.add("management", "subnet %q must be a private IPv4 /30 network (10/8, 172.16/12, 192.168/16)", m.Subnet)
			} else {
				mgmtNet = p
				for a, who := range owner {
					if p.Contains(a) {
						pr.add("management", "subnet %s overlaps address %s of %s", p, a, who)
					}
				}
			}
		}
		for j, r := range m.Relays {
			where := fmt.Sprintf("management.relays[%d]", j)
			ap, err := netip.ParseAddrPort(r.Listen)
			if err != nil {
				pr.add(where, "listen %q must be ADDRESS:PORT", r.Listen)
			} else if !local[m.Node][ap.Addr()] {
				pr.add(where, "listen address %s is not an address of node %q", ap.Addr(), m.Node)
			}
			if r.Port < 1 || r.Port > 65535 {
				pr.add(where, "port %d out of range", r.Port)
			}
		}
	}
	for i, n := range s.Nodes {
		where := fmt.Sprintf("nodes[%d] (%s)", i, n.Name)
		for j, r := range n.Routes {
			rw := fmt.Sprintf("%s: routes[%d]", where, j)
			if r.To != "default" {
				p, err := netip.ParsePrefix(r.To)
				switch {
				case err != nil || !p.Addr().Is4():
					pr.add(rw, "to %q must be an IPv4 prefix or \"default\"", r.To)
				case p != p.Masked():
					pr.add(rw, "to %q has host bits set (did you mean %s?)", r.To, p.Masked())
				case p.Bits() != 0 && !allowedPrefix(p):
					pr.add(rw, "to %q is outside the lab ranges", r.To)
				}
			}
			via, err := netip.ParseAddr(r.Via)
			if err != nil || !via.Is4() {
				pr.add(rw, "via %q must be an IPv4 address", r.Via)
				continue
			}
			if mgmtNet.IsValid() && mgmtNet.Contains(via) {
				pr.add(rw, "via %s points into the management link: lab namespaces get no route toward the machine", via)
				continue
			}
			onLink := false
			for _, c := range connected[n.Name] {
				if c.Contains(via) {
					onLink = true
				}
			}
			if !onLink {
				pr.add(rw, "via %s is not on a connected subnet of %s", via, n.Name)
			}
		}
		checkServices(&pr, where, n, local[n.Name])
		checkHostFacts(&pr, where, n)
	}
	if len(pr) > 0 {
		return errors.New(strings.Join(pr, "\n"))
	}
	return nil
}

func isPrivate(a netip.Addr) bool {
	for _, p := range privateRanges {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func checkName(pr *problems, where, name string) {
	if name == "" {
		pr.add(where, "name missing")
		return
	}
	if len(name) > MaxNameLen || !nameRe.MatchString(name) {
		pr.add(where, "name %q: 1-%d characters a-z, 0-9 and - (not at either end)", name, MaxNameLen)
	}
}

func claim(pr *problems, owner map[netip.Addr]string, a netip.Addr, node, where string) {
	if prev, ok := owner[a]; ok && prev != node {
		pr.add(where, "address %s already used by node %q", a, prev)
		return
	}
	owner[a] = node
}

// checkServices validates a node's daemons and listeners.
func checkServices(pr *problems, where string, n Node, local map[netip.Addr]bool) {
	type key struct {
		proto string
		addr  string
		port  int
	}
	used := map[key]string{}
	take := func(w, proto, addr string, port int) {
		if port < 1 || port > 65535 {
			pr.add(w, "port %d out of range", port)
			return
		}
		if addr != "" {
			a, err := netip.ParseAddr(addr)
			if err != nil {
				pr.add(w, "address %q is not an IP address", addr)
				return
			}
			if !local[a] {
				pr.add(w, "address %s is not an address of node %q", a, n.Name)
			}
		}
		for k, prev := range used {
			if k.proto == proto && k.port == port && (k.addr == addr || k.addr == "" || addr == "") {
				pr.add(w, "%s port %d already used by %s", proto, port, prev)
				return
			}
		}
		used[key{proto, addr, port}] = w
	}
	if d := n.SNMPD; d != nil {
		w := where + ": snmpd"
		if !commRe.MatchString(d.Community) {
			pr.add(w, "community %q: 1-64 characters [A-Za-z0-9_.@-]", d.Community)
		}
		if d.Address == "" && len(local) == 0 {
			pr.add(w, "node has no address to listen on")
		}
		for _, s := range []string{d.SysName, d.Descr, d.Location, d.Contact} {
			if oneLine.Replace(s) != s {
				pr.add(w, "system fields must be one line")
			}
		}
		take(w, "udp", d.Address, d.Port)
	}
	if sim := n.SNMPSim; sim != nil {
		w := where + ": snmpsim"
		if !recRe.MatchString(sim.Recording) || strings.Contains(sim.Recording, "..") {
			pr.add(w, "recording %q must be a path under deploy/lab/recordings or the SNMP test data, like h3c-s5130-sfj or librenms/vrp_5720", sim.Recording)
		}
		for _, e := range sim.Exclude {
			if !oidRe.MatchString(e) {
				pr.add(w, "exclude %q must be a numeric OID like 1.3.6.1.2.1.4.21, or l3", e)
			}
		}
		if !commRe.MatchString(sim.Community) {
			pr.add(w, "community %q: 1-64 characters [A-Za-z0-9_.@-]", sim.Community)
		}
		if sim.Address == "" && len(local) == 0 {
			pr.add(w, "node has no address to listen on")
		}
		take(w, "udp", sim.Address, sim.Port)
	}
	for j, t := range n.TCP {
		w := fmt.Sprintf("%s: tcp[%d]", where, j)
		if len(t.Banner) > 512 {
			pr.add(w, "banner longer than 512 bytes")
		}
		take(w, "tcp", t.Address, t.Port)
	}
	for j, h := range n.HTTP {
		w := fmt.Sprintf("%s: http[%d]", where, j)
		if h.Title == "" {
			pr.add(w, "title missing")
		}
		take(w, "tcp", h.Address, h.Port)
	}
}

var dnsNameRe = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// checkHostFacts validates a node's software list and DNS settings.
func checkHostFacts(pr *problems, where string, n Node) {
	for i, sw := range n.Software {
		w := fmt.Sprintf("%s: software[%d]", where, i)
		if strings.TrimSpace(sw.Name) == "" {
			pr.add(w, "name missing")
		}
		for _, f := range []string{sw.Name, sw.Version, sw.Vendor} {
			if strings.ContainsAny(f, "\t\r\n") {
				pr.add(w, "%q: no tabs or line breaks (the software file is name<TAB>version<TAB>vendor lines)", f)
			}
		}
	}
	for i, d := range n.DNS {
		if a, err := netip.ParseAddr(d); err != nil || !a.Is4() || !allowedAddr(a) {
			pr.add(fmt.Sprintf("%s: dns[%d]", where, i), "%q must be an IPv4 lab address", d)
		}
	}
	if f := n.Firewall; f != nil {
		for i, ifName := range f.Masquerade {
			if !ifRe.MatchString(ifName) {
				pr.add(fmt.Sprintf("%s: firewall.masquerade[%d]", where, i), "interface name %q: 1-15 characters [A-Za-z0-9_.-]", ifName)
			}
		}
	}
	if d := n.DNSServer; d != nil {
		if len(d.Records) == 0 {
			pr.add(where+": dns_server", "no records")
		}
		for i, r := range d.Records {
			w := fmt.Sprintf("%s: dns_server.records[%d]", where, i)
			if !dnsNameRe.MatchString(r.Name) {
				pr.add(w, "name %q: lower-case host name", r.Name)
			}
			if a, err := netip.ParseAddr(r.A); err != nil || !a.Is4() || !allowedAddr(a) {
				pr.add(w, "a %q must be an IPv4 lab address", r.A)
			}
		}
	}
}
