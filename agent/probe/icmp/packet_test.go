package icmp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/egovnet/egovnet/agent/probe/internal/icmpsock"
)

func testMatcher(checkID bool) *matcher {
	ts, _ := newTargetSet([]netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}, nil, 1<<20)
	return &matcher{checkID: checkID, id: 0x1234, nonce: 0xfeedface, total: ts.total,
		addrOf: func(i uint64) [16]byte { return ts.addr(i).As16() }}
}

// reply turns an echo request into the echo reply a host would send.
func reply(req []byte) []byte {
	b := append([]byte(nil), req...)
	b[0] = typeEchoReply4
	b[2], b[3] = 0, 0
	return b
}

func TestMatch(t *testing.T) {
	m := testMatcher(true)
	src := func(s string) [16]byte { return netip.MustParseAddr(s).As16() }
	req := func(id uint16, nonce uint64, p probe) []byte {
		return marshalEcho(make([]byte, probeLen), false, id, nonce, p)
	}
	good := probe{index: 4, attempt: 1, sent: 3 * time.Millisecond} // index 4 = 192.0.2.5
	ipHdr := append([]byte{0x45, 0, 0, 52, 0, 0, 0, 0, 64, 1, 0, 0, 192, 0, 2, 5, 192, 0, 2, 200}, reply(req(0x1234, 0xfeedface, good))...)
	badSeq := reply(req(0x1234, 0xfeedface, good))
	badSeq[7]++
	tests := []struct {
		name string
		pkt  []byte
		src  [16]byte
		now  time.Duration
		want verdict
	}{
		{"accepted", reply(req(0x1234, 0xfeedface, good)), src("192.0.2.5"), time.Second, accepted},
		{"accepted behind an IPv4 header", ipHdr, src("192.0.2.5"), time.Second, accepted},
		{"wrong id", reply(req(0x9999, 0xfeedface, good)), src("192.0.2.5"), time.Second, wrongID},
		{"wrong nonce (another sweep)", reply(req(0x1234, 1, good)), src("192.0.2.5"), time.Second, wrongNonce},
		{"wrong sequence", badSeq, src("192.0.2.5"), time.Second, wrongSeq},
		{"index out of range", reply(req(0x1234, 0xfeedface, probe{index: 5000})), src("192.0.2.5"), time.Second, wrongIndex},
		{"reply from another address", reply(req(0x1234, 0xfeedface, good)), src("192.0.2.6"), time.Second, wrongSource},
		{"echo request, not a reply", req(0x1234, 0xfeedface, good), src("192.0.2.5"), time.Second, notEchoReply},
		{"truncated payload", reply(req(0x1234, 0xfeedface, good))[:20], src("192.0.2.5"), time.Second, truncated},
		{"truncated IPv4 header", []byte{0x4f, 0, 0, 0}, src("192.0.2.5"), time.Second, truncated},
		{"empty", nil, src("192.0.2.5"), time.Second, truncated},
		{"sent in the future", reply(req(0x1234, 0xfeedface, good)), src("192.0.2.5"), time.Millisecond, badTime},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, v := m.match(tc.pkt, tc.src, tc.now)
			if v != tc.want {
				t.Fatalf("verdict = %v, want %v", v, tc.want)
			}
			if v == accepted && p != good {
				t.Fatalf("probe = %+v, want %+v", p, good)
			}
		})
	}
}

func TestMatchIPv6(t *testing.T) {
	ts, _ := newTargetSet([]netip.Prefix{netip.MustParsePrefix("2001:db8::/120")}, nil, 1<<20)
	m := &matcher{v6: true, checkID: true, id: 9, nonce: 3, total: ts.total, addrOf: func(i uint64) [16]byte { return ts.addr(i).As16() }}
	req := marshalEcho(make([]byte, probeLen), true, 9, 3, probe{index: 16})
	rep := append([]byte(nil), req...)
	rep[0] = typeEchoReply6
	src := netip.MustParseAddr("2001:db8::10").As16()
	if _, v := m.match(rep, src, time.Second); v != accepted {
		t.Fatalf("ICMPv6 echo reply: %v", v)
	}
	if _, v := m.match(req, src, time.Second); v != notEchoReply {
		t.Fatalf("ICMPv6 echo request: %v, want not an echo reply", v)
	}
	v4 := reply(marshalEcho(make([]byte, probeLen), false, 9, 3, probe{index: 16}))
	if _, v := m.match(v4, src, time.Second); v != notEchoReply {
		t.Fatalf("ICMPv4 reply on the IPv6 matcher: %v", v)
	}
}

