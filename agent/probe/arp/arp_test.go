package arp

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/agent/probe/icmp/nstest"
)

// onLink builds scanner --veth-- lan: scanner 10.30.0.1/20 on l0, lan
// 10.30.4.1/20 on l1 answering (ARP and ICMP) for all of 10.30.4.0/22 via
// an AnyIP local route, so 1024 hosts live on one /20 segment: more than
// the default neighbour table holds (gc_thresh3 = 1024).
func onLink(t *testing.T) (l *nstest.Lab, scanner string, lanMAC net.HardwareAddr) {
	l = nstest.New(t)
	scanner, lan := l.NS("scan"), l.NS("lan")
	l.Veth(scanner, "l0", []string{"10.30.0.1/20"}, lan, "l1", []string{"10.30.4.1/20"})
	l.IP(lan, "route", "add", "local", "10.30.4.0/22", "dev", "lo")
	// A second, point-to-point, link: its far end is on-link too.
	other := l.NS("p2p")
	l.Veth(scanner, "p0", []string{"10.31.0.1/30"}, other, "p1", []string{"10.31.0.2/30"})
	out := l.IP(lan, "-o", "link", "show", "l1")
	f := strings.Fields(out[strings.Index(out, "link/ether"):])
	mac, err := net.ParseMAC(f[1])
	if err != nil {
		t.Fatalf("parse MAC of l1 from %q: %v", out, err)
	}
	return l, scanner, mac
}

func scanIn(t *testing.T, ns string, targets []netip.Prefix, opts Options) []Entry {
	t.Helper()
	var es []Entry
	err := nstest.Do(ns, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var err error
		es, err = Scan(ctx, targets, opts)
		return err
	})
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	return es
}

func TestScanOnLinkSlash20DefaultSysctls(t *testing.T) {
	l, scanner, lanMAC := onLink(t)
	if b, err := os.ReadFile("/proc/sys/net/ipv4/neigh/default/gc_thresh3"); err == nil {
		t.Logf("gc_thresh3 = %s", strings.TrimSpace(string(b)))
	}
	es := scanIn(t, scanner, []netip.Prefix{
		netip.MustParsePrefix("10.30.0.0/20"),
		netip.MustParsePrefix("10.20.0.0/24"), // not on-link anywhere: ignored
		netip.MustParsePrefix("10.31.0.0/30"),
	}, Options{Retries: 2, MinTimeout: 500 * time.Millisecond})
	got := map[netip.Addr]Entry{}
	for _, e := range es {
		if _, dup := got[e.IP]; dup {
			t.Errorf("%s reported twice", e.IP)
		}
		got[e.IP] = e
	}
	live := netip.MustParsePrefix("10.30.4.0/22")
	n := 0
	for a := live.Addr(); live.Contains(a); a = a.Next() {
		e, ok := got[a]
		if !ok {
			if n++; n <= 5 {
				t.Errorf("on-link host %s not found", a)
			}
			continue
		}
		if e.MAC.String() != lanMAC.String() || e.Iface != "l0" {
			t.Errorf("%s: MAC %s on %s, want %s on l0", a, e.MAC, e.Iface, lanMAC)
		}
	}
	if n > 0 {
		t.Errorf("%d of 1024 on-link hosts missing", n)
	}
	p2p, ok := got[netip.MustParseAddr("10.31.0.2")]
	if !ok || p2p.Iface != "p0" {
		t.Errorf("10.31.0.2 on p0: got %+v", p2p)
	}
	if len(got) != 1025 {
		for a := range got {
			if !live.Contains(a) && a != netip.MustParseAddr("10.31.0.2") {
				t.Errorf("false positive %s", a)
			}
		}
	}
	var parts []netip.Prefix
	if err := nstest.Do(scanner, func() error {
		var err error
		parts, err = OnLink([]netip.Prefix{netip.MustParsePrefix("10.30.4.0/24"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("10.20.0.0/24")})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// 10.0.0.0/8 contains both segments; 10.20.0.0/24 is not on-link.
	if fmt.Sprint(parts) != "[10.30.0.0/20 10.31.0.0/30]" {
		t.Errorf("OnLink = %v", parts)
	}
	// Our requests never went through the kernel neighbour table.
	if out := l.IP(scanner, "neigh", "show", "dev", "l0"); strings.Count(out, "\n") > 2 {
		t.Errorf("neighbour table filled by the scan:\n%.300s", out)
	}
}

func TestScanNothingOnLink(t *testing.T) {
	l := nstest.New(t)
	ns := l.NS("alone")
	es := scanIn(t, ns, []netip.Prefix{netip.MustParsePrefix("10.40.0.0/24")}, Options{})
	if len(es) != 0 {
		t.Fatalf("found %v with no interface on-link", es)
	}
}

func TestScanRejectsBadInput(t *testing.T) {
	tests := []struct {
		name    string
		targets []netip.Prefix
		opts    Options
	}{
		{"invalid prefix", []netip.Prefix{{}}, Options{}},
		{"negative retries", nil, Options{Retries: -1}},
		{"negative rate", nil, Options{Rate: -1}},
		{"negative timeout", nil, Options{Timeout: -time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Scan(t.Context(), tc.targets, tc.opts); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestPlanRanges(t *testing.T) {
	tests := []struct {
		name string
		in   []span
		own  uint32
		want []span
	}{
		{"merge overlap and adjacency", []span{{10, 20}, {5, 12}, {21, 30}, {40, 41}}, 0, []span{{5, 30}, {40, 41}}},
		{"own address split out", []span{{1, 10}}, 5, []span{{1, 4}, {6, 10}}},
		{"own address at the edge", []span{{1, 10}}, 1, []span{{2, 10}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := merge(tc.in, tc.own)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestParseReply(t *testing.T) {
	good := make([]byte, frameLen)
	copy(good[12:], []byte{0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 10, 30, 4, 7})
	req := append([]byte(nil), good...)
	req[21] = 1
	tests := []struct {
		name string
		b    []byte
		ok   bool
	}{
		{"reply", good, true},
		{"request", req, false},
		{"truncated", good[:30], false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ip, mac, ok := parseReply(tc.b)
			if ok != tc.ok {
				t.Fatalf("ok = %v", ok)
			}
			if ok && (addr4(ip).String() != "10.30.4.7" || mac.String() != "aa:bb:cc:dd:ee:ff") {
				t.Fatalf("got %s %s", addr4(ip), mac)
			}
		})
	}
}
