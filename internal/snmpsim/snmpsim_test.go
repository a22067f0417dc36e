package snmpsim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/egovnet/egovnet/internal/testenv"
)

// dataDir writes a one-device recording readable by the simulator's
// unprivileged user (t.TempDir is 0700).
func dataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "egovnet-snmpsim-data-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rec := "1.3.6.1.2.1.1.1.0|4|egovnet harness test\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.99999.7\n"
	if err := os.WriteFile(filepath.Join(dir, "harness.snmprec"), []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestStartServeStop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts snmpsimd")
	}
	testenv.Binary(t, "snmpsimd")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx, Config{DataDirs: []string{dataDir(t)}})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	defer s.Stop()
	if !s.Alive() || s.Port == 0 || !strings.HasPrefix(s.Endpoint(), "127.0.0.1:") {
		t.Fatalf("not running: alive %v endpoint %s", s.Alive(), s.Endpoint())
	}
	c := &gosnmp.GoSNMP{Target: s.Host, Port: uint16(s.Port), Community: "harness", Version: gosnmp.Version2c, Timeout: 5 * time.Second, Retries: 2}
	if err := c.Connect(); err != nil {
		t.Fatal(err)
	}
	defer c.Conn.Close()
	pkt, err := c.Get([]string{"1.3.6.1.2.1.1.2.0"})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got := pkt.Variables[0].Value; got != ".1.3.6.1.4.1.99999.7" {
		t.Errorf("sysObjectID = %v", got)
	}
	cache := s.cacheDir
	if err := s.Stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	if s.Alive() {
		t.Error("still alive after Stop")
	}
	if _, err := os.Stat(cache); !os.IsNotExist(err) {
		t.Errorf("cache dir %s left behind: %v", cache, err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no data dirs", Config{}, "no data dirs"},
		{"missing dir", Config{DataDirs: []string{"/nonexistent/egovnet"}}, "not a directory"},
		{"missing binary", Config{DataDirs: []string{os.TempDir()}, Binary: "/nonexistent/snmpsimd"}, "snmpsimd"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Start(context.Background(), tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestNamespace runs the simulator inside a private network namespace (as
// the lab does) and queries it from inside that namespace.
func TestNamespace(t *testing.T) {
	if testing.Short() {
		t.Skip("starts snmpsimd in a namespace")
	}
	testenv.Root(t)
	testenv.Binary(t, "snmpsimd")
	snmpget := testenv.Binary(t, "snmpget")
	b := make([]byte, 3)
	rand.Read(b)
	ns := "egl-snmpsim-" + hex.EncodeToString(b)
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	if out, err := exec.Command("ip", "-n", ns, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("lo up: %v %s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx, Config{DataDirs: []string{dataDir(t)}, Namespace: ns})
	if err != nil {
		t.Fatalf("start in %s: %v", ns, err)
	}
	defer s.Stop()
	out, err := exec.Command("ip", "netns", "exec", ns, snmpget, "-v2c", "-c", "harness", "-On", "-t", "5",
		s.Endpoint(), "1.3.6.1.2.1.1.2.0").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "1.3.6.1.4.1.99999.7") {
		t.Errorf("snmpget in namespace: %v %s", err, out)
	}
}
