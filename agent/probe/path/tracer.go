package path

import (
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/egovnet/egovnet/agent/probe/internal/icmpsock"
	"github.com/egovnet/egovnet/agent/probe/internal/pace"
)

// ICMP types read and sent.
const (
	typeEchoReply4    = 0
	typeUnreachable4  = 3
	typeEchoRequest4  = 8
	typeTimeExceeded4 = 11
	typeUnreachable6  = 1
	typeTimeExceeded6 = 3
	typeEchoRequest6  = 128
	typeEchoReply6    = 129
)

// tracer traces the targets of one address family over one socket. The
// sequence number of a probe is index*MaxTTL + TTL-1: routers quote only
// the first 8 bytes of our ICMP header in their errors (RFC 792), so the
// identifier and sequence alone must name the target and TTL.
type tracer struct {
	conn    *icmpsock.Conn
	targets []*target
	opts    Options
	pacer   *pace.Pacer
	nonce   uint64
	start   time.Time
	wake    chan struct{}

	mu  sync.Mutex // targets' state
	err error
}

func (tr *tracer) run(ctx context.Context) {
	tr.start = time.Now()
	done := make(chan struct{})
	go func() { defer close(done); tr.receive() }()
	defer func() {
		tr.conn.SetReadDeadline(time.Unix(1, 0))
		<-done
	}()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for round := 0; round <= tr.opts.Retries; round++ {
		// TTL-major order: each router sees the probes of all targets
		// before those of the next hop, which spreads its ICMP rate limit.
		sent := 0
		for ttl := 1; ttl <= tr.opts.MaxTTL; ttl++ {
			for i := range tr.targets {
				if !tr.needs(i, ttl) {
					continue
				}
				if !tr.pacer.Wait(ctx, timer, tr.start) {
					return
				}
				if err := tr.send(i, ttl); err != nil {
					if tr.err == nil {
						tr.err = err
					}
					return
				}
				sent++
			}
		}
		if sent == 0 {
			return
		}
		if !pace.AwaitReplies(ctx, timer, tr.wake, tr.opts.Timeout, tr.complete) {
			return
		}
		if tr.complete() {
			return
		}
	}
}

// needs reports whether TTL ttl of target i still wants a probe: nobody
// answered it yet and it lies before the end of the path (or no end is
// known yet).
func (tr *tracer) needs(i, ttl int) bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	t := tr.targets[i]
	return !t.hops[ttl].addr.IsValid() && ttl <= t.end()
}

// complete reports whether every target's path has an end and every hop
// before it answered.
func (tr *tracer) complete() bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, t := range tr.targets {
		e := t.end()
		if e >= len(t.hops) {
			return false
		}
		for ttl := 1; ttl < e; ttl++ {
			if !t.hops[ttl].addr.IsValid() {
				return false
			}
		}
	}
	return true
}

func (tr *tracer) send(i, ttl int) error {
	var b [24]byte
	if tr.conn.V6 {
		b[0] = typeEchoRequest6
	} else {
		b[0] = typeEchoRequest4
	}
	binary.BigEndian.PutUint16(b[4:], tr.conn.ID)
	binary.BigEndian.PutUint16(b[6:], uint16(i*tr.opts.MaxTTL+ttl-1))
	binary.BigEndian.PutUint64(b[8:], tr.nonce)
	now := time.Since(tr.start)
	binary.BigEndian.PutUint64(b[16:], uint64(now))
	if !tr.conn.V6 {
		binary.BigEndian.PutUint16(b[2:], icmpsock.Checksum(b[:]))
	}
	tr.mu.Lock()
	tr.targets[i].hops[ttl].sentAt = now
	tr.mu.Unlock()
	err := tr.conn.WriteToTTL(b[:], tr.targets[i].addr, ttl)
	if err == nil || errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.ENOBUFS) {
		return nil // no route here: that target stays unreachable; the others go on
	}
	return err
}

func (tr *tracer) receive() {
	buf := make([]byte, 1500)
	for {
		n, src, err := tr.conn.ReadFrom(buf)
		now := time.Since(tr.start)
		if err != nil {
			if icmpsock.IsTimeout(err) || errors.Is(err, os.ErrClosed) {
				return
			}
			continue
		}
		tr.handle(buf[:n], src, now)
	}
}

