// Package path traces the routers between this host and reference targets
// (internet and extranet probes, private-network sentinels) with
// TTL-limited ICMP echo requests. Every TTL of every target goes out at
// once over one raw socket per address family, paced, instead of hop by
// hop: the routers' time-exceeded messages and the target's echo reply
// come back together, so tracing ten targets costs about one timeout, not
// thirty per target. A hop is where a path leaves the plan's prefixes:
// that is the evidence of an unsanctioned internet exit.
package path

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/egovnet/egovnet/agent/probe/internal/icmpsock"
	"github.com/egovnet/egovnet/agent/probe/internal/pace"
	"github.com/egovnet/egovnet/agent/probe/internal/timing"
	"github.com/egovnet/egovnet/internal/wire"
)

// Defaults applied to zero Options fields.
const (
	DefaultMaxTTL  = 30
	DefaultTimeout = time.Second
	DefaultRate    = 2000
)

// Options tune a trace.
type Options struct {
	// MaxTTL is the highest TTL probed; 0 means DefaultMaxTTL.
	MaxTTL int
	// Timeout is how long to wait for answers after a round of probes;
	// 0 means DefaultTimeout. A round ends early once every target has
	// been reached (or found unreachable) and every hop before it answered.
	Timeout time.Duration
	// Retries is how many more rounds re-probe the TTLs still silent.
	Retries int
	// Rate is probes per second over all targets; 0 means adaptive up to
	// MaxRate, or DefaultRate when MaxRate is 0.
	Rate    int
	MaxRate int
	// Privileged: nil tries a raw socket, then an unprivileged ping socket
	// (whose ICMP errors come through its error queue); true raw only;
	// false ping socket only.
	Privileged *bool
}

// ErrNoSocket is returned when neither a raw ICMP socket (root or
// CAP_NET_RAW) nor a ping socket (net.ipv4.ping_group_range) can be opened.
var ErrNoSocket = errors.New("path probes need a raw ICMP socket or a ping socket")

// Trace probes every target and returns one path per target, in the order
// given. A hop that never answered has an empty address; silent hops after
// the last answer are left out. A target is reachable when it answered an
// echo request; a router's destination-unreachable ends its path. On
// cancellation the paths so far are returned with ctx's error.
func Trace(ctx context.Context, targets []netip.Addr, opts Options) ([]wire.Path, error) {
	if err := opts.normalise(); err != nil {
		return nil, err
	}
	if len(targets) > 65536/opts.MaxTTL {
		return nil, fmt.Errorf("too many path targets: %d > %d at max TTL %d", len(targets), 65536/opts.MaxTTL, opts.MaxTTL)
	}
	var fam [2][]int // target indices per family
	state := make([]*target, len(targets))
	for i, t := range targets {
		if !t.IsValid() || t.IsUnspecified() || t.IsMulticast() {
			return nil, fmt.Errorf("invalid path target %q", t.String())
		}
		t = t.Unmap()
		v6 := 0
		if t.Is6() {
			v6 = 1
		}
		fam[v6] = append(fam[v6], i)
		state[i] = &target{addr: t, hops: make([]hop, opts.MaxTTL+1), reachedAt: -1, unreachAt: -1}
	}
	p := pace.For(opts.Rate, opts.MaxRate, DefaultRate)
	var tracers []*tracer
	defer func() {
		for _, tr := range tracers {
			tr.conn.Close()
		}
	}()
	for f, idx := range fam {
		if len(idx) == 0 {
			continue
		}
		c, err := icmpsock.Listen(icmpsock.Config{V6: f == 1, Privileged: opts.Privileged, Accept: accept(f == 1), RcvBuf: 1 << 20, RecvErr: true})
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNoSocket, err)
		}
		var nb [8]byte
		if _, err := rand.Read(nb[:]); err != nil {
			c.Close()
			return nil, fmt.Errorf("read random nonce: %w", err)
		}
		ts := make([]*target, len(idx))
		for k, i := range idx {
			ts[k] = state[i]
		}
		tracers = append(tracers, &tracer{conn: c, targets: ts, opts: opts, pacer: p, nonce: binary.BigEndian.Uint64(nb[:]),
			wake: make(chan struct{}, 1)})
	}
	var wg sync.WaitGroup
	for _, tr := range tracers {
		wg.Add(1)
		go func() { defer wg.Done(); tr.run(ctx) }()
	}
	wg.Wait()
	out := make([]wire.Path, len(state))
	for i, t := range state {
		out[i] = t.path()
	}
	for _, tr := range tracers {
		if tr.err != nil {
			return out, tr.err
		}
	}
	return out, ctx.Err()
}

// normalise checks o and fills its zero fields (rate, retries and wait by
// the rules shared with the other active probes in package timing; a
// trace has no adaptive wait, so no MinTimeout).
func (o *Options) normalise() error {
	if o.MaxTTL < 0 || o.MaxTTL > 255 {
		return fmt.Errorf("invalid path options: max TTL %d: must be 0..255", o.MaxTTL)
	}
	t, err := timing.Normalise(
		timing.Options{Rate: o.Rate, MaxRate: o.MaxRate, Timeout: o.Timeout, Retries: o.Retries},
		timing.Defaults{Rate: DefaultRate, Timeout: DefaultTimeout})
	if err != nil {
		return fmt.Errorf("invalid path options: %w", err)
	}
	if o.MaxTTL == 0 {
		o.MaxTTL = DefaultMaxTTL
	}
	o.Rate, o.Timeout = t.Rate, t.Timeout
	return nil
}

func accept(v6 bool) []uint8 {
	if v6 {
		return []uint8{typeEchoReply6, typeTimeExceeded6, typeUnreachable6}
	}
	return []uint8{typeEchoReply4, typeTimeExceeded4, typeUnreachable4}
}

// hop is what one TTL of one target brought back.
type hop struct {
	addr   netip.Addr
	rtt    time.Duration
	sentAt time.Duration // last probe, since the trace started
}

// target is the trace state of one target; its tracer's receiver and
// sender share it under the tracer's lock.
type target struct {
	addr      netip.Addr
	hops      []hop // index = TTL
	reachedAt int   // lowest TTL the target itself answered, -1 if none
	unreachAt int   // lowest TTL a router said unreachable, -1 if none
}

// end is the TTL at which the path stops: where the target answered or a
// router refused, else beyond MaxTTL.
func (t *target) end() int {
	e := len(t.hops)
	if t.reachedAt > 0 {
		e = t.reachedAt
	}
	if t.unreachAt > 0 && t.unreachAt < e {
		e = t.unreachAt
	}
	return e
}

// path renders the state as the wire type.
func (t *target) path() wire.Path {
	p := wire.Path{Target: t.addr.String(), Reachable: t.reachedAt > 0 && (t.unreachAt < 0 || t.reachedAt <= t.unreachAt), Hops: []wire.Hop{}}
	last := 0
	for ttl := 1; ttl < len(t.hops) && ttl <= t.end(); ttl++ {
		if t.hops[ttl].addr.IsValid() {
			last = ttl
		}
	}
	for ttl := 1; ttl <= last; ttl++ {
		h := wire.Hop{TTL: ttl}
		if a := t.hops[ttl].addr; a.IsValid() {
			h.Address = a.String()
			h.RTTMs = float64(t.hops[ttl].rtt.Microseconds()) / 1000
		}
		p.Hops = append(p.Hops, h)
	}
	return p
}
