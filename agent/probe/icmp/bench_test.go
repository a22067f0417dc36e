package icmp

import (
	"net/netip"
	"os"
	"testing"
	"time"
)

func BenchmarkMarshalEcho(b *testing.B) {
	buf := make([]byte, probeLen)
	for i := 0; b.Loop(); i++ {
		marshalEcho(buf, false, 1, 2, probe{index: uint32(i), sent: time.Duration(i)})
	}
}

func BenchmarkMatch(b *testing.B) {
	m := testMatcher(true)
	pkt := reply(marshalEcho(make([]byte, probeLen), false, 0x1234, 0xfeedface, probe{index: 4}))
	src := netip.MustParseAddr("192.0.2.5").As16()
	for b.Loop() {
		if _, v := m.match(pkt, src, time.Second); v != accepted {
			b.Fatal(v)
		}
	}
}

// BenchmarkSweepLoopback sweeps 127.0.0.0/20 (4094 live addresses) over a
// raw socket; it reports addresses per second. Root only.
func BenchmarkSweepLoopback(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root for a raw socket")
	}
	yes := true
	targets := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/20")}
	var n int64
	for b.Loop() {
		res, err := Sweep(b.Context(), targets, Options{Privileged: &yes})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Replies) != 4094 {
			b.Fatalf("found %d of 4094", len(res.Replies))
		}
		n += res.Probed
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "addrs/s")
}
