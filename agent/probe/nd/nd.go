// Package nd inventories IPv6 segments the way an ARP scan inventories
// IPv4 ones: an ICMPv6 echo request to all-nodes (ff02::1) on every link
// that carries a scope prefix, sent from this host's address in that
// prefix so hosts answer from theirs, then the kernel's neighbour table
// for the responders' link-layer addresses (a responder that did not know
// our MAC asked for it with a Neighbour Solicitation, which fills our
// table). IPv6 segments cannot be swept address by address (a /64 has
// 2^64), so the multicast echo is how hosts are found. Hosts that ignore
// multicast echo (Windows by default) are left to ICMP/TCP; ND is
// therefore never declared complete.
package nd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sort"
	"sync"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv6"
)

// Options tune the discovery.
type Options struct {
	// Timeout is how long replies are awaited after each echo (default 1s).
	Timeout time.Duration
	// Retries: more echoes per link (hosts drop a multicast under load).
	Retries int
}

// Host is one IPv6 neighbour that answered.
type Host struct {
	Addr netip.Addr
	MAC  string // "" when the neighbour table had no entry
	RTT  time.Duration
}

// link is one interface with this host's address inside the scope.
type link struct {
	ifc *net.Interface
	src netip.Addr
}

// Discover finds the IPv6 hosts on the links that carry scope prefixes.
// Links are found from this host's interfaces (the namespace it runs in).
func Discover(ctx context.Context, scope []netip.Prefix, opts Options) ([]Host, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	links, err := links(scope)
	if err != nil || len(links) == 0 {
		return nil, err
	}
	found := map[netip.Addr]time.Duration{}
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	// Sockets are opened here, on the caller's thread: a caller that entered
	// a network namespace on a locked thread gets them there.
	var conns []*conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for _, l := range links {
		c, err := listen(l)
		if err != nil {
			errs = append(errs, fmt.Errorf("nd on %s: %w", l.ifc.Name, err))
			continue
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		l := c.l
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := echoAll(ctx, c, scope, opts)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("nd on %s: %w", l.ifc.Name, err))
			}
			for a, d := range got {
				if old, ok := found[a]; !ok || d < old {
					found[a] = d
				}
			}
		}()
	}
	wg.Wait()
	// A responder that already knew our MAC sent no solicitation, so our
	// table may lack it: one unicast echo each makes the kernel resolve it.
	for _, c := range conns {
		c.resolve(ctx, found, opts)
	}
	macs, nerr := neighbours()
	if nerr != nil {
		errs = append(errs, nerr)
	}
	out := make([]Host, 0, len(found))
	for a, d := range found {
		out = append(out, Host{Addr: a, MAC: macs[a], RTT: d})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Addr.Less(out[j].Addr) })
	return out, errors.Join(errs...)
}

func links(scope []netip.Prefix) ([]link, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	var out []link
	for i := range ifs {
		ifc := &ifs[i]
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 || ifc.Flags&net.FlagMulticast == 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, ad := range addrs {
			ipn, ok := ad.(*net.IPNet)
			if !ok {
				continue
			}
			p, err := netip.ParsePrefix(ipn.String())
			if err != nil || !p.Addr().Is6() || p.Addr().Is4In6() || p.Addr().IsLinkLocalUnicast() {
				continue
			}
			for _, s := range scope {
				if s.Addr().Is6() && s.Overlaps(p.Masked()) {
					out = append(out, link{ifc: ifc, src: p.Addr()})
					break
				}
			}
		}
	}
	return out, nil
}

// conn is one link's ICMPv6 socket.
type conn struct {
	*icmp.PacketConn
	l       link
	own     map[netip.Addr]bool // read on the caller's thread (namespace)
	network string
	dst     net.Addr
}

func listen(l link) (*conn, error) {
	network, dst := "ip6:ipv6-icmp", net.Addr(&net.IPAddr{IP: net.ParseIP("ff02::1"), Zone: l.ifc.Name})
	c, err := icmp.ListenPacket(network, l.src.String())
	if err != nil {
		// Not root: an unprivileged ping socket (net.ipv4.ping_group_range).
		network, dst = "udp6", &net.UDPAddr{IP: net.ParseIP("ff02::1"), Zone: l.ifc.Name}
		if c, err = icmp.ListenPacket(network, l.src.String()); err != nil {
			return nil, fmt.Errorf("open icmpv6 socket: %w", err)
		}
	}
	return &conn{PacketConn: c, l: l, own: ownAddrs(l.ifc), network: network, dst: dst}, nil
}

