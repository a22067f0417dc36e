package dnsname

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// fakeDNS is a loopback UDP DNS server: PTR answers from names, silence
// for addresses in slow (a resolver that times out).
type fakeDNS struct {
	conn    net.PacketConn
	names   map[string][]string // reverse name -> PTR targets
	silent  bool
	queries atomic.Int64
}

func startDNS(t *testing.T, names map[netip.Addr][]string, silent bool) *fakeDNS {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeDNS{conn: c, names: map[string][]string{}, silent: silent}
	for a, ns := range names {
		rev, _ := reverse(a)
		f.names[rev] = ns
	}
	t.Cleanup(func() { c.Close() })
	go f.serve()
	return f
}

func reverse(a netip.Addr) (string, error) {
	b := a.As4()
	return fmt.Sprintf("%d.%d.%d.%d.in-addr.arpa.", b[3], b[2], b[1], b[0]), nil
}

func (f *fakeDNS) addr() netip.AddrPort { return netip.MustParseAddrPort(f.conn.LocalAddr().String()) }

func (f *fakeDNS) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := f.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		f.queries.Add(1)
		if f.silent {
			continue
		}
		var p dnsmessage.Parser
		h, err := p.Start(buf[:n])
		if err != nil {
			continue
		}
		q, err := p.Question()
		if err != nil {
			continue
		}
		rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true}
		ns, ok := f.names[strings.ToLower(q.Name.String())]
		if !ok {
			rh.RCode = dnsmessage.RCodeNameError
		}
		bld := dnsmessage.NewBuilder(nil, rh)
		bld.StartQuestions()
		bld.Question(q)
		bld.StartAnswers()
		for _, name := range ns {
			bld.PTRResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60},
				dnsmessage.PTRResource{PTR: dnsmessage.MustNewName(name)})
		}
		out, err := bld.Finish()
		if err == nil {
			f.conn.WriteTo(out, from)
		}
	}
}

func TestLookup(t *testing.T) {
	a1, a2, a3 := netip.MustParseAddr("10.20.0.1"), netip.MustParseAddr("10.20.0.2"), netip.MustParseAddr("10.20.0.3")
	many := make([]string, 20)
	for i := range many {
		many[i] = fmt.Sprintf("n%d.example.gov.cn.", i)
	}
	srv := startDNS(t, map[netip.Addr][]string{
		a1: {"www.czj.example.gov.cn.", "WWW.czj.example.gov.cn."}, // case folded, one kept
		a2: many,
	}, false)
	clear(cache.m)
	res := Lookup(context.Background(), []netip.Addr{a1, a2, a3}, Options{Servers: []netip.AddrPort{srv.addr()}, Timeout: time.Second, MaxNames: 5})
	tests := []struct {
		name string
		addr netip.Addr
		want string
	}{
		{"one name, case folded", a1, "[www.czj.example.gov.cn]"},
		{"many names bounded", a2, "[n0.example.gov.cn n1.example.gov.cn n2.example.gov.cn n3.example.gov.cn n4.example.gov.cn]"},
		{"no name is no error", a3, "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fmt.Sprint(res.Names[tt.addr]); got != tt.want {
				t.Fatalf("names %s, want %s", got, tt.want)
			}
		})
	}
	if len(res.Errors) != 0 {
		t.Fatalf("errors %v, want none", res.Errors)
	}
	// Cached: asking again sends nothing.
	before := srv.queries.Load()
	again := Lookup(context.Background(), []netip.Addr{a1, a3}, Options{Servers: []netip.AddrPort{srv.addr()}, Timeout: time.Second})
	if srv.queries.Load() != before || fmt.Sprint(again.Names[a1]) != "[www.czj.example.gov.cn]" {
		t.Fatalf("second lookup sent %d queries, names %v; want 0 and the cached name", srv.queries.Load()-before, again.Names)
	}
}

func TestLookupFailures(t *testing.T) {
	silent := startDNS(t, nil, true)
	// A closed port: nothing listens there (connection refused on loopback).
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	closed := netip.MustParseAddrPort(pc.LocalAddr().String())
	pc.Close()
	addrs := make([]netip.Addr, 50)
	for i := range addrs {
		addrs[i] = netip.AddrFrom4([4]byte{10, 21, 0, byte(i + 1)})
	}
	tests := []struct {
		name   string
		server netip.AddrPort
		want   string
	}{
		{"resolver times out", silent.addr(), "timed out"},
		{"no resolver listening", closed, "no resolver listening"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clear(cache.m)
			start := time.Now()
			res := Lookup(context.Background(), addrs, Options{Servers: []netip.AddrPort{tt.server}, Timeout: 300 * time.Millisecond, Workers: 25})
			if len(res.Names) != 0 || res.Failed != len(addrs) {
				t.Fatalf("names %v, failed %d; want none and %d", res.Names, res.Failed, len(addrs))
			}
			if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), tt.want) || !strings.Contains(res.Errors[0].Error(), "(50 addresses)") {
				t.Fatalf("errors %v, want one naming %q for 50 addresses", res.Errors, tt.want)
			}
			// Bounded by the timeout and the worker count: 2 waves of 25, not 50 serial waits.
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("took %s", d)
			}
		})
	}
}

func TestLoopbackNeverAskedOfSystemResolver(t *testing.T) {
	res := Lookup(context.Background(), []netip.Addr{netip.MustParseAddr("127.0.0.2")}, Options{Timeout: 100 * time.Millisecond})
	if len(res.Names) != 0 || res.Failed != 0 || len(res.Errors) != 0 {
		t.Fatalf("got %+v, want nothing asked", res)
	}
}

// TestSilentResolverIsGivenUp: a resolver that never answers costs a few
// timeouts, not one per address of a big scope.
func TestSilentResolverIsGivenUp(t *testing.T) {
	silent := startDNS(t, nil, true)
	clear(cache.m)
	addrs := make([]netip.Addr, 2000)
	for i := range addrs {
		addrs[i] = netip.AddrFrom4([4]byte{10, 22, byte(i >> 8), byte(i)})
	}
	res := Lookup(context.Background(), addrs, Options{Servers: []netip.AddrPort{silent.addr()}, Timeout: 200 * time.Millisecond, Workers: 4})
	if res.Failed+res.Skipped != len(addrs) || res.Skipped < len(addrs)-4*giveUpAfter-4 {
		t.Fatalf("failed %d, skipped %d of %d; want all but about %d skipped", res.Failed, res.Skipped, len(addrs), 4*giveUpAfter)
	}
	if q := silent.queries.Load(); q > int64(4*giveUpAfter+4)*4 { // the Go resolver retries each query a few times
		t.Fatalf("%d queries sent to a silent resolver", q)
	}
	if len(res.Errors) != 2 {
		t.Fatalf("errors %v, want the timeout and the skip", res.Errors)
	}
}
