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

	"github.com/egovnet/egovnet/agent/discover/method"
	"github.com/egovnet/egovnet/agent/oui"
	"github.com/egovnet/egovnet/agent/probe/tcp"
	"github.com/egovnet/egovnet/internal/wire"
)

// The shape every method shares lives in agent/discover/method; these
// aliases keep the orchestrator's callers to one import.
type (
	Method     = method.Method
	Input      = method.Input
	Batch      = method.Batch
	Alive      = method.Alive
	Neighbor   = method.Neighbor
	Ports      = method.Ports
	Service    = method.Service
	Web        = method.Web
	WebTarget  = method.WebTarget
	PathTarget = method.PathTarget
	Failure    = method.Failure
	Name       = method.Name
)

// Method function types of the typed form (Methods), kept for callers that
// wire functions directly (tests, fakes).
type (
	ScopeFunc func(ctx context.Context, scope []netip.Prefix) (Batch, error)
	TCPFunc   func(ctx context.Context, addrs []netip.Addr, ports []int) (Batch, error)
	LiveFunc  func(ctx context.Context, live []netip.Addr) (Batch, error)
	WebFunc   func(ctx context.Context, targets []WebTarget) (Batch, error)
	PathFunc  func(ctx context.Context, targets []PathTarget) (Batch, error)
	HostFunc  func(ctx context.Context) (Batch, error)
)

// Methods is the typed form of a method list, one field per classic
// method; Run turns it into registry values (List). A nil field is a
// method not offered.
type Methods struct {
	ICMP      ScopeFunc
	ARP       ScopeFunc
	TCP       TCPFunc
	UDP       LiveFunc // VPN service checks on live hosts
	HTTP      WebFunc  // titles of open web ports
	SNMP      LiveFunc // walk every live host that answers SNMP
	Path      PathFunc
	Host      HostFunc
	Neighbors HostFunc // the host's neighbour table after the sweep
	// OnLink reports whether an address is on a segment where an ARP scan
	// that ran without error is complete.
	OnLink func(netip.Addr) bool
	Hooks
}

// Hooks are the non-probe parts of a scan.
type Hooks struct {
	// Vendor names a MAC's maker (agent/oui.Vendor).
	Vendor func(mac string) string
	// Role classifies an endpoint (agent/classify); forwards says its SNMP
	// tables show a router.
	Role func(e wire.Endpoint, forwards bool) string
}

// List turns the typed form into method values.
func (m Methods) List() []Method {
	var out []Method
	if m.ICMP != nil {
		out = append(out, Method{Name: wire.MethodICMP, Phase: method.Sweep, Run: func(ctx context.Context, in Input) (Batch, error) { return m.ICMP(ctx, in.Scope) }})
	}
	if m.ARP != nil {
		a := Method{Name: wire.MethodARP, Phase: method.Sweep, Run: func(ctx context.Context, in Input) (Batch, error) { return m.ARP(ctx, in.Scope) }}
		if m.OnLink != nil {
			a.Covers = func(scope []netip.Prefix) []netip.Prefix { return addrsAsPrefixes(scope, m.OnLink) }
		}
		out = append(out, a)
	}
	if m.TCP != nil {
		out = append(out, Method{Name: wire.MethodTCP, Phase: method.Connect, Run: func(ctx context.Context, in Input) (Batch, error) { return m.TCP(ctx, in.Addrs, in.Ports) }})
	}
	if m.Neighbors != nil {
		out = append(out, Method{Name: wire.MethodARP, Phase: method.Annotate, Run: func(ctx context.Context, _ Input) (Batch, error) { return m.Neighbors(ctx) }})
	}
	if m.UDP != nil {
		out = append(out, Method{Name: wire.MethodUDP, Phase: method.Follow, Run: func(ctx context.Context, in Input) (Batch, error) { return m.UDP(ctx, in.Addrs) }})
	}
	if m.SNMP != nil {
		out = append(out, Method{Name: wire.MethodSNMP, Phase: method.Follow, Run: func(ctx context.Context, in Input) (Batch, error) { return m.SNMP(ctx, in.Addrs) }})
	}
	if m.HTTP != nil {
		out = append(out, Method{Name: MethodHTTP, Phase: method.Pages, Run: func(ctx context.Context, in Input) (Batch, error) { return m.HTTP(ctx, in.Web) }})
	}
	if m.Path != nil {
		out = append(out, Method{Name: wire.MethodPath, Phase: method.Independent, Run: func(ctx context.Context, in Input) (Batch, error) {
			if len(in.Paths) == 0 {
				return Batch{}, nil
			}
			return m.Path(ctx, in.Paths)
		}})
	}
	if m.Host != nil {
		out = append(out, Method{Name: wire.MethodHost, Phase: method.Independent, Run: func(ctx context.Context, _ Input) (Batch, error) { return m.Host(ctx) }})
	}
	return out
}

