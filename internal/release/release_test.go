package release

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
)

func TestVerify(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	otherPub, otherPriv, _ := ed25519.GenerateKey(nil)
	_ = otherPub
	bin := []byte("\x7fELF agent build 1.2.0")
	sum := sha256.Sum256(bin)
	good := Info{Version: "1.2.0", OS: "linux", Arch: "amd64", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(bin))}
	good.Signature = Sign(priv, good.OS, good.Arch, good.Version, good.SHA256)
	tampered := append([]byte(nil), bin...)
	tampered[5] ^= 1
	for _, tc := range []struct {
		name string
		info func() Info
		bin  []byte
		ok   bool
	}{
		{"signed build", func() Info { return good }, bin, true},
		{"tampered binary", func() Info { return good }, tampered, false},
		{"unsigned", func() Info { i := good; i.Signature = ""; return i }, bin, false},
		{"signed by another key", func() Info {
			i := good
			i.Signature = Sign(otherPriv, i.OS, i.Arch, i.Version, i.SHA256)
			return i
		}, bin, false},
		{"signature replayed onto another version", func() Info { i := good; i.Version = "9.9.9"; return i }, bin, false},
		{"signature replayed onto another platform", func() Info { i := good; i.Arch = "arm64"; return i }, bin, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(pub, tc.info(), bytes.NewReader(tc.bin))
			if tc.ok != (err == nil) {
				t.Fatalf("Verify = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrBadSignature) {
				t.Fatalf("error %v does not wrap ErrBadSignature", err)
			}
		})
	}
	k, err := DecodeKey(EncodeKey(pub))
	if err != nil || !bytes.Equal(k, pub) {
		t.Fatalf("key round trip: %v", err)
	}
	if _, err := DecodeKey("ed25519:AAAA"); err == nil {
		t.Fatal("short key accepted")
	}
}
