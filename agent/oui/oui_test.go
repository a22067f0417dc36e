package oui

import "testing"

func TestVendor(t *testing.T) {
	tests := []struct{ name, mac, want string }{
		{"huawei MA-L", "00:e0:fc:12:34:56", "HUAWEI TECHNOLOGIES CO.,LTD"},
		{"h3c dashes", "00-0F-E2-aa-bb-cc", "Hangzhou H3C Technologies Co., Limited"},
		{"cisco dotted", "0000.0c07.ac01", "Cisco Systems, Inc"},
		{"MA-S beats MA-L", "70:b3:d5:f2:f1:00", "TELEPLATFORMS"},
		{"locally administered", "02:42:ac:11:00:02", ""},
		{"malformed", "not-a-mac", ""},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Vendor(tc.mac); got != tc.want {
				t.Fatalf("Vendor(%q) = %q, want %q", tc.mac, got, tc.want)
			}
		})
	}
	if Len() < 40000 {
		t.Fatalf("only %d prefixes embedded", Len())
	}
}
