// Package influxtest starts a real InfluxDB 1.8 server (influxd with Flux
// enabled) on free loopback ports for integration tests, so the collector's
// time-series code is proven against the server it talks to in production
// rather than against a fake. It can stop and restart the server on the same
// data directory, which is how outage tests show that buffered points arrive.
package influxtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/testenv"
)

// DefaultBinary is where the development machines keep influxd v1.8.10.
const DefaultBinary = "/root/.cache/egovnet-influxd/influxd"

// Server is one running influxd owned by a test.
type Server struct {
	URL      string // http://127.0.0.1:PORT
	Database string // created at start
	// Bucket is Database with the default retention policy, the form
	// influxdb-client-go/v2 expects on 1.8 ("db/rp").
	Bucket string

	// User and Password are set when the server requires authentication;
	// Token is then "user:password", the 1.8 form of a v2 API token.
	User, Password, Token string

	t       testing.TB
	bin     string
	dir     string
	cfgFile string
	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	logBuf  *lockedBuffer
}

// Binary returns the influxd path from EGOVNET_TEST_INFLUXD or the default
// location, or skips (fails under EGOVNET_REQUIRE_INTEGRATION=1).
func Binary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("EGOVNET_TEST_INFLUXD")
	if bin == "" {
		bin = DefaultBinary
	}
	if _, err := os.Stat(bin); err != nil {
		testenv.Missing(t, "influxd not found at %s (set EGOVNET_TEST_INFLUXD): %v", bin, err)
	}
	return bin
}

// Start runs influxd in a temporary directory on free loopback ports, waits
// until it answers, and creates database db. The server is stopped at
// cleanup.
func Start(t testing.TB, db string) *Server {
	t.Helper()
	return start(t, db, "", "")
}

// StartWithAuth is Start with authentication enabled and an admin user.
func StartWithAuth(t testing.TB, db, user, password string) *Server {
	t.Helper()
	return start(t, db, user, password)
}

func start(t testing.TB, db, user, password string) *Server {
	t.Helper()
	s := &Server{Database: db, Bucket: db + "/autogen", t: t, bin: Binary(t)}
	t.Cleanup(s.Stop)
	// Free ports are found by binding and closing; another test may take
	// one before influxd binds it, so a failed start is retried on new ports
	// with a fresh directory.
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		s.dir = t.TempDir()
		if err = s.configure(freePort(t), freePort(t), user != ""); err != nil {
			t.Fatalf("write influxd config: %v", err)
		}
		if err = s.launch(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("start influxd: %v", err)
	}
	if user != "" {
		// The first user may be created without credentials; it must be admin.
		if err := s.Query(fmt.Sprintf("CREATE USER %s WITH PASSWORD '%s' WITH ALL PRIVILEGES", quoteIdent(user), strings.ReplaceAll(password, "'", `\'`))); err != nil {
			t.Fatalf("create influx user: %v", err)
		}
		s.User, s.Password, s.Token = user, password, user+":"+password
	}
	if err := s.Query("CREATE DATABASE " + quoteIdent(db)); err != nil {
		t.Fatalf("create database %s: %v", db, err)
	}
	return s
}

func (s *Server) configure(httpPort, rpcPort int, auth bool) error {
	s.URL = fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	s.cfgFile = filepath.Join(s.dir, "influxdb.conf")
	cfg := fmt.Sprintf(`reporting-disabled = true
bind-address = "127.0.0.1:%d"

[meta]
  dir = %q
  logging-enabled = false

[data]
  dir = %q
  wal-dir = %q
  query-log-enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:%d"
  auth-enabled = %t
  log-enabled = false
  flux-enabled = true
  pprof-enabled = false
`, rpcPort, filepath.Join(s.dir, "meta"), filepath.Join(s.dir, "data"), filepath.Join(s.dir, "wal"), httpPort, auth)
	return os.WriteFile(s.cfgFile, []byte(cfg), 0o600)
}

// Stop ends the server (SIGTERM, then SIGKILL) and waits for it. Safe to
// call twice.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Restart starts the server again on the same ports and data directory
// (after Stop), and waits until it answers /ping.
func (s *Server) Restart() {
	s.t.Helper()
	if err := s.launch(); err != nil {
		s.t.Fatalf("restart influxd: %v", err)
	}
}

// launch starts influxd and waits for /ping; on failure the process is gone.
func (s *Server) launch() error {
	s.mu.Lock()
	if s.cmd != nil {
		s.mu.Unlock()
		return fmt.Errorf("influxd already running")
	}
	s.logBuf = &lockedBuffer{}
	cmd := exec.Command(s.bin, "-config", s.cfgFile)
	cmd.Dir = s.dir
	cmd.Stdout = s.logBuf
	cmd.Stderr = s.logBuf
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-done:
			s.Stop()
			return fmt.Errorf("influxd exited during start:\n%s", s.logs())
		default:
		}
		resp, err := client.Get(s.URL + "/ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusNoContent && resp.Header.Get("X-Influxdb-Version") != "" {
				return nil
			}
		}
		if time.Now().After(deadline) {
			s.Stop()
			return fmt.Errorf("influxd did not answer /ping within 60s:\n%s", s.logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// lockedBuffer collects influxd's output; exec copies into it from its own
// goroutine while a failing test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (s *Server) logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logBuf == nil {
		return ""
	}
	out := s.logBuf.String()
	if len(out) > 4000 {
		out = out[len(out)-4000:]
	}
	return out
}

// Query runs an InfluxQL statement through the 1.x /query endpoint.
func (s *Server) Query(q string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	form := url.Values{"q": {q}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/query", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if s.User != "" {
		req.SetBasicAuth(s.User, s.Password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("query %q: %w", q, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || bytes.Contains(body, []byte(`"error"`)) {
		return fmt.Errorf("query %q: status %d: %s", q, resp.StatusCode, body)
	}
	return nil
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
