package endpoint

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/egovnet/egovnet/internal/wire"
)

func TestParseWindows(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		file string
		os   wire.OSInfo
		hw   *wire.Hardware
		user string
	}{
		{"win10-pro-kms.json", wire.OSInfo{Name: "Microsoft Windows 10 专业版", Version: "22H2 (10.0.19045)", Edition: "Professional", Arch: "amd64", Activated: &yes, KMSHost: "kms.czj.example.gov.cn"},
			&wire.Hardware{Vendor: "LENOVO", Model: "ThinkCentre M720t", Serial: "PC1ABCDE"}, `CZJ\zhangwei`},
		// A home edition, not activated, on an unbranded board: no hardware identity.
		{"win11-home-unlicensed.json", wire.OSInfo{Name: "Microsoft Windows 11 Home China", Version: "23H2 (10.0.22631)", Edition: "CoreCountrySpecific", Arch: "amd64", Activated: &no},
			nil, `DESKTOP-7Q\user`},
		// No licensing row readable: activation unknown, not "false".
		{"win7-no-licensing.json", wire.OSInfo{Name: "Microsoft Windows 7 旗舰版", Version: "6.1.7601", Edition: "Ultimate", Arch: "386"},
			&wire.Hardware{Vendor: "Dell Inc.", Model: "OptiPlex 3020", Serial: "8XK2Q32"}, ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			f, err := ParseWindows(b)
			if err != nil {
				t.Fatal(err)
			}
			if f.OS == nil {
				t.Fatal("no OS info")
			}
			got, want := *f.OS, tc.os
			if (got.Activated == nil) != (want.Activated == nil) || got.Activated != nil && *got.Activated != *want.Activated {
				t.Fatalf("activated %v, want %v", got.Activated, want.Activated)
			}
			got.Activated, want.Activated = nil, nil
			if got != want {
				t.Fatalf("os %+v\nwant %+v", got, want)
			}
			if (f.Hardware == nil) != (tc.hw == nil) || f.Hardware != nil && *f.Hardware != *tc.hw {
				t.Fatalf("hardware %+v, want %+v", f.Hardware, tc.hw)
			}
			if f.User != tc.user {
				t.Fatalf("user %q, want %q", f.User, tc.user)
			}
		})
	}
	if _, err := ParseWindows([]byte("not json")); err == nil {
		t.Fatal("garbage accepted")
	}
}

func TestParseOSRelease(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       wire.OSInfo
	}{
		{"kylin desktop", "NAME=\"Kylin\"\nVERSION=\"银河麒麟桌面操作系统V10 (SP1)\"\nVERSION_ID=\"v10\"\nVARIANT=\"Desktop\"\n", wire.OSInfo{Name: "Kylin", Version: "v10", Edition: "Desktop", Arch: "arm64"}},
		{"uos", "PRETTY_NAME=\"UnionTech OS Desktop 20 Pro\"\nNAME=\"uos\"\nVERSION_ID=\"20\"\n", wire.OSInfo{Name: "uos", Version: "20", Arch: "arm64"}},
		{"openEuler", "NAME=\"openEuler\"\nVERSION=\"22.03 (LTS-SP1)\"\nID=\"openEuler\"\nVERSION_ID=\"22.03\"\n", wire.OSInfo{Name: "openEuler", Version: "22.03", Arch: "arm64"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ParseOSRelease([]byte(tc.text), "arm64")
			if got == nil || *got != tc.want {
				t.Fatalf("%+v, want %+v", got, tc.want)
			}
		})
	}
	if ParseOSRelease(nil, "amd64") != nil {
		t.Fatal("empty os-release gave facts")
	}
}

func utmpRecord(typ int16, line, user string) []byte {
	rec := make([]byte, utmpSize)
	binary.LittleEndian.PutUint16(rec[0:2], uint16(typ))
	copy(rec[8:40], line)
	copy(rec[44:76], user)
	return rec
}

func TestParseUtmp(t *testing.T) {
	var b []byte
	b = append(b, utmpRecord(2, "~", "reboot")...)    // BOOT_TIME
	b = append(b, utmpRecord(7, "pts/0", "admin")...) // an ssh session
	b = append(b, utmpRecord(7, ":0", "liqiang")...)  // the person at the desk
	if got := ParseUtmp(b); got != "liqiang" {
		t.Fatalf("user %q, want the graphical session's owner", got)
	}
	if got := ParseUtmp(utmpRecord(7, "pts/1", "ops")); got != "ops" {
		t.Fatalf("only an ssh login: %q", got)
	}
	if got := ParseUtmp([]byte("short")); got != "" {
		t.Fatalf("truncated utmp: %q", got)
	}
}
