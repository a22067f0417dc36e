package relay

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/egovnet/egovnet/agent/uplink"
)

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relay"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(k)
	cert, key = filepath.Join(dir, "relay.pem"), filepath.Join(dir, "relay.key")
	_ = os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return cert, key
}

// TestServeTLSAndForward runs the relay as the agent does: over TLS with
// the configured certificate, forwarding on its own once an upload lands,
// and stopping cleanly with its context.
func TestServeTLSAndForward(t *testing.T) {
	col := &upstream{}
	srv := httptest.NewServer(col)
	defer srv.Close()
	up, _ := uplink.New(srv.URL, uplink.Options{Retries: -1})
	st, err := OpenStore(filepath.Join(t.TempDir(), "spool"), 10, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	cert, key := selfSigned(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ln, err := Listen(ctx, "127.0.0.1:0", true, quiet)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- New(up, st, Options{Log: quiet}).Serve(ctx, ln, cert, key) }()
	url := "https://" + ln.Addr().String()

	untrusted, _ := uplink.New(url, uplink.Options{Retries: -1})
	if err := untrusted.SendReport(ctx, "cred-a", []byte(`{"report_id":"x"}`)); err == nil {
		t.Fatal("an endpoint agent without the relay's CA trusted it")
	}
	trusted, err := uplink.New(url, uplink.Options{Retries: -1, CAFile: cert})
	if err != nil {
		t.Fatal(err)
	}
	if err := trusted.SendReport(ctx, "cred-a", []byte(`{"report_id":"t1"}`)); err != nil {
		t.Fatalf("upload over TLS: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if got, auths := col.got(); len(got) == 1 {
			if string(got[0]) != `{"report_id":"t1"}` || auths[0] != "Bearer cred-a" {
				t.Fatalf("forwarded %q with %q", got[0], auths[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the relay did not forward the upload on its own")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if _, err := trusted.Proxy(context.Background(), "GET", ConfigPath, "cred-a", nil, nil); err == nil {
		t.Fatal("relay still serving after its context ended")
	}
}
