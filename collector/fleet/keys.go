package fleet

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Keys are the collector's fleet secrets: a 256-bit key sealing SNMP
// credentials at rest (AES-256-GCM) and the ed25519 key signing agent
// releases. Both live in files outside the database (mode 0600), so a copy
// of the database alone reveals no credential and cannot sign a build.
// Several collectors sharing one PostgreSQL must share these files.
type Keys struct {
	seal    cipher.AEAD
	Release ed25519.PrivateKey
}

// LoadKeys reads the two key files, creating each on first use.
func LoadKeys(sealFile, releaseFile string) (*Keys, error) {
	raw, err := readOrCreate(sealFile, "EGOVNET FLEET SEAL KEY", func() ([]byte, error) {
		b := make([]byte, 32)
		_, err := rand.Read(b)
		return b, err
	})
	if err != nil {
		return nil, err
	}
	if len(raw) != 32 {
		return nil, fmt.Errorf("fleet seal key %s: want 32 bytes, got %d", sealFile, len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("fleet seal key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("fleet seal key: %w", err)
	}
	der, err := readOrCreate(releaseFile, "PRIVATE KEY", func() ([]byte, error) {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		return x509.MarshalPKCS8PrivateKey(priv)
	})
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("release key %s: %w", releaseFile, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("release key %s: not an ed25519 key", releaseFile)
	}
	return &Keys{seal: aead, Release: priv}, nil
}

func readOrCreate(file, pemType string, gen func() ([]byte, error)) ([]byte, error) {
	b, err := os.ReadFile(file)
	if err == nil {
		blk, _ := pem.Decode(b)
		if blk == nil || blk.Type != pemType {
			return nil, fmt.Errorf("read %s: not a PEM %q block", file, pemType)
		}
		return blk.Bytes, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	raw, err := gen()
	if err != nil {
		return nil, fmt.Errorf("generate %s: %w", file, err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return nil, fmt.Errorf("create key dir: %w", err)
	}
	// O_EXCL: two collectors starting at once on one data dir must not
	// overwrite each other's fresh key.
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return readOrCreate(file, pemType, gen)
		}
		return nil, fmt.Errorf("create %s: %w", file, err)
	}
	if err := pem.Encode(f, &pem.Block{Type: pemType, Bytes: raw}); err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", file, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("sync %s: %w", file, err)
	}
	return raw, f.Close()
}

// Seal encrypts plaintext; the department is authenticated data, so a
// sealed blob moved to another department's row does not open.
func (k *Keys) Seal(dept string, plaintext []byte) string {
	nonce := make([]byte, k.seal.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return base64.StdEncoding.EncodeToString(k.seal.Seal(nonce, nonce, plaintext, []byte(dept)))
}

// Open decrypts Seal's output.
func (k *Keys) Open(dept, sealed string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(b) < k.seal.NonceSize() {
		return nil, errors.New("open sealed secrets: malformed")
	}
	out, err := k.seal.Open(nil, b[:k.seal.NonceSize()], b[k.seal.NonceSize():], []byte(dept))
	if err != nil {
		return nil, fmt.Errorf("open sealed secrets of %s: wrong fleet key or tampered row", dept)
	}
	return out, nil
}

// ReleasePublic is the key agents pin at enrolment.
func (k *Keys) ReleasePublic() ed25519.PublicKey { return k.Release.Public().(ed25519.PublicKey) }
