//go:build linux

// Package icmpsock opens the one ICMP socket per address family that the
// sweep and path probes share their work over: a raw socket when the
// process may (CAP_NET_RAW), otherwise an unprivileged ping socket
// (net.ipv4.ping_group_range). Raw sockets get a kernel-side ICMP type
// filter and an identifier from the central allocator; ping sockets get
// their identifier from the kernel. Both get a large receive buffer
// (SO_RCVBUFFORCE when permitted) so that a burst of replies to a fast
// sweep is queued, not dropped.
package icmpsock

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"

	"github.com/egovnet/egovnet/agent/probe/icmpid"
)

// DefaultRcvBuf is the receive buffer asked for when Config.RcvBuf is 0.
const DefaultRcvBuf = 8 << 20

// Config says which socket to open.
type Config struct {
	V6 bool
	// Privileged: nil tries raw then ping socket; true raw only; false ping only.
	Privileged *bool
	// Accept lists the ICMP types a raw socket passes up; nil means all.
	Accept []uint8
	// RcvBuf is the receive buffer size in bytes; 0 means DefaultRcvBuf.
	RcvBuf int
	// RecvErr makes a ping socket report the ICMP errors about its own
	// packets (time exceeded, unreachable: IP_RECVERR). ReadFrom returns
	// them as ICMP error messages quoting the original datagram, just as a
	// raw socket would see them, with the reporting router as source.
	RecvErr bool
}

// Conn is one ICMP socket.
type Conn struct {
	V6  bool
	Raw bool
	// ID is the echo identifier to send: leased from icmpid for raw
	// sockets; the kernel's own for ping sockets (it rewrites the field).
	ID     uint16
	RcvBuf int // the receive buffer the kernel granted

	ipc   *net.IPConn
	udp   *net.UDPConn
	lease *icmpid.Lease

	// allocation-free receive state (one reader at a time)
	rc      syscall.RawConn
	readFn  func(fd uintptr) bool
	rbuf    []byte
	rsa     unix.RawSockaddrAny
	rn      int
	rerr    error
	recvErr bool
	errPay  []byte
	errOOB  []byte

	// batch receiving (recvmmsg) state, reused between calls
	mm      []unix.Mmsghdr
	mmIov   []unix.Iovec
	mmNames []unix.RawSockaddrAny
	mmN     int
	mmFn    func(fd uintptr) bool

	// batch sending (sendmmsg) state, reused between calls
	b4   *ipv4.PacketConn
	b6   *ipv6.PacketConn
	msgs []ipv4.Message
}

// Listen opens a socket as cfg says.
func Listen(cfg Config) (*Conn, error) {
	if cfg.Privileged == nil || *cfg.Privileged {
		c, err := listenRaw(cfg)
		if err == nil || cfg.Privileged != nil {
			return c, err
		}
		c2, err2 := listenPing(cfg)
		if err2 != nil {
			return nil, fmt.Errorf("open ICMP socket: raw: %v; unprivileged: %w", err, err2)
		}
		return c2, nil
	}
	return listenPing(cfg)
}

func family(v6 bool) (int, int) {
	if v6 {
		return unix.AF_INET6, unix.IPPROTO_ICMPV6
	}
	return unix.AF_INET, unix.IPPROTO_ICMP
}

func listenRaw(cfg Config) (*Conn, error) {
	af, proto := family(cfg.V6)
	fd, err := unix.Socket(af, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, proto)
	if err != nil {
		return nil, fmt.Errorf("open raw ICMP socket: %w", err)
	}
	if cfg.Accept != nil {
		if err := setFilter(fd, cfg.V6, cfg.Accept); err != nil {
			unix.Close(fd)
			return nil, err
		}
	}
	lease, err := icmpid.Acquire()
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	c := &Conn{V6: cfg.V6, Raw: true, ID: lease.ID(), lease: lease}
	if err := c.finish(fd, cfg.RcvBuf); err != nil {
		lease.Release()
		return nil, err
	}
	return c, nil
}

func listenPing(cfg Config) (*Conn, error) {
	af, proto := family(cfg.V6)
	fd, err := unix.Socket(af, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, proto)
	if err != nil {
		return nil, fmt.Errorf("open ping socket (is the group in net.ipv4.ping_group_range?): %w", err)
	}
	var sa unix.Sockaddr = &unix.SockaddrInet4{}
	if cfg.V6 {
		sa = &unix.SockaddrInet6{}
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind ping socket: %w", err)
	}
	c := &Conn{V6: cfg.V6, recvErr: cfg.RecvErr}
	if cfg.RecvErr {
		lvl, opt := unix.IPPROTO_IP, unix.IP_RECVERR
		if cfg.V6 {
			lvl, opt = unix.IPPROTO_IPV6, unix.IPV6_RECVERR
		}
		if err := unix.SetsockoptInt(fd, lvl, opt, 1); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("enable error queue on ping socket: %w", err)
		}
	}
	if err := c.finish(fd, cfg.RcvBuf); err != nil {
		return nil, err
	}
	c.ID = uint16(c.udp.LocalAddr().(*net.UDPAddr).Port)
	return c, nil
}

