package update

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/agent/uplink"
	"github.com/egovnet/egovnet/internal/release"
)

// build is a stand-in agent binary: a script whose `version` prints v.
func build(v string) []byte {
	return []byte("#!/bin/sh\necho \"egovnet-agent " + v + " (test build)\"\n")
}

type releaseServer struct {
	info   release.Info
	binary []byte
}

func (s *releaseServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer cred" {
		http.Error(w, "no", http.StatusUnauthorized)
		return
	}
	switch r.URL.Path {
	case ReleasePath:
		if s.info.Version == "" {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(s.info)
	case "/bin":
		w.Write(s.binary)
	default:
		http.NotFound(w, r)
	}
}

func signed(priv ed25519.PrivateKey, v string, bin []byte) release.Info {
	sum := sha256.Sum256(bin)
	i := release.Info{ID: "r1", Version: v, OS: runtime.GOOS, Arch: runtime.GOARCH, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(bin)), URL: "/bin"}
	i.Signature = release.Sign(priv, i.OS, i.Arch, i.Version, i.SHA256)
	return i
}

func setup(t *testing.T) (*Updater, *releaseServer, ed25519.PrivateKey) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in build is a shell script")
	}
	pub, priv, _ := ed25519.GenerateKey(nil)
	srv := &releaseServer{}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c, err := uplink.New(hs.URL, uplink.Options{Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "bin", "egovnet-agent")
	os.MkdirAll(filepath.Dir(exe), 0o755)
	if err := os.WriteFile(exe, build("1.0.0"), 0o755); err != nil {
		t.Fatal(err)
	}
	return &Updater{Client: c, Credential: "cred", Key: pub, Current: "1.0.0", Exe: exe, DataDir: filepath.Join(dir, "data")}, srv, priv
}

func content(t *testing.T, f string) string {
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func noTemps(t *testing.T, exe string) {
	m, _ := filepath.Glob(filepath.Join(filepath.Dir(exe), ".egovnet-agent-new-*"))
	if len(m) > 0 {
		t.Fatalf("temp files left behind: %v", m)
	}
}

func TestRefusals(t *testing.T) {
	_, otherPriv, _ := ed25519.GenerateKey(nil)
	for _, tc := range []struct {
		name    string
		serve   func(s *releaseServer, priv ed25519.PrivateKey)
		wantErr error
	}{
		{"tampered binary", func(s *releaseServer, priv ed25519.PrivateKey) {
			s.binary = build("1.1.0")
			s.info = signed(priv, "1.1.0", s.binary)
			s.binary = []byte(strings.Replace(string(s.binary), "echo", "echo pwned;echo", 1))
		}, ErrUnsigned},
		{"signed by another key", func(s *releaseServer, _ ed25519.PrivateKey) {
			s.binary = build("1.1.0")
			s.info = signed(otherPriv, "1.1.0", s.binary)
		}, ErrUnsigned},
		{"unsigned", func(s *releaseServer, priv ed25519.PrivateKey) {
			s.binary = build("1.1.0")
			s.info = signed(priv, "1.1.0", s.binary)
			s.info.Signature = ""
		}, ErrUnsigned},
		{"signed build of another version than it runs as", func(s *releaseServer, priv ed25519.PrivateKey) {
			s.binary = build("0.0.1")
			s.info = signed(priv, "1.1.0", s.binary)
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, srv, priv := setup(t)
			tc.serve(srv, priv)
			got, err := u.Check(context.Background())
			if err == nil || got != nil {
				t.Fatalf("installed %v, err %v; want refused", got, err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(content(t, u.Exe), "1.0.0") {
				t.Fatal("the running build was replaced")
			}
			noTemps(t, u.Exe)
		})
	}
}

func TestNothingNewer(t *testing.T) {
	u, srv, priv := setup(t)
	if got, err := u.Check(context.Background()); got != nil || err != nil {
		t.Fatalf("no release: %v %v", got, err)
	}
	srv.binary = build("1.0.0")
	srv.info = signed(priv, "1.0.0", srv.binary)
	if got, err := u.Check(context.Background()); got != nil || err != nil {
		t.Fatalf("same version: %v %v", got, err)
	}
}

func TestInstallProbationAndRollback(t *testing.T) {
	u, srv, priv := setup(t)
	srv.binary = build("1.1.0")
	srv.info = signed(priv, "1.1.0", srv.binary)
	got, err := u.Check(context.Background())
	if err != nil || got == nil || got.To != "1.1.0" || got.From != "1.0.0" {
		t.Fatalf("install: %+v %v", got, err)
	}
	if !strings.Contains(content(t, u.Exe), "1.1.0") || !strings.Contains(content(t, u.Exe+".prev"), "1.0.0") {
		t.Fatal("new build not in place or previous not kept")
	}
	noTemps(t, u.Exe)
	// The new build starts but never reports healthy: after MaxStarts
	// starts the previous build is back, and 1.1.0 is not offered again.
	for i := 1; i <= MaxStarts; i++ {
		if rb, err := Started(u.DataDir, u.Exe, "1.1.0", nil); err != nil || rb {
			t.Fatalf("start %d: rollback=%v err=%v", i, rb, err)
		}
	}
	rb, err := Started(u.DataDir, u.Exe, "1.1.0", nil)
	if err != nil || !rb {
		t.Fatalf("start %d: rollback=%v err=%v, want a rollback", MaxStarts+1, rb, err)
	}
	if !strings.Contains(content(t, u.Exe), "1.0.0") {
		t.Fatal("previous build not restored")
	}
	if got, err := u.Check(context.Background()); got != nil || err != nil {
		t.Fatalf("rolled-back version installed again: %v %v", got, err)
	}
	// A healthy update ends its probation.
	srv.binary = build("1.2.0")
	srv.info = signed(priv, "1.2.0", srv.binary)
	if got, err := u.Check(context.Background()); err != nil || got == nil {
		t.Fatalf("install 1.2.0: %v %v", got, err)
	}
	if rb, err := Started(u.DataDir, u.Exe, "1.2.0", nil); err != nil || rb {
		t.Fatal(err)
	}
	if err := Good(u.DataDir, "1.2.0"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < MaxStarts+2; i++ {
		if rb, _ := Started(u.DataDir, u.Exe, "1.2.0", nil); rb {
			t.Fatal("a build marked good was rolled back")
		}
	}
}
