// Package release defines what a signed agent release is, for both sides:
// the collector signs (release add) and the agent verifies before it
// replaces itself. The signature covers the platform, the version and the
// SHA-256 of the binary, so a valid signature cannot be replayed onto
// another build, platform or version.
package release

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Info is what GET /api/v1/agent/release answers.
type Info struct {
	ID        string `json:"id"`
	Version   string `json:"version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	Signature string `json:"signature"` // base64 ed25519 over Message
	URL       string `json:"url"`       // path of the binary on the collector
}

// Message is the signed text.
func Message(goos, goarch, version, sha256hex string) []byte {
	return []byte("egovnet-agent-release-v1\n" + goos + "\n" + goarch + "\n" + version + "\n" + strings.ToLower(sha256hex) + "\n")
}

// EncodeKey renders a public key as the agent pins it.
func EncodeKey(pub ed25519.PublicKey) string {
	return "ed25519:" + base64.StdEncoding.EncodeToString(pub)
}

// DecodeKey parses EncodeKey's text.
func DecodeKey(s string) (ed25519.PublicKey, error) {
	rest, ok := strings.CutPrefix(s, "ed25519:")
	if !ok {
		return nil, fmt.Errorf("release key %q: want ed25519:<base64>", s)
	}
	b, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errors.New("release key: not a base64 ed25519 public key")
	}
	return ed25519.PublicKey(b), nil
}

// Sign signs a release.
func Sign(priv ed25519.PrivateKey, goos, goarch, version, sha256hex string) string {
	return base64.StdEncoding.EncodeToString(ed25519.Sign(priv, Message(goos, goarch, version, sha256hex)))
}

// ErrBadSignature is returned for a release that does not verify.
var ErrBadSignature = errors.New("release signature does not verify against the pinned key")

// Verify checks that binary is the release described by info and that info
// is signed by pub. It reads binary once.
func Verify(pub ed25519.PublicKey, info Info, binary io.Reader) error {
	h := sha256.New()
	n, err := io.Copy(h, binary)
	if err != nil {
		return fmt.Errorf("read release binary: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if !strings.EqualFold(sum, info.SHA256) {
		return fmt.Errorf("release binary sha256 %s, signed %s: %w", sum, info.SHA256, ErrBadSignature)
	}
	if info.Size != 0 && n != info.Size {
		return fmt.Errorf("release binary is %d bytes, signed %d: %w", n, info.Size, ErrBadSignature)
	}
	sig, err := base64.StdEncoding.DecodeString(info.Signature)
	if err != nil || !ed25519.Verify(pub, Message(info.OS, info.Arch, info.Version, sum), sig) {
		return ErrBadSignature
	}
	return nil
}
