// Package method is the one shape every discovery method has: a name, the
// phase it runs in, and Run(ctx, Input) (Batch, error). Probe packages
// build their Method beside the probe (agent/probe/<x>/method.go) and
// agent/discover lists them, in order, in its registry; this package holds
// only the shape, so probes and the orchestrator share it without
// importing each other.
package method

import (
	"context"
	"net/netip"
	"time"

	"github.com/egovnet/egovnet/internal/wire"
)

// Phase says when a method runs and which Input fields it reads.
type Phase int

const (
	// Sweep methods find live addresses from the scope alone (icmp, arp,
	// nd); they run at once, side by side. Reads Scope and Skip.
	Sweep Phase = iota
	// Connect (tcp) runs after the sweeps: the full port list on live
	// addresses, discovery ports on the silent rest. Reads Addrs, Ports.
	Connect
	// Annotate methods read tables the sweep filled (the kernel's neighbour
	// table); their batch only adds facts to endpoints already found.
	Annotate
	// Follow methods ask live addresses more (udp, snmp, dns). Reads Addrs.
	Follow
	// Pages methods read open web ports (http). Reads Web.
	Pages
	// Independent methods need no scope (path, host); they run with the
	// sweeps. Reads Paths.
	Independent
)

// Method is one discovery method.
type Method struct {
	Name  string
	Phase Phase
	Run   func(ctx context.Context, in Input) (Batch, error)
	// Covers returns the parts of the scope where this method, when it ran
	// without error, is complete: every live host there must answer it
	// (ARP on an attached IPv4 segment). Nil: nowhere.
	Covers func(scope []netip.Prefix) []netip.Prefix
	// Defers: this sweep leaves what other enabled sweeps cover to them
	// (ICMP leaves on-link segments to ARP: echo requests there would fill
	// the host's shared neighbour table, gc_thresh3, and lose replies).
	Defers bool
	// Extra methods are not wire seen_by names (http titles, dns names).
	Extra bool
	// Default: enabled when --methods is not given.
	Default bool
	// After names a method this one follows: enabled by default only when
	// that one is (http titles need tcp's open ports).
	After string
	// NeedsScope: the method probes scope addresses (refused without targets).
	NeedsScope bool
	// Help is the one-line description for --methods.
	Help string
}

// Input is what a method is given; each phase fills its fields.
type Input struct {
	Scope []netip.Prefix
	// Skip: parts of the scope other methods cover (for Defers sweeps).
	Skip  []netip.Prefix
	Addrs []netip.Addr
	Ports []int
	Web   []WebTarget
	Paths []PathTarget
}

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

// Name is one name learned for an address.
type Name struct {
	Addr netip.Addr
	Name wire.Name
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
	Names     []Name
	Devices   []wire.DeviceInventory // SNMP: only devices that answered
	Paths     []wire.Path
	Host      *wire.Host
	Failures  []Failure
	// AnnotateOnly: the batch's neighbours only add MACs to addresses other
	// methods proved alive (a cached neighbour entry may be stale).
	AnnotateOnly bool
}