// addrsAsPrefixes lists the scope addresses where in holds, as host
// prefixes (the typed form's OnLink is a predicate, not a prefix list).
func addrsAsPrefixes(scope []netip.Prefix, in func(netip.Addr) bool) []netip.Prefix {
	var out []netip.Prefix
	for _, a := range hosts(scope) {
		if in(a) {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out
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

// Run performs the scan with the typed method set; see RunList.
func Run(ctx context.Context, m Methods, req Request) *wire.ScanReport {
	return RunList(ctx, m.List(), m.Hooks, req)
}

// RunList performs the scan and builds the report. It never fails as a
// whole: a method's error is recorded in stats and the scan goes on.
// Cancelling ctx ends every method early and still returns the report of
// what was seen. Methods run by phase (see method.Phase); within a phase in
// list order, concurrently.
func RunList(ctx context.Context, ms []Method, hk Hooks, req Request) *wire.ScanReport {
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
	if hk.Vendor == nil {
		hk.Vendor = oui.Vendor
	}
	if hk.Role == nil {
		hk.Role = ClassifyRole
	}
	mg := newMerger(req.Scope, hk)
	var enabled []Method
	for _, m := range ms {
		if m.Run != nil && req.Enabled[m.Name] {
			enabled = append(enabled, m)
		}
	}
	phase := func(ph method.Phase) []Method {
		var out []Method
		for _, m := range enabled {
			if m.Phase == ph {
				out = append(out, m)
			}
		}
		return out
	}

	// Phase 1: everything that needs only the scope or nothing, at once.
	var wg sync.WaitGroup
	var mu sync.Mutex
	collect := func(name string, b Batch, err error) {
		mu.Lock()
		defer mu.Unlock()
		mg.add(name, b, err)
	}
	launch := func(m Method, in Input) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			progress("%s: started", m.Name)
			b, err := safe(m.Name, func() (Batch, error) { return m.Run(ctx, in) })
			collect(m.Name, b, err)
			progress("%s: done", m.Name)
		}()
	}
	hasScope := len(req.Scope) > 0
	sweeps := phase(method.Sweep)
	connects := phase(method.Connect)
	if !hasScope {
		sweeps, connects = nil, nil
	}
	if len(req.Ports) == 0 {
		connects = nil
	}
	fastLiveness := len(sweeps) > 0
	ranLiveness := fastLiveness || len(connects) > 0
	var all []netip.Addr
	if hasScope {
		all = hosts(req.Scope)
	}
	if ranLiveness {
		mg.probed = int64(len(all))
	}
	covers := map[string][]netip.Prefix{}
	for _, m := range sweeps {
		if m.Covers != nil {
			covers[m.Name] = m.Covers(req.Scope)
		}
	}
	for _, m := range sweeps {
		in := Input{Scope: req.Scope}
		if m.Defers {
			for name, c := range covers {
				if name != m.Name {
					in.Skip = append(in.Skip, c...)
				}
			}
		}
		launch(m, in)
	}
	if !fastLiveness {
		for _, m := range connects {
			launch(m, Input{Addrs: all, Ports: req.Ports})
		}
	}
	for _, m := range phase(method.Independent) {
		launch(m, Input{Paths: req.PathTargets})
	}
	wg.Wait()
	if fastLiveness {
		// Where a sweep that ran without error is complete, a silent
		// address cannot answer TCP either.
		var complete []netip.Prefix
		for name, c := range covers {
			if !mg.failed[name] {
				complete = append(complete, c...)
			}
		}
		for _, m := range connects {
			progress("%s: started", m.Name)
			tcpStaged(ctx, m, all, req, mg, collect, complete)
			progress("%s: done", m.Name)
		}
	}
	if hasScope {
		for _, m := range phase(method.Annotate) {
			b, err := safe(m.Name, func() (Batch, error) { return m.Run(ctx, Input{Scope: req.Scope}) })
			b.Probed = 0
			collect(m.Name, b, err)
		}
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
		for _, m := range phase(method.Follow) {
			launch(m, Input{Addrs: live})
		}
		if len(web) > 0 {
			for _, m := range phase(method.Pages) {
				launch(m, Input{Web: web})
			}
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
	// Devices and hosts write what they like into names and aliases; a
	// control character in one must not get the whole report refused.
	wire.Sanitize(rep)
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

// tcpStaged probes the full port list on addresses the sweeps found alive
// and only the discovery ports on the silent rest (but not where a sweep is
// complete); a silent address that answers a discovery port then gets the
// remaining ports too.
func tcpStaged(ctx context.Context, m Method, all []netip.Addr, req Request, mg *merger, collect func(string, Batch, error),
	complete []netip.Prefix) {
	disc := req.DiscoveryPorts
	if disc == nil {
		for _, p := range DefaultDiscoveryPorts {
			if slices.Contains(req.Ports, p) {
				disc = append(disc, p)
			}
		}
	}
	run := func(addrs []netip.Addr, ports []int) {
		if len(addrs) == 0 || len(ports) == 0 || ctx.Err() != nil {
			return
		}
		b, err := safe(m.Name, func() (Batch, error) { return m.Run(ctx, Input{Addrs: addrs, Ports: ports}) })
		collect(m.Name, b, err)
	}
	if len(disc) == 0 || len(disc) >= len(req.Ports) {
		b, err := safe(m.Name, func() (Batch, error) { return m.Run(ctx, Input{Addrs: all, Ports: req.Ports}) })
		collect(m.Name, b, err)
		return
	}
	live := mg.liveAddrs() // only the main goroutine writes to mg here
	known := make(map[netip.Addr]bool, len(live))
	for _, a := range live {
		known[a] = true
	}
	inComplete := func(a netip.Addr) bool {
		for _, p := range complete {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	var silent []netip.Addr
	for _, a := range all {
		if !known[a] && !inComplete(a) {
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

// hosts lists the scope's host addresses once each.
var hosts = tcp.Hosts

func sortAddrs(a []netip.Addr) {
	sort.Slice(a, func(i, j int) bool { return a[i].Less(a[j]) })
}