// handle matches one received ICMP message to a probe and records it.
func (tr *tracer) handle(b []byte, src netip.Addr, now time.Duration) {
	r, ok := parse(b, tr.conn.V6)
	if !ok || r.id != tr.conn.ID || (r.hasNonce && r.nonce != tr.nonce) {
		return
	}
	i, ttl := int(r.seq)/tr.opts.MaxTTL, int(r.seq)%tr.opts.MaxTTL+1
	if i >= len(tr.targets) {
		return
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	t := tr.targets[i]
	if r.kind == kindEcho && src != t.addr || r.kind != kindEcho && r.innerDst.IsValid() && r.innerDst != t.addr {
		return // not about this probe
	}
	h := &t.hops[ttl]
	if !h.addr.IsValid() {
		h.addr, h.rtt = src, max(0, now-h.sentAt)
	}
	switch r.kind {
	case kindEcho:
		if t.reachedAt < 0 || ttl < t.reachedAt {
			t.reachedAt = ttl
		}
	case kindUnreachable:
		if t.unreachAt < 0 || ttl < t.unreachAt {
			t.unreachAt = ttl
		}
	}
	select {
	case tr.wake <- struct{}{}:
	default:
	}
}

type kind int

const (
	kindEcho kind = iota
	kindTimeExceeded
	kindUnreachable
)

// answer is a parsed reply: an echo reply, or an ICMP error quoting one of
// our echo requests.
type answer struct {
	kind     kind
	id, seq  uint16
	hasNonce bool
	nonce    uint64
	innerDst netip.Addr
}

// parse reads an ICMP message (an IPv4 header in front is skipped).
func parse(b []byte, v6 bool) (answer, bool) {
	if !v6 && len(b) >= 20 && b[0]>>4 == 4 {
		ihl := int(b[0]&0x0f) * 4
		if ihl < 20 || len(b) < ihl {
			return answer{}, false
		}
		b = b[ihl:]
	}
	if len(b) < 8 {
		return answer{}, false
	}
	var r answer
	switch {
	case !v6 && b[0] == typeEchoReply4, v6 && b[0] == typeEchoReply6:
		if len(b) < 16 {
			return answer{}, false
		}
		r.kind, r.id, r.seq = kindEcho, binary.BigEndian.Uint16(b[4:]), binary.BigEndian.Uint16(b[6:])
		r.hasNonce, r.nonce = true, binary.BigEndian.Uint64(b[8:])
		return r, true
	case !v6 && b[0] == typeTimeExceeded4, v6 && b[0] == typeTimeExceeded6:
		r.kind = kindTimeExceeded
	case !v6 && b[0] == typeUnreachable4, v6 && b[0] == typeUnreachable6:
		r.kind = kindUnreachable
	default:
		return answer{}, false
	}
	inner := b[8:] // the quoted datagram
	var icmp []byte
	if v6 {
		if len(inner) < 40+8 || inner[0]>>4 != 6 || inner[6] != 58 {
			return answer{}, false
		}
		r.innerDst = netip.AddrFrom16([16]byte(inner[24:40]))
		icmp = inner[40:]
		if icmp[0] != typeEchoRequest6 {
			return answer{}, false
		}
	} else {
		if len(inner) < 20 || inner[0]>>4 != 4 {
			return answer{}, false
		}
		ihl := int(inner[0]&0x0f) * 4
		if ihl < 20 || len(inner) < ihl+8 || inner[9] != 1 {
			return answer{}, false
		}
		r.innerDst = netip.AddrFrom4([4]byte(inner[16:20]))
		icmp = inner[ihl:]
		if icmp[0] != typeEchoRequest4 {
			return answer{}, false
		}
	}
	r.id, r.seq = binary.BigEndian.Uint16(icmp[4:]), binary.BigEndian.Uint16(icmp[6:])
	if len(icmp) >= 16 { // Linux quotes more than 8 bytes; check the nonce when present
		r.hasNonce, r.nonce = true, binary.BigEndian.Uint64(icmp[8:])
	}
	return r, true
}
