package labsvc

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"
)

// TestServeDNS resolves through a real UDP responder with Go's own
// resolver: A, PTR, a name without PTR, and NXDOMAIN.
func TestServeDNS(t *testing.T) {
	z, err := NewZone([]string{"portal.example.gov.cn=10.200.1.10", "www.sfj.example.gov.cn=10.200.1.10", "hidden.example=10.200.1.11"},
		map[string]bool{"hidden.example": true})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ServeDNS(ctx, pc, z)
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp4", pc.LocalAddr().String())
	}}
	qctx, qcancel := context.WithTimeout(ctx, 5*time.Second)
	defer qcancel()
	cases := []struct {
		name string
		do   func() ([]string, error)
		want []string
	}{
		{"A", func() ([]string, error) { return r.LookupHost(qctx, "portal.example.gov.cn") }, []string{"10.200.1.10"}},
		{"PTR with two names", func() ([]string, error) { return r.LookupAddr(qctx, "10.200.1.10") }, []string{"portal.example.gov.cn.", "www.sfj.example.gov.cn."}},
		{"A of a name without PTR", func() ([]string, error) { return r.LookupHost(qctx, "hidden.example") }, []string{"10.200.1.11"}},
		{"no PTR", func() ([]string, error) { return r.LookupAddr(qctx, "10.200.1.11") }, nil},
		{"unknown name", func() ([]string, error) { return r.LookupHost(qctx, "nope.example") }, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.do()
			if c.want == nil {
				if err == nil {
					t.Errorf("got %v, want not found", got)
				}
				return
			}
			slices.Sort(got)
			if err != nil || !slices.Equal(got, c.want) {
				t.Errorf("got %v, %v; want %v", got, err, c.want)
			}
		})
	}
	if _, err := NewZone([]string{"bad"}, nil); err == nil {
		t.Error("a record without an address was accepted")
	}
}
