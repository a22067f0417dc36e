package vpn

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/testenv"
)

// udpResponder serves answer(req) (nil: stay silent) on a fresh loopback port.
func udpResponder(t *testing.T, answer func(req []byte) []byte) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			if out := answer(append([]byte(nil), buf[:n]...)); out != nil {
				_, _ = c.WriteTo(out, from)
			}
		}
	}()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// ikeDaemon answers a well-formed IKE_SA_INIT like strongSwan does when it
// cannot accept the proposal: a response header echoing the initiator SPI
// with a NO_PROPOSAL_CHOSEN notify. Malformed requests are dropped, as a
// real daemon drops them.
func ikeDaemon(natt bool, corruptSPI bool) func([]byte) []byte {
	return func(req []byte) []byte {
		if natt {
			if len(req) < 4 || req[0]|req[1]|req[2]|req[3] != 0 {
				return nil
			}
			req = req[4:]
		}
		if len(req) < 28 || req[17] != 0x20 || req[18] != 34 || req[19]&0x08 == 0 ||
			int(binary.BigEndian.Uint32(req[24:])) != len(req) {
			return nil
		}
		// Walk the payload chain: SA, KE, Nonce must all be present.
		next, off, seen := req[16], 28, map[byte]bool{}
		for next != 0 {
			if off+4 > len(req) {
				return nil
			}
			seen[next] = true
			l := int(binary.BigEndian.Uint16(req[off+2:]))
			if l < 4 || off+l > len(req) {
				return nil
			}
			next, off = req[off], off+l
		}
		if !seen[33] || !seen[34] || !seen[40] || off != len(req) {
			return nil
		}
		resp := make([]byte, 28+8)
		copy(resp, req[:8])
		if corruptSPI {
			resp[0] ^= 0xff
		}
		copy(resp[8:16], "RESPSPI!")
		resp[16] = 41 // Notify
		resp[17] = 0x20
		resp[18] = 34
		resp[19] = 0x20
		binary.BigEndian.PutUint32(resp[24:], uint32(len(resp)))
		binary.BigEndian.PutUint16(resp[30:], 8)
		binary.BigEndian.PutUint16(resp[34:], 14) // NO_PROPOSAL_CHOSEN
		if natt {
			resp = append([]byte{0, 0, 0, 0}, resp...)
		}
		return resp
	}
}

// openvpnDaemon answers P_CONTROL_HARD_RESET_CLIENT_V2 with the server
// hard reset: its own session id, an ack of packet 0 naming our session.
func openvpnDaemon(req []byte) []byte {
	if len(req) != 14 || req[0] != 7<<3 || req[9] != 0 {
		return nil
	}
	resp := []byte{8 << 3}
	resp = append(resp, "SRVSESS!"...)
	resp = append(resp, 1, 0, 0, 0, 0) // one ack: packet-id 0
	resp = append(resp, req[1:9]...)   // remote session id = client's
	resp = append(resp, 0, 0, 0, 0)    // message packet-id
	return resp
}

// l2tpDaemon answers SCCRQ like xl2tpd: SCCRP addressed to the tunnel id
// the client assigned.
func l2tpDaemon(req []byte) []byte {
	if len(req) < 20 || binary.BigEndian.Uint16(req) != 0xC802 || binary.BigEndian.Uint16(req[18:]) != 1 {
		return nil
	}
	var tid uint16
	for off := 12; off+6 <= len(req); {
		l := int(binary.BigEndian.Uint16(req[off:]) & 0x3ff)
		if l < 6 || off+l > len(req) {
			return nil
		}
		if binary.BigEndian.Uint16(req[off+4:]) == 9 && l == 8 {
			tid = binary.BigEndian.Uint16(req[off+6:])
		}
		off += l
	}
	if tid == 0 {
		return nil
	}
	resp := make([]byte, 12)
	binary.BigEndian.PutUint16(resp, 0xC802)
	binary.BigEndian.PutUint16(resp[4:], tid)
	binary.BigEndian.PutUint16(resp[10:], 1)
	resp = append(resp, l2tpAVP(0, []byte{0, l2tpSCCRP})...)
	resp = append(resp, l2tpAVP(9, []byte{0x12, 0x34})...)
	binary.BigEndian.PutUint16(resp[2:], uint16(len(resp)))
	return resp
}

