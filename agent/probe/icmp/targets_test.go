package icmp

import (
	"net/netip"
	"strings"
	"testing"
)

func TestTargetSet(t *testing.T) {
	tests := []struct {
		name        string
		prefixes    []string
		skip        []string
		max         uint64
		total       uint64
		first, last string
		err         string
	}{
		{"/24 skips network and broadcast", []string{"192.0.2.0/24"}, nil, 1 << 20, 254, "192.0.2.1", "192.0.2.254", ""},
		{"/31 and /32 keep every address", []string{"192.0.2.0/31", "198.51.100.7/32"}, nil, 1 << 20, 3, "192.0.2.0", "198.51.100.7", ""},
		{"nested and duplicate prefixes merge", []string{"192.0.2.0/24", "192.0.2.0/25", "192.0.2.9/32", "192.0.2.0/24"}, nil, 1 << 20, 254, "192.0.2.1", "192.0.2.254", ""},
		{"unmasked prefix is masked", []string{"192.0.2.77/30"}, nil, 1 << 20, 2, "192.0.2.77", "192.0.2.78", ""},
		{"ipv6 keeps every address", []string{"2001:db8::/126"}, nil, 1 << 20, 4, "2001:db8::", "2001:db8::3", ""},
		{"skip a middle block", []string{"192.0.2.0/24"}, []string{"192.0.2.64/26"}, 1 << 20, 190, "192.0.2.1", "192.0.2.254", ""},
		{"skip everything", []string{"192.0.2.0/24"}, []string{"192.0.0.0/16"}, 1 << 20, 0, "", "", ""},
		{"skip the other family has no effect", []string{"192.0.2.0/30"}, []string{"::/0"}, 1 << 20, 2, "192.0.2.1", "192.0.2.2", ""},
		{"ipv6 skip", []string{"2001:db8::/124"}, []string{"2001:db8::8/125"}, 1 << 20, 8, "2001:db8::", "2001:db8::7", ""},
		{"too many", []string{"10.0.0.0/8"}, nil, 1 << 20, 0, "", "", "too many target addresses"},
		{"ipv6 /64 refused", []string{"2001:db8::/64"}, nil, 1 << 22, 0, "", "", "too many target addresses"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ps, skip []netip.Prefix
			for _, s := range tc.prefixes {
				ps = append(ps, netip.MustParsePrefix(s))
			}
			for _, s := range tc.skip {
				skip = append(skip, netip.MustParsePrefix(s))
			}
			ts, err := newTargetSet(ps, skip, tc.max)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ts.total != tc.total {
				t.Fatalf("total = %d, want %d", ts.total, tc.total)
			}
			if ts.total == 0 {
				return
			}
			if got := ts.addr(0).String(); got != tc.first {
				t.Errorf("first = %s, want %s", got, tc.first)
			}
			if got := ts.addr(ts.total - 1).String(); got != tc.last {
				t.Errorf("last = %s, want %s", got, tc.last)
			}
			seen := map[netip.Addr]bool{}
			for i := uint64(0); i < ts.total; i++ {
				a := ts.addr(i)
				if seen[a] {
					t.Fatalf("address %s numbered twice", a)
				}
				for _, s := range skip {
					if s.Contains(a) {
						t.Fatalf("skipped address %s numbered", a)
					}
				}
				seen[a] = true
			}
		})
	}
}

func TestAddOffsetIPv6Carry(t *testing.T) {
	a := addOffset(netip.MustParseAddr("2001:db8::ffff:ffff:ffff:ffff"), 1)
	if a.String() != "2001:db8:0:1::" {
		t.Fatalf("got %s", a)
	}
}

func TestSweepRejectsBadInput(t *testing.T) {
	tests := []struct {
		name    string
		targets []netip.Prefix
		opts    Options
		err     string
	}{
		{"invalid prefix", []netip.Prefix{{}}, Options{}, "invalid target prefix"},
		{"negative retries", []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Options{Retries: -1}, "invalid retries"},
		{"negative rate", []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Options{Rate: -5}, "invalid rate"},
		{"negative timeout", []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Options{Timeout: -1}, "invalid timeout"},
		{"too large", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, Options{MaxAddresses: 1000}, "too many target addresses"},
		{"invalid skip", []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Options{Skip: []netip.Prefix{{}}}, "invalid skip prefix"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Sweep(t.Context(), tc.targets, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
		})
	}
}
