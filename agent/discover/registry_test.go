package discover

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/egovnet/egovnet/agent/config"
)

func TestEnabled(t *testing.T) {
	cfg := config.Config{Scope: config.Scope{UDP: true, HTTP: true}}
	noExtras := config.Config{}
	tests := []struct {
		name  string
		in    string
		given bool
		cfg   config.Config
		want  string
		bad   bool
	}{
		{"default is all", "", false, cfg, "map[arp:true dns:true host:true http:true icmp:true path:true snmp:true tcp:true udp:true]", false},
		{"default without udp and http", "", false, noExtras, "map[arp:true dns:true host:true icmp:true path:true snmp:true tcp:true udp:false]", false},
		{"tcp brings http titles", "tcp", true, cfg, "map[http:true tcp:true]", false},
		{"explicit udp", "udp, ICMP", true, noExtras, "map[icmp:true udp:true]", false},
		{"unknown", "tcp,ftp", true, cfg, "", true},
		{"empty", ",", true, cfg, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Enabled(tc.in, tc.given, &tc.cfg)
			if (err != nil) != tc.bad || (!tc.bad && fmt.Sprint(got) != tc.want) {
				t.Fatalf("got %v, %v", got, err)
			}
		})
	}
}

func TestMergePrefixes(t *testing.T) {
	in := []netip.Prefix{
		netip.MustParsePrefix("10.1.0.0/24"), netip.MustParsePrefix("10.1.0.5/32"),
		netip.MustParsePrefix("10.1.0.0/24"), netip.MustParsePrefix("10.0.0.0/16"), netip.MustParsePrefix("2001:db8::/64"),
	}
	if got := fmt.Sprint(MergePrefixes(in)); got != "[10.1.0.0/24 10.0.0.0/16 2001:db8::/64]" {
		t.Fatalf("got %s", got)
	}
}