// finish sizes the receive buffer and hands fd to the Go poller.
func (c *Conn) finish(fd, rcvbuf int) error {
	if rcvbuf <= 0 {
		rcvbuf = DefaultRcvBuf
	}
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvbuf) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf) // capped by rmem_max
	}
	if got, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF); err == nil {
		c.RcvBuf = got
	}
	f := os.NewFile(uintptr(fd), "icmp")
	pc, err := net.FilePacketConn(f)
	f.Close() // FilePacketConn dups the descriptor
	if err != nil {
		return fmt.Errorf("wrap ICMP socket: %w", err)
	}
	switch pc := pc.(type) {
	case *net.IPConn:
		c.ipc = pc
	case *net.UDPConn:
		c.udp = pc
	default:
		pc.Close()
		return fmt.Errorf("wrap ICMP socket: unexpected %T", pc)
	}
	rc, err := pc.(syscall.Conn).SyscallConn()
	if err != nil {
		pc.Close()
		return fmt.Errorf("wrap ICMP socket: %w", err)
	}
	c.rc = rc
	c.readFn = c.recvfrom
	return nil
}

// recvfrom is one non-blocking recvfrom(2) into c.rbuf and c.rsa; it
// returns false to make the poller wait for readability.
func (c *Conn) recvfrom(fd uintptr) bool {
	if c.recvErr && c.recvErrQueue(fd) {
		return true
	}
	l := uint32(unsafe.Sizeof(c.rsa))
	r, _, e := unix.Syscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&c.rbuf[0])), uintptr(len(c.rbuf)),
		0, uintptr(unsafe.Pointer(&c.rsa)), uintptr(unsafe.Pointer(&l)))
	if e == unix.EAGAIN || e == unix.EINTR {
		return false
	}
	c.rn, c.rerr = int(r), nil
	if e != 0 {
		c.rn, c.rerr = 0, os.NewSyscallError("recvfrom", e)
	}
	return true
}

// setFilter installs the kernel ICMP type filter of a raw socket: only the
// accepted types are queued, so unrelated ICMP traffic never costs a read.
func setFilter(fd int, v6 bool, accept []uint8) error {
	if v6 {
		var f [8]uint32 // a set bit blocks the type
		for i := range f {
			f[i] = ^uint32(0)
		}
		for _, t := range accept {
			f[t>>5] &^= 1 << (t & 31)
		}
		b := (*[32]byte)(unsafe.Pointer(&f))[:]
		if err := unix.SetsockoptString(fd, unix.IPPROTO_ICMPV6, unix.ICMPV6_FILTER, string(b)); err != nil {
			return fmt.Errorf("set ICMPv6 filter: %w", err)
		}
		return nil
	}
	mask := ^uint32(0)
	for _, t := range accept {
		if t < 32 {
			mask &^= 1 << t
		}
	}
	const solRaw, icmpFilter = 255, 1
	if err := unix.SetsockoptInt(fd, solRaw, icmpFilter, int(mask)); err != nil {
		return fmt.Errorf("set ICMP filter: %w", err)
	}
	return nil
}

// WriteTo sends one ICMP message to dst.
func (c *Conn) WriteTo(b []byte, dst netip.Addr) error {
	if c.ipc != nil {
		_, err := c.ipc.WriteToIP(b, &net.IPAddr{IP: dst.AsSlice(), Zone: dst.Zone()})
		return err
	}
	_, err := c.udp.WriteToUDPAddrPort(b, netip.AddrPortFrom(dst, 0))
	return err
}

// MaxBatch is the most messages WriteBatch sends in one system call.
const MaxBatch = 64

