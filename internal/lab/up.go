package lab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Options configure Up.
type Options struct {
	StateDir string       // default DefaultStateDir
	Run      string       // run id; random when empty
	Self     string       // egovnet-lab binary (runs serve-tcp, serve-http, serve-relay in the namespaces); default os.Executable
	SNMPData string       // folder of SNMP recordings (../shared/testdata/snmp)
	Log      *slog.Logger // default: discard
	// Workers bounds how many namespaces are configured at once (default 8).
	Workers int
}

func (o *Options) defaults() error {
	if o.StateDir == "" {
		o.StateDir = DefaultStateDir
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Self == "" {
		self, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find own binary: %w", err)
		}
		o.Self = self
	}
	return nil
}

// Up builds the scenario and starts its services. On failure everything it
// created is removed again and the error says what failed.
func Up(ctx context.Context, sc *Scenario, opt Options) (*State, error) {
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	if os.Geteuid() != 0 {
		return nil, ErrNotRoot
	}
	if err := checkTools(sc); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opt.StateDir, 0o755); err != nil {
		return nil, fmt.Errorf("create state dir: %w", err)
	}
	run, err := claimRun(opt.StateDir, opt.Run)
	if err != nil {
		return nil, err
	}
	st := &State{
		Run: run, Scenario: sc.Path, Name: sc.Name, Plan: sc.PlanPath(),
		Created: time.Now().UTC(), Dir: filepath.Join(opt.StateDir, run),
		Timings: map[string]string{},
	}
	for _, n := range sc.Nodes {
		st.Namespaces = append(st.Namespaces, Namespace(run, n.Name))
	}
	for _, l := range sc.LANs {
		st.Namespaces = append(st.Namespaces, Namespace(run, l.Name))
	}
	if sc.Management != nil {
		st.RootLinks = []string{MgmtRootIf(run)}
	}
	// The state file exists before anything is created: Down can always clean up.
	if err := st.save(opt.StateDir); err != nil {
		return nil, err
	}
	b := &builder{sc: sc, st: st, opt: opt, log: opt.Log.With("run", run)}
	if err := b.build(ctx); err != nil {
		b.log.Error("lab up failed, removing what was created", "err", err)
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		if derr := Down(cctx, opt.StateDir, st, opt.Log); derr != nil {
			err = errors.Join(err, fmt.Errorf("cleanup: %w", derr))
		}
		return nil, err
	}
	return st, nil
}

// ErrNotRoot is returned when the lab is used without root privileges.
var ErrNotRoot = errors.New("egovnet-lab needs root: it creates network namespaces, veth links and routes (run it with sudo, or use the loopback-only demo)")

func checkTools(sc *Scenario) error {
	need := []string{"ip", "sysctl"}
	for _, n := range sc.Nodes {
		if n.SNMPD != nil {
			need = append(need, "snmpd")
			for _, ep := range sc.Endpoints(n.Name) {
				if ep.Alias != "" {
					need = append(need, "snmpset")
				}
			}
		}
		if n.SNMPSim != nil {
			need = append(need, "snmpsimd")
		}
		if n.Firewall != nil {
			need = append(need, "nft")
		}
	}
	var missing []string
	seen := map[string]bool{}
	for _, t := range need {
		if seen[t] {
			continue
		}
		seen[t] = true
		if _, err := exec.LookPath(t); err != nil {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing tools: %s (apt-get install iproute2 procps snmpd snmp snmpsim nftables)", strings.Join(missing, ", "))
	}
	return nil
}

// claimRun picks (or checks) a run id no state file or namespace uses yet.
func claimRun(dir, want string) (string, error) {
	free := func(id string) bool {
		if _, err := os.Stat(statePath(dir, id)); err == nil {
			return false
		}
		entries, _ := os.ReadDir("/run/netns")
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), NamespacePrefix+id+"-") {
				return false
			}
		}
		return true
	}
	if want != "" {
		if !ValidRun(want) {
			return "", fmt.Errorf("run id %q: want 4 characters a-z0-9", want)
		}
		if !free(want) {
			return "", fmt.Errorf("run id %q is already in use", want)
		}
		return want, nil
	}
	for range 100 {
		if id := NewRunID(); free(id) {
			return id, nil
		}
	}
	return "", errors.New("no free run id found")
}

