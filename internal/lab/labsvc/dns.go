package labsvc

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

// Zone is what a lab DNS responder knows: names to IPv4 addresses, and
// addresses to the names their PTR records give.
type Zone struct {
	a   map[string][]netip.Addr // lower-case FQDN with trailing dot
	ptr map[netip.Addr][]string
}

// NewZone builds a zone from "name=address" records; names get a trailing
// dot; noPTR lists names that get no PTR record.
func NewZone(records []string, noPTR map[string]bool) (*Zone, error) {
	z := &Zone{a: map[string][]netip.Addr{}, ptr: map[netip.Addr][]string{}}
	for _, r := range records {
		name, addr, ok := strings.Cut(r, "=")
		a, err := netip.ParseAddr(addr)
		if !ok || err != nil || !a.Is4() || name == "" {
			return nil, fmt.Errorf("dns record %q: want NAME=IPv4", r)
		}
		fq := strings.ToLower(strings.TrimSuffix(name, ".")) + "."
		z.a[fq] = append(z.a[fq], a)
		if !noPTR[strings.TrimSuffix(name, ".")] {
			z.ptr[a] = append(z.ptr[a], fq)
		}
	}
	return z, nil
}

// ptrAddr parses d.c.b.a.in-addr.arpa. into a.b.c.d.
func ptrAddr(name string) (netip.Addr, bool) {
	rest, ok := strings.CutSuffix(strings.ToLower(name), ".in-addr.arpa.")
	if !ok {
		return netip.Addr{}, false
	}
	p := strings.Split(rest, ".")
	if len(p) != 4 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(p[3] + "." + p[2] + "." + p[1] + "." + p[0])
	return a, err == nil
}

// Answer builds the response to one query message: authoritative, never
// recursive; unknown names get NXDOMAIN.
func (z *Zone) Answer(query []byte) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, fmt.Errorf("parse query: %w", err)
	}
	q, err := p.Question()
	if err != nil {
		return nil, fmt.Errorf("parse question: %w", err)
	}
	resp := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired}
	name := strings.ToLower(q.Name.String())
	var answers []dnsmessage.Resource
	known := false
	hdr := func(t dnsmessage.Type) dnsmessage.ResourceHeader {
		return dnsmessage.ResourceHeader{Name: q.Name, Type: t, Class: dnsmessage.ClassINET, TTL: 300}
	}
	if addrs, ok := z.a[name]; ok {
		known = true
		if q.Type == dnsmessage.TypeA || q.Type == dnsmessage.TypeALL {
			for _, a := range addrs {
				answers = append(answers, dnsmessage.Resource{Header: hdr(dnsmessage.TypeA), Body: &dnsmessage.AResource{A: a.As4()}})
			}
		}
	}
	if a, ok := ptrAddr(name); ok {
		if names, ok := z.ptr[a]; ok {
			known = true
			if q.Type == dnsmessage.TypePTR || q.Type == dnsmessage.TypeALL {
				for _, n := range names {
					answers = append(answers, dnsmessage.Resource{Header: hdr(dnsmessage.TypePTR), Body: &dnsmessage.PTRResource{PTR: dnsmessage.MustNewName(n)}})
				}
			}
		}
	}
	if !known {
		resp.RCode = dnsmessage.RCodeNameError
	}
	msg := dnsmessage.Message{Header: resp, Questions: []dnsmessage.Question{q}, Answers: answers}
	return msg.Pack()
}

// ServeDNS answers queries on a UDP socket until ctx ends.
func ServeDNS(ctx context.Context, pc net.PacketConn, z *Zone) error {
	go func() {
		<-ctx.Done()
		pc.Close()
	}()
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("read dns query: %w", err)
		}
		out, err := z.Answer(buf[:n])
		if err != nil {
			continue // not a DNS query: ignore, as a server would
		}
		_, _ = pc.WriteTo(out, from)
	}
}
