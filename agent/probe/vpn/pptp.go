package vpn

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"
)

// PPTP constants (RFC 2637).
const (
	pptpMagic       = 0x1A2B3C4D
	pptpSCCRQ       = 1
	pptpSCCRP       = 2
	pptpControlLen  = 156
	pptpMessageCtrl = 1
)

// PPTPSCCRQ builds a Start-Control-Connection-Request.
func PPTPSCCRQ() []byte {
	b := make([]byte, pptpControlLen)
	binary.BigEndian.PutUint16(b[0:], pptpControlLen)
	binary.BigEndian.PutUint16(b[2:], pptpMessageCtrl)
	binary.BigEndian.PutUint32(b[4:], pptpMagic)
	binary.BigEndian.PutUint16(b[8:], pptpSCCRQ)
	binary.BigEndian.PutUint16(b[12:], 0x0100) // protocol version 1.0
	binary.BigEndian.PutUint32(b[16:], 1)      // framing: async
	binary.BigEndian.PutUint32(b[20:], 1)      // bearer: analog
	copy(b[28:], "egovnet")
	copy(b[92:], "egovnet")
	return b
}

// isPPTPReply accepts a Start-Control-Connection-Reply with the magic cookie.
func isPPTPReply(b []byte) bool {
	return len(b) >= 16 && binary.BigEndian.Uint16(b[2:]) == pptpMessageCtrl &&
		binary.BigEndian.Uint32(b[4:]) == pptpMagic && binary.BigEndian.Uint16(b[8:]) == pptpSCCRP
}

// ProbePPTP connects to TCP 1723, sends SCCRQ and checks the reply.
func ProbePPTP(ctx context.Context, addr string, timeout time.Duration) (bool, error) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(cctx, "tcp", addr)
	if err != nil {
		if isSilence(err) || errors.Is(err, syscall.ECONNREFUSED) {
			return false, nil
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return false, nil
		}
		return false, fmt.Errorf("connect %s: %w", addr, err)
	}
	defer c.Close()
	deadline, _ := cctx.Deadline()
	_ = c.SetDeadline(deadline)
	stop := context.AfterFunc(cctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := c.Write(PPTPSCCRQ()); err != nil {
		return false, nil // a peer that resets is not PPTP
	}
	buf := make([]byte, 16)
	if _, err := io.ReadFull(c, buf); err != nil {
		return false, nil
	}
	return isPPTPReply(buf), nil
}
