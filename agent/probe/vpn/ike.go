package vpn

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"time"
)

// IKEv2 constants (RFC 7296).
const (
	ikeExchangeSAInit = 34
	ikeFlagInitiator  = 0x08
	ikeFlagResponse   = 0x20
	ikePayloadSA      = 33
	ikePayloadKE      = 34
	ikePayloadNonce   = 40
	ikeHeaderLen      = 28
)

// IKESAInit builds a valid IKEv2 IKE_SA_INIT request with initiator SPI spi:
// one proposal (AES-CBC-256, HMAC-SHA2-256 PRF and integrity, MODP-2048),
// a key-exchange payload for that group and a 32-byte nonce. A responder
// answers with its own IKE_SA_INIT, or with a notify (NO_PROPOSAL_CHOSEN,
// INVALID_KE_PAYLOAD, COOKIE); any of them carries our SPI back.
func IKESAInit(spi [8]byte) []byte {
	transform := func(last bool, typ byte, id uint16, keyLen uint16) []byte {
		n := 8
		if keyLen > 0 {
			n += 4
		}
		b := make([]byte, n)
		if !last {
			b[0] = 3
		}
		binary.BigEndian.PutUint16(b[2:], uint16(n))
		b[4] = typ
		binary.BigEndian.PutUint16(b[6:], id)
		if keyLen > 0 {
			binary.BigEndian.PutUint16(b[8:], 0x800e) // attribute KEY_LENGTH (TV)
			binary.BigEndian.PutUint16(b[10:], keyLen)
		}
		return b
	}
	var ts []byte
	ts = append(ts, transform(false, 1, 12, 256)...) // ENCR_AES_CBC 256
	ts = append(ts, transform(false, 2, 5, 0)...)    // PRF_HMAC_SHA2_256
	ts = append(ts, transform(false, 3, 12, 0)...)   // AUTH_HMAC_SHA2_256_128
	ts = append(ts, transform(true, 4, 14, 0)...)    // DH group 14
	prop := make([]byte, 8, 8+len(ts))
	binary.BigEndian.PutUint16(prop[2:], uint16(8+len(ts)))
	prop[4] = 1 // proposal number
	prop[5] = 1 // protocol IKE
	prop[6] = 0 // SPI size
	prop[7] = 4 // transforms
	prop = append(prop, ts...)

	payload := func(next byte, body []byte) []byte {
		b := make([]byte, 4, 4+len(body))
		b[0] = next
		binary.BigEndian.PutUint16(b[2:], uint16(4+len(body)))
		return append(b, body...)
	}
	ke := make([]byte, 4+256)
	binary.BigEndian.PutUint16(ke[0:], 14)
	_, _ = rand.Read(ke[4:])
	ke[4] |= 0x80 // a plausible non-trivial public value
	nonce := make([]byte, 32)
	_, _ = rand.Read(nonce)

	var body []byte
	body = append(body, payload(ikePayloadKE, prop)...)
	body = append(body, payload(ikePayloadNonce, ke)...)
	body = append(body, payload(0, nonce)...)

	h := make([]byte, ikeHeaderLen, ikeHeaderLen+len(body))
	copy(h[0:8], spi[:])
	h[16] = ikePayloadSA
	h[17] = 0x20 // version 2.0
	h[18] = ikeExchangeSAInit
	h[19] = ikeFlagInitiator
	binary.BigEndian.PutUint32(h[24:], uint32(ikeHeaderLen+len(body)))
	return append(h, body...)
}

// isIKEReply accepts an IKE message whose initiator SPI is ours: an IKEv2
// response (R flag) or an IKEv1 informational from a v1-only daemon.
func isIKEReply(spi [8]byte, b []byte) bool {
	if len(b) < ikeHeaderLen || [8]byte(b[0:8]) != spi {
		return false
	}
	major := b[17] >> 4
	switch major {
	case 2:
		return b[19]&ikeFlagResponse != 0
	case 1:
		return true
	}
	return false
}

// ProbeIKE sends IKE_SA_INIT to UDP 500.
func ProbeIKE(ctx context.Context, addr string, timeout time.Duration) (bool, error) {
	var spi [8]byte
	_, _ = rand.Read(spi[:])
	return exchange(ctx, addr, timeout, IKESAInit(spi), func(b []byte) bool { return isIKEReply(spi, b) })
}

// ProbeIKENATT sends IKE_SA_INIT to UDP 4500 behind the 4-byte non-ESP marker (RFC 3948).
func ProbeIKENATT(ctx context.Context, addr string, timeout time.Duration) (bool, error) {
	var spi [8]byte
	_, _ = rand.Read(spi[:])
	req := append([]byte{0, 0, 0, 0}, IKESAInit(spi)...)
	return exchange(ctx, addr, timeout, req, func(b []byte) bool {
		return len(b) > 4 && b[0]|b[1]|b[2]|b[3] == 0 && isIKEReply(spi, b[4:])
	})
}
