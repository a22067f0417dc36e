package export

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"
)

// sm3Ref is a second, plain SM3 (GB/T 32905-2016) written from the
// standard, so the digests exports carry are checked by code that shares
// nothing with gmsm.
func sm3Ref(msg []byte) []byte {
	v := [8]uint32{0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e}
	l := uint64(len(msg)) * 8
	m := append(append([]byte(nil), msg...), 0x80)
	for len(m)%64 != 56 {
		m = append(m, 0)
	}
	m = binary.BigEndian.AppendUint64(m, l)
	p0 := func(x uint32) uint32 { return x ^ bits.RotateLeft32(x, 9) ^ bits.RotateLeft32(x, 17) }
	p1 := func(x uint32) uint32 { return x ^ bits.RotateLeft32(x, 15) ^ bits.RotateLeft32(x, 23) }
	for off := 0; off < len(m); off += 64 {
		var w [68]uint32
		var w1 [64]uint32
		for j := 0; j < 16; j++ {
			w[j] = binary.BigEndian.Uint32(m[off+4*j:])
		}
		for j := 16; j < 68; j++ {
			w[j] = p1(w[j-16]^w[j-9]^bits.RotateLeft32(w[j-3], 15)) ^ bits.RotateLeft32(w[j-13], 7) ^ w[j-6]
		}
		for j := 0; j < 64; j++ {
			w1[j] = w[j] ^ w[j+4]
		}
		a, b, c, d, e, f, g, h := v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
		for j := 0; j < 64; j++ {
			tj, ff, gg := uint32(0x79cc4519), a^b^c, e^f^g
			if j >= 16 {
				tj, ff, gg = 0x7a879d8a, (a&b)|(a&c)|(b&c), (e&f)|(^e&g)
			}
			ss1 := bits.RotateLeft32(bits.RotateLeft32(a, 12)+e+bits.RotateLeft32(tj, j%32), 7)
			ss2 := ss1 ^ bits.RotateLeft32(a, 12)
			tt1 := ff + d + ss2 + w1[j]
			tt2 := gg + h + ss1 + w[j]
			d, c, b, a = c, bits.RotateLeft32(b, 9), a, tt1
			h, g, f, e = g, bits.RotateLeft32(f, 19), e, p0(tt2)
		}
		for i, x := range [8]uint32{a, b, c, d, e, f, g, h} {
			v[i] ^= x
		}
	}
	out := make([]byte, 0, 32)
	for _, x := range v {
		out = binary.BigEndian.AppendUint32(out, x)
	}
	return out
}

func TestSM3Reference(t *testing.T) {
	// GB/T 32905-2016 appendix A
	for in, want := range map[string]string{
		"abc":                      "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
		strings.Repeat("abcd", 16): "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732",
	} {
		if got := hex.EncodeToString(sm3Ref([]byte(in))); got != want {
			t.Errorf("sm3Ref(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestSealedExport(t *testing.T) {
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "data", DefaultSigningKeyFile)
	signer, err := LoadOrCreateSigner(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(keyPath); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", st, err)
	}
	again, err := LoadOrCreateSigner(keyPath)
	if err != nil || !again.PublicKey().Equal(signer.PublicKey()) {
		t.Fatalf("second load gave another key: %v", err)
	}
	pubPEM, err := signer.PublicKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	pubPath := filepath.Join(dir, "pub.pem")
	if err := os.WriteFile(pubPath, pubPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	pub, err := LoadPublicKey(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	other, err := LoadOrCreateSigner(filepath.Join(dir, "other.pem"))
	if err != nil {
		t.Fatal(err)
	}

	content := []byte("\ufeff部门,规则\r\nCZJ,internet-exit\r\n")
	path := filepath.Join(dir, "violations.csv")
	seal, err := WriteFile(context.Background(), path, signer, func(w io.Writer) error { _, err := w.Write(content); return err })
	if err != nil {
		t.Fatal(err)
	}
	// the sidecars, checked by independent code
	shaWant := sha256.Sum256(content)
	for suffix, want := range map[string]string{SuffixSHA256: hex.EncodeToString(shaWant[:]), SuffixSM3: hex.EncodeToString(sm3Ref(content))} {
		b, err := os.ReadFile(path + suffix)
		if err != nil || string(b) != want+"  violations.csv\n" {
			t.Errorf("%s = %q, %v; want %s", suffix, b, err, want)
		}
	}
	sigText, _ := os.ReadFile(path + SuffixSignature)
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sigText)))
	if err != nil || !sm2.VerifyASN1WithSM2(pub, nil, content, sig) {
		t.Errorf("the signature is not a standard SM2 signature of the file (default uid): %v", err)
	}
	if string(seal.Signature) != string(sig) {
		t.Error("WriteFile's seal differs from the .sig it wrote")
	}

	if err := VerifyFile(path, pub); err != nil {
		t.Fatalf("untouched export: %v", err)
	}
	tests := []struct {
		name   string
		tamper func(t *testing.T)
		pub    func() *ecdsaPub
		want   []string
	}{
		{"one byte of the file", func(t *testing.T) { flip(t, path, 5) }, nil, []string{"sha256: mismatch", "sm3: mismatch", "signature:"}},
		{"the sm3 sidecar", func(t *testing.T) { flip(t, path+SuffixSM3, 0) }, nil, []string{"sm3: mismatch"}},
		{"the signature", func(t *testing.T) {
			_ = os.WriteFile(path+SuffixSignature, []byte(base64.StdEncoding.EncodeToString(append(sig[:len(sig)-1], sig[len(sig)-1]^1))), 0o644)
		}, nil, []string{"signature:"}},
		{"another collector's key", func(t *testing.T) {}, func() *ecdsaPub { return other.PublicKey() }, []string{"signature: the SM2 signature does not verify"}},
		{"a missing sidecar", func(t *testing.T) { os.Remove(path + SuffixSHA256) }, nil, []string{"sha256:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := WriteFile(context.Background(), path, signer, func(w io.Writer) error { _, err := w.Write(content); return err }); err != nil {
				t.Fatal(err)
			}
			tc.tamper(t)
			key := pub
			if tc.pub != nil {
				key = tc.pub()
			}
			err := VerifyFile(path, key)
			var ve *VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("VerifyFile = %v, want a VerifyError", err)
			}
			if len(ve.Failed) != len(tc.want) {
				t.Errorf("failed checks %q, want %q", ve.Failed, tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v does not name %q", err, w)
				}
			}
		})
	}
}

type ecdsaPub = ecdsa.PublicKey

func flip(t *testing.T, path string, at int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[at] ^= 0x01
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
