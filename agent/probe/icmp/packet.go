package icmp

import (
	"encoding/binary"
	"time"

	"github.com/egovnet/egovnet/agent/probe/internal/icmpsock"
)

// ICMP types this package sends and reads.
const (
	typeEchoReply4   = 0
	typeEchoRequest4 = 8
	typeEchoRequest6 = 128
	typeEchoReply6   = 129
)

const (
	headerLen  = 8
	payloadLen = 24
	probeLen   = headerLen + payloadLen
)

// probe is what one echo request carries in its payload, so that a reply
// names its target and send time on its own: no per-probe table is needed,
// and a late reply to an earlier attempt still yields a correct RTT.
type probe struct {
	index   uint32 // target index in the sweep
	attempt uint8
	sent    time.Duration // since the sweep started
}

// marshalEcho writes an echo request for p into b (len >= probeLen) and
// returns the packet. The checksum is filled in for IPv4; the kernel
// computes ICMPv6 checksums itself.
func marshalEcho(b []byte, v6 bool, id uint16, nonce uint64, p probe) []byte {
	b = b[:probeLen]
	if v6 {
		b[0] = typeEchoRequest6
	} else {
		b[0] = typeEchoRequest4
	}
	b[1] = 0
	b[2], b[3] = 0, 0
	binary.BigEndian.PutUint16(b[4:], id)
	binary.BigEndian.PutUint16(b[6:], uint16(p.index))
	binary.BigEndian.PutUint64(b[8:], nonce)
	binary.BigEndian.PutUint32(b[16:], p.index)
	b[20] = p.attempt
	b[21], b[22], b[23] = 0, 0, 0
	binary.BigEndian.PutUint64(b[24:], uint64(p.sent))
	if !v6 {
		binary.BigEndian.PutUint16(b[2:], icmpsock.Checksum(b))
	}
	return b
}

// restamp rewrites the send time of a marshalled echo request.
func restamp(b []byte, v6 bool, sent time.Duration) {
	binary.BigEndian.PutUint64(b[24:], uint64(sent))
	if !v6 {
		b[2], b[3] = 0, 0
		binary.BigEndian.PutUint16(b[2:], icmpsock.Checksum(b))
	}
}

// verdict says why a received packet was or was not taken as a reply.
type verdict int

const (
	accepted verdict = iota
	truncated
	notEchoReply
	wrongID
	wrongNonce
	wrongIndex
	wrongSeq
	wrongSource
	badTime
)

func (v verdict) String() string {
	return [...]string{"accepted", "truncated", "not an echo reply", "wrong id", "wrong nonce",
		"index out of range", "wrong sequence", "wrong source", "impossible send time"}[v]
}

// matcher decides whether a received ICMP message answers one of our
// probes: echo reply type, our identifier (unless the kernel owns it, as on
// ping sockets), our per-sweep nonce, a target index in range whose
// address is the reply's source, and a sequence number equal to that index.
type matcher struct {
	v6      bool
	checkID bool
	id      uint16
	nonce   uint64
	total   uint64
	addrOf  func(uint64) (src [16]byte) // target address as 16 bytes (v4 mapped)
}

// match inspects an ICMP message b (an IPv4 header in front is tolerated,
// raw sockets deliver one) from src (16-byte form) received at now since
// the sweep started.
func (m *matcher) match(b []byte, src [16]byte, now time.Duration) (probe, verdict) {
	if !m.v6 && len(b) >= 20 && b[0]>>4 == 4 {
		ihl := int(b[0]&0x0f) * 4
		if ihl < 20 || len(b) < ihl {
			return probe{}, truncated
		}
		b = b[ihl:]
	}
	if len(b) < probeLen {
		return probe{}, truncated
	}
	want := byte(typeEchoReply4)
	if m.v6 {
		want = typeEchoReply6
	}
	if b[0] != want || b[1] != 0 {
		return probe{}, notEchoReply
	}
	if m.checkID && binary.BigEndian.Uint16(b[4:]) != m.id {
		return probe{}, wrongID
	}
	if binary.BigEndian.Uint64(b[8:]) != m.nonce {
		return probe{}, wrongNonce
	}
	p := probe{
		index:   binary.BigEndian.Uint32(b[16:]),
		attempt: b[20],
		sent:    time.Duration(binary.BigEndian.Uint64(b[24:])),
	}
	if uint64(p.index) >= m.total {
		return probe{}, wrongIndex
	}
	if binary.BigEndian.Uint16(b[6:]) != uint16(p.index) {
		return probe{}, wrongSeq
	}
	if m.addrOf(uint64(p.index)) != src {
		return probe{}, wrongSource
	}
	if p.sent < 0 || p.sent > now {
		return probe{}, badTime
	}
	return p, accepted
}
