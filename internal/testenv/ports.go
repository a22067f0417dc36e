package testenv

import (
	"net"
	"testing"
)

// FreeTCPPort returns a loopback TCP port that nothing listens on at the
// moment of the call: tests pick ports at run time because concurrent tests
// collide on fixed ones. Connecting to it is refused until someone binds it.
func FreeTCPPort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// FreeUDPPort returns a loopback UDP port that nothing is bound to at the
// moment of the call (for a peer the test starts, or a silent target).
func FreeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// OpenTCPPort returns a loopback TCP port whose listener accepts every
// connection and closes it at once, until the test ends: an open port for
// scanners to find.
func OpenTCPPort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}
