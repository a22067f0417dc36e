// Package discover runs one discovery scan: it drives every probe method
// over the configured scope, merges what each saw into one wire.Endpoint
// per address, walks the SNMP responders, adds paths and host facts, and
// produces the ScanReport. It owns the small function types each method
// must satisfy, so cmd wires the real probe packages in and tests wire
// fakes; a method that fails costs its own results, recorded in
// stats.errors, never the scan.
package discover

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/egovnet/egovnet/agent/oui"
	"github.com/egovnet/egovnet/agent/probe/tcp"
	"github.com/egovnet/egovnet/internal/wire"
)

// Alive is one address that answered a liveness probe.
type Alive struct {
	Addr netip.Addr
	RTT  time.Duration
}

// Neighbor is one address with its link-layer address (ARP / ND).
type Neighbor struct {
	Addr netip.Addr
	MAC  string
}

// Ports is what TCP connects proved about one address.
type Ports struct {
	Addr   netip.Addr
	Open   []int
	Closed []int // refused: the host is alive, the port closed
	RTT    time.Duration
}

// Service is a UDP (or TCP) service check that answered (VPN services).
type Service struct {
	Addr  netip.Addr
	Port  int
	Proto string // udp or tcp
	Name  string
}

// Web is what one web port answered.
type Web struct {
	Addr netip.Addr
	Info wire.HTTPInfo
}

// WebTarget is one open port worth asking for a title.
type WebTarget struct {
	Addr netip.Addr
	Port int
}

// PathTarget is one reference target to trace.
type PathTarget struct {
	Addr netip.Addr
	Kind string // internet, extranet, private or ""
}

// Failure is one target's failed probe.
type Failure struct {
	Target string
	Method string
	Err    error
}

// Batch is what one method call returns; each method fills its part.
type Batch struct {
	Probed    int64
	Alive     []Alive
	Neighbors []Neighbor
	Ports     []Ports
	Services  []Service
	Web       []Web
	Devices   []wire.DeviceInventory // SNMP: only devices that answered
	Paths     []wire.Path
	Host      *wire.Host
	Failures  []Failure
	// AnnotateOnly: the batch's neighbours only add MACs to addresses other
	// methods proved alive (a cached neighbour entry may be stale).
	AnnotateOnly bool
}

// Method function types. Each must honour ctx and return what it learned
// even when it also returns an error.
type (
	ScopeFunc func(ctx context.Context, scope []netip.Prefix) (Batch, error)
	TCPFunc   func(ctx context.Context, addrs []netip.Addr, ports []int) (Batch, error)
	LiveFunc  func(ctx context.Context, live []netip.Addr) (Batch, error)
	WebFunc   func(ctx context.Context, targets []WebTarget) (Batch, error)
	PathFunc  func(ctx context.Context, targets []PathTarget) (Batch, error)
	HostFunc  func(ctx context.Context) (Batch, error)
)

// Methods are the probe implementations; a nil field is a method this
// build or configuration does not offer.
type Methods struct {
	ICMP ScopeFunc
	ARP  ScopeFunc
	TCP  TCPFunc
	UDP  LiveFunc // VPN service checks on live hosts
	HTTP WebFunc  // titles of open web ports
	SNMP LiveFunc // walk every live host that answers SNMP
	Path PathFunc
	Host HostFunc
	// Neighbors reads the host's own neighbour table after the sweep (the
	// kernel resolved on-link hosts while ICMP/TCP probed them); it runs
	// when arp is enabled and needs no privileges.
	Neighbors HostFunc
	// OnLink reports whether an address is on a segment this host is
	// attached to. There an ARP scan that ran without error is complete:
	// an address that did not answer ARP cannot answer TCP either, so the
	// TCP discovery pass skips it.
	OnLink func(netip.Addr) bool
	// Vendor names a MAC's maker (agent/oui.Vendor).
	Vendor func(mac string) string
	// Role classifies an endpoint (agent/classify); forwards says its SNMP
	// tables show a router.
	Role func(e wire.Endpoint, forwards bool) string
}

// Request is one scan.
type Request struct {
	Scope       []netip.Prefix
	Ports       []int
	Enabled     map[string]bool // method names (wire.Method*), "http" for titles
	PathTargets []PathTarget
	Agent       wire.Agent
	// WebPorts selects the open ports asked for a title.
	WebPorts map[int]bool
	// DiscoveryPorts are the only TCP ports tried on addresses that ICMP
	// and ARP found silent (nil: DefaultDiscoveryPorts within Ports). Every
	// silent address costs a timeout per port, so a /24 that is mostly
	// empty would otherwise spend minutes on ports of hosts that are not
	// there. Addresses found alive get the full Ports list.
	DiscoveryPorts []int
	// Progress, when set, hears about phases (stderr on a terminal).
	Progress func(format string, args ...any)
	// MaxErrorDetails bounds stats.error_details (default 100).
	MaxErrorDetails int
	// Now replaces the clock (tests).
	Now func() time.Time
}

