// Package snmp walks one SNMP device, or many at once, into a
// wire.DeviceInventory: system group, interfaces, addresses, ARP, routes,
// LLDP/CDP neighbours, installed software, VLANs, the bridge forwarding
// table (FDB, bridge ports mapped to ifIndexes), ENTITY-MIB hardware and
// MPLS-L3VPN VRFs with each VRF's routes and ARP (context walks). Devices
// whose IP-MIB has no IPv6 rows give their IPv6 neighbours and routes from
// IPV6-MIB instead (ipv6mib.go).
//
// Devices lie, choke and hang: every table is walked and decoded on its own
// behind a panic guard, a failed table is recorded in Errors and the walk goes
// on; GETBULK max-repetitions adapts per device (halved on timeout or tooBig,
// gosnmp #100, #498); each worker owns its own gosnmp client (sharing one, or
// copying it, would share SNMPv3 security state). An unknown community gets no
// reply at all, so credentials are tried with one short GET before walking.
//
// Agents pay per varbind and per request (snmpd and snmpsim alike), so the
// big tables are read by the columns that are decoded, several of them as
// repeaters of one GETBULK, and rows are keyed from the OID index, which is
// all many agents and recordings serve.
package snmp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/egovnet/egovnet/internal/wire"
)

// Version is the SNMP protocol version of a credential.
type Version string

// Protocol versions.
const (
	V1  Version = "v1"
	V2c Version = "v2c"
	V3  Version = "v3"
)

// V3User is one SNMPv3 USM user. Empty AuthProto means noAuthNoPriv; empty
// PrivProto means authNoPriv.
type V3User struct {
	User      string
	AuthProto string // MD5, SHA, SHA224, SHA256, SHA384, SHA512
	AuthPass  string
	PrivProto string // DES, AES, AES192, AES256, AES192C, AES256C
	PrivPass  string
	Context   string
}

// Credential is one way to talk to a device.
type Credential struct {
	Version   Version
	Community string // v1, v2c
	User      V3User // v3
}

// String names the credential without its secret (for logs and reports).
func (c Credential) String() string {
	if c.Version == V3 {
		return "v3 user " + c.User.User
	}
	return string(c.Version) + " community"
}

// Credentials is the configured credential list.
type Credentials struct {
	Communities []string
	V3          []V3User
}

// List returns the credentials in the order they are tried: every community
// as v2c, then every community as v1, then every v3 user.
func (c Credentials) List() []Credential {
	var out []Credential
	for _, cm := range c.Communities {
		out = append(out, Credential{Version: V2c, Community: cm})
	}
	for _, cm := range c.Communities {
		out = append(out, Credential{Version: V1, Community: cm})
	}
	for _, u := range c.V3 {
		out = append(out, Credential{Version: V3, User: u})
	}
	return out
}

// Table groups a walk can be limited to (Options.Tables).
const (
	TableInterfaces  = "interfaces"
	TableIPAddresses = "ip_addresses"
	TableARP         = "arp"
	TableRoutes      = "routes"
	TableNeighbors   = "neighbors"
	TableSoftware    = "software"
	TableVLANs       = "vlans"
	TableFDB         = "fdb"
	TableEntities    = "entities"
	TableVRFs        = "vrfs"
)

// AllTables is the full walk profile; the system group is always read.
var AllTables = []string{TableInterfaces, TableIPAddresses, TableARP, TableRoutes, TableNeighbors, TableSoftware,
	TableVLANs, TableFDB, TableEntities, TableVRFs}