type builder struct {
	sc  *Scenario
	st  *State
	opt Options
	log *slog.Logger
}

func (b *builder) timed(step string, f func() error) error {
	t0 := time.Now()
	err := f()
	b.st.Timings[step] = time.Since(t0).Round(time.Millisecond).String()
	b.log.Debug("lab step", "step", step, "took", b.st.Timings[step], "err", err)
	return err
}

func (b *builder) ns(name string) string { return Namespace(b.st.Run, name) }

func (b *builder) build(ctx context.Context) error {
	t0 := time.Now()
	if err := os.MkdirAll(b.st.Dir, 0o755); err != nil {
		return fmt.Errorf("create run dir: %w", err)
	}
	b.fillNodeStates()
	steps := []struct {
		name string
		f    func(context.Context) error
	}{
		{"namespaces", b.createNamespaces},
		{"sysctl", b.sysctls},
		{"links", b.createLinks},
		{"addresses_routes", b.configureNodes},
		{"management", b.management},
		{"resolvers", b.resolvers},
		{"firewalls", b.firewalls},
		{"services", b.startServices},
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := b.timed(s.name, func() error { return s.f(ctx) }); err != nil {
			_ = b.st.save(b.opt.StateDir)
			return err
		}
	}
	b.st.Timings["total"] = time.Since(t0).Round(time.Millisecond).String()
	return b.st.save(b.opt.StateDir)
}

func (b *builder) createNamespaces(ctx context.Context) error {
	lines := make([]string, 0, len(b.st.Namespaces))
	for _, ns := range b.st.Namespaces {
		lines = append(lines, "netns add "+ns)
	}
	return ipBatch(ctx, "", lines)
}