// DefaultDiscoveryPorts find hosts that drop ICMP: remote administration,
// web, and Windows file sharing, which nearly every host offers or refuses.
var DefaultDiscoveryPorts = []int{22, 23, 80, 135, 139, 443, 445, 3389, 8080}

// Method names accepted in Request.Enabled besides the wire.Method* ones.
const MethodHTTP = "http"

// Run performs the scan and builds the report. It never fails as a whole:
// a method's error is recorded in stats and the scan goes on. Cancelling
// ctx ends every method early and still returns the report of what was seen.
func Run(ctx context.Context, m Methods, req Request) *wire.ScanReport {
	now := req.Now
	if now == nil {
		now = time.Now
	}
	if req.MaxErrorDetails <= 0 {
		req.MaxErrorDetails = 100
	}
	progress := req.Progress
	if progress == nil {
		progress = func(string, ...any) {}
	}
	start := now()
	rep := &wire.ScanReport{
		Schema:    wire.SchemaScanV1,
		ReportID:  uuid.NewString(),
		Agent:     req.Agent,
		StartedAt: start.UTC(),
		Scope:     []string{},
		Endpoints: []wire.Endpoint{},
		Devices:   []wire.DeviceInventory{},
		Paths:     []wire.Path{},
	}
	for _, p := range req.Scope {
		rep.Scope = append(rep.Scope, p.String())
	}
	if m.Vendor == nil {
		m.Vendor = oui.Vendor
	}
	if m.Role == nil {
		m.Role = ClassifyRole
	}
	mg := newMerger(req.Scope, m)
	on := func(name string) bool { return req.Enabled[name] }

	// Phase 1: everything that needs only the scope or nothing, at once.
	var wg sync.WaitGroup
	var mu sync.Mutex
	collect := func(method string, b Batch, err error) {
		mu.Lock()
		defer mu.Unlock()
		mg.add(method, b, err)
	}
	launch := func(method string, f func() (Batch, error)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			progress("%s: started", method)
			b, err := safe(method, f)
			collect(method, b, err)
			progress("%s: done", method)
		}()
	}
	hasScope := len(req.Scope) > 0
	fastLiveness := hasScope && ((on(wire.MethodICMP) && m.ICMP != nil) || (on(wire.MethodARP) && m.ARP != nil))
	runTCP := hasScope && on(wire.MethodTCP) && m.TCP != nil && len(req.Ports) > 0
	ranLiveness := fastLiveness || runTCP
	var all []netip.Addr
	if hasScope {
		all = tcp.Hosts(req.Scope)
	}
	if ranLiveness {
		mg.probed = int64(len(all))
	}
	if hasScope && on(wire.MethodICMP) && m.ICMP != nil {
		launch(wire.MethodICMP, func() (Batch, error) { return m.ICMP(ctx, req.Scope) })
	}
	if hasScope && on(wire.MethodARP) && m.ARP != nil {
		launch(wire.MethodARP, func() (Batch, error) { return m.ARP(ctx, req.Scope) })
	}
	if runTCP && !fastLiveness {
		launch(wire.MethodTCP, func() (Batch, error) { return m.TCP(ctx, all, req.Ports) })
	}
	if on(wire.MethodPath) && m.Path != nil && len(req.PathTargets) > 0 {
		launch(wire.MethodPath, func() (Batch, error) { return m.Path(ctx, req.PathTargets) })
	}
	if on(wire.MethodHost) && m.Host != nil {
		launch(wire.MethodHost, func() (Batch, error) { return m.Host(ctx) })
	}
	wg.Wait()
	if runTCP && fastLiveness {
		progress("tcp: started")
		arpComplete := on(wire.MethodARP) && m.ARP != nil && m.OnLink != nil && !mg.failed[wire.MethodARP]
		tcpStaged(ctx, m.TCP, all, req, mg, collect, arpComplete, m.OnLink)
		progress("tcp: done")
	}
	if hasScope && on(wire.MethodARP) && m.Neighbors != nil {
		b, err := safe("arp", func() (Batch, error) { return m.Neighbors(ctx) })
		b.Probed = 0
		collect(wire.MethodARP, b, err)
	}

	// Phase 2: follow-ups on what answered. When no liveness method ran
	// (e.g. --methods snmp), every scope address is a candidate instead.
	live := mg.liveAddrs()
	if !ranLiveness && hasScope {
		live = all
		mg.probed = max(mg.probed, int64(len(live)))
	}
	progress("%d live addresses", len(live))
	web := mg.webTargets(req.WebPorts) // before phase 2 writes to the merger
	if len(live) > 0 {
		if on(wire.MethodUDP) && m.UDP != nil {
			launch(wire.MethodUDP, func() (Batch, error) { return m.UDP(ctx, live) })
		}
		if on(wire.MethodSNMP) && m.SNMP != nil {
			launch(wire.MethodSNMP, func() (Batch, error) { return m.SNMP(ctx, live) })
		}
		if on(MethodHTTP) && m.HTTP != nil && len(web) > 0 {
			launch(MethodHTTP, func() (Batch, error) { return m.HTTP(ctx, web) })
		}
		wg.Wait()
	}

	rep.Endpoints = mg.endpoints()
	rep.Devices = mg.devices
	rep.Paths = mg.paths
	rep.Host = mg.host
	fin := now()
	if fin.Before(start) {
		fin = start
	}
	rep.FinishedAt = fin.UTC()
	rep.Stats = wire.Stats{
		AddressesProbed: mg.probed + mg.extra,
		DurationMs:      fin.Sub(start).Milliseconds(),
		Errors:          int64(len(mg.failures)),
	}
	for _, f := range pickFailures(mg.failures, req.MaxErrorDetails) {
		rep.Stats.ErrorDetails = append(rep.Stats.ErrorDetails, wire.ProbeError{Target: f.Target, Method: f.Method, Error: clip(f.Err.Error(), wire.MaxDescr)})
	}
	return rep
}

