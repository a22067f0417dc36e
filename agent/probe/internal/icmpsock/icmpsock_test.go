//go:build linux

package icmpsock

import (
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/testenv"
)

func TestListenRawForcesLargeReceiveBuffer(t *testing.T) {
	testenv.Root(t)
	yes := true
	for _, v6 := range []bool{false, true} {
		c, err := Listen(Config{V6: v6, Privileged: &yes})
		if err != nil {
			t.Fatal(err)
		}
		// SO_RCVBUFFORCE passes rmem_max; the kernel reports twice the size.
		if c.RcvBuf < DefaultRcvBuf || !c.Raw {
			t.Errorf("v6=%v: raw=%v receive buffer %d, want >= %d", v6, c.Raw, c.RcvBuf, DefaultRcvBuf)
		}
		c.Close()
	}
}

func TestPingSocketRefusedNamesTheSysctl(t *testing.T) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ping_group_range")
	if err != nil || strings.TrimSpace(string(b)) != "1\t0" {
		t.Skipf("ping sockets allowed here (%q); nothing to refuse", strings.TrimSpace(string(b)))
	}
	no := false
	_, err = Listen(Config{Privileged: &no})
	if err == nil || !strings.Contains(err.Error(), "ping_group_range") {
		t.Fatalf("err = %v, want a hint at net.ipv4.ping_group_range", err)
	}
}

func TestBatchRoundTripOnLoopback(t *testing.T) {
	testenv.Root(t)
	yes := true
	c, err := Listen(Config{Privileged: &yes, Accept: []uint8{0}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var pkts [][]byte
	var dsts []netip.Addr
	for i := 1; i <= 5; i++ {
		p := []byte{8, 0, 0, 0, byte(c.ID >> 8), byte(c.ID), 0, byte(i)}
		s := uint32(0)
		for k := 0; k < len(p); k += 2 {
			s += uint32(p[k])<<8 | uint32(p[k+1])
		}
		s = s&0xffff + s>>16
		cs := ^uint16(s)
		p[2], p[3] = byte(cs>>8), byte(cs)
		pkts = append(pkts, p)
		dsts = append(dsts, netip.AddrFrom4([4]byte{127, 0, 0, byte(i)}))
	}
	if n, err := c.WriteBatch(pkts, dsts); n != 5 || err != nil {
		t.Fatalf("WriteBatch = %d, %v", n, err)
	}
	if _, err := c.WriteBatch(make([][]byte, MaxBatch+1), make([]netip.Addr, MaxBatch+1)); err == nil {
		t.Fatal("oversized batch accepted")
	}
	bufs, lens, srcs := make([][]byte, 8), make([]int, 8), make([]netip.Addr, 8)
	for i := range bufs {
		bufs[i] = make([]byte, 128)
	}
	got := map[netip.Addr]bool{}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for len(got) < 5 {
		n, err := c.ReadBatch(bufs, lens, srcs)
		if err != nil {
			t.Fatalf("ReadBatch after %d replies: %v", len(got), err)
		}
		for i := 0; i < n; i++ {
			b := bufs[i][:lens[i]]
			if len(b) >= 20 && b[0]>>4 == 4 {
				b = b[int(b[0]&15)*4:]
			}
			if len(b) >= 8 && b[0] == 0 && uint16(b[4])<<8|uint16(b[5]) == c.ID {
				got[srcs[i]] = true
			}
		}
	}
	for _, d := range dsts {
		if !got[d] {
			t.Errorf("no reply from %s", d)
		}
	}
}

func TestChecksum(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want uint16
	}{
		{"empty", nil, 0xffff},
		{"RFC 1071 example", []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}, 0x220d},
		{"odd length pads with zero", []byte{0x00, 0x01, 0xf2}, ^uint16(0xf201)},
		{"end-around carry", []byte{0xff, 0xff, 0xff, 0xff, 0x00, 0x02}, 0xfffd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Checksum(tt.in); got != tt.want {
				t.Fatalf("Checksum(% x) = %#04x, want %#04x", tt.in, got, tt.want)
			}
		})
	}
}