func TestMatchPingSocketIgnoresID(t *testing.T) {
	m := testMatcher(false) // the kernel owns the id of a ping socket
	pkt := reply(marshalEcho(make([]byte, probeLen), false, 7, 0xfeedface, probe{index: 1}))
	if _, v := m.match(pkt, netip.MustParseAddr("192.0.2.2").As16(), time.Second); v != accepted {
		t.Fatalf("verdict = %v", v)
	}
}

func TestEchoChecksum(t *testing.T) {
	b := marshalEcho(make([]byte, probeLen), false, 0x1234, 42, probe{index: 9, sent: time.Second})
	if icmpsock.Checksum(b) != 0 {
		t.Fatalf("checksum of a marshalled request does not verify")
	}
	restamp(b, false, 2*time.Second)
	if icmpsock.Checksum(b) != 0 {
		t.Fatalf("checksum after restamp does not verify")
	}
}

// fakeConn feeds receive() a scripted packet sequence.
func TestReceiveDuplicatesAndLateReplies(t *testing.T) {
	ts, _ := newTargetSet([]netip.Prefix{netip.MustParsePrefix("192.0.2.0/29")}, nil, 1<<20)
	e := &engine{ts: ts, found: make([]foundWord, 1), wake: make(chan struct{}, 1)}
	e.m = matcher{checkID: true, id: 1, nonce: 2, total: ts.total, addrOf: func(i uint64) [16]byte { return ts.addr(i).As16() }}
	e.opts = Options{Timeout: time.Second, MinTimeout: 100 * time.Millisecond}
	e.rto.Store(int64(time.Second))
	mk := func(index uint32, attempt uint8, sent time.Duration) []byte {
		return reply(marshalEcho(make([]byte, probeLen), false, 1, 2, probe{index: index, attempt: attempt, sent: sent}))
	}
	a := func(i uint64) [16]byte { return ts.addr(i).As16() }
	// 1. first reply for target 0; 2. the same again (duplicate);
	// 3. a late reply to attempt 0 of target 1 arriving after its timeout
	//    (its retry is out): still a correct answer, counted once, with
	//    the RTT of the attempt it answers; 4. then the retry's reply.
	e.handle(mk(0, 0, 10*time.Millisecond), a(0), 11*time.Millisecond)
	e.handle(mk(0, 0, 10*time.Millisecond), a(0), 12*time.Millisecond)
	e.handle(mk(1, 0, 10*time.Millisecond), a(1), 1500*time.Millisecond)
	e.handle(mk(1, 1, 1010*time.Millisecond), a(1), 1501*time.Millisecond)
	if len(e.replies) != 2 || e.dups != 2 {
		t.Fatalf("replies %d, dups %d; want 2 and 2", len(e.replies), e.dups)
	}
	if e.replies[0].rtt != time.Millisecond || e.replies[1].rtt != 1490*time.Millisecond {
		t.Fatalf("rtts %v %v", e.replies[0].rtt, e.replies[1].rtt)
	}
	if !e.isFound(0) || !e.isFound(1) || e.isFound(2) {
		t.Fatalf("found bits wrong")
	}
}

func TestTimeoutAdaptsWithinBounds(t *testing.T) {
	e := &engine{opts: Options{Timeout: time.Second, MinTimeout: 50 * time.Millisecond}}
	e.rto.Store(int64(time.Second))
	if got := e.timeout(0); got != time.Second {
		t.Fatalf("before any reply: %v, want Timeout", got)
	}
	for i := 0; i < 20; i++ {
		e.observe(time.Millisecond)
	}
	if got := e.timeout(0); got != 50*time.Millisecond {
		t.Fatalf("after 1 ms replies: %v, want the 50 ms floor", got)
	}
	for i := 0; i < 50; i++ {
		e.observe(40 * time.Millisecond)
	}
	if got := e.timeout(0); got < 40*time.Millisecond || got > 100*time.Millisecond {
		t.Fatalf("after 40 ms replies: %v", got)
	}
	for _, a := range []uint8{5, 40, 63, 64, 100} {
		if got := e.timeout(a); got != time.Second {
			t.Fatalf("attempt %d backs off to %v, want capped at Timeout", a, got)
		}
	}
}
