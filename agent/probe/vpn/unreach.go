package vpn

import (
	"errors"
	"syscall"
)

// isUnreachable: ICMP port/host unreachable reported on a connected socket.
func isUnreachable(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH)
}
