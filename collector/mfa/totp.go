// Package mfa is the second authentication factor the three administrator
// roles need (等级保护 level 3: two factors, one cryptographic): RFC 6238
// TOTP codes from an authenticator app, with one-time recovery codes. The
// shared secret is sealed at rest by the collector's key; a code's time
// step is accepted once (a replayed code fails even on another collector
// of the same PostgreSQL), and recovery codes are stored only hashed.
package mfa

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"time"
)

// Step and Digits are the RFC 6238 defaults every authenticator app uses.
const (
	Step   = 30 * time.Second
	Digits = 6
	// Skew is how many steps either side of now are accepted (clock drift).
	Skew = 1
)

// Code is the TOTP code of secret at step counter (RFC 4226 HOTP over the
// RFC 6238 time counter).
func Code(secret []byte, counter uint64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for i := 0; i < Digits; i++ {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", Digits, v%mod)
}

// Counter is the time step of t.
func Counter(t time.Time) uint64 { return uint64(t.Unix()) / uint64(Step/time.Second) }

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// URI is the otpauth:// link an authenticator app scans.
func URI(issuer, account string, secret []byte) string {
	label := url.PathEscape(issuer + ":" + account)
	q := url.Values{}
	q.Set("secret", b32.EncodeToString(secret))
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", fmt.Sprint(Digits))
	q.Set("period", fmt.Sprint(int(Step/time.Second)))
	return "otpauth://totp/" + label + "?" + q.Encode()
}
