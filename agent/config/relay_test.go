package config

import (
	"strings"
	"testing"
)

func TestRelayConfig(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want []string // substrings of the error; none: valid
	}{
		{"off by default", "", nil, nil},
		{"on", "relay: {listen: \"127.0.0.1:8443\", allow: [10.1.0.0/24, 10.1.1.7]}\n", nil, nil},
		{"from the environment", "", map[string]string{"EGOVNET_RELAY_LISTEN": "127.0.0.1:9000"}, nil},
		{"bad listen", "relay: {listen: \"8443\"}\n", nil, []string{"relay.listen"}},
		{"endpoint agents do not relay", "profile: endpoint\nrelay: {listen: \"127.0.0.1:8443\"}\n", nil, []string{"only a network agent"}},
		{"half TLS", "relay: {tls_cert: c.pem}\n", nil, []string{"set both or neither"}},
		{"every bound named", "relay: {max_report_bytes: 10, spool_max_reports: 0, per_client: 0, max_concurrent: 0, allow: [10.1.0.1/24]}\n", nil,
			[]string{"relay.max_report_bytes", "relay.spool_max_reports", "relay.per_client", "relay.max_concurrent", "relay.allow"}},
		{"spool smaller than one report", "relay: {spool_max_bytes: 1024}\n", nil, []string{"relay.spool_max_bytes"}},
		{"unknown key", "relay: {listne: \"127.0.0.1:1\"}\n", nil, []string{"listne"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := load(t, tc.yaml, tc.env)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if tc.env != nil && c.Relay.Listen != tc.env["EGOVNET_RELAY_LISTEN"] {
					t.Fatalf("listen %q", c.Relay.Listen)
				}
				if c.Relay.MaxReportBytes != 64<<20 || c.Relay.SpoolMaxReports != 1000 {
					t.Fatalf("defaults %+v", c.Relay)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