// pptpDaemon serves TCP: reads SCCRQ, answers SCCRP like pptpd.
func pptpDaemon(t *testing.T, reply bool) int {
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
			go func() {
				defer c.Close()
				req := make([]byte, pptpControlLen)
				if _, err := io.ReadFull(c, req); err != nil {
					return
				}
				if binary.BigEndian.Uint32(req[4:]) != pptpMagic || binary.BigEndian.Uint16(req[8:]) != pptpSCCRQ {
					return
				}
				resp := make([]byte, pptpControlLen)
				binary.BigEndian.PutUint16(resp, pptpControlLen)
				binary.BigEndian.PutUint16(resp[2:], 1)
				if reply {
					binary.BigEndian.PutUint32(resp[4:], pptpMagic)
				}
				binary.BigEndian.PutUint16(resp[8:], pptpSCCRP)
				resp[14] = 1 // result: OK
				_, _ = c.Write(resp)
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

func TestProbes(t *testing.T) {
	silent := udpResponder(t, func([]byte) []byte { return nil })
	echo := udpResponder(t, func(b []byte) []byte { return b })
	tests := []struct {
		name  string
		probe func(context.Context, string, time.Duration) (bool, error)
		port  int
		want  bool
	}{
		{"ike answers", ProbeIKE, udpResponder(t, ikeDaemon(false, false)), true},
		{"ike wrong spi", ProbeIKE, udpResponder(t, ikeDaemon(false, true)), false},
		{"ike echo is not a response", ProbeIKE, echo, false},
		{"ike nat-t answers", ProbeIKENATT, udpResponder(t, ikeDaemon(true, false)), true},
		{"ike nat-t without marker is dropped", ProbeIKE, udpResponder(t, ikeDaemon(true, false)), false},
		{"openvpn answers", ProbeOpenVPN, udpResponder(t, openvpnDaemon), true},
		{"openvpn echo", ProbeOpenVPN, echo, false},
		{"l2tp answers", ProbeL2TP, udpResponder(t, l2tpDaemon), true},
		{"l2tp echo", ProbeL2TP, echo, false},
		{"silent", ProbeIKE, silent, false},
		{"port unreachable", ProbeOpenVPN, testenv.FreeUDPPort(t), false},
		{"pptp answers", ProbePPTP, pptpDaemon(t, true), true},
		{"pptp wrong magic", ProbePPTP, pptpDaemon(t, false), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Parallel: the negative cases each wait out the timeout, which
			// is generous so a loaded machine's slow responder still counts.
			t.Parallel()
			addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(tc.port))
			got, err := tc.probe(context.Background(), addr, 3*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	svcs := []Service{
		{Name: "ike", Proto: "udp", Port: udpResponder(t, ikeDaemon(false, false)), Probe: ProbeIKE},
		{Name: "openvpn", Proto: "udp", Port: testenv.FreeUDPPort(t), Probe: ProbeOpenVPN},
		{Name: "l2tp", Proto: "udp", Port: udpResponder(t, l2tpDaemon), Probe: ProbeL2TP},
		{Name: "pptp", Proto: "tcp", Port: pptpDaemon(t, true), Probe: ProbePPTP},
	}
	lo := netip.MustParseAddr("127.0.0.1")
	res, err := Check(context.Background(), []netip.Addr{lo}, Options{Timeout: 3 * time.Second, Services: svcs, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Service+"/"+f.Proto)
	}
	if len(got) != 3 || got[0] == "openvpn/udp" {
		t.Fatalf("findings = %v", got)
	}
	// The silent OpenVPN port is retried once: 3 + 2 sends.
	if res.Probed != 5 || len(res.Errors) != 0 {
		t.Fatalf("probed %d errors %v", res.Probed, res.Errors)
	}
}
