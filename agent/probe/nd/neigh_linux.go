package nd

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// neighbours reads the kernel's IPv6 neighbour table over rtnetlink
// (RTM_GETNEIGH): address -> link-layer address, for entries that have one.
func neighbours() (map[netip.Addr]string, error) {
	rib, err := syscall.NetlinkRIB(unix.RTM_GETNEIGH, unix.AF_INET6)
	if err != nil {
		return nil, fmt.Errorf("read neighbour table: %w", err)
	}
	msgs, err := syscall.ParseNetlinkMessage(rib)
	if err != nil {
		return nil, fmt.Errorf("parse neighbour table: %w", err)
	}
	out := map[netip.Addr]string{}
	const ndmsgLen = unix.SizeofNdMsg
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWNEIGH || len(m.Data) < ndmsgLen {
			continue
		}
		nd := (*unix.NdMsg)(unsafe.Pointer(&m.Data[0]))
		if nd.Family != unix.AF_INET6 || nd.State&(unix.NUD_FAILED|unix.NUD_INCOMPLETE|unix.NUD_NOARP) != 0 {
			continue
		}
		// syscall.ParseNetlinkRouteAttr knows no neighbour messages: the
		// attributes (rtattr, 4-byte aligned) follow the ndmsg header.
		var dst netip.Addr
		var mac net.HardwareAddr
		b := m.Data[ndmsgLen:]
		for len(b) >= 4 {
			l := int(binary.NativeEndian.Uint16(b[0:2]))
			typ := binary.NativeEndian.Uint16(b[2:4])
			if l < 4 || l > len(b) {
				break
			}
			v := b[4:l]
			switch typ {
			case unix.NDA_DST:
				dst, _ = netip.AddrFromSlice(v)
			case unix.NDA_LLADDR:
				mac = net.HardwareAddr(append([]byte(nil), v...))
			}
			b = b[min(len(b), (l+3)&^3):]
		}
		if dst.IsValid() && len(mac) == 6 {
			out[dst] = mac.String()
		}
	}
	return out, nil
}
