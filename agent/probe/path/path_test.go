package path

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/agent/probe/icmp/nstest"
	"github.com/egovnet/egovnet/internal/wire"
)

// twoRouters builds scanner -- r1 -- r2 -- target. The target holds
// 198.51.100.10 and 2001:db8:100::10; r2 has "unreachable" routes for
// 203.0.113.0/24 and 2001:db8:203::/64 (it answers destination
// unreachable); r1 blackholes 192.0.2.0/24 and 2001:db8:192::/64 (silence).
func twoRouters(t *testing.T) (*nstest.Lab, string) {
	l := nstest.New(t)
	s, r1, r2, tg := l.NS("scan"), l.NS("r1"), l.NS("r2"), l.NS("tgt")
	l.Veth(s, "s0", []string{"10.97.1.1/30", "fd00:97:1::1/64"}, r1, "a0", []string{"10.97.1.2/30", "fd00:97:1::2/64"})
	l.Veth(r1, "a1", []string{"10.97.2.1/30", "fd00:97:2::1/64"}, r2, "b0", []string{"10.97.2.2/30", "fd00:97:2::2/64"})
	l.Veth(r2, "b1", []string{"10.97.3.1/30", "fd00:97:3::1/64"}, tg, "t0", []string{"10.97.3.2/30", "fd00:97:3::2/64"})
	l.Router(r1)
	l.Router(r2)
	l.IP(tg, "addr", "add", "198.51.100.10/32", "dev", "lo")
	l.IP(tg, "addr", "add", "2001:db8:100::10/128", "dev", "lo")
	for _, p := range []string{"198.51.100.0/24", "203.0.113.0/24", "192.0.2.0/24"} {
		l.IP(s, "route", "add", p, "via", "10.97.1.2")
	}
	for _, p := range []string{"2001:db8:100::/64", "2001:db8:203::/64", "2001:db8:192::/64"} {
		l.IP(s, "-6", "route", "add", p, "via", "fd00:97:1::2")
	}
	l.IP(r1, "route", "add", "198.51.100.0/24", "via", "10.97.2.2")
	l.IP(r1, "route", "add", "203.0.113.0/24", "via", "10.97.2.2")
	l.IP(r1, "route", "add", "blackhole", "192.0.2.0/24")
	l.IP(r1, "-6", "route", "add", "2001:db8:100::/64", "via", "fd00:97:2::2")
	l.IP(r1, "-6", "route", "add", "2001:db8:203::/64", "via", "fd00:97:2::2")
	l.IP(r1, "-6", "route", "add", "blackhole", "2001:db8:192::/64")
	l.IP(r2, "route", "add", "198.51.100.0/24", "via", "10.97.3.2")
	l.IP(r2, "route", "add", "unreachable", "203.0.113.0/24")
	l.IP(r2, "route", "add", "10.97.1.0/30", "via", "10.97.2.1")
	l.IP(r2, "-6", "route", "add", "2001:db8:100::/64", "via", "fd00:97:3::2")
	l.IP(r2, "-6", "route", "add", "unreachable", "2001:db8:203::/64")
	l.IP(r2, "-6", "route", "add", "fd00:97:1::/64", "via", "fd00:97:2::1")
	l.IP(tg, "route", "add", "10.97.0.0/16", "via", "10.97.3.1")
	l.IP(tg, "-6", "route", "add", "fd00:97::/32", "via", "fd00:97:3::1")
	return l, s
}