// echoAll sends Retries+1 echoes to ff02::1 on the link and collects the
// in-scope sources of the replies with their RTT.
func echoAll(ctx context.Context, c *conn, scope []netip.Prefix, opts Options) (map[netip.Addr]time.Duration, error) {
	l, network, dst := c.l, c.network, c.dst
	pc := c.IPv6PacketConn()
	_ = pc.SetMulticastInterface(l.ifc)
	_ = pc.SetMulticastHopLimit(1)
	id := os.Getpid() & 0xffff
	own := c.own
	got := map[netip.Addr]time.Duration{}
	buf := make([]byte, 1500)
	for try := 0; try <= opts.Retries && ctx.Err() == nil; try++ {
		msg := icmp.Message{Type: ipv6.ICMPTypeEchoRequest, Body: &icmp.Echo{ID: id, Seq: try, Data: []byte("egovnet-nd")}}
		b, err := msg.Marshal(nil)
		if err != nil {
			return got, fmt.Errorf("marshal echo: %w", err)
		}
		sent := time.Now()
		if _, err := c.WriteTo(b, dst); err != nil {
			return got, fmt.Errorf("send echo to ff02::1%%%s: %w", l.ifc.Name, err)
		}
		deadline := sent.Add(opts.Timeout)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		_ = c.SetReadDeadline(deadline)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				break // deadline: this round is over
			}
			m, err := icmp.ParseMessage(58, buf[:n])
			if err != nil || m.Type != ipv6.ICMPTypeEchoReply {
				continue
			}
			if e, ok := m.Body.(*icmp.Echo); !ok || (network != "udp6" && e.ID != id) {
				continue
			}
			a, ok := addrOf(from)
			if !ok || !inScope(a, scope) {
				continue
			}
			if own[a] {
				continue // our own echo, looped back
			}
			if _, seen := got[a]; !seen {
				got[a] = time.Since(sent)
			}
		}
	}
	return got, ctx.Err()
}

func addrOf(a net.Addr) (netip.Addr, bool) {
	var ip net.IP
	switch v := a.(type) {
	case *net.IPAddr:
		ip = v.IP
	case *net.UDPAddr:
		ip = v.IP
	}
	x, ok := netip.AddrFromSlice(ip)
	return x.WithZone(""), ok
}

func inScope(a netip.Addr, scope []netip.Prefix) bool {
	for _, p := range scope {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func ownAddrs(ifc *net.Interface) map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	addrs, _ := ifc.Addrs()
	for _, ad := range addrs {
		if ipn, ok := ad.(*net.IPNet); ok {
			if a, ok := netip.AddrFromSlice(ipn.IP); ok {
				out[a.Unmap()] = true
			}
		}
	}
	return out
}

// resolve sends one unicast echo to each found address on this link's
// prefix and waits briefly for the answers (the kernel resolves the
// neighbour before it can send).
func (c *conn) resolve(ctx context.Context, found map[netip.Addr]time.Duration, opts Options) {
	msg := icmp.Message{Type: ipv6.ICMPTypeEchoRequest, Body: &icmp.Echo{ID: os.Getpid() & 0xffff, Seq: 0xffff, Data: []byte("egovnet-nd")}}
	b, err := msg.Marshal(nil)
	if err != nil {
		return
	}
	n := 0
	for a := range found {
		if ctx.Err() != nil {
			return
		}
		var dst net.Addr = &net.IPAddr{IP: a.AsSlice()}
		if c.network == "udp6" {
			dst = &net.UDPAddr{IP: a.AsSlice()}
		}
		if _, err := c.WriteTo(b, dst); err == nil {
			n++
		}
	}
	if n == 0 {
		return
	}
	// Replies are not needed, only the resolution they cause: drain until
	// the link is quiet or the timeout passes.
	buf := make([]byte, 1500)
	deadline := time.Now().Add(min(opts.Timeout, 500*time.Millisecond))
	for got := 0; got < n; got++ {
		_ = c.SetReadDeadline(deadline)
		if _, _, err := c.ReadFrom(buf); err != nil {
			return
		}
	}
}
