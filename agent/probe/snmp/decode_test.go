package snmp

import (
	"reflect"
	"testing"

	"github.com/gosnmp/gosnmp"
)

func TestDecodeText(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"plain", []byte("Huawei S5720"), "Huawei S5720"},
		{"CR/LF kept", []byte("Huawei Versatile Routing Platform Software\r\nVRP (R) software"), "Huawei Versatile Routing Platform Software\r\nVRP (R) software"},
		{"leading quote kept", []byte("\"Huawei YunShan OS"), "\"Huawei YunShan OS"},
		{"trailing NUL dropped", []byte("eth0\x00"), "eth0"},
		{"UTF-8 Chinese", []byte("核心交换机"), "核心交换机"},
		{"GBK Chinese (Chinese Windows)", []byte{0xd6, 0xd0, 0xce, 0xc4, 0x20, 0x57, 0x50, 0x53}, "中文 WPS"},
		{"GBK ifAlias naming a private line (Huawei/H3C)", []byte{214, 193, 202, 208, 190, 214, 215, 168, 207, 223, 32, 77, 80, 76, 83}, "至市局专线 MPLS"},
		{"Windows-1252 quotes", []byte{'a', ' ', 0x93, 'L', 0x94}, "a \u201cL\u201d"},
		{"binary becomes hex", []byte{0x00, 0x01, 0x02, 0xff}, "00:01:02:ff"},
		{"empty", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := decodeText(tc.in); got != tc.want {
				t.Errorf("decodeText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestMACValue(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
		want string
	}{
		{"binary", []byte{0x00, 0x1A, 0x2B, 0x3C, 0x4D, 0x5E}, "00:1a:2b:3c:4d:5e"},
		{"text colon upper", []byte("00:1A:2B:3C:4D:5E"), "00:1a:2b:3c:4d:5e"},
		{"text cisco dots", []byte("001a.2b3c.4d5e"), "00:1a:2b:3c:4d:5e"},
		{"net-snmp text, leading zeros dropped (comware ARP)", []byte("0:1b:c:fb:28:18"), "00:1b:0c:fb:28:18"},
		{"net-snmp text, all short", []byte("0:0:5e:0:1:2"), "00:00:5e:00:01:02"},
		{"empty", []byte{}, ""},
		{"8-byte (FireWire EUI-64)", []byte{1, 2, 3, 4, 5, 6, 7, 8}, "01:02:03:04:05:06:07:08"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := macValue(gosnmp.SnmpPDU{Type: gosnmp.OctetString, Value: tc.v}); got != tc.want {
				t.Errorf("macValue = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestInetIndex(t *testing.T) {
	for _, tc := range []struct {
		name     string
		index    string
		wantAddr string
		wantFam  int
		wantRest []uint32
		wantOK   bool
	}{
		{"ipv4 with length", "1.4.10.0.0.1.99", "10.0.0.1", 4, []uint32{99}, true},
		{"ipv4 without length", "1.10.0.0.1", "10.0.0.1", 4, []uint32{}, true},
		{"ipv6", "2.16.32.1.13.184.0.0.0.0.0.0.0.0.0.0.0.1", "2001:db8::1", 6, []uint32{}, true},
		{"ipv4z", "3.8.169.254.1.1.0.0.0.5", "169.254.1.1%5", 4, []uint32{}, true},
		{"ipv6z", "4.20.254.128.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.3", "fe80::1%3", 6, []uint32{}, true},
		{"ipv6z without length, zone as one arc (ZTE)", "4.254.128.0.0.0.0.0.0.118.74.164.255.254.31.243.128.1", "fe80::764a:a4ff:fe1f:f380%1", 6, nil, true},
		{"octet above 255", "1.4.10.0.0.300", "", 0, nil, false},
		{"too short", "2.16.1.2", "", 0, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			arcs, _ := parseArcs(tc.index)
			addr, fam, rest, ok := inetIndex(arcs)
			if ok != tc.wantOK || addr != tc.wantAddr || fam != tc.wantFam {
				t.Fatalf("inetIndex(%s) = %q %d %v %v, want %q %d %v", tc.index, addr, fam, rest, ok, tc.wantAddr, tc.wantFam, tc.wantOK)
			}
			if ok && len(rest)+len(tc.wantRest) > 0 && !reflect.DeepEqual(rest, tc.wantRest) {
				t.Errorf("rest = %v, want %v", rest, tc.wantRest)
			}
		})
	}
}

func TestSplitSoftwareName(t *testing.T) {
	for _, tc := range []struct{ raw, name, version string }{
		{"bash_5.2.15-2+b7_amd64", "bash", "5.2.15-2+b7"},
		{"acpid_1:2.0.33-2+b1_amd64", "acpid", "1:2.0.33-2+b1"},
		{"perl-open-1.11-416.el8", "perl-open", "1.11-416.el8"},
		{"python3-libxml2-2.9.7-5.el8.x86_64", "python3-libxml2", "2.9.7-5.el8"},
		{"gpg-pubkey-8483c65d-5ccc5b19", "gpg-pubkey", "8483c65d-5ccc5b19"},
		{"JUNOS Base OS Software Suite [18.2R1.9]", "JUNOS Base OS Software Suite", "18.2R1.9"},
		{"7-Zip 9.20", "7-Zip", "9.20"},
		{"Mozilla Firefox 3.6.3 (x86 en-US)", "Mozilla Firefox", "3.6.3"},
		{"Windows Internet Explorer 8", "Windows Internet Explorer 8", ""},
		{"Update for Windows XP (KB2492386)", "Update for Windows XP (KB2492386)", ""},
		{"Adobe AIR", "Adobe AIR", ""},
		{"WPS Office 11.1.0.10314", "WPS Office", "11.1.0.10314"},
		{"  ", "", ""},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			n, v := SplitSoftwareName(tc.raw)
			if n != tc.name || v != tc.version {
				t.Errorf("SplitSoftwareName(%q) = %q, %q; want %q, %q", tc.raw, n, v, tc.name, tc.version)
			}
		})
	}
}

func TestCredentialsOrder(t *testing.T) {
	c := Credentials{Communities: []string{"a", "b"}, V3: []V3User{{User: "u"}}}
	var got []string
	for _, x := range c.List() {
		got = append(got, string(x.Version)+":"+x.Community+x.User.User)
	}
	want := []string{"v2c:a", "v2c:b", "v1:a", "v1:b", "v3:u"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	if s := (Credential{Version: V2c, Community: "secret"}).String(); s != "v2c community" {
		t.Errorf("String() = %q leaks or changed", s)
	}
}

func TestSplitTarget(t *testing.T) {
	for _, tc := range []struct {
		in   string
		host string
		port uint16
		bad  bool
	}{
		{"10.0.0.1", "10.0.0.1", 161, false},
		{"10.0.0.1:1161", "10.0.0.1", 1161, false},
		{"[2001:db8::1]:162", "2001:db8::1", 162, false},
		{"2001:db8::1", "2001:db8::1", 161, false},
		{"router.example", "router.example", 161, false},
		{"10.0.0.1:0", "", 0, true},
		{"10.0.0.1:99999", "", 0, true},
		{"", "", 0, true},
	} {
		h, p, err := splitTarget(tc.in, 161)
		if (err != nil) != tc.bad || (!tc.bad && (h != tc.host || p != tc.port)) {
			t.Errorf("splitTarget(%q) = %q %d %v", tc.in, h, p, err)
		}
	}
}

func TestRouteHelpers(t *testing.T) {
	if n := prefixFromMask("255.255.255.0"); n != 24 {
		t.Errorf("mask /24 = %d", n)
	}
	if n := prefixFromMask("255.0.255.0"); n != -1 {
		t.Errorf("non-contiguous mask = %d, want -1", n)
	}
	if s := cidr("10.1.2.3", 16); s != "10.1.0.0/16" {
		t.Errorf("cidr = %s", s)
	}
	if c := compareOID(".1.3.6.1.10", ".1.3.6.1.9"); c <= 0 {
		t.Error("compareOID is not numeric")
	}
	if c := compareOID("1.3.6", "1.3.6.1"); c >= 0 {
		t.Error("prefix must sort first")
	}
}
