package hostinfo

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// Neighbor is one complete entry of the kernel's IPv4 neighbour (ARP) table.
type Neighbor struct {
	IP    netip.Addr
	MAC   string
	Iface string
}

// Neighbors reads the IPv4 neighbour table (/proc/net/arp by default). It
// needs no privileges, so an agent that may not send raw ARP still learns
// the MACs the kernel resolved while the sweep connected to on-link hosts.
func Neighbors(procARP string) ([]Neighbor, error) {
	if procARP == "" {
		procARP = "/proc/net/arp"
	}
	f, err := os.Open(procARP)
	if err != nil {
		return nil, fmt.Errorf("read neighbour table: %w", err)
	}
	defer f.Close()
	return ParseProcARP(f)
}

// ParseProcARP parses /proc/net/arp, keeping complete entries only
// (ATF_COM); incomplete ones carry 00:00:00:00:00:00 and prove nothing.
func ParseProcARP(r io.Reader) ([]Neighbor, error) {
	sc := bufio.NewScanner(r)
	var out []Neighbor
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if line == 1 || len(f) == 0 {
			continue
		}
		if len(f) < 6 {
			return out, fmt.Errorf("parse /proc/net/arp line %d: %d fields", line, len(f))
		}
		ip, err := netip.ParseAddr(f[0])
		if err != nil {
			return out, fmt.Errorf("parse /proc/net/arp line %d: %w", line, err)
		}
		flags, err := strconv.ParseUint(strings.TrimPrefix(f[2], "0x"), 16, 32)
		if err != nil {
			return out, fmt.Errorf("parse /proc/net/arp line %d: flags %q", line, f[2])
		}
		const atfCom = 0x2
		hw, err := net.ParseMAC(f[3])
		if flags&atfCom == 0 || err != nil {
			continue
		}
		out = append(out, Neighbor{IP: ip, MAC: hw.String(), Iface: f[5]})
	}
	return out, sc.Err()
}
