//go:build !linux

package icmpsock

import (
	"fmt"
	"net/netip"
	"runtime"
	"time"
)

// The batched raw and ping sockets are Linux's; elsewhere Listen fails, so
// the sweep and path probes report themselves unavailable.

// DefaultRcvBuf is the receive buffer asked for when Config.RcvBuf is 0.
const DefaultRcvBuf = 8 << 20

// MaxBatch is the most packets one WriteBatch or ReadBatch moves.
const MaxBatch = 64

// Config says which socket to open.
type Config struct {
	V6         bool
	Privileged *bool
	Accept     []uint8
	RcvBuf     int
	RecvErr    bool
}

// Conn is one ICMP socket (never open here).
type Conn struct {
	V6     bool
	Raw    bool
	ID     uint16
	RcvBuf int
}

var errUnavailable = fmt.Errorf("icmp sockets are not available on %s", runtime.GOOS)

// Listen fails: no ICMP sockets on this platform.
func Listen(Config) (*Conn, error) { return nil, errUnavailable }

// CanRaw: never.
func CanRaw(bool) bool { return false }

func (c *Conn) WriteTo([]byte, netip.Addr) error                     { return errUnavailable }
func (c *Conn) WriteBatch([][]byte, []netip.Addr) (int, error)       { return 0, errUnavailable }
func (c *Conn) WriteToTTL([]byte, netip.Addr, int) error             { return errUnavailable }
func (c *Conn) ReadBatch([][]byte, []int, []netip.Addr) (int, error) { return 0, errUnavailable }
func (c *Conn) ReadFrom([]byte) (int, netip.Addr, error)             { return 0, netip.Addr{}, errUnavailable }
func (c *Conn) SetReadDeadline(time.Time) error                      { return errUnavailable }
func (c *Conn) Close() error                                         { return nil }
