// Package hostinfo collects facts about the agent's own host: interfaces
// (a tunnel or PPP interface, or a second NIC into another network, is
// evidence of a private link), routes (a default route that does not point
// at the extranet uplink is evidence of an internet exit), and installed
// software for the legalization ledger (dpkg, rpm, the Windows uninstall
// registry keys). Each part fails alone: a missing package database costs
// that part, never the report.
package hostinfo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sort"
	"strings"

	"github.com/egovnet/egovnet/internal/wire"
)

// Sources say where to read from; zero values mean the real system.
type Sources struct {
	SysClassNet string // default /sys/class/net
	ProcRoute   string // default /proc/net/route
	ProcRoute6  string // default /proc/net/ipv6_route
	DpkgStatus  string // default /var/lib/dpkg/status
	RPM         string // rpm binary; default looked up in PATH
	OSRelease   string // default /etc/os-release
	// SoftwareFile replaces every package database when set
	// (config host.software_file).
	SoftwareFile string
}

func (s Sources) withDefaults() Sources {
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&s.SysClassNet, "/sys/class/net")
	def(&s.ProcRoute, "/proc/net/route")
	def(&s.ProcRoute6, "/proc/net/ipv6_route")
	def(&s.DpkgStatus, "/var/lib/dpkg/status")
	def(&s.OSRelease, "/etc/os-release")
	return s
}

// Collect gathers everything; the returned errors name each part that failed.
func Collect(ctx context.Context, src Sources) (*wire.Host, []error) {
	src = src.withDefaults()
	var errs []error
	h := &wire.Host{Interfaces: []wire.HostInterface{}, Routes: []wire.HostRoute{}, Software: []wire.Software{}}
	if name, err := os.Hostname(); err == nil {
		h.Hostname = name
	}
	h.OS = osName(src.OSRelease)
	ifs, err := Interfaces(src.SysClassNet)
	if err != nil {
		errs = append(errs, fmt.Errorf("interfaces: %w", err))
	}
	h.Interfaces = append(h.Interfaces, ifs...)
	routes, err := Routes(src.ProcRoute, src.ProcRoute6)
	if err != nil {
		errs = append(errs, fmt.Errorf("routes: %w", err))
	}
	h.Routes = append(h.Routes, routes...)
	sw, serrs := Software(ctx, src)
	errs = append(errs, serrs...)
	h.Software = append(h.Software, sw...)
	return h, errs
}

// Interfaces lists the host's interfaces with addresses and link type.
func Interfaces(sysClassNet string) ([]wire.HostInterface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	var out []wire.HostInterface
	var errs []error
	for _, ifc := range ifs {
		hi := wire.HostInterface{
			Name:      ifc.Name,
			Up:        ifc.Flags&net.FlagUp != 0,
			Addresses: []string{},
			Type:      linkType(sysClassNet, ifc),
		}
		if len(ifc.HardwareAddr) > 0 {
			hi.MAC = ifc.HardwareAddr.String()
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			errs = append(errs, fmt.Errorf("addresses of %s: %w", ifc.Name, err))
		}
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				ones, _ := ipn.Mask.Size()
				hi.Addresses = append(hi.Addresses, fmt.Sprintf("%s/%d", ipn.IP, ones))
			}
		}
		out = append(out, hi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, errors.Join(errs...)
}

// linkType reads the ARPHRD type from sysfs on Linux and falls back to the
// interface flags elsewhere.
func linkType(sysClassNet string, ifc net.Interface) string {
	if runtime.GOOS == "linux" {
		if b, err := os.ReadFile(sysClassNet + "/" + ifc.Name + "/type"); err == nil {
			_, tunErr := os.Stat(sysClassNet + "/" + ifc.Name + "/tun_flags")
			return ARPHRDType(strings.TrimSpace(string(b)), tunErr == nil)
		}
	}
	switch {
	case ifc.Flags&net.FlagLoopback != 0:
		return "loopback"
	case ifc.Flags&net.FlagPointToPoint != 0:
		return "ppp"
	case len(ifc.HardwareAddr) == 6:
		return "ethernet"
	}
	return "other"
}

// ARPHRDType names a Linux ARPHRD_* number (include/uapi/linux/if_arp.h).
// isTun marks tun/tap devices, which are tunnels whatever their framing.
func ARPHRDType(num string, isTun bool) string {
	if isTun {
		return "tunnel"
	}
	switch num {
	case "1":
		return "ethernet"
	case "772":
		return "loopback"
	case "512":
		return "ppp"
	case "768", "769", "776", "778", "823", "65534": // ipip, ip6tnl, sit, gre, ip6gre, none (tun, wireguard)
		return "tunnel"
	case "801", "802", "803":
		return "wireless"
	case "32":
		return "infiniband"
	case "774":
		return "fddi"
	case "519", "513":
		return "serial" // rawhdlc, cisco hdlc
	}
	return "other"
}

func osName(osRelease string) string {
	b, err := os.ReadFile(osRelease)
	if err != nil {
		return runtime.GOOS
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"'`)
		}
	}
	return runtime.GOOS
}
