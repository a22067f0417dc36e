package vpn

import (
	"context"
	"crypto/rand"
	"time"
)

// OpenVPN opcodes (ssl_pkt.h).
const (
	ovpnHardResetClientV2 = 7
	ovpnHardResetServerV2 = 8
)

// OpenVPNHardReset builds P_CONTROL_HARD_RESET_CLIENT_V2 with key id 0, our
// session id, an empty ack array and message packet-id 0 (no tls-auth).
func OpenVPNHardReset(session [8]byte) []byte {
	b := []byte{ovpnHardResetClientV2 << 3}
	b = append(b, session[:]...)
	b = append(b, 0)          // ack array length
	b = append(b, 0, 0, 0, 0) // message packet-id
	return b
}

// isOpenVPNReply accepts P_CONTROL_HARD_RESET_SERVER_V2; when it acks our
// packet it must name our session id as the remote session.
func isOpenVPNReply(session [8]byte, b []byte) bool {
	if len(b) < 10 || b[0]>>3 != ovpnHardResetServerV2 {
		return false
	}
	acks := int(b[9])
	if acks == 0 {
		return true
	}
	off := 10 + 4*acks
	if len(b) < off+8 {
		return false
	}
	return [8]byte(b[off:off+8]) == session
}

// ProbeOpenVPN sends the client hard reset to UDP 1194.
func ProbeOpenVPN(ctx context.Context, addr string, timeout time.Duration) (bool, error) {
	var s [8]byte
	_, _ = rand.Read(s[:])
	return exchange(ctx, addr, timeout, OpenVPNHardReset(s), func(b []byte) bool { return isOpenVPNReply(s, b) })
}
