package hostinfo

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/internal/testenv"
	"github.com/egovnet/egovnet/internal/wire"
)

// TestDpkgRealDatabase compares the parser with dpkg-query on this machine.
func TestDpkgRealDatabase(t *testing.T) {
	q := testenv.Binary(t, "dpkg-query")
	out, err := exec.Command(q, "-W", "-f", `${db:Status-Abbrev}\t${Package}\t${Version}\n`).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, "\t")
		if len(f) == 3 && strings.HasPrefix(f[0], "ii") {
			want[f[1]] = f[2]
		}
	}
	f, err := os.Open("/var/lib/dpkg/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ParseDpkgStatus(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 50 || len(got) != len(want) {
		t.Fatalf("parsed %d packages, dpkg-query lists %d installed", len(got), len(want))
	}
	for _, sw := range got {
		if want[sw.Name] != sw.Version || sw.Source != "dpkg" {
			t.Fatalf("%s %s, dpkg-query says %q", sw.Name, sw.Version, want[sw.Name])
		}
	}
}

func TestParseDpkgStatus(t *testing.T) {
	in := `Package: wps-office
Status: install ok installed
Maintainer: Kingsoft Office <wps@example.cn>
Version: 11.1.0.11720
Description: WPS Office
 multi-line description
 .

Package: removed-pkg
Status: deinstall ok config-files
Version: 1.0

Package: kylin-os
Status: install ok installed
Origin: Kylin
Version: 10
`
	got, err := ParseDpkgStatus(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []wire.Software{
		{Name: "wps-office", Version: "11.1.0.11720", Vendor: "Kingsoft Office", Source: "dpkg"},
		{Name: "kylin-os", Version: "10", Vendor: "Kylin", Source: "dpkg"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v", got)
	}
}

func TestParseRPMList(t *testing.T) {
	in := "dmdbms\t8.1-2\tDameng\nkernel\t4.18.0-305.el8\t(none)\ngpg-pubkey\tabc-1\t(none)\n\nbad line\n"
	got := ParseRPMList([]byte(in))
	want := []wire.Software{
		{Name: "dmdbms", Version: "8.1-2", Vendor: "Dameng", Source: "rpm"},
		{Name: "kernel", Version: "4.18.0-305.el8", Source: "rpm"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v", got)
	}
}

func TestRPMReal(t *testing.T) {
	rpm := testenv.Binary(t, "rpm")
	if _, err := RPMList(context.Background(), rpm); err != nil {
		t.Fatal(err)
	}
	if _, err := RPMList(context.Background(), "/nonexistent/rpm"); err == nil {
		t.Fatal("missing rpm binary must be an error")
	}
}

func TestParseProcRoute(t *testing.T) {
	in := `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth0	00000000	0100010A	0003	0	0	100	00000000	0	0	0
eth0	0000010A	00000000	0001	0	0	0	00FFFFFF	0	0	0
ppp0	000014AC	00000000	0001	0	0	0	0000FFFF	0	0	0
eth1	000A0A0A	00000000	0000	0	0	0	00FFFFFF	0	0	0
`
	got, err := ParseProcRoute(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []wire.HostRoute{
		{Destination: "0.0.0.0/0", Gateway: "10.1.0.1", Interface: "eth0", Metric: 100},
		{Destination: "10.1.0.0/24", Interface: "eth0"},
		{Destination: "172.20.0.0/16", Interface: "ppp0"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v", got)
	}
	if _, err := ParseProcRoute(strings.NewReader("h\neth0 zz\n")); err == nil {
		t.Fatal("short line must be an error")
	}
}

func TestParseProcIPv6Route(t *testing.T) {
	in := `20010db8000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000003 00000000 00000003     eth0
00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo
ff000000000000000000000000000000 08 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001     eth0
`
	got, err := ParseProcIPv6Route(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []wire.HostRoute{
		{Destination: "2001:db8::/64", Interface: "eth0", Metric: 256},
		{Destination: "::/0", Gateway: "fe80::1", Interface: "eth0", Metric: 1024},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v", got)
	}
}

// TestRealHost checks Collect against this machine: lo is a loopback with
// 127.0.0.1/8, and the routes agree with `ip route`.
func TestRealHost(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("linux only")
	}
	h, errs := Collect(context.Background(), Sources{})
	for _, err := range errs {
		t.Errorf("collect: %v", err)
	}
	var lo *wire.HostInterface
	for i := range h.Interfaces {
		if h.Interfaces[i].Name == "lo" {
			lo = &h.Interfaces[i]
		}
	}
	if lo == nil || lo.Type != "loopback" || !slices.Contains(lo.Addresses, "127.0.0.1/8") || !lo.Up {
		t.Fatalf("lo = %+v", lo)
	}
	if len(h.Software) == 0 || h.Hostname == "" || h.OS == "" {
		t.Fatalf("host = %s %s, %d packages", h.Hostname, h.OS, len(h.Software))
	}
	ip := testenv.Binary(t, "ip")
	out, err := exec.Command(ip, "-4", "route", "show", "table", "main").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] == "unreachable" || f[0] == "blackhole" {
			continue
		}
		dst := f[0]
		if dst == "default" {
			dst = "0.0.0.0/0"
		} else if !strings.Contains(dst, "/") {
			dst += "/32"
		}
		found := false
		for _, r := range h.Routes {
			if r.Destination == dst {
				found = true
			}
		}
		if !found {
			t.Errorf("route %q from ip route missing in %+v", line, h.Routes)
		}
	}
}

func TestARPHRDType(t *testing.T) {
	tests := []struct {
		num  string
		tun  bool
		want string
	}{
		{"1", false, "ethernet"}, {"1", true, "tunnel"}, {"772", false, "loopback"}, {"512", false, "ppp"},
		{"768", false, "tunnel"}, {"778", false, "tunnel"}, {"65534", false, "tunnel"}, {"776", false, "tunnel"},
		{"801", false, "wireless"}, {"9999", false, "other"},
	}
	for _, tc := range tests {
		if got := ARPHRDType(tc.num, tc.tun); got != tc.want {
			t.Errorf("ARPHRDType(%s,%v) = %s, want %s", tc.num, tc.tun, got, tc.want)
		}
	}
}

func TestParseProcARP(t *testing.T) {
	in := `IP address       HW type     Flags       HW address            Mask     Device
10.1.0.1         0x1         0x2         00:e0:fc:00:00:01     *        eth0
10.1.0.9         0x1         0x0         00:00:00:00:00:00     *        eth0
10.1.0.7         0x1         0x6         00:0f:e2:00:00:07     *        eth0
`
	got, err := ParseProcARP(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].MAC != "00:e0:fc:00:00:01" || got[1].IP.String() != "10.1.0.7" || got[0].Iface != "eth0" {
		t.Fatalf("got %+v", got)
	}
	if _, err := ParseProcARP(strings.NewReader("h\nzz 0x1\n")); err == nil {
		t.Fatal("short line accepted")
	}
	if _, err := Neighbors("/proc/net/arp"); err != nil && runtime.GOOS == "linux" {
		t.Fatal(err)
	}
}