func TestTraceTwoRouters(t *testing.T) {
	l, scanner := twoRouters(t)
	l.Sysctl(scanner, "net.ipv4.ping_group_range", "0 2147483647")
	targets := []netip.Addr{
		netip.MustParseAddr("198.51.100.10"), netip.MustParseAddr("203.0.113.10"), netip.MustParseAddr("192.0.2.10"),
		netip.MustParseAddr("2001:db8:100::10"), netip.MustParseAddr("2001:db8:203::10"), netip.MustParseAddr("2001:db8:192::10"),
	}
	yes, no := true, false
	for _, mode := range []struct {
		name       string
		privileged *bool
	}{{"raw socket", &yes}, {"ping socket error queue", &no}} {
		t.Run(mode.name, func(t *testing.T) {
			var paths []wire.Path
			err := nstest.Do(scanner, func() error {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				var err error
				// Routers rate-limit their ICMP errors (6 at once, then 1/s per
				// destination): a retry round after the timeout fills any gap.
				paths, err = Trace(ctx, targets, Options{Retries: 2, Timeout: 1500 * time.Millisecond, Privileged: mode.privileged})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			checkPaths(t, targets, paths)
		})
	}
}

func checkPaths(t *testing.T, targets []netip.Addr, paths []wire.Path) {
	t.Helper()
	want := []struct {
		reachable bool
		hops      []string
	}{
		{true, []string{"10.97.1.2", "10.97.2.2", "198.51.100.10"}},
		{false, []string{"10.97.1.2", "10.97.2.2"}}, // r2 says unreachable
		{false, nil}, // r1 drops silently
		{true, []string{"fd00:97:1::2", "fd00:97:2::2", "2001:db8:100::10"}},
		{false, []string{"fd00:97:1::2", "fd00:97:2::2"}},
		{false, nil},
	}
	if len(paths) != len(targets) {
		t.Fatalf("%d paths for %d targets", len(paths), len(targets))
	}
	for i, p := range paths {
		var got []string
		for k, h := range p.Hops {
			if h.TTL != k+1 {
				t.Errorf("%s: hop %d has TTL %d", p.Target, k, h.TTL)
			}
			got = append(got, h.Address)
			if h.Address != "" && h.RTTMs <= 0 {
				t.Errorf("%s: hop %d RTT %v", p.Target, h.TTL, h.RTTMs)
			}
		}
		if p.Target != targets[i].String() || p.Reachable != want[i].reachable || strings.Join(got, " ") != strings.Join(want[i].hops, " ") {
			j, _ := json.Marshal(p)
			t.Errorf("path %d = %s\nwant reachable=%v hops=%v", i, j, want[i].reachable, want[i].hops)
		}
		if p.Hops == nil {
			t.Errorf("%s: hops is nil (JSON null), want []", p.Target)
		}
	}
}

func TestTraceRejectsBadInput(t *testing.T) {
	tests := []struct {
		name    string
		targets []netip.Addr
		opts    Options
		err     string
	}{
		{"invalid address", []netip.Addr{{}}, Options{}, "invalid path target"},
		{"multicast", []netip.Addr{netip.MustParseAddr("224.0.0.1")}, Options{}, "invalid path target"},
		{"max ttl", nil, Options{MaxTTL: 300}, "invalid path options"},
		{"retries", nil, Options{Retries: -1}, "invalid path options"},
		{"too many", make([]netip.Addr, 3000), Options{}, "too many path targets"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Trace(t.Context(), tc.targets, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
		})
	}
}

func TestParse(t *testing.T) {
	echo := []byte{0, 0, 0, 0, 0x12, 0x34, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8}
	inner := []byte{0x45, 0, 0, 44, 0, 0, 0, 0, 1, 1, 0, 0, 10, 0, 0, 1, 198, 51, 100, 10, 8, 0, 0, 0, 0x12, 0x34, 0, 9}
	te := append([]byte{11, 0, 0, 0, 0, 0, 0, 0}, inner...)
	unr := append([]byte{3, 1, 0, 0, 0, 0, 0, 0}, inner...)
	notOurs := append([]byte{11, 0, 0, 0, 0, 0, 0, 0}, inner...)
	notOurs[8+20] = 13 // quoted packet is not an echo request
	tests := []struct {
		name string
		b    []byte
		ok   bool
		kind kind
		seq  uint16
	}{
		{"echo reply", echo, true, kindEcho, 7},
		{"time exceeded quoting 8 bytes", te, true, kindTimeExceeded, 9},
		{"unreachable", unr, true, kindUnreachable, 9},
		{"quoted non-echo", notOurs, false, 0, 0},
		{"truncated quote", te[:20], false, 0, 0},
		{"short", []byte{0, 0}, false, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := parse(tc.b, false)
			if ok != tc.ok {
				t.Fatalf("ok = %v", ok)
			}
			if ok && (r.kind != tc.kind || r.seq != tc.seq || r.id != 0x1234) {
				t.Fatalf("got %+v", r)
			}
			if ok && r.kind != kindEcho && r.innerDst != netip.MustParseAddr("198.51.100.10") {
				t.Fatalf("inner destination %s", r.innerDst)
			}
		})
	}
}
