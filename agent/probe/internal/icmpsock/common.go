package icmpsock

import (
	"errors"
	"net"
)

// IsTimeout reports whether err is a read deadline expiring.
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Checksum is the Internet checksum (RFC 1071) of an ICMPv4 message; the
// sweep and path probes fill it in before writing to a Conn (for ICMPv6 the
// kernel computes it). A message that holds its checksum sums to 0.
func Checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}