// pickFailures keeps at most n failures, taken round-robin across methods
// (in a fixed method order) so one noisy method cannot hide another's
// failure; within a method the first ones are kept.
func pickFailures(fs []Failure, n int) []Failure {
	by := map[string][]Failure{}
	var names []string
	for _, f := range fs {
		if _, ok := by[f.Method]; !ok {
			names = append(names, f.Method)
		}
		by[f.Method] = append(by[f.Method], f)
	}
	sort.Slice(names, func(i, j int) bool {
		return methodRank(names[i]) < methodRank(names[j]) || (methodRank(names[i]) == methodRank(names[j]) && names[i] < names[j])
	})
	var out []Failure
	for round := 0; len(out) < n; round++ {
		added := false
		for _, m := range names {
			if round < len(by[m]) && len(out) < n {
				out = append(out, by[m][round])
				added = true
			}
		}
		if !added {
			break
		}
	}
	return out
}

func methodRank(m string) int {
	for i, x := range methodOrder {
		if x == m {
			return i
		}
	}
	return len(methodOrder)
}

// tcpStaged probes the full port list on addresses ICMP/ARP found alive
// and only the discovery ports on the silent rest; a silent address that
// answers a discovery port then gets the remaining ports too.
func tcpStaged(ctx context.Context, f TCPFunc, all []netip.Addr, req Request, mg *merger, collect func(string, Batch, error),
	arpComplete bool, onLink func(netip.Addr) bool) {
	disc := req.DiscoveryPorts
	if disc == nil {
		for _, p := range DefaultDiscoveryPorts {
			if slices.Contains(req.Ports, p) {
				disc = append(disc, p)
			}
		}
	}
	if len(disc) == 0 || len(disc) >= len(req.Ports) {
		b, err := safe(wire.MethodTCP, func() (Batch, error) { return f(ctx, all, req.Ports) })
		collect(wire.MethodTCP, b, err)
		return
	}
	run := func(addrs []netip.Addr, ports []int) {
		if len(addrs) == 0 || len(ports) == 0 || ctx.Err() != nil {
			return
		}
		b, err := safe(wire.MethodTCP, func() (Batch, error) { return f(ctx, addrs, ports) })
		collect(wire.MethodTCP, b, err)
	}
	live := mg.liveAddrs() // only the main goroutine writes to mg here
	known := map[netip.Addr]bool{}
	for _, a := range live {
		known[a] = true
	}
	var silent []netip.Addr
	for _, a := range all {
		if !known[a] && !(arpComplete && onLink(a)) {
			silent = append(silent, a)
		}
	}
	run(live, req.Ports)
	run(silent, disc)
	var found []netip.Addr
	for _, a := range mg.liveAddrs() {
		if !known[a] {
			found = append(found, a)
		}
	}
	var rest []int
	for _, p := range req.Ports {
		if !slices.Contains(disc, p) {
			rest = append(rest, p)
		}
	}
	run(found, rest)
}

// safe runs one method behind a panic guard: a bug in one probe is that
// probe's failure, not the scan's.
func safe(method string, f func() (Batch, error)) (b Batch, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s probe panicked: %v", method, r)
		}
	}()
	return f()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func sortAddrs(a []netip.Addr) {
	sort.Slice(a, func(i, j int) bool { return a[i].Less(a[j]) })
}
