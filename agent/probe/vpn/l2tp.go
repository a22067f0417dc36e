package vpn

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"time"
)

// L2TP control message types (RFC 2661).
const (
	l2tpSCCRQ   = 1
	l2tpSCCRP   = 2
	l2tpStopCCN = 4
)

func l2tpAVP(attr uint16, value []byte) []byte {
	b := make([]byte, 6, 6+len(value))
	binary.BigEndian.PutUint16(b[0:], 0x8000|uint16(6+len(value))) // M bit + length
	binary.BigEndian.PutUint16(b[4:], attr)
	return append(b, value...)
}

// L2TPSCCRQ builds a Start-Control-Connection-Request assigning tunnel id tid.
func L2TPSCCRQ(tid uint16) []byte {
	var avps []byte
	avps = append(avps, l2tpAVP(0, []byte{0, l2tpSCCRQ})...)              // Message Type
	avps = append(avps, l2tpAVP(2, []byte{1, 0})...)                      // Protocol Version 1.0
	avps = append(avps, l2tpAVP(3, []byte{0, 0, 0, 3})...)                // Framing Capabilities
	avps = append(avps, l2tpAVP(7, []byte("egovnet"))...)                 // Host Name
	avps = append(avps, l2tpAVP(9, []byte{byte(tid >> 8), byte(tid)})...) // Assigned Tunnel ID
	h := make([]byte, 12, 12+len(avps))
	binary.BigEndian.PutUint16(h[0:], 0xC802) // T, L, S bits; version 2
	binary.BigEndian.PutUint16(h[2:], uint16(12+len(avps)))
	// tunnel id, session id, Ns, Nr all zero
	return append(h, avps...)
}

// isL2TPReply accepts a control message to our tunnel id whose first AVP is
// SCCRP or StopCCN.
func isL2TPReply(tid uint16, b []byte) bool {
	if len(b) < 12 {
		return false
	}
	flags := binary.BigEndian.Uint16(b[0:])
	if flags&0x8000 == 0 || flags&0x000F != 2 || flags&0x4000 == 0 || flags&0x0800 == 0 {
		return false
	}
	if binary.BigEndian.Uint16(b[4:]) != tid {
		return false
	}
	off := 12
	if flags&0x0200 != 0 { // offset size present
		return false
	}
	if len(b) < off+8 {
		return false
	}
	if binary.BigEndian.Uint16(b[off+2:]) != 0 { // vendor
		return false
	}
	if binary.BigEndian.Uint16(b[off+4:]) != 0 { // first AVP must be Message Type
		return false
	}
	if binary.BigEndian.Uint16(b[off:])&0x03FF < 8 {
		return false
	}
	mt := binary.BigEndian.Uint16(b[off+6:])
	return mt == l2tpSCCRP || mt == l2tpStopCCN
}

// ProbeL2TP sends SCCRQ to UDP 1701.
func ProbeL2TP(ctx context.Context, addr string, timeout time.Duration) (bool, error) {
	var r [2]byte
	_, _ = rand.Read(r[:])
	tid := binary.BigEndian.Uint16(r[:])
	if tid == 0 {
		tid = 1
	}
	return exchange(ctx, addr, timeout, L2TPSCCRQ(tid), func(b []byte) bool { return isL2TPReply(tid, b) })
}
