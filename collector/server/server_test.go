package server

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/config"
	"github.com/egovnet/egovnet/internal/testenv"
)

// selfSigned writes a certificate for 127.0.0.1 and returns cert, key paths
// and a pool trusting it.
func selfSigned(t *testing.T) (string, string, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "egovnet test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	kb, _ := x509.MarshalECPrivateKey(key)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func freeAddr(t *testing.T) string {
	return fmt.Sprintf("127.0.0.1:%d", testenv.FreeTCPPort(t))
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func loadConfig(t *testing.T, extra string) *config.Config {
	f := filepath.Join(t.TempDir(), "collector.yaml")
	// The tests log in administrators with a password alone; the second
	// factor has its own tests (collector/e2e TestSecondFactor).
	body := fmt.Sprintf("data_dir: %s\nplan_file: %s\nauth: {totp: {required_roles: []}}\n%s", filepath.Join(t.TempDir(), "data"), filepath.Join(testenv.RepoRoot(), "configs", "plan.yaml"), extra)
	if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// serve runs app.Serve until the test cancels it and returns a stop func
// that waits for a clean return.
func serve(t *testing.T, app *App, url string, client *http.Client) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx) }()
	for i := 0; ; i++ { // readiness wait, not a timing assertion
		res, err := client.Get(url + "/healthz")
		if err == nil {
			res.Body.Close()
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve returned early: %v", err)
		default:
		}
		if i > 600 {
			t.Fatalf("not ready: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("serve: %v", err)
		}
	}
}

func TestServeTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	addr := freeAddr(t)
	cfg := loadConfig(t, fmt.Sprintf("listen: %s\ntls: {cert_file: %s, key_file: %s}\n", addr, certFile, keyFile))
	ctx := context.Background()
	app, err := Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if err := app.Auth.AddUser(ctx, auth.User{Name: "admin", Role: auth.RoleSysAdmin}, "Zq7!mcWx", Operator()); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	stop := serve(t, app, "https://"+addr, client)
	defer stop()

	res, err := client.Post("https://"+addr+"/api/v1/login", "application/json", strings.NewReader(`{"name":"admin","password":"Zq7!mcWx"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Set-Cookie"), "Secure") {
		t.Fatalf("login over TLS: %d cookie %q (want Secure)", res.StatusCode, res.Header.Get("Set-Cookie"))
	}
	// Plain HTTP to the TLS port gets net/http's 400, never data.
	if r, err := http.Get("http://" + addr + "/healthz"); err == nil {
		r.Body.Close()
		if r.StatusCode == 200 {
			t.Fatal("plain HTTP answered 200 on the TLS port")
		}
	}
	deps, _ := app.Inventory.Departments(ctx)
	if len(deps) != 2 {
		t.Fatalf("plan departments not synced: %+v", deps)
	}
}

func TestServePlainHTTPOverrideIsLogged(t *testing.T) {
	addr := freeAddr(t) // loopback, but PlainHTTPOverride is about the config:
	_, port, _ := net.SplitHostPort(addr)
	cfg := loadConfig(t, "listen: 0.0.0.0:"+port+"\ntls: {disable: true}\n")
	logs := &syncBuf{}
	app, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	stop := serve(t, app, "http://127.0.0.1:"+port, http.DefaultClient)
	stop()
	if !strings.Contains(logs.String(), "TLS DISABLED") || !strings.Contains(logs.String(), "shutting down") {
		t.Fatalf("log lacks the TLS warning or shutdown:\n%s", logs)
	}
}

func TestOpenRejectsBadPlan(t *testing.T) {
	cfg := loadConfig(t, "")
	bad := filepath.Join(t.TempDir(), "plan.yaml")
	_ = os.WriteFile(bad, []byte("district: {code: x}\nbogus: 1\n"), 0o600)
	cfg.PlanFile = bad
	_, err := Open(context.Background(), cfg, nil)
	var pe *PlanError
	if err == nil || !strings.Contains(err.Error(), "bogus") || !asPlanError(err, &pe) {
		t.Fatalf("bad plan: %v", err)
	}
}

func asPlanError(err error, pe **PlanError) bool {
	p, ok := err.(*PlanError)
	*pe = p
	return ok
}