// Options tune a walk. Zero values take the defaults below.
type Options struct {
	Port           uint16        // used when the target has no port (default 161)
	Timeout        time.Duration // per request (default 2s)
	Retries        int           // extra tries per request (default 1; negative = 0)
	Concurrency    int           // WalkMany workers (default 64)
	MaxRepetitions uint32        // GETBULK start value, adapted per device (default 25)
	// ProbeTimeout bounds the credential probe GET (default: Timeout).
	ProbeTimeout time.Duration
	// Tables limits the walk (nil = AllTables; empty = system group only).
	// The light profile for large sweeps is []string{TableInterfaces}: one
	// GET (the probe, with the system group) and, on a small device, one
	// GETBULK.
	Tables []string
	// WholeTables walks every table whole instead of only the decoded
	// columns of the big ones (diagnostics; like-for-like benchmarks).
	WholeTables bool
	// Context walks (per-VRF routes and ARP, Cisco per-VLAN FDB; see
	// contexts.go). NoContexts turns them off; MaxContexts bounds each kind
	// (default 32), ContextBudget all of them together (default 30s), and
	// ContextProbeTimeout is the wait for a context's first answer (default
	// 1s; a context the device does not serve is silent).
	NoContexts          bool
	MaxContexts         int
	ContextBudget       time.Duration
	ContextProbeTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.Port == 0 {
		o.Port = 161
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.Retries == 0 {
		o.Retries = 1
	} else if o.Retries < 0 {
		o.Retries = 0
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	if o.MaxRepetitions == 0 {
		o.MaxRepetitions = 25
	}
	if o.MaxRepetitions > MaxRepetitionsCap {
		o.MaxRepetitions = MaxRepetitionsCap
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = o.Timeout
	}
	if o.Tables == nil {
		o.Tables = AllTables
	}
	if o.MaxContexts <= 0 {
		o.MaxContexts = 32
	}
	if o.ContextBudget <= 0 {
		o.ContextBudget = 30 * time.Second
	}
	if o.ContextProbeTimeout <= 0 {
		o.ContextProbeTimeout = time.Second
	}
	return o
}

func (o Options) wants(table string) bool {
	for _, t := range o.Tables {
		if t == table {
			return true
		}
	}
	return false
}

// ErrNoResponse means no credential got an answer from the device.
var ErrNoResponse = errors.New("no SNMP response")

// Walk reads one device with one credential. The returned inventory is
// complete as far as the device answered: failed tables are listed in its
// Errors. The error is non-nil only when the device did not answer the
// credential probe at all (then nothing else was tried).
func Walk(ctx context.Context, target string, cred Credential, opts Options) (wire.DeviceInventory, error) {
	opts = opts.withDefaults()
	host, port, err := splitTarget(target, opts.Port)
	if err != nil {
		return wire.DeviceInventory{Target: target, Errors: []wire.TableError{{Table: "system", Error: err.Error()}}}, err
	}
	inv := newInventory(net.JoinHostPort(host, strconv.Itoa(int(port))))
	w, err := newWalker(ctx, host, port, cred, opts, nil)
	if err != nil {
		inv.Errors = append(inv.Errors, wire.TableError{Table: "system", Error: err.Error()})
		return inv, err
	}
	defer w.close()
	if err := w.probe(ctx, &inv); err != nil {
		inv.Errors = append(inv.Errors, wire.TableError{Table: "system", Error: err.Error()})
		return inv, err
	}
	inv.Credential = cred.String()
	w.walkAll(ctx, &inv, defaultPlan(opts))
	w.walkContextsGuarded(ctx, &inv, host, port)
	return inv, nil
}

// WalkCredentials tries the credentials in order (Credentials.List) with a
// short probe GET and walks the device with the first that answers.
func WalkCredentials(ctx context.Context, target string, creds Credentials, opts Options) (wire.DeviceInventory, error) {
	return walkCredentials(ctx, target, creds, opts, nil)
}

func walkCredentials(ctx context.Context, target string, creds Credentials, opts Options, pool *clientPool) (wire.DeviceInventory, error) {
	opts = opts.withDefaults()
	host, port, err := splitTarget(target, opts.Port)
	if err != nil {
		return wire.DeviceInventory{Target: target, Errors: []wire.TableError{{Table: "system", Error: err.Error()}}}, err
	}
	inv := newInventory(net.JoinHostPort(host, strconv.Itoa(int(port))))
	list := creds.List()
	if len(list) == 0 {
		err := errors.New("no SNMP credentials configured")
		inv.Errors = append(inv.Errors, wire.TableError{Table: "system", Error: err.Error()})
		return inv, err
	}
	var failures []string
	for i, cred := range list {
		if ctx.Err() != nil {
			break
		}
		w, err := newWalker(ctx, host, port, cred, opts, pool)
		if err != nil {
			failures = append(failures, fmt.Sprintf("%s #%d: %v", cred, i, err))
			continue
		}
		try := newInventory(inv.Target)
		if err := w.probe(ctx, &try); err != nil {
			w.close()
			failures = append(failures, fmt.Sprintf("%s #%d: %v", cred, i, err))
			continue
		}
		try.Credential = fmt.Sprintf("%s #%d", cred, i)
		w.walkAll(ctx, &try, defaultPlan(opts))
		w.walkContextsGuarded(ctx, &try, host, port)
		w.close()
		return try, nil
	}
	err = fmt.Errorf("%w: %s", ErrNoResponse, strings.Join(failures, "; "))
	if ctx.Err() != nil {
		err = fmt.Errorf("%w: %w", ErrNoResponse, ctx.Err())
	}
	inv.Errors = append(inv.Errors, wire.TableError{Table: "system", Error: err.Error()})
	return inv, err
}

// walkOne is what a WalkMany worker runs per target (tests observe it).
var walkOne = walkCredentials

// WalkMany walks every target with at most opts.Concurrency at once, each
// worker with its own clients. The result has one inventory per target, in
// the order of targets; a target that answered no credential has an empty
// Version (and System) and the reason in Errors.
func WalkMany(ctx context.Context, targets []string, creds Credentials, opts Options) []wire.DeviceInventory {
	opts = opts.withDefaults()
	out := make([]wire.DeviceInventory, len(targets))
	n := opts.Concurrency
	if n > len(targets) {
		n = len(targets)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pool := &clientPool{} // this worker's clients, never shared
			for i := range next {
				out[i] = walkGuarded(ctx, targets[i], creds, opts, pool)
			}
		}()
	}
	for i := range targets {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// walkGuarded is the last line of defence of a sweep: whatever one device
// does, the other workers and targets go on.
func walkGuarded(ctx context.Context, target string, creds Credentials, opts Options, pool *clientPool) (inv wire.DeviceInventory) {
	defer func() {
		if r := recover(); r != nil {
			inv = newInventory(target)
			inv.Errors = append(inv.Errors, wire.TableError{Table: "system", Error: fmt.Sprintf("walk %s: panic: %v", target, r)})
		}
	}()
	inv, _ = walkOne(ctx, target, creds, opts, pool)
	return inv
}

func newInventory(target string) wire.DeviceInventory {
	return wire.DeviceInventory{
		Target:      target,
		Interfaces:  []wire.Interface{},
		IPAddresses: []wire.IPAddress{},
		ARP:         []wire.ARPEntry{},
		Routes:      []wire.Route{},
		Neighbors:   []wire.Neighbor{},
		Software:    []wire.Software{},
		FDB:         []wire.FDBEntry{},
		VLANs:       []wire.VLAN{},
		Entities:    []wire.Entity{},
		VRFs:        []wire.VRF{},
		Errors:      []wire.TableError{},
	}
}

// splitTarget accepts host, host:port, [v6]:port and bare v6 addresses.
func splitTarget(target string, def uint16) (string, uint16, error) {
	t := strings.TrimSpace(target)
	if t == "" {
		return "", 0, errors.New("empty target")
	}
	if ip := net.ParseIP(strings.Trim(t, "[]")); ip != nil {
		return ip.String(), def, nil
	}
	host, ps, err := net.SplitHostPort(t)
	if err != nil {
		if strings.Contains(err.Error(), "missing port") {
			return t, def, nil
		}
		return "", 0, fmt.Errorf("parse target %q: %w", target, err)
	}
	p, err := strconv.ParseUint(ps, 10, 16)
	if err != nil || p == 0 {
		return "", 0, fmt.Errorf("parse target %q: bad port %q", target, ps)
	}
	if host == "" {
		return "", 0, fmt.Errorf("parse target %q: empty host", target)
	}
	return host, uint16(p), nil
}
