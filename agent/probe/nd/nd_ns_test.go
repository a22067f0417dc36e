//go:build linux

package nd

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/egovnet/egovnet/agent/probe/icmp/nstest"
)

// TestDiscoverOnLink builds scanner -- switch(bridge) -- three hosts, all
// with ULA addresses from fd00::/8 (and link-local ones), and one host
// outside the scope prefix: ND finds exactly the in-scope hosts with their
// MACs.
func TestDiscoverOnLink(t *testing.T) {
	lab := nstest.New(t)
	scan := lab.NS("ndscan")
	sw := lab.NS("ndsw")
	lab.IP(sw, "link", "add", "br0", "type", "bridge")
	lab.IP(sw, "link", "set", "br0", "up")
	lab.Veth(scan, "s0", []string{"fd00:e9:1::1/64"}, sw, "p0", nil)
	lab.IP(sw, "link", "set", "p0", "master", "br0")
	want := map[netip.Addr]string{}
	for i, addr := range []string{"fd00:e9:1::10/64", "fd00:e9:1::20/64", "fd00:e9:2::30/64"} {
		h := lab.NS(fmt.Sprintf("ndh%d", i))
		mac := fmt.Sprintf("02:00:00:00:00:%02x", i+1)
		lab.Veth(h, "e0", nil, sw, fmt.Sprintf("p%d", i+1), nil)
		lab.IP(h, "link", "set", "e0", "address", mac)
		lab.IP(h, "addr", "add", addr, "dev", "e0", "nodad")
		lab.IP(sw, "link", "set", fmt.Sprintf("p%d", i+1), "master", "br0")
		if p := netip.MustParsePrefix(addr); p.Masked() == netip.MustParsePrefix("fd00:e9:1::/64") {
			want[p.Addr()] = mac
		}
	}
	scope := []netip.Prefix{netip.MustParsePrefix("fd00:e9:1::/112")}
	var hosts []Host
	err := nstest.Do(scan, func() error {
		var err error
		hosts, err = Discover(context.Background(), scope, Options{Timeout: time.Second, Retries: 1})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[netip.Addr]string{}
	for _, h := range hosts {
		got[h.Addr] = h.MAC
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("found %v, want %v", got, want)
	}
}

// TestDiscoverWithoutIPv6Links: a scope no link carries finds nothing and
// is no error (IPv4-only hosts run nd harmlessly).
func TestDiscoverWithoutIPv6Links(t *testing.T) {
	hosts, err := Discover(context.Background(), []netip.Prefix{netip.MustParsePrefix("fd00:ffff:ffff::/120")}, Options{Timeout: 100 * time.Millisecond})
	if err != nil || len(hosts) != 0 {
		t.Fatalf("got %v, %v; want nothing", hosts, err)
	}
}
