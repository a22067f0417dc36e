package wire

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestMarshalKeepsContractFields(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want []string
	}{
		{"empty report lists", ScanReport{Schema: SchemaScanV1}, []string{`"scope":[]`, `"endpoints":[]`, `"devices":[]`, `"paths":[]`}},
		{"bare endpoint", Endpoint{IP: "10.1.0.5", Role: RoleUnknown}, []string{`"mac":""`, `"vendor":""`, `"hostname":""`, `"rtt_ms":0`, `"open_ports":[]`, `"seen_by":[]`, `"http":[]`}},
		{"path without hops", Path{Target: "203.0.113.10"}, []string{`"hops":[]`}},
		{"device without tables", DeviceInventory{Target: "10.1.0.1:161"}, []string{`"interfaces":[]`, `"arp":[]`, `"routes":[]`, `"neighbors":[]`, `"software":[]`, `"errors":[]`}},
		{"nested endpoint in report", ScanReport{Endpoints: []Endpoint{{IP: "10.1.0.5"}}}, []string{`"open_ports":[]`}},
		{"second-round device tables", DeviceInventory{Target: "10.1.0.1:161"}, []string{`"fdb":[]`, `"vlans":[]`, `"entities":[]`, `"vrfs":[]`, `"ip_addresses":[]`}},
		{"host without facts", Host{}, []string{`"interfaces":[]`, `"routes":[]`, `"software":[]`}},
		{"omitempty lists stay out", Endpoint{IP: "10.1.0.5"}, []string{`"ip":"10.1.0.5"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("%s lacks %s", b, w)
				}
			}
			if strings.Contains(string(b), "null") {
				t.Errorf("%s has a null", b)
			}
			for _, absent := range []string{`"udp_ports"`, `"names"`} {
				if strings.Contains(string(b), absent) {
					t.Errorf("%s has the omitempty list %s", b, absent)
				}
			}
		})
	}
}
