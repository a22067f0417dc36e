package tcp

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/testenv"
)

func TestScanRealListener(t *testing.T) {
	open := testenv.OpenTCPPort(t)
	closed := testenv.FreeTCPPort(t)
	lo := netip.MustParseAddr("127.0.0.1")
	res, err := Scan(context.Background(), []netip.Addr{lo}, []int{closed, open}, Options{Timeout: 2 * time.Second, Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hosts) != 1 || res.Hosts[0].Addr != lo {
		t.Fatalf("hosts = %+v", res.Hosts)
	}
	h := res.Hosts[0]
	if fmt.Sprint(h.Open) != fmt.Sprint([]int{open}) || fmt.Sprint(h.Closed) != fmt.Sprint([]int{closed}) || !h.Alive() {
		t.Fatalf("host = %+v (open %d closed %d)", h, open, closed)
	}
	if res.Probed != 2 {
		t.Fatalf("probed = %d", res.Probed)
	}
}

// fakeConn satisfies net.Conn for the fake dialer.
type fakeConn struct{ net.Conn }

func (fakeConn) Close() error { return nil }

func TestScanBoundedAndRetries(t *testing.T) {
	var cur, peak, calls atomic.Int64
	var mu sync.Mutex
	tries := map[string]int{}
	dial := func(ctx context.Context, _, addr string) (net.Conn, error) {
		calls.Add(1)
		n := cur.Add(1)
		defer cur.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		mu.Lock()
		tries[addr]++
		mu.Unlock()
		// 10.0.0.x port 1 open, port 2 silent until the deadline.
		if addr[len(addr)-2:] == ":1" {
			return fakeConn{}, nil
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	var addrs []netip.Addr
	for i := 1; i <= 50; i++ {
		addrs = append(addrs, netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}))
	}
	res, err := Scan(context.Background(), addrs, []int{1, 2}, Options{Timeout: 5 * time.Millisecond, Workers: 3, Retries: 2, Dial: dial})
	if err != nil {
		t.Fatal(err)
	}
	if peak.Load() > 3 {
		t.Fatalf("peak concurrency %d > 3 workers", peak.Load())
	}
	if len(res.Hosts) != 50 {
		t.Fatalf("hosts = %d", len(res.Hosts))
	}
	// Each silent port is tried 1+2 times, each open port once.
	if want := int64(50*1 + 50*3); res.Probed != want || calls.Load() != want {
		t.Fatalf("probed %d calls %d, want %d", res.Probed, calls.Load(), want)
	}
	if tries["192.0.2.7:2"] != 3 || tries["192.0.2.7:1"] != 1 {
		t.Fatalf("tries = %d %d", tries["192.0.2.7:2"], tries["192.0.2.7:1"])
	}
	for i := 1; i < len(res.Hosts); i++ {
		if !res.Hosts[i-1].Addr.Less(res.Hosts[i].Addr) {
			t.Fatal("hosts not sorted")
		}
	}
}

func TestScanCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Scan(ctx, []netip.Addr{netip.MustParseAddr("127.0.0.1")}, []int{testenv.FreeTCPPort(t)}, Options{})
	if err != context.Canceled || len(res.Hosts) != 0 {
		t.Fatalf("res %+v err %v", res, err)
	}
}

func TestHosts(t *testing.T) {
	tests := []struct {
		name  string
		in    []string
		first string
		last  string
		count int
	}{
		{"ipv4 /30 skips network and broadcast", []string{"192.0.2.0/30"}, "192.0.2.1", "192.0.2.2", 2},
		{"ipv4 /31 keeps both", []string{"192.0.2.0/31"}, "192.0.2.0", "192.0.2.1", 2},
		{"single /32", []string{"127.0.0.1/32"}, "127.0.0.1", "127.0.0.1", 1},
		{"/24", []string{"198.51.100.0/24"}, "198.51.100.1", "198.51.100.254", 254},
		{"overlap deduplicated", []string{"192.0.2.0/30", "192.0.2.1/32"}, "192.0.2.1", "192.0.2.2", 2},
		{"ipv6 /126", []string{"2001:db8::/126"}, "2001:db8::", "2001:db8::3", 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ps []netip.Prefix
			for _, s := range tc.in {
				ps = append(ps, netip.MustParsePrefix(s))
			}
			got := Hosts(ps)
			if len(got) != tc.count || got[0].String() != tc.first || got[len(got)-1].String() != tc.last {
				t.Fatalf("got %d %v..%v", len(got), got[0], got[len(got)-1])
			}
		})
	}
}

// BenchmarkScanLoopback connects to 3 ports on each of the 254 addresses of
// 127.0.0.0/24 (every loopback address answers: refused), unthrottled.
func BenchmarkScanLoopback(b *testing.B) {
	addrs := Hosts([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/24")})
	for b.Loop() {
		res, err := Scan(context.Background(), addrs, []int{1, 2, 3}, Options{Timeout: 2 * time.Second, Workers: 64})
		if err != nil || len(res.Hosts) != 254 {
			b.Fatalf("hosts %d err %v", len(res.Hosts), err)
		}
	}
	b.ReportMetric(float64(254*3*b.N)/b.Elapsed().Seconds(), "connects/s")
}