func (b *builder) sysctls(ctx context.Context) error {
	type item struct {
		ns      string
		forward bool
	}
	var items []item
	for _, n := range b.sc.Nodes {
		items = append(items, item{b.ns(n.Name), n.Forwarding()})
	}
	for _, l := range b.sc.LANs {
		items = append(items, item{b.ns(l.Name), false})
	}
	return parallel(b.opt.Workers, len(items), func(i int) error {
		it := items[i]
		fwd := "0"
		if it.forward {
			fwd = "1"
		}
		_, err := run(ctx, "ip", "netns", "exec", it.ns, "sysctl", "-q", "-w",
			"net.ipv4.ip_forward="+fwd,
			"net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
			// every hop answers traceroute, however fast the probes come
			"net.ipv4.icmp_ratelimit=0",
			// IPv4 only: no IPv6 link-local chatter or neighbours in the lab
			"net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
		if err != nil {
			return fmt.Errorf("sysctl in %s: %w", it.ns, err)
		}
		return nil
	})
}

// lanPort is the bridge-side interface of a LAN member: p-<node> (<= 14 chars).
func lanPort(node string) string { return "p-" + node }

func (b *builder) createLinks(ctx context.Context) error {
	// Bridges first, one per LAN namespace.
	if err := parallel(b.opt.Workers, len(b.sc.LANs), func(i int) error {
		return ipBatch(ctx, b.ns(b.sc.LANs[i].Name), []string{
			"link set lo up",
			"link add br0 type bridge stp_state 0 forward_delay 0",
			"link set br0 up",
		})
	}); err != nil {
		return err
	}
	// Every veth is created directly inside its two namespaces: no name ever
	// appears in the root namespace, so concurrent runs cannot collide.
	var lines []string
	for _, l := range b.sc.Links {
		a, z := l.Ends[0], l.Ends[1]
		lines = append(lines, fmt.Sprintf("link add %s netns %s type veth peer name %s netns %s",
			a.If, b.ns(a.Node), z.If, b.ns(z.Node)))
	}
	for _, l := range b.sc.LANs {
		for _, m := range l.Members {
			lines = append(lines, fmt.Sprintf("link add %s netns %s type veth peer name %s netns %s",
				m.If, b.ns(m.Node), lanPort(m.Node), b.ns(l.Name)))
		}
	}
	if err := ipBatch(ctx, "", lines); err != nil {
		return err
	}
	return parallel(b.opt.Workers, len(b.sc.LANs), func(i int) error {
		l := b.sc.LANs[i]
		var lines []string
		for _, m := range l.Members {
			lines = append(lines, "link set "+lanPort(m.Node)+" master br0", "link set "+lanPort(m.Node)+" up")
		}
		return ipBatch(ctx, b.ns(l.Name), lines)
	})
}

func (b *builder) configureNodes(ctx context.Context) error {
	return parallel(b.opt.Workers, len(b.sc.Nodes), func(i int) error {
		n := b.sc.Nodes[i]
		lines := []string{"link set lo up"}
		for _, a := range n.Loopback {
			lines = append(lines, "addr add "+a+" dev lo")
		}
		for _, ep := range b.sc.Endpoints(n.Name) {
			for _, a := range append([]string{ep.Addr}, ep.Addrs...) {
				if a != "" {
					lines = append(lines, "addr add "+a+" dev "+ep.If)
				}
			}
			if ep.Alias != "" {
				lines = append(lines, "link set dev "+ep.If+" alias "+quote(ep.Alias))
			}
			if ep.MAC != "" {
				lines = append(lines, "link set dev "+ep.If+" address "+ep.MAC)
			}
			lines = append(lines, "link set "+ep.If+" up")
		}
		for _, p := range n.AnyIP {
			lines = append(lines, "route add local "+p+" dev lo")
		}
		for _, r := range n.Routes {
			lines = append(lines, "route add "+r.To+" via "+r.Via)
		}
		return ipBatch(ctx, b.ns(n.Name), lines)
	})
}

// management links the root namespace to one node over a private /30.
// The root side gets only the connected /30: it has no route to any lab
// address, and no lab node gets a route toward the machine.
func (b *builder) management(ctx context.Context) error {
	m := b.sc.Management
	if m == nil {
		return nil
	}
	subnet := m.Subnet
	if subnet == "" {
		// Concurrent ups pick under a lock and record their pick before
		// releasing it, so two runs never get the same /30.
		unlock, err := lockDir(b.opt.StateDir)
		if err != nil {
			return err
		}
		defer unlock()
		p, err := pickMgmtSubnet(b.opt.StateDir, b.st.Run)
		if err != nil {
			return err
		}
		subnet = p.String()
	}
	p := netip.MustParsePrefix(subnet)
	rootAddr := p.Addr().Next()
	nodeAddr := rootAddr.Next()
	ms := &MgmtState{
		Node: m.Node, Subnet: subnet, RootIf: MgmtRootIf(b.st.Run),
		RootAddr: rootAddr.String(), NodeAddr: nodeAddr.String(), Relays: m.Relays,
	}
	b.st.Management = ms
	if err := b.st.save(b.opt.StateDir); err != nil {
		return err
	}
	if err := ipBatch(ctx, "", []string{
		fmt.Sprintf("link add %s type veth peer name mgmt0 netns %s", ms.RootIf, b.ns(m.Node)),
		fmt.Sprintf("addr add %s/30 dev %s", rootAddr, ms.RootIf),
		"link set " + ms.RootIf + " up",
	}); err != nil {
		return err
	}
	return ipBatch(ctx, b.ns(m.Node), []string{
		fmt.Sprintf("addr add %s/30 dev mgmt0", nodeAddr),
		"link set dev mgmt0 alias " + quote("egovnet-lab management"),
		"link set mgmt0 up",
	})
}

// pickMgmtSubnet chooses a /30 in 172.31.240.0/20 that no other run and no
// root-namespace address or route uses.
func pickMgmtSubnet(stateDir, run string) (netip.Prefix, error) {
	used := []netip.Prefix{}
	states, _ := ListStates(stateDir)
	for _, st := range states {
		if st.Run != run && st.Management != nil {
			if p, err := netip.ParsePrefix(st.Management.Subnet); err == nil {
				used = append(used, p)
			}
		}
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil {
				used = append(used, p.Masked())
			}
		}
	}
	if out, err := exec.Command("ip", "-4", "route", "show", "table", "all").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			for _, tok := range f {
				if p, err := netip.ParsePrefix(tok); err == nil && p.Addr().Is4() && p.Bits() > 0 {
					used = append(used, p)
				}
			}
		}
	}
	base := netip.MustParsePrefix("172.31.240.0/20")
	// Start at a run-dependent offset so concurrent runs rarely race for one subnet.
	start := 0
	for _, c := range run {
		start = start*37 + int(c)
	}
	for k := range 1024 {
		idx := (start + k) % 1024
		a := base.Addr().As4()
		off := idx * 4
		a[2] += byte(off / 256)
		a[3] = byte(off % 256)
		cand := netip.PrefixFrom(netip.AddrFrom4(a), 30)
		clash := false
		for _, u := range used {
			if u.Overlaps(cand) {
				clash = true
				break
			}
		}
		if !clash {
			return cand, nil
		}
	}
	return netip.Prefix{}, errors.New("no free management /30 in 172.31.240.0/20")
}

