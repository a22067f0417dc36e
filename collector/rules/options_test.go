package rules

import (
	"strings"
	"testing"
)

func TestParsePatterns(t *testing.T) {
	p, err := ParsePatterns([]byte("line_aliases: ['电路号']\nvpn_udp_ports: [500]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.LineAliases) != 1 || len(p.VPNUDPPorts) != 1 || len(p.ManagementUI) == 0 || len(p.TunnelIfTypes) == 0 {
		t.Errorf("overrides or defaults lost: %+v", p)
	}
	if p, err := ParsePatterns(nil); err != nil || len(p.LineAliases) == 0 {
		t.Errorf("empty input: %v %+v", err, p)
	}
	for name, in := range map[string]string{"unknown key": "carrier: [x]\n", "bad regexp": "management_ui: ['(']\n"} {
		if _, err := ParsePatterns([]byte(in)); err == nil || !strings.Contains(err.Error(), "rule patterns") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