// WriteBatch sends pkts[i] to dsts[i] for every i (at most MaxBatch) with
// as few system calls as the kernel allows (sendmmsg). It returns how
// many were sent; on an error, pkts[n] is the message that failed.
func (c *Conn) WriteBatch(pkts [][]byte, dsts []netip.Addr) (int, error) {
	if c.msgs == nil {
		var pc net.PacketConn = c.udp
		if c.ipc != nil {
			pc = c.ipc
		}
		if c.V6 {
			c.b6 = ipv6.NewPacketConn(pc)
		} else {
			c.b4 = ipv4.NewPacketConn(pc)
		}
		c.msgs = make([]ipv4.Message, MaxBatch)
		for i := range c.msgs {
			c.msgs[i].Buffers = make([][]byte, 1)
			if c.ipc != nil {
				c.msgs[i].Addr = &net.IPAddr{IP: make(net.IP, 16)}
			} else {
				c.msgs[i].Addr = &net.UDPAddr{IP: make(net.IP, 16)}
			}
		}
	}
	if len(pkts) > MaxBatch || len(pkts) != len(dsts) {
		return 0, fmt.Errorf("write batch: %d packets, %d destinations, at most %d", len(pkts), len(dsts), MaxBatch)
	}
	for i, p := range pkts {
		m := &c.msgs[i]
		m.Buffers[0] = p
		a16 := dsts[i].As16()
		ip := net.IP(a16[:])
		if dsts[i].Is4() {
			ip = ip[12:]
		}
		switch a := m.Addr.(type) {
		case *net.IPAddr:
			a.IP, a.Zone = append(a.IP[:0], ip...), dsts[i].Zone()
		case *net.UDPAddr:
			a.IP, a.Zone = append(a.IP[:0], ip...), dsts[i].Zone()
		}
	}
	sent := 0
	for sent < len(pkts) {
		var n int
		var err error
		if c.b6 != nil {
			n, err = c.b6.WriteBatch(c.msgs[sent:len(pkts)], 0)
		} else {
			n, err = c.b4.WriteBatch(c.msgs[sent:len(pkts)], 0)
		}
		if n > 0 {
			sent += n
		}
		if err != nil {
			return sent, err
		}
		if n == 0 {
			return sent, fmt.Errorf("write batch: nothing sent")
		}
	}
	return sent, nil
}

// WriteToTTL sends one ICMP message to dst with the given IP TTL (hop limit).
func (c *Conn) WriteToTTL(b []byte, dst netip.Addr, ttl int) error {
	oob := make([]byte, unix.CmsgSpace(4))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
	if c.V6 {
		h.Level, h.Type = unix.IPPROTO_IPV6, unix.IPV6_HOPLIMIT
	} else {
		h.Level, h.Type = unix.IPPROTO_IP, unix.IP_TTL
	}
	h.SetLen(unix.CmsgLen(4))
	binary.NativeEndian.PutUint32(oob[unix.CmsgLen(0):], uint32(ttl))
	var err error
	if c.ipc != nil {
		_, _, err = c.ipc.WriteMsgIP(b, oob, &net.IPAddr{IP: dst.AsSlice(), Zone: dst.Zone()})
	} else {
		_, _, err = c.udp.WriteMsgUDPAddrPort(b, oob, netip.AddrPortFrom(dst, 0))
	}
	return err
}