func (b *builder) fillNodeStates() {
	b.st.Nodes = b.st.Nodes[:0]
	for _, n := range b.sc.Nodes {
		ns := NodeState{
			Name: n.Name, Kind: n.Kind, Label: n.Label, Department: n.Department,
			Namespace: b.ns(n.Name), Addrs: b.sc.NodeAddrs(n.Name), Software: n.Software,
		}
		if d := n.SNMPD; d != nil {
			ns.SNMP = append(ns.SNMP, SNMPAccess{Kind: "snmpd", Address: b.svcAddr(n.Name, d.Address), Port: d.Port, Community: d.Community})
		}
		if s := n.SNMPSim; s != nil {
			ns.SNMP = append(ns.SNMP, SNMPAccess{Kind: "snmpsim", Address: b.svcAddr(n.Name, s.Address), Port: s.Port, Community: s.Community, Recording: s.Recording})
		}
		b.st.Nodes = append(b.st.Nodes, ns)
	}
}

// svcAddr is the address a UDP service binds: the given one or the node's first.
func (b *builder) svcAddr(node, addr string) string {
	if addr != "" {
		return addr
	}
	return b.sc.FirstAddr(node)
}

// lockDir takes an exclusive lock on the state dir (released by the returned func).
func lockDir(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock state dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock state dir: %w", err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// EtcNetns is where `ip netns exec` finds per-namespace files: it bind-mounts
// /etc/netns/<ns>/resolv.conf over /etc/resolv.conf for what it runs.
const EtcNetns = "/etc/netns"

// resolvers gives nodes with dns: their own resolv.conf, so programs run in
// them (agents) resolve through the lab's DNS responder and nothing else.
func (b *builder) resolvers(context.Context) error {
	for _, n := range b.sc.Nodes {
		if len(n.DNS) == 0 {
			continue
		}
		dir := filepath.Join(EtcNetns, b.ns(n.Name))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("resolver dir: %w", err)
		}
		var c strings.Builder
		c.WriteString("# egovnet-lab run " + b.st.Run + " node " + n.Name + "\n")
		for _, s := range n.DNS {
			c.WriteString("nameserver " + s + "\n")
		}
		c.WriteString("options timeout:1 attempts:2\n")
		if err := os.WriteFile(filepath.Join(dir, "resolv.conf"), []byte(c.String()), 0o644); err != nil {
			return fmt.Errorf("write resolv.conf of %s: %w", n.Name, err)
		}
	}
	return nil
}

// firewalls loads each node's nftables rules inside its namespace.
func (b *builder) firewalls(ctx context.Context) error {
	for _, n := range b.sc.Nodes {
		if n.Firewall == nil {
			continue
		}
		cmd := exec.CommandContext(ctx, "ip", "netns", "exec", b.ns(n.Name), "nft", "-f", "-")
		cmd.Stdin = strings.NewReader(n.Firewall.NFTRuleset())
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("nft in %s: %w: %s", n.Name, err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}