// recvErrQueue reads one queued ICMP error of a ping socket and rewrites
// it into c.rbuf as the ICMP error message a raw socket would have read:
// type, code, 4 unused bytes, a minimal IP header naming the original
// destination, then the original ICMP message as far as it was quoted.
func (c *Conn) recvErrQueue(fd uintptr) bool {
	if c.errPay == nil {
		c.errPay, c.errOOB = make([]byte, 1500), make([]byte, 512)
	}
	n, oobn, _, from, err := unix.Recvmsg(int(fd), c.errPay, c.errOOB, unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
	if err != nil {
		return false
	}
	cms, err := unix.ParseSocketControlMessage(c.errOOB[:oobn])
	if err != nil {
		return false
	}
	for _, cm := range cms {
		if !(cm.Header.Level == unix.IPPROTO_IP && cm.Header.Type == unix.IP_RECVERR) &&
			!(cm.Header.Level == unix.IPPROTO_IPV6 && cm.Header.Type == unix.IPV6_RECVERR) {
			continue
		}
		const eeLen = int(unsafe.Sizeof(unix.SockExtendedErr{}))
		if len(cm.Data) < eeLen {
			continue
		}
		ee := (*unix.SockExtendedErr)(unsafe.Pointer(&cm.Data[0]))
		if ee.Origin != unix.SO_EE_ORIGIN_ICMP && ee.Origin != unix.SO_EE_ORIGIN_ICMP6 {
			continue
		}
		b := c.rbuf
		hdr := 20
		if c.V6 {
			hdr = 40
		}
		if len(b) < 8+hdr+n {
			n = len(b) - 8 - hdr
		}
		if n < 0 {
			return false
		}
		clear(b[:8+hdr])
		b[0], b[1] = ee.Type, ee.Code
		ip := b[8 : 8+hdr]
		switch sa := from.(type) {
		case *unix.SockaddrInet4:
			ip[0], ip[9] = 0x45, unix.IPPROTO_ICMP
			copy(ip[16:20], sa.Addr[:])
		case *unix.SockaddrInet6:
			ip[0], ip[6] = 0x60, unix.IPPROTO_ICMPV6
			copy(ip[24:40], sa.Addr[:])
		default:
			return false
		}
		copy(b[8+hdr:], c.errPay[:n])
		c.rn, c.rerr = 8+hdr+n, nil
		c.rsa = unix.RawSockaddrAny{}
		if off := cm.Data[eeLen:]; len(off) > 0 {
			copy((*[unsafe.Sizeof(c.rsa)]byte)(unsafe.Pointer(&c.rsa))[:], off)
		}
		return true
	}
	return false
}

// ReadBatch reads up to len(bufs) (at most MaxBatch) ICMP messages with
// one recvmmsg(2), waiting for the first; lens[i] and srcs[i] receive the
// length and source of bufs[i]. It returns how many were read. Messages
// longer than their buffer are cut. Raw IPv4 sockets leave the IPv4 header
// in front, as ReadFrom does. Error-queue reports (RecvErr) are not read.
func (c *Conn) ReadBatch(bufs [][]byte, lens []int, srcs []netip.Addr) (int, error) {
	k := min(len(bufs), len(lens), len(srcs), MaxBatch)
	if k == 0 {
		return 0, errors.New("read ICMP batch: no buffers")
	}
	if c.mm == nil {
		c.mm = make([]unix.Mmsghdr, MaxBatch)
		c.mmIov = make([]unix.Iovec, MaxBatch)
		c.mmNames = make([]unix.RawSockaddrAny, MaxBatch)
		c.mmFn = c.recvmmsg
	}
	for i := 0; i < k; i++ {
		if len(bufs[i]) == 0 {
			return 0, errors.New("read ICMP batch: empty buffer")
		}
		c.mmIov[i].Base = &bufs[i][0]
		c.mmIov[i].SetLen(len(bufs[i]))
		h := &c.mm[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&c.mmNames[i]))
		h.Namelen = uint32(unsafe.Sizeof(c.mmNames[i]))
		h.Iov = &c.mmIov[i]
		h.Iovlen = 1
		h.Control, h.Controllen, h.Flags = nil, 0, 0
		c.mm[i].Len = 0
	}
	c.mmN = k
	if err := c.rc.Read(c.mmFn); err != nil {
		return 0, err
	}
	if c.rerr != nil {
		return 0, c.rerr
	}
	n := c.rn
	for i := 0; i < n; i++ {
		lens[i] = int(c.mm[i].Len)
		srcs[i] = sockaddrAddr(&c.mmNames[i])
	}
	return n, nil
}

// recvmmsg is one non-blocking recvmmsg(2) into the prepared headers.
func (c *Conn) recvmmsg(fd uintptr) bool {
	r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&c.mm[0])), uintptr(c.mmN),
		unix.MSG_DONTWAIT, 0, 0)
	if e == unix.EAGAIN || e == unix.EINTR {
		return false
	}
	c.rn, c.rerr = int(r), nil
	if e != 0 {
		c.rn, c.rerr = 0, os.NewSyscallError("recvmmsg", e)
	}
	return true
}

// sockaddrAddr decodes a socket address without allocating.
func sockaddrAddr(rsa *unix.RawSockaddrAny) netip.Addr {
	switch rsa.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		return netip.AddrFrom4(sa.Addr)
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
		a := netip.AddrFrom16(sa.Addr)
		if sa.Scope_id != 0 && a.IsLinkLocalUnicast() {
			a = a.WithZone(strconv.FormatUint(uint64(sa.Scope_id), 10))
		}
		return a.Unmap()
	}
	return netip.Addr{}
}

// ReadFrom reads one ICMP message and its source address without
// allocating. Raw IPv4 sockets leave the IPv4 header in front; callers
// skip it.
func (c *Conn) ReadFrom(b []byte) (int, netip.Addr, error) {
	if len(b) == 0 {
		return 0, netip.Addr{}, errors.New("read ICMP: empty buffer")
	}
	c.rbuf = b
	if err := c.rc.Read(c.readFn); err != nil {
		return 0, netip.Addr{}, err
	}
	if c.rerr != nil {
		return 0, netip.Addr{}, c.rerr
	}
	return c.rn, sockaddrAddr(&c.rsa), nil
}

// SetReadDeadline bounds the next reads.
func (c *Conn) SetReadDeadline(t time.Time) error {
	if c.ipc != nil {
		return c.ipc.SetReadDeadline(t)
	}
	return c.udp.SetReadDeadline(t)
}

// Close closes the socket and releases its identifier.
func (c *Conn) Close() error {
	var err error
	if c.ipc != nil {
		err = c.ipc.Close()
	} else if c.udp != nil {
		err = c.udp.Close()
	}
	if c.lease != nil {
		c.lease.Release()
	}
	return err
}

// CanRaw reports whether this process may open a raw ICMP socket.
func CanRaw(v6 bool) bool {
	af, proto := family(v6)
	fd, err := unix.Socket(af, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}
